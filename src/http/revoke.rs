//! `POST /revoke` (RFC 7009): the client authenticates, `token::revocation` decides and
//! writes; the answer is always 200 once the client is known (§2.2).

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::no_store;
use super::token::{authenticate_client, read_form};
use crate::state::AppState;
use crate::store::grants::DbGrants;
use crate::token::{TokenError, revocation};

pub async fn revoke_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (form, presented) = read_form(&req, payload).await?;
    let client = authenticate_client(&req, &state, presented).await?;
    let token = form
        .get("token")
        .ok_or_else(|| TokenError::invalid_request("token is missing"))?
        .to_string();
    let (keys, issuer, now) = (
        state.keys.current(),
        state.settings.issuer.clone(),
        state.now(),
    );
    state
        .store
        .run(move |c| {
            revocation::revoke(&keys, &issuer, &mut DbGrants::new(c), &client, &token, now)
        })
        .await?;
    // Publish at once on this instance; others follow within their poll interval.
    state.publish_revocations().await;
    let mut res = HttpResponse::Ok().finish();
    no_store(&mut res);
    Ok(res)
}
