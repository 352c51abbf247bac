//! The upstreams' names for the sign-in page's buttons, kept in memory and re-read every
//! `cache.poll_interval_ms`, so rendering a sign-in page costs no database round trip and
//! an upstream the CLI adds appears within one interval on every instance.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::store::{Store, StoreError, upstreams};

#[derive(Default, Clone)]
pub struct Directory {
    names: Arc<RwLock<Arc<Vec<String>>>>,
}

impl Directory {
    pub async fn load(store: Store) -> Result<Directory, StoreError> {
        let d = Directory::default();
        d.refresh(&store).await?;
        Ok(d)
    }

    async fn refresh(&self, store: &Store) -> Result<(), StoreError> {
        let names: Vec<String> = store
            .run(|c| Ok::<_, StoreError>(upstreams::list(c)?.into_iter().map(|u| u.name).collect()))
            .await?;
        if let Ok(mut n) = self.names.write() {
            *n = Arc::new(names);
        }
        Ok(())
    }

    /// The names, by name.
    pub fn names(&self) -> Arc<Vec<String>> {
        self.names.read().map(|n| n.clone()).unwrap_or_default()
    }

    pub fn spawn_poll(&self, store: Store, every: Duration) {
        let d = self.clone();
        actix_web::rt::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = d.refresh(&store).await {
                    tracing::warn!(error = %e, "cannot re-read the upstreams");
                }
            }
        });
    }
}
