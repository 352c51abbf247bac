//! Gives every request an id (the caller's `X-Request-Id` when it is sane, else a new
//! one), runs the request inside a span carrying it, echoes it in the response and logs
//! one line per request. Only the path is logged: query strings carry codes and tokens.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use actix_web::web;

use crate::domain::opaque;
use crate::state::AppState;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(&X_REQUEST_ID)?.to_str().ok()?;
    let ok = (1..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| v.to_string())
}

pub async fn request_id_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = incoming_id(&req).unwrap_or_else(opaque::identifier);
    let span = tracing::info_span!(
        "http.request",
        request.id = %id,
        http.method = %req.method(),
        http.path = %req.path(),
    );
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    let elapsed = started.elapsed();
    let state = res.request().app_data::<web::Data<AppState>>();
    if let Some(state) = state.filter(|s| s.metrics.is_enabled()) {
        // The matched route pattern, never the raw path: bounded label values.
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        state.metrics.count_request(
            &route,
            res.request().method().as_str(),
            res.status().as_u16(),
            elapsed.as_secs_f64(),
        );
    }
    span.in_scope(|| {
        tracing::info!(
            http.status = res.status().as_u16(),
            elapsed_us = elapsed.as_micros() as u64,
            "request completed"
        )
    });
    Ok(res)
}
