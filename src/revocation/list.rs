//! The revocation list of one instance: loaded once at start, then kept current by
//! applying only the log entries after the last one seen (woken by NOTIFY, by this
//! instance's own revocations, or by the poll). Introspection reads it in memory; the
//! feed serves it to resource servers as signed documents — deltas for followers, the
//! whole list (signed at most once per [`SNAPSHOT_EVERY_SECS`], never on `/revoke`'s path)
//! for newcomers — and the stream pushes each applied batch as a delta.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, broadcast};

use super::document::{self, FEED_TTL_SECS, Kind, Signed};
pub use super::state::TokenRef;
use super::state::{Entry, Since, State};
use crate::clock::Clock;
use crate::keys::KeyManager;
use crate::status::lists::StatusLists;
use crate::store::{Store, StoreError, revoked};
use crate::telemetry::metrics::Metrics;

/// The whole list is re-signed at most this often while it changes; followers in between
/// catch up with deltas.
pub const SNAPSHOT_EVERY_SECS: u64 = 1;

/// What a follower at some version is sent.
pub enum Answer {
    /// It is current: `304`.
    Current,
    /// A signed delta or the whole list.
    Document(Arc<Signed>),
}

pub struct Revocations {
    store: Store,
    keys: Arc<KeyManager>,
    clock: Arc<dyn Clock>,
    issuer: String,
    metrics: Arc<Metrics>,
    /// The status lists follow the same log: their bits are set in the same transactions.
    status: Arc<StatusLists>,
    state: RwLock<State>,
    /// One catch-up at a time; callers that arrive meanwhile wait and find it done.
    applying: Mutex<()>,
    /// Catch-ups begun so far: a caller that finds one begun after it arrived (and, holding
    /// the lock, knows it finished) has nothing left to read.
    begun: AtomicU64,
    /// The last signed whole list and when (real time: the coalescing window is a rate,
    /// not protocol time), one signing at a time.
    snapshot: Mutex<Option<(Arc<Signed>, Instant)>>,
    /// Signed deltas for the current version, by `since`.
    deltas: std::sync::Mutex<(i64, HashMap<i64, Arc<Signed>>)>,
    /// Each applied batch as a delta, for the stream (signed only when someone listens).
    changes: broadcast::Sender<Arc<Signed>>,
}

fn read(state: &RwLock<State>) -> std::sync::RwLockReadGuard<'_, State> {
    state.read().unwrap_or_else(|p| p.into_inner())
}

fn write(state: &RwLock<State>) -> std::sync::RwLockWriteGuard<'_, State> {
    state.write().unwrap_or_else(|p| p.into_inner())
}

impl Revocations {
    pub async fn load(
        store: Store,
        keys: Arc<KeyManager>,
        clock: Arc<dyn Clock>,
        issuer: String,
        metrics: Arc<Metrics>,
        status: Arc<StatusLists>,
    ) -> Result<Arc<Self>, StoreError> {
        let now = clock.now();
        let (version, live) = store
            .run(move |c| revoked::changes_since(c, i64::MIN))
            .await?;
        let state = State::loaded(version, live.into_iter().map(|(_, e)| e), now);
        let (changes, _) = broadcast::channel(64);
        Ok(Arc::new(Self {
            store,
            keys,
            clock,
            issuer,
            metrics,
            status,
            state: RwLock::new(state),
            applying: Mutex::new(()),
            begun: AtomicU64::new(0),
            snapshot: Mutex::new(None),
            deltas: std::sync::Mutex::new((version, HashMap::new())),
            changes,
        }))
    }

    /// Whether this access token is revoked: memory only.
    pub fn is_revoked(&self, token: &TokenRef<'_>) -> bool {
        read(&self.state).revokes(token, self.clock.now())
    }

    pub fn version(&self) -> i64 {
        read(&self.state).version
    }

    /// Live entries (a metric).
    pub fn len(&self) -> usize {
        read(&self.state).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Deltas as they are applied (for the stream).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Signed>> {
        self.changes.subscribe()
    }

    /// Applies the log entries after the last one seen. Cheap when nothing changed: one
    /// indexed query. Concurrent callers share one catch-up.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let arrived = self.begun.load(Ordering::Acquire);
        let _turn = self.applying.lock().await;
        if self.begun.load(Ordering::Acquire) > arrived {
            // A catch-up began after this caller's writes committed, and it is over.
            return Ok(());
        }
        self.begun.fetch_add(1, Ordering::AcqRel);
        let since = self.version();
        let now = self.clock.now();
        let (version, changes) = self
            .store
            .run(move |c| revoked::changes_since(c, since))
            .await?;
        if version <= since && changes.is_empty() {
            return Ok(());
        }
        // A client's not-before covers its index blocks: stop handing them out.
        for (_, e) in &changes {
            if let Entry::Client { client_id, .. } = e {
                self.status.allocator.retire(client_id).await;
            }
        }
        if let Err(e) = self.status.catch_up().await {
            tracing::warn!(error = %e, "status list catch-up failed; will retry");
        }
        let mut applied: Vec<Entry> = Vec::with_capacity(changes.len());
        {
            let mut state = write(&self.state);
            for (seq, e) in changes {
                if state.apply(seq, &e, now) {
                    applied.push(e);
                }
            }
            state.advance(version);
        }
        for e in &applied {
            self.metrics.revoked(e.kind(), 1);
        }
        self.metrics.cache_reloaded("revocations");
        let version = version.max(self.version());
        if self.changes.receiver_count() > 0 {
            match document::sign(
                &self.keys.current(),
                &self.issuer,
                Kind::Delta { since },
                version,
                &applied,
                now,
            ) {
                Ok(doc) => {
                    let _ = self.changes.send(Arc::new(doc));
                }
                Err(e) => tracing::error!(error = %e, "cannot sign a revocation delta"),
            }
        }
        Ok(())
    }

    /// The whole list, signed: the cached one while it is current, or less than
    /// [`SNAPSHOT_EVERY_SECS`] old and far from expiry; otherwise signed again, off the
    /// executor (one signing at a time, shared by every caller waiting for it).
    pub async fn snapshot(&self, reason: Option<&'static str>) -> Result<Arc<Signed>, StoreError> {
        let mut cached = self.snapshot.lock().await;
        let now = self.clock.now();
        let version = self.version();
        if let Some((doc, at)) = cached.as_ref() {
            let fresh = now - doc.signed_at < FEED_TTL_SECS / 3;
            let recent = at.elapsed() < Duration::from_secs(SNAPSHOT_EVERY_SECS);
            if fresh && reason.is_none() && (doc.version == version || recent) {
                return Ok(doc.clone());
            }
        }
        let (entries, version) = {
            let state = read(&self.state);
            (state.entries(now), state.version)
        };
        let (keys, issuer) = (self.keys.current(), self.issuer.clone());
        let doc = tokio::task::spawn_blocking(move || {
            document::sign(
                &keys,
                &issuer,
                Kind::Snapshot { reason },
                version,
                &entries,
                now,
            )
        })
        .await
        .map_err(|_| StoreError::TaskFailed)?
        .map_err(|e| StoreError::Corrupt(format!("cannot sign the revocation list: {e}")))?;
        let doc = Arc::new(doc);
        if reason.is_none() {
            *cached = Some((doc.clone(), Instant::now()));
        }
        Ok(doc)
    }

    /// What a follower that has version `since` needs.
    pub async fn since(&self, since: i64) -> Result<Answer, StoreError> {
        let (answer, version) = {
            let state = read(&self.state);
            (state.since(since), state.version)
        };
        match answer {
            Since::Current => Ok(Answer::Current),
            Since::Snapshot(reason) => Ok(Answer::Document(self.snapshot(Some(reason)).await?)),
            Since::Delta(entries) => {
                if let Some(doc) = self.cached_delta(version, since) {
                    return Ok(Answer::Document(doc));
                }
                let now = self.clock.now();
                let doc = document::sign(
                    &self.keys.current(),
                    &self.issuer,
                    Kind::Delta { since },
                    version,
                    &entries,
                    now,
                )
                .map_err(|e| StoreError::Corrupt(format!("cannot sign a revocation delta: {e}")))?;
                let doc = Arc::new(doc);
                let mut cache = self.deltas.lock().unwrap_or_else(|p| p.into_inner());
                if cache.0 != version {
                    *cache = (version, HashMap::new());
                }
                cache.1.insert(since, doc.clone());
                Ok(Answer::Document(doc))
            }
        }
    }

    /// A delta already signed for this version and `since`, still far from expiry.
    fn cached_delta(&self, version: i64, since: i64) -> Option<Arc<Signed>> {
        let cache = self.deltas.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        (cache.0 == version)
            .then(|| cache.1.get(&since).cloned())
            .flatten()
            .filter(|d| now - d.signed_at < FEED_TTL_SECS / 3)
    }

    /// Drops expired entries.
    pub fn prune(&self) {
        write(&self.state).prune(self.clock.now());
    }

    /// Catches up when woken (this instance's revocations, NOTIFY) or every `interval`
    /// (the safety net); prunes expired entries now and then.
    pub fn spawn_poll(
        self: &Arc<Self>,
        interval: Duration,
        wakers: Arc<crate::store::notify::Wakers>,
    ) {
        let r = Arc::clone(self);
        tokio::task::spawn_local(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut pruned = r.clock.now();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = wakers.revocations.notified() => {}
                }
                if let Err(e) = r.catch_up().await {
                    tracing::warn!(error = %e, "revocation list catch-up failed; will retry");
                }
                let now = r.clock.now();
                if now - pruned >= 10 {
                    r.prune();
                    r.status.prune();
                    pruned = now;
                }
            }
        });
    }
}
