//! Storage: diesel over SQLite or PostgreSQL through one code path ([`DbConnection`]),
//! a connection pool, one module per table, the grant storage behind the token rules
//! ([`grants`]), and the in-memory client registry in front of it all. Nothing here
//! imports a layer above the store.
//!
//! Rules every query here follows:
//! - queries return `Result<_, StoreError>`; "not found" is an `Option`, never a swallowed
//!   error;
//! - blocking diesel calls run through [`Store::run`] (a blocking thread) from async code;
//! - a write transaction starts with its write, so SQLite takes the write lock at once
//!   (waiting up to the busy timeout) instead of failing a read→write upgrade with BUSY;
//! - only single-row inserts and no upserts: what diesel's `MultiConnection` supports.

pub mod action_tokens;
pub mod assertion_jtis;
pub mod audit;
pub mod audit_window;
pub mod backchannel;
pub mod client_registrations;
pub mod client_registry;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod device_codes;
pub mod dpop_jtis;
mod error;
pub mod exchanged_tokens;
pub mod grants;
pub mod initial_access_tokens;
pub mod json;
pub mod login_failures;
pub mod mail_outbox;
pub mod mfa;
mod migrate;
pub mod notify;
pub mod pending_signups;
mod pool;
pub mod pushed_requests;
pub mod refresh_tokens;
pub mod revoked;
pub mod schema;
pub mod session_end;
pub mod sessions;
pub mod signing_keys;
pub mod status_lists;
pub mod upstreams;
pub mod users;

pub use error::StoreError;
pub use migrate::run_migrations;
pub use pool::{DbConnection, Store, connect_once};
