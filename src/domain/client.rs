//! A registered OAuth client (RFC 6749 §2) as every rule sees it. The store maps its rows
//! to this; registration (what an operator may ask for) is in `registration`.

use serde::Serialize;

use crate::mfa::level::Level;

use super::audience::Audience;
use super::client_id::ClientId;
use super::redirect_uri::RedirectUri;
use super::scope::Scope;
use crate::clock::UnixTime;

pub use super::auth_method::AuthMethod;
pub use super::grant_type::GrantType;
pub use super::profile::ClientProfile;
use super::signing_alg::SigningAlg;

/// The permission that lets a resource server introspect any token, not only the ones
/// issued to it or addressed to it (RFC 7662 §4 leaves the policy to the server).
pub const PERMISSION_INTROSPECT: &str = "introspect";

#[derive(Clone, Serialize)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub public: bool,
    /// SHA-256 of the client secret; never serialized, never in `Debug`.
    #[serde(skip)]
    pub secret_hash: Option<Vec<u8>>,
    pub grant_types: Vec<GrantType>,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub backchannel_logout_uri: Option<String>,
    /// Everything this client may ask for.
    pub scopes: Scope,
    /// Every audience it may ask for with `resource` (RFC 8707).
    pub audiences: Vec<Audience>,
    pub default_audience: Option<Audience>,
    pub skip_consent: bool,
    pub require_pkce: bool,
    pub token_endpoint_auth_method: AuthMethod,
    /// private_key_jwt: the registered JWK set, or where to fetch it.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    /// Extra rights, e.g. [`PERMISSION_INTROSPECT`].
    pub permissions: Vec<String>,
    /// What signs its access tokens; `None`: `tokens.access_token_alg`.
    pub access_token_alg: Option<SigningAlg>,
    /// `id_token_signed_response_alg` (OIDC Dynamic Registration §2); `None`: the default.
    #[serde(rename = "id_token_signed_response_alg")]
    pub id_token_alg: Option<SigningAlg>,
    /// `dpop_bound_access_tokens` (RFC 9449 §5.2): token requests without a DPoP proof are
    /// refused.
    #[serde(rename = "dpop_bound_access_tokens")]
    pub require_dpop: bool,
    /// `require_pushed_authorization_requests` (RFC 9126 §6): `/authorize` only with a
    /// `request_uri` from `/par`.
    #[serde(rename = "require_pushed_authorization_requests")]
    pub require_par: bool,
    /// A security profile whose rules apply on top of the flags above.
    pub profile: Option<ClientProfile>,
    /// The authentication level its sign-ins must reach (`--require-acr 2|3`), whatever
    /// `acr_values` the request carries.
    #[serde(rename = "default_acr_values", serialize_with = "acr_as_values")]
    pub require_acr: Option<Level>,
    /// Token exchange (RFC 8693): the audiences it may obtain (`--exchange-audience`).
    pub exchange_audiences: Vec<Audience>,
    /// It may ask for impersonation tokens (no `act`) (`--exchange-impersonate`).
    pub exchange_impersonate: bool,
    /// It registered itself (RFC 7591): its name and addresses are its own word, so our
    /// pages say so and name where they send the person (hardening round 2, finding 9).
    #[serde(skip)]
    pub self_registered: bool,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// `default_acr_values` (OIDC Dynamic Registration §2): a list, as the metadata has it.
fn acr_as_values<S: serde::Serializer>(level: &Option<Level>, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    level.map(|l| [l.as_acr()]).serialize(s)
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// Must push its authorization requests: its own flag, its profile, or `par.required`.
    pub fn must_use_par(&self, globally_required: bool) -> bool {
        globally_required || self.require_par || self.profile == Some(ClientProfile::Fapi2)
    }

    /// Its access tokens must be DPoP-bound.
    pub fn must_use_dpop(&self) -> bool {
        self.require_dpop || self.profile == Some(ClientProfile::Fapi2)
    }
}

/// Fixtures for unit tests of the rules: a client of each common shape.
#[cfg(test)]
pub mod fixtures {
    use super::*;

    pub fn confidential_web_app() -> Client {
        Client {
            id: ClientId::from_stored("web".into()),
            name: "Web".into(),
            public: false,
            secret_hash: None,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            redirect_uris: vec![RedirectUri::from_stored("https://app.example/cb".into())],
            post_logout_redirect_uris: vec![RedirectUri::from_stored(
                "https://app.example/bye".into(),
            )],
            backchannel_logout_uri: None,
            scopes: Scope::parse("openid profile email offline_access").unwrap(),
            audiences: vec![],
            default_audience: None,
            skip_consent: false,
            require_pkce: false,
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
            jwks: None,
            jwks_uri: None,
            permissions: vec![],
            access_token_alg: None,
            id_token_alg: None,
            require_dpop: false,
            require_par: false,
            profile: None,
            require_acr: None,
            exchange_audiences: vec![],
            exchange_impersonate: false,
            self_registered: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    pub fn public_spa() -> Client {
        Client {
            id: ClientId::from_stored("spa".into()),
            public: true,
            require_pkce: true,
            token_endpoint_auth_method: AuthMethod::None,
            redirect_uris: vec![RedirectUri::from_stored("https://spa.example/cb".into())],
            ..confidential_web_app()
        }
    }

    pub fn service() -> Client {
        Client {
            id: ClientId::from_stored("svc".into()),
            name: "Svc".into(),
            grant_types: vec![GrantType::ClientCredentials],
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            scopes: Scope::parse("a.read a.write").unwrap(),
            audiences: vec![
                Audience::from_trusted("https://api.a"),
                Audience::from_trusted("https://api.b"),
            ],
            default_audience: Some(Audience::from_trusted("https://api.a")),
            ..confidential_web_app()
        }
    }
}
