//! The token endpoint's protocol rules (RFC 6749 §3.2, §4.1.3, §4.4, §5, §6; RFC 7523;
//! RFC 8707; RFC 9068) and the endpoints that share its client authentication
//! (revocation, RFC 7009; introspection, RFC 7662), as plain functions over protocol
//! types, the client, grant storage and `now`. The HTTP handlers parse, call and map.

pub mod access_token;
pub mod assertion;
pub mod authenticate;
pub mod authorization_code;
pub mod client_auth;
pub mod client_credentials;
pub mod code_flow;
pub mod device;
pub mod error;
pub mod exchange;
#[cfg(test)]
pub mod fixtures;
pub mod form;
pub mod inspect;
pub mod introspection;
pub mod issue;
pub mod jwk_set;
pub mod refresh;
pub mod refresh_flow;
pub mod remote_jwks;
pub mod revocation;

pub use error::{ErrorCode, TokenError};
