//! One integration-test binary: each module is one area, each test starts what it needs
//! (the real server on a random port, the real CLI binary) against its own database.
//! Everything shared lives in `helpers/` (see `helpers.rs`); test files import from there
//! only, never from one another.

mod authorize_flow;
mod backchannel_delivery;
mod backchannel_restart;
mod bench_harness;
mod chromium;
mod cli_audit;
mod cli_clients;
mod cli_users;
mod cluster;
mod code_replay;
mod concurrency;
mod config_errors;
mod crash;
mod csrf;
mod demo;
mod device_browser;
mod device_flow;
mod discovery;
mod dpop;
mod fapi2;
mod features;
mod forward_auth;
mod forward_auth_gateways;
mod guard_e2e;
mod health;
mod helpers;
mod introspection_jwt;
mod key_rotation;
mod key_storage;
mod keys;
mod limits;
mod logout;
mod metrics;
mod mfa;
mod mfa_step_up;
mod openid_client;
mod outage;
mod outbound;
mod par;
mod passkeys;
mod persistence;
mod private_key_jwt;
mod refresh;
mod registration;
mod revocation;
mod shutdown;
mod sso;
mod status_lists;
mod sweep;
mod throttling;
mod token;
mod token_exchange;
mod traces;
