//! The revocation list: revoked-but-unexpired access-token ids and ended session ids, held
//! in memory for introspection and served to resource servers as a signed feed (polled
//! with `ETag`, or streamed as Server-Sent Events). Every instance reloads it when
//! `cache_versions.revocations` moves (checked every poll interval) and right after its
//! own revocations, so a revocation anywhere reaches every feed within about a second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use josekit::jwt::JwtPayload;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::keys::KeyManager;
use crate::store::{Store, StoreError, revoked};
use crate::telemetry::metrics::Metrics;

/// `typ` of the signed feed document.
pub const FEED_TYP: &str = "revocation-list+jwt";
/// A feed document is valid this long: a resource server that cannot refresh it within
/// that time should fail closed.
pub const FEED_TTL_SECS: i64 = 300;

/// What identifies an access token to the revocation list: its `jti`, its session, and
/// its client with the time it was issued (a client's not-before revokes every token of
/// that client issued before it).
#[derive(Debug, Clone, Copy)]
pub struct TokenRef<'a> {
    pub jti: &'a str,
    pub sid: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub iat: Option<i64>,
}

#[derive(Default)]
pub struct Snapshot {
    pub version: i64,
    pub jtis: HashMap<String, i64>,
    pub sids: HashMap<String, i64>,
    /// `client_id` → (`not_before`, `exp` of the entry)
    pub clients: HashMap<String, (i64, i64)>,
    /// The signed feed (compact JWS) and its ETag.
    pub document: Bytes,
    pub etag: String,
}

impl Snapshot {
    /// By its `jti`, its session, or its client's not-before (a token without `iat` is
    /// treated as issued at the epoch, so a not-before revokes it).
    pub fn revokes(&self, t: &TokenRef<'_>, now: i64) -> bool {
        self.jtis.get(t.jti).is_some_and(|exp| *exp > now)
            || t.sid
                .is_some_and(|s| self.sids.get(s).is_some_and(|exp| *exp > now))
            || t.client_id.is_some_and(|c| {
                self.clients
                    .get(c)
                    .is_some_and(|(nbf, exp)| *exp > now && t.iat.unwrap_or(0) < *nbf)
            })
    }
}

pub struct Revocations {
    store: Store,
    keys: Arc<KeyManager>,
    clock: Arc<dyn Clock>,
    issuer: String,
    metrics: Arc<Metrics>,
    current: RwLock<Arc<Snapshot>>,
    version: AtomicI64,
    changes: broadcast::Sender<Arc<Snapshot>>,
}

impl Revocations {
    pub async fn load(
        store: Store,
        keys: Arc<KeyManager>,
        clock: Arc<dyn Clock>,
        issuer: String,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, StoreError> {
        let (changes, _) = broadcast::channel(16);
        let r = Arc::new(Self {
            store,
            keys,
            clock,
            issuer,
            metrics,
            current: RwLock::new(Arc::new(Snapshot::default())),
            version: AtomicI64::new(i64::MIN),
            changes,
        });
        r.refresh(true).await?;
        Ok(r)
    }

    pub fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Whether this access token is revoked: memory only.
    pub fn is_revoked(&self, token: &TokenRef<'_>) -> bool {
        self.current().revokes(token, self.clock.now())
    }

    /// New snapshots as they are published (for the streaming feed).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Snapshot>> {
        self.changes.subscribe()
    }

    /// Reloads if the version moved (or `force`, to re-sign before the document expires).
    pub async fn refresh(&self, force: bool) -> Result<(), StoreError> {
        let known = self.version.load(Ordering::Acquire);
        let now = self.clock.now();
        let loaded = self
            .store
            .run(move |c| {
                let version = revoked::version(c)?;
                if version == known && !force {
                    return Ok(None);
                }
                Ok::<_, StoreError>(Some((version, revoked::live(c, now)?)))
            })
            .await?;
        let Some((version, live)) = loaded else {
            return Ok(());
        };
        let document = self.sign(version, &live, now);
        let etag = format!(
            "\"{}\"",
            URL_SAFE_NO_PAD.encode(&Sha256::digest(&document)[..18])
        );
        let snap = Arc::new(Snapshot {
            version,
            jtis: live.jtis.into_iter().collect(),
            sids: live.sids.into_iter().collect(),
            clients: live
                .clients
                .into_iter()
                .map(|(c, nbf, exp)| (c, (nbf, exp)))
                .collect(),
            document,
            etag,
        });
        {
            let mut guard = match self.current.write() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if !force && guard.version > version && known != i64::MIN {
                return Ok(());
            }
            if known != i64::MIN && version != guard.version {
                self.count_new_entries(&guard, &snap);
            }
            *guard = snap.clone();
            self.version.store(version, Ordering::Release);
        }
        let _ = self.changes.send(snap);
        Ok(())
    }

    /// `portcullis_revocations_total` and `portcullis_cache_reloads_total`: what this
    /// reload added to the list, wherever it was revoked (here, another instance, the CLI).
    fn count_new_entries(&self, old: &Snapshot, new: &Snapshot) {
        let m = &self.metrics;
        m.cache_reloaded("revocations");
        let added = |new: &HashMap<String, i64>, old: &HashMap<String, i64>| {
            new.keys().filter(|k| !old.contains_key(*k)).count() as u64
        };
        m.revoked("jti", added(&new.jtis, &old.jtis));
        m.revoked("sid", added(&new.sids, &old.sids));
        let clients = new
            .clients
            .iter()
            .filter(|(c, (nbf, _))| old.clients.get(*c).is_none_or(|(o, _)| o != nbf))
            .count();
        m.revoked("client", clients as u64);
    }

    fn sign(&self, version: i64, live: &revoked::Live, now: i64) -> Bytes {
        let mut p = JwtPayload::new();
        let claims = json!({
            "iss": self.issuer,
            "iat": now,
            "exp": now + FEED_TTL_SECS,
            "version": version,
            "jtis": live.jtis.iter().map(|(j, e)| json!({ "jti": j, "exp": e })).collect::<Vec<_>>(),
            "sids": live.sids.iter().map(|(s, e)| json!({ "sid": s, "exp": e })).collect::<Vec<_>>(),
            // Tokens of these clients issued before `nbf` are revoked.
            "clients": live
                .clients
                .iter()
                .map(|(c, nbf, e)| json!({ "client_id": c, "nbf": nbf, "exp": e }))
                .collect::<Vec<_>>(),
        });
        if let Some(map) = claims.as_object() {
            for (k, v) in map {
                let _ = p.set_claim(k, Some(v.clone()));
            }
        }
        match self.keys.sign(FEED_TYP, &p) {
            Ok(jwt) => Bytes::from(jwt),
            Err(e) => {
                tracing::error!(error = %e, "cannot sign the revocation feed");
                Bytes::new()
            }
        }
    }

    /// Polls for changes; re-signs well before the document expires.
    pub fn spawn_poll(
        self: &Arc<Self>,
        interval: Duration,
        wakers: Arc<crate::store::notify::Wakers>,
    ) {
        let r = Arc::clone(self);
        tokio::task::spawn_local(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_signed = r.clock.now();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = wakers.revocations.notified() => {}
                }
                let now = r.clock.now();
                let force = now - last_signed > FEED_TTL_SECS / 3;
                match r.refresh(force).await {
                    Ok(()) if force => last_signed = now,
                    Ok(()) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "revocation list refresh failed; will retry")
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token<'a>(client_id: &'a str, iat: i64) -> TokenRef<'a> {
        TokenRef {
            jti: "j",
            sid: None,
            client_id: Some(client_id),
            iat: Some(iat),
        }
    }

    #[test]
    fn a_client_not_before_revokes_its_earlier_tokens_only() {
        let mut snap = Snapshot::default();
        snap.clients.insert("svc".into(), (1_000, 2_000));
        assert!(snap.revokes(&token("svc", 999), 1_500));
        assert!(
            !snap.revokes(&token("svc", 1_000), 1_500),
            "issued at nbf or later"
        );
        assert!(!snap.revokes(&token("other", 999), 1_500));
        assert!(
            !snap.revokes(&token("svc", 999), 2_000),
            "the entry has expired"
        );
    }

    #[test]
    fn jti_and_session_revocations_hold_until_their_expiry() {
        let mut snap = Snapshot::default();
        snap.jtis.insert("j".into(), 100);
        snap.sids.insert("s".into(), 100);
        let by_jti = TokenRef {
            jti: "j",
            sid: None,
            client_id: None,
            iat: None,
        };
        let by_sid = TokenRef {
            jti: "other",
            sid: Some("s"),
            ..by_jti
        };
        assert!(snap.revokes(&by_jti, 99) && snap.revokes(&by_sid, 99));
        assert!(!snap.revokes(&by_jti, 100) && !snap.revokes(&by_sid, 100));
    }
}
