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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationSettings {
    /// `POST /register` without an initial access token (RFC 7591 §3). Off by default:
    /// anyone who can reach the server could then register a client.
    pub open: bool,
    /// People create their own accounts on `/signup` (username, email, password); the
    /// account exists once the mailed link confirms the address. Off by default.
    pub self_service: bool,
    /// When not empty, sign-up accepts only addresses at these domains (exactly, case
    /// insensitive: `example.com` does not admit `mail.example.com`).
    pub allowed_email_domains: Vec<String>,
    /// `POST /register` requests one source (an IPv6 source per /64) may make per hour,
    /// with or without an initial access token; past it, `429` with `Retry-After`.
    pub rate_limit: i64,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        Self {
            open: false,
            self_service: false,
            allowed_email_domains: Vec::new(),
            rate_limit: 20,
        }
    }
}

/// Outgoing mail (`mail`): where to send it and as whom.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// `smtp://user:pass@host:port` (STARTTLS when the server offers it, required when
    /// the URL says `?tls=required`), `smtps://…` (TLS from the first byte). A secret:
    /// it carries the password. Unset: mail stays queued (and a warning says why).
    pub url: Option<crate::domain::secret::Secret<String>>,
    /// The `From` address, e.g. `Portcullis <id@example.com>`.
    pub from: String,
    /// How long one delivery may take.
    pub timeout_secs: u64,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            url: None,
            from: "Portcullis <portcullis@localhost>".into(),
            timeout_secs: 20,
        }
    }
}
