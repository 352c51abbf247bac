//! Every HTTP endpoint of the server, in one list that both wires the routes
//! (`http::routes`) and writes discovery (`oidc::discovery`), so what is off is neither
//! served nor advertised (DESIGN.md decisions 8 and 15).

use crate::config::Features;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Healthz,
    Readyz,
    Jwks,
    OpenidConfiguration,
    OauthMetadata,
    Authorize,
    Login,
    Consent,
    Token,
    Par,
    Userinfo,
    Revoke,
    Introspect,
    Logout,
    RevocationFeed,
    RevocationStream,
    StatusListAggregation,
    StatusList,
    ForwardAuth,
    ExtAuthz,
    SignIn,
    LoginFactor,
    SignInFactor,
    Account,
    AccountTotp,
    AccountTotpConfirm,
    AccountTotpRemove,
    AccountRecoveryCodes,
    LoginPasskey,
    SignInPasskey,
    AccountPasskeys,
    AccountPasskeyRename,
    AccountPasskeyRemove,
    AccountSessionEnd,
    AccountAppRevoke,
    AccountPassword,
    AccountProfile,
    PasswordForgot,
    PasswordReset,
    AccountEmail,
    EmailConfirm,
    DeviceAuthorization,
    Device,
    DeviceDecision,
    AdminApi,
    AdminOpenApi,
    AdminConsole,
    DemoStart,
    DemoCallback,
    Register,
    RegisterClient,
    SignUp,
    SignUpConfirm,
    BrandingLogo,
    BrandingStylesheet,
    UpstreamStart,
    UpstreamCallback,
    UpstreamBackchannel,
}

impl Endpoint {
    pub const ALL: [Endpoint; 58] = [
        Endpoint::Healthz,
        Endpoint::Readyz,
        Endpoint::Jwks,
        Endpoint::OpenidConfiguration,
        Endpoint::OauthMetadata,
        Endpoint::Authorize,
        Endpoint::Login,
        Endpoint::Consent,
        Endpoint::Token,
        Endpoint::Par,
        Endpoint::Userinfo,
        Endpoint::Revoke,
        Endpoint::Introspect,
        Endpoint::Logout,
        Endpoint::RevocationFeed,
        Endpoint::RevocationStream,
        Endpoint::StatusListAggregation,
        Endpoint::StatusList,
        Endpoint::ForwardAuth,
        Endpoint::ExtAuthz,
        Endpoint::SignIn,
        Endpoint::LoginFactor,
        Endpoint::SignInFactor,
        Endpoint::Account,
        Endpoint::AccountTotp,
        Endpoint::AccountTotpConfirm,
        Endpoint::AccountTotpRemove,
        Endpoint::AccountRecoveryCodes,
        Endpoint::LoginPasskey,
        Endpoint::SignInPasskey,
        Endpoint::AccountPasskeys,
        Endpoint::AccountPasskeyRename,
        Endpoint::AccountPasskeyRemove,
        Endpoint::AccountSessionEnd,
        Endpoint::AccountAppRevoke,
        Endpoint::AccountPassword,
        Endpoint::AccountProfile,
        Endpoint::PasswordForgot,
        Endpoint::PasswordReset,
        Endpoint::AccountEmail,
        Endpoint::EmailConfirm,
        Endpoint::DeviceAuthorization,
        Endpoint::Device,
        Endpoint::DeviceDecision,
        Endpoint::AdminApi,
        Endpoint::AdminOpenApi,
        Endpoint::AdminConsole,
        Endpoint::DemoStart,
        Endpoint::DemoCallback,
        Endpoint::Register,
        Endpoint::RegisterClient,
        Endpoint::SignUp,
        Endpoint::SignUpConfirm,
        Endpoint::BrandingLogo,
        Endpoint::BrandingStylesheet,
        Endpoint::UpstreamStart,
        Endpoint::UpstreamCallback,
        Endpoint::UpstreamBackchannel,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Healthz => "/healthz",
            Endpoint::Readyz => "/readyz",
            Endpoint::Jwks => "/.well-known/jwks.json",
            Endpoint::OpenidConfiguration => "/.well-known/openid-configuration",
            Endpoint::OauthMetadata => "/.well-known/oauth-authorization-server",
            Endpoint::Authorize => "/authorize",
            Endpoint::Login => "/login",
            Endpoint::Consent => "/consent",
            Endpoint::Token => "/token",
            Endpoint::Par => "/par",
            Endpoint::Userinfo => "/userinfo",
            Endpoint::Revoke => "/revoke",
            Endpoint::Introspect => "/introspect",
            Endpoint::Logout => "/logout",
            Endpoint::RevocationFeed => "/revocations",
            Endpoint::RevocationStream => "/revocations/stream",
            Endpoint::StatusListAggregation => "/statuslists",
            Endpoint::StatusList => "/statuslists/{id}",
            Endpoint::ForwardAuth => "/forward-auth",
            // Envoy's `path_prefix` is `/ext-authz/<policy>`; the original path follows.
            Endpoint::ExtAuthz => "/ext-authz/{policy}{tail:.*}",
            Endpoint::SignIn => "/signin",
            Endpoint::LoginFactor => "/login/factor",
            Endpoint::SignInFactor => "/signin/factor",
            Endpoint::Account => "/account",
            Endpoint::AccountTotp => "/account/totp",
            Endpoint::AccountTotpConfirm => "/account/totp/confirm",
            Endpoint::AccountTotpRemove => "/account/totp/remove",
            Endpoint::AccountRecoveryCodes => "/account/recovery-codes",
            Endpoint::LoginPasskey => "/login/passkey",
            Endpoint::SignInPasskey => "/signin/passkey",
            Endpoint::AccountPasskeys => "/account/passkeys",
            Endpoint::AccountPasskeyRename => "/account/passkeys/rename",
            Endpoint::AccountPasskeyRemove => "/account/passkeys/remove",
            Endpoint::AccountSessionEnd => "/account/sessions/end",
            Endpoint::AccountAppRevoke => "/account/apps/revoke",
            Endpoint::AccountPassword => "/account/password",
            Endpoint::AccountProfile => "/account/profile",
            Endpoint::PasswordForgot => "/password/forgot",
            Endpoint::PasswordReset => "/password/reset",
            Endpoint::AccountEmail => "/account/email",
            Endpoint::EmailConfirm => "/email/confirm",
            Endpoint::DeviceAuthorization => "/device_authorization",
            Endpoint::Device => "/device",
            Endpoint::DeviceDecision => "/device/decision",
            // A scope: the API's own routes are under it (`http::admin_api::routes`).
            Endpoint::AdminApi => "/admin/api/v1",
            Endpoint::AdminOpenApi => "/admin/api/openapi.json",
            // A scope too (`http::admin_console::routes`), after the API's.
            Endpoint::AdminConsole => "/admin",
            Endpoint::DemoStart => "/demo",
            Endpoint::DemoCallback => "/demo/callback",
            // RFC 7591 §3; RFC 7592 §1: the client configuration endpoint under it.
            Endpoint::Register => "/register",
            Endpoint::RegisterClient => "/register/{client_id}",
            // Self-service sign-up (`registration.self_service`; 404 while off).
            Endpoint::SignUp => "/signup",
            Endpoint::SignUpConfirm => "/signup/confirm",
            Endpoint::BrandingLogo => "/branding/logo",
            Endpoint::BrandingStylesheet => "/branding/style.css",
            // Signing in with an upstream OpenID provider (`portcullis upstream add`).
            Endpoint::UpstreamStart => "/upstream/{name}/start",
            Endpoint::UpstreamCallback => "/upstream/{name}/callback",
            Endpoint::UpstreamBackchannel => "/upstream/{name}/backchannel",
        }
    }

    /// The metadata member that advertises this endpoint (RFC 8414 §2, OpenID Connect
    /// Discovery §3, RFC 7009 / RFC 7662 via RFC 8414, RP-Initiated Logout §2.1); ours
    /// are prefixed `portcullis_`. `None` for endpoints discovery does not name.
    pub fn metadata_name(self) -> Option<&'static str> {
        match self {
            Endpoint::Jwks => Some("jwks_uri"),
            Endpoint::Authorize => Some("authorization_endpoint"),
            Endpoint::Token => Some("token_endpoint"),
            // RFC 9126 §5.
            Endpoint::Par => Some("pushed_authorization_request_endpoint"),
            // RFC 8628 §4.
            Endpoint::DeviceAuthorization => Some("device_authorization_endpoint"),
            // OpenID Connect Discovery §3, RFC 8414 §2.
            Endpoint::Register => Some("registration_endpoint"),
            Endpoint::Userinfo => Some("userinfo_endpoint"),
            Endpoint::Revoke => Some("revocation_endpoint"),
            Endpoint::Introspect => Some("introspection_endpoint"),
            Endpoint::Logout => Some("end_session_endpoint"),
            Endpoint::RevocationFeed => Some("portcullis_revocation_feed_endpoint"),
            Endpoint::RevocationStream => Some("portcullis_revocation_stream_endpoint"),
            // draft-ietf-oauth-status-list §9.3.
            Endpoint::StatusListAggregation => Some("status_list_aggregation_endpoint"),
            _ => None,
        }
    }

    /// Whether the operator's `[features]` keep this endpoint.
    pub fn enabled(self, features: &Features) -> bool {
        match self {
            Endpoint::Introspect => features.introspection,
            Endpoint::RevocationFeed | Endpoint::RevocationStream => features.revocation_feed,
            Endpoint::ForwardAuth | Endpoint::ExtAuthz => features.forward_auth,
            Endpoint::DeviceAuthorization | Endpoint::Device | Endpoint::DeviceDecision => {
                features.device_authorization
            }
            Endpoint::AdminApi | Endpoint::AdminOpenApi => features.admin_api,
            Endpoint::AdminConsole => features.admin_console,
            // Only `serve --demo`.
            Endpoint::DemoStart | Endpoint::DemoCallback => features.demo,
            Endpoint::Register | Endpoint::RegisterClient => features.registration,
            _ => true,
        }
    }

    /// The absolute URL of this endpoint under `issuer`.
    pub fn url(self, issuer: &str) -> String {
        format!("{issuer}{}", self.path())
    }
}

/// The endpoints this configuration serves.
pub fn enabled(features: &Features) -> impl Iterator<Item = Endpoint> + '_ {
    Endpoint::ALL.into_iter().filter(|e| e.enabled(features))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_a_feature_off_removes_its_endpoints() {
        let all: Vec<_> = enabled(&Features {
            registration: true,
            demo: true,
            ..Features::default()
        })
        .collect();
        assert_eq!(all.len(), Endpoint::ALL.len());
        // The demo pages only with `serve --demo`.
        assert!(!enabled(&Features::default()).any(|e| e == Endpoint::DemoCallback));
        let off = Features {
            revocation_feed: false,
            introspection: false,
            forward_auth: false,
            token_exchange: false,
            device_authorization: false,
            admin_api: false,
            admin_console: false,
            registration: false,
            demo: false,
        };
        let left: Vec<_> = enabled(&off).collect();
        assert!(!left.contains(&Endpoint::Introspect));
        assert!(!left.contains(&Endpoint::RevocationFeed));
        assert!(!left.contains(&Endpoint::RevocationStream));
        assert!(!left.contains(&Endpoint::ForwardAuth));
        assert!(!left.contains(&Endpoint::ExtAuthz));
        assert!(!left.contains(&Endpoint::AdminApi));
        assert!(!left.contains(&Endpoint::AdminOpenApi));
        assert!(!left.contains(&Endpoint::AdminConsole));
        assert!(!left.contains(&Endpoint::Register));
        assert!(!left.contains(&Endpoint::RegisterClient));
        assert!(left.contains(&Endpoint::Token));
    }

    #[test]
    fn paths_are_distinct() {
        let mut paths: Vec<_> = Endpoint::ALL.iter().map(|e| e.path()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), Endpoint::ALL.len());
    }
}
