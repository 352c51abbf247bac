//! The `revoked_tokens` table: access-token ids revoked before their `exp`, kept only until
//! then, so the set stays small.

use diesel::prelude::*;

use super::schema::revoked_tokens;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

/// Records a revoked `jti`; revoking twice is not an error.
pub fn revoke(
    conn: &mut DbConnection,
    jti: &str,
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<(), StoreError> {
    match diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(jti),
            revoked_tokens::expires_at.eq(expires_at),
            revoked_tokens::revoked_at.eq(now),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(()),
        Err(e) => match StoreError::from(e) {
            StoreError::Duplicate => Ok(()),
            other => Err(other),
        },
    }
}

pub fn is_revoked(conn: &mut DbConnection, jti: &str) -> Result<bool, StoreError> {
    Ok(revoked_tokens::table
        .find(jti)
        .select(revoked_tokens::jti)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

pub fn delete_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.le(now)))
            .execute(conn)?,
    )
}
