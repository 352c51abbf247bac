//! The in-memory client registry: every client, so the token endpoint never reads the
//! database per request. Writers bump `cache_versions.clients` in the same transaction as
//! their change and stamp the changed client with the new version; every instance polls
//! that one number (and is woken by NOTIFY) and, when it moves, reads only the clients
//! stamped after the version it holds, so a CLI change or another instance's change
//! reaches this one within the poll interval at the cost of the change, not of the table.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::domain::client::Client;
use crate::store::clients;
use crate::store::{Store, StoreError};
use crate::telemetry::metrics::Metrics;

type ClientMap = HashMap<String, Arc<Client>>;

/// Changed clients read one by one before a refresh reads them all instead.
pub const INCREMENTAL_LIMIT: i64 = 64;

/// What a refresh read.
enum Loaded {
    All(Vec<Client>),
    /// The clients changed since the version held, and how many there are now.
    Changed(Vec<Client>, i64),
}

pub struct ClientRegistry {
    store: Store,
    metrics: Arc<Metrics>,
    clients: RwLock<Arc<ClientMap>>,
    version: AtomicI64,
    /// Clients read from the database since start: what a change costs every instance.
    read: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for ClientRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistry")
            .field("version", &self.version.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl ClientRegistry {
    pub async fn load(store: Store, metrics: Arc<Metrics>) -> Result<Arc<Self>, StoreError> {
        let registry = Arc::new(Self {
            store,
            metrics,
            clients: RwLock::new(Arc::new(HashMap::new())),
            version: AtomicI64::new(i64::MIN),
            read: Default::default(),
        });
        registry.refresh().await?;
        Ok(registry)
    }

    /// How many clients this registry has read from the database since it started.
    pub fn clients_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// A client by id, from memory.
    pub fn get(&self, id: &str) -> Option<Arc<Client>> {
        self.snapshot().get(id).cloned()
    }

    /// Brings the cache up to the table's version, if it moved: only the clients written
    /// since the version held are read (one registration costs one client's reload, not
    /// every client's, on every instance); everything is read at the first load, when
    /// a client was deleted, or when more than [`INCREMENTAL_LIMIT`] changed.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let known = self.version.load(Ordering::Acquire);
        let loaded = self
            .store
            .run(move |c| {
                let version = clients::version(c)?;
                if version == known {
                    return Ok(None);
                }
                if known != i64::MIN {
                    if let Some((changed, total)) =
                        clients::changed_since(c, known, INCREMENTAL_LIMIT)?
                    {
                        return Ok::<_, StoreError>(Some((
                            version,
                            Loaded::Changed(changed, total),
                        )));
                    }
                }
                Ok(Some((version, Loaded::All(clients::list(c)?))))
            })
            .await?;
        let Some((version, loaded)) = loaded else {
            return Ok(());
        };
        let n = match &loaded {
            Loaded::All(list) => list.len(),
            Loaded::Changed(changed, _) => changed.len(),
        };
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        let map: ClientMap = match loaded {
            Loaded::All(list) => list
                .into_iter()
                .map(|c| (c.id.to_string(), Arc::new(c)))
                .collect(),
            Loaded::Changed(changed, total) => {
                let mut map: ClientMap = (*self.snapshot()).clone();
                for c in changed {
                    map.insert(c.id.to_string(), Arc::new(c));
                }
                if map.len() as i64 != total {
                    // A client was deleted (rare): read them all once.
                    return self.reload_all().await;
                }
                map
            }
        };
        self.install(version, map);
        Ok(())
    }

    /// Reads every client, whatever the version held.
    async fn reload_all(&self) -> Result<(), StoreError> {
        let (version, list) = self
            .store
            .run(|c| Ok::<_, StoreError>((clients::version(c)?, clients::list(c)?)))
            .await?;
        self.read.fetch_add(list.len() as u64, Ordering::Relaxed);
        let map = list
            .into_iter()
            .map(|c| (c.id.to_string(), Arc::new(c)))
            .collect();
        self.install(version, map);
        Ok(())
    }

    fn snapshot(&self) -> Arc<ClientMap> {
        match self.clients.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn install(&self, version: i64, map: ClientMap) {
        let mut guard = match self.clients.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        // Two refreshes may overlap (the poll or a notification, and an explicit one):
        // never let the slower one put back an older snapshot. Versions only grow.
        let current = self.version.load(Ordering::Acquire);
        if current == i64::MIN || version > current {
            *guard = Arc::new(map);
            self.version.store(version, Ordering::Release);
            if current != i64::MIN {
                self.metrics.cache_reloaded("clients");
            }
        }
    }

    /// Reloads when woken (a change notification) or every `interval` (the safety net).
    pub fn spawn_poll(
        self: &Arc<Self>,
        interval: Duration,
        wakers: Arc<crate::store::notify::Wakers>,
    ) {
        let registry = Arc::clone(self);
        tokio::task::spawn_local(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = wakers.clients.notified() => {}
                }
                if let Err(e) = registry.refresh().await {
                    tracing::warn!(error = %e, "client cache refresh failed; will retry");
                }
            }
        });
    }
}
