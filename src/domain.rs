//! Protocol values and entities in plain Rust: no HTTP, no SQL. Values are parsed here
//! once, at the edge, and carried as types everywhere after (`Scope`, `RedirectUri`,
//! `CodeChallenge`, `ClientId`, `Audience`); the entities `Client` and `User` are what the
//! rules see, whatever the store keeps.

pub mod audience;
pub mod auth_method;
pub mod bounds;
pub mod cidr;
pub mod client;
pub mod client_id;
pub mod destination;
pub mod grant_type;
pub mod jwks;
pub mod opaque;
pub mod password;
pub mod pkce;
pub mod profile;
pub mod redirect_uri;
pub mod registration;
pub mod revocation;
pub mod scope;
pub mod secret;
pub mod signing_alg;
pub mod source;
pub mod uri;
pub mod user;
