//! The HTTP layer: thin actix-web handlers, middleware and pages.

pub mod authorize;
pub mod cacheable;
pub mod discovery;
pub mod feed;
pub mod headers;
pub mod health;
pub mod introspect;
pub mod jwks;
pub mod logout;
pub mod pages;
pub mod request_id;
pub mod revoke;
pub mod token;
pub mod userinfo;
