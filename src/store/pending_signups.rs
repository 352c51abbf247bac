//! The `pending_signups` table: sign-ups waiting for their mailed link, by token hash.

use diesel::prelude::*;

use super::schema::pending_signups;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

/// A sign-up as it was asked for.
#[derive(Queryable, Insertable)]
#[diesel(table_name = pending_signups)]
pub struct PendingSignup {
    pub token_hash: Vec<u8>,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub used_at: Option<UnixTime>,
}

impl std::fmt::Debug for PendingSignup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignup")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Stores a sign-up, and forgets the ones whose links expired.
pub fn insert(conn: &mut DbConnection, row: &PendingSignup) -> Result<(), StoreError> {
    diesel::delete(pending_signups::table.filter(pending_signups::expires_at.le(row.created_at)))
        .execute(conn)?;
    diesel::insert_into(pending_signups::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The sign-up a link still works for.
pub fn peek(
    conn: &mut DbConnection,
    hash: &[u8],
    now: UnixTime,
) -> Result<Option<PendingSignup>, StoreError> {
    Ok(pending_signups::table
        .find(hash)
        .filter(pending_signups::used_at.is_null())
        .filter(pending_signups::expires_at.gt(now))
        .first(conn)
        .optional()?)
}

/// Uses a link once (a conditional update): the sign-up, if it still worked.
pub fn take(
    conn: &mut DbConnection,
    hash: &[u8],
    now: UnixTime,
) -> Result<Option<PendingSignup>, StoreError> {
    Ok(diesel::update(
        pending_signups::table
            .find(hash)
            .filter(pending_signups::used_at.is_null())
            .filter(pending_signups::expires_at.gt(now)),
    )
    .set(pending_signups::used_at.eq(Some(now)))
    .returning(pending_signups::all_columns)
    .get_result(conn)
    .optional()?)
}
