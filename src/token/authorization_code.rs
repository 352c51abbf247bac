//! The authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).
//! Codes are single use: a second redemption is refused with `invalid_grant` and revokes
//! every token the first one produced (RFC 6749 §4.1.2).

use serde_json::Value;

use super::code_flow;
use super::form::TokenForm;
use super::user_tokens::{self, Authentication, Grant, store_error};
use super::{ErrorCode, TokenError};
use crate::domain::client::GrantType;
use crate::domain::opaque;
use crate::startup::AppState;
use crate::store::clients::Client;
use crate::store::codes::{self, RedeemedRow};
use crate::store::{StoreError, refresh_tokens, revoked, users};

fn invalid_grant(d: &str) -> TokenError {
    TokenError::invalid_grant(d)
}

pub async fn redeem(
    state: &AppState,
    client: &Client,
    form: &TokenForm,
) -> Result<Value, TokenError> {
    if !client.grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization_code grant",
        ));
    }
    let code = form
        .get("code")
        .ok_or_else(|| TokenError::invalid_request("code is missing"))?;
    let now = state.clock.now();
    let hash = opaque::hash(code);
    let client_id = client.id.clone();
    let (consumed, replayed) = state
        .store
        .run(move |c| {
            if let Some(row) = codes::consume(c, &hash, &client_id)? {
                return Ok::<_, StoreError>((Some(row), None));
            }
            // Already redeemed? Then revoke what it produced.
            let Some(r) = codes::take_redeemed(c, &hash, &client_id)? else {
                return Ok((None, None));
            };
            revoked::revoke(c, &r.access_jti, r.access_expires_at, now)?;
            if let Some(f) = &r.refresh_family_id {
                refresh_tokens::revoke_family(c, f, now)?;
            }
            Ok((None, Some(r)))
        })
        .await
        .map_err(store_error)?;
    if let Some(r) = replayed {
        if let Err(e) = state.revocations.refresh(false).await {
            tracing::warn!(error = %e, "revocation list refresh failed");
        }
        tracing::warn!(client.id = %client.id, access.jti = %r.access_jti, "authorization code replayed; its tokens were revoked");
        return Err(invalid_grant("the authorization code was already used"));
    }
    let row =
        consumed.ok_or_else(|| invalid_grant("the authorization code is invalid or expired"))?;
    if row.expires_at <= now {
        return Err(invalid_grant(
            "the authorization code is invalid or expired",
        ));
    }
    // Exact match (RFC 6749 §4.1.3); it may be omitted only when exactly one is registered.
    match form.get("redirect_uri") {
        Some(uri) if uri == row.redirect_uri => {}
        None if client.redirect_uris.len() == 1 && client.redirect_uris[0] == row.redirect_uri => {}
        None => return Err(TokenError::invalid_request("redirect_uri is missing")),
        Some(_) => {
            return Err(invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
    }
    let verifier = form.get("code_verifier");
    // PKCE downgrade protection (RFC 9700 §2.1.1): a verifier without a challenge fails.
    if row.code_challenge.is_none() && verifier.is_some() {
        return Err(invalid_grant(
            "code_verifier sent but no code_challenge was made",
        ));
    }
    let (machine, scope) = code_flow::check(&row, code, verifier, client.require_pkce)?;
    let user_id = row.user_id.clone();
    let user = state
        .store
        .run(move |c| users::find_by_id(c, &user_id))
        .await
        .map_err(store_error)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid_grant("the user of this code is no longer active"))?;
    let authn = Authentication {
        auth_time: row.auth_time,
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
            granted_scope: &scope,
            authn: &authn,
            nonce: row.nonce.as_deref(),
            family: None,
        },
    )
    .await?;
    code_flow::finish(
        machine,
        issued.body["access_token"].as_str().unwrap_or_default(),
        issued.body["refresh_token"].as_str().map(str::to_string),
    )?;
    let redeemed = RedeemedRow {
        code_hash: row.code_hash.clone(),
        client_id: client.id.clone(),
        access_jti: issued.access_jti.clone(),
        access_expires_at: issued.access_expires_at,
        refresh_family_id: issued.refresh_family.clone(),
        expires_at: now
            + state
                .settings
                .tokens
                .access_token_ttl_secs
                .max(state.settings.tokens.refresh_token_absolute_secs),
    };
    state
        .store
        .run(move |c| codes::record_redeemed(c, &redeemed))
        .await
        .map_err(store_error)?;
    Ok(issued.body)
}
