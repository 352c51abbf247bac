//! Revocations: access-token ids (`revoked_tokens`) and ended sessions
//! (`revoked_sessions`), each kept only until the tokens they block have expired, so the
//! set stays small. Every write bumps `cache_versions.revocations` so instances (and the
//! resource-server feed) pick it up.

use diesel::prelude::*;

use super::schema::{cache_versions, revoked_clients, revoked_sessions, revoked_tokens};
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

fn bump(conn: &mut DbConnection) -> Result<(), StoreError> {
    diesel::update(cache_versions::table.find("revocations"))
        .set(cache_versions::version.eq(cache_versions::version + 1))
        .execute(conn)?;
    crate::store::notify::notify(conn, crate::store::notify::Topic::Revocations)
}

/// Runs an insert in a savepoint so that a duplicate key neither fails the caller nor
/// (on PostgreSQL) aborts the surrounding transaction.
fn insert_once(
    conn: &mut DbConnection,
    insert: impl FnOnce(&mut DbConnection) -> QueryResult<usize>,
) -> Result<bool, StoreError> {
    ignore_duplicate(conn.transaction(insert))
}

fn ignore_duplicate(r: QueryResult<usize>) -> Result<bool, StoreError> {
    match r {
        Ok(n) => Ok(n > 0),
        Err(e) => match StoreError::from(e) {
            StoreError::Duplicate => Ok(false),
            other => Err(other),
        },
    }
}

/// Records a revoked `jti`; revoking twice is not an error.
pub fn revoke(
    conn: &mut DbConnection,
    jti: &str,
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<(), StoreError> {
    let added = insert_once(conn, |conn| {
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::jti.eq(jti),
                revoked_tokens::expires_at.eq(expires_at),
                revoked_tokens::revoked_at.eq(now),
            ))
            .execute(conn)
    })?;
    if added {
        bump(conn)?;
    }
    Ok(())
}

/// Records an ended session: tokens carrying this `sid` are refused until `expires_at`.
pub fn revoke_session(
    conn: &mut DbConnection,
    sid: &str,
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<(), StoreError> {
    let added = insert_once(conn, |conn| {
        diesel::insert_into(revoked_sessions::table)
            .values((
                revoked_sessions::sid.eq(sid),
                revoked_sessions::expires_at.eq(expires_at),
                revoked_sessions::revoked_at.eq(now),
            ))
            .execute(conn)
    })?;
    if added {
        bump(conn)?;
    }
    Ok(())
}

/// Revokes every access token of a client issued before `not_before` (the client was
/// deleted, or its secret rotated with `--revoke-tokens`), until `expires_at`.
pub fn revoke_client(
    conn: &mut DbConnection,
    client_id: &str,
    not_before: UnixTime,
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<(), StoreError> {
    // Update first, insert if there was nothing to update: no upsert on both backends.
    let updated = diesel::update(revoked_clients::table.find(client_id))
        .set((
            revoked_clients::not_before.eq(not_before),
            revoked_clients::expires_at.eq(expires_at),
            revoked_clients::revoked_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        insert_once(conn, |conn| {
            diesel::insert_into(revoked_clients::table)
                .values((
                    revoked_clients::client_id.eq(client_id),
                    revoked_clients::not_before.eq(not_before),
                    revoked_clients::expires_at.eq(expires_at),
                    revoked_clients::revoked_at.eq(now),
                ))
                .execute(conn)
        })?;
    }
    bump(conn)
}

pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> Result<bool, StoreError> {
    Ok(revoked_tokens::table
        .find(jti)
        .select(revoked_tokens::jti)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

pub fn version(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(cache_versions::table
        .find("revocations")
        .select(cache_versions::version)
        .first(conn)?)
}

/// Every live revocation.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// `(jti, exp)`
    pub jtis: Vec<(String, i64)>,
    /// `(sid, exp)`
    pub sids: Vec<(String, i64)>,
    /// `(client_id, not_before, exp)`
    pub clients: Vec<(String, i64, i64)>,
}

pub fn live(conn: &mut DbConnection, now: UnixTime) -> Result<Live, StoreError> {
    let jtis = revoked_tokens::table
        .filter(revoked_tokens::expires_at.gt(now))
        .select((revoked_tokens::jti, revoked_tokens::expires_at))
        .load(conn)?;
    let sids = revoked_sessions::table
        .filter(revoked_sessions::expires_at.gt(now))
        .select((revoked_sessions::sid, revoked_sessions::expires_at))
        .load(conn)?;
    let clients = revoked_clients::table
        .filter(revoked_clients::expires_at.gt(now))
        .select((
            revoked_clients::client_id,
            revoked_clients::not_before,
            revoked_clients::expires_at,
        ))
        .load(conn)?;
    Ok(Live {
        jtis,
        sids,
        clients,
    })
}

pub fn delete_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.le(now)))
            .execute(conn)?
            + diesel::delete(revoked_sessions::table.filter(revoked_sessions::expires_at.le(now)))
                .execute(conn)?
            + diesel::delete(revoked_clients::table.filter(revoked_clients::expires_at.le(now)))
                .execute(conn)?,
    )
}
