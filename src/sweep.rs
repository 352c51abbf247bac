//! Expiry sweeps: rows that outlived their purpose are deleted in the background, so
//! tables stay flat under steady load.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::store::{Store, StoreError, assertion_jtis, codes, refresh_tokens, revoked, sessions};

/// How often each instance sweeps. Deleting expired rows twice (from two instances) is
/// harmless, so no coordination is needed.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// One sweep; returns the number of rows deleted.
pub async fn sweep(store: &Store, clock: &dyn Clock) -> Result<usize, StoreError> {
    let now = clock.now();
    store
        .run(move |c| {
            Ok::<_, StoreError>(
                assertion_jtis::delete_expired(c, now)?
                    + codes::delete_expired(c, now)?
                    + refresh_tokens::delete_expired(c, now)?
                    + revoked::delete_expired(c, now)?
                    + sessions::delete_expired(c, now)?,
            )
        })
        .await
}

pub fn spawn_sweeper(store: Store, clock: Arc<dyn Clock>) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep(&store, clock.as_ref()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "expired rows swept"),
                Err(e) => tracing::warn!(error = %e, "expiry sweep failed; will retry"),
            }
        }
    });
}
