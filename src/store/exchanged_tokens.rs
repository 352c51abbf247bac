//! The `exchanged_tokens` table: which token each exchanged token came from (RFC 8693), so
//! revoking a token revokes what was exchanged from it.

use diesel::prelude::*;

use super::schema::exchanged_tokens;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

/// A token made by exchange: its `jti`, its status index, its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchanged {
    pub jti: String,
    pub status: Option<(String, i64)>,
    pub exp: UnixTime,
}

pub fn record(
    conn: &mut DbConnection,
    child: &Exchanged,
    parent_jti: &str,
) -> Result<(), StoreError> {
    let (list_id, idx) = match &child.status {
        Some((l, i)) => (Some(l.as_str()), Some(*i)),
        None => (None, None),
    };
    diesel::insert_into(exchanged_tokens::table)
        .values((
            exchanged_tokens::jti.eq(&child.jti),
            exchanged_tokens::parent_jti.eq(parent_jti),
            exchanged_tokens::list_id.eq(list_id),
            exchanged_tokens::idx.eq(idx),
            exchanged_tokens::expires_at.eq(child.exp),
        ))
        .execute(conn)?;
    Ok(())
}

/// The live tokens exchanged from `parent_jti`.
pub fn children(
    conn: &mut DbConnection,
    parent_jti: &str,
    now: UnixTime,
) -> Result<Vec<Exchanged>, StoreError> {
    let rows: Vec<(String, Option<String>, Option<i64>, i64)> = exchanged_tokens::table
        .filter(exchanged_tokens::parent_jti.eq(parent_jti))
        .filter(exchanged_tokens::expires_at.gt(now))
        .select((
            exchanged_tokens::jti,
            exchanged_tokens::list_id,
            exchanged_tokens::idx,
            exchanged_tokens::expires_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(jti, list, idx, exp)| Exchanged {
            jti,
            status: list.zip(idx),
            exp,
        })
        .collect())
}
