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

use super::error::ApiError;
use crate::revocation::document::Signed;
use crate::revocation::list::Answer;
use crate::state::AppState;

/// A comment line every so often keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(serde::Deserialize)]
pub struct FeedQuery {
    /// The version the follower has (`version` of its last document).
    since: Option<String>,
}

fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        })
}

fn feed_headers(res: &mut HttpResponse) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

fn document(req: &HttpRequest, doc: &Signed) -> HttpResponse {
    let mut res = if if_none_match(req, &doc.etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type("application/jwt")
            .body(doc.body.clone())
    };
    if let Ok(v) = HeaderValue::from_str(&doc.etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    feed_headers(&mut res);
    res
}

/// `GET /revocations`: the whole list (`kind: snapshot`), or with `?since=<version>` the
/// changes after that version (`kind: delta`), `304` when the follower is current, or
/// the whole list with a `reason` when that version is not retained.
pub async fn feed_handler(
    req: HttpRequest,
    query: web::Query<FeedQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let answer = match &query.since {
        None => Answer::Document(state.revocations.snapshot(None).await?),
        Some(v) => {
            let since = v
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request("since must be a version number"))?;
            state.revocations.since(since).await?
        }
    };
    Ok(match answer {
        Answer::Current => {
            let mut res = HttpResponse::NotModified().finish();
            feed_headers(&mut res);
            res
        }
        Answer::Document(doc) => document(&req, &doc),
    })
}

struct Events(mpsc::Receiver<Bytes>);

impl futures_core::Stream for Events {
    type Item = Result<Bytes, actix_web::Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|o| o.map(Ok))
    }
}

fn event(doc: &Signed) -> Bytes {
    Bytes::from(format!(
        "id: {}\nevent: revocations\ndata: {}\n\n",
        doc.version,
        String::from_utf8_lossy(&doc.body)
    ))
}

/// `GET /revocations/stream`: Server-Sent Events. The first event brings the follower
/// current (the whole list, or a delta after `Last-Event-ID` when it reconnects); each
/// later event is one applied batch of changes, as a delta.
pub async fn stream_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let mut changes = state.revocations.subscribe();
    let resumed = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let first = match resumed {
        Some(since) => match state.revocations.since(since).await? {
            Answer::Current => None,
            Answer::Document(doc) => Some(doc),
        },
        None => Some(state.revocations.snapshot(None).await?),
    };
    let mut at = first.as_ref().map_or(resumed.unwrap_or(0), |d| d.version);
    let state = state.clone();
    actix_web::rt::spawn(async move {
        if let Some(doc) = first {
            if tx.send(event(&doc)).await.is_err() {
                return;
            }
        }
        loop {
            let next = tokio::select! {
                r = changes.recv() => match r {
                    // A delta that starts where this follower is; an older one is skipped,
                    // a gap (missed deltas) is filled from the list.
                    Ok(doc) if doc.version <= at => continue,
                    Ok(doc) => match doc.since {
                        Some(since) if since == at => doc,
                        _ => match state.revocations.since(at).await {
                            Ok(Answer::Document(doc)) => doc,
                            Ok(Answer::Current) => continue,
                            Err(_) => return,
                        },
                    },
                    Err(broadcast::error::RecvError::Lagged(_)) => match state.revocations.since(at).await {
                        Ok(Answer::Document(doc)) => doc,
                        Ok(Answer::Current) => continue,
                        Err(_) => return,
                    },
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(HEARTBEAT) => {
                    if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                        return;
                    }
                    continue;
                }
            };
            at = next.version;
            if tx.send(event(&next)).await.is_err() {
                return; // the resource server went away
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .streaming(Events(rx)))
}
