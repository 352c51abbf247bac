//! `POST /token` (RFC 6749 §3.2). The handler only wires the request to the rules in
//! `crate::token`; every answer, success or error, is `no-store`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::startup::AppState;
use crate::token::access_token::{self, AccessTokenRequest};
use crate::token::authenticate::Authenticator;
use crate::token::error::no_store;
use crate::token::form::TokenForm;
use crate::token::{
    ErrorCode, TokenError, authorization_code, client_auth, client_credentials, refresh,
};

pub const TOKEN_PATH: &str = "/token";

pub async fn token_handler(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, TokenError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let form = TokenForm::parse(content_type, &body)?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let presented = client_auth::presented(authorization, &form)?;
    let grant_type = match form.get("grant_type") {
        None => return Err(TokenError::invalid_request("grant_type is missing")),
        Some(g @ ("client_credentials" | "authorization_code" | "refresh_token")) => g,
        Some(_) => {
            return Err(TokenError::new(
                ErrorCode::UnsupportedGrantType,
                "this grant type is not supported",
            ));
        }
    };

    let token_endpoint = format!("{}{TOKEN_PATH}", state.settings.issuer);
    let now = state.clock.now();
    let client = authenticate_client(&req, &state, presented).await?;

    let body = match grant_type {
        "authorization_code" => authorization_code::redeem(&state, &client, &form).await?,
        "refresh_token" => refresh::refresh(&state, &client, &form).await?,
        _ => client_credentials_body(&state, &client, &form, &token_endpoint, now)?,
    };
    let mut res = HttpResponse::Ok().json(body);
    no_store(&mut res);
    Ok(res)
}

fn client_credentials_body(
    state: &AppState,
    client: &crate::store::clients::Client,
    form: &TokenForm,
    token_endpoint: &str,
    now: crate::clock::UnixTime,
) -> Result<serde_json::Value, TokenError> {
    let settings = &state.settings;
    let granted = client_credentials::grant(
        client,
        token_endpoint,
        form.get("scope"),
        form.all("resource"),
    )?;
    let issued = access_token::issue(
        &state.keys,
        &AccessTokenRequest {
            issuer: &settings.issuer,
            subject: &client.id,
            client_id: &client.id,
            audience: &granted.audience,
            scope: &granted.scope,
            now,
            ttl: settings.tokens.access_token_ttl_secs,
            extra: Default::default(),
        },
    )
    .map_err(|e| {
        tracing::error!(error = %e, "access token signing failed");
        TokenError::new(ErrorCode::ServerError, "the token could not be issued")
    })?;

    let mut body = json!({
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    });
    if !granted.scope.is_empty() {
        body["scope"] = json!(granted.scope.join(" "));
    }
    Ok(body)
}

/// Checks the client's credentials (RFC 6749 §2.3), as the token, revocation and
/// introspection endpoints all require. Assertions may be addressed to the token
/// endpoint or the issuer.
pub async fn authenticate_client(
    req: &HttpRequest,
    state: &AppState,
    presented: client_auth::Presented,
) -> Result<std::sync::Arc<crate::store::clients::Client>, TokenError> {
    let settings = &state.settings;
    let token_endpoint = format!("{}{TOKEN_PATH}", settings.issuer);
    Authenticator {
        registry: &state.clients,
        store: &state.store,
        remote_jwks: &state.remote_jwks,
        issuer: &settings.issuer,
        token_endpoint: &token_endpoint,
        now: state.clock.now(),
        skew: settings.tokens.clock_skew_secs,
    }
    .authenticate(presented, req.peer_addr().map(|a| a.ip().to_string()))
    .await
}

/// Reads the form and the credentials of a client-authenticated POST.
pub fn read_form(
    req: &HttpRequest,
    body: &[u8],
) -> Result<(TokenForm, client_auth::Presented), TokenError> {
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
            "Authorization, Content-Type",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}
