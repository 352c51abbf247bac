//! `POST /par` (RFC 9126): a client pushes its authorization request over the back
//! channel, authenticated as at the token endpoint and validated as at `/authorize`, and
//! gets a single-use `request_uri` for the browser.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::error::no_store;
use super::token::{authenticate_client, read_form};
use crate::authorize::AuthorizeError;
use crate::authorize::error::ErrorCode as AuthorizeCode;
use crate::authorize::pushed;
use crate::authorize::request::{Params, validate};
use crate::endpoints::Endpoint;
use crate::state::AppState;
use crate::store::pushed_requests::{self, PushedRow};
use crate::token::{ErrorCode, TokenError};

/// An authorization-request refusal, as the token endpoint's JSON (RFC 9126 §2.3).
fn refusal(e: AuthorizeError) -> TokenError {
    match e {
        AuthorizeError::Page(e) => TokenError::invalid_request(e.message()),
        AuthorizeError::Redirect {
            code, description, ..
        } => {
            let code = match code {
                AuthorizeCode::InvalidScope => ErrorCode::InvalidScope,
                AuthorizeCode::UnauthorizedClient => ErrorCode::UnauthorizedClient,
                _ => ErrorCode::InvalidRequest,
            };
            TokenError::new(code, description)
        }
    }
}

pub async fn par_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (form, presented) = read_form(&req, payload).await?;
    let client = authenticate_client(&req, &state, presented).await?;
    let stored = pushed::pushable(form.pairs(), &client.id).map_err(TokenError::invalid_request)?;
    // The same validation as /authorize (RFC 9126 §2.1), against this client only.
    let auth = validate(&Params::parse(&stored), |id| {
        (id == client.id.as_str()).then(|| client.clone())
    })
    .map_err(refusal)?;
    // RFC 9449 §10.1: a proof here binds the code to its key, like `dpop_jkt`.
    let url = Endpoint::Par.url(state.issuer());
    let proof = super::dpop::at_token_endpoint(&req, &state, &url, false).await?;
    let dpop_jkt = match (proof.map(|p| p.jkt), auth.dpop_jkt.clone()) {
        (Some(a), Some(b)) if a != b => {
            return Err(TokenError::new(
                ErrorCode::InvalidDpopProof,
                "dpop_jkt does not match the DPoP proof's key",
            ));
        }
        (a, b) => a.or(b),
    };
    let ttl = state.settings.par.request_uri_ttl_secs;
    let now = state.now();
    let (request_uri, uri_hash) = pushed::new_request_uri();
    let row = PushedRow {
        uri_hash,
        client_id: client.id.to_string(),
        params: stored,
        dpop_jkt,
        created_at: now,
        expires_at: now + ttl,
        used_at: None,
    };
    state
        .store
        .run(move |c| pushed_requests::insert(c, &row))
        .await?;
    let mut res = HttpResponse::Created().json(json!({
        "request_uri": request_uri,
        "expires_in": ttl,
    }));
    no_store(&mut res);
    Ok(res)
}
