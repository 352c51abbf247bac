//! The PostgreSQL LISTEN side of cross-instance cache invalidation (the NOTIFY side is
//! `store::notify`): a dedicated connection on its own thread wakes the matching cache
//! as soon as another instance commits a change.

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};

use crate::config::{DatabaseKind, DatabaseSettings};
use crate::store::notify::{CHANNEL, Topic, Wakers};

/// Starts the LISTEN thread on PostgreSQL (nothing on SQLite). It reconnects by itself
/// and, after each (re)connect, wakes every cache for a full refresh. It ends when the
/// application that owns `wakers` is gone.
pub fn spawn_listener(db: &DatabaseSettings, wakers: &Arc<Wakers>) {
    let Ok(DatabaseKind::Postgres) = db.url.kind() else {
        return;
    };
    let url = db.url.clone();
    let weak: Weak<Wakers> = Arc::downgrade(wakers);
    let spawned = std::thread::Builder::new()
        .name("portcullis-listen".into())
        .spawn(move || {
            let mut backoff = Duration::from_millis(200);
            while weak.strong_count() > 0 {
                let mut conn = match PgConnection::establish(url.expose()) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "cache listener cannot connect; retrying");
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                };
                if let Err(e) = diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn) {
                    tracing::warn!(error = %e, "cache listener cannot LISTEN; retrying");
                    std::thread::sleep(backoff);
                    continue;
                }
                backoff = Duration::from_millis(200);
                if let Some(w) = weak.upgrade() {
                    w.wake(None);
                }
                'listen: loop {
                    let Some(w) = weak.upgrade() else { return };
                    for n in conn.notifications_iter() {
                        match n {
                            Ok(n) => w.wake(Topic::parse(&n.payload)),
                            Err(e) => {
                                tracing::warn!(error = %e, "cache listener lost its connection; reconnecting");
                                break 'listen;
                            }
                        }
                    }
                    drop(w);
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the cache listener; relying on polling");
    }
}
