//! The `refresh_tokens` table: hashed, rotated on every use, linked by family so that a
//! reused token revokes the whole family (RFC 9700 §4.14.2).

use diesel::prelude::*;

use super::revoked;
use super::schema::{family_access_tokens, refresh_tokens};
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub token_hash: Vec<u8>,
    pub family_id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub session_sid: Option<String>,
    pub scope: String,
    pub audience: Option<String>,
    pub auth_time: Option<i64>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub amr: Option<String>,
    pub acr: Option<String>,
    pub family_expires_at: Option<i64>,
    /// The DPoP key a public client's refresh token is bound to (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &RefreshRow) -> Result<(), StoreError> {
    diesel::insert_into(refresh_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Marks a live token of this client used and returns it; `None` if it is unknown,
/// expired, already used, revoked, or another client's.
pub fn consume(
    conn: &mut DbConnection,
    hash: &[u8],
    client_id: &str,
    now: UnixTime,
) -> Result<Option<RefreshRow>, StoreError> {
    Ok(diesel::update(
        refresh_tokens::table
            .find(hash)
            .filter(refresh_tokens::client_id.eq(client_id))
            .filter(refresh_tokens::consumed_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::consumed_at.eq(Some(now)))
    .returning(refresh_tokens::all_columns)
    .get_result(conn)
    .optional()?)
}

pub fn find(conn: &mut DbConnection, hash: &[u8]) -> Result<Option<RefreshRow>, StoreError> {
    Ok(refresh_tokens::table
        .find(hash)
        .select(RefreshRow::as_select())
        .first(conn)
        .optional()?)
}

/// Revokes every live token of a family and the access tokens issued from it; returns
/// how many refresh tokens.
pub fn revoke_family(
    conn: &mut DbConnection,
    family_id: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let n = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    let issued: Vec<(String, i64)> = family_access_tokens::table
        .filter(family_access_tokens::family_id.eq(family_id))
        .filter(family_access_tokens::expires_at.gt(now))
        .select((family_access_tokens::jti, family_access_tokens::expires_at))
        .load(conn)?;
    for (jti, exp) in issued {
        revoked::revoke(conn, &jti, exp, now)?;
    }
    Ok(n)
}

/// Revokes the refresh-token families started in a session (logout).
pub fn revoke_session(
    conn: &mut DbConnection,
    sid: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let families: Vec<String> = refresh_tokens::table
        .filter(refresh_tokens::session_sid.eq(sid))
        .select(refresh_tokens::family_id)
        .distinct()
        .load(conn)?;
    let mut n = 0;
    for f in families {
        n += revoke_family(conn, &f, now)?;
    }
    Ok(n)
}

/// Remembers that an access token came from a family.
pub fn record_access_token(
    conn: &mut DbConnection,
    jti: &str,
    family_id: &str,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    diesel::insert_into(family_access_tokens::table)
        .values((
            family_access_tokens::jti.eq(jti),
            family_access_tokens::family_id.eq(family_id),
            family_access_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_expired(conn: &mut DbConnection, now: UnixTime) -> Result<usize, StoreError> {
    let tokens = diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(now)))
        .execute(conn)?;
    let issued = diesel::delete(
        family_access_tokens::table.filter(family_access_tokens::expires_at.le(now)),
    )
    .execute(conn)?;
    Ok(tokens + issued)
}

/// Revokes every refresh-token family of a client (an operator's "revoke its tokens");
/// returns the number of tokens revoked.
pub fn revoke_client(
    conn: &mut DbConnection,
    client_id: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let families: Vec<String> = refresh_tokens::table
        .filter(refresh_tokens::client_id.eq(client_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .select(refresh_tokens::family_id)
        .distinct()
        .load(conn)?;
    let mut n = 0;
    for f in families {
        n += revoke_family(conn, &f, now)?;
    }
    Ok(n)
}

/// Revokes a user's refresh-token families at one client (the user took back that
/// app's access); returns the number of tokens revoked.
pub fn revoke_user_client(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let families: Vec<String> = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user_id))
        .filter(refresh_tokens::client_id.eq(client_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .select(refresh_tokens::family_id)
        .distinct()
        .load(conn)?;
    let mut n = 0;
    for f in families {
        n += revoke_family(conn, &f, now)?;
    }
    Ok(n)
}
