//! JWK sets of `private_key_jwt` clients registered by `jwks_uri`: fetched on first use,
//! cached, and fetched again when an assertion names a key we do not have (the client
//! rotated) — at most once per [`REFETCH_AFTER`] so a bad assertion cannot make us hammer
//! the client's server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const REFETCH_AFTER: Duration = Duration::from_secs(30);
pub const MAX_AGE: Duration = Duration::from_secs(3600);
const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BYTES: usize = 64 * 1024;

#[derive(Default)]
pub struct RemoteJwks {
    cache: Mutex<HashMap<String, (Instant, Arc<str>)>>,
}

impl std::fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemoteJwks")
    }
}

impl RemoteJwks {
    /// The cached set for `uri`, fetching it when absent, stale, or (with `refresh`) when
    /// the cached copy lacks the key the caller needs.
    pub async fn get(&self, uri: &str, refresh: bool) -> Result<Arc<str>, String> {
        let cached = self.cache.lock().ok().and_then(|c| c.get(uri).cloned());
        if let Some((at, jwks)) = &cached {
            let age = at.elapsed();
            if age < MAX_AGE && (!refresh || age < REFETCH_AFTER) {
                return Ok(jwks.clone());
            }
        }
        match fetch(uri).await {
            Ok(jwks) => {
                let jwks: Arc<str> = Arc::from(jwks);
                if let Ok(mut c) = self.cache.lock() {
                    c.insert(uri.to_string(), (Instant::now(), jwks.clone()));
                }
                Ok(jwks)
            }
            // Keep serving the last good copy if the client's server is briefly down.
            Err(e) => cached.map(|(_, j)| j).ok_or(e),
        }
    }
}

async fn fetch(uri: &str) -> Result<String, String> {
    let client = awc::Client::builder().timeout(TIMEOUT).finish();
    let mut res = client
        .get(uri)
        .insert_header(("Accept", "application/json"))
        .send()
        .await
        .map_err(|e| format!("cannot fetch {uri}: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("{uri} answered {}", res.status()));
    }
    let body = res
        .body()
        .limit(MAX_BYTES)
        .await
        .map_err(|e| format!("cannot read {uri}: {e}"))?;
    let text = String::from_utf8(body.to_vec()).map_err(|_| format!("{uri} is not UTF-8"))?;
    crate::domain::jwks::check_public_jwks(&text).map_err(|e| format!("{uri}: {e}"))?;
    Ok(text)
}
