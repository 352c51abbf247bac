//! Outgoing mail. Messages are rendered (plain text and HTML, from askama templates),
//! queued in the database in the same transaction as whatever caused them, and sent by a
//! background worker over SMTP (`smtp.url`) with retries — never inline in a request, and
//! a restart loses nothing.

pub mod message;
pub mod smtp;
pub mod worker;

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::store::mail_outbox::{self, OutboxRow};
use crate::store::{DbConnection, StoreError};

pub use message::{Mail, Voice};

/// Queues `mail`; the worker sends it.
pub fn enqueue(conn: &mut DbConnection, mail: &Mail, now: UnixTime) -> Result<String, StoreError> {
    let id = opaque::identifier();
    mail_outbox::insert(
        conn,
        &OutboxRow {
            id: id.clone(),
            to_address: mail.to.clone(),
            subject: mail.subject.clone(),
            text_body: mail.text.clone(),
            html_body: mail.html.clone(),
            attempts: 0,
            next_attempt_at: now,
            locked_until: None,
            last_error: None,
            created_at: now,
        },
    )?;
    Ok(id)
}
