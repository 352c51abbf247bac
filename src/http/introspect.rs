//! `POST /introspect` (RFC 7662): the caller authenticates as a confidential client; the
//! answer comes from `token::introspection`, as JSON or, for `Accept:
//! application/token-introspection+jwt`, as a JWT signed with our default key (RFC 9701). Access tokens are answered from the
//! signature and the in-memory revocation list, with no database read; refresh tokens
//! need one.

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::no_store;
use super::token::{authenticate_client, read_form};
use crate::domain::client::AuthMethod;
use crate::domain::opaque;
use crate::state::AppState;
use crate::store::refresh_tokens;
use crate::token::{TokenError, inspect, introspection};

pub async fn introspect_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (form, presented) = read_form(&req, payload).await?;
    // RFC 7662 §2.1: the endpoint is protected; a public client, which proves nothing
    // about itself, may not ask.
    if presented.method() == AuthMethod::None {
        return Err(TokenError::invalid_client(
            "introspection needs client authentication",
        ));
    }
    let caller = authenticate_client(&req, &state, presented).await?;
    let token = form
        .get("token")
        .ok_or_else(|| TokenError::invalid_request("token is missing"))?
        .to_string();
    let now = state.now();
    let keys = state.keys.current();
    let answer = match inspect::access_token(&keys, state.issuer(), &token) {
        Some(claims) => {
            let revoked = claims
                .token_ref()
                .is_none_or(|t| state.revocations.is_revoked(&t));
            introspection::access_token(&caller, &claims, revoked, now)
        }
        None => {
            let hash = opaque::hash(&token);
            let row = state
                .store
                .run(move |c| refresh_tokens::find(c, &hash))
                .await?;
            introspection::refresh_token(&caller, row.as_ref(), state.issuer(), now)
        }
    };
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let mut res = if introspection::wants_jwt(accept) {
        // RFC 9701: the same answer, signed, for the caller.
        let claims = introspection::jwt_claims(state.issuer(), &caller.id, &answer, now);
        let payload = josekit::jwt::JwtPayload::from_map(claims)
            .map_err(|e| crate::token::issue::server_error(e.to_string()))?;
        let jwt = keys
            .sign(introspection::JWT_TYP, &payload, now)
            .map_err(crate::token::issue::server_error)?;
        HttpResponse::Ok()
            .content_type(introspection::JWT_MEDIA_TYPE)
            .body(jwt)
    } else {
        HttpResponse::Ok().json(answer)
    };
    no_store(&mut res);
    Ok(res)
}
