//! Settings of administration: the admin console's sign-in bar, and dynamic client
//! registration (RFC 7591).

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// The console asks for `acr` ≥ 2 (a second factor) from every admin, not only from
    /// those who enrolled one.
    pub require_mfa: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationSettings {
    /// `POST /register` without an initial access token (RFC 7591 §3). Off by default:
    /// anyone who can reach the server could then register a client.
    pub open: bool,
}
