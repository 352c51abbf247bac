//! Forward-auth: gateways (nginx `auth_request`, Caddy `forward_auth`, Traefik
//! `forwardAuth`, Envoy `ext_authz`) ask whether a request may pass, and learn who made it.
//! The rules here are plain functions over the gateway's view of the request; the
//! handlers in `http::forward_auth` only read headers and write the answer.
//!
//! A bearer token is decided in memory: signature by one of our keys, `typ: at+jwt`, our
//! issuer, `exp`/`nbf` with the configured skew, and the revocation set (RFC 6750 answers).
//! A browser without a token is decided by its SSO session, when session mode is on.

pub mod answer;
pub mod bearer;
pub mod original;
pub mod redirect;
pub mod requirements;
pub mod sessions;
pub mod ticket;
