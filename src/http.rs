//! The HTTP layer: thin actix-web handlers, middleware and pages.

pub mod headers;
pub mod health;
pub mod pages;
pub mod request_id;
