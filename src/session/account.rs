//! What a signed-in person may do about their own account (`/account`): end one of their
//! sessions or all the others, take back an app's access (its consent and refresh
//! tokens), and change their password (other sessions end). Each change and its audit
//! entry in one transaction; the actor is `user:<id>`.

use diesel::Connection;
use serde_json::json;

use crate::clock::UnixTime;
use crate::store::audit::{self, AuditEvent};
use crate::store::{
    DbConnection, StoreError, consents, refresh_tokens, session_end, sessions, users,
};

fn record(
    c: &mut DbConnection,
    event: &str,
    user_id: &str,
    client_id: Option<&str>,
    details: serde_json::Value,
    now: UnixTime,
) -> Result<(), StoreError> {
    let actor = format!("user:{user_id}");
    audit::record(
        c,
        &AuditEvent {
            event,
            actor: &actor,
            user_id: Some(user_id),
            client_id,
            details,
            ..Default::default()
        },
        now,
    )
}

/// Ends session `sid` if it is the user's own; whether it was.
pub fn end_own_session(
    conn: &mut DbConnection,
    user_id: &str,
    sid: &str,
    now: UnixTime,
    block_until: UnixTime,
) -> Result<bool, StoreError> {
    conn.transaction(|c| {
        let Some(s) = sessions::find_by_sid(c, sid)? else {
            return Ok(false);
        };
        if s.user_id != user_id {
            return Ok(false);
        }
        session_end::end_session(c, sid, now, block_until)?;
        record(
            c,
            "session.signed_out",
            user_id,
            None,
            json!({ "sid": sid }),
            now,
        )?;
        Ok(true)
    })
}

/// Ends every session of the user but `keep` (the one asking); how many.
pub fn end_other_sessions(
    conn: &mut DbConnection,
    user_id: &str,
    keep: &str,
    now: UnixTime,
    block_until: UnixTime,
) -> Result<usize, StoreError> {
    conn.transaction(|c| {
        let mut ended = 0;
        for s in sessions::list_for_user(c, user_id)? {
            if s.sid != keep {
                session_end::end_session(c, &s.sid, now, block_until)?;
                ended += 1;
            }
        }
        record(
            c,
            "session.signed_out_others",
            user_id,
            None,
            json!({ "sessions_ended": ended }),
            now,
        )?;
        Ok(ended)
    })
}

/// Takes back an app's access: forgets the consent (the next sign-in there asks again)
/// and revokes the user's refresh tokens at that client (and the access tokens they
/// minted). Whether there was a consent.
pub fn revoke_consent(
    conn: &mut DbConnection,
    user_id: &str,
    client_id: &str,
    now: UnixTime,
) -> Result<bool, StoreError> {
    conn.transaction(|c| {
        let had = consents::delete(c, user_id, client_id)?;
        let revoked = refresh_tokens::revoke_user_client(c, user_id, client_id, now)?;
        if had || revoked > 0 {
            record(
                c,
                "consent.revoked",
                user_id,
                Some(client_id),
                json!({ "refresh_tokens_revoked": revoked }),
                now,
            )?;
        }
        Ok(had || revoked > 0)
    })
}

/// Stores a new password hash (checked against the current password and the policy by
/// the caller) and ends every other session, so whoever else was signed in — perhaps
/// with the old password — is out. Returns how many sessions ended.
pub fn change_password(
    conn: &mut DbConnection,
    user_id: &str,
    new_hash: &str,
    keep: &str,
    now: UnixTime,
    block_until: UnixTime,
) -> Result<usize, StoreError> {
    conn.transaction(|c| {
        let Some(user) = users::find_by_id(c, user_id)? else {
            return Ok(0);
        };
        users::set_password_hash(c, &user.username, new_hash, now)?;
        let mut ended = 0;
        for s in sessions::list_for_user(c, user_id)? {
            if s.sid != keep {
                session_end::end_session(c, &s.sid, now, block_until)?;
                ended += 1;
            }
        }
        record(
            c,
            "user.password_changed",
            user_id,
            None,
            json!({ "sessions_ended": ended }),
            now,
        )?;
        Ok(ended)
    })
}

/// Sets the person's own display name (checked as an operator's would be; empty clears
/// it). The outer error is the database's, the inner one the refusal to show.
pub fn set_display_name(
    conn: &mut DbConnection,
    user_id: &str,
    display_name: Option<String>,
    now: UnixTime,
) -> Result<Result<(), crate::domain::user::UserError>, StoreError> {
    conn.transaction(|c| {
        let Some(user) = users::find_by_id(c, user_id)? else {
            return Ok(Ok(()));
        };
        let spec = crate::domain::user::UserSpec {
            username: user.username.clone(),
            email: user.email.clone(),
            display_name,
            roles: user.roles.clone(),
        };
        let profile = match spec.validate() {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        users::update_profile(c, user_id, &profile, now)?;
        record(
            c,
            "user.profile_changed",
            user_id,
            None,
            json!({ "fields": ["display_name"] }),
            now,
        )?;
        Ok(Ok(()))
    })
}
