//! OpenID Connect around the OAuth machinery: ID tokens, UserInfo claims and the
//! discovery document.

pub mod claims;
pub mod discovery;
pub mod id_token;
pub mod userinfo;
