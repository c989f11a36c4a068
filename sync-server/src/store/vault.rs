//! Each clinic's data at rest on the server, sealed with that clinic's own key: its changes,
//! compacted documents, photos and quarantine, and what the portal keeps of its patients
//! (names, phones, messages). The clinic keys are random, kept in the platform database only
//! wrapped by the platform's master key, which lives outside every database (a file or an
//! environment variable, docs/OPERATIONS.md). Destroying a clinic's wrapped key leaves every
//! copy of its rows unreadable.
//!
//! XChaCha20-Poly1305 with a random 192-bit nonce per record; each record's associated data
//! names its clinic, its kind and its id (a change's hash, a document's id, a photo's hash),
//! so a sealed record moved to another row, kind or clinic does not open.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Mac, SimpleHmac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::StoreError;

/// The first bytes of every sealed record: a mark and the format's version.
const MARK: [u8; 2] = [0xA5, 0x01];
const NONCE: usize = 24;

/// The scope of the key that seals the platform's own secrets (not a clinic id, which is a
/// UUID).
pub const PLATFORM: &str = "platform";

/// The platform's master key: it wraps every clinic's key and is kept outside the databases.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A new random key.
    pub fn random() -> MasterKey {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).expect("the system's random source");
        MasterKey(key)
    }

    /// The key written as 64 hex digits (spaces and a final newline allowed).
    pub fn from_hex(text: &str) -> Result<MasterKey, StoreError> {
        let clean: Zeroizing<String> =
            Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
        let bytes = Zeroizing::new(hex::decode(clean.as_str()).map_err(|_| bad_master())?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad_master())?;
        Ok(MasterKey(Zeroizing::new(key)))
    }

    /// Reads the key from `path`, or makes a new one there (readable by the server's user
    /// alone) when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, StoreError> {
        match std::fs::read_to_string(path) {
            Ok(text) => MasterKey::from_hex(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = MasterKey::random();
                let mut file = create_private(path)?;
                let text = Zeroizing::new(format!("{}\n", hex::encode(key.0.as_ref())));
                std::io::Write::write_all(&mut file, text.as_bytes())?;
                file.sync_all()?;
                Ok(key)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }
}

fn bad_master() -> StoreError {
    StoreError::Sealed("the master key must be 64 hex digits (32 bytes)".into())
}

fn create_private(path: &Path) -> Result<std::fs::File, StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    Ok(options.open(path)?)
}

/// What a record is, bound into its seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A change of the log (or of the quarantine), by its hash.
    Change,
    /// A compacted document, by its id.
    Doc,
    /// A photo, by its SHA-256.
    Blob,
    /// A field the portal or the console keeps, by its table and column.
    Field,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Change => "change",
            Kind::Doc => "doc",
            Kind::Blob => "blob",
            Kind::Field => "field",
        }
    }
}

/// One scope's key (a clinic's, or the platform's own).
pub struct Sealer {
    scope: String,
    cipher: XChaCha20Poly1305,
    /// For the keyed digests of fields looked up by equality (a phone).
    tag_key: Zeroizing<[u8; 32]>,
}

impl Sealer {
    fn new(scope: &str, key: &[u8; 32]) -> Sealer {
        let mut mac = <SimpleHmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
        mac.update(b"ayada tag key v1");
        Sealer {
            scope: scope.to_string(),
            cipher: XChaCha20Poly1305::new(key.into()),
            tag_key: Zeroizing::new(mac.finalize().into_bytes().into()),
        }
    }

    fn aad(&self, kind: Kind, id: &str) -> Vec<u8> {
        [self.scope.as_bytes(), kind.name().as_bytes(), id.as_bytes()].join(&0u8)
    }

    /// `plain` sealed as `kind` `id` of this scope.
    pub fn seal(&self, kind: Kind, id: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).expect("the system's random source");
        let aad = self.aad(kind, id);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("sealing in memory cannot fail");
        [&MARK[..], &nonce, &sealed].concat()
    }

    /// A record sealed as `kind` `id` of this scope, opened.
    pub fn open(&self, kind: Kind, id: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let refused = || StoreError::Sealed(format!("a {} of {} does not open", kind.name(), id));
        if sealed.len() < MARK.len() + NONCE || sealed[..MARK.len()] != MARK {
            return Err(refused());
        }
        let (nonce, body) = sealed[MARK.len()..].split_at(NONCE);
        let aad = self.aad(kind, id);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| refused())
    }

    /// A text field of row `row` (its table and key, so it opens in no other row) sealed,
    /// written as base64 for a text column.
    pub fn seal_text(&self, row: &str, plain: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.seal(
            Kind::Field,
            row,
            plain.as_bytes(),
        ))
    }

    /// A text field [`Sealer::seal_text`] wrote, opened.
    pub fn open_text(&self, row: &str, sealed: &str) -> Result<String, StoreError> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| StoreError::Sealed(format!("a field of {row} is not sealed")))?;
        String::from_utf8(self.open(Kind::Field, row, &bytes)?)
            .map_err(|_| StoreError::Sealed(format!("a field of {row} is not text")))
    }

    /// A keyed digest of a field, for finding rows by it without keeping it readable: equal
    /// values give equal tags within a scope, and nothing without the key.
    pub fn tag(&self, column: &str, value: &str) -> String {
        let mut mac =
            <SimpleHmac<Sha256> as Mac>::new_from_slice(self.tag_key.as_ref()).expect("any key");
        mac.update(column.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Where a backend keeps the wrapped keys (the platform database's `clinic_keys`).
pub(super) trait KeyTable {
    /// The wrapped key of `scope`, if there is one.
    fn wrapped_key(&self, scope: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Keeps `wrapped` as the key of `scope` unless one is kept already (another process
    /// may have made one at the same moment); answers the one kept.
    fn keep_wrapped_key(&self, scope: &str, wrapped: &[u8]) -> Result<Vec<u8>, StoreError>;
}

fn wrap_aad(scope: &str) -> Vec<u8> {
    [b"ayada clinic key v1\0".as_slice(), scope.as_bytes()].concat()
}

/// The master key and the scopes' keys unwrapped so far.
pub(super) struct KeyRing {
    master: XChaCha20Poly1305,
    open: Mutex<HashMap<String, Arc<Sealer>>>,
}

impl KeyRing {
    /// Holds `master`, and checks it against the platform's own key (made on first use): a
    /// store opened with another master key is refused before it reads or writes anything.
    pub(super) fn new(master: &MasterKey, table: &dyn KeyTable) -> Result<KeyRing, StoreError> {
        let ring = KeyRing {
            master: master.cipher(),
            open: Mutex::new(HashMap::new()),
        };
        ring.sealer(table, PLATFORM).map_err(|e| match e {
            StoreError::Sealed(_) => StoreError::Sealed(
                "the master key given does not open this store's keys (another key made them)"
                    .into(),
            ),
            e => e,
        })?;
        Ok(ring)
    }

    /// The key of `scope` (a clinic's platform id, or [`PLATFORM`]), made on first use.
    pub(super) fn sealer(
        &self,
        table: &dyn KeyTable,
        scope: &str,
    ) -> Result<Arc<Sealer>, StoreError> {
        if let Some(s) = self.open.lock().expect("key ring poisoned").get(scope) {
            return Ok(s.clone());
        }
        let wrapped = match table.wrapped_key(scope)? {
            // Destroyed with the clinic's data: nothing of it opens, nothing new is sealed.
            Some(w) if w.is_empty() => {
                return Err(StoreError::Sealed(format!(
                    "the key of {scope} was destroyed"
                )))
            }
            Some(w) => w,
            None => {
                let mut key = Zeroizing::new([0u8; 32]);
                getrandom::fill(key.as_mut()).expect("the system's random source");
                table.keep_wrapped_key(scope, &self.wrap(scope, &key))?
            }
        };
        let sealer = Arc::new(Sealer::new(scope, &*self.unwrap(scope, &wrapped)?));
        self.open
            .lock()
            .expect("key ring poisoned")
            .insert(scope.to_string(), sealer.clone());
        Ok(sealer)
    }

    /// `key` wrapped as the key of `scope`.
    pub(super) fn wrap(&self, scope: &str, key: &[u8; 32]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).expect("the system's random source");
        let aad = wrap_aad(scope);
        let sealed = self
            .master
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key,
                    aad: &aad,
                },
            )
            .expect("sealing in memory cannot fail");
        [&nonce[..], &sealed].concat()
    }

    /// The key of `scope` from its wrapped form.
    pub(super) fn unwrap(
        &self,
        scope: &str,
        wrapped: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, StoreError> {
        if wrapped.len() <= NONCE {
            return Err(StoreError::Sealed(format!("the key of {scope} is damaged")));
        }
        let (nonce, body) = wrapped.split_at(NONCE);
        let aad = wrap_aad(scope);
        let key = Zeroizing::new(
            self.master
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: body,
                        aad: &aad,
                    },
                )
                .map_err(|_| StoreError::Sealed(format!("the key of {scope} does not open")))?,
        );
        let key: [u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Sealed(format!("the key of {scope} is damaged")))?;
        Ok(Zeroizing::new(key))
    }

    /// Forgets the unwrapped key of `scope` (its wrapped key was replaced or destroyed).
    pub(super) fn forget(&self, scope: &str) {
        self.open.lock().expect("key ring poisoned").remove(scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Table(Mutex<HashMap<String, Vec<u8>>>);

    impl KeyTable for Table {
        fn wrapped_key(&self, scope: &str) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.0.lock().unwrap().get(scope).cloned())
        }
        fn keep_wrapped_key(&self, scope: &str, wrapped: &[u8]) -> Result<Vec<u8>, StoreError> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .entry(scope.to_string())
                .or_insert_with(|| wrapped.to_vec())
                .clone())
        }
    }

    fn table() -> Table {
        Table(Mutex::new(HashMap::new()))
    }

    #[test]
    fn a_sealed_record_opens_only_as_what_it_was_sealed() {
        let master = MasterKey::random();
        let table = table();
        let ring = KeyRing::new(&master, &table).unwrap();
        let a = ring.sealer(&table, "clinic-a").unwrap();
        let b = ring.sealer(&table, "clinic-b").unwrap();
        let sealed = a.seal(Kind::Change, "h1", b"Zubaida Qotb");
        assert!(!sealed.windows(6).any(|w| w == b"Zubaid"));
        assert_eq!(
            a.open(Kind::Change, "h1", &sealed).unwrap(),
            b"Zubaida Qotb"
        );
        assert!(a.open(Kind::Change, "h2", &sealed).is_err(), "another row");
        assert!(a.open(Kind::Doc, "h1", &sealed).is_err(), "another kind");
        assert!(
            b.open(Kind::Change, "h1", &sealed).is_err(),
            "another clinic"
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(a.open(Kind::Change, "h1", &flipped).is_err(), "tampered");
        assert!(
            a.open(Kind::Change, "h1", b"Zubaida Qotb").is_err(),
            "clear"
        );
        assert_ne!(sealed, a.seal(Kind::Change, "h1", b"Zubaida Qotb"), "nonce");
    }

    #[test]
    fn the_wrapped_keys_open_again_with_the_master_key_only() {
        let master = MasterKey::random();
        let table = table();
        let sealed = KeyRing::new(&master, &table)
            .unwrap()
            .sealer(&table, "clinic-a")
            .unwrap()
            .seal(Kind::Blob, "x", b"photo");
        let again = KeyRing::new(&master, &table).unwrap();
        let a = again.sealer(&table, "clinic-a").unwrap();
        assert_eq!(a.open(Kind::Blob, "x", &sealed).unwrap(), b"photo");
        assert_eq!(
            a.tag("phone", "+201001234567"),
            a.tag("phone", "+201001234567")
        );
        assert_ne!(
            a.tag("phone", "+201001234567"),
            a.tag("phone", "+201001234568")
        );
        let err = KeyRing::new(&MasterKey::random(), &table).err().unwrap();
        assert!(err.to_string().contains("does not open"), "{err}");
    }

    #[test]
    fn a_master_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let one = MasterKey::load_or_create(&path).unwrap();
        let two = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(one.0.as_ref(), two.0.as_ref());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(MasterKey::from_hex("abc").is_err());
        assert!(format!("{one:?}").ends_with("(..)"));
    }
}
