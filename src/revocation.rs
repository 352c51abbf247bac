//! Revocation as resource servers see it: the in-memory list of revoked token ids and
//! ended sessions, and the signed feed built from it.

pub mod list;
