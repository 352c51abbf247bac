use diesel::Connection;
use serde_json::json;

use super::ManageError;
use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::password::Passwords;
use crate::domain::secret::Secret;
use crate::domain::user::User;
use crate::domain::user::{UserSpec, normalize_username};
use crate::store::audit::{self, AuditEvent};
use crate::store::{DbConnection, StoreError};
use crate::store::{clients, users};

fn record(
    c: &mut DbConnection,
    actor: &str,
    event: &str,
    user_id: &str,
    details: serde_json::Value,
    now: UnixTime,
) -> Result<(), ManageError> {
    audit::record(
        c,
        &AuditEvent {
            event,
            actor,
            user_id: Some(user_id),
            details,
            ..Default::default()
        },
        now,
    )?;
    Ok(())
}

/// Creates a user. The password is hashed (argon2id) before the transaction starts, so the
/// database lock is never held during the slow hash.
pub fn create_user(
    conn: &mut DbConnection,
    actor: &str,
    passwords: &Passwords,
    spec: UserSpec,
    password: &Secret<String>,
    now: UnixTime,
) -> Result<User, ManageError> {
    let profile = spec.validate()?;
    let hash = passwords.hash(password)?;
    conn.transaction(|c| {
        let id = opaque::identifier();
        users::insert(c, &id, &profile, &hash, now).map_err(|e| match e {
            StoreError::Duplicate => ManageError::DuplicateUser(profile.username.clone()),
            other => other.into(),
        })?;
        // Write first (see `store`), then check: user subjects and client ids share the
        // `sub` claim, so a (128-bit random) id that a client already has is refused.
        if clients::find(c, &id)?.is_some() {
            return Err(ManageError::SubjectTaken(id.clone()));
        }
        record(
            c,
            actor,
            "user.created",
            &id,
            json!({ "roles": profile.roles }),
            now,
        )?;
        users::find_by_username(c, &profile.username)?
            .ok_or_else(|| ManageError::UserNotFound(profile.username.clone()))
    })
}

/// The operator vouches for a user's address (`user create --email-verified`): it counts
/// as verified (the `email_verified` claim, `Remote-Email` at the gateway). Audited.
pub fn vouch_for_email(
    conn: &mut DbConnection,
    actor: &str,
    user_id: &str,
    now: UnixTime,
) -> Result<(), ManageError> {
    conn.transaction(|c| {
        users::set_email_verified(c, user_id, true)?;
        record(c, actor, "user.email_verified", user_id, json!({}), now)
    })
}

/// Sets a new password and, since a reset usually answers a compromise, ends the user's
/// sessions and revokes their refresh tokens.
pub fn set_password(
    conn: &mut DbConnection,
    actor: &str,
    passwords: &Passwords,
    username: &str,
    password: &Secret<String>,
    now: UnixTime,
) -> Result<(), ManageError> {
    let username = normalize_username(username)?;
    let hash = passwords.hash(password)?;
    conn.transaction(|c| {
        let id = users::set_password_hash(c, &username, &hash, now)?
            .ok_or_else(|| ManageError::UserNotFound(username.clone()))?;
        let ended = users::end_sessions_and_grants(c, &id, now)?;
        record(
            c,
            actor,
            "user.password_set",
            &id,
            json!({ "sessions_ended": ended }),
            now,
        )
    })
}

/// Disabling a user also ends their sessions and revokes their refresh tokens, so the
/// change takes effect now rather than when those expire.
pub fn set_user_disabled(
    conn: &mut DbConnection,
    actor: &str,
    username: &str,
    disabled: bool,
    now: UnixTime,
) -> Result<(), ManageError> {
    let username = normalize_username(username)?;
    conn.transaction(|c| {
        let id = users::set_disabled(c, &username, disabled, now)?
            .ok_or_else(|| ManageError::UserNotFound(username.clone()))?;
        let (event, ended) = if disabled {
            (
                "user.disabled",
                users::end_sessions_and_grants(c, &id, now)?,
            )
        } else {
            ("user.enabled", 0)
        };
        record(
            c,
            actor,
            event,
            &id,
            json!({ "sessions_ended": ended }),
            now,
        )
    })
}

pub fn delete_user(
    conn: &mut DbConnection,
    actor: &str,
    username: &str,
    now: UnixTime,
) -> Result<(), ManageError> {
    let username = normalize_username(username)?;
    // End sessions first (back-channel logout); the delete's cascade removes the rest.
    if let Some(u) = users::find_by_username(conn, &username)? {
        users::end_sessions_and_grants(conn, &u.id, now)?;
    }
    conn.transaction(|c| {
        let id = users::delete(c, &username)?
            .ok_or_else(|| ManageError::UserNotFound(username.clone()))?;
        record(c, actor, "user.deleted", &id, serde_json::Value::Null, now)
    })
}

/// An operator's edit of a user: each `Some` replaces that field (`Some(None)` clears
/// an optional one); the username stays, since it is what the person signs in with.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub email: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
    pub roles: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

/// Applies `change` to the user with id `id` if `precondition` holds for the user as
/// stored now (the row is locked first, so nothing changes between the check and the
/// write); validated as at creation; disabling ends the user's sessions as
/// [`set_user_disabled`] does. Audited with the names of the fields changed.
pub fn update_user(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    change: UserChange,
    precondition: &dyn Fn(&User) -> bool,
    now: UnixTime,
) -> Result<User, ManageError> {
    conn.transaction(|c| {
        if !users::lock(c, id)? {
            return Err(ManageError::UserNotFound(id.into()));
        }
        let user = users::find_by_id(c, id)?.ok_or_else(|| ManageError::UserNotFound(id.into()))?;
        if !precondition(&user) {
            return Err(ManageError::PreconditionFailed);
        }
        let mut changed = Vec::new();
        let spec = UserSpec {
            username: user.username.clone(),
            email: match change.email {
                Some(e) => {
                    changed.push("email");
                    e
                }
                None => user.email.clone(),
            },
            display_name: match change.display_name {
                Some(n) => {
                    changed.push("display_name");
                    n
                }
                None => user.display_name.clone(),
            },
            roles: match change.roles {
                Some(r) => {
                    changed.push("roles");
                    r
                }
                None => user.roles.clone(),
            },
        };
        let profile = spec.validate()?;
        users::update_profile(c, id, &profile, now)?;
        let mut sessions_ended = 0;
        if let Some(disabled) = change.disabled.filter(|d| *d != user.disabled) {
            changed.push("disabled");
            users::set_disabled(c, &user.username, disabled, now)?;
            if disabled {
                sessions_ended = users::end_sessions_and_grants(c, id, now)?;
            }
        }
        record(
            c,
            actor,
            "user.updated",
            id,
            json!({ "fields": changed, "roles": profile.roles, "sessions_ended": sessions_ended }),
            now,
        )?;
        users::find_by_id(c, id)?.ok_or_else(|| ManageError::UserNotFound(id.into()))
    })
}
