//! The `session_clients` and `backchannel_deliveries` tables: who must hear about a
//! session's end, and the deliveries still to make.

use diesel::prelude::*;

use super::schema::{backchannel_deliveries, session_clients};
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

/// Records that a client received tokens in a session (once per pair).
pub fn add_session_client(
    conn: &mut DbConnection,
    sid: &str,
    client_id: &str,
    user_id: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    let exists = session_clients::table
        .find((sid, client_id))
        .select(session_clients::sid)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if !exists {
        // In a savepoint: a concurrent insert of the same pair must not abort the
        // caller's transaction on PostgreSQL.
        let r = conn.transaction(|conn| {
            diesel::insert_into(session_clients::table)
                .values((
                    session_clients::sid.eq(sid),
                    session_clients::client_id.eq(client_id),
                    session_clients::user_id.eq(user_id),
                    session_clients::created_at.eq(now),
                ))
                .execute(conn)
        });
        match r.map_err(StoreError::from) {
            Ok(_) | Err(StoreError::Duplicate) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The clients of a session, forgotten as they are returned.
pub fn take_session_clients(
    conn: &mut DbConnection,
    sid: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(
        diesel::delete(session_clients::table.filter(session_clients::sid.eq(sid)))
            .returning((session_clients::client_id, session_clients::user_id))
            .get_results(conn)?,
    )
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = backchannel_deliveries)]
pub struct Delivery {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub sid: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    /// The logout's W3C trace context, continued by the delivery.
    pub trace_parent: Option<String>,
    pub trace_state: Option<String>,
}

pub fn enqueue(conn: &mut DbConnection, d: &Delivery) -> Result<(), StoreError> {
    diesel::insert_into(backchannel_deliveries::table)
        .values(d)
        .execute(conn)?;
    Ok(())
}

/// Deliveries due now.
pub fn due(
    conn: &mut DbConnection,
    now: UnixTime,
    limit: i64,
) -> Result<Vec<Delivery>, StoreError> {
    Ok(backchannel_deliveries::table
        .filter(backchannel_deliveries::next_attempt_at.le(now))
        .order(backchannel_deliveries::next_attempt_at)
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)?)
}

/// The relying parties with a due delivery, at most `limit` (the dispatcher then asks for
/// each one's own, so one party's backlog never hides another's).
pub fn due_clients(
    conn: &mut DbConnection,
    now: UnixTime,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(backchannel_deliveries::table
        .filter(backchannel_deliveries::next_attempt_at.le(now))
        .select(backchannel_deliveries::client_id)
        .distinct()
        .order(backchannel_deliveries::client_id)
        .limit(limit)
        .load(conn)?)
}

/// One relying party's due deliveries, oldest first, at most `limit`.
pub fn due_for(
    conn: &mut DbConnection,
    client_id: &str,
    now: UnixTime,
    limit: i64,
) -> Result<Vec<Delivery>, StoreError> {
    Ok(backchannel_deliveries::table
        .filter(backchannel_deliveries::client_id.eq(client_id))
        .filter(backchannel_deliveries::next_attempt_at.le(now))
        .order(backchannel_deliveries::next_attempt_at)
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)?)
}

/// Claims a due delivery for `lease` seconds (so another worker or instance skips it);
/// false when someone else claimed it first.
pub fn claim(
    conn: &mut DbConnection,
    id: &str,
    seen_next: UnixTime,
    now: UnixTime,
    lease: i64,
) -> Result<bool, StoreError> {
    Ok(diesel::update(
        backchannel_deliveries::table
            .find(id)
            .filter(backchannel_deliveries::next_attempt_at.eq(seen_next)),
    )
    .set(backchannel_deliveries::next_attempt_at.eq(now + lease))
    .execute(conn)?
        == 1)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(backchannel_deliveries::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn reschedule(
    conn: &mut DbConnection,
    id: &str,
    attempts: i64,
    next: UnixTime,
    error: &str,
) -> Result<(), StoreError> {
    diesel::update(backchannel_deliveries::table.find(id))
        .set((
            backchannel_deliveries::attempts.eq(attempts),
            backchannel_deliveries::next_attempt_at.eq(next),
            backchannel_deliveries::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn pending(conn: &mut DbConnection) -> Result<Vec<Delivery>, StoreError> {
    Ok(backchannel_deliveries::table
        .order(backchannel_deliveries::created_at)
        .select(Delivery::as_select())
        .load(conn)?)
}

/// Deliveries still owed (a metric, read at scrape time).
pub fn count_pending(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(backchannel_deliveries::table.count().get_result(conn)?)
}
