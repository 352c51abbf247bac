//! The refresh-token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700
//! §4.14.2): each use returns a new token of the same family; presenting a token that was
//! already used revokes the family.

use serde_json::Value;

use super::form::TokenForm;
use super::user_tokens::{self, Authentication, Grant, store_error};
use super::{ErrorCode, TokenError};
use crate::domain::client::{GrantType, is_scope_token};
use crate::domain::opaque;
use crate::startup::AppState;
use crate::store::clients::Client;
use crate::store::{StoreError, refresh_tokens, users};

fn invalid_grant(d: &str) -> TokenError {
    TokenError::new(ErrorCode::InvalidGrant, d)
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
    let client_id = client.id.clone();
    let (row, reused) = state
        .store
        .run(move |c| {
            if let Some(row) = refresh_tokens::consume(c, &hash, &client_id, now)? {
                return Ok::<_, StoreError>((Some(row), false));
            }
            match refresh_tokens::find(c, &hash)? {
                Some(r)
                    if r.client_id == client_id
                        && (r.consumed_at.is_some() || r.revoked_at.is_some()) =>
                {
                    refresh_tokens::revoke_family(c, &r.family_id, now)?;
                    Ok((None, true))
                }
                _ => Ok((None, false)),
            }
        })
        .await
        .map_err(store_error)?;
    if reused {
        tracing::warn!(client.id = %client.id, "refresh token reused; its family was revoked");
        return Err(invalid_grant(
            "the refresh token was already used; the grant is revoked",
        ));
    }
    let row = row.ok_or_else(|| invalid_grant("the refresh token is invalid or expired"))?;
    let family_end = row.family_expires_at.unwrap_or(row.expires_at);
    if family_end <= now {
        return Err(invalid_grant("the refresh token is invalid or expired"));
    }
    let granted: Vec<String> = row
        .scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    // Narrowing is allowed, widening never (RFC 6749 §6).
    let scope = match form.get("scope") {
        None => granted.clone(),
        Some(requested) => {
            let mut scope = Vec::new();
            for s in requested.split(' ').filter(|s| !s.is_empty()) {
                if !is_scope_token(s) || !granted.iter().any(|g| g == s) {
                    return Err(TokenError::new(
                        ErrorCode::InvalidScope,
                        "the scope exceeds the original grant",
                    ));
                }
                if !scope.iter().any(|x: &String| x == s) {
                    scope.push(s.to_string());
                }
            }
            scope
        }
    };
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
        amr: row
            .amr
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or_default(),
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
    Ok(issued.body)
}
