//! Trace identity for our `tracing` spans: every span of this crate gets a span id and
//! belongs to a trace (its parent's, a caller's `traceparent`, or a new one). The ids are
//! what log lines, audit rows and outgoing `traceparent` headers carry; finished spans go
//! to the OTLP exporter when one is configured (`tracing.otlp_endpoint`), and nowhere
//! otherwise.

use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as Values};
use tracing::{Span, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::otlp::{Attr, Exporter, FinishedSpan, SpanKind};
use super::trace_context::{Remote, SAMPLED, SpanId, TraceId, traceparent};

/// Where a span sits in its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanContext {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub flags: u8,
    pub state: Option<String>,
}

impl SpanContext {
    /// The `traceparent` value naming this span as the parent of an outgoing request.
    pub fn traceparent(&self) -> String {
        traceparent(self.trace_id, self.span_id, self.flags)
    }
}

/// Kept in the span's extensions while it is open.
struct SpanRecord {
    ctx: SpanContext,
    parent: Option<SpanId>,
    start: SystemTime,
    /// Fields, only collected when spans are exported.
    attrs: Option<Vec<(&'static str, Attr)>>,
}

/// The layer: assigns ids on creation and hands finished, sampled spans to the exporter.
pub struct TraceLayer {
    exporter: Option<Exporter>,
}

impl TraceLayer {
    pub fn new(exporter: Option<Exporter>) -> Self {
        Self { exporter }
    }
}

impl<S> tracing_subscriber::Layer<S> for TraceLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = span
            .parent()
            .and_then(|p| p.extensions().get::<SpanRecord>().map(|r| r.ctx.clone()));
        let (ctx_, parent_id) = match parent {
            Some(p) => (
                SpanContext {
                    span_id: SpanId::random(),
                    ..p.clone()
                },
                Some(p.span_id),
            ),
            None => (
                SpanContext {
                    trace_id: TraceId::random(),
                    span_id: SpanId::random(),
                    flags: SAMPLED,
                    state: None,
                },
                None,
            ),
        };
        let collected = self.exporter.as_ref().map(|_| {
            let mut v = Fields(Vec::new());
            attrs.record(&mut v);
            v.0
        });
        span.extensions_mut().insert(SpanRecord {
            ctx: ctx_,
            parent: parent_id,
            start: SystemTime::now(),
            attrs: collected,
        });
    }

    fn on_record(&self, id: &Id, values: &Values<'_>, ctx: Context<'_, S>) {
        if self.exporter.is_none() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            if let Some(attrs) = span
                .extensions_mut()
                .get_mut::<SpanRecord>()
                .and_then(|r| r.attrs.as_mut())
            {
                let mut v = Fields(std::mem::take(attrs));
                values.record(&mut v);
                *attrs = v.0;
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(exporter) = &self.exporter else {
            return;
        };
        let Some(span) = ctx.span(&id) else { return };
        let Some(record) = span.extensions_mut().remove::<SpanRecord>() else {
            return;
        };
        if record.ctx.flags & SAMPLED == 0 {
            return;
        }
        let name = span.name();
        exporter.send(FinishedSpan {
            trace_id: record.ctx.trace_id,
            span_id: record.ctx.span_id,
            parent_id: record.parent,
            state: record.ctx.state,
            name,
            kind: kind_of(name),
            start: record.start,
            end: SystemTime::now(),
            attrs: record.attrs.unwrap_or_default(),
        });
    }
}

/// The spans the trace layer sees: this crate's, at every level, and no events. Its
/// interest is decided once per callsite (cached), so a `debug!` on a hot path that no
/// layer wants still costs nothing.
pub struct OurSpans;

impl<S> tracing_subscriber::layer::Filter<S> for OurSpans {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: &Context<'_, S>) -> bool {
        is_ours(meta)
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if is_ours(meta) {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }
}

fn is_ours(meta: &tracing::Metadata<'_>) -> bool {
    meta.is_span() && meta.target().starts_with("portcullis")
}

/// Span kinds by name: the incoming request is SERVER; the database and outgoing HTTP are
/// CLIENT calls; the rest is INTERNAL work.
fn kind_of(name: &str) -> SpanKind {
    match name {
        REQUEST_SPAN => SpanKind::Server,
        "store" | "http.client" => SpanKind::Client,
        _ => SpanKind::Internal,
    }
}

/// The name of the span `http::request_id` opens for each request.
pub const REQUEST_SPAN: &str = "http.request";

struct Fields(Vec<(&'static str, Attr)>);

impl Fields {
    fn put(&mut self, field: &Field, value: Attr) {
        match self.0.iter_mut().find(|(k, _)| *k == field.name()) {
            Some(slot) => slot.1 = value,
            None => self.0.push((field.name(), value)),
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Attr::Str(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Attr::Str(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Attr::Int(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Attr::Int(value as i64));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Attr::Bool(value));
    }
}

fn with_record<T>(span: &Span, f: impl FnOnce(&mut SpanRecord) -> T) -> Option<T> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let data = registry.span(id)?;
        let mut ext = data.extensions_mut();
        ext.get_mut::<SpanRecord>().map(f)
    })
    .flatten()
}

/// Joins `span` (just created, not yet entered) to a caller's trace, or keeps the new
/// trace it started, and returns the trace id. Without our layer installed (a library
/// user's own subscriber), the caller's trace id, or a fresh one, is still returned so
/// logs can carry one.
pub fn adopt(span: &Span, remote: Option<&Remote>) -> TraceId {
    let adopted = with_record(span, |r| {
        if let Some(remote) = remote {
            r.ctx.trace_id = remote.trace_id;
            r.ctx.flags = remote.flags;
            r.ctx.state = remote.state.clone();
            r.parent = Some(remote.parent_id);
        }
        r.ctx.trace_id
    });
    adopted.unwrap_or_else(|| remote.map_or_else(TraceId::random, |r| r.trace_id))
}

/// The current span's place in its trace, if it is one of ours.
pub fn current() -> Option<SpanContext> {
    with_record(&Span::current(), |r| r.ctx.clone())
}

/// The current trace id, without copying anything else (log lines).
pub fn current_trace_id_raw() -> Option<TraceId> {
    with_record(&Span::current(), |r| r.ctx.trace_id)
}

/// The current trace id as text (for the audit log).
pub fn current_trace_id() -> Option<String> {
    current().map(|c| c.trace_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    fn with_layer(f: impl FnOnce()) {
        let subscriber = Registry::default().with(TraceLayer::new(None));
        tracing::subscriber::with_default(subscriber, f);
    }

    #[test]
    fn a_child_span_shares_its_parents_trace_with_an_id_of_its_own() {
        with_layer(|| {
            let parent = tracing::info_span!("http.request");
            let trace_id = adopt(&parent, None);
            let (p, c) = parent.in_scope(|| {
                let p = current().unwrap();
                let child = tracing::info_span!("store");
                (p, child.in_scope(|| current().unwrap()))
            });
            assert_eq!(p.trace_id, trace_id);
            assert_eq!(c.trace_id, trace_id);
            assert_ne!(c.span_id, p.span_id);
        });
    }

    #[test]
    fn a_callers_traceparent_is_adopted_with_its_flags_and_state() {
        with_layer(|| {
            let remote = Remote::parse(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
                Some("vendor=x"),
            )
            .unwrap();
            let span = tracing::info_span!("http.request");
            assert_eq!(adopt(&span, Some(&remote)), remote.trace_id);
            let c = span.in_scope(|| current().unwrap());
            assert_eq!(c.trace_id, remote.trace_id);
            assert_eq!(c.flags, 0);
            assert_eq!(c.state.as_deref(), Some("vendor=x"));
            assert!(
                c.traceparent()
                    .starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-")
            );
            assert!(c.traceparent().ends_with("-00"));
        });
    }

    #[test]
    fn without_the_layer_there_is_no_current_context_but_a_trace_id_all_the_same() {
        let span = tracing::info_span!("http.request");
        assert!(span.in_scope(current).is_none());
        let remote = Remote::parse(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            None,
        );
        assert_eq!(adopt(&span, remote.as_ref()), remote.unwrap().trace_id);
    }
}
