//! The `client_assertion_jtis` table: the replay store for `private_key_jwt`.

use diesel::prelude::*;

use super::schema::client_assertion_jtis;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

/// Records a `jti`; [`StoreError::Duplicate`] when it was seen before.
pub fn insert(
    conn: &mut DbConnection,
    client_id: &str,
    jti: &str,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    diesel::insert_into(client_assertion_jtis::table)
        .values((
            client_assertion_jtis::client_id.eq(client_id),
            client_assertion_jtis::jti.eq(jti),
            client_assertion_jtis::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets entries whose assertions have expired (they can no longer be replayed).
pub fn delete_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        client_assertion_jtis::table.filter(client_assertion_jtis::expires_at.lt(now)),
    )
    .execute(conn)?)
}
