//! Security headers on every response (RFC 9700 §4.16 clickjacking, §4.2.4 referrer
//! leakage). Responses that may be cached say so themselves. No `form-action` here:
//! browsers apply it to the redirect that follows a form POST, and the sign-in form's
//! redirect goes to the client; the form_post page sets its own, narrower, policy.

use actix_web::middleware::DefaultHeaders;

/// `style-src 'self'` lets `branding.css` load; `img-src` adds a logo URL's origin.
/// Under an https issuer browsers are also told to use https only (RFC 6797), for a
/// year; a loopback development issuer on plain http gets no HSTS.
pub fn security_headers(issuer: &str, look: &super::look::Look) -> DefaultHeaders {
    let headers = DefaultHeaders::new();
    let headers = if issuer.starts_with("https://") {
        headers.add(("Strict-Transport-Security", "max-age=31536000"))
    } else {
        headers
    };
    headers
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            format!(
                "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src {}; frame-ancestors 'none'; base-uri 'none'",
                look.img_src()
            ),
        ))
        .add(("Referrer-Policy", "no-referrer"))
}
