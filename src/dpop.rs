//! DPoP (RFC 9449): the proof rules live in `portcullis-dpop` (shared with the guard
//! crate); the server adds stateless nonces.

pub mod nonce;

pub use nonce::NonceKey;
pub use portcullis_dpop::{DpopError, Proof, Rules, binding, is_thumbprint, proof};
