//! Portcullis: an OAuth 2.0 / OpenID Connect authorization server.
//!
//! Layers, each depending only on the ones below it (DESIGN.md, decision 13):
//! - `http`: actix-web handlers, extractors, pages, the one error-to-response mapping;
//! - `authorize`, `token`, `oidc`, `session`, `revocation`, `forward_auth`: protocol rules as plain
//!   functions over protocol types, with unit tests beside them;
//! - `domain`: protocol values and entities (scopes, redirect URIs, PKCE, clients, users);
//! - `keys`: signing keys, their rotation and the in-memory key set;
//! - `store`: diesel over SQLite or PostgreSQL, and the in-memory caches in front of it.
//!
//! `startup` and `state` wire them together; `background` runs the periodic work;
//! `net` makes outgoing requests under one policy; `cli` and `manage` are the operator's side; `config`, `clock`, `i18n` (translations) and `telemetry` are shared.

pub mod admin;
pub mod authorize;
pub mod background;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod dpop;
pub mod endpoints;
pub mod federation;
pub mod forward_auth;
pub mod http;
pub mod i18n;
pub mod keys;
pub mod ldap;
pub mod mail;
pub mod manage;
pub mod mfa;
pub mod net;
pub mod oidc;
pub mod revocation;
pub mod session;
pub mod startup;
pub mod state;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod token;
