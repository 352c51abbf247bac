//! Cross-instance cache invalidation. Writers bump a version in `cache_versions` and, on
//! PostgreSQL, `NOTIFY portcullis_cache` in the same transaction; every instance LISTENs
//! on a dedicated connection and wakes the matching cache at once. The caches also poll
//! their version on an interval, which covers missed notifications and reconnects, and is
//! the whole mechanism on SQLite (one process, no NOTIFY).

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::{Connection, RunQueryDsl};
use tokio::sync::Notify;

use crate::config::{DatabaseKind, DatabaseSettings};
use crate::store::{DbConnection, StoreError};

pub const CHANNEL: &str = "portcullis_cache";

/// What changed; the payload of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Clients,
    Revocations,
    Keys,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Clients => "clients",
            Topic::Revocations => "revocations",
            Topic::Keys => "keys",
        }
    }
}

/// Tells other instances that `topic` changed (delivered when the transaction commits).
pub fn notify(conn: &mut DbConnection, topic: Topic) -> Result<(), StoreError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CHANNEL)
            .bind::<Text, _>(topic.as_str())
            .execute(pg)?;
    }
    Ok(())
}

/// Wake-ups for each cache; the listener (or a local writer) calls them.
#[derive(Default)]
pub struct Wakers {
    pub clients: Notify,
    pub revocations: Notify,
    pub keys: Notify,
}

impl Wakers {
    pub fn wake(&self, topic: Option<Topic>) {
        match topic {
            Some(Topic::Clients) => self.clients.notify_one(),
            Some(Topic::Revocations) => self.revocations.notify_one(),
            Some(Topic::Keys) => self.keys.notify_one(),
            None => {
                self.clients.notify_one();
                self.revocations.notify_one();
                self.keys.notify_one();
            }
        }
    }
}

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
                            Ok(n) => w.wake(match n.payload.as_str() {
                                "clients" => Some(Topic::Clients),
                                "revocations" => Some(Topic::Revocations),
                                "keys" => Some(Topic::Keys),
                                _ => None,
                            }),
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
