//! The `pushed_requests` table (RFC 9126): authorization requests pushed to `/par`, by the
//! SHA-256 of their `request_uri`.

use diesel::prelude::*;

use super::schema::pushed_requests;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pushed_requests)]
pub struct PushedRow {
    pub uri_hash: Vec<u8>,
    pub client_id: String,
    /// The validated parameters, form-encoded (client authentication removed).
    pub params: String,
    pub dpop_jkt: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub used_at: Option<UnixTime>,
}

pub fn insert(conn: &mut DbConnection, row: &PushedRow) -> Result<(), StoreError> {
    diesel::insert_into(pushed_requests::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The live request of `client_id` under `uri_hash`.
pub fn find_live(
    conn: &mut DbConnection,
    uri_hash: &[u8],
    client_id: &str,
    now: UnixTime,
) -> Result<Option<PushedRow>, StoreError> {
    Ok(pushed_requests::table
        .find(uri_hash)
        .filter(pushed_requests::client_id.eq(client_id))
        .filter(pushed_requests::expires_at.gt(now))
        .select(PushedRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks the request as taken by `/authorize` and keeps it for the sign-in that follows;
/// `false` when it was already taken (a second `/authorize` with the same URI).
pub fn take(
    conn: &mut DbConnection,
    uri_hash: &[u8],
    now: UnixTime,
    keep_until: UnixTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        pushed_requests::table
            .find(uri_hash)
            .filter(pushed_requests::used_at.is_null()),
    )
    .set((
        pushed_requests::used_at.eq(Some(now)),
        pushed_requests::expires_at.eq(keep_until),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes the request when its code is issued; `false` when it was already gone.
pub fn consume(conn: &mut DbConnection, uri_hash: &[u8]) -> Result<bool, StoreError> {
    Ok(diesel::delete(pushed_requests::table.find(uri_hash)).execute(conn)? == 1)
}
