//! `POST /revoke` (RFC 7009). The client authenticates; it may revoke only its own tokens;
//! unknown, invalid or foreign tokens still get 200 (§2.2), so the endpoint reveals
//! nothing.

use actix_web::{HttpRequest, HttpResponse, web};

use super::token::{authenticate_client, read_form};
use crate::domain::opaque;
use crate::startup::AppState;
use crate::store::{StoreError, refresh_tokens, revoked};
use crate::token::error::no_store;
use crate::token::user_tokens::store_error;
use crate::token::{TokenError, inspect};

pub const REVOKE_PATH: &str = "/revoke";

pub async fn revoke_handler(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (form, presented) = read_form(&req, &body)?;
    let client = authenticate_client(&req, &state, presented).await?;
    let token = form
        .get("token")
        .ok_or_else(|| TokenError::invalid_request("token is missing"))?
        .to_string();
    let now = state.clock.now();
    // The hint only orders the search (§2.1); both kinds are tried.
    if let Some(claims) = inspect::access_token(&state.keys, &state.settings.issuer, &token) {
        let own = claims.str("client_id") == Some(client.id.as_str());
        if let (true, Some(jti), Some(exp)) = (own, claims.str("jti"), claims.num("exp")) {
            if exp > now {
                let jti = jti.to_string();
                state
                    .store
                    .run(move |c| revoked::revoke(c, &jti, exp, now))
                    .await
                    .map_err(store_error)?;
            }
        }
    } else {
        let hash = opaque::hash(&token);
        let client_id = client.id.clone();
        state
            .store
            .run(move |c| {
                if let Some(row) = refresh_tokens::find(c, &hash)? {
                    if row.client_id == client_id {
                        refresh_tokens::revoke_family(c, &row.family_id, now)?;
                    }
                }
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(store_error)?;
    }
    // Publish at once on this instance; others follow within their poll interval.
    if let Err(e) = state.revocations.refresh(false).await {
        tracing::warn!(error = %e, "revocation list refresh failed");
    }
    let mut res = HttpResponse::Ok().finish();
    no_store(&mut res);
    Ok(res)
}
