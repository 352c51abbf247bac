//! Cross-instance change notifications. Writers bump a version in `cache_versions` and, on
//! PostgreSQL, `NOTIFY portcullis_cache` in the same transaction (see [`notify`]); every
//! instance LISTENs (`background::listener`) and wakes the matching cache through
//! [`Wakers`]. The caches also poll their version on an interval, which covers missed
//! notifications and is the whole mechanism on SQLite.

use diesel::RunQueryDsl;
use diesel::sql_types::Text;
use tokio::sync::Notify;

use super::{DbConnection, StoreError};

pub const CHANNEL: &str = "portcullis_cache";

/// What changed; the payload of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Clients,
    Revocations,
    Keys,
}

impl Topic {
    pub fn parse(payload: &str) -> Option<Self> {
        match payload {
            "clients" => Some(Topic::Clients),
            "revocations" => Some(Topic::Revocations),
            "keys" => Some(Topic::Keys),
            _ => None,
        }
    }

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
