//! The in-memory client registry: every client, loaded whole, so the token endpoint never
//! reads the database per request. Writers bump `cache_versions.clients` in the same
//! transaction as their change; every instance polls that one number and reloads when it
//! moves, so a CLI change or another instance's change reaches this one within the poll
//! interval.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::domain::client::Client;
use crate::store::clients;
use crate::store::{Store, StoreError};
use crate::telemetry::metrics::Metrics;

type ClientMap = HashMap<String, Arc<Client>>;

pub struct ClientRegistry {
    store: Store,
    metrics: Arc<Metrics>,
    clients: RwLock<Arc<ClientMap>>,
    version: AtomicI64,
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
        });
        registry.refresh().await?;
        Ok(registry)
    }

    /// A client by id, from memory.
    pub fn get(&self, id: &str) -> Option<Arc<Client>> {
        let map = match self.clients.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        map.get(id).cloned()
    }

    /// Reloads every client if the table's version moved since the last load.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let known = self.version.load(Ordering::Acquire);
        let loaded = self
            .store
            .run(move |c| {
                let version = clients::version(c)?;
                if version == known {
                    return Ok(None);
                }
                Ok::<_, StoreError>(Some((version, clients::list(c)?)))
            })
            .await?;
        if let Some((version, list)) = loaded {
            let map: ClientMap = list
                .into_iter()
                .map(|c| (c.id.to_string(), Arc::new(c)))
                .collect();
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
        Ok(())
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
