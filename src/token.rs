//! The token endpoint's protocol rules (RFC 6749 §3.2, §4.4, §5; RFC 7523; RFC 8707;
//! RFC 9068), as plain functions the HTTP handler calls.

pub mod access_token;
pub mod assertion;
pub mod authenticate;
pub mod authorization_code;
pub mod client_auth;
pub mod client_credentials;
pub mod code_flow;
pub mod error;
pub mod form;
pub mod inspect;
pub mod refresh;
pub mod refresh_flow;
pub mod remote_jwks;
pub mod user_tokens;

pub use error::{ErrorCode, TokenError};
