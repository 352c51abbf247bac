//! Dynamic client registration over HTTP: `POST /register` (RFC 7591 §3) and the client
//! configuration endpoint `GET|PUT|DELETE /register/{client_id}` (RFC 7592 §2). Thin:
//! read the bearer token and the JSON body, call `manage::registration` off the
//! executor, answer. Every answer carries `Cache-Control: no-store` (RFC 7591 §3.2.1).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde_json::{Map, Value, json};

use super::body::{self, BodyError};
use crate::domain::registration::metadata::{self, ServerPolicy};
use crate::domain::registration::metadata_error::MetadataError;
use crate::domain::secret::Secret;
use crate::endpoints::Endpoint;
use crate::manage::registration::{self, RegistrationError};
use crate::state::AppState;
use crate::token::error::sanitize;

/// Client metadata is small, but a JWK set of several keys may take a few KB.
pub const METADATA_LIMIT: usize = 64 * 1024;

fn no_store(res: &mut HttpResponse) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

impl ResponseError for RegistrationError {
    fn status_code(&self) -> StatusCode {
        match self {
            RegistrationError::InvalidToken => StatusCode::UNAUTHORIZED,
            RegistrationError::Metadata(_) => StatusCode::BAD_REQUEST,
            RegistrationError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            RegistrationError::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            RegistrationError::Store(_) | RegistrationError::Unexpected(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (error, description) = match self {
            RegistrationError::InvalidToken => ("invalid_token", self.to_string()),
            RegistrationError::Metadata(m) => (m.code.as_str(), sanitize(&m.description)),
            RegistrationError::RateLimited(_) => ("rate_limited", self.to_string()),
            RegistrationError::Store(e) if e.is_unavailable() => {
                tracing::error!(error = %e, "registration failed");
                (
                    "temporarily_unavailable",
                    "the database is unavailable".to_string(),
                )
            }
            other => {
                tracing::error!(error = %other, "registration failed");
                (
                    "server_error",
                    "the server could not complete this request".to_string(),
                )
            }
        };
        let mut res = HttpResponse::build(self.status_code()).json(json!({
            "error": error,
            "error_description": description,
        }));
        no_store(&mut res);
        if let RegistrationError::RateLimited(wait) = self {
            // RFC 9110 §10.2.3.
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if let RegistrationError::InvalidToken = self {
            // RFC 6750 §3: the token is the protection of both endpoints.
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portcullis\", error=\"invalid_token\""),
            );
        }
        res
    }
}

/// The `Authorization: Bearer` token (RFC 6750 §2.1); another scheme, or a malformed
/// header, counts as an invalid token rather than as none.
fn bearer(req: &HttpRequest) -> Result<Option<Secret<String>>, RegistrationError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| RegistrationError::InvalidToken)?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(Secret::new(token.trim().to_string())))
        }
        _ => Err(RegistrationError::InvalidToken),
    }
}

/// The JSON body (RFC 7591 §3.1: `application/json`), or why it is refused.
async fn metadata_body(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Map<String, Value>, MetadataError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    let bytes = body::read(req, payload, METADATA_LIMIT)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge => MetadataError::metadata(format!(
                "the metadata is larger than {METADATA_LIMIT} bytes"
            )),
            BodyError::Incomplete => MetadataError::metadata("the request body was incomplete"),
        })?;
    if !json {
        return Err(MetadataError::metadata(
            "client metadata is sent as JSON (Content-Type: application/json)",
        ));
    }
    metadata::parse(&bytes)
}

fn policy(state: &AppState) -> ServerPolicy {
    ServerPolicy {
        allow_private_destinations: state.settings.http.allow_private_destinations,
        algorithms: state.settings.keys.algorithms.clone(),
    }
}

fn client_uri(state: &AppState, client_id: &str) -> String {
    let mut url = Endpoint::Register.url(state.issuer());
    url.push('/');
    url.extend(url::form_urlencoded::byte_serialize(client_id.as_bytes()));
    url
}

/// The running instance knows a changed client at once (others follow the version poll).
async fn clients_changed(state: &AppState) {
    if let Err(e) = state.clients.refresh().await {
        tracing::warn!(error = %e, "client cache refresh failed");
    }
}

fn answer(status: StatusCode, state: &AppState, r: &registration::Registered) -> HttpResponse {
    let body = r.response(client_uri(state, r.client.id.as_str()));
    let mut res = HttpResponse::build(status).json(Value::Object(body));
    no_store(&mut res);
    res
}

/// POST /register (RFC 7591 §3.1): 201 with the client information response.
pub async fn register_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, RegistrationError> {
    let token = bearer(&req)?;
    let open = state.settings.registration.open;
    if token.is_none() && !open {
        return Err(RegistrationError::InvalidToken);
    }
    let (source, limit, now) = (
        state.source(&req),
        state.settings.registration.rate_limit,
        state.now(),
    );
    state
        .store
        .run(move |c| registration::admit(c, &source, limit, now))
        .await?;
    let metadata = metadata_body(&req, payload).await;
    let (policy, now) = (policy(&state), state.now());
    let registered = state
        .store
        .run(move |c| registration::register(c, token.as_ref(), open, metadata, &policy, now))
        .await?;
    tracing::info!(client.id = %registered.client.id, "client registered itself");
    clients_changed(&state).await;
    Ok(answer(StatusCode::CREATED, &state, &registered))
}

/// GET /register/{client_id} (RFC 7592 §2.1).
pub async fn read_handler(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, RegistrationError> {
    let token = bearer(&req)?;
    let id = path.into_inner();
    let current = state
        .store
        .run(move |c| registration::read(c, &id, token.as_ref()))
        .await?;
    Ok(answer(StatusCode::OK, &state, &current))
}

/// PUT /register/{client_id} (RFC 7592 §2.2): 200 with the updated information.
pub async fn update_handler(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, RegistrationError> {
    let token = bearer(&req)?.ok_or(RegistrationError::InvalidToken)?;
    let metadata = metadata_body(&req, payload).await;
    let id = path.into_inner();
    let (policy, now) = (policy(&state), state.now());
    let updated = state
        .store
        .run(move |c| registration::update(c, &id, Some(&token), metadata, &policy, now))
        .await?;
    clients_changed(&state).await;
    Ok(answer(StatusCode::OK, &state, &updated))
}

/// DELETE /register/{client_id} (RFC 7592 §2.3): 204; the client's tokens stop working.
pub async fn delete_handler(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, RegistrationError> {
    let token = bearer(&req)?;
    let id = path.into_inner();
    let now = state.now();
    state
        .store
        .run(move |c| registration::delete(c, &id, token.as_ref(), now))
        .await?;
    clients_changed(&state).await;
    state.publish_revocations().await;
    let mut res = HttpResponse::NoContent().finish();
    no_store(&mut res);
    Ok(res)
}

fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut res = HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .json(json!({
            "error": "invalid_request",
            "error_description": format!("use {allow}"),
        }));
    no_store(&mut res);
    res
}

/// Any other method at `/register`.
pub async fn register_method_not_allowed_handler() -> HttpResponse {
    method_not_allowed("POST")
}

/// Any other method at `/register/{client_id}`.
pub async fn client_method_not_allowed_handler() -> HttpResponse {
    method_not_allowed("GET, PUT, DELETE")
}
