//! Server-provided DPoP nonces (RFC 9449 §8): stateless, so every instance issues and
//! accepts the same ones without sharing anything but the key-encryption key. A nonce is a
//! time window's number and its HMAC; the current and the previous window are accepted,
//! so a nonce lives between one and two windows.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::clock::UnixTime;
use crate::domain::secret::Secret;

/// Seconds per nonce window.
pub const WINDOW_SECS: i64 = 60;

pub struct NonceKey(Secret<[u8; 32]>);

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceKey(..)")
    }
}

impl NonceKey {
    /// From a secret derived from the KEK (the same on every instance).
    pub fn new(secret: Secret<[u8; 32]>) -> Self {
        Self(secret)
    }

    fn mac(&self, window: i64) -> [u8; 16] {
        let mut out = [0u8; 16];
        let result = openssl::pkey::PKey::hmac(self.0.expose()).and_then(|key| {
            let mut signer =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key)?;
            signer.sign_oneshot_to_vec(&window.to_be_bytes())
        });
        // HMAC-SHA-256 with a 32-byte key cannot fail; were it to, the nonce would
        // simply never verify.
        if let Ok(mac) = result {
            out.copy_from_slice(&mac[..16]);
        }
        out
    }

    /// The nonce of the window containing `now`.
    pub fn current(&self, now: UnixTime) -> String {
        let window = now.div_euclid(WINDOW_SECS);
        let mut raw = Vec::with_capacity(24);
        raw.extend_from_slice(&window.to_be_bytes());
        raw.extend_from_slice(&self.mac(window));
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Whether `nonce` is this window's or the previous one's.
    pub fn accepts(&self, nonce: &str, now: UnixTime) -> bool {
        let Ok(raw) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let Ok(raw) = <[u8; 24]>::try_from(raw.as_slice()) else {
            return false;
        };
        let mut window = [0u8; 8];
        window.copy_from_slice(&raw[..8]);
        let window = i64::from_be_bytes(window);
        let current = now.div_euclid(WINDOW_SECS);
        if window != current && window != current - 1 {
            return false;
        }
        bool::from(self.mac(window).ct_eq(&raw[8..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> NonceKey {
        NonceKey::new(Secret::new([byte; 32]))
    }

    #[test]
    fn a_nonce_is_accepted_for_one_to_two_windows_then_refused() {
        let k = key(1);
        let n = k.current(1_000);
        assert!(k.accepts(&n, 1_000));
        assert!(k.accepts(&n, 1_000 + WINDOW_SECS));
        assert!(!k.accepts(&n, 1_000 + 2 * WINDOW_SECS));
        assert!(!k.accepts(&n, 1_000 - WINDOW_SECS), "not before its window");
    }

    #[test]
    fn a_nonce_of_another_key_or_a_forged_one_is_refused() {
        let n = key(1).current(1_000);
        assert!(!key(2).accepts(&n, 1_000));
        assert!(!key(1).accepts("not-a-nonce", 1_000));
        let mut forged = URL_SAFE_NO_PAD.decode(&n).unwrap();
        forged[23] ^= 1;
        assert!(!key(1).accepts(&URL_SAFE_NO_PAD.encode(forged), 1_000));
    }
}
