//! The `signing_keys` table. Private parts are stored sealed (see `keys::sealed`).

use diesel::prelude::*;

use super::schema::signing_keys;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub public_jwk: String,
    pub private_key_sealed: Option<Vec<u8>>,
    pub generation: i64,
    pub created_at: i64,
    pub activates_at: i64,
    pub retires_at: Option<i64>,
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow")
            .field("kid", &self.kid)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// Every key, oldest generation first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<SigningKeyRow>, StoreError> {
    Ok(signing_keys::table
        .order(signing_keys::generation)
        .select(SigningKeyRow::as_select())
        .load(conn)?)
}

/// [`StoreError::Duplicate`] when another instance created this generation first.
pub fn insert(conn: &mut DbConnection, row: &SigningKeyRow) -> Result<(), StoreError> {
    diesel::insert_into(signing_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Schedules the end of a key's signing and of its publication.
pub fn retire(
    conn: &mut DbConnection,
    kid: &str,
    retires_at: UnixTime,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    diesel::update(signing_keys::table.find(kid))
        .set((
            signing_keys::retires_at.eq(Some(retires_at)),
            signing_keys::expires_at.eq(Some(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes `alg`'s keys that are not active yet (an emergency rotation supersedes them).
pub fn delete_pending(
    conn: &mut DbConnection,
    alg: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        signing_keys::table
            .filter(signing_keys::activates_at.gt(now))
            .filter(signing_keys::alg.eq(alg)),
    )
    .execute(conn)?)
}

/// Deletes keys past their publication, private parts included.
pub fn delete_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(signing_keys::table.filter(signing_keys::expires_at.le(now)))
            .execute(conn)?,
    )
}

pub fn delete(conn: &mut DbConnection, kid: &str) -> Result<bool, StoreError> {
    Ok(diesel::delete(signing_keys::table.find(kid)).execute(conn)? == 1)
}
