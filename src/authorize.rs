//! The authorization endpoint's rules (RFC 6749 §4.1, OpenID Connect Core §3.1.2, RFC 7636,
//! RFC 9207, OAuth 2.0 Form Post Response Mode), as plain functions the handlers call.
//! oxide-auth's authorization flow cannot express prompt/max_age/OIDC sessions/form_post,
//! so the request is validated here; its PKCE extension encodes and checks challenges.

pub mod decision;
pub mod error;
#[cfg(test)]
pub mod fixtures;
pub mod flow;
pub mod pushed;
pub mod request;
pub mod response;

pub use error::AuthorizeError;
pub use request::{AuthRequest, Prompt, ResponseMode};
