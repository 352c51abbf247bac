//! Cross-site request forgery defence for our own forms (sign-in, consent, sign-out
//! confirmation), in two independent layers (OWASP CSRF cheat sheet):
//! - a token bound to the browser's pre-session: the form carries an HMAC (under a key
//!   derived from the KEK, the same on every instance) of the browser's random CSRF
//!   cookie, so a cookie planted by a sibling domain cannot be paired with a field
//!   without the server's key — a plain double-submit cookie could;
//! - the request's origin: `Origin` must be this server (the issuer's origin or the
//!   request's own host), or, without `Origin`, `Sec-Fetch-Site` must say same-origin.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;
use actix_web::http::header;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use super::cookies::{self, CSRF_COOKIE};
use crate::domain::opaque;
use crate::domain::secret::Secret;

/// The label under which the CSRF key is derived from the KEK.
pub const KEY_LABEL: &str = "portcullis csrf token v1";

/// Why a form POST was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfRefusal {
    /// No CSRF cookie, or the field is not its HMAC.
    Token,
    /// The request came from another site.
    Origin,
}

pub struct CsrfKey(Secret<[u8; 32]>);

impl CsrfKey {
    pub fn new(key: Secret<[u8; 32]>) -> Self {
        Self(key)
    }

    fn mac(&self, cookie_value: &str) -> String {
        let mac = openssl::pkey::PKey::hmac(self.0.expose())
            .and_then(|k| {
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &k)?
                    .sign_oneshot_to_vec(cookie_value.as_bytes())
            })
            .unwrap_or_default();
        URL_SAFE_NO_PAD.encode(mac)
    }

    /// The form field for this browser, and the cookie to set when it had none.
    pub fn token(&self, req: &HttpRequest, issuer: &str) -> (String, Option<Cookie<'static>>) {
        match req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()) {
            Some(v) if v.len() >= 32 => (self.mac(&v), None),
            _ => {
                let v = opaque::generate(32).expose().clone();
                let field = self.mac(&v);
                (field, Some(cookies::csrf_cookie(v, issuer)))
            }
        }
    }

    /// A page with forms: `render` gets the form field, and the answer carries the cookie
    /// when this browser had none.
    pub fn page(
        &self,
        req: &HttpRequest,
        issuer: &str,
        render: impl FnOnce(&str) -> actix_web::HttpResponse,
    ) -> actix_web::HttpResponse {
        let (field, cookie) = self.token(req, issuer);
        let mut res = render(&field);
        if let Some(c) = cookie {
            let _ = res.add_cookie(&c);
        }
        res
    }

    /// Checks a form POST: its origin, then its token.
    pub fn check(
        &self,
        req: &HttpRequest,
        field: Option<&str>,
        issuer: &str,
    ) -> Result<(), CsrfRefusal> {
        if !same_origin(req, issuer) {
            return Err(CsrfRefusal::Origin);
        }
        let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
        match (cookie, field) {
            (Some(c), Some(f)) if c.len() >= 32 && !f.is_empty() => {
                if bool::from(self.mac(&c).as_bytes().ct_eq(f.as_bytes())) {
                    Ok(())
                } else {
                    Err(CsrfRefusal::Token)
                }
            }
            _ => Err(CsrfRefusal::Token),
        }
    }
}

/// `Origin` is the issuer's origin or this request's own host. Our pages send
/// `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` on form POSTs
/// (Fetch §3.1): then, as without `Origin`, `Sec-Fetch-Site` (when sent) must be
/// `same-origin` or `none` (typed by the user).
fn same_origin(req: &HttpRequest, issuer: &str) -> bool {
    let text = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    match text(header::ORIGIN).filter(|o| o != "null") {
        Some(origin) => {
            let issuer_origin = url::Url::parse(issuer)
                .map(|u| u.origin().ascii_serialization())
                .ok();
            if issuer_origin.as_deref() == Some(origin.as_str()) {
                return true;
            }
            let authority = url::Url::parse(&origin)
                .ok()
                .filter(|u| u.scheme() == "http" || u.scheme() == "https")
                .and_then(|u| {
                    u.host_str().map(|h| match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_string(),
                    })
                });
            authority.is_some() && authority == text(header::HOST)
        }
        None => match text(header::HeaderName::from_static("sec-fetch-site")) {
            Some(site) => site == "same-origin" || site == "none",
            None => true,
        },
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    const ISSUER: &str = "https://id.example";

    fn key() -> CsrfKey {
        CsrfKey::new(Secret::new([7u8; 32]))
    }

    fn cookie() -> String {
        "c".repeat(43)
    }

    #[test]
    fn the_field_is_the_hmac_of_the_cookie_not_the_cookie() {
        let req = TestRequest::post()
            .cookie(Cookie::new(CSRF_COOKIE, cookie()))
            .to_http_request();
        let (field, set) = key().token(&req, ISSUER);
        assert!(set.is_none());
        assert_ne!(field, cookie());
        assert_eq!(key().check(&req, Some(&field), ISSUER), Ok(()));
        assert_eq!(
            key().check(&req, Some(&cookie()), ISSUER),
            Err(CsrfRefusal::Token),
            "a plain double-submit pair is refused"
        );
        let other = CsrfKey::new(Secret::new([8u8; 32]));
        assert_eq!(
            other.check(&req, Some(&field), ISSUER),
            Err(CsrfRefusal::Token)
        );
    }

    #[test]
    fn a_post_from_another_origin_is_refused() {
        let valid = |origin: Option<&str>, site: Option<&str>| {
            let mut r = TestRequest::post()
                .insert_header((header::HOST, "id.example"))
                .cookie(Cookie::new(CSRF_COOKIE, cookie()));
            if let Some(o) = origin {
                r = r.insert_header((header::ORIGIN, o));
            }
            if let Some(s) = site {
                r = r.insert_header(("sec-fetch-site", s));
            }
            let req = r.to_http_request();
            let (field, _) = key().token(&req, ISSUER);
            key().check(&req, Some(&field), ISSUER)
        };
        assert_eq!(valid(Some("https://id.example"), None), Ok(()));
        assert_eq!(valid(Some("http://id.example"), None), Ok(()), "same host");
        assert_eq!(valid(None, Some("same-origin")), Ok(()));
        assert_eq!(valid(None, None), Ok(()), "old browsers: the token decides");
        assert_eq!(
            valid(Some("https://evil.example"), None),
            Err(CsrfRefusal::Origin)
        );
        assert_eq!(
            valid(Some("null"), Some("same-origin")),
            Ok(()),
            "no-referrer pages"
        );
        assert_eq!(
            valid(Some("null"), Some("cross-site")),
            Err(CsrfRefusal::Origin)
        );
        assert_eq!(valid(None, Some("cross-site")), Err(CsrfRefusal::Origin));
        assert_eq!(valid(None, Some("same-site")), Err(CsrfRefusal::Origin));
    }
}
