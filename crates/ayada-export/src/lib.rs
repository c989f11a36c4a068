//! The encrypted export of a whole clinic, which the server gives its owner when the clinic
//! leaves the platform: every document of the clinic (Automerge, compacted), every photo and
//! a manifest, encrypted with a key derived from a passphrase the owner chose.
//! `ayada-cli export-open` turns it back into a machine's folder, from which the clinic's
//! CSV/JSON export is made as on any machine.
//!
//! The file: a 16-byte mark, a 16-byte Argon2id salt, a 19-byte nonce, then its files (each
//! its name's length as 4 bytes big-endian, the name, its length as 8 bytes, its bytes; a
//! name of length 0 ends them) cut into 64 KiB chunks, each sealed with XChaCha20-Poly1305 in the STREAM construction (a counter
//! and a last-chunk flag in each nonce), so a chunk cut off, reordered or changed is found.
//! It is written and read as a stream: the server never holds a clinic's photos in memory
//! at once, and never writes the clear export to disk.

use std::io::{Read, Write};

use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::XChaCha20Poly1305;
use zeroize::Zeroizing;

/// What clinic an export holds: its first file, `clinic.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClinicCard {
    /// The export format's version.
    pub format: u32,
    /// The clinic's id on the platform.
    pub platform_id: String,
    /// The clinic id its machines share (None: no machine ever enrolled).
    pub clinic_id: Option<String>,
    /// Its name.
    pub name: String,
    /// Its slug on the platform.
    pub slug: String,
    /// Its time zone.
    pub time_zone: String,
    /// When the export was made (Unix seconds).
    pub exported_at: i64,
}

/// What an export holds, counted: its last file, `manifest.json` (a reader checks it got
/// every file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Documents, as `documents/<id>` (Automerge, compacted).
    pub documents: u64,
    /// Photos, as `photos/<sha256>`.
    pub photos: u64,
}

/// The names of the files an export holds.
pub mod names {
    /// The clinic's card, first.
    pub const CLINIC: &str = "clinic.json";
    /// The counts, last.
    pub const MANIFEST: &str = "manifest.json";
    /// A document's file name starts so, then its id.
    pub const DOCUMENT: &str = "documents/";
    /// A photo's file name starts so, then its SHA-256.
    pub const PHOTO: &str = "photos/";
}

/// The first bytes of an export file.
pub const MARK: &[u8; 16] = b"AYADA-EXPORT\0\0\0\x01";
const SALT: usize = 16;
const NONCE: usize = 19;
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

/// The shortest passphrase an export takes.
pub const MIN_PASSPHRASE: usize = 10;

/// What went wrong with an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file could not be read or written.
    #[error("the export could not be read or written: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not an export, or it was cut short or changed.
    #[error("this is not an Ayada export, or it was cut short or changed")]
    NotAnExport,
    /// The passphrase does not open it (or the file was changed).
    #[error("the passphrase does not open this export (or the file was changed)")]
    WrongPassphrase,
    /// The passphrase is too short to protect the clinic's records.
    #[error("the passphrase must be at least {MIN_PASSPHRASE} characters")]
    WeakPassphrase,
    /// The files inside are damaged.
    #[error("the export's contents are damaged: {0}")]
    Damaged(String),
}

/// The longest file name an export holds.
const MAX_NAME: u32 = 1024;

fn key_of(passphrase: &str, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, ExportError> {
    let mut key = Zeroizing::new([0u8; 32]);
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|_| ExportError::WeakPassphrase)?;
    Ok(key)
}

/// Cuts what is written into sealed chunks.
struct Sealing<W: Write> {
    out: W,
    stream: Option<EncryptorBE32<XChaCha20Poly1305>>,
    buf: Vec<u8>,
}

impl<W: Write> Write for Sealing<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        // A full chunk is sealed only once more follows: the last one is sealed as last.
        while self.buf.len() > CHUNK {
            let rest = self.buf.split_off(CHUNK);
            let chunk = std::mem::replace(&mut self.buf, rest);
            let sealed = self
                .stream
                .as_mut()
                .expect("sealing until finished")
                .encrypt_next(chunk.as_slice())
                .map_err(|_| std::io::Error::other("sealing failed"))?;
            self.out.write_all(&sealed)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> Sealing<W> {
    fn finish(mut self) -> std::io::Result<W> {
        let last = self
            .stream
            .take()
            .expect("finished once")
            .encrypt_last(self.buf.as_slice())
            .map_err(|_| std::io::Error::other("sealing failed"))?;
        self.out.write_all(&last)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// An export being written: entries are added one by one and sealed as they go.
pub struct ExportWriter<W: Write> {
    sealing: Sealing<W>,
}

impl<W: Write> ExportWriter<W> {
    /// Starts an export into `out`, sealed with `passphrase`.
    pub fn new(mut out: W, passphrase: &str) -> Result<ExportWriter<W>, ExportError> {
        if passphrase.chars().count() < MIN_PASSPHRASE {
            return Err(ExportError::WeakPassphrase);
        }
        let mut salt = [0u8; SALT];
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut salt).map_err(|e| std::io::Error::other(e.to_string()))?;
        getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
        let key = key_of(passphrase, &salt)?;
        out.write_all(MARK)?;
        out.write_all(&salt)?;
        out.write_all(&nonce)?;
        let aead = XChaCha20Poly1305::new(key.as_ref().into());
        let sealing = Sealing {
            out,
            stream: Some(EncryptorBE32::from_aead(aead, nonce.as_ref().into())),
            buf: Vec::with_capacity(CHUNK * 2),
        };
        Ok(ExportWriter { sealing })
    }

    /// Adds a file (documents are compressed by Automerge, photos by their format).
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
        if name.is_empty() || name.len() > MAX_NAME as usize {
            return Err(ExportError::Damaged(format!(
                "a file name of {} bytes",
                name.len()
            )));
        }
        self.sealing.write_all(&(name.len() as u32).to_be_bytes())?;
        self.sealing.write_all(name.as_bytes())?;
        self.sealing
            .write_all(&(bytes.len() as u64).to_be_bytes())?;
        self.sealing.write_all(bytes)?;
        Ok(())
    }

    /// Ends the export; answers what it was written into.
    pub fn finish(mut self) -> Result<W, ExportError> {
        self.sealing.write_all(&0u32.to_be_bytes())?;
        Ok(self.sealing.finish()?)
    }
}

/// Opens sealed chunks as they are read.
struct Opening<R: Read> {
    input: R,
    stream: Option<DecryptorBE32<XChaCha20Poly1305>>,
    /// Sealed bytes read ahead (to know which chunk is the last).
    ahead: Vec<u8>,
    clear: Vec<u8>,
    at: usize,
    failed: Option<ExportError>,
}

impl<R: Read> Opening<R> {
    fn fill_ahead(&mut self, want: usize) -> std::io::Result<()> {
        while self.ahead.len() < want {
            let mut buf = vec![0u8; want - self.ahead.len()];
            let n = self.input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            self.ahead.extend_from_slice(&buf[..n]);
        }
        Ok(())
    }

    fn next_chunk(&mut self) -> std::io::Result<bool> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(false);
        };
        let _ = stream;
        // One full sealed chunk and a byte more: this chunk is not the last.
        self.fill_ahead(CHUNK + TAG + 1)?;
        let refused = |e: ExportError| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        if self.ahead.len() > CHUNK + TAG {
            let rest = self.ahead.split_off(CHUNK + TAG);
            let sealed = std::mem::replace(&mut self.ahead, rest);
            let stream = self.stream.as_mut().expect("checked above");
            self.clear = stream.decrypt_next(sealed.as_slice()).map_err(|_| {
                self.failed = Some(ExportError::WrongPassphrase);
                refused(ExportError::WrongPassphrase)
            })?;
        } else {
            let sealed = std::mem::take(&mut self.ahead);
            let stream = self.stream.take().expect("checked above");
            self.clear = stream.decrypt_last(sealed.as_slice()).map_err(|_| {
                self.failed = Some(ExportError::WrongPassphrase);
                refused(ExportError::WrongPassphrase)
            })?;
        }
        self.at = 0;
        Ok(true)
    }
}

impl<R: Read> Read for Opening<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.clear.len() {
            if !self.next_chunk()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.clear.len() - self.at);
        buf[..n].copy_from_slice(&self.clear[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Reads an export from `input` with `passphrase`, calling `each` with every file's name and
/// bytes in the order they were written. Nothing is handed on from a chunk before it is
/// checked; a file cut short or changed anywhere fails, whatever was handed on before.
pub fn read_export<R: Read>(
    mut input: R,
    passphrase: &str,
    mut each: impl FnMut(&str, Vec<u8>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let mut head = [0u8; 16 + SALT + NONCE];
    input
        .read_exact(&mut head)
        .map_err(|_| ExportError::NotAnExport)?;
    if &head[..16] != MARK {
        return Err(ExportError::NotAnExport);
    }
    let key = key_of(passphrase, &head[16..16 + SALT])?;
    let aead = XChaCha20Poly1305::new(key.as_ref().into());
    let nonce = &head[16 + SALT..];
    let mut opening = Opening {
        input,
        stream: Some(DecryptorBE32::from_aead(aead, nonce.into())),
        ahead: Vec::new(),
        clear: Vec::new(),
        at: 0,
        failed: None,
    };
    let result = (|| {
        loop {
            let mut len = [0u8; 4];
            opening.read_exact(&mut len)?;
            let len = u32::from_be_bytes(len);
            if len == 0 {
                break;
            }
            if len > MAX_NAME {
                return Err(ExportError::Damaged(format!("a file name of {len} bytes")));
            }
            let mut name = vec![0u8; len as usize];
            opening.read_exact(&mut name)?;
            let name = String::from_utf8(name)
                .map_err(|_| ExportError::Damaged("a file name is not text".into()))?;
            let mut size = [0u8; 8];
            opening.read_exact(&mut size)?;
            let mut bytes = Vec::new();
            let size = u64::from_be_bytes(size);
            (&mut opening).take(size).read_to_end(&mut bytes)?;
            if bytes.len() as u64 != size {
                return Err(ExportError::NotAnExport);
            }
            each(&name, bytes)?;
        }
        // Nothing may follow the end, and the last chunk must be there and whole.
        if std::io::copy(&mut opening, &mut std::io::sink())? != 0 {
            return Err(ExportError::Damaged("bytes after the last file".into()));
        }
        if opening.stream.is_some() {
            return Err(ExportError::NotAnExport);
        }
        Ok(())
    })();
    match (result, opening.failed.take()) {
        (_, Some(failed)) => Err(failed),
        (Err(ExportError::Io(e)), None) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(ExportError::NotAnExport)
        }
        (result, None) => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(passphrase: &str) -> Vec<u8> {
        let mut w = ExportWriter::new(Vec::new(), passphrase).unwrap();
        w.add("manifest.json", br#"{"clinic":"Al-Nour"}"#).unwrap();
        w.add("documents/patient/1.automerge", &vec![7u8; 300_000])
            .unwrap();
        let photo: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 251) as u8).collect();
        w.add("photos/abc.jpg", &photo).unwrap();
        w.finish().unwrap()
    }

    fn read_all(bytes: &[u8], passphrase: &str) -> Result<Vec<(String, Vec<u8>)>, ExportError> {
        let mut files = Vec::new();
        read_export(bytes, passphrase, |name, bytes| {
            files.push((name.to_string(), bytes));
            Ok(())
        })?;
        Ok(files)
    }

    #[test]
    fn an_export_reads_back_whole_with_its_passphrase_only() {
        let bytes = sample("correct horse battery");
        assert!(bytes.starts_with(MARK));
        assert!(
            !bytes.windows(7).any(|w| w == b"Al-Nour"),
            "nothing of the clinic is readable in the file"
        );
        let files = read_all(&bytes, "correct horse battery").unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "manifest.json",
                "documents/patient/1.automerge",
                "photos/abc.jpg"
            ]
        );
        assert_eq!(files[1].1, vec![7u8; 300_000]);
        assert_eq!(files[2].1.len(), 200_000);
        assert!(matches!(
            read_all(&bytes, "wrong horse battery"),
            Err(ExportError::WrongPassphrase)
        ));
    }

    #[test]
    fn an_export_cut_short_or_changed_is_refused() {
        let bytes = sample("correct horse battery");
        // Cut at a chunk's boundary: every chunk left opens, but none is the last.
        let cut = 16 + SALT + NONCE + CHUNK + TAG;
        assert!(read_all(&bytes[..cut], "correct horse battery").is_err());
        assert!(read_all(&bytes[..bytes.len() - 1], "correct horse battery").is_err());
        let mut changed = bytes.clone();
        changed[100_000] ^= 1;
        assert!(read_all(&changed, "correct horse battery").is_err());
        assert!(matches!(
            read_all(b"PK\x03\x04 not an export at all, really", "x"),
            Err(ExportError::NotAnExport)
        ));
        assert!(matches!(
            ExportWriter::new(Vec::new(), "short"),
            Err(ExportError::WeakPassphrase)
        ));
    }
}
