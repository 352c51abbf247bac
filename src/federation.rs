//! Signing in with an upstream OpenID provider (identity brokering): the protocol rules
//! as plain functions (its discovery document, the authorization request we send, the ID
//! token we accept, how its claims become a local user). HTTP and storage are elsewhere
//! (`http::upstream`, `store::upstreams`).

pub mod directory;
pub mod id_token;
pub mod mapping;
pub mod provider;
pub mod upstream;
