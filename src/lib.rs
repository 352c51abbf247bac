//! Portcullis: an OAuth 2.0 / OpenID Connect authorization server.
//!
//! Layers, each depending only on the ones below it:
//! `http` (actix handlers) → `domain` (clients, users, tokens) → `store` (diesel).
//! `cli` and `startup` wire them together; `config` and `telemetry` are shared.

pub mod authorize;
pub mod backchannel;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod discovery;
pub mod domain;
pub mod error;
pub mod http;
pub mod invalidation;
pub mod keys;
pub mod login;
pub mod logout;
pub mod manage;
pub mod oidc;
pub mod registry;
pub mod revocations;
pub mod secret;
pub mod session;
pub mod startup;
pub mod store;
pub mod sweep;
pub mod telemetry;
pub mod token;
