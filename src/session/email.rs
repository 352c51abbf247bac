//! A person's email address: confirming it, or changing it. Both go through a mailed,
//! single-use link to the address in question (`action_tokens` with the address as
//! payload), so `email_verified` is true only once someone opened a link sent there. A
//! change takes effect when the new address is confirmed, and the old address is told.

use diesel::Connection;
use serde_json::json;

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::user::{User, UserError, UserSpec};
use crate::mail::{self, Mail, Voice};
use crate::session::mailed_link::{self, Link};
use crate::store::audit::{self, AuditEvent};
use crate::store::{DbConnection, StoreError, action_tokens, users};

pub const PURPOSE_VERIFY: &str = "email_verify";
pub const PURPOSE_CHANGE: &str = "email_change";
pub const CONFIRM_PATH: &str = "/email/confirm";

/// What asking for `address` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// A link went to the address (the current one, unverified, or a new one).
    LinkSent,
    /// The current address is verified already: nothing to do.
    AlreadyVerified,
}

/// Sends a link to `address`: to verify it if it is the current one, to change to it if
/// not. Refuses an address that is not one.
pub fn ask(
    conn: &mut DbConnection,
    user: &User,
    address: &str,
    voice: &Voice,
    issuer: &str,
    ttl: i64,
    now: UnixTime,
) -> Result<Result<Asked, UserError>, StoreError> {
    let address = address.trim().to_string();
    let checked = UserSpec {
        username: user.username.clone(),
        email: Some(address.clone()),
        display_name: user.display_name.clone(),
        roles: user.roles.clone(),
    }
    .validate();
    if let Err(e) = checked {
        return Ok(Err(e));
    }
    let current = user
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(&address));
    if current && user.email_verified {
        return Ok(Ok(Asked::AlreadyVerified));
    }
    let purpose = if current {
        PURPOSE_VERIFY
    } else {
        PURPOSE_CHANGE
    };
    let token = mailed_link::new_token();
    let link = voice.link(issuer, CONFIRM_PATH, token.expose());
    let message = Mail::verify(voice, &address, &user.username, &link, ttl)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let link = Link {
        purpose,
        user_id: &user.id,
        payload: Some(&address),
        expires_at: now + ttl,
        event: if current {
            "email.verification_requested"
        } else {
            "email.change_requested"
        },
        actor: &format!("user:{}", user.id),
    };
    mailed_link::send(conn, &token, &link, &message, now)?;
    Ok(Ok(Asked::LinkSent))
}

/// What opening a link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    Verified(String),
    Changed { from: Option<String>, to: String },
}

/// The address a link would confirm (for the page before the button), if it still works.
pub fn pending_address(
    conn: &mut DbConnection,
    token: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    let hash = opaque::hash(token);
    if let Some(address) =
        action_tokens::peek_payload(conn, &hash, &[PURPOSE_CHANGE, PURPOSE_VERIFY], now)?
    {
        return Ok(Some(address));
    }
    Ok(None)
}

/// Uses a confirmation link once. `None`: used, expired, unknown, or (verification) for
/// an address the account no longer has.
pub fn confirm(
    conn: &mut DbConnection,
    token: &str,
    voice: &Voice,
    now: UnixTime,
) -> Result<Option<Confirmed>, StoreError> {
    let hash = opaque::hash(token);
    conn.transaction(|c| {
        if let Some((user_id, Some(address))) =
            action_tokens::take_with_payload(c, &hash, PURPOSE_CHANGE, now)?
        {
            let Some(user) = users::find_by_id(c, &user_id)? else {
                return Ok(None);
            };
            let profile = crate::domain::user::UserProfile {
                username: user.username.clone(),
                email: Some(address.clone()),
                display_name: user.display_name.clone(),
                roles: user.roles.clone(),
            };
            users::update_profile(c, &user.id, &profile, now)?;
            users::set_email_verified(c, &user.id, true)?;
            if let Some(old) = user
                .email
                .as_deref()
                .filter(|o| !o.eq_ignore_ascii_case(&address))
            {
                let notice = Mail::email_changed(voice, old, &user.username, &address)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                mail::enqueue(c, &notice, now)?;
            }
            audit::record(
                c,
                &AuditEvent {
                    event: "email.changed",
                    actor: &format!("user:{}", user.id),
                    user_id: Some(&user.id),
                    details: json!({ "verified": true }),
                    ..Default::default()
                },
                now,
            )?;
            return Ok(Some(Confirmed::Changed {
                from: user.email,
                to: address,
            }));
        }
        if let Some((user_id, Some(address))) =
            action_tokens::take_with_payload(c, &hash, PURPOSE_VERIFY, now)?
        {
            let Some(user) = users::find_by_id(c, &user_id)? else {
                return Ok(None);
            };
            // Only the address it was sent to, if the account still has it.
            if !user
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&address))
            {
                return Ok(None);
            }
            users::set_email_verified(c, &user.id, true)?;
            audit::record(
                c,
                &AuditEvent {
                    event: "email.verified",
                    actor: &format!("user:{}", user.id),
                    user_id: Some(&user.id),
                    ..Default::default()
                },
                now,
            )?;
            return Ok(Some(Confirmed::Verified(address)));
        }
        Ok(None)
    })
}
