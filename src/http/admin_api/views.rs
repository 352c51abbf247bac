//! What the admin API sends and takes: plain JSON shapes with their schemas, mapped
//! from and to the domain types (which the API never exposes directly, so a new internal
//! field cannot leak, and a secret hash is never a field at all).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::client::Client;
use crate::domain::registration::ClientSpec;
use crate::domain::user::User;
use crate::store::audit::AuditEntry;
use crate::store::sessions::SessionRow;

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub id: String,
    pub name: String,
    pub public: bool,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub scopes: Vec<String>,
    /// The default audience of its access tokens.
    pub audience: Option<String>,
    /// Every audience it may ask for with `resource` (RFC 8707).
    pub allowed_audiences: Vec<String>,
    pub skip_consent: bool,
    pub require_pkce: bool,
    pub token_endpoint_auth_method: String,
    /// The registered public JWK set (private_key_jwt).
    pub jwks: Option<Value>,
    pub jwks_uri: Option<String>,
    pub permissions: Vec<String>,
    pub access_token_alg: Option<String>,
    pub id_token_signed_response_alg: Option<String>,
    pub dpop_bound_access_tokens: bool,
    pub require_pushed_authorization_requests: bool,
    pub profile: Option<String>,
    /// `2` or `3`: the authentication level its sign-ins must reach.
    pub require_acr: Option<String>,
    pub exchange_audiences: Vec<String>,
    pub exchange_impersonate: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        let strings = |v: &[String]| v.to_vec();
        ClientView {
            id: c.id.to_string(),
            name: c.name.clone(),
            public: c.public,
            grant_types: c.grant_types.iter().map(|g| g.to_string()).collect(),
            redirect_uris: c.redirect_uris.iter().map(|u| u.to_string()).collect(),
            post_logout_redirect_uris: c
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.to_string())
                .collect(),
            backchannel_logout_uri: c.backchannel_logout_uri.clone(),
            scopes: c.scopes.iter().map(str::to_string).collect(),
            audience: c.default_audience.as_ref().map(|a| a.to_string()),
            allowed_audiences: c.audiences.iter().map(|a| a.to_string()).collect(),
            skip_consent: c.skip_consent,
            require_pkce: c.require_pkce,
            token_endpoint_auth_method: c.token_endpoint_auth_method.to_string(),
            jwks: c.jwks.as_deref().and_then(|j| serde_json::from_str(j).ok()),
            jwks_uri: c.jwks_uri.clone(),
            permissions: strings(&c.permissions),
            access_token_alg: c.access_token_alg.map(|a| a.to_string()),
            id_token_signed_response_alg: c.id_token_alg.map(|a| a.to_string()),
            dpop_bound_access_tokens: c.require_dpop,
            require_pushed_authorization_requests: c.require_par,
            profile: c.profile.map(|p| p.to_string()),
            require_acr: c.require_acr.map(|l| l.as_acr().to_string()),
            exchange_audiences: c.exchange_audiences.iter().map(|a| a.to_string()).collect(),
            exchange_impersonate: c.exchange_impersonate,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A client to register, or (PUT) the whole new registration of one: the fields of
/// `portcullis client create`, checked by the same rules.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// Only at creation (generated when absent); on replacement it must be the path's id
    /// or absent.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub public: bool,
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub allowed_audiences: Vec<String>,
    #[serde(default)]
    pub skip_consent: bool,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// A public JWK set, for private_key_jwt.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub access_token_alg: Option<String>,
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub require_acr: Option<String>,
    #[serde(default)]
    pub exchange_audiences: Vec<String>,
    #[serde(default)]
    pub exchange_impersonate: bool,
}

impl ClientInput {
    pub fn into_spec(self, settings: &crate::config::Settings) -> ClientSpec {
        ClientSpec {
            id: self.id,
            name: self.name,
            public: self.public,
            grant_types: self.grant_types,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            backchannel_logout_uri: self.backchannel_logout_uri,
            scopes: self.scopes,
            audience: self.audience,
            allowed_audiences: self.allowed_audiences,
            skip_consent: self.skip_consent,
            auth_method: self.token_endpoint_auth_method,
            jwks: self.jwks.map(|j| Value::Object(j).to_string()),
            jwks_uri: self.jwks_uri,
            allow_private_destinations: settings.http.allow_private_destinations,
            permissions: self.permissions,
            access_token_alg: self.access_token_alg,
            id_token_alg: self.id_token_signed_response_alg,
            require_dpop: self.dpop_bound_access_tokens,
            require_par: self.require_pushed_authorization_requests,
            profile: self.profile,
            require_acr: self.require_acr,
            exchange_audiences: self.exchange_audiences,
            exchange_impersonate: self.exchange_impersonate,
            algorithms: settings.keys.algorithms.clone(),
        }
    }
}

/// A client just registered, or whose secret was just replaced: the secret is shown
/// here once and never again (and never in `Debug`).
#[derive(Serialize, ToSchema)]
pub struct ClientWithSecret {
    pub client: ClientView,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for ClientWithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientWithSecret")
            .field("client", &self.client.id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClientSecret {
    pub client_secret: String,
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret")
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientPage {
    pub items: Vec<ClientView>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// The subject identifier (`sub`).
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub password_changed_at: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            display_name: u.display_name.clone(),
            roles: u.roles.clone(),
            disabled: u.disabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
            password_changed_at: u.password_changed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// The first password (the password policy applies). Absent: the user cannot sign in
    /// with a password until one is set.
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for UserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInput")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Present and `null` clears a field; absent leaves it.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A partial update of a user (each field present replaces that field).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Disabling ends the user's sessions and revokes their refresh tokens.
    #[serde(default)]
    pub disabled: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    pub password: String,
}

impl std::fmt::Debug for PasswordInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordInput")
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The session id (`sid` in ID tokens and logout tokens).
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    /// Authentication methods (RFC 8176).
    pub amr: Vec<String>,
    pub acr: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

impl From<&SessionRow> for SessionView {
    fn from(s: &SessionRow) -> Self {
        SessionView {
            sid: s.sid.clone(),
            user_id: s.user_id.clone(),
            auth_time: s.auth_time,
            amr: serde_json::from_str(&s.amr).unwrap_or_default(),
            acr: s.acr.clone(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ended {
    /// How many sessions ended.
    pub sessions_ended: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MfaReset {
    pub totp: usize,
    pub passkeys: usize,
    pub recovery_codes: usize,
    pub sessions_ended: usize,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateInput {
    /// One of `keys.algorithms` (default: each of them).
    #[serde(default)]
    pub alg: Option<String>,
    /// Sign with the new key from now on, instead of after the pre-publication time.
    #[serde(default)]
    pub now: bool,
    /// With `now`: drop the previous key from JWKS at once (tokens it signed stop
    /// verifying) — the answer to a compromised key.
    #[serde(default)]
    pub revoke_previous: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rotation {
    pub alg: String,
    /// `created`, `already_pending` or `lost_race` (another instance rotated first).
    pub outcome: String,
    pub kid: Option<String>,
    pub activates_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: i64,
    pub event: String,
    /// Who did it: `cli`, `user:<id>`, `client:<id>`, `system`.
    pub actor: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
    pub trace_id: Option<String>,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        AuditView {
            id: e.id,
            at: e.at,
            event: e.event,
            actor: e.actor,
            user_id: e.user_id,
            client_id: e.client_id,
            ip: e.ip,
            details: serde_json::from_str(&e.details).unwrap_or(Value::Object(Default::default())),
            trace_id: e.trace_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    pub next_cursor: Option<String>,
}
