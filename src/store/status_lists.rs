//! Token Status Lists in the database: lists and the index blocks reserved from them,
//! which session token got which index, and the ranges of bits set (numbered with the
//! revocation log's sequence, so instances apply them incrementally with the rest).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::schema::{status_blocks, status_lists, status_ranges, token_statuses};
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;
use crate::domain::opaque;

/// A block of indexes reserved for one client's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub list_id: String,
    pub start: i64,
    pub end: i64,
}

#[derive(QueryableByName)]
struct Reserved {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    allocated: i64,
}

/// Reserves `size` indexes for `client_id` from the newest list with room, or from a new
/// list of `capacity`. The list's end of life moves to `expires_at` (a block is used for
/// a bounded time, and its tokens live a bounded time after). Two instances reserving at
/// once get disjoint blocks: the increment happens under the list row's lock, and the
/// capacity is checked again on the locked row.
pub fn reserve_block(
    conn: &mut DbConnection,
    client_id: &str,
    size: i64,
    capacity: i64,
    now: UnixTime,
    expires_at: UnixTime,
) -> Result<Block, StoreError> {
    conn.transaction(|c| {
        let reserved: Option<Reserved> = diesel::sql_query(
            "UPDATE status_lists SET allocated = allocated + $1, \
               expires_at = CASE WHEN expires_at > $2 THEN expires_at ELSE $2 END \
             WHERE id = (SELECT id FROM status_lists \
                         WHERE allocated + $1 <= capacity AND expires_at > $3 \
                         ORDER BY created_at DESC, id LIMIT 1) \
               AND allocated + $1 <= capacity \
             RETURNING id, allocated",
        )
        .bind::<BigInt, _>(size)
        .bind::<BigInt, _>(expires_at)
        .bind::<BigInt, _>(now)
        .get_result(c)
        .optional()?;
        let block = match reserved {
            Some(r) => Block {
                list_id: r.id,
                start: r.allocated - size,
                end: r.allocated,
            },
            None => {
                let id = opaque::identifier();
                diesel::insert_into(status_lists::table)
                    .values((
                        status_lists::id.eq(&id),
                        status_lists::capacity.eq(capacity),
                        status_lists::allocated.eq(size),
                        status_lists::created_at.eq(now),
                        status_lists::expires_at.eq(expires_at),
                    ))
                    .execute(c)?;
                Block {
                    list_id: id,
                    start: 0,
                    end: size,
                }
            }
        };
        diesel::insert_into(status_blocks::table)
            .values((
                status_blocks::list_id.eq(&block.list_id),
                status_blocks::start_idx.eq(block.start),
                status_blocks::end_idx.eq(block.end),
                status_blocks::client_id.eq(client_id),
                status_blocks::reserved_at.eq(now),
            ))
            .execute(c)?;
        Ok(block)
    })
}

/// Records which index a token of a session got (issued inside the grant's transaction).
pub fn record_token(
    conn: &mut DbConnection,
    list_id: &str,
    idx: i64,
    jti: &str,
    sid: Option<&str>,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    diesel::insert_into(token_statuses::table)
        .values((
            token_statuses::list_id.eq(list_id),
            token_statuses::idx.eq(idx),
            token_statuses::jti.eq(jti),
            token_statuses::sid.eq(sid),
            token_statuses::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

fn set_range(
    conn: &mut DbConnection,
    list_id: &str,
    start: i64,
    end: i64,
    seq: i64,
) -> Result<(), StoreError> {
    let r = conn.transaction(|c| {
        diesel::insert_into(status_ranges::table)
            .values((
                status_ranges::list_id.eq(list_id),
                status_ranges::start_idx.eq(start),
                status_ranges::end_idx.eq(end),
                status_ranges::seq.eq(seq),
            ))
            .execute(c)
    });
    match r.map_err(StoreError::from) {
        Ok(_) | Err(StoreError::Duplicate) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets the bit of one token, known by its status reference or, failing that, by the
/// index recorded for its `jti`.
pub fn set_token(
    conn: &mut DbConnection,
    jti: &str,
    status: Option<(&str, i64)>,
    seq: i64,
) -> Result<(), StoreError> {
    let found: Vec<(String, i64)> = match status {
        Some((list, idx)) => vec![(list.to_string(), idx)],
        None => token_statuses::table
            .filter(token_statuses::jti.eq(jti))
            .select((token_statuses::list_id, token_statuses::idx))
            .load(conn)?,
    };
    for (list, idx) in found {
        set_range(conn, &list, idx, idx + 1, seq)?;
    }
    Ok(())
}

/// Sets the bits of every token of a session.
pub fn set_session(conn: &mut DbConnection, sid: &str, seq: i64) -> Result<usize, StoreError> {
    let found: Vec<(String, i64)> = token_statuses::table
        .filter(token_statuses::sid.eq(sid))
        .select((token_statuses::list_id, token_statuses::idx))
        .load(conn)?;
    for (list, idx) in &found {
        set_range(conn, list, *idx, idx + 1, seq)?;
    }
    Ok(found.len())
}

/// Sets the bits of every block reserved for a client before `not_before` (its tokens
/// issued before then, and indexes never handed out, which no token will ever get: an
/// instance stops using a client's blocks when it learns of the not-before).
pub fn set_client(
    conn: &mut DbConnection,
    client_id: &str,
    not_before: UnixTime,
    seq: i64,
) -> Result<usize, StoreError> {
    let blocks: Vec<(String, i64, i64)> = status_blocks::table
        .filter(status_blocks::client_id.eq(client_id))
        .filter(status_blocks::reserved_at.lt(not_before))
        .select((
            status_blocks::list_id,
            status_blocks::start_idx,
            status_blocks::end_idx,
        ))
        .load(conn)?;
    for (list, start, end) in &blocks {
        set_range(conn, list, *start, *end, seq)?;
    }
    Ok(blocks.len())
}

/// A list: its capacity and end of life.
#[derive(Debug, Clone, Copy)]
pub struct ListInfo {
    pub capacity: i64,
    pub expires_at: i64,
}

/// Set ranges of a list, `[start, end)`.
pub type Ranges = Vec<(i64, i64)>;

/// A live list and every range set in it.
pub fn load(
    conn: &mut DbConnection,
    list_id: &str,
    now: UnixTime,
) -> Result<Option<(ListInfo, Ranges)>, StoreError> {
    let info: Option<(i64, i64)> = status_lists::table
        .find(list_id)
        .filter(status_lists::expires_at.gt(now))
        .select((status_lists::capacity, status_lists::expires_at))
        .first(conn)
        .optional()?;
    let Some((capacity, expires_at)) = info else {
        return Ok(None);
    };
    let ranges = status_ranges::table
        .filter(status_ranges::list_id.eq(list_id))
        .select((status_ranges::start_idx, status_ranges::end_idx))
        .load(conn)?;
    Ok(Some((
        ListInfo {
            capacity,
            expires_at,
        },
        ranges,
    )))
}

/// Ranges set after `since`: `(seq, list_id, start, end)`, oldest first.
pub fn ranges_since(
    conn: &mut DbConnection,
    since: i64,
) -> Result<Vec<(i64, String, i64, i64)>, StoreError> {
    Ok(status_ranges::table
        .filter(status_ranges::seq.gt(since))
        .order(status_ranges::seq)
        .select((
            status_ranges::seq,
            status_ranges::list_id,
            status_ranges::start_idx,
            status_ranges::end_idx,
        ))
        .load(conn)?)
}

/// The ids of the live lists (the aggregation endpoint).
pub fn live(conn: &mut DbConnection, now: UnixTime) -> Result<Vec<String>, StoreError> {
    Ok(status_lists::table
        .filter(status_lists::expires_at.gt(now))
        .order(status_lists::created_at)
        .select(status_lists::id)
        .load(conn)?)
}

/// Deletes lists every token of which has expired, with their blocks and bits, and the
/// index records of expired tokens.
pub fn delete_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize, StoreError> {
    let gone: Vec<String> = status_lists::table
        .filter(status_lists::expires_at.le(now))
        .select(status_lists::id)
        .limit(100)
        .load(conn)?;
    let mut n = 0;
    for id in &gone {
        n += diesel::delete(status_ranges::table.filter(status_ranges::list_id.eq(id)))
            .execute(conn)?;
        n += diesel::delete(status_blocks::table.filter(status_blocks::list_id.eq(id)))
            .execute(conn)?;
        n += diesel::delete(token_statuses::table.filter(token_statuses::list_id.eq(id)))
            .execute(conn)?;
        n += diesel::delete(status_lists::table.find(id)).execute(conn)?;
    }
    n += diesel::delete(token_statuses::table.filter(token_statuses::expires_at.le(now)))
        .execute(conn)?;
    Ok(n)
}
