//! The tokens a user's grant yields (authorization code and refresh): an RFC 9068 access
//! token with the user's claims, an ID token when `openid` was granted, and a rotated
//! refresh token when the client may refresh.

use serde_json::{Map, Value, json};

use super::access_token::{self, AccessTokenRequest};
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::domain::client::GrantType;
use crate::domain::opaque;
use crate::oidc::id_token::{self, IdTokenRequest};
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::clients::Client;
use crate::store::refresh_tokens::{self, RefreshRow};
use crate::store::users::User;

/// Refresh tokens carry 256 bits of randomness.
pub const REFRESH_TOKEN_BYTES: usize = 32;

/// What the sign-in established, carried by codes and refresh tokens.
#[derive(Debug, Clone)]
pub struct Authentication {
    pub auth_time: UnixTime,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub sid: Option<String>,
}

/// The stored `amr` (a JSON array); a malformed value reads as none rather than failing
/// the exchange.
pub fn parse_amr(stored: Option<&str>) -> Vec<String> {
    stored
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default()
}

pub struct Issued {
    pub body: Value,
    pub access_jti: String,
    pub access_expires_at: UnixTime,
    pub refresh_family: Option<String>,
}

pub fn server_error(e: impl std::fmt::Display) -> TokenError {
    tracing::error!(error = %e, "token issuance failed");
    TokenError::new(ErrorCode::ServerError, "the token could not be issued")
}

pub fn store_error(e: StoreError) -> TokenError {
    if e.is_unavailable() {
        TokenError::new(ErrorCode::TemporarilyUnavailable, "try again shortly")
    } else {
        server_error(e)
    }
}

/// Access-token audience for a user's token: the client's default audience, and this
/// issuer when `openid` was granted so the token works at UserInfo.
fn audience(state: &AppState, client: &Client, scope: &[String]) -> Vec<String> {
    let mut aud: Vec<String> = client.default_audience.iter().cloned().collect();
    if scope.iter().any(|s| s == "openid") || aud.is_empty() {
        aud.push(state.settings.issuer.clone());
    }
    aud
}

pub struct Grant<'a> {
    pub client: &'a Client,
    pub user: &'a User,
    /// Scope of this access token (may be narrower than the grant on refresh).
    pub scope: &'a [String],
    /// Scope of the whole grant, kept by the refresh token.
    pub granted_scope: &'a [String],
    pub authn: &'a Authentication,
    pub nonce: Option<&'a str>,
    /// The refresh family to continue, and its absolute end; `None` starts one.
    pub family: Option<(String, UnixTime)>,
}

pub async fn issue(state: &AppState, g: Grant<'_>) -> Result<Issued, TokenError> {
    let now = state.clock.now();
    let settings = &state.settings;
    let mut extra = Map::new();
    extra.insert("auth_time".into(), json!(g.authn.auth_time));
    if let Some(acr) = &g.authn.acr {
        extra.insert("acr".into(), json!(acr));
    }
    extra.insert("roles".into(), json!(g.user.roles));
    // The session id lets resource servers drop the token when the session ends (feed).
    if let Some(sid) = &g.authn.sid {
        extra.insert("sid".into(), json!(sid));
    }
    let aud = audience(state, g.client, g.scope);
    let access = access_token::issue(
        &state.keys,
        &AccessTokenRequest {
            issuer: &settings.issuer,
            subject: &g.user.id,
            client_id: &g.client.id,
            audience: &aud,
            scope: g.scope,
            now,
            ttl: settings.tokens.access_token_ttl_secs,
            extra,
        },
    )
    .map_err(server_error)?;
    let mut body = json!({
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        "scope": g.scope.join(" "),
    });
    if g.scope.iter().any(|s| s == "openid") {
        let id_token = id_token::issue(
            &state.keys,
            &IdTokenRequest {
                issuer: &settings.issuer,
                subject: &g.user.id,
                client_id: &g.client.id,
                auth_time: g.authn.auth_time,
                nonce: g.nonce,
                acr: g.authn.acr.as_deref(),
                amr: g.authn.amr.clone(),
                sid: g.authn.sid.as_deref(),
                access_token: &access.token,
                now,
                ttl: settings.tokens.id_token_ttl_secs,
            },
        )
        .map_err(server_error)?;
        body["id_token"] = json!(id_token);
    }
    let mut refresh_family = None;
    if g.client.grant_types.contains(&GrantType::RefreshToken) {
        let (family_id, family_end) = g.family.unwrap_or_else(|| {
            (
                opaque::identifier(),
                now + settings.tokens.refresh_token_absolute_secs,
            )
        });
        let token = opaque::generate(REFRESH_TOKEN_BYTES);
        let row = RefreshRow {
            token_hash: opaque::hash(token.expose()),
            family_id: family_id.clone(),
            client_id: g.client.id.clone(),
            user_id: Some(g.user.id.clone()),
            session_sid: g.authn.sid.clone(),
            scope: g.granted_scope.join(" "),
            audience: None,
            auth_time: Some(g.authn.auth_time),
            issued_at: now,
            expires_at: (now + settings.tokens.refresh_token_idle_secs).min(family_end),
            consumed_at: None,
            revoked_at: None,
            amr: Some(json!(g.authn.amr).to_string()),
            acr: g.authn.acr.clone(),
            family_expires_at: Some(family_end),
        };
        state
            .store
            .run(move |c| refresh_tokens::insert(c, &row))
            .await
            .map_err(store_error)?;
        body["refresh_token"] = json!(token.expose());
        let (jti, exp, family) = (
            access.jti.clone(),
            now + access.expires_in,
            family_id.clone(),
        );
        state
            .store
            .run(move |c| refresh_tokens::record_access_token(c, &jti, &family, exp))
            .await
            .map_err(store_error)?;
        refresh_family = Some(family_id);
    }
    Ok(Issued {
        body,
        access_jti: access.jti,
        access_expires_at: now + access.expires_in,
        refresh_family,
    })
}
