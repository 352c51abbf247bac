//! Revocations: access-token ids (`revoked_tokens`), ended sessions (`revoked_sessions`)
//! and client not-befores (`revoked_clients`), each kept only until the tokens they block
//! have expired. Together they are an append-only log: every write takes the next number
//! of `cache_versions.revocations` (under that row's lock, so numbers commit in order) and
//! stores it as the row's `seq`; instances apply the rows after the last number they
//! have seen, and nothing reads the whole set except at start-up.

use diesel::prelude::*;

use super::schema::{cache_versions, revoked_clients, revoked_sessions, revoked_tokens};
use super::{DbConnection, StoreError, status_lists};
use crate::clock::UnixTime;
use crate::domain::revocation::Entry;

/// Takes the next sequence number. The row lock it takes is held until the transaction
/// ends, so two revoking transactions commit in the order of their numbers: a reader that
/// has seen number N has seen every number below it.
fn next_seq(conn: &mut DbConnection) -> Result<i64, StoreError> {
    let seq = diesel::update(cache_versions::table.find("revocations"))
        .set(cache_versions::version.eq(cache_versions::version + 1))
        .returning(cache_versions::version)
        .get_result(conn)?;
    crate::store::notify::notify(conn, crate::store::notify::Topic::Revocations)?;
    Ok(seq)
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
    revoke_token(conn, jti, None, expires_at, now)
}

/// Records a revoked `jti` and sets its status bit: at `status` (the token's own
/// `status_list` reference) or at the index recorded for it.
pub fn revoke_token(
    conn: &mut DbConnection,
    jti: &str,
    status: Option<(&str, i64)>,
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<(), StoreError> {
    // One transaction: the row lock `next_seq` takes is held until everything this
    // revocation writes is committed, so numbers become visible in order.
    conn.transaction(|conn| {
        let seq = next_seq(conn)?;
        status_lists::set_token(conn, jti, status, seq)?;
        insert_once(conn, |conn| {
            diesel::insert_into(revoked_tokens::table)
                .values((
                    revoked_tokens::jti.eq(jti),
                    revoked_tokens::expires_at.eq(expires_at),
                    revoked_tokens::revoked_at.eq(now),
                    revoked_tokens::seq.eq(seq),
                ))
                .execute(conn)
        })?;
        Ok(())
    })
}

/// Records an ended session: tokens carrying this `sid` are refused until `expires_at`.
pub fn revoke_session(
    conn: &mut DbConnection,
    sid: &str,
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<(), StoreError> {
    // One transaction: the row lock `next_seq` takes is held until everything this
    // revocation writes is committed, so numbers become visible in order.
    conn.transaction(|conn| {
        let seq = next_seq(conn)?;
        status_lists::set_session(conn, sid, seq)?;
        insert_once(conn, |conn| {
            diesel::insert_into(revoked_sessions::table)
                .values((
                    revoked_sessions::sid.eq(sid),
                    revoked_sessions::expires_at.eq(expires_at),
                    revoked_sessions::revoked_at.eq(now),
                    revoked_sessions::seq.eq(seq),
                ))
                .execute(conn)
        })?;
        Ok(())
    })
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
    // One transaction: the row lock `next_seq` takes is held until everything this
    // revocation writes is committed, so numbers become visible in order.
    conn.transaction(|conn| {
        let seq = next_seq(conn)?;
        status_lists::set_client(conn, client_id, not_before, seq)?;
        // Update first, insert if there was nothing to update: no upsert on both backends.
        // An update takes the new number too, so followers hear of the new not-before.
        let updated = diesel::update(revoked_clients::table.find(client_id))
            .set((
                revoked_clients::not_before.eq(not_before),
                revoked_clients::expires_at.eq(expires_at),
                revoked_clients::revoked_at.eq(now),
                revoked_clients::seq.eq(seq),
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
                        revoked_clients::seq.eq(seq),
                    ))
                    .execute(conn)
            })?;
        }
        Ok(())
    })
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

/// The revocations numbered after `since`, oldest first, and the current number (which
/// may be past the last entry: a repeated revocation consumes a number too). Only the
/// `seq` index is used, so the cost is the number of new rows, never the table's size;
/// entries that have already expired are dropped by the caller.
pub fn changes_since(
    conn: &mut DbConnection,
    since: i64,
) -> Result<(i64, Vec<(i64, Entry)>), StoreError> {
    let version = version(conn)?;
    let mut out: Vec<(i64, Entry)> = Vec::new();
    let jtis: Vec<(String, i64, i64)> = revoked_tokens::table
        .filter(revoked_tokens::seq.gt(since))
        .select((
            revoked_tokens::jti,
            revoked_tokens::expires_at,
            revoked_tokens::seq,
        ))
        .load(conn)?;
    out.extend(
        jtis.into_iter()
            .map(|(jti, exp, seq)| (seq, Entry::Jti { jti, exp })),
    );
    let sids: Vec<(String, i64, i64)> = revoked_sessions::table
        .filter(revoked_sessions::seq.gt(since))
        .select((
            revoked_sessions::sid,
            revoked_sessions::expires_at,
            revoked_sessions::seq,
        ))
        .load(conn)?;
    out.extend(
        sids.into_iter()
            .map(|(sid, exp, seq)| (seq, Entry::Sid { sid, exp })),
    );
    let clients: Vec<(String, i64, i64, i64)> = revoked_clients::table
        .filter(revoked_clients::seq.gt(since))
        .select((
            revoked_clients::client_id,
            revoked_clients::not_before,
            revoked_clients::expires_at,
            revoked_clients::seq,
        ))
        .load(conn)?;
    out.extend(clients.into_iter().map(|(client_id, nbf, exp, seq)| {
        (
            seq,
            Entry::Client {
                client_id,
                nbf,
                exp,
            },
        )
    }));
    out.sort_by_key(|(seq, _)| *seq);
    Ok((version, out))
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
