//! OpenID Connect around the OAuth machinery: ID tokens and UserInfo claims.

pub mod claims;
pub mod id_token;
