//! The `action_tokens` table: single-use links sent by mail, by hash.

use diesel::prelude::*;

use super::schema::action_tokens;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

pub fn insert(
    conn: &mut DbConnection,
    hash: &[u8],
    purpose: &str,
    user_id: &str,
    now: UnixTime,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    diesel::insert_into(action_tokens::table)
        .values((
            action_tokens::token_hash.eq(hash),
            action_tokens::purpose.eq(purpose),
            action_tokens::user_id.eq(user_id),
            action_tokens::created_at.eq(now),
            action_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user a live, unused token of `purpose` is for (without using it: the page that
/// shows the form).
pub fn peek(
    conn: &mut DbConnection,
    hash: &[u8],
    purpose: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    Ok(action_tokens::table
        .find(hash)
        .filter(action_tokens::purpose.eq(purpose))
        .filter(action_tokens::used_at.is_null())
        .filter(action_tokens::expires_at.gt(now))
        .select(action_tokens::user_id)
        .first(conn)
        .optional()?)
}

/// Uses the token, once: a conditional update, so of two concurrent uses one wins.
pub fn take(
    conn: &mut DbConnection,
    hash: &[u8],
    purpose: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    Ok(diesel::update(
        action_tokens::table
            .find(hash)
            .filter(action_tokens::purpose.eq(purpose))
            .filter(action_tokens::used_at.is_null())
            .filter(action_tokens::expires_at.gt(now)),
    )
    .set(action_tokens::used_at.eq(Some(now)))
    .returning(action_tokens::user_id)
    .get_result(conn)
    .optional()?)
}

/// The user and purpose of a live, unused token of any of `purposes`.
pub fn peek_any(
    conn: &mut DbConnection,
    hash: &[u8],
    purposes: &[&str],
    now: UnixTime,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(action_tokens::table
        .find(hash)
        .filter(
            action_tokens::purpose
                .eq_any(purposes.iter().map(|p| p.to_string()).collect::<Vec<_>>()),
        )
        .filter(action_tokens::used_at.is_null())
        .filter(action_tokens::expires_at.gt(now))
        .select((action_tokens::user_id, action_tokens::purpose))
        .first(conn)
        .optional()?)
}

/// A link that carries a value (the address an email link confirms).
pub fn insert_with_payload(
    conn: &mut DbConnection,
    hash: &[u8],
    purpose: &str,
    user_id: &str,
    payload: &str,
    now: UnixTime,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    insert(conn, hash, purpose, user_id, now, expires_at)?;
    diesel::update(action_tokens::table.find(hash))
        .set(action_tokens::payload.eq(Some(payload)))
        .execute(conn)?;
    Ok(())
}

/// Uses a token of `purpose` once; its user and payload.
pub fn take_with_payload(
    conn: &mut DbConnection,
    hash: &[u8],
    purpose: &str,
    now: UnixTime,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(diesel::update(
        action_tokens::table
            .find(hash)
            .filter(action_tokens::purpose.eq(purpose))
            .filter(action_tokens::used_at.is_null())
            .filter(action_tokens::expires_at.gt(now)),
    )
    .set(action_tokens::used_at.eq(Some(now)))
    .returning((action_tokens::user_id, action_tokens::payload))
    .get_result(conn)
    .optional()?)
}

/// The payload of a token of one of `purposes` that still works, without using it.
pub fn peek_payload(
    conn: &mut DbConnection,
    hash: &[u8],
    purposes: &[&str],
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    Ok(action_tokens::table
        .find(hash)
        .filter(action_tokens::purpose.eq_any(purposes))
        .filter(action_tokens::used_at.is_null())
        .filter(action_tokens::expires_at.gt(now))
        .select(action_tokens::payload)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}
