//! The tokens a user's grant yields (authorization code and refresh): an RFC 9068 access
//! token with the user's claims, an ID token when `openid` was granted (OIDC Core
//! §3.1.3.3), and a rotated refresh token when the client may refresh (RFC 6749 §6).

use serde_json::{Map, Value, json};

use super::access_token::{self, AccessTokenRequest};
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::config::TokenSettings;
use crate::domain::audience::Audience;
use crate::domain::client::{Client, GrantType};
use crate::domain::opaque;
use crate::domain::scope::Scope;
use crate::domain::user::User;
use crate::keys::{KeySet, SigningAlg};
use crate::oidc::id_token::{self, IdTokenRequest};
use crate::store::grants::GrantStore;
use crate::store::refresh_tokens::RefreshRow;

/// Refresh tokens carry 256 bits of randomness.
pub const REFRESH_TOKEN_BYTES: usize = 32;

/// What signs tokens and how long they live: the same for every grant.
#[derive(Clone, Copy)]
pub struct Issuer<'a> {
    pub keys: &'a KeySet,
    /// The configured issuer, byte for byte (DESIGN.md decision 9).
    pub issuer: &'a str,
    pub tokens: &'a TokenSettings,
    /// The status index the access token gets (allocated before the rule runs).
    pub status: Option<&'a TokenStatus>,
    /// The thumbprint of the key a valid DPoP proof was made with, when the request
    /// carried one (checked by the handler before the rule runs): the access token is
    /// bound to it (RFC 9449 §5).
    pub dpop_jkt: Option<&'a str>,
}

impl Issuer<'_> {
    /// What signs `client`'s access tokens.
    pub fn access_alg(&self, client: &Client) -> SigningAlg {
        client
            .access_token_alg
            .unwrap_or(self.tokens.access_token_alg)
    }

    /// What signs `client`'s ID tokens (`id_token_signed_response_alg`, else the default).
    pub fn id_token_alg(&self, client: &Client) -> SigningAlg {
        client.id_token_alg.unwrap_or(self.keys.default_alg())
    }

    /// RFC 9449 §5: `DPoP` for a bound token, `Bearer` otherwise.
    pub fn token_type(&self) -> &'static str {
        if self.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        }
    }
}

/// An access token's place in a Token Status List.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStatus {
    /// The list's URI (`status.status_list.uri`).
    pub uri: String,
    pub list_id: String,
    pub idx: i64,
}

/// What the sign-in established, carried by codes and refresh tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A user's grant, ready to be turned into tokens.
pub struct UserGrant<'a> {
    pub client: &'a Client,
    pub user: &'a User,
    /// Scope of this access token (may be narrower than the grant on refresh).
    pub scope: &'a Scope,
    /// Scope of the whole grant, kept by the refresh token.
    pub granted_scope: &'a Scope,
    pub authn: &'a Authentication,
    pub nonce: Option<&'a str>,
    /// The refresh family to continue (or to start under an id chosen beforehand), and
    /// its absolute end; `None` starts a new one.
    pub family: Option<(String, UnixTime)>,
    /// The access token's `jti`, when the caller recorded it beforehand.
    pub access_jti: Option<String>,
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

/// Access-token audience for a user's token: the client's default audience, and this
/// issuer when `openid` was granted so the token works at UserInfo.
fn audience(issuer: &str, client: &Client, scope: &Scope) -> Vec<Audience> {
    let mut aud: Vec<Audience> = client.default_audience.iter().cloned().collect();
    if scope.is_openid() || aud.is_empty() {
        aud.push(Audience::from_trusted(issuer));
    }
    aud
}

pub fn issue(
    ctx: &Issuer<'_>,
    store: &mut impl GrantStore,
    g: UserGrant<'_>,
    now: UnixTime,
) -> Result<Issued, TokenError> {
    let tokens = ctx.tokens;
    let mut extra = Map::new();
    extra.insert("auth_time".into(), json!(g.authn.auth_time));
    if let Some(acr) = &g.authn.acr {
        extra.insert("acr".into(), json!(acr));
    }
    // RFC 9068 §2.2.1 lists `acr`, `amr` and `auth_time` for tokens issued to a user: a
    // resource server (RFC 9470) judges the sign-in from them.
    if !g.authn.amr.is_empty() {
        extra.insert("amr".into(), json!(g.authn.amr));
    }
    extra.insert("roles".into(), json!(g.user.roles));
    // The person's username, so a gateway can say who it is (`Remote-User`) without a
    // database read; a machine's token never has it.
    extra.insert("preferred_username".into(), json!(g.user.username));
    // The session id lets resource servers drop the token when the session ends (feed).
    if let Some(sid) = &g.authn.sid {
        extra.insert("sid".into(), json!(sid));
    }
    let aud = audience(ctx.issuer, g.client, g.scope);
    let jti = g.access_jti.clone().unwrap_or_else(opaque::identifier);
    let access = access_token::issue(
        ctx.keys,
        &AccessTokenRequest {
            jti: &jti,
            issuer: ctx.issuer,
            subject: &g.user.id,
            client_id: &g.client.id,
            audience: &aud,
            scope: g.scope,
            now,
            ttl: tokens.access_token_ttl_secs,
            extra,
            status: ctx.status.map(|s| (s.uri.as_str(), s.idx)),
            alg: ctx.access_alg(g.client),
            jkt: ctx.dpop_jkt,
        },
    )
    .map_err(server_error)?;
    // Ending the session, or revoking this token, sets its bit.
    if let Some(s) = ctx.status {
        store.record_status(
            &s.list_id,
            s.idx,
            &jti,
            g.authn.sid.as_deref(),
            now + access.expires_in,
        )?;
    }
    let mut body = json!({
        "access_token": access.token,
        "token_type": ctx.token_type(),
        "expires_in": access.expires_in,
        "scope": g.scope.to_string(),
    });
    if g.scope.is_openid() {
        let id_token = id_token::issue(
            ctx.keys,
            &IdTokenRequest {
                issuer: ctx.issuer,
                subject: &g.user.id,
                client_id: &g.client.id,
                auth_time: g.authn.auth_time,
                nonce: g.nonce,
                acr: g.authn.acr.as_deref(),
                amr: g.authn.amr.clone(),
                sid: g.authn.sid.as_deref(),
                access_token: &access.token,
                now,
                ttl: tokens.id_token_ttl_secs,
                alg: ctx.id_token_alg(g.client),
            },
        )
        .map_err(server_error)?;
        body["id_token"] = json!(id_token);
    }
    let access_expires_at = now + access.expires_in;
    let mut refresh_family = None;
    if g.client.may_use(GrantType::RefreshToken) {
        let (family_id, family_end) = g.family.unwrap_or_else(|| {
            (
                opaque::identifier(),
                now + tokens.refresh_token_absolute_secs,
            )
        });
        let token = opaque::generate(REFRESH_TOKEN_BYTES);
        let row = RefreshRow {
            token_hash: opaque::hash(token.expose()),
            family_id: family_id.clone(),
            client_id: g.client.id.to_string(),
            user_id: Some(g.user.id.clone()),
            session_sid: g.authn.sid.clone(),
            scope: g.granted_scope.to_string(),
            audience: None,
            auth_time: Some(g.authn.auth_time),
            issued_at: now,
            expires_at: (now + tokens.refresh_token_idle_secs).min(family_end),
            consumed_at: None,
            revoked_at: None,
            amr: Some(json!(g.authn.amr).to_string()),
            acr: g.authn.acr.clone(),
            family_expires_at: Some(family_end),
            // RFC 9449 §5: refresh tokens of public clients are bound to the proof's key;
            // a confidential client's are already bound to its credentials.
            dpop_jkt: ctx.dpop_jkt.filter(|_| g.client.public).map(str::to_string),
        };
        store.insert_refresh(&row, &access.jti, access_expires_at)?;
        body["refresh_token"] = json!(token.expose());
        refresh_family = Some(family_id);
    }
    Ok(Issued {
        body,
        access_jti: access.jti,
        access_expires_at,
        refresh_family,
    })
}
