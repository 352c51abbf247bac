//! The test harness. Test files import from here only, never from each other.
//!
//! - `app`: `TestApp`, the real server on port 0 with one method per endpoint
//! - `db`: `TestDb`, a SQLite file or PostgreSQL database per test
//! - `cli`, `server`: the real binary, as a command runner and as a served process
//! - `clients`, `users`: builders for what a test needs registered
//! - `flow`: the browser-less authorize → sign in → consent → code → token flow, and the
//!   app most flow tests share; `browser`: the cookie-keeping user agent it walks with
//! - `jwt`: verifying what the server signs, independently
//! - `registration`: the dynamic registration endpoints and initial access tokens
//! - `revocations`: reading the revocation feed's event stream
//! - `sessions`: sessions written straight into the database
//! - `stubs`: the other parties (a relying party's endpoints, a client's key server)
//! - `wait`: `wait_until`, one deadline policy, and the timing bounds tests assert
//! - `webdriver`: a real Chromium through chromedriver
//! - `internals`: every library path beyond `startup::Application`, `config`, `clock` and
//!   `store` that tests use, so that a move in `src/` is a one-line change here

pub mod admin;
pub mod app;
pub mod browser;
pub mod cli;
pub mod clients;
pub mod db;
pub mod dpop;
pub mod flow;
pub mod gateway;
pub mod internals;
pub mod jwt;
pub mod prometheus;
pub mod registration;
pub mod revocations;
pub mod server;
pub mod sessions;
pub mod slapd;
pub mod smtp;
pub mod stubs;
pub mod totp;
pub mod users;
pub mod wait;
pub mod webdriver;

pub use app::{
    Response, TestApp, spawn_app, spawn_app_at_own_address, spawn_app_at_own_address_with,
    spawn_app_on, spawn_app_with,
};
pub use browser::{Browser, Page};
pub use cli::Cli;
pub use clients::Client;
pub use db::TestDb;
pub use flow::{
    FlowApp, SPA_CB, T0, Tokens, VERIFIER, WEB_CB, authorize_path, challenge, pkce_request, redeem,
    redeem_spa, sign_in_and_consent, sign_in_public, spa_request, spawn_flow_app,
    spawn_flow_app_with, web_request,
};
pub use jwt::{decode, verify};
pub use server::ServerProcess;
pub use stubs::{BackchannelReceiver, CallbackReceiver};
pub use users::PASSWORD;
pub use wait::wait_until;

/// Skips a test whose component (`missing`, said how) is not installed, or fails it when
/// `PORTCULLIS_TEST_REQUIRE_ALL=1`.
pub fn skip_unless_required(test: &str, missing: &str) {
    if std::env::var("PORTCULLIS_TEST_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("{test}: required (PORTCULLIS_TEST_REQUIRE_ALL=1) but {missing}");
    }
    eprintln!("SKIPPED {test}: {missing}");
}
