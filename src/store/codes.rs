//! The `authorization_codes` and `redeemed_codes` tables. Codes are stored as SHA-256
//! hashes and consumed with one `DELETE … RETURNING`, so two concurrent redemptions cannot
//! both succeed and SQLite never sees a read→write upgrade.

use diesel::prelude::*;

use super::schema::{authorization_codes, redeemed_codes};
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct CodeRow {
    pub code_hash: Vec<u8>,
    pub client_id: String,
    pub user_id: String,
    pub session_sid: Option<String>,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub auth_time: i64,
    pub acr: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub amr: Option<String>,
    /// The DPoP key the code is bound to (`dpop_jkt`, RFC 9449 §10): redemption needs a
    /// proof by that key.
    pub dpop_jkt: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &CodeRow) -> Result<(), StoreError> {
    diesel::insert_into(authorization_codes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Removes and returns the code if it belongs to this client, and records in the same
/// transaction what its redemption will issue: it can be redeemed once, and a replay
/// racing the first redemption always finds the record and revokes (RFC 6749 §4.1.2).
pub fn consume(
    conn: &mut DbConnection,
    code_hash: &[u8],
    client_id: &str,
    redemption: &RedeemedRow,
) -> Result<Option<CodeRow>, StoreError> {
    conn.transaction(|c| {
        let row: Option<CodeRow> = diesel::delete(
            authorization_codes::table
                .find(code_hash)
                .filter(authorization_codes::client_id.eq(client_id)),
        )
        .returning(authorization_codes::all_columns)
        .get_result(c)
        .optional()?;
        if row.is_some() {
            diesel::insert_into(redeemed_codes::table)
                .values(redemption)
                .execute(c)?;
        }
        Ok(row)
    })
}

/// Whether a redemption is still recorded (a replay takes it when it revokes).
pub fn is_redeemed(conn: &mut DbConnection, code_hash: &[u8]) -> Result<bool, StoreError> {
    Ok(redeemed_codes::table
        .find(code_hash)
        .select(redeemed_codes::code_hash)
        .first::<Vec<u8>>(conn)
        .optional()?
        .is_some())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = redeemed_codes)]
pub struct RedeemedRow {
    pub code_hash: Vec<u8>,
    pub client_id: String,
    pub access_jti: String,
    pub access_expires_at: i64,
    pub refresh_family_id: Option<String>,
    pub expires_at: i64,
}

/// What a replayed code produced, removed so the revocation happens once.
pub fn take_redeemed(
    conn: &mut DbConnection,
    code_hash: &[u8],
    client_id: &str,
) -> Result<Option<RedeemedRow>, StoreError> {
    Ok(diesel::delete(
        redeemed_codes::table
            .find(code_hash)
            .filter(redeemed_codes::client_id.eq(client_id)),
    )
    .returning(redeemed_codes::all_columns)
    .get_result(conn)
    .optional()?)
}

pub fn delete_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize, StoreError> {
    let codes =
        diesel::delete(authorization_codes::table.filter(authorization_codes::expires_at.le(now)))
            .execute(conn)?;
    let redeemed = diesel::delete(redeemed_codes::table.filter(redeemed_codes::expires_at.le(now)))
        .execute(conn)?;
    Ok(codes + redeemed)
}
