//! DPoP (RFC 9449): proofs of possession of a key, checked at the token endpoint and by
//! everything that accepts our access tokens.

pub mod binding;
pub mod nonce;
pub mod proof;

pub use nonce::NonceKey;
pub use proof::{DpopError, Proof, Rules};

/// A SHA-256 JWK thumbprint as DPoP carries it (`jkt`, `dpop_jkt`): 43 base64url
/// characters, no padding (RFC 9449 §6.1, §10).
pub fn is_thumbprint(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
