//! The `device_codes` table (RFC 8628). Each state change is one conditional statement: a
//! code is decided once while pending and live, and redeemed once after approval.

use diesel::prelude::*;

use super::schema::device_codes;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = device_codes)]
pub struct DeviceCodeRow {
    /// SHA-256 of the device code, base64url.
    pub device_code_hash: String,
    pub user_code: String,
    pub client_id: String,
    pub scope: String,
    pub status: String,
    pub user_id: Option<String>,
    pub session_sid: Option<String>,
    pub auth_time: Option<i64>,
    pub acr: Option<String>,
    pub amr: Option<String>,
    pub poll_interval: i64,
    pub last_poll_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub redeemed_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &DeviceCodeRow) -> Result<(), StoreError> {
    diesel::insert_into(device_codes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A live, pending code by its user code.
pub fn find_pending_by_user_code(
    conn: &mut DbConnection,
    user_code: &str,
    now: UnixTime,
) -> Result<Option<DeviceCodeRow>, StoreError> {
    Ok(device_codes::table
        .filter(device_codes::user_code.eq(user_code))
        .filter(device_codes::status.eq("pending"))
        .filter(device_codes::expires_at.gt(now))
        .select(DeviceCodeRow::as_select())
        .first(conn)
        .optional()?)
}

/// The sign-in an approval carries to the device's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub user_id: String,
    pub session_sid: String,
    pub auth_time: i64,
    pub acr: Option<String>,
    /// JSON array, as the session stores it.
    pub amr: String,
}

/// What the user decided (`Some`: allowed, with the sign-in); `false` when the code was no
/// longer pending and live.
pub fn decide(
    conn: &mut DbConnection,
    user_code: &str,
    approved: Option<&Approval>,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let target = device_codes::table
        .filter(device_codes::user_code.eq(user_code))
        .filter(device_codes::status.eq("pending"))
        .filter(device_codes::expires_at.gt(now));
    let n = match approved {
        Some(a) => diesel::update(target)
            .set((
                device_codes::status.eq("approved"),
                device_codes::user_id.eq(&a.user_id),
                device_codes::session_sid.eq(&a.session_sid),
                device_codes::auth_time.eq(a.auth_time),
                device_codes::acr.eq(&a.acr),
                device_codes::amr.eq(&a.amr),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set(device_codes::status.eq("denied"))
            .execute(conn)?,
    };
    Ok(n == 1)
}

pub fn find(
    conn: &mut DbConnection,
    device_code_hash: &str,
) -> Result<Option<DeviceCodeRow>, StoreError> {
    Ok(device_codes::table
        .find(device_code_hash)
        .select(DeviceCodeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records a poll and the interval from now on.
pub fn polled(
    conn: &mut DbConnection,
    device_code_hash: &str,
    interval: i64,
    now: UnixTime,
) -> Result<(), StoreError> {
    diesel::update(device_codes::table.find(device_code_hash))
        .set((
            device_codes::last_poll_at.eq(now),
            device_codes::poll_interval.eq(interval),
        ))
        .execute(conn)?;
    Ok(())
}

/// Redeems an approved code once.
pub fn redeem(
    conn: &mut DbConnection,
    device_code_hash: &str,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        device_codes::table
            .find(device_code_hash)
            .filter(device_codes::status.eq("approved"))
            .filter(device_codes::redeemed_at.is_null()),
    )
    .set(device_codes::redeemed_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}
