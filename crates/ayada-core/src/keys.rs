//! Where a clinic's 256-bit database key comes from: the OS keyring, a key file, or a
//! passphrase stretched with Argon2id. The choice is made once, at `init`, and written
//! (never the key itself) to `key.json` beside the database, so that a later open can only
//! use the same source and never falls into a new empty database by accident.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// The keyring service under which clinic keys are kept.
pub const KEYRING_SERVICE: &str = "app.ayada.desktop";

const KEY_INFO_FILE: &str = "key.json";
const MIN_PASSPHRASE_CHARS: usize = 8;

/// A raw SQLCipher key. Its Debug output never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl Key {
    /// 256 bits from the OS's random source.
    pub fn random() -> Result<Key> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| CoreError::Storage {
            detail: format!("no random source: {e}"),
        })?;
        Ok(Key(bytes))
    }

    pub(crate) fn hex(&self) -> String {
        hex::encode(self.0)
    }

    fn from_hex(text: &str) -> Option<Key> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(Key(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(hidden)")
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.0 = [0; 32];
    }
}

/// How the person (or the script) chose to unlock the clinic.
#[derive(Clone)]
pub enum KeySource {
    /// The OS keyring (Secret Service, Windows Credential Manager, macOS Keychain).
    Keyring,
    /// A file holding the key as 64 hex digits; made by `init` if it does not exist.
    KeyFile(PathBuf),
    /// A passphrase the owner chose, stretched with Argon2id and a per-clinic salt.
    Passphrase(String),
    /// No encryption at all: only with the `bench-plain` feature, to measure what
    /// encryption costs. Never compiled into the app or the CLI.
    #[cfg(feature = "bench-plain")]
    #[doc(hidden)]
    PlainForBenchmark,
}

impl KeySource {
    /// The one rule every program uses to choose how to unlock a clinic: an explicit key
    /// file if one is given, else a passphrase from `AYADA_DB_PASSPHRASE`, else the OS
    /// keyring (whose absence is a clear error naming the other two).
    pub fn choose(key_file: Option<PathBuf>) -> KeySource {
        if let Some(path) = key_file {
            return KeySource::KeyFile(path);
        }
        match std::env::var("AYADA_DB_PASSPHRASE") {
            Ok(p) if !p.is_empty() => KeySource::Passphrase(p),
            _ => KeySource::Keyring,
        }
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

impl KeySource {
    fn kind(&self) -> &'static str {
        match self {
            KeySource::Keyring => "the system keyring",
            KeySource::KeyFile(_) => "a key file",
            KeySource::Passphrase(_) => "a passphrase",
            #[cfg(feature = "bench-plain")]
            KeySource::PlainForBenchmark => "no key",
        }
    }
}

/// What `key.json` records: which source holds the key, and the public salt of a passphrase.
#[derive(Debug, Serialize, Deserialize)]
struct KeyInfo {
    source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keyring_account: Option<String>,
}

/// Makes the key for a new clinic in `dir` and records where it is kept.
pub(crate) fn create_key(dir: &Path, source: &KeySource, account: &str) -> Result<Key> {
    let (key, info) = match source {
        KeySource::Keyring => {
            let key = Key::random()?;
            keyring_entry(account)?
                .set_password(&key.hex())
                .map_err(keyring_error)?;
            let info = KeyInfo {
                source: "keyring".into(),
                salt: None,
                keyring_account: Some(account.to_string()),
            };
            (key, info)
        }
        KeySource::KeyFile(path) => {
            let key = if path.exists() {
                read_key_file(path)?
            } else {
                let key = Key::random()?;
                write_key_file(path, &key)?;
                key
            };
            let info = KeyInfo {
                source: "key-file".into(),
                salt: None,
                keyring_account: None,
            };
            (key, info)
        }
        KeySource::Passphrase(passphrase) => {
            if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
                return Err(CoreError::invalid("passphrase", "passphrase-too-short"));
            }
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| CoreError::Storage {
                detail: format!("no random source: {e}"),
            })?;
            let key = stretch(passphrase, &salt)?;
            let info = KeyInfo {
                source: "passphrase".into(),
                salt: Some(hex::encode(salt)),
                keyring_account: None,
            };
            (key, info)
        }
        #[cfg(feature = "bench-plain")]
        KeySource::PlainForBenchmark => unreachable!("a plain benchmark store has no key"),
    };
    fs::write(dir.join(KEY_INFO_FILE), serde_json::to_vec_pretty(&info)?)?;
    Ok(key)
}

/// Finds the key of the clinic in `dir` with the source the person gave.
pub(crate) fn load_key(dir: &Path, source: &KeySource) -> Result<Key> {
    let text = fs::read(dir.join(KEY_INFO_FILE)).map_err(|_| CoreError::NoClinic {
        dir: dir.display().to_string(),
    })?;
    let info: KeyInfo = serde_json::from_slice(&text)?;
    let expected = match info.source.as_str() {
        "keyring" => "the system keyring",
        "key-file" => "a key file",
        _ => "a passphrase",
    };
    let mismatch = || CoreError::KeySourceMismatch {
        expected: expected.into(),
        given: source.kind().into(),
    };
    match (info.source.as_str(), source) {
        ("keyring", KeySource::Keyring) => {
            let account = info.keyring_account.as_deref().ok_or_else(mismatch)?;
            let hex = keyring_entry(account)?
                .get_password()
                .map_err(keyring_error)?;
            Key::from_hex(&hex).ok_or(CoreError::WrongKey)
        }
        ("key-file", KeySource::KeyFile(path)) => read_key_file(path),
        ("passphrase", KeySource::Passphrase(passphrase)) => {
            let salt = info
                .salt
                .as_deref()
                .and_then(|s| hex::decode(s).ok())
                .ok_or_else(|| CoreError::Document {
                    detail: "key.json has no valid salt".into(),
                })?;
            stretch(passphrase, &salt)
        }
        _ => Err(mismatch()),
    }
}

fn stretch(passphrase: &str, salt: &[u8]) -> Result<Key> {
    // 64 MiB, 3 passes: about half a second once per unlock on a modest PC, which is the
    // only time it runs (SQLCipher then gets the raw key and does no derivation of its own).
    let params = Params::new(64 * 1024, 3, 1, Some(32)).expect("static Argon2 parameters");
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut out = [0u8; 32];
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| CoreError::Storage {
            detail: format!("key derivation failed: {e}"),
        })?;
    Ok(Key(out))
}

fn read_key_file(path: &Path) -> Result<Key> {
    let bad = |reason: &str| CoreError::BadKeyFile {
        path: path.display().to_string(),
        reason: reason.to_string(),
    };
    let text = fs::read_to_string(path).map_err(|e| bad(&e.to_string()))?;
    Key::from_hex(&text).ok_or_else(|| bad("it must hold exactly 64 hexadecimal digits"))
}

fn write_key_file(path: &Path, key: &Key) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| CoreError::BadKeyFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    std::io::Write::write_all(&mut file, format!("{}\n", key.hex()).as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn keyring_entry(account: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(KEYRING_SERVICE, account).map_err(keyring_error)
}

fn keyring_error(err: keyring::Error) -> CoreError {
    match err {
        keyring::Error::NoEntry => CoreError::WrongKey,
        other => CoreError::KeyringUnavailable {
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_debug_output_hides_the_bytes() {
        let key = Key::random().unwrap();
        let shown = format!("{key:?} {:?}", KeySource::Passphrase("s3cret-pass".into()));
        assert!(!shown.contains(&key.hex()));
        assert!(!shown.contains("s3cret"));
    }

    #[test]
    fn a_key_file_with_garbage_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.hex");
        fs::write(&path, "not hex").unwrap();
        let err = read_key_file(&path).unwrap_err();
        assert!(err.to_string().contains("64 hexadecimal digits"), "{err}");
    }

    #[test]
    fn a_passphrase_gives_the_same_key_with_the_same_salt_only() {
        let a = stretch("correct horse", b"0123456789abcdef").unwrap();
        let b = stretch("correct horse", b"0123456789abcdef").unwrap();
        let c = stretch("correct horse", b"fedcba9876543210").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
