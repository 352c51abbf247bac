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

/// One client a user consented to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// The user's consents, most recently granted first.
pub fn list_for_user(conn: &mut DbConnection, user_id: &str) -> Result<Vec<Consent>, StoreError> {
    let rows: Vec<(String, String, i64, i64)> = consents::table
        .filter(consents::user_id.eq(user_id))
        .order(consents::updated_at.desc())
        .select((
            consents::client_id,
            consents::scopes,
            consents::created_at,
            consents::updated_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(client_id, scopes, created_at, updated_at)| {
            Ok(Consent {
                client_id,
                scopes: json::decode("consents.scopes", &scopes)?,
                created_at,
                updated_at,
            })
        })
        .collect()
}

/// Forgets a consent; whether there was one.
pub fn delete(conn: &mut DbConnection, user_id: &str, client_id: &str) -> Result<bool, StoreError> {
    Ok(diesel::delete(consents::table.find((user_id, client_id))).execute(conn)? == 1)
}
