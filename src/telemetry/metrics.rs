//! Prometheus metrics (`prometheus-client`, the Prometheus project's own Rust client:
//! OpenMetrics text, atomics, no global registry). Counters are bumped where things happen;
//! gauges that describe state are set when `/metrics` is scraped, on the separate metrics
//! listener. Labels are bounded: route patterns, never raw paths; no client id, username,
//! address, token or secret is ever a label.

use super::histogram::LatencyHistogram;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: &'static str,
    pub method: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: &'static str,
    pub method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrantLabels {
    pub grant_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub error: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub cache: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlgLabels {
    pub alg: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VersionLabels {
    pub version: &'static str,
}

pub struct Metrics {
    /// Off (no `metrics.bind`): nothing is counted, so the hot paths pay nothing.
    enabled: bool,
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, LatencyHistogram>,
    pub tokens_issued: Family<GrantLabels, Counter>,
    pub token_errors: Family<ErrorLabels, Counter>,
    pub logins: Family<ResultLabels, Counter>,
    pub forward_auth: Family<ResultLabels, Counter>,
    pub revocations: Family<KindLabels, Counter>,
    pub revocation_list_entries: Gauge,
    pub backchannel_deliveries: Family<ResultLabels, Counter>,
    pub cache_reloads: Family<CacheLabels, Counter>,
    pub db_errors: Counter,
    pub db_pool_connections: Family<StateLabels, Gauge>,
    pub sessions_active: Gauge,
    pub backchannel_deliveries_pending: Gauge,
    pub signing_keys: Family<StateLabels, Gauge>,
    pub signing_key_age_seconds: Family<AlgLabels, Gauge>,
    pub password_hashes_in_flight: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(false)
    }
}

impl Metrics {
    pub fn new(enabled: bool) -> Self {
        let mut registry = Registry::with_prefix("portcullis");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            http_requests.clone(),
        );
        let http_duration = Family::<RouteLabels, LatencyHistogram>::default();
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern and method",
            http_duration.clone(),
        );
        let tokens_issued = Family::<GrantLabels, Counter>::default();
        registry.register(
            "tokens_issued",
            "Token responses issued at the token endpoint, by grant type",
            tokens_issued.clone(),
        );
        let token_errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "token_errors",
            "Token endpoint errors, by RFC 6749 error code",
            token_errors.clone(),
        );
        let logins = Family::<ResultLabels, Counter>::default();
        registry.register(
            "logins",
            "Password sign-ins, by result (succeeded, failed, throttled)",
            logins.clone(),
        );
        let forward_auth = Family::<ResultLabels, Counter>::default();
        registry.register(
            "forward_auth_decisions",
            "Forward-auth answers to gateways, by result (allowed, no_credentials, invalid_token, forbidden, sign_in, unknown_policy)",
            forward_auth.clone(),
        );
        let revocations = Family::<KindLabels, Counter>::default();
        registry.register(
            "revocations",
            "Revocations this instance has applied to its list, by kind (jti, sid, client), \
             wherever they were made (every instance counts every revocation)",
            revocations.clone(),
        );
        let backchannel_deliveries = Family::<ResultLabels, Counter>::default();
        registry.register(
            "backchannel_deliveries",
            "Back-channel logout delivery attempts by this instance, by result \
             (delivered, failed: will retry, abandoned: out of attempts)",
            backchannel_deliveries.clone(),
        );
        let cache_reloads = Family::<CacheLabels, Counter>::default();
        registry.register(
            "cache_reloads",
            "Reloads of an in-memory cache after a change, by cache (clients, keys, revocations)",
            cache_reloads.clone(),
        );
        let db_errors = Counter::default();
        registry.register(
            "db_errors",
            "Failed database queries and connection attempts (a duplicate key is not counted)",
            db_errors.clone(),
        );
        let revocation_list_entries = Gauge::default();
        registry.register(
            "revocation_list_entries",
            "Entries in this instance's revocation list (jtis, sids and clients)",
            revocation_list_entries.clone(),
        );
        let db_pool_connections = Family::<StateLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections, by state (idle, in_use)",
            db_pool_connections.clone(),
        );
        let sessions_active = Gauge::default();
        registry.register(
            "sessions_active",
            "SSO sessions not yet expired",
            sessions_active.clone(),
        );
        let backchannel_deliveries_pending = Gauge::default();
        registry.register(
            "backchannel_deliveries_pending",
            "Back-channel logout deliveries still owed",
            backchannel_deliveries_pending.clone(),
        );
        let signing_keys = Family::<StateLabels, Gauge>::default();
        registry.register(
            "signing_keys",
            "Signing keys, by state (pending, active, retired)",
            signing_keys.clone(),
        );
        let signing_key_age_seconds = Family::<AlgLabels, Gauge>::default();
        registry.register(
            "signing_key_age_seconds",
            "Age of the active signing key since it began signing, by algorithm",
            signing_key_age_seconds.clone(),
        );
        let password_hashes_in_flight = Gauge::default();
        registry.register(
            "password_hashes_in_flight",
            "Password checks queued or running",
            password_hashes_in_flight.clone(),
        );
        let build_info = Family::<VersionLabels, Gauge>::default();
        build_info
            .get_or_create(&VersionLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The running build", build_info);
        Self {
            enabled,
            registry,
            http_requests,
            http_duration,
            tokens_issued,
            token_errors,
            logins,
            forward_auth,
            revocations,
            revocation_list_entries,
            backchannel_deliveries,
            cache_reloads,
            db_errors,
            db_pool_connections,
            sessions_active,
            backchannel_deliveries_pending,
            signing_keys,
            signing_key_age_seconds,
            password_hashes_in_flight,
        }
    }

    /// Whether anything is counted (`metrics.bind` is set).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    pub fn token_issued(&self, grant_type: &'static str) {
        if self.enabled {
            self.tokens_issued
                .get_or_create(&GrantLabels { grant_type })
                .inc();
        }
    }

    pub fn token_error(&self, error: &'static str) {
        if self.enabled {
            self.token_errors
                .get_or_create(&ErrorLabels { error })
                .inc();
        }
    }

    pub fn login(&self, result: &'static str) {
        if self.enabled {
            self.logins.get_or_create(&ResultLabels { result }).inc();
        }
    }

    pub fn forward_auth(&self, result: &'static str) {
        if self.enabled {
            self.forward_auth
                .get_or_create(&ResultLabels { result })
                .inc();
        }
    }

    pub fn revoked(&self, kind: &'static str, n: u64) {
        if self.enabled && n > 0 {
            self.revocations
                .get_or_create(&KindLabels { kind })
                .inc_by(n);
        }
    }

    pub fn backchannel_delivery(&self, result: &'static str) {
        if self.enabled {
            self.backchannel_deliveries
                .get_or_create(&ResultLabels { result })
                .inc();
        }
    }

    pub fn cache_reloaded(&self, cache: &'static str) {
        if self.enabled {
            self.cache_reloads
                .get_or_create(&CacheLabels { cache })
                .inc();
        }
    }

    /// Brings `db_errors` up to the store's own tally (read at scrape time, on the single
    /// metrics worker thread, with no await between the read and the increment).
    pub fn sync_db_errors(&self, total: u64) {
        let seen = self.db_errors.get();
        if total > seen {
            self.db_errors.inc_by(total - seen);
        }
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        out
    }

    pub fn count_request(&self, route: &'static str, method: &str, status: u16, seconds: f64) {
        if !self.enabled {
            return;
        }
        let method = method_label(method);
        self.http_requests
            .get_or_create(&HttpLabels {
                route,
                method,
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels { route, method })
            .observe(seconds);
    }
}

/// The request method as a label: the methods we serve, and `other` for anything a
/// client makes up (bounded cardinality).
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_appear_in_the_exposition_with_bounded_labels() {
        let m = Metrics::new(true);
        m.count_request("/token", "POST", 200, 0.001);
        m.token_issued("client_credentials");
        let text = m.encode();
        assert!(
            text.contains(
                r#"portcullis_http_requests_total{route="/token",method="POST",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"portcullis_tokens_issued_total{grant_type="client_credentials"} 1"#)
        );
        assert!(text.contains("portcullis_build_info{version="));
        assert!(text.contains("portcullis_http_request_duration_seconds_bucket"));
        m.count_request("/token", "BREW", 405, 0.001);
        assert!(m.encode().contains(
            r#"portcullis_http_requests_total{route="/token",method="other",status="405"} 1"#
        ));
    }

    #[test]
    fn nothing_is_counted_when_metrics_are_off() {
        let m = Metrics::new(false);
        m.count_request("/token", "POST", 200, 0.001);
        m.token_issued("client_credentials");
        assert!(!m.encode().contains("portcullis_http_requests_total{"));
    }
}
