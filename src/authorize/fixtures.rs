//! Fixtures for the authorization rules' unit tests.

use std::sync::Arc;

use super::request::{AuthRequest, Params, validate};
use crate::clock::UnixTime;
use crate::domain::client::fixtures::confidential_web_app;

/// An arbitrary, fixed "now".
pub const NOW: UnixTime = 1_800_000_000;

/// The web app's request for `openid profile` with state `s`; `extra` is appended to the
/// query as given (`&name=value…`).
pub fn request(extra: &str) -> AuthRequest {
    let query = format!(
        "response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid+profile&state=s{extra}"
    );
    validate(&Params::parse(&query), |_| {
        Some(Arc::new(confidential_web_app()))
    })
    .unwrap()
}
