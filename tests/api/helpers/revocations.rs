//! Reading the revocation feed's Server-Sent Events.

use std::future::poll_fn;
use std::pin::Pin;

use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;
use awc::error::PayloadError;
use futures_core::Stream;

use super::wait::PROPAGATION_DEADLINE;

type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// An open `/revocations/stream`.
pub struct EventStream {
    headers: HeaderMap,
    body: Chunks,
}

impl EventStream {
    pub(super) fn new<S>(res: awc::ClientResponse<S>) -> Self
    where
        S: Stream<Item = Result<Bytes, PayloadError>> + Unpin + 'static,
    {
        Self {
            headers: res.headers().clone(),
            body: Box::pin(res),
        }
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The next event (keep-alive comments skipped), within the propagation deadline.
    pub async fn next_event(&mut self) -> String {
        let read = async {
            let mut buf = String::new();
            while !buf.contains("\n\n") {
                let chunk = poll_fn(|cx| self.body.as_mut().poll_next(cx))
                    .await
                    .expect("stream open")
                    .expect("stream chunk");
                buf.push_str(&String::from_utf8_lossy(&chunk));
                if buf.starts_with(": keep-alive") {
                    buf.clear();
                }
            }
            buf
        };
        actix_web::rt::time::timeout(PROPAGATION_DEADLINE, read)
            .await
            .expect("an event within the propagation deadline")
    }

    /// The `data:` line of the next event.
    pub async fn next_data(&mut self) -> String {
        let event = self.next_event().await;
        event
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap_or_else(|| panic!("no data in {event}"))
            .to_string()
    }
}
