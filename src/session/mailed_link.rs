//! A single-use link sent by mail (password reset, invitation, email confirmation): 256
//! random bits, of which only the SHA-256 is stored; the link, its mail and its audit
//! entry are written in one transaction, so none exists without the others.

use diesel::Connection;

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::secret::Secret;
use crate::mail::{self, Mail};
use crate::store::audit::{self, AuditEvent};
use crate::store::{DbConnection, StoreError, action_tokens};

/// What a link is for, and how its sending is audited.
pub struct Link<'a> {
    pub purpose: &'a str,
    pub user_id: &'a str,
    /// What the link is about besides its user (the address it confirms or went to).
    pub payload: Option<&'a str>,
    pub expires_at: UnixTime,
    pub event: &'static str,
    pub actor: &'a str,
}

/// A new link's secret, for the URL in its mail.
pub fn new_token() -> Secret<String> {
    opaque::generate(32)
}

/// Stores the link (its hash), queues its mail and audits it.
pub fn send(
    conn: &mut DbConnection,
    token: &Secret<String>,
    link: &Link<'_>,
    message: &Mail,
    now: UnixTime,
) -> Result<(), StoreError> {
    conn.transaction(|c| {
        let hash = opaque::hash(token.expose());
        match link.payload {
            Some(payload) => action_tokens::insert_with_payload(
                c,
                &hash,
                link.purpose,
                link.user_id,
                payload,
                now,
                link.expires_at,
            )?,
            None => {
                action_tokens::insert(c, &hash, link.purpose, link.user_id, now, link.expires_at)?
            }
        }
        mail::enqueue(c, message, now)?;
        audit::record(
            c,
            &AuditEvent {
                event: link.event,
                actor: link.actor,
                user_id: Some(link.user_id),
                ..Default::default()
            },
            now,
        )?;
        Ok(())
    })
}
