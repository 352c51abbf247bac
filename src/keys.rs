//! Signing keys: generated with `rsa`, sealed at rest under a key-encryption key, rotated
//! on a timestamp-driven schedule that every instance computes the same way, cached in
//! memory for signing and for JWKS.

pub mod generate;
pub mod keyring;
pub mod lifecycle;
pub mod listing;
pub mod manager;
pub mod rotation;
pub mod sealed;

pub use crate::domain::signing_alg::SigningAlg;
#[cfg(test)]
pub use keyring::test_keys;
pub use keyring::{KeySet, SigningKey};
pub use manager::{KeyError, KeyManager};
