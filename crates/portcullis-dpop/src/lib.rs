//! DPoP (RFC 9449): checking a proof of possession for one request, the JWK thumbprint
//! tokens are bound to, and whether a presented token and its proof go together. Plain
//! functions over the proof text and the request's facts, shared by the authorization
//! server and the resource servers (`portcullis-guard`), so both apply the same rules.
//! Remembering each proof's `jti` (replay) is the caller's, as it depends on where it runs.

pub mod binding;
pub mod key_cache;
pub mod proof;
pub mod replay;
pub mod thumbprint;

pub use binding::{BindingError, Scheme};
pub use key_cache::KeyCache;
pub use proof::{DpopError, Proof, Rules, access_token_hash, normalize_htu, verify};
pub use replay::SeenProofs;
pub use thumbprint::thumbprint;

/// A SHA-256 JWK thumbprint as DPoP carries it (`jkt`, `dpop_jkt`): 43 base64url
/// characters, no padding (RFC 9449 §6.1, §10).
pub fn is_thumbprint(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
