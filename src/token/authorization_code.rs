//! The authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).
//! Codes are single use: a second redemption is refused with `invalid_grant` and revokes
//! every token the first one produced (RFC 6749 §4.1.2, RFC 9700 §4.5.3.1).
//!
//! Which check lives where: our rules here run first (code consumption bound to the
//! client and recorded in the same transaction, replay, the 60-second lifetime, exact
//! `redirect_uri`, PKCE downgrade); then
//! oxide-auth's machine (`code_flow`) checks client binding, redirect URI and the PKCE
//! verifier against the values the request presented.

use serde_json::Value;

use super::code_flow::{self, Presented};
use super::form::TokenForm;
use super::issue::{self, Authentication, Issuer, UserGrant};
use super::{ErrorCode, TokenError};
use crate::clock::UnixTime;
use crate::domain::client::{Client, GrantType};
use crate::domain::opaque;
use crate::domain::pkce::CodeVerifier;
use crate::domain::redirect_uri::{self, Resolution};
use crate::store::codes::RedeemedRow;
use crate::store::grants::GrantStore;

/// The parameters of a code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5).
#[derive(Debug, Clone, Default)]
pub struct CodeExchange {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

impl CodeExchange {
    pub fn from_form(form: &TokenForm) -> Result<Self, TokenError> {
        Ok(Self {
            code: form
                .get("code")
                .ok_or_else(|| TokenError::invalid_request("code is missing"))?
                .to_string(),
            redirect_uri: form.get("redirect_uri").map(str::to_string),
            code_verifier: form.get("code_verifier").map(str::to_string),
        })
    }
}

fn invalid_grant(d: &str) -> TokenError {
    TokenError::invalid_grant(d)
}

/// Redeems a code for the authenticated `client` and issues its tokens.
pub fn exchange(
    ctx: &Issuer<'_>,
    store: &mut impl GrantStore,
    client: &Client,
    req: &CodeExchange,
    now: UnixTime,
) -> Result<Value, TokenError> {
    if !client.may_use(GrantType::AuthorizationCode) {
        return Err(TokenError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization_code grant",
        ));
    }
    let hash = opaque::hash(&req.code);
    // What this redemption will issue is chosen now and recorded with the consumption, so
    // a replay racing it finds the record and revokes these ids.
    let access_jti = opaque::identifier();
    let family = client.may_use(GrantType::RefreshToken).then(|| {
        (
            opaque::identifier(),
            now + ctx.tokens.refresh_token_absolute_secs,
        )
    });
    let redemption = RedeemedRow {
        code_hash: hash.clone(),
        client_id: client.id.to_string(),
        access_jti: access_jti.clone(),
        access_expires_at: now + ctx.tokens.access_token_ttl_secs,
        refresh_family_id: family.as_ref().map(|(id, _)| id.clone()),
        expires_at: now
            + ctx
                .tokens
                .access_token_ttl_secs
                .max(ctx.tokens.refresh_token_absolute_secs),
    };
    let Some(row) = store.consume_code(&hash, &client.id, &redemption)? else {
        // Already redeemed? Then revoke what it produced.
        if let Some(r) = store.take_redemption(&hash, &client.id)? {
            store.revoke_jti(&r.access_jti, None, r.access_expires_at, now)?;
            if let Some(f) = &r.refresh_family_id {
                store.revoke_family(f, now)?;
            }
            tracing::warn!(client.id = %client.id, access.jti = %r.access_jti, "authorization code replayed; its tokens were revoked");
            return Err(invalid_grant("the authorization code was already used"));
        }
        return Err(invalid_grant(
            "the authorization code is invalid or expired",
        ));
    };
    if row.expires_at <= now {
        return Err(invalid_grant(
            "the authorization code is invalid or expired",
        ));
    }
    // RFC 9449 §10: a code requested with `dpop_jkt` (or pushed with a DPoP proof) is
    // redeemed only with a proof by that key.
    if let Some(bound) = row.dpop_jkt.as_deref()
        && ctx.dpop_jkt != Some(bound)
    {
        return Err(invalid_grant(
            "the authorization code is bound to another DPoP key",
        ));
    }
    // Exact match with the authorization request's URI (RFC 6749 §4.1.3); it may be
    // omitted only when exactly one is registered.
    let redirect_uri =
        match redirect_uri::resolve(&client.redirect_uris, req.redirect_uri.as_deref()) {
            Resolution::Matched(uri) if uri.matches(&row.redirect_uri) => uri.as_str(),
            Resolution::Missing => {
                return Err(TokenError::invalid_request("redirect_uri is missing"));
            }
            _ if req.redirect_uri.is_none() => {
                return Err(TokenError::invalid_request("redirect_uri is missing"));
            }
            _ => {
                return Err(invalid_grant(
                    "redirect_uri does not match the authorization request",
                ));
            }
        };
    let verifier = req
        .code_verifier
        .as_deref()
        .map(CodeVerifier::parse)
        .transpose()
        .map_err(|e| invalid_grant(&e.to_string()))?;
    let (machine, scope) = code_flow::check(
        &row,
        &Presented {
            client_id: &client.id,
            code: &req.code,
            redirect_uri,
            verifier: verifier.as_ref(),
            pkce_required: client.require_pkce,
        },
    )?;
    let user = store
        .find_user(&row.user_id)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid_grant("the user of this code is no longer active"))?;
    let authn = Authentication {
        auth_time: row.auth_time,
        acr: row.acr.clone(),
        amr: issue::parse_amr(row.amr.as_deref()),
        sid: row.session_sid.clone(),
    };
    let issued = issue::issue(
        ctx,
        store,
        UserGrant {
            client,
            user: &user,
            scope: &scope,
            granted_scope: &scope,
            authn: &authn,
            nonce: row.nonce.as_deref(),
            family: family.clone(),
            access_jti: Some(access_jti),
        },
        now,
    )?;
    code_flow::finish(
        machine,
        issued.body["access_token"].as_str().unwrap_or_default(),
        issued.body["refresh_token"].as_str().map(str::to_string),
        issued.access_expires_at,
    )?;
    // A replay that came in while we issued took the record and revoked the access token
    // and the family, perhaps before the refresh token existed: revoke it now.
    if !store.is_redeemed(&hash)? {
        if let Some((family_id, _)) = &family {
            store.revoke_family(family_id, now)?;
        }
        return Err(invalid_grant("the authorization code was already used"));
    }
    Ok(issued.body)
}

#[cfg(test)]
mod tests;
