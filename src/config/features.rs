//! `[features]`: which optional capabilities this server offers.

use serde::Deserialize;

/// Optional capabilities an operator may switch off (`[features]`,
/// `PORTCULLIS_FEATURES__<NAME>`). A capability that is off registers no route and is not
/// advertised in discovery (see `endpoints`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// The signed revocation feed and its Server-Sent Events stream, for resource servers.
    pub revocation_feed: bool,
    /// Token introspection (RFC 7662).
    pub introspection: bool,
    /// `/forward-auth` and `/ext-authz/…`: the gateways' authorization service.
    pub forward_auth: bool,
    /// Token exchange at `/token` (RFC 8693).
    pub token_exchange: bool,
    /// The device authorization grant (RFC 8628): `/device_authorization`, `/device`.
    pub device_authorization: bool,
    /// The admin API under `/admin/api/v1/` and its OpenAPI description.
    pub admin_api: bool,
    /// The admin console at `/admin`.
    pub admin_console: bool,
    /// Dynamic client registration (RFC 7591, RFC 7592) at `/register`.
    pub registration: bool,
    /// The demo pages (`/demo`, `/demo/callback`): set by `serve --demo`, not a setting.
    #[serde(skip)]
    pub demo: bool,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            revocation_feed: true,
            introspection: true,
            forward_auth: true,
            token_exchange: true,
            device_authorization: true,
            admin_api: true,
            admin_console: true,
            registration: false,
            demo: false,
        }
    }
}
