//! SSO sessions: an opaque 256-bit id (the cookie value, see `http::cookies`), stored
//! only as its SHA-256 with `sid`, `auth_time` and the authentication methods.

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::secret::Secret;
use crate::domain::user::User;
use crate::store::sessions::{self, SessionRow};
use crate::store::users;
use crate::store::{Store, StoreError};

use crate::mfa::level::{self, Factor, Level};

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
    current_by_hash(store, opaque::hash(&value), now).await
}

/// [`current`] by the session's stored hash (what a gateway ticket names).
pub async fn current_by_hash(
    store: &Store,
    hash: Vec<u8>,
    now: UnixTime,
) -> Result<Option<Signed>, StoreError> {
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

/// What we keep of the browser that signs in: its `User-Agent`, at most 512 bytes.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub user_agent: Option<String>,
}

impl Device {
    pub fn from_user_agent(ua: Option<&str>) -> Device {
        let user_agent = ua.map(|ua| {
            let mut end = ua.len().min(512);
            while !ua.is_char_boundary(end) {
                end -= 1;
            }
            ua[..end].to_string()
        });
        Device {
            user_agent: user_agent.filter(|u| !u.is_empty()),
        }
    }
}

/// The upstream provider a session's sign-in came from, and who the person is there.
#[derive(Debug, Clone)]
pub struct Upstreamed {
    pub upstream: String,
    pub sub: String,
    pub sid: Option<String>,
}

/// Starts a session for a user who just signed in with these factors; returns the cookie
/// value.
pub async fn start(
    store: &Store,
    user: &User,
    factors: &[Factor],
    device: &Device,
    upstream: Option<&Upstreamed>,
    now: UnixTime,
    ttl: i64,
) -> Result<(Secret<String>, SessionRow), StoreError> {
    let value = opaque::generate(32);
    let row = SessionRow {
        id_hash: opaque::hash(value.expose()),
        sid: opaque::identifier(),
        user_id: user.id.clone(),
        auth_time: now,
        amr: serde_json::json!(level::amr(factors)).to_string(),
        acr: Some(level::level(factors).as_acr().to_string()),
        created_at: now,
        last_seen_at: now,
        expires_at: now + ttl,
        user_agent: device.user_agent.clone(),
        upstream: upstream.map(|u| u.upstream.clone()),
        upstream_sub: upstream.map(|u| u.sub.clone()),
        upstream_sid: upstream.and_then(|u| u.sid.clone()),
    };
    let insert = row.clone();
    store.run(move |c| sessions::insert(c, &insert)).await?;
    Ok((value, row))
}

/// The factors a session's `amr` stands for (RFC 8176 values we issue), so a step-up can
/// add to them. Unknown values are ignored.
pub fn factors_of(session: &SessionRow) -> Vec<Factor> {
    let amr: Vec<String> = serde_json::from_str(&session.amr).unwrap_or_default();
    let has = |v: &str| amr.iter().any(|a| a == v);
    let mut factors = Vec::new();
    if has("pwd") {
        factors.push(Factor::Password);
    }
    if has("otp") {
        factors.push(Factor::Totp);
    }
    if has("hwk") || has("swk") {
        factors.push(Factor::Passkey {
            user_verified: has("user"),
            synced: has("swk"),
        });
    }
    if has("fed") {
        // `mfa` from the upstream itself, unless our own factors explain it.
        let ours = has("otp") || has("hwk") || has("swk") || has("pwd");
        factors.push(Factor::Federated {
            mfa: has("mfa") && !ours,
        });
    }
    factors
}

/// Step-up (RFC 9470 §4): the same session (same `sid`) now also proven by `added`; its
/// `auth_time` is now, its level and methods are those of all its factors.
pub async fn step_up(
    store: &Store,
    session: &SessionRow,
    added: Factor,
    now: UnixTime,
) -> Result<SessionRow, StoreError> {
    let mut factors = factors_of(session);
    factors.push(added);
    let mut row = session.clone();
    row.auth_time = now;
    row.amr = serde_json::json!(level::amr(&factors)).to_string();
    row.acr = Some(level::level(&factors).as_acr().to_string());
    let updated = row.clone();
    store
        .run(move |c| sessions::update_authentication(c, &updated))
        .await?;
    Ok(row)
}

/// The level a session reached.
pub fn level_of(session: &SessionRow) -> Level {
    Level::of_stored(session.acr.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(amr: &str) -> SessionRow {
        SessionRow {
            id_hash: vec![],
            sid: "s".into(),
            user_id: "u".into(),
            auth_time: 0,
            amr: amr.into(),
            acr: None,
            created_at: 0,
            last_seen_at: 0,
            expires_at: 0,
            user_agent: None,
            upstream: None,
            upstream_sub: None,
            upstream_sid: None,
        }
    }

    #[test]
    fn a_sessions_factors_read_back_from_its_amr() {
        assert_eq!(factors_of(&session(r#"["pwd"]"#)), [Factor::Password]);
        let f = factors_of(&session(r#"["pwd","otp","mfa"]"#));
        assert_eq!(level::level(&f), Level::TWO_FACTORS);
        let f = factors_of(&session(r#"["swk","user","mfa"]"#));
        assert_eq!(level::level(&f), Level::PHISHING_RESISTANT);
        assert_eq!(level::amr(&f), ["swk", "user", "mfa"]);
        assert!(factors_of(&session("not json")).is_empty());
    }
}
