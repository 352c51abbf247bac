//! SSO sessions: an opaque 256-bit id (the cookie value, see `http::cookies`), stored
//! only as its SHA-256 with `sid`, `auth_time` and the authentication methods.

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::secret::Secret;
use crate::domain::user::User;
use crate::store::sessions::{self, SessionRow};
use crate::store::users;
use crate::store::{Store, StoreError};

/// Authentication Method Reference for a password (RFC 8176).
pub const AMR_PASSWORD: &str = "pwd";
/// The assurance level of a password sign-in, as advertised in `acr_values_supported`.
pub const ACR_PASSWORD: &str = "1";

/// A live session and its (enabled) user.
#[derive(Debug, Clone)]
pub struct Signed {
    pub session: SessionRow,
    pub user: User,
}

/// The live session behind a cookie value, and its (enabled) user.
pub async fn current(
    store: &Store,
    cookie_value: Option<String>,
    now: UnixTime,
) -> Result<Option<Signed>, StoreError> {
    let Some(value) = cookie_value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let hash = opaque::hash(&value);
    store
        .run(move |c| {
            let Some(session) = sessions::find_live(c, &hash, now)? else {
                return Ok(None);
            };
            let user = users::find_by_id(c, &session.user_id)?;
            Ok::<_, StoreError>(
                user.filter(|u| !u.disabled)
                    .map(|user| Signed { session, user }),
            )
        })
        .await
}

/// Starts a session for a user who just signed in; returns the cookie value.
pub async fn start(
    store: &Store,
    user: &User,
    now: UnixTime,
    ttl: i64,
) -> Result<(Secret<String>, SessionRow), StoreError> {
    let value = opaque::generate(32);
    let row = SessionRow {
        id_hash: opaque::hash(value.expose()),
        sid: opaque::identifier(),
        user_id: user.id.clone(),
        auth_time: now,
        amr: serde_json::json!([AMR_PASSWORD]).to_string(),
        acr: Some(ACR_PASSWORD.to_string()),
        created_at: now,
        last_seen_at: now,
        expires_at: now + ttl,
    };
    let insert = row.clone();
    store.run(move |c| sessions::insert(c, &insert)).await?;
    Ok((value, row))
}
