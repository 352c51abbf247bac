//! `POST /introspect` (RFC 7662). Callers authenticate as clients. A client sees its own
//! tokens and tokens whose `aud` is its client id (a resource server registered as a
//! client); a client with the `introspect` permission sees all.
//! Access tokens are answered from the signature and the in-memory revocation list, with
//! no database read; refresh tokens need one.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::token::{authenticate_client, read_form};
use crate::domain::client::AuthMethod;
use crate::domain::opaque;
use crate::startup::AppState;
use crate::store::clients::Client;
use crate::store::refresh_tokens;
use crate::token::error::no_store;
use crate::token::user_tokens::store_error;
use crate::token::{TokenError, inspect};

pub const INTROSPECT_PATH: &str = "/introspect";

fn inactive() -> Value {
    json!({ "active": false })
}

fn may_see(caller: &Client, client_id: Option<&str>, audiences: &[&str]) -> bool {
    caller.permissions.iter().any(|p| p == "introspect")
        || client_id == Some(caller.id.as_str())
        || audiences.contains(&caller.id.as_str())
}

pub async fn introspect_handler(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let (form, presented) = read_form(&req, &body)?;
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
    let now = state.clock.now();
    let issuer = &state.settings.issuer;

    let answer = if let Some(c) = inspect::access_token(&state.keys, issuer, &token) {
        let live = c.num("exp").is_some_and(|e| e > now) && c.num("nbf").is_none_or(|n| n <= now);
        let revoked = c
            .str("jti")
            .is_none_or(|j| state.revocations.is_revoked(j, c.str("sid")));
        if live && !revoked && may_see(&caller, c.str("client_id"), &c.audiences()) {
            let mut out = json!({ "active": true, "token_type": "Bearer" });
            for name in [
                "scope",
                "client_id",
                "exp",
                "iat",
                "nbf",
                "sub",
                "aud",
                "iss",
                "jti",
                "sid",
                "auth_time",
                "acr",
                "roles",
            ] {
                if let Some(v) = c.claims.get(name) {
                    out[name] = v.clone();
                }
            }
            out
        } else {
            inactive()
        }
    } else {
        let hash = opaque::hash(&token);
        let row = state
            .store
            .run(move |c| refresh_tokens::find(c, &hash))
            .await
            .map_err(store_error)?;
        match row {
            Some(r)
                if r.consumed_at.is_none()
                    && r.revoked_at.is_none()
                    && r.expires_at > now
                    && may_see(&caller, Some(&r.client_id), &[]) =>
            {
                let mut out = json!({
                    "active": true,
                    "token_type": "refresh_token",
                    "client_id": r.client_id,
                    "scope": r.scope,
                    "exp": r.expires_at,
                    "iat": r.issued_at,
                    "iss": issuer,
                });
                if let Some(u) = r.user_id {
                    out["sub"] = json!(u);
                }
                out
            }
            _ => inactive(),
        }
    };
    let mut res = HttpResponse::Ok().json(answer);
    no_store(&mut res);
    Ok(res)
}
