//! The metrics listener (`metrics.bind`): `GET /metrics` in the OpenMetrics text format,
//! on its own address so that it is never served on the public listener. Gauges that
//! describe state are read here, at scrape time, off the request paths.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::state::AppState;
use crate::telemetry::metrics::StateLabels;

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn metrics_handler(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.metrics;
    let snap = state.revocations.current();
    m.revocation_list_entries
        .set((snap.jtis.len() + snap.sids.len() + snap.clients.len()) as i64);
    let (idle, in_use) = state.store.connections();
    m.db_pool_connections
        .get_or_create(&StateLabels { state: "idle" })
        .set(i64::from(idle));
    m.db_pool_connections
        .get_or_create(&StateLabels { state: "in_use" })
        .set(i64::from(in_use));
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
