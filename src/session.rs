//! SSO sessions: an opaque 256-bit id in an `HttpOnly`, `SameSite=Lax` cookie (`Secure`
//! under an https issuer), stored only as its SHA-256 with `sid`, `auth_time` and the
//! authentication methods.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::secret::Secret;
use crate::store::sessions::{self, SessionRow};
use crate::store::users::{self, User};
use crate::store::{Store, StoreError};

pub const SESSION_COOKIE: &str = "portcullis_session";
/// Double-submit CSRF cookie for the login and consent forms.
pub const CSRF_COOKIE: &str = "portcullis_csrf";
/// Authentication Method Reference for a password (RFC 8176).
pub const AMR_PASSWORD: &str = "pwd";
/// The assurance level of a password sign-in, as advertised in `acr_values_supported`.
pub const ACR_PASSWORD: &str = "1";

#[derive(Debug, Clone)]
pub struct Signed {
    pub session: SessionRow,
    pub user: User,
}

fn cookie<'a>(
    name: &'a str,
    value: String,
    secure: bool,
    max_age: i64,
    same_site: SameSite,
) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .max_age(CookieDuration::seconds(max_age))
        .finish()
}

pub fn is_secure(issuer: &str) -> bool {
    issuer.starts_with("https://")
}

pub fn session_cookie(value: &Secret<String>, issuer: &str, ttl: i64) -> Cookie<'static> {
    cookie(
        SESSION_COOKIE,
        value.expose().clone(),
        is_secure(issuer),
        ttl,
        SameSite::Lax,
    )
}

pub fn clear_session_cookie(issuer: &str) -> Cookie<'static> {
    cookie(
        SESSION_COOKIE,
        String::new(),
        is_secure(issuer),
        0,
        SameSite::Lax,
    )
}

/// The CSRF token of this browser, and the cookie to set when it had none.
pub fn csrf_token(req: &HttpRequest, issuer: &str) -> (String, Option<Cookie<'static>>) {
    match req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()) {
        Some(v) if v.len() >= 32 => (v, None),
        _ => {
            let v = opaque::generate(32).expose().clone();
            let c = cookie(
                CSRF_COOKIE,
                v.clone(),
                is_secure(issuer),
                86_400,
                SameSite::Strict,
            );
            (v, Some(c))
        }
    }
}

/// A form's CSRF field must equal this browser's CSRF cookie (compared in constant time).
pub fn csrf_ok(req: &HttpRequest, field: Option<&str>) -> bool {
    match (req.cookie(CSRF_COOKIE), field) {
        (Some(c), Some(f)) if c.value().len() >= 32 => opaque::matches(f, &opaque::hash(c.value())),
        _ => false,
    }
}

/// The live session of this browser and its (enabled) user.
pub async fn current(
    req: &HttpRequest,
    store: &Store,
    now: UnixTime,
) -> Result<Option<Signed>, StoreError> {
    let Some(value) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    if value.is_empty() {
        return Ok(None);
    }
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

/// Ends the browser's current session (if any) server-side.
pub async fn end(req: &HttpRequest, store: &Store) -> Result<(), StoreError> {
    if let Some(value) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) {
        let hash = opaque::hash(&value);
        store
            .run(move |c| sessions::delete(c, &hash).map(|_| ()))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure_under_https() {
        let v = Secret::new("value".to_string());
        let https = session_cookie(&v, "https://id.example.com", 60);
        assert_eq!(https.http_only(), Some(true));
        assert_eq!(https.same_site(), Some(SameSite::Lax));
        assert_eq!(https.secure(), Some(true));
        assert_eq!(https.path(), Some("/"));
        let http = session_cookie(&v, "http://127.0.0.1:8080", 60);
        assert_eq!(http.secure(), Some(false));
    }
}
