//! Plain-Rust rules about clients, users and credentials: no HTTP, no SQL.

pub mod client;
pub mod opaque;
pub mod password;
pub mod uri;
pub mod user;
