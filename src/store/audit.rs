//! The audit log: security events (logins, failures, administrative changes), append-only.
//! Details never hold a secret, password, code or token.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::audit_log;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Debug, Clone, Default)]
pub struct AuditEvent<'a> {
    /// Dotted event name, e.g. `client.created`, `login.failed`.
    pub event: &'a str,
    /// Who did it: `cli`, `user:<id>`, `client:<id>`, `system`.
    pub actor: &'a str,
    pub user_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub details: serde_json::Value,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    at: i64,
    event: &'a str,
    actor: &'a str,
    user_id: Option<&'a str>,
    client_id: Option<&'a str>,
    ip: Option<&'a str>,
    details: String,
    trace_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub event: String,
    pub actor: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub details: String,
    /// The W3C trace id of the request that wrote the row.
    pub trace_id: Option<String>,
}

pub fn record(
    conn: &mut DbConnection,
    event: &AuditEvent<'_>,
    now: UnixTime,
) -> Result<(), StoreError> {
    let details = if event.details.is_null() {
        "{}".to_string()
    } else {
        event.details.to_string()
    };
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            at: now,
            event: event.event,
            actor: event.actor,
            user_id: event.user_id,
            client_id: event.client_id,
            ip: event.ip,
            details,
            // The trace of the request this runs for (the store span carries it here).
            trace_id: crate::telemetry::spans::current_trace_id(),
        })
        .execute(conn)?;
    Ok(())
}

/// The newest entries first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}

/// What `portcullis audit list` asks for.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Entries at or after this time.
    pub since: Option<UnixTime>,
    /// Any of these event names (empty: all).
    pub events: Vec<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// Only entries by this actor.
    pub actor: Option<String>,
    /// Only entries older than this one (paging: the last id of the previous page).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Entries matching `q`, newest first.
pub fn list(conn: &mut DbConnection, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(q.limit)
        .into_boxed();
    if let Some(since) = q.since {
        query = query.filter(audit_log::at.ge(since));
    }
    if !q.events.is_empty() {
        query = query.filter(audit_log::event.eq_any(q.events.clone()));
    }
    if let Some(u) = &q.user_id {
        query = query.filter(audit_log::user_id.eq(u.clone()));
    }
    if let Some(c) = &q.client_id {
        query = query.filter(audit_log::client_id.eq(c.clone()));
    }
    if let Some(a) = &q.actor {
        query = query.filter(audit_log::actor.eq(a.clone()));
    }
    if let Some(id) = q.before_id {
        query = query.filter(audit_log::id.lt(id));
    }
    Ok(query.load(conn)?)
}
