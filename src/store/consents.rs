//! The `consents` table: scopes a user granted a client, remembered across logins.

use diesel::prelude::*;

use super::schema::consents;
use super::{DbConnection, StoreError, json};
use crate::clock::UnixTime;

pub fn granted(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
) -> Result<Vec<String>, StoreError> {
    let scopes: Option<String> = consents::table
        .find((user_id, client_id))
        .select(consents::scopes)
        .first(conn)
        .optional()?;
    match scopes {
        Some(s) => json::decode("consents.scopes", &s),
        None => Ok(Vec::new()),
    }
}

/// Records the scopes granted (merged with earlier grants by the caller). Update first,
/// insert if there was nothing to update: no upsert across both backends.
pub fn save(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    now: UnixTime,
) -> Result<(), StoreError> {
    conn.transaction(|c| {
        let n = diesel::update(consents::table.find((user_id, client_id)))
            .set((
                consents::scopes.eq(json::encode(scopes)),
                consents::updated_at.eq(now),
            ))
            .execute(c)?;
        if n == 0 {
            diesel::insert_into(consents::table)
                .values((
                    consents::user_id.eq(user_id),
                    consents::client_id.eq(client_id),
                    consents::scopes.eq(json::encode(scopes)),
                    consents::created_at.eq(now),
                    consents::updated_at.eq(now),
                ))
                .execute(c)?;
        }
        Ok(())
    })
}
