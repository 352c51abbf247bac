//! Gives every request an id (the caller's `X-Request-Id` when it is sane, else a new
//! one) and a place in a W3C trace (the caller's `traceparent`, else a new trace), runs
//! the request inside a span carrying both, echoes the id in the response and logs one
//! line per request. Only the path is logged: query strings carry codes and tokens.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use actix_web::web;

use super::routes::RoutePattern;
use crate::domain::opaque;
use crate::state::AppState;
use crate::telemetry::spans;
use crate::telemetry::trace_context::Remote;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let v = req.headers().get(&X_REQUEST_ID)?.to_str().ok()?;
    let ok = (1..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| v.to_string())
}

/// The caller's W3C trace context, when its `traceparent` is well-formed.
fn incoming_trace(req: &ServiceRequest) -> Option<Remote> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    Remote::parse(header("traceparent")?, header("tracestate"))
}

pub async fn request_id_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = incoming_id(&req).unwrap_or_else(opaque::identifier);
    let span = tracing::info_span!(
        "http.request",
        request.id = %id,
        http.request.method = %req.method(),
        url.path = %req.path(),
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    );
    // Joins the caller's trace (or starts one); every line logged in this request, and
    // its audit rows, carry the id.
    spans::adopt(&span, incoming_trace(&req).as_ref());
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    let elapsed = started.elapsed();
    span.record("http.response.status_code", res.status().as_u16());
    let state = res.request().app_data::<web::Data<AppState>>();
    let exporting = state.is_some_and(|s| s.settings.tracing.otlp_endpoint.is_some());
    let metrics = state.filter(|s| s.metrics.is_enabled());
    if metrics.is_some() || exporting {
        // The route pattern of the resource reached, never the raw path: bounded label
        // values.
        let route = res
            .request()
            .app_data::<RoutePattern>()
            .map_or("unmatched", |r| r.0);
        span.record("http.route", route);
        if let Some(state) = metrics {
            state.metrics.count_request(
                route,
                res.request().method().as_str(),
                res.status().as_u16(),
                elapsed.as_secs_f64(),
            );
        }
    }
    span.in_scope(|| tracing::info!(elapsed_us = elapsed.as_micros() as u64, "request completed"));
    Ok(res)
}
