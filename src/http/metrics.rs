//! The metrics listener (`metrics.bind`): `GET /metrics` in the OpenMetrics text format,
//! on its own address so that it is never served on the public listener. Gauges that
//! describe state are read here, at scrape time, off the request paths.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::keys::lifecycle::KeyState;
use crate::state::AppState;
use crate::store::{backchannel, sessions};
use crate::telemetry::metrics::{AlgLabels, StateLabels};

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn metrics_handler(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.metrics;
    m.revocation_list_entries
        .set(state.revocations.len() as i64);
    m.sync_db_errors(state.store.error_total());
    let (idle, in_use) = state.store.connections();
    m.db_pool_connections
        .get_or_create(&StateLabels { state: "idle" })
        .set(i64::from(idle));
    m.db_pool_connections
        .get_or_create(&StateLabels { state: "in_use" })
        .set(i64::from(in_use));
    m.password_hashes_in_flight
        .set(state.password_checker.in_flight());
    let now = state.now();
    let keys = state.keys.current();
    let all = keys.keys();
    for key_state in [KeyState::Pending, KeyState::Active, KeyState::Retired] {
        let n = all
            .iter()
            .filter(|k| keys.state(k, now) == key_state)
            .count();
        m.signing_keys
            .get_or_create(&StateLabels {
                state: key_state.as_str(),
            })
            .set(n as i64);
    }
    for alg in &state.settings.keys.algorithms {
        if let Some(active) = keys.active_for(*alg, now) {
            m.signing_key_age_seconds
                .get_or_create(&AlgLabels {
                    alg: active.alg.to_string(),
                })
                .set(now - active.times.activates_at);
        }
    }
    // Two counts, on the metrics listener only (never a request path).
    let counts = state
        .store
        .run(move |c| {
            Ok::<_, crate::store::StoreError>((
                sessions::count_live(c, now)?,
                backchannel::count_pending(c)?,
            ))
        })
        .await;
    match counts {
        Ok((sessions, pending)) => {
            m.sessions_active.set(sessions);
            m.backchannel_deliveries_pending.set(pending);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the session and delivery counts"),
    }
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(("Cache-Control", "no-store"))
        .body(m.encode())
}

pub fn server(state: web::Data<AppState>, listener: TcpListener) -> anyhow::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(metrics_handler))
    })
    .workers(1)
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok(server)
}
