//! The revocation feed for resource servers: the signed revocation list (poll it with
//! `If-None-Match`), and the same documents pushed as Server-Sent Events the moment they
//! change. Either way a resource server blocks revoked tokens without calling us per
//! request.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use tokio::sync::{broadcast, mpsc};

use crate::state::AppState;

/// A comment line every so often keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

pub async fn feed_handler(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let snap = state.revocations.current();
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == snap.etag || t.trim() == "*")
        });
    let mut res = if matches {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type("application/jwt")
            .body(snap.document.clone())
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&snap.etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

struct Events(mpsc::Receiver<Bytes>);

impl futures_core::Stream for Events {
    type Item = Result<Bytes, actix_web::Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|o| o.map(Ok))
    }
}

fn event(version: i64, document: &Bytes) -> Bytes {
    Bytes::from(format!(
        "id: {version}\nevent: revocations\ndata: {}\n\n",
        String::from_utf8_lossy(document)
    ))
}

pub async fn stream_handler(state: web::Data<AppState>) -> HttpResponse {
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    let mut changes = state.revocations.subscribe();
    let first = state.revocations.current();
    actix_web::rt::spawn(async move {
        if tx
            .send(event(first.version, &first.document))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let next = tokio::select! {
                r = changes.recv() => match r {
                    Ok(snap) => event(snap.version, &snap.document),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(HEARTBEAT) => Bytes::from_static(b": keep-alive\n\n"),
            };
            if tx.send(next).await.is_err() {
                return; // the resource server went away
            }
        }
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .streaming(Events(rx))
}
