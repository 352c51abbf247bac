//! The `initial_access_tokens` table (RFC 7591 §3): what an operator hands out so that a
//! client may register itself. Only the SHA-256 of a token is stored; using one is a
//! single conditional UPDATE, so concurrent registrations cannot exceed `max_uses`.

use diesel::prelude::*;

use super::schema::initial_access_tokens;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = initial_access_tokens)]
pub struct InitialAccessToken {
    pub id: String,
    /// SHA-256 of the token; never serialized.
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    pub created_at: i64,
    /// `None`: never expires.
    pub expires_at: Option<i64>,
    /// `None`: unlimited.
    pub max_uses: Option<i64>,
    pub uses: i64,
}

impl InitialAccessToken {
    /// Whether a registration could still use it at `now`.
    pub fn usable(&self, now: UnixTime) -> bool {
        self.expires_at.is_none_or(|e| e > now) && self.max_uses.is_none_or(|m| self.uses < m)
    }
}

pub fn insert(conn: &mut DbConnection, token: &InitialAccessToken) -> Result<(), StoreError> {
    diesel::insert_into(initial_access_tokens::table)
        .values(token)
        .execute(conn)?;
    Ok(())
}

/// Uses the token with this hash once, if it is live and has uses left; its id, or `None`
/// (unknown, expired or used up — deliberately not told apart to the caller's client).
pub fn use_once(
    conn: &mut DbConnection,
    token_hash: &[u8],
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    use initial_access_tokens::dsl as t;
    Ok(diesel::update(
        t::initial_access_tokens
            .filter(t::token_hash.eq(token_hash))
            .filter(t::expires_at.is_null().or(t::expires_at.gt(now)))
            .filter(
                t::max_uses
                    .is_null()
                    .or(t::uses.lt(t::max_uses.assume_not_null())),
            ),
    )
    .set(t::uses.eq(t::uses + 1))
    .returning(t::id)
    .get_result(conn)
    .optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<InitialAccessToken>, StoreError> {
    Ok(initial_access_tokens::table
        .order((initial_access_tokens::created_at, initial_access_tokens::id))
        .select(InitialAccessToken::as_select())
        .load(conn)?)
}

/// Deletes a token; `false` when there was none with this id.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<bool, StoreError> {
    Ok(diesel::delete(initial_access_tokens::table.find(id)).execute(conn)? == 1)
}
