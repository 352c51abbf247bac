//! Opaque random values (client secrets, codes, refresh tokens, session ids) and the
//! SHA-256 hashes that are all we store of them.
//!
//! A SHA-256 of a value with ≥128 bits of randomness cannot be reversed or brute-forced, so
//! a slow password hash would add cost without adding safety.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::secret::Secret;

/// Bytes of randomness in a client secret: 256 bits.
pub const CLIENT_SECRET_BYTES: usize = 32;

/// A fresh random value, base64url without padding (URL- and header-safe).
pub fn generate(bytes: usize) -> Secret<String> {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    Secret::new(URL_SAFE_NO_PAD.encode(buf))
}

/// A random identifier that is not a secret (user ids, `jti`s, request ids): 128 bits
/// from the thread-local CSPRNG, which spares a system call per id on hot paths.
pub fn identifier() -> String {
    let mut buf = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The stored form of an opaque value.
pub fn hash(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}

/// Checks a presented value against a stored hash in constant time.
pub fn matches(presented: &str, stored_hash: &[u8]) -> bool {
    hash(presented).ct_eq(stored_hash).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_urlsafe_and_distinct() {
        let a = generate(CLIENT_SECRET_BYTES);
        let b = generate(CLIENT_SECRET_BYTES);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn hashes_verify_only_the_original() {
        let s = generate(32);
        let h = hash(s.expose());
        assert!(matches(s.expose(), &h));
        assert!(!matches("other", &h));
        assert!(!matches(s.expose(), &h[..31]));
    }
}
