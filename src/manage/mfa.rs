//! Operators and second factors: what a user has enrolled (`user mfa list`), and removing
//! all of it (`user mfa reset`, for a user who lost their devices and codes) — which also
//! ends their sessions (with back-channel logout), so whoever held them signs in again.

use diesel::Connection;
use serde::Serialize;
use serde_json::json;

use super::ManageError;
use crate::clock::UnixTime;
use crate::domain::user::normalize_username;
use crate::store::audit::{self, AuditEvent};
use crate::store::{DbConnection, mfa, users};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PasskeySummary {
    pub name: String,
    pub created_at: UnixTime,
    pub last_used_at: Option<UnixTime>,
    pub user_verified: bool,
    pub synced: bool,
}

/// A user's second factors, without any secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Factors {
    pub username: String,
    pub totp: bool,
    pub recovery_codes_left: i64,
    pub passkeys: Vec<PasskeySummary>,
}

pub fn list(conn: &mut DbConnection, username: &str) -> Result<Factors, ManageError> {
    let username = normalize_username(username)?;
    let user = users::find_by_username(conn, &username)?
        .ok_or_else(|| ManageError::UserNotFound(username.clone()))?;
    let enrolled = mfa::enrolled(conn, &user.id)?;
    let passkeys = mfa::passkeys_of(conn, &user.id)?
        .into_iter()
        .map(|p| PasskeySummary {
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
            user_verified: p.user_verified,
            synced: p.synced,
        })
        .collect();
    Ok(Factors {
        username: user.username,
        totp: enrolled.totp,
        recovery_codes_left: enrolled.recovery_codes_left,
        passkeys,
    })
}

/// What a reset removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset {
    pub totp: usize,
    pub passkeys: usize,
    pub recovery_codes: usize,
    pub sessions_ended: usize,
}

/// Removes every factor, every pending sign-in, and ends the user's sessions; audited.
pub fn reset(
    conn: &mut DbConnection,
    actor: &str,
    username: &str,
    now: UnixTime,
) -> Result<Reset, ManageError> {
    let username = normalize_username(username)?;
    let user = users::find_by_username(conn, &username)?
        .ok_or_else(|| ManageError::UserNotFound(username.clone()))?;
    let (totp, passkeys, recovery_codes) = conn.transaction(|c| {
        let removed = mfa::reset(c, &user.id)?;
        mfa::delete_pending_of(c, &user.id)?;
        Ok::<_, crate::store::StoreError>(removed)
    })?;
    // Each session ends in its own transaction with its back-channel deliveries.
    let sessions_ended = users::end_sessions_and_grants(conn, &user.id, now)?;
    let reset = Reset {
        totp,
        passkeys,
        recovery_codes,
        sessions_ended,
    };
    audit::record(
        conn,
        &AuditEvent {
            event: "mfa.reset",
            actor,
            user_id: Some(&user.id),
            details: json!({
                "totp": totp,
                "passkeys": passkeys,
                "recovery_codes": recovery_codes,
                "sessions_ended": sessions_ended,
            }),
            ..Default::default()
        },
        now,
    )?;
    Ok(reset)
}
