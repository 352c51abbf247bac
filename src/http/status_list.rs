//! `GET /statuslists/{id}`: a Status List Token (draft-ietf-oauth-status-list §8.1),
//! `application/statuslist+jwt`, cacheable (`ETag`, `max-age` of its `ttl`), open to
//! browsers (CORS, §8.1); `404` once the list has expired and been removed. `GET
//! /statuslists`: the live lists (§9.3, `status_list_aggregation_endpoint`).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::error::ApiError;
use crate::state::AppState;
use crate::status::lists::TTL_SECS;

/// The JWT form is the only one served; a client that accepts neither it nor anything
/// gets `406` (the CWT form is not implemented).
fn accepts_jwt(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or("").trim();
        let q = part
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("q="))
            .next()
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        q > 0.0
            && matches!(
                media,
                "application/statuslist+jwt" | "application/*" | "*/*"
            )
    })
}

pub async fn status_list_handler(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !accepts_jwt(&req) {
        return Ok(HttpResponse::NotAcceptable()
            .content_type("application/problem+json")
            .body(
                json!({
                    "type": "about:blank",
                    "title": "Not Acceptable",
                    "status": 406,
                    "detail": "status lists are served as application/statuslist+jwt",
                })
                .to_string(),
            ));
    }
    let doc = state
        .status_lists
        .document(&id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == doc.etag)
        });
    let mut res = if fresh {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type("application/statuslist+jwt")
            .body(doc.body.clone())
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&doc.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={TTL_SECS}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(res)
}

pub async fn aggregation_handler(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let lists = state.status_lists.live().await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={TTL_SECS}")))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(json!({ "status_lists": lists })))
}
