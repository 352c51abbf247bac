//! UserInfo (OpenID Connect Core §5.3): GET or POST, the access token as a Bearer header or
//! (POST) a form field (RFC 6750 §2). Errors per RFC 6750 §3.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::body::{self, BodyError};
use super::error::AppError;
use crate::dpop::binding::Scheme;
use crate::oidc::claims as oidc_claims;
use crate::oidc::userinfo::{self, Refusal};
use crate::state::AppState;
use crate::store::users;

fn bearer_error(status: StatusCode, error: Option<&str>, description: &str) -> HttpResponse {
    let challenge = match error {
        Some(e) => format!(
            "Bearer realm=\"portcullis\", error=\"{e}\", error_description=\"{description}\""
        ),
        None => "Bearer realm=\"portcullis\"".to_string(),
    };
    let mut res = HttpResponse::build(status).json(json!({
        "error": error.unwrap_or("invalid_request"),
        "error_description": description,
    }));
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Browser apps call UserInfo from their own origin; they must be able to read errors.
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res.headers_mut().insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("WWW-Authenticate"),
    );
    res
}

/// CORS preflight: browser apps send the token in an `Authorization` header.
pub async fn userinfo_preflight_handler() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type, DPoP",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}

/// A DPoP refusal (RFC 9449 §7.1): 401 with the `DPoP` challenge.
fn dpop_error(state: &AppState, refusal: &super::dpop::ResourceRefusal) -> HttpResponse {
    let mut res = bearer_error(
        StatusCode::UNAUTHORIZED,
        Some(refusal.error),
        &refusal.description,
    );
    if let Ok(v) = HeaderValue::from_str(&refusal.challenge(&state.settings.keys.algorithms)) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

fn invalid_token(description: &str) -> HttpResponse {
    bearer_error(StatusCode::UNAUTHORIZED, Some("invalid_token"), description)
}

pub async fn userinfo_handler(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let body = if req.method() == Method::POST {
        match body::read(&req, payload, body::PAGE_FORM_LIMIT).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                return Ok(bearer_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Some("invalid_request"),
                    "the request body is too large",
                ));
            }
            Err(BodyError::Incomplete) => {
                return Ok(bearer_error(
                    StatusCode::BAD_REQUEST,
                    Some("invalid_request"),
                    "the request body is incomplete",
                ));
            }
        }
    } else {
        web::Bytes::new()
    };
    // `Bearer` (RFC 6750 §2.1) or `DPoP` (RFC 9449 §7.1).
    let header_token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .and_then(|(scheme, t)| Some((Scheme::parse(scheme)?, t.trim().to_string())));
    let form_token = if req.method() == Method::POST {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    } else {
        None
    };
    let (scheme, token) = match (header_token, form_token) {
        (Some(_), Some(_)) => {
            return Ok(bearer_error(
                StatusCode::BAD_REQUEST,
                Some("invalid_request"),
                "use one way to send the token",
            ));
        }
        (Some(t), None) => t,
        (None, Some(t)) => (Scheme::Bearer, t),
        (None, None) => {
            return Ok(bearer_error(
                StatusCode::UNAUTHORIZED,
                None,
                "an access token is required",
            ));
        }
    };

    let access = userinfo::authorize(
        &state.keys.current(),
        state.issuer(),
        |t| state.revocations.is_revoked(t),
        &token,
        state.now(),
    );
    let access = match access {
        Ok(a) => a,
        Err(Refusal::InvalidToken(description)) => return Ok(invalid_token(description)),
        Err(Refusal::InsufficientScope(description)) => {
            return Ok(bearer_error(
                StatusCode::FORBIDDEN,
                Some("insufficient_scope"),
                description,
            ));
        }
    };
    let url = crate::endpoints::Endpoint::Userinfo.url(state.issuer());
    if let Err(refusal) = super::dpop::at_resource(
        &req,
        &state,
        scheme,
        &token,
        access.jkt.as_deref(),
        req.method().as_str(),
        &url,
    )
    .await
    {
        return Ok(dpop_error(&state, &refusal));
    }
    let sub = access.sub.clone();
    let user = state.store.run(move |c| users::find_by_id(c, &sub)).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Ok(invalid_token("the access token was revoked"));
    };
    let mut res = HttpResponse::Ok().json(oidc_claims::userinfo(&user, &access.scope));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(res)
}
