//! `POST /token` (RFC 6749 §3.2). The handler reads the form and the credentials,
//! authenticates the client and calls the grant's rule in `crate::token`; every answer,
//! success or error, is `no-store`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::body::{self, BodyError};
use super::error::no_store;
use crate::domain::client::Client;
use crate::endpoints::Endpoint;
use crate::revocation::list::TokenRef;
use crate::state::AppState;
use crate::store::grants::DbGrants;
use crate::token::authenticate::Authenticator;
use crate::token::authorization_code::{self, CodeExchange};
use crate::token::form::TokenForm;
use crate::token::issue::{Issuer, TokenStatus};
use crate::token::refresh::{self, RefreshExchange};
use crate::token::{ErrorCode, TokenError, client_auth, client_credentials, device, exchange};

pub async fn token_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let answer = token(&req, payload, &state).await;
    match &answer {
        Ok((grant_type, _)) => state.metrics.token_issued(grant_type),
        Err(e) => state.metrics.token_error(e.code.as_str()),
    };
    answer.map(|(_, res)| res)
}

/// The token request; the grant type (for metrics) and the answer.
async fn token(
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
) -> Result<(&'static str, HttpResponse), TokenError> {
    let (form, presented) = read_form(req, payload).await?;
    let grant_type: &'static str = match form.get("grant_type") {
        None => return Err(TokenError::invalid_request("grant_type is missing")),
        Some("client_credentials") => "client_credentials",
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        Some(exchange::GRANT) if state.settings.features.token_exchange => "token_exchange",
        Some(device::GRANT) if state.settings.features.device_authorization => "device_code",
        Some(_) => {
            return Err(TokenError::new(
                ErrorCode::UnsupportedGrantType,
                "this grant type is not supported",
            ));
        }
    };
    let client = authenticate_client(req, state, presented).await?;
    let token_url = Endpoint::Token.url(state.issuer());
    // RFC 9449 §5: a valid, unused proof binds the tokens to its key.
    let proof = super::dpop::at_token_endpoint(req, state, &token_url, client.must_use_dpop())
        .await?
        .map(|p| p.jkt);
    // The access token's status index: from a block this instance holds (memory).
    let status = state.status_lists.allocator.allocate(&client.id).await?;
    let status = TokenStatus {
        uri: state.status_lists.uri(&status.list_id),
        list_id: status.list_id,
        idx: status.idx,
    };
    let body = match grant_type {
        "authorization_code" => {
            let exchange = CodeExchange::from_form(&form)?;
            with_grants(state, status, proof.clone(), move |ctx, grants, now| {
                authorization_code::exchange(ctx, grants, &client, &exchange, now)
            })
            .await?
        }
        "refresh_token" => {
            if let (Some(dir), Some(token)) = (&state.directory, form.get("refresh_token")) {
                use crate::session::directory::{Verdict, check_refresh};
                match check_refresh(&state.store, dir, token, state.now()).await? {
                    Verdict::Allowed => {}
                    Verdict::Removed => {
                        state.publish_revocations().await;
                        return Err(TokenError::invalid_grant(
                            "the user is no longer in the directory",
                        ));
                    }
                    Verdict::Unavailable => {
                        return Err(TokenError::new(
                            ErrorCode::TemporarilyUnavailable,
                            "the user directory is unavailable; try again shortly",
                        ));
                    }
                }
            }
            let exchange = RefreshExchange::from_form(&form)?;
            with_grants(state, status, proof.clone(), move |ctx, grants, now| {
                refresh::exchange(ctx, grants, &client, &exchange, now)
            })
            .await?
        }
        "device_code" => {
            let code = form
                .get("device_code")
                .filter(|c| !c.is_empty())
                .ok_or_else(|| TokenError::invalid_request("device_code is missing"))?
                .to_string();
            with_grants(state, status, proof.clone(), move |ctx, grants, now| {
                device::exchange(ctx, grants, &client, &code, now)
            })
            .await?
        }
        // Like client credentials: keys and the revocation list in memory, no database.
        "token_exchange" => {
            let request = exchange::ExchangeRequest::from_form(&form)?;
            let revoked = |t: &TokenRef<'_>| state.revocations.is_revoked(t);
            let done = exchange::exchange(
                &Issuer {
                    keys: &state.keys.current(),
                    issuer: state.issuer(),
                    tokens: &state.settings.tokens,
                    status: Some(&status),
                    dpop_jkt: proof.as_deref(),
                },
                &exchange::Checks {
                    revoked: &revoked,
                    skew: state.settings.tokens.clock_skew_secs,
                },
                &client,
                &request,
                state.now(),
            )?;
            // Revoking the subject token must reach this one (RFC 8693 chains).
            if let Some((child, parent)) = done.link {
                state
                    .store
                    .run(move |c| crate::store::exchanged_tokens::record(c, &child, &parent))
                    .await?;
            }
            done.body
        }
        // The hot path: memory and one signature, no database.
        _ => client_credentials::exchange(
            &Issuer {
                keys: &state.keys.current(),
                issuer: state.issuer(),
                tokens: &state.settings.tokens,
                status: Some(&status),
                dpop_jkt: proof.as_deref(),
            },
            &client,
            form.get("scope"),
            form.all("resource"),
            state.now(),
        )?,
    };
    let mut res = HttpResponse::Ok().json(body);
    no_store(&mut res);
    if state.settings.dpop.require_nonce {
        // RFC 9449 §8.2: the next nonce, before the client needs it.
        if let Ok(v) = header::HeaderValue::from_str(&state.dpop_nonce.current(state.now())) {
            res.headers_mut().insert(super::dpop::DPOP_NONCE, v);
        }
    }
    Ok((grant_type, res))
}

/// Runs a grant that needs the database on one pooled connection, off the executor
/// (its signatures included), then publishes any revocation it wrote.
async fn with_grants<F>(
    state: &AppState,
    status: TokenStatus,
    dpop_jkt: Option<String>,
    rule: F,
) -> Result<serde_json::Value, TokenError>
where
    F: FnOnce(&Issuer<'_>, &mut DbGrants<'_>, i64) -> Result<serde_json::Value, TokenError>
        + Send
        + 'static,
{
    let keys = state.keys.current();
    let issuer = state.settings.issuer.clone();
    let tokens = state.settings.tokens.clone();
    let now = state.now();
    let (result, revoked) = state
        .store
        .run(move |c| {
            let mut grants = DbGrants::new(c);
            let ctx = Issuer {
                keys: &keys,
                issuer: &issuer,
                tokens: &tokens,
                status: Some(&status),
                dpop_jkt: dpop_jkt.as_deref(),
            };
            let result = rule(&ctx, &mut grants, now);
            Ok::<_, crate::store::StoreError>((result, grants.revoked_anything()))
        })
        .await?;
    if revoked {
        state.publish_revocations().await;
    }
    result
}

/// Checks the client's credentials (RFC 6749 §2.3), as the token, revocation and
/// introspection endpoints all require. Assertions may be addressed to the token
/// endpoint or the issuer.
pub async fn authenticate_client(
    req: &HttpRequest,
    state: &AppState,
    presented: client_auth::Presented,
) -> Result<Arc<Client>, TokenError> {
    let settings = &state.settings;
    let token_endpoint = Endpoint::Token.url(&settings.issuer);
    Authenticator {
        registry: &state.clients,
        audit_windows: &state.audit_windows,
        store: &state.store,
        remote_jwks: &state.remote_jwks,
        issuer: &settings.issuer,
        token_endpoint: &token_endpoint,
        now: state.now(),
        skew: settings.tokens.clock_skew_secs,
    }
    .authenticate(presented, Some(state.source(req)).filter(|s| !s.is_empty()))
    .await
}

/// Reads the form (at most [`body::FORM_LIMIT`] bytes) and the credentials of a
/// client-authenticated POST.
pub async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(TokenForm, client_auth::Presented), TokenError> {
    let body = body::read(req, payload, body::FORM_LIMIT)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge => TokenError::body_too_large(),
            BodyError::Incomplete => TokenError::invalid_request("the request body is incomplete"),
        })?;
    let body = &body[..];
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let form = TokenForm::parse(content_type, body)?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let presented = client_auth::presented(authorization, &form)?;
    Ok((form, presented))
}

/// Anything but POST (RFC 6749 §3.2: "The client MUST use the HTTP POST method").
pub async fn token_method_not_allowed_handler() -> HttpResponse {
    let mut res = HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "POST, OPTIONS"))
        .json(json!({
            "error": "invalid_request",
            "error_description": "use POST",
        }));
    no_store(&mut res);
    res
}

/// CORS preflight: browser apps (public clients) call the token endpoint.
pub async fn token_preflight_handler() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type, DPoP",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}
