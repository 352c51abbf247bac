//! The cookies of our pages: the SSO session (`HttpOnly`, `SameSite=Lax`, `Secure` under
//! an https issuer) and the double-submit CSRF token of the sign-in, consent and logout
//! forms (`SameSite=Strict`).

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use crate::domain::secret::Secret;

pub const SESSION_COOKIE: &str = "portcullis_session";
/// The gateway's ticket in session mode (`gateway_cookie`).
pub const GATEWAY_COOKIE: &str = "portcullis_gateway";
/// A sign-in past its password, waiting for the second factor (`store::mfa`): `SameSite=
/// Strict`, never sent to other hosts, gone after `session::login::PENDING_TTL_SECS`.
pub const PENDING_COOKIE: &str = "portcullis_pending";
/// Double-submit CSRF cookie for the login, consent and logout forms.
pub const CSRF_COOKIE: &str = "portcullis_csrf";

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

/// The browser's session cookie value, if it sent a non-empty one.
pub fn session_value(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The SSO cookie: host-only on the issuer's host, always (hardening round 2, finding 6).
/// It opens `/account` and `/admin`; sibling hosts get the gateway's ticket instead.
pub fn session_cookie(value: &Secret<String>, issuer: &str, ttl: i64) -> Cookie<'static> {
    cookie(
        SESSION_COOKIE,
        value.expose().clone(),
        is_secure(issuer),
        ttl,
        SameSite::Lax,
    )
}

/// Removes the SSO cookie.
pub fn clear_session_cookie(issuer: &str) -> Cookie<'static> {
    cookie(
        SESSION_COOKIE,
        String::new(),
        is_secure(issuer),
        0,
        SameSite::Lax,
    )
}

/// The gateway's cookie in session mode: a ticket (`forward_auth::ticket`) for every host
/// below `domain` (`forward_auth.session_cookie_domain`), accepted only by
/// `/forward-auth` and `/ext-authz`.
pub fn gateway_cookie(ticket: String, issuer: &str, ttl: i64, domain: &str) -> Cookie<'static> {
    let mut c = cookie(
        GATEWAY_COOKIE,
        ticket,
        is_secure(issuer),
        ttl,
        SameSite::Lax,
    );
    c.set_domain(domain.trim_start_matches('.').to_string());
    c
}

/// Removes the gateway's cookie (with the `Domain` it was set with).
pub fn clear_gateway_cookie(issuer: &str, domain: &str) -> Cookie<'static> {
    gateway_cookie(String::new(), issuer, 0, domain)
}

/// The gateway ticket the browser sent, if any.
pub fn gateway_value(req: &HttpRequest) -> Option<String> {
    req.cookie(GATEWAY_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The pending sign-in's cookie value, if any.
pub fn pending_value(req: &HttpRequest) -> Option<String> {
    req.cookie(PENDING_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

pub fn pending_cookie(value: &Secret<String>, issuer: &str) -> Cookie<'static> {
    cookie(
        PENDING_COOKIE,
        value.expose().clone(),
        is_secure(issuer),
        crate::session::login::PENDING_TTL_SECS,
        SameSite::Strict,
    )
}

pub fn clear_pending_cookie(issuer: &str) -> Cookie<'static> {
    cookie(
        PENDING_COOKIE,
        String::new(),
        is_secure(issuer),
        0,
        SameSite::Strict,
    )
}

/// The browser's random CSRF cookie (`SameSite=Strict`); forms carry its HMAC
/// (`http::csrf`).
pub fn csrf_cookie(value: String, issuer: &str) -> Cookie<'static> {
    cookie(
        CSRF_COOKIE,
        value,
        is_secure(issuer),
        86_400,
        SameSite::Strict,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_host_only_and_the_gateway_ticket_covers_the_domain() {
        let v = Secret::new("value".to_string());
        let issuer = "https://id.example.com";
        assert_eq!(session_cookie(&v, issuer, 60).domain(), None);
        assert_eq!(clear_session_cookie(issuer).domain(), None);
        let g = gateway_cookie("t".into(), issuer, 60, ".example.com");
        assert_eq!(
            (g.name(), g.domain()),
            (GATEWAY_COOKIE, Some("example.com"))
        );
        assert_eq!(
            clear_gateway_cookie(issuer, ".example.com").domain(),
            Some("example.com")
        );
    }

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
