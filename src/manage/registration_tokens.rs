//! Initial access tokens (RFC 7591 §3): an operator makes one for each party allowed to
//! register clients. The token is shown once; only its SHA-256 is kept.

use diesel::Connection;
use serde_json::json;

use super::ManageError;
use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::secret::Secret;
use crate::store::DbConnection;
use crate::store::audit::{self, AuditEvent};
use crate::store::initial_access_tokens::{self, InitialAccessToken};

/// Bytes of randomness in an initial or registration access token: 256 bits.
pub const TOKEN_BYTES: usize = 32;

/// Makes an initial access token, valid until `expires_at` (if any) for `max_uses`
/// registrations (if limited).
pub fn create_registration_token(
    conn: &mut DbConnection,
    actor: &str,
    expires_at: Option<UnixTime>,
    max_uses: Option<i64>,
    now: UnixTime,
) -> Result<(InitialAccessToken, Secret<String>), ManageError> {
    let token = opaque::generate(TOKEN_BYTES);
    let row = InitialAccessToken {
        id: opaque::identifier(),
        token_hash: opaque::hash(token.expose()),
        created_at: now,
        expires_at,
        max_uses,
        uses: 0,
    };
    conn.transaction(|c| {
        initial_access_tokens::insert(c, &row)?;
        audit::record(
            c,
            &AuditEvent {
                event: "registration_token.created",
                actor,
                details: json!({
                    "token_id": row.id,
                    "expires_at": expires_at,
                    "max_uses": max_uses,
                }),
                ..Default::default()
            },
            now,
        )?;
        Ok::<_, ManageError>(())
    })?;
    Ok((row, token))
}

/// Revokes an initial access token at once. Clients it registered stay.
pub fn revoke_registration_token(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    now: UnixTime,
) -> Result<(), ManageError> {
    conn.transaction(|c| {
        if !initial_access_tokens::delete(c, id)? {
            return Err(ManageError::RegistrationTokenNotFound(id.into()));
        }
        audit::record(
            c,
            &AuditEvent {
                event: "registration_token.revoked",
                actor,
                details: json!({ "token_id": id }),
                ..Default::default()
            },
            now,
        )?;
        Ok(())
    })
}
