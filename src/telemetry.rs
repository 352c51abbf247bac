//! What an operator watches. Structured logs through `tracing` (here): human-readable by
//! default, JSON lines with `log.format = "json"` (`PORTCULLIS_LOG_FORMAT=json`), to stderr
//! so that command output on stdout stays machine-readable. Every span of ours belongs to
//! a W3C trace (`spans`, `trace_context`) whose id every log line of a request carries,
//! exported over OTLP/HTTP when `tracing.otlp_endpoint` is set (`otlp`). Prometheus
//! metrics: `metrics`.

pub mod histogram;
mod log_line;
pub mod metrics;
pub mod otlp;
pub mod spans;
pub mod trace_context;

use std::io::IsTerminal;

use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

use crate::config::{HttpSettings, LogFormat, LogSettings, TracingSettings};
use crate::net::client::Outbound;

/// Installs the global subscriber; a second call (tests) is a no-op.
///
/// The log level filters log lines only: the trace layer sees every span of this crate
/// whatever the level, and every line logged inside a request carries its trace id
/// (`log_line`), so a line logged at `warn` still names its trace.
pub fn init(log: &LogSettings, tracing: &TracingSettings) {
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt_layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let fmt_layer = match log.format {
        LogFormat::Human => fmt_layer
            .event_format(log_line::WithTraceId::human(fmt::format()))
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => fmt_layer
            .json()
            .event_format(log_line::WithTraceId::json(
                fmt::format()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            ))
            .with_filter(filter)
            .boxed(),
    };
    let exporter = tracing.otlp_endpoint.as_deref().and_then(|endpoint| {
        // The operator's own collector: private addresses allowed, same deadline and caps.
        let outbound = Outbound::new(&HttpSettings {
            allow_private_destinations: true,
            ..HttpSettings::default()
        });
        otlp::Exporter::start(endpoint, &tracing.service_name, outbound)
            .inspect_err(|e| eprintln!("cannot start the OTLP exporter: {e}"))
            .ok()
    });
    let _ = tracing_subscriber::registry()
        .with(spans::TraceLayer::new(exporter).with_filter(spans::OurSpans))
        .with(fmt_layer)
        .try_init();
}
