//! Plain-Rust rules about clients, users and credentials: no HTTP, no SQL.

pub mod auth_method;
pub mod client;
pub mod grant_type;
pub mod jwks;
pub mod opaque;
pub mod password;
pub mod uri;
pub mod user;
