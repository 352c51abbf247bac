//! The `sessions` table: SSO sessions, keyed by the SHA-256 of the cookie value.

use diesel::prelude::*;

use super::schema::sessions;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id_hash: Vec<u8>,
    /// The session id shown to clients (ID token `sid`); not the cookie value.
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    /// JSON array of authentication methods (RFC 8176), e.g. `["pwd"]`.
    pub amr: String,
    pub acr: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The browser's `User-Agent` at sign-in, shortened.
    pub user_agent: Option<String>,
    /// Signed in through this upstream (`federation`), with its `sub` and session id.
    pub upstream: Option<String>,
    pub upstream_sub: Option<String>,
    pub upstream_sid: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &SessionRow) -> Result<(), StoreError> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A live session by cookie hash.
pub fn find_live(
    conn: &mut DbConnection,
    id_hash: &[u8],
    now: UnixTime,
) -> Result<Option<SessionRow>, StoreError> {
    Ok(sessions::table
        .find(id_hash)
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// A step-up: the session's `auth_time`, `amr` and `acr` change; its `sid` does not.
pub fn update_authentication(conn: &mut DbConnection, row: &SessionRow) -> Result<(), StoreError> {
    diesel::update(sessions::table.find(&row.id_hash))
        .set((
            sessions::auth_time.eq(row.auth_time),
            sessions::amr.eq(&row.amr),
            sessions::acr.eq(&row.acr),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id_hash: &[u8]) -> Result<usize, StoreError> {
    Ok(diesel::delete(sessions::table.find(id_hash)).execute(conn)?)
}

pub fn delete_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize, StoreError> {
    Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?)
}

pub fn find_by_sid(conn: &mut DbConnection, sid: &str) -> Result<Option<SessionRow>, StoreError> {
    Ok(sessions::table
        .filter(sessions::sid.eq(sid))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn delete_by_sid(conn: &mut DbConnection, sid: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(sessions::table.filter(sessions::sid.eq(sid))).execute(conn)?)
}

pub fn list_for_user(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<Vec<SessionRow>, StoreError> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order(sessions::created_at)
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// Sessions not yet expired (a metric, read at scrape time).
pub fn count_live(conn: &mut DbConnection, now: UnixTime) -> Result<i64, StoreError> {
    Ok(sessions::table
        .filter(sessions::expires_at.gt(now))
        .count()
        .get_result(conn)?)
}

/// The sessions an upstream's back-channel logout names: its session id, or (without one)
/// its subject.
pub fn find_upstream(
    conn: &mut DbConnection,
    upstream: &str,
    sub: Option<&str>,
    sid: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let mut query = sessions::table
        .filter(sessions::upstream.eq(upstream))
        .select(sessions::sid)
        .into_boxed();
    if let Some(sid) = sid {
        query = query.filter(sessions::upstream_sid.eq(sid));
    }
    if let Some(sub) = sub {
        query = query.filter(sessions::upstream_sub.eq(sub));
    }
    if sid.is_none() && sub.is_none() {
        return Ok(Vec::new());
    }
    Ok(query.load(conn)?)
}
