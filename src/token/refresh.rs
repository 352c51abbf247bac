//! The refresh-token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700
//! §4.14.2): each use returns a new token of the same family; presenting a token that was
//! already used revokes the family.

use serde_json::Value;

use super::form::TokenForm;
use super::refresh_flow;
use super::user_tokens::{self, Authentication, Grant, store_error};
use super::{ErrorCode, TokenError};
use crate::domain::client::{GrantType, is_scope_token};
use crate::domain::opaque;
use crate::startup::AppState;
use crate::store::clients::Client;
use crate::store::{refresh_tokens, users};

fn invalid_grant(d: &str) -> TokenError {
    TokenError::invalid_grant(d)
}

pub async fn refresh(
    state: &AppState,
    client: &Client,
    form: &TokenForm,
) -> Result<Value, TokenError> {
    if !client.grant_types.contains(&GrantType::RefreshToken) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the refresh_token grant",
        ));
    }
    let token = form
        .get("refresh_token")
        .ok_or_else(|| TokenError::invalid_request("refresh_token is missing"))?;
    let now = state.clock.now();
    let hash = opaque::hash(token);
    // Look first, consume last: a request that fails its checks (a widened scope, say)
    // leaves the token usable instead of burning it.
    let lookup = hash.clone();
    let row = state
        .store
        .run(move |c| refresh_tokens::find(c, &lookup))
        .await
        .map_err(store_error)?
        .filter(|r| r.client_id == client.id)
        .ok_or_else(|| invalid_grant("the refresh token is invalid or expired"))?;
    if row.consumed_at.is_some() || row.revoked_at.is_some() {
        return Err(reuse(state, &row.family_id, &client.id, now).await);
    }
    let family_end = row.family_expires_at.unwrap_or(row.expires_at);
    if row.expires_at <= now || family_end <= now {
        return Err(invalid_grant("the refresh token is invalid or expired"));
    }
    let granted: Vec<String> = row
        .scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(requested) = form.get("scope") {
        if requested
            .split(' ')
            .any(|s| !s.is_empty() && !is_scope_token(s))
        {
            return Err(TokenError::new(
                ErrorCode::InvalidScope,
                "the scope is malformed",
            ));
        }
    }
    let (machine, scope) = refresh_flow::check(&row, &client.id, token, form.get("scope"))?;
    // Rotation: exactly one request can consume the token; a concurrent one is a reuse.
    let client_id = client.id.clone();
    let consumed = state
        .store
        .run(move |c| refresh_tokens::consume(c, &hash, &client_id, now))
        .await
        .map_err(store_error)?;
    if consumed.is_none() {
        return Err(reuse(state, &row.family_id, &client.id, now).await);
    }
    let user_id = row.user_id.clone().unwrap_or_default();
    let user = state
        .store
        .run(move |c| users::find_by_id(c, &user_id))
        .await
        .map_err(store_error)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid_grant("the user of this grant is no longer active"))?;
    let authn = Authentication {
        auth_time: row.auth_time.unwrap_or(row.issued_at),
        acr: row.acr.clone(),
        amr: user_tokens::parse_amr(row.amr.as_deref()),
        sid: row.session_sid.clone(),
    };
    let issued = user_tokens::issue(
        state,
        Grant {
            client,
            user: &user,
            scope: &scope,
            granted_scope: &granted,
            authn: &authn,
            nonce: None,
            family: Some((row.family_id.clone(), family_end)),
        },
    )
    .await?;
    refresh_flow::finish(
        machine,
        issued.body["access_token"].as_str().unwrap_or_default(),
        issued.body["refresh_token"].as_str().map(str::to_string),
    )?;
    Ok(issued.body)
}

/// A used or revoked refresh token came back: revoke its whole family (RFC 9700 §4.14.2).
async fn reuse(state: &AppState, family: &str, client_id: &str, now: i64) -> TokenError {
    tracing::warn!(client.id = %client_id, "refresh token reused; its family was revoked");
    let family = family.to_string();
    if let Err(e) = state
        .store
        .run(move |c| refresh_tokens::revoke_family(c, &family, now))
        .await
    {
        return store_error(e);
    }
    if let Err(e) = state.revocations.refresh(false).await {
        tracing::warn!(error = %e, "revocation list refresh failed");
    }
    invalid_grant("the refresh token was already used; the grant is revoked")
}
