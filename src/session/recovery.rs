//! Forgot password: a reset link by mail, and the new password it lets someone set.
//!
//! The request never says whether an account exists (the same answer either way, and no
//! mail for an unknown address). The link's token is 256 random bits, stored as SHA-256,
//! single-use (a conditional update) and short-lived (`tokens.link_ttl_secs`). Setting
//! the new password ends every session of the user and revokes their refresh tokens.

use diesel::Connection;
use serde_json::json;

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::mail::{Mail, Voice};
use crate::session::mailed_link::{self, Link};
use crate::store::audit::{self, AuditEvent};
use crate::store::{DbConnection, StoreError, action_tokens, users};

pub const PURPOSE_RESET: &str = "password_reset";
/// An invitation (`portcullis user invite`): the same page sets the first password, and
/// using the link proves the address, so it also marks the email verified.
pub const PURPOSE_INVITATION: &str = "invitation";
const PURPOSES: [&str; 2] = [PURPOSE_RESET, PURPOSE_INVITATION];
/// Where the link leads.
pub const RESET_PATH: &str = "/password/reset";
/// Where a reset is asked for.
pub const FORGOT_PATH: &str = "/password/forgot";

/// Queues a reset mail when `email` belongs to exactly one enabled user with that
/// address; whether one was queued (for the audit log, never for the answer).
pub fn request_reset(
    conn: &mut DbConnection,
    email: &str,
    voice: &Voice,
    issuer: &str,
    ttl: i64,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let Some(user) = users::find_by_email(conn, email)?.filter(|u| !u.disabled) else {
        return Ok(false);
    };
    let Some(to) = user.email.clone() else {
        return Ok(false);
    };
    let token = mailed_link::new_token();
    let link = voice.link(issuer, RESET_PATH, token.expose());
    let message = Mail::reset(voice, &to, &user.username, &link, ttl)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // The address the link goes to: using it proves that address (if still theirs).
    let link = Link {
        purpose: PURPOSE_RESET,
        user_id: &user.id,
        payload: Some(&to),
        expires_at: now + ttl,
        event: "password.reset_requested",
        actor: &format!("user:{}", user.id),
    };
    mailed_link::send(conn, &token, &link, &message, now)?;
    Ok(true)
}

/// What a link still works for (the form is shown only then): its purpose.
pub fn link_purpose(
    conn: &mut DbConnection,
    token: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    Ok(action_tokens::peek_any(conn, &opaque::hash(token), &PURPOSES, now)?.map(|(_, p)| p))
}

/// Creates the single-use link of an invitation for `user` and queues its mail, in one
/// transaction; audited as `user.invited`.
pub fn invite(
    conn: &mut DbConnection,
    user: &crate::domain::user::User,
    voice: &Voice,
    issuer: &str,
    expires_at: UnixTime,
    actor: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    let Some(to) = user.email.clone() else {
        return Err(StoreError::Corrupt(
            "an invitation needs an email address".into(),
        ));
    };
    let token = mailed_link::new_token();
    let link = voice.link(issuer, RESET_PATH, token.expose());
    let until = crate::clock::rfc3339(expires_at);
    let message = Mail::invitation(voice, &to, &user.username, &link, &until)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let link = Link {
        purpose: PURPOSE_INVITATION,
        user_id: &user.id,
        payload: None,
        expires_at,
        event: "user.invited",
        actor,
    };
    mailed_link::send(conn, &token, &link, &message, now)
}

/// Uses the link once and sets the new password hash; every session of the user ends.
/// `None` when the link is used, expired or unknown.
pub fn complete_reset(
    conn: &mut DbConnection,
    token: &str,
    new_hash: &str,
    now: UnixTime,
) -> Result<Option<usize>, StoreError> {
    conn.transaction(|c| {
        let hash = opaque::hash(token);
        let Some((_, purpose)) = action_tokens::peek_any(c, &hash, &PURPOSES, now)? else {
            return Ok(None);
        };
        let Some((user_id, sent_to)) = action_tokens::take_with_payload(c, &hash, &purpose, now)?
        else {
            return Ok(None);
        };
        let Some(user) = users::find_by_id(c, &user_id)? else {
            return Ok(None);
        };
        // The link reached the account's address: it is verified (an invitation's always
        // went to it; a reset's, if the address has not changed since).
        let reached = purpose == PURPOSE_INVITATION
            || sent_to
                .as_deref()
                .zip(user.email.as_deref())
                .is_some_and(|(sent, now)| sent.eq_ignore_ascii_case(now));
        if reached && !user.email_verified {
            users::set_email_verified(c, &user_id, true)?;
        }
        users::set_password_hash(c, &user.username, new_hash, now)?;
        let ended = users::end_sessions_and_grants(c, &user.id, now)?;
        audit::record(
            c,
            &AuditEvent {
                event: if purpose == PURPOSE_INVITATION {
                    "user.invitation_accepted"
                } else {
                    "password.reset"
                },
                actor: &format!("user:{}", user.id),
                user_id: Some(&user.id),
                details: json!({ "sessions_ended": ended }),
                ..Default::default()
            },
            now,
        )?;
        Ok(Some(ended))
    })
}
