//! Private keys at rest: AES-256-GCM under a key-encryption key (KEK), with the key id as
//! associated data so a sealed blob cannot be moved to another row. A stolen database alone
//! reveals no private key.
//!
//! The KEK comes from `keys.encryption_key` (shared by every instance) or, in the embedded
//! setup, from `<keys.directory>/encryption.key`, created with mode 0600 on first start.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use rand::RngCore;

use crate::config::KeySettings;
use crate::domain::secret::Secret;

/// Format version of a sealed blob: `1 || nonce(12) || tag(16) || ciphertext`.
/// Never reuse a version number for another layout.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
pub const KEK_FILE: &str = "encryption.key";

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the key-encryption key must be 32 bytes of base64")]
    BadKek,
    #[error("cannot read or create the key-encryption key file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no key-encryption key: the database holds sealed signing keys but {path} does not exist and keys.encryption_key is not set; restore the key file (or set PORTCULLIS_KEYS__ENCRYPTION_KEY) rather than starting over"
    )]
    MissingKek { path: PathBuf },
    #[error("a sealed key is malformed")]
    Malformed,
    #[error("a sealed key cannot be opened with this key-encryption key")]
    WrongKek,
    #[error("encryption failed: {0}")]
    Crypto(String),
}

/// The key-encryption key. `Debug` prints nothing of it.
#[derive(Clone)]
pub struct Kek(Secret<[u8; 32]>);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek([redacted])")
    }
}

impl Kek {
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self(Secret::new(k))
    }

    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(text.trim())
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim()))
            .map_err(|_| SealError::BadKek)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKek)?;
        Ok(Self(Secret::new(key)))
    }

    /// A key for another purpose, derived from this one (HMAC-SHA256 over `label`), so
    /// every instance sharing the KEK derives the same key and none is stored.
    pub fn derive(&self, label: &str) -> Result<Secret<[u8; 32]>, SealError> {
        let key = openssl::pkey::PKey::hmac(self.0.expose())
            .map_err(|e| SealError::Crypto(e.to_string()))?;
        let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key)
            .map_err(|e| SealError::Crypto(e.to_string()))?;
        let mac = signer
            .sign_oneshot_to_vec(label.as_bytes())
            .map_err(|e| SealError::Crypto(e.to_string()))?;
        let out: [u8; 32] = mac
            .try_into()
            .map_err(|_| SealError::Crypto("unexpected HMAC length".into()))?;
        Ok(Secret::new(out))
    }

    pub fn to_base64(&self) -> Secret<String> {
        Secret::new(STANDARD.encode(self.0.expose()))
    }

    pub fn seal(&self, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut tag = [0u8; TAG_LEN];
        let ct = encrypt_aead(
            Cipher::aes_256_gcm(),
            self.0.expose(),
            Some(&nonce),
            kid.as_bytes(),
            plaintext,
            &mut tag,
        )
        .map_err(|e| SealError::Crypto(e.to_string()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + TAG_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&tag);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, kid: &str, sealed: &[u8]) -> Result<Secret<Vec<u8>>, SealError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(SealError::Malformed);
        }
        let (nonce, rest) = sealed[1..].split_at(NONCE_LEN);
        let (tag, ct) = rest.split_at(TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            self.0.expose(),
            Some(nonce),
            kid.as_bytes(),
            ct,
            tag,
        )
        .map(Secret::new)
        .map_err(|_| SealError::WrongKek)
    }
}

/// Finds the KEK: the configured one, else the key file. The file is created only when
/// `may_create` (the database holds no sealed key yet), so a lost file can never silently
/// replace the key that sealed existing keys.
pub fn resolve_kek(settings: &KeySettings, may_create: bool) -> Result<Kek, SealError> {
    if let Some(text) = &settings.encryption_key {
        return Kek::from_base64(text.expose());
    }
    let path = settings.directory.join(KEK_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Kek::from_base64(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if may_create {
                create_kek_file(&path)
            } else {
                Err(SealError::MissingKek { path })
            }
        }
        Err(source) => Err(SealError::File { path, source }),
    }
}

fn create_kek_file(path: &Path) -> Result<Kek, SealError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| SealError::File {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let kek = Kek::generate();
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(f) => f,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Kek::from_base64(&std::fs::read_to_string(path).map_err(io)?);
        }
        Err(e) => return Err(io(e)),
    };
    file.write_all(kek.to_base64().expose().as_bytes())
        .and_then(|_| file.write_all(b"\n"))
        .and_then(|_| file.sync_all())
        .map_err(io)?;
    tracing::info!(path = %path.display(), "created a new key-encryption key file");
    Ok(kek)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trips_and_binds_the_kid() {
        let kek = Kek::generate();
        let sealed = kek.seal("kid-1", b"private key bytes").unwrap();
        assert!(!sealed.windows(17).any(|w| w == b"private key bytes"));
        assert_eq!(
            kek.open("kid-1", &sealed).unwrap().expose(),
            b"private key bytes"
        );
        assert!(matches!(
            kek.open("kid-2", &sealed),
            Err(SealError::WrongKek)
        ));
        assert!(matches!(
            Kek::generate().open("kid-1", &sealed),
            Err(SealError::WrongKek)
        ));
        assert!(matches!(
            kek.open("kid-1", &sealed[..10]),
            Err(SealError::Malformed)
        ));
    }

    #[test]
    fn the_key_file_is_created_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let settings = KeySettings {
            directory: dir.path().join("keys"),
            ..Default::default()
        };
        assert!(matches!(
            resolve_kek(&settings, false),
            Err(SealError::MissingKek { .. })
        ));
        let first = resolve_kek(&settings, true).unwrap();
        let path = settings.directory.join(KEK_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = resolve_kek(&settings, true).unwrap();
        assert_eq!(first.to_base64().expose(), again.to_base64().expose());
    }

    #[test]
    fn kek_parsing() {
        assert!(Kek::from_base64("too short").is_err());
        let k = Kek::generate();
        assert!(Kek::from_base64(k.to_base64().expose()).is_ok());
    }
}
