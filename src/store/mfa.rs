//! Second factors and the sign-ins waiting for one: `user_totp`, `recovery_codes`,
//! `passkeys`, `webauthn_ceremonies`, `pending_sign_ins`. Every single-use rule (a TOTP
//! step, a recovery code, a ceremony, a pending sign-in) is one conditional statement, so
//! two instances racing for the same value cannot both win.

use diesel::prelude::*;

use super::schema::{passkeys, pending_sign_ins, recovery_codes, user_totp, webauthn_ceremonies};
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_totp)]
pub struct TotpRow {
    pub user_id: String,
    pub secret_sealed: Vec<u8>,
    pub confirmed_at: Option<i64>,
    pub last_step: Option<i64>,
    pub created_at: i64,
}

/// Starts (or restarts) an enrolment: an unconfirmed secret replaces any unconfirmed one;
/// a confirmed authenticator is never replaced here (it must be removed first).
pub fn put_unconfirmed_totp(conn: &mut DbConnection, row: &TotpRow) -> Result<bool, StoreError> {
    diesel::delete(
        user_totp::table
            .find(&row.user_id)
            .filter(user_totp::confirmed_at.is_null()),
    )
    .execute(conn)?;
    if find_totp(conn, &row.user_id)?.is_some() {
        return Ok(false);
    }
    diesel::insert_into(user_totp::table)
        .values(row)
        .execute(conn)?;
    Ok(true)
}

pub fn find_totp(conn: &mut DbConnection, user_id: &str) -> Result<Option<TotpRow>, StoreError> {
    Ok(user_totp::table
        .find(user_id)
        .select(TotpRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records an accepted step: only when it is later than the last one (RFC 6238 §5.2, one
/// use per code), also confirming an enrolment. `false` when another request used this
/// step (or a later one) first.
pub fn use_totp_step(
    conn: &mut DbConnection,
    user_id: &str,
    step: i64,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let row = user_totp::table.find(user_id).filter(
        user_totp::last_step
            .is_null()
            .or(user_totp::last_step.lt(step)),
    );
    let updated = diesel::update(row)
        .set(user_totp::last_step.eq(step))
        .execute(conn)?;
    if updated == 1 {
        diesel::update(
            user_totp::table
                .find(user_id)
                .filter(user_totp::confirmed_at.is_null()),
        )
        .set(user_totp::confirmed_at.eq(now))
        .execute(conn)?;
    }
    Ok(updated == 1)
}

pub fn delete_totp(conn: &mut DbConnection, user_id: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(user_totp::table.find(user_id)).execute(conn)?)
}

/// Replaces a user's recovery codes with new ones (hashes).
pub fn replace_recovery_codes(
    conn: &mut DbConnection,
    user_id: &str,
    hashes: &[Vec<u8>],
    now: UnixTime,
) -> Result<(), StoreError> {
    delete_recovery_codes(conn, user_id)?;
    for h in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::code_hash.eq(h),
                recovery_codes::user_id.eq(user_id),
                recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_recovery_codes(conn: &mut DbConnection, user_id: &str) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(conn)?,
    )
}

/// Uses a code once: `true` when it was this user's and unused.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user_id: &str,
    hash: &[u8],
    now: UnixTime,
) -> Result<bool, StoreError> {
    let updated = diesel::update(
        recovery_codes::table
            .find(hash)
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Unused recovery codes left.
pub fn recovery_codes_left(conn: &mut DbConnection, user_id: &str) -> Result<i64, StoreError> {
    Ok(recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub credential_id: String,
    pub user_id: String,
    pub name: String,
    /// webauthn-rs's `Passkey`, as JSON: the public key and the signature counter.
    pub passkey: String,
    pub user_verified: bool,
    pub synced: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub fn insert_passkey(conn: &mut DbConnection, row: &PasskeyRow) -> Result<(), StoreError> {
    diesel::insert_into(passkeys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn passkeys_of(conn: &mut DbConnection, user_id: &str) -> Result<Vec<PasskeyRow>, StoreError> {
    Ok(passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .order(passkeys::created_at)
        .select(PasskeyRow::as_select())
        .load(conn)?)
}

pub fn find_passkey(
    conn: &mut DbConnection,
    credential_id: &str,
) -> Result<Option<PasskeyRow>, StoreError> {
    Ok(passkeys::table
        .find(credential_id)
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// After a use: the updated key (counter) and when.
pub fn touch_passkey(
    conn: &mut DbConnection,
    credential_id: &str,
    passkey: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    diesel::update(passkeys::table.find(credential_id))
        .set((
            passkeys::passkey.eq(passkey),
            passkeys::last_used_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn rename_passkey(
    conn: &mut DbConnection,
    user_id: &str,
    credential_id: &str,
    name: &str,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        passkeys::table
            .find(credential_id)
            .filter(passkeys::user_id.eq(user_id)),
    )
    .set(passkeys::name.eq(name))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn delete_passkey(
    conn: &mut DbConnection,
    user_id: &str,
    credential_id: &str,
) -> Result<bool, StoreError> {
    let n = diesel::delete(
        passkeys::table
            .find(credential_id)
            .filter(passkeys::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

pub fn delete_passkeys(conn: &mut DbConnection, user_id: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(passkeys::table.filter(passkeys::user_id.eq(user_id))).execute(conn)?)
}

/// What a user has enrolled, for the sign-in decision and the account page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrolled {
    pub totp: bool,
    pub recovery_codes_left: i64,
    /// Per passkey: whether it verifies the user.
    pub passkeys: Vec<bool>,
}

impl Enrolled {
    pub fn any_second_factor(&self) -> bool {
        self.totp || self.recovery_codes_left > 0 || !self.passkeys.is_empty()
    }
}

pub fn enrolled(conn: &mut DbConnection, user_id: &str) -> Result<Enrolled, StoreError> {
    let totp = find_totp(conn, user_id)?.is_some_and(|t| t.confirmed_at.is_some());
    let passkeys = passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .select(passkeys::user_verified)
        .load(conn)?;
    Ok(Enrolled {
        totp,
        recovery_codes_left: recovery_codes_left(conn, user_id)?,
        passkeys,
    })
}

/// Removes every factor of a user (`user mfa reset`); how many of each went.
pub fn reset(conn: &mut DbConnection, user_id: &str) -> Result<(usize, usize, usize), StoreError> {
    Ok((
        delete_totp(conn, user_id)?,
        delete_passkeys(conn, user_id)?,
        delete_recovery_codes(conn, user_id)?,
    ))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webauthn_ceremonies)]
pub struct CeremonyRow {
    pub id_hash: Vec<u8>,
    pub user_id: Option<String>,
    pub kind: String,
    pub state: String,
    pub expires_at: i64,
}

pub fn insert_ceremony(conn: &mut DbConnection, row: &CeremonyRow) -> Result<(), StoreError> {
    diesel::insert_into(webauthn_ceremonies::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Takes a live ceremony of this kind once (deleting it).
pub fn take_ceremony(
    conn: &mut DbConnection,
    id_hash: &[u8],
    kind: &str,
    now: UnixTime,
) -> Result<Option<CeremonyRow>, StoreError> {
    let row: Option<CeremonyRow> = webauthn_ceremonies::table
        .find(id_hash)
        .filter(webauthn_ceremonies::kind.eq(kind))
        .filter(webauthn_ceremonies::expires_at.gt(now))
        .select(CeremonyRow::as_select())
        .first(conn)
        .optional()?;
    let gone = diesel::delete(webauthn_ceremonies::table.find(id_hash)).execute(conn)?;
    Ok(row.filter(|_| gone == 1))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pending_sign_ins)]
pub struct PendingRow {
    pub id_hash: Vec<u8>,
    pub user_id: String,
    /// JSON array of `mfa::level::Factor`: what was proven so far.
    pub factors: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Begun through an upstream provider: which, and who there (`sso::Upstreamed`).
    pub upstream: Option<String>,
    pub upstream_sub: Option<String>,
    pub upstream_sid: Option<String>,
}

pub fn insert_pending(conn: &mut DbConnection, row: &PendingRow) -> Result<(), StoreError> {
    diesel::insert_into(pending_sign_ins::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_pending(
    conn: &mut DbConnection,
    id_hash: &[u8],
    now: UnixTime,
) -> Result<Option<PendingRow>, StoreError> {
    Ok(pending_sign_ins::table
        .find(id_hash)
        .filter(pending_sign_ins::expires_at.gt(now))
        .select(PendingRow::as_select())
        .first(conn)
        .optional()?)
}

/// Ends a pending sign-in; `true` when this call did (single use).
pub fn take_pending(conn: &mut DbConnection, id_hash: &[u8]) -> Result<bool, StoreError> {
    Ok(diesel::delete(pending_sign_ins::table.find(id_hash)).execute(conn)? == 1)
}

pub fn delete_pending_of(conn: &mut DbConnection, user_id: &str) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(pending_sign_ins::table.filter(pending_sign_ins::user_id.eq(user_id)))
            .execute(conn)?,
    )
}
