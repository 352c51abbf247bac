//! Storage: diesel over SQLite or PostgreSQL through one code path ([`DbConnection`]),
//! a connection pool, and one module per table.
//!
//! Rules every query here follows:
//! - queries return `Result<_, StoreError>`; "not found" is an `Option`, never a swallowed
//!   error;
//! - blocking diesel calls run through [`Store::run`] (a blocking thread) from async code;
//! - a write transaction starts with its write, so SQLite takes the write lock at once
//!   (waiting up to the busy timeout) instead of failing a read→write upgrade with BUSY;
//! - only single-row inserts and no upserts: what diesel's `MultiConnection` supports.

pub mod assertion_jtis;
pub mod audit;
pub mod backchannel;
pub mod clients;
pub mod codes;
pub mod consents;
mod error;
pub mod json;
mod migrate;
mod pool;
pub mod refresh_tokens;
pub mod revoked;
pub mod schema;
pub mod sessions;
pub mod signing_keys;
pub mod users;

pub use error::StoreError;
pub use migrate::run_migrations;
pub use pool::{DbConnection, Store, connect_once};
