//! Expiry sweeps: rows that outlived their purpose are deleted in bounded batches (each
//! its own short statement, so no long lock), by one instance at a time (a PostgreSQL
//! advisory lock), so tables stay flat under steady load.

use std::sync::Arc;
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;

use crate::clock::{Clock, UnixTime};
use crate::config::Settings;
use crate::store::{DbConnection, Store, StoreError};

/// Arbitrary but fixed: the advisory lock that makes one instance sweep at a time.
const SWEEP_LOCK_KEY: i64 = 0x706f_7274_7377_6570; // "portswep"

#[derive(Debug, Clone, Copy)]
pub struct SweepPolicy {
    pub batch: i64,
    /// Audit entries older than this many seconds go.
    pub audit_retention: i64,
    /// Back-channel targets of sessions that ended longer ago than this go.
    pub session_clients_retention: i64,
}

impl SweepPolicy {
    pub fn from(settings: &Settings) -> Self {
        Self {
            batch: settings.sweep.batch_size,
            audit_retention: settings.sweep.audit_retention_days * 86_400,
            session_clients_retention: settings.tokens.session_ttl_secs + 86_400,
        }
    }
}

/// `(table, column, cutoff is "now minus")`: rows with `column <= now - offset` go.
fn targets(p: &SweepPolicy) -> [(&'static str, &'static str, i64); 20] {
    [
        ("authorization_codes", "expires_at", 0),
        ("redeemed_codes", "expires_at", 0),
        ("refresh_tokens", "expires_at", 0),
        ("family_access_tokens", "expires_at", 0),
        ("revoked_tokens", "expires_at", 0),
        ("revoked_sessions", "expires_at", 0),
        ("revoked_clients", "expires_at", 0),
        ("sessions", "expires_at", 0),
        ("client_assertion_jtis", "expires_at", 0),
        ("dpop_proof_jtis", "expires_at", 0),
        ("pushed_requests", "expires_at", 0),
        ("webauthn_ceremonies", "expires_at", 0),
        ("pending_sign_ins", "expires_at", 0),
        ("exchanged_tokens", "expires_at", 0),
        ("device_codes", "expires_at", 0),
        ("signing_keys", "expires_at", 0),
        ("session_clients", "created_at", p.session_clients_retention),
        ("audit_log", "at", p.audit_retention),
        ("login_failures", "last_failure", 86_400),
        ("token_statuses", "expires_at", 0),
    ]
}

/// Deletes up to `batch` rows of `table` whose `column <= cutoff`; table and column names
/// are our constants, the cutoff is bound.
fn delete_batch(
    conn: &mut DbConnection,
    table: &str,
    column: &str,
    cutoff: UnixTime,
    batch: i64,
) -> Result<usize, StoreError> {
    let n = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {column} <= ? LIMIT {batch})"
        ))
        .bind::<BigInt, _>(cutoff)
        .execute(c)?,
        DbConnection::Postgres(c) => diesel::sql_query(format!(
            "DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} WHERE {column} <= $1 LIMIT {batch})"
        ))
        .bind::<BigInt, _>(cutoff)
        .execute(c)?,
    };
    Ok(n)
}

/// One sweep over every table; returns the rows deleted, or `None` when another instance
/// holds the sweep lock.
pub fn sweep_all(
    conn: &mut DbConnection,
    now: UnixTime,
    policy: &SweepPolicy,
) -> Result<Option<usize>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    if let DbConnection::Postgres(c) = conn {
        let got: Locked = diesel::sql_query(format!(
            "SELECT pg_try_advisory_lock({SWEEP_LOCK_KEY}) AS locked"
        ))
        .get_result(c)?;
        if !got.locked {
            return Ok(None);
        }
    }
    let mut result = Ok(0);
    'tables: for (table, column, offset) in targets(policy) {
        loop {
            match delete_batch(conn, table, column, now - offset, policy.batch) {
                Ok(n) => {
                    if let Ok(total) = &mut result {
                        *total += n;
                    }
                    if (n as i64) < policy.batch {
                        break;
                    }
                }
                Err(e) => {
                    result = Err(e);
                    break 'tables;
                }
            }
        }
    }
    // Status lists every token of which has expired go whole, with their bits.
    if result.is_ok() {
        match crate::store::status_lists::delete_expired(conn, now) {
            Ok(n) => {
                if let Ok(total) = &mut result {
                    *total += n;
                }
            }
            Err(e) => result = Err(e),
        }
    }
    if let DbConnection::Postgres(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({SWEEP_LOCK_KEY})")).execute(c)?;
    }
    result.map(Some)
}

pub async fn sweep(
    store: &Store,
    clock: &dyn Clock,
    policy: SweepPolicy,
) -> Result<Option<usize>, StoreError> {
    let now = clock.now();
    store.run(move |c| sweep_all(c, now, &policy)).await
}

pub fn spawn_sweeper(store: Store, clock: Arc<dyn Clock>, policy: SweepPolicy, interval: Duration) {
    tokio::task::spawn_local(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep(&store, clock.as_ref(), policy).await {
                Ok(Some(n)) if n > 0 => tracing::debug!(deleted = n, "expired rows swept"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "expiry sweep failed; will retry"),
            }
        }
    });
}
