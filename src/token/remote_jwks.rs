//! JWK sets of `private_key_jwt` clients registered by `jwks_uri`: fetched on first use
//! through the outgoing-request policy (`net::client`), cached, and fetched again when an
//! assertion names a key we do not have (the client rotated). A bad assertion cannot make
//! us hammer the client's server: refetches happen at most once per [`REFETCH_AFTER`],
//! a failure is remembered for [`NEGATIVE_TTL`], and concurrent requests for one URI share
//! one fetch (single flight).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::net::client::Outbound;

pub const REFETCH_AFTER: Duration = Duration::from_secs(30);
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// How long a failed fetch is answered from memory instead of fetching again.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Entry {
    /// When a fetch last completed, successful or not.
    attempted: Instant,
    jwks: Option<(Instant, Arc<str>)>,
    error: Option<String>,
}

pub struct RemoteJwks {
    outbound: Outbound,
    cache: Mutex<HashMap<String, Entry>>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemoteJwks")
    }
}

impl RemoteJwks {
    pub fn new(outbound: Outbound) -> Self {
        Self {
            outbound,
            cache: Mutex::default(),
            flights: Mutex::default(),
        }
    }

    fn entry(&self, uri: &str) -> Option<Entry> {
        self.cache.lock().ok().and_then(|c| c.get(uri).cloned())
    }

    /// What the cache can answer without fetching, if anything.
    fn answer(entry: &Entry, refresh: bool) -> Option<Result<Arc<str>, String>> {
        let recent = entry.attempted.elapsed() < REFETCH_AFTER;
        if let Some((at, jwks)) = &entry.jwks {
            if at.elapsed() < MAX_AGE && (!refresh || recent) {
                return Some(Ok(jwks.clone()));
            }
        } else if entry.attempted.elapsed() < NEGATIVE_TTL {
            return Some(Err(entry
                .error
                .clone()
                .unwrap_or_else(|| "the JWK set is unavailable".into())));
        }
        None
    }

    /// The cached set for `uri`, fetching it when absent, stale, or (with `refresh`) when
    /// the cached copy lacks the key the caller needs.
    pub async fn get(&self, uri: &str, refresh: bool) -> Result<Arc<str>, String> {
        if let Some(answer) = self.entry(uri).and_then(|e| Self::answer(&e, refresh)) {
            return answer;
        }
        let asked = Instant::now();
        let flight = match self.flights.lock() {
            Ok(mut f) => f.entry(uri.to_string()).or_default().clone(),
            Err(_) => return Err("the JWK cache is unavailable".into()),
        };
        let _only_fetch = flight.lock().await;
        // Another request may have fetched while we waited: use its result.
        if let Some(e) = self.entry(uri).filter(|e| e.attempted >= asked) {
            return match (&e.jwks, &e.error) {
                (_, Some(err)) if e.jwks.is_none() => Err(err.clone()),
                (Some((_, j)), _) => Ok(j.clone()),
                _ => Err("the JWK set is unavailable".into()),
            };
        }
        let fetched = fetch(&self.outbound, uri).await;
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| "the JWK cache is unavailable")?;
        let entry = cache.entry(uri.to_string()).or_insert(Entry {
            attempted: Instant::now(),
            jwks: None,
            error: None,
        });
        entry.attempted = Instant::now();
        match fetched {
            Ok(text) => {
                let jwks: Arc<str> = Arc::from(text);
                entry.jwks = Some((Instant::now(), jwks.clone()));
                entry.error = None;
                Ok(jwks)
            }
            Err(e) => {
                entry.error = Some(e.clone());
                // Keep serving the last good copy if the client's server is briefly down.
                entry.jwks.as_ref().map(|(_, j)| j.clone()).ok_or(e)
            }
        }
    }
}

async fn fetch(outbound: &Outbound, uri: &str) -> Result<String, String> {
    let body = outbound
        .get(uri, "application/json")
        .await
        .map_err(|e| format!("cannot fetch {uri}: {e}"))?;
    let text = String::from_utf8(body).map_err(|_| format!("{uri} is not UTF-8"))?;
    crate::domain::jwks::check_public_jwks(&text).map_err(|e| format!("{uri}: {e}"))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A loopback server answering `response` to every request, counting connections.
    fn server(response: String) -> (String, Arc<AtomicUsize>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                counted.fetch_add(1, Ordering::SeqCst);
                let response = response.clone();
                std::thread::spawn(move || {
                    use std::io::{Read, Write};
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf);
                    std::thread::sleep(Duration::from_millis(100));
                    let _ = stream.write_all(response.as_bytes());
                });
            }
        });
        (url, hits)
    }

    fn jwks() -> Arc<RemoteJwks> {
        Arc::new(RemoteJwks::new(Outbound {
            allow_private: true,
            deadline: Duration::from_secs(2),
            max_bytes: 64 * 1024,
        }))
    }

    async fn twenty_at_once(cache: &Arc<RemoteJwks>, uri: &str) -> usize {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (cache, uri) = (cache.clone(), uri.to_string());
            tasks.spawn_local(async move { cache.get(&uri, true).await.is_ok() });
        }
        let mut ok = 0;
        while let Some(r) = tasks.join_next().await {
            ok += usize::from(r.unwrap());
        }
        ok
    }

    #[actix_web::test]
    async fn twenty_parallel_refetches_for_an_unknown_key_make_one_request() {
        let pair = josekit::jws::ES256.generate_key_pair().unwrap();
        let mut public = pair.to_jwk_public_key();
        public.set_key_id("k1");
        let body = serde_json::json!({ "keys": [public] }).to_string();
        let (uri, hits) = server(format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ));
        let cache = jwks();
        assert_eq!(twenty_at_once(&cache, &uri).await, 20);
        assert_eq!(hits.load(Ordering::SeqCst), 1, "single flight");
        assert_eq!(twenty_at_once(&cache, &uri).await, 20);
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "no refetch within REFETCH_AFTER"
        );
    }

    #[actix_web::test]
    async fn a_failing_key_server_is_asked_once_then_remembered() {
        let (uri, hits) = server(
            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                .into(),
        );
        let cache = jwks();
        assert_eq!(twenty_at_once(&cache, &uri).await, 0);
        assert_eq!(hits.load(Ordering::SeqCst), 1, "negative cache");
    }
}
