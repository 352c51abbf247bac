//! The `mail_outbox` table: mail waiting to go out (`mail::worker` sends it).

use diesel::prelude::*;

use super::schema::mail_outbox;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxRow {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// Bodies carry single-use links: only the id and the recipient's domain in `Debug`.
impl std::fmt::Debug for OutboxRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRow")
            .field("id", &self.id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

pub fn insert(conn: &mut DbConnection, row: &OutboxRow) -> Result<(), StoreError> {
    diesel::insert_into(mail_outbox::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` due messages for `lease` seconds: a message is claimed by one
/// sender at a time (across instances), and comes back if that sender dies.
pub fn claim_due(
    conn: &mut DbConnection,
    now: UnixTime,
    lease: i64,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let ids: Vec<String> = mail_outbox::table
        .filter(mail_outbox::next_attempt_at.le(now))
        .filter(
            mail_outbox::locked_until
                .is_null()
                .or(mail_outbox::locked_until.le(now)),
        )
        .order(mail_outbox::next_attempt_at)
        .limit(limit)
        .select(mail_outbox::id)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in ids {
        // Conditional: another sender may have taken it since the read.
        let n = diesel::update(
            mail_outbox::table.find(&id).filter(
                mail_outbox::locked_until
                    .is_null()
                    .or(mail_outbox::locked_until.le(now)),
            ),
        )
        .set(mail_outbox::locked_until.eq(Some(now + lease)))
        .execute(conn)?;
        if n == 1 {
            if let Some(row) = mail_outbox::table
                .find(&id)
                .select(OutboxRow::as_select())
                .first(conn)
                .optional()?
            {
                claimed.push(row);
            }
        }
    }
    Ok(claimed)
}

/// The server accepted it: it leaves the outbox.
pub fn sent(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(mail_outbox::table.find(id)).execute(conn)?;
    Ok(())
}

/// It failed: tried again at `next_attempt_at`.
pub fn failed(
    conn: &mut DbConnection,
    id: &str,
    error: &str,
    next_attempt_at: UnixTime,
) -> Result<(), StoreError> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::next_attempt_at.eq(next_attempt_at),
            mail_outbox::locked_until.eq(None::<i64>),
            mail_outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Messages waiting (a metric and the CLI's view).
pub fn pending(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(mail_outbox::table.count().get_result(conn)?)
}
