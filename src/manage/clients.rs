use diesel::Connection;
use serde_json::json;

use super::ManageError;
use crate::clock::UnixTime;
use crate::domain::client::Client;
use crate::domain::opaque::{self, CLIENT_SECRET_BYTES};
use crate::domain::registration::ClientSpec;
use crate::domain::secret::Secret;
use crate::store::audit::{self, AuditEvent};
use crate::store::{DbConnection, StoreError};
use crate::store::{clients, revoked, users};

/// Registers a client. A client that authenticates with a shared secret gets a generated
/// one, returned here once; only its hash is stored.
pub fn create_client(
    conn: &mut DbConnection,
    actor: &str,
    spec: ClientSpec,
    now: UnixTime,
) -> Result<(Client, Option<Secret<String>>), ManageError> {
    let reg = spec.validate(opaque::identifier())?;
    let secret = reg
        .token_endpoint_auth_method
        .uses_secret()
        .then(|| opaque::generate(CLIENT_SECRET_BYTES));
    let hash = secret.as_ref().map(|s| opaque::hash(s.expose()));
    let client = conn.transaction(|c| {
        // Write first (see `store`), then check: the transaction rolls back on refusal.
        clients::insert(c, &reg, hash, now).map_err(|e| match e {
            StoreError::Duplicate => ManageError::DuplicateClient(reg.id.to_string()),
            other => other.into(),
        })?;
        // A client credentials token's `sub` is the client id (RFC 9068 §2.2): it must
        // never name a user, or the token would pass for that user's.
        if users::find_by_id(c, &reg.id)?.is_some() {
            return Err(ManageError::SubjectTaken(reg.id.to_string()));
        }
        audit::record(
            c,
            &AuditEvent {
                event: "client.created",
                actor,
                client_id: Some(&reg.id),
                details: json!({ "grant_types": reg.grant_types, "public": reg.public }),
                ..Default::default()
            },
            now,
        )?;
        clients::find(c, &reg.id)?.ok_or_else(|| ManageError::ClientNotFound(reg.id.to_string()))
    })?;
    Ok((client, secret))
}

/// Replaces what is registrable about client `id` with `spec` (validated exactly as at
/// creation), keeping its id, `created_at` and — while it still authenticates with a
/// shared secret — its secret. A client that newly needs a secret gets a generated one,
/// returned here once; one that no longer uses a secret loses it. For RFC 7592 §2.2 and
/// the admin API. Access tokens already issued stay valid (revoke them apart).
pub fn update_client(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    mut spec: ClientSpec,
    now: UnixTime,
) -> Result<(Client, Option<Secret<String>>), ManageError> {
    spec.id = Some(id.to_string());
    let reg = spec.validate(id.to_string())?;
    conn.transaction(|c| {
        let current =
            clients::find(c, id)?.ok_or_else(|| ManageError::ClientNotFound(id.into()))?;
        let (hash, secret) = match (
            reg.token_endpoint_auth_method.uses_secret(),
            current.secret_hash,
        ) {
            (true, Some(hash)) => (Some(hash), None),
            (true, None) => {
                let secret = opaque::generate(CLIENT_SECRET_BYTES);
                (Some(opaque::hash(secret.expose())), Some(secret))
            }
            (false, _) => (None, None),
        };
        if !clients::update(c, &reg, hash, now)? {
            return Err(ManageError::ClientNotFound(id.into()));
        }
        audit::record(
            c,
            &AuditEvent {
                event: "client.updated",
                actor,
                client_id: Some(id),
                details: json!({
                    "grant_types": reg.grant_types,
                    "public": reg.public,
                    "secret_issued": secret.is_some(),
                }),
                ..Default::default()
            },
            now,
        )?;
        let client = clients::find(c, id)?.ok_or_else(|| ManageError::ClientNotFound(id.into()))?;
        Ok((client, secret))
    })
}

/// Replaces a client's secret at once; the old one stops working immediately.
/// Access tokens live at most a day (the configuration's upper bound on their lifetime,
/// plus the largest clock-skew allowance): a client's not-before is kept that long.
pub const TOKEN_NOT_BEFORE_KEPT_SECS: i64 = 86_400 + 600;

/// Revokes every access token the client holds now, through the revocation list and
/// feed: its not-before becomes the next second, since `iat` has whole seconds (a token
/// minted later in this same second is revoked too: the safe side).
fn revoke_tokens(c: &mut DbConnection, id: &str, now: UnixTime) -> Result<(), ManageError> {
    revoked::revoke_client(c, id, now + 1, now + TOKEN_NOT_BEFORE_KEPT_SECS, now)?;
    Ok(())
}

/// Gives the client a new secret. With `revoke_tokens`, every access token it holds
/// stops working too (a compromised secret may have minted them).
pub fn rotate_client_secret(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    revoke_tokens_too: bool,
    now: UnixTime,
) -> Result<Secret<String>, ManageError> {
    let secret = opaque::generate(CLIENT_SECRET_BYTES);
    let hash = opaque::hash(secret.expose());
    conn.transaction(|c| {
        // Write first (see `store`): the update takes the lock, then we check the method.
        if !clients::set_secret_hash(c, id, hash, now)? {
            return Err(ManageError::ClientNotFound(id.into()));
        }
        let client = clients::find(c, id)?.ok_or_else(|| ManageError::ClientNotFound(id.into()))?;
        if !client.token_endpoint_auth_method.uses_secret() {
            // Rolls the transaction back: a client without a secret keeps none.
            return Err(ManageError::NoSecret(id.into()));
        }
        if revoke_tokens_too {
            revoke_tokens(c, id, now)?;
        }
        audit::record(
            c,
            &AuditEvent {
                event: "client.secret_rotated",
                actor,
                client_id: Some(id),
                details: json!({ "tokens_revoked": revoke_tokens_too }),
                ..Default::default()
            },
            now,
        )?;
        Ok(())
    })?;
    Ok(secret)
}

/// Deletes a client; every access token it holds stops working at once (its not-before
/// is recorded in the revocation list, since the tokens outlive the row).
pub fn delete_client(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    now: UnixTime,
) -> Result<(), ManageError> {
    conn.transaction(|c| {
        if !clients::delete(c, id)? {
            return Err(ManageError::ClientNotFound(id.into()));
        }
        revoke_tokens(c, id, now)?;
        audit::record(
            c,
            &AuditEvent {
                event: "client.deleted",
                actor,
                client_id: Some(id),
                ..Default::default()
            },
            now,
        )?;
        Ok(())
    })
}
