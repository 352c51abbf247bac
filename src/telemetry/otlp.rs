//! The OTLP/HTTP trace exporter (`tracing.otlp_endpoint`): finished spans are batched and
//! POSTed as `ExportTraceServiceRequest` in OTLP's JSON encoding (OTLP 1.x, "OTLP/HTTP",
//! `application/json`; trace and span ids as hex, 64-bit integers as strings) to
//! `<endpoint>/v1/traces`, which every OpenTelemetry Collector, Jaeger, Tempo and
//! vendor agent accepts. Written here instead of pulling the OpenTelemetry SDK: that
//! would add a second HTTP client, protobuf code generation and a runtime to every build,
//! for one POST.
//!
//! Spans leave the request path through a bounded channel (`try_send`: a slow collector
//! drops spans, counted, and never slows a request). One thread of its own runs the
//! uploads through the outgoing-request policy (deadline, size cap, no redirects); the
//! endpoint is the operator's own setting, like the database URL, so it may be private.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::trace_context::{SpanId, TraceId};
use crate::net::client::Outbound;

/// Spans waiting for upload beyond this are dropped (and counted).
const QUEUE: usize = 8192;
/// At most this many spans per request.
const BATCH: usize = 512;
/// How long a batch waits for more spans after its first.
const LINGER: Duration = Duration::from_millis(200);

#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// OTLP `Span.SpanKind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    Internal = 1,
    Server = 2,
    Client = 3,
}

#[derive(Debug)]
pub struct FinishedSpan {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_id: Option<SpanId>,
    pub state: Option<String>,
    pub name: &'static str,
    pub kind: SpanKind,
    pub start: SystemTime,
    pub end: SystemTime,
    pub attrs: Vec<(&'static str, Attr)>,
}

/// The sending side, held by the tracing layer.
#[derive(Clone)]
pub struct Exporter {
    queue: mpsc::Sender<FinishedSpan>,
    dropped: Arc<AtomicU64>,
}

impl Exporter {
    /// Starts the upload thread for `endpoint` (a base URL; `/v1/traces` is appended
    /// unless already there, as OpenTelemetry's `OTEL_EXPORTER_OTLP_ENDPOINT` does).
    pub fn start(endpoint: &str, service_name: &str, outbound: Outbound) -> std::io::Result<Self> {
        let url = traces_url(endpoint);
        let resource = resource(service_name);
        let (queue, receiver) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let lost = dropped.clone();
        std::thread::Builder::new()
            .name("portcullis-otlp".into())
            .spawn(move || {
                actix_web::rt::System::new()
                    .block_on(upload(receiver, url, resource, outbound, lost))
            })?;
        Ok(Self { queue, dropped })
    }

    pub fn send(&self, span: FinishedSpan) {
        if self.queue.try_send(span).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn traces_url(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with("/v1/traces") {
        base.to_string()
    } else {
        format!("{base}/v1/traces")
    }
}

async fn upload(
    mut receiver: mpsc::Receiver<FinishedSpan>,
    url: String,
    resource: Value,
    outbound: Outbound,
    dropped: Arc<AtomicU64>,
) {
    let mut reported = 0;
    while let Some(first) = receiver.recv().await {
        tokio::time::sleep(LINGER).await;
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(s) => batch.push(s),
                Err(_) => break,
            }
        }
        let body = encode(&resource, &batch);
        if let Err(e) = outbound.post_untraced(&url, "application/json", body).await {
            tracing::warn!(error = %e, spans = batch.len(), "cannot export spans over OTLP");
        }
        let lost = dropped.load(Ordering::Relaxed);
        if lost > reported {
            tracing::warn!(
                dropped = lost - reported,
                "spans dropped: the OTLP queue was full"
            );
            reported = lost;
        }
    }
}

fn resource(service_name: &str) -> Value {
    json!({ "attributes": [
        kv("service.name", &Attr::Str(service_name.to_string())),
        kv("service.version", &Attr::Str(env!("CARGO_PKG_VERSION").to_string())),
    ]})
}

fn kv(key: &str, value: &Attr) -> Value {
    let value = match value {
        Attr::Str(s) => json!({ "stringValue": s }),
        Attr::Int(i) => json!({ "intValue": i.to_string() }),
        Attr::Bool(b) => json!({ "boolValue": b }),
    };
    json!({ "key": key, "value": value })
}

fn nanos(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        .to_string()
}

/// A request span is named for its route, as OpenTelemetry's HTTP conventions ask
/// (`POST /token`), once the route is known; other spans keep their own name.
fn display_name(span: &FinishedSpan) -> String {
    let get = |k: &str| {
        span.attrs.iter().find_map(|(key, v)| match v {
            Attr::Str(s) if *key == k => Some(s.as_str()),
            _ => None,
        })
    };
    match (span.kind, get("http.request.method"), get("http.route")) {
        (SpanKind::Server, Some(m), Some(r)) => format!("{m} {r}"),
        _ => span.name.to_string(),
    }
}

/// A server span answered 5xx, or any span recorded an `error`: OTLP status ERROR (2).
fn failed(span: &FinishedSpan) -> bool {
    span.attrs.iter().any(|(k, v)| match (k, v) {
        (&"http.response.status_code", Attr::Int(s)) => *s >= 500 && span.kind == SpanKind::Server,
        (&"error", _) => true,
        _ => false,
    })
}

/// One `ExportTraceServiceRequest` in OTLP/JSON.
pub fn encode(resource: &Value, spans: &[FinishedSpan]) -> Vec<u8> {
    let spans: Vec<Value> = spans
        .iter()
        .map(|s| {
            let mut span = json!({
                "traceId": s.trace_id.to_string(),
                "spanId": s.span_id.to_string(),
                "name": display_name(s),
                "kind": s.kind as i32,
                "startTimeUnixNano": nanos(s.start),
                "endTimeUnixNano": nanos(s.end),
                "attributes": s.attrs.iter().map(|(k, v)| kv(k, v)).collect::<Vec<_>>(),
                "status": { "code": if failed(s) { 2 } else { 0 } },
            });
            if let Some(p) = s.parent_id {
                span["parentSpanId"] = json!(p.to_string());
            }
            if let Some(state) = &s.state {
                span["traceState"] = json!(state);
            }
            span
        })
        .collect();
    let body = json!({ "resourceSpans": [{
        "resource": resource,
        "scopeSpans": [{
            "scope": { "name": "portcullis", "version": env!("CARGO_PKG_VERSION") },
            "spans": spans,
        }],
    }]});
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(attrs: Vec<(&'static str, Attr)>) -> FinishedSpan {
        FinishedSpan {
            trace_id: TraceId([0xab; 16]),
            span_id: SpanId([0xcd; 8]),
            parent_id: Some(SpanId([0xef; 8])),
            state: Some("v=1".into()),
            name: "http.request",
            kind: SpanKind::Server,
            start: UNIX_EPOCH + Duration::from_nanos(1_000),
            end: UNIX_EPOCH + Duration::from_nanos(2_500),
            attrs,
        }
    }

    #[test]
    fn spans_are_encoded_as_otlp_json_with_hex_ids_and_string_nanoseconds() {
        let body = encode(
            &resource("portcullis"),
            &[span(vec![
                ("http.request.method", Attr::Str("POST".into())),
                ("http.route", Attr::Str("/token".into())),
                ("http.response.status_code", Attr::Int(503)),
            ])],
        );
        let v: Value = serde_json::from_slice(&body).unwrap();
        let rs = &v["resourceSpans"][0];
        assert_eq!(
            rs["resource"]["attributes"][0]["value"]["stringValue"],
            "portcullis"
        );
        let s = &rs["scopeSpans"][0]["spans"][0];
        assert_eq!(s["traceId"], "ab".repeat(16));
        assert_eq!(s["spanId"], "cd".repeat(8));
        assert_eq!(s["parentSpanId"], "ef".repeat(8));
        assert_eq!(s["traceState"], "v=1");
        assert_eq!(s["name"], "POST /token");
        assert_eq!(s["kind"], 2);
        assert_eq!(s["startTimeUnixNano"], "1000");
        assert_eq!(s["endTimeUnixNano"], "2500");
        assert_eq!(s["status"]["code"], 2, "a 5xx answer is an error");
        assert_eq!(s["attributes"][2]["value"]["intValue"], "503");
    }

    #[test]
    fn the_traces_path_is_appended_once() {
        assert_eq!(
            traces_url("http://127.0.0.1:4318"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://c:4318/v1/traces/"),
            "http://c:4318/v1/traces"
        );
    }
}
