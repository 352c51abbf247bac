//! Status List Tokens (draft-ietf-oauth-status-list §5.1): each list's bits, loaded on
//! first request and then kept current by applying the ranges set after the last one
//! seen (with the revocation log's catch-up); signed as a JWT with `typ: statuslist+jwt`,
//! at most once per second per list while it changes, off the executor.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use josekit::jwt::JwtPayload;
use serde_json::json;
use tokio::sync::Mutex;

use super::allocator::Allocator;
use super::bits::Bits;
use crate::clock::Clock;
use crate::endpoints::Endpoint;
use crate::keys::{KeyError, KeyManager, KeySet};
use crate::revocation::document::Signed;
use crate::store::status_lists::{self, ListInfo};
use crate::store::{Store, StoreError, revoked};

/// `typ` of a Status List Token (§5.1).
pub const TYP: &str = "statuslist+jwt";
/// `ttl` (§5.1): how long a relying party may cache a list before fetching it again.
pub const TTL_SECS: i64 = 30;
/// `exp` of a signed list, after its `iat`.
pub const VALID_SECS: i64 = 600;
/// A changing list is re-signed at most this often.
const SIGN_EVERY: Duration = Duration::from_secs(1);

struct Loaded {
    info: ListInfo,
    bits: Bits,
    /// Bumped by every range applied; compared with the signed document's.
    changes: i64,
    signed: Option<(Arc<Signed>, i64, Instant)>,
}

pub struct StatusLists {
    store: Store,
    keys: Arc<KeyManager>,
    clock: Arc<dyn Clock>,
    issuer: String,
    pub allocator: Arc<Allocator>,
    lists: RwLock<HashMap<String, Arc<Mutex<Loaded>>>>,
    /// The last range number applied to the loaded lists.
    applied: AtomicI64,
}

/// The URI of a list: `sub` of its token and `uri` in the tokens that point at it.
pub fn uri(issuer: &str, list_id: &str) -> String {
    format!("{}/{list_id}", Endpoint::StatusListAggregation.url(issuer))
}

/// The list id in one of our list URIs.
pub fn list_id<'a>(issuer: &str, uri: &'a str) -> Option<&'a str> {
    uri.strip_prefix(issuer)?
        .strip_prefix(Endpoint::StatusListAggregation.path())?
        .strip_prefix('/')
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

/// Signs the Status List Token of `list_id`.
pub fn sign(
    keys: &KeySet,
    issuer: &str,
    list_id: &str,
    bits: &Bits,
    now: i64,
) -> Result<Signed, KeyError> {
    let mut p = JwtPayload::new();
    let claims = json!({
        "iss": issuer,
        "sub": uri(issuer, list_id),
        "iat": now,
        "exp": now + VALID_SECS,
        "ttl": TTL_SECS,
        "status_list": { "bits": 1, "lst": bits.encode() },
    });
    for (k, v) in claims.as_object().into_iter().flatten() {
        p.set_claim(k, Some(v.clone()))
            .map_err(|e| KeyError::Jose(e.to_string()))?;
    }
    let body = bytes::Bytes::from(keys.sign(TYP, &p, now)?);
    use base64::Engine;
    use sha2::Digest;
    let etag = format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest(&body)[..18])
    );
    Ok(Signed {
        version: 0,
        since: None,
        body,
        etag,
        signed_at: now,
    })
}

impl StatusLists {
    pub async fn start(
        store: Store,
        keys: Arc<KeyManager>,
        clock: Arc<dyn Clock>,
        issuer: String,
        token_lifetime: i64,
    ) -> Result<Arc<Self>, StoreError> {
        let applied = store.run(revoked::version).await?;
        Ok(Arc::new(Self {
            allocator: Allocator::new(store.clone(), clock.clone(), token_lifetime),
            store,
            keys,
            clock,
            issuer,
            lists: RwLock::new(HashMap::new()),
            applied: AtomicI64::new(applied),
        }))
    }

    pub fn uri(&self, list_id: &str) -> String {
        uri(&self.issuer, list_id)
    }

    /// Applies the ranges set since the last catch-up to the lists loaded here.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let since = self.applied.load(Ordering::Acquire);
        let ranges = self
            .store
            .run(move |c| status_lists::ranges_since(c, since))
            .await?;
        let Some(last) = ranges.last().map(|r| r.0) else {
            return Ok(());
        };
        for (_, list, start, end) in ranges {
            let loaded = self
                .lists
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&list)
                .cloned();
            if let Some(l) = loaded {
                let mut l = l.lock().await;
                l.bits.set_range(start, end);
                l.changes += 1;
            }
        }
        self.applied.fetch_max(last, Ordering::AcqRel);
        Ok(())
    }

    async fn loaded(&self, list_id: &str) -> Result<Option<Arc<Mutex<Loaded>>>, StoreError> {
        let now = self.clock.now();
        let known = self
            .lists
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(list_id)
            .cloned();
        if let Some(l) = known {
            if l.lock().await.info.expires_at > now {
                return Ok(Some(l));
            }
        }
        // First request for this list here, or its end of life passed (it may have moved).
        let id = list_id.to_string();
        let found = self
            .store
            .run(move |c| status_lists::load(c, &id, now))
            .await?;
        let mut lists = self.lists.write().unwrap_or_else(|p| p.into_inner());
        let Some((info, ranges)) = found else {
            lists.remove(list_id);
            return Ok(None);
        };
        let mut bits = Bits::new(info.capacity);
        for (start, end) in ranges {
            bits.set_range(start, end);
        }
        let l = Arc::new(Mutex::new(Loaded {
            info,
            bits,
            changes: 0,
            signed: None,
        }));
        lists.insert(list_id.to_string(), l.clone());
        Ok(Some(l))
    }

    /// The signed list, `None` when there is no such list (or it has expired).
    pub async fn document(&self, list_id: &str) -> Result<Option<Arc<Signed>>, StoreError> {
        let Some(l) = self.loaded(list_id).await? else {
            return Ok(None);
        };
        let mut l = l.lock().await;
        let now = self.clock.now();
        if let Some((doc, changes, at)) = &l.signed {
            let fresh = now - doc.signed_at < VALID_SECS / 3;
            if fresh && (*changes == l.changes || at.elapsed() < SIGN_EVERY) {
                return Ok(Some(doc.clone()));
            }
        }
        let (keys, issuer, id, bits, changes) = (
            self.keys.current(),
            self.issuer.clone(),
            list_id.to_string(),
            l.bits.clone(),
            l.changes,
        );
        let doc = tokio::task::spawn_blocking(move || sign(&keys, &issuer, &id, &bits, now))
            .await
            .map_err(|_| StoreError::TaskFailed)?
            .map_err(|e| StoreError::Corrupt(format!("cannot sign a status list: {e}")))?;
        let doc = Arc::new(doc);
        l.signed = Some((doc.clone(), changes, Instant::now()));
        Ok(Some(doc))
    }

    /// A token's bit, when this instance holds its list and nobody is updating it at this
    /// instant; never a database read (forward-auth's hot path). Every bit is set in the
    /// same transaction as an entry of the revocation set, so `None` loses nothing.
    pub fn bit_if_loaded(&self, list_id: &str, idx: i64) -> Option<bool> {
        let lists = self.lists.read().unwrap_or_else(|p| p.into_inner());
        let l = lists.get(list_id)?.try_lock().ok()?;
        (0..l.bits.capacity())
            .contains(&idx)
            .then(|| l.bits.get(idx))
    }

    /// Every live list's URI (the aggregation endpoint, §9.3).
    pub async fn live(&self) -> Result<Vec<String>, StoreError> {
        let now = self.clock.now();
        let ids = self.store.run(move |c| status_lists::live(c, now)).await?;
        Ok(ids.iter().map(|id| self.uri(id)).collect())
    }

    /// Forgets lists whose end of life has passed.
    pub fn prune(&self) {
        let now = self.clock.now();
        self.lists
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, l| l.try_lock().map_or(true, |l| l.info.expires_at > now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys;

    #[test]
    fn a_list_uri_names_its_id_and_nothing_else_does() {
        let u = uri("https://id.example", "abc");
        assert_eq!(u, "https://id.example/statuslists/abc");
        assert_eq!(list_id("https://id.example", &u), Some("abc"));
        assert_eq!(
            list_id("https://id.example", "https://other/statuslists/abc"),
            None
        );
        assert_eq!(
            list_id("https://id.example", "https://id.example/statuslists/"),
            None
        );
        assert_eq!(
            list_id("https://id.example", "https://id.example/statuslists/a/b"),
            None
        );
    }

    #[test]
    fn the_token_is_typed_and_names_its_own_uri() {
        let mut bits = Bits::new(16);
        bits.set_range(3, 4);
        let doc = sign(test_keys(), "https://id.example", "abc", &bits, 100).unwrap();
        let jwt = std::str::from_utf8(&doc.body).unwrap();
        let claims = test_keys()
            .verify_typed(jwt, Some(TYP))
            .unwrap()
            .claims_set()
            .clone();
        assert_eq!(claims["sub"], "https://id.example/statuslists/abc");
        assert_eq!(claims["ttl"], TTL_SECS);
        assert_eq!(claims["exp"], 100 + VALID_SECS);
        assert_eq!(claims["status_list"]["bits"], 1);
        assert_eq!(claims["status_list"]["lst"], bits.encode());
    }
}
