//! The `client_registrations` table: clients that registered themselves (RFC 7591), with
//! the SHA-256 of their registration access token (RFC 7592 §1) and the informational
//! metadata echoed in their client information responses. A row goes with its client
//! (`ON DELETE CASCADE`).

use diesel::prelude::*;

use super::schema::client_registrations;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_registrations)]
pub struct ClientRegistration {
    pub client_id: String,
    /// SHA-256 of the registration access token.
    pub access_token_hash: Vec<u8>,
    /// JSON object of the informational metadata (`client_uri`, `logo_uri`, `contacts`…).
    pub metadata: String,
    /// The initial access token it was registered with; `None`: open registration.
    pub initial_token_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("client_id", &self.client_id)
            .field("initial_token_id", &self.initial_token_id)
            .finish_non_exhaustive()
    }
}

pub fn insert(conn: &mut DbConnection, row: &ClientRegistration) -> Result<(), StoreError> {
    diesel::insert_into(client_registrations::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut DbConnection,
    client_id: &str,
) -> Result<Option<ClientRegistration>, StoreError> {
    Ok(client_registrations::table
        .find(client_id)
        .select(ClientRegistration::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces the informational metadata after an RFC 7592 update.
pub fn set_metadata(
    conn: &mut DbConnection,
    client_id: &str,
    metadata: &str,
    now: UnixTime,
) -> Result<bool, StoreError> {
    Ok(diesel::update(client_registrations::table.find(client_id))
        .set((
            client_registrations::metadata.eq(metadata),
            client_registrations::updated_at.eq(now),
        ))
        .execute(conn)?
        == 1)
}
