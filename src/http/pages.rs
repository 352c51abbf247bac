//! Server-rendered pages. A render failure is an error response, never a panic.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

/// Renders a page with the given status, as `text/html`.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Internal server error")
        }
    }
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    render(status, &ErrorPage { title, message })
}

/// The answer for any path we do not serve.
pub async fn not_found_handler() -> HttpResponse {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
    )
}

#[derive(Template)]
#[template(path = "login.html")]
/// The sign-in form, of an authorization request (`/login`, carrying its `params`) or
/// standalone (`/signin`, carrying `rd`).
pub struct LoginPage<'a> {
    /// What the user signs in to: the client's name, or the host they return to.
    pub destination: &'a str,
    pub action: &'a str,
    pub carry_name: &'a str,
    pub carry_value: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    /// "Sign in with a passkey", when passkeys are available.
    pub passkey: Option<PasskeyForm>,
    pub script: &'static str,
}

/// The one script of our pages, for the WebAuthn ceremony only: it reads the options
/// from a JSON block, calls `navigator.credentials`, and submits the answer with the form.
/// Every other step works without JavaScript. Allowed by its hash (see
/// [`allow_webauthn_script`]).
pub const WEBAUTHN_SCRIPT: &str = include_str!("../../templates/webauthn.js");

/// The WebAuthn part of a form: where it posts, the options (JSON, safe inside a
/// `<script type="application/json">` block) and the sealed ceremony state.
pub struct PasskeyForm {
    pub action: &'static str,
    pub options: String,
    pub state: String,
}

impl PasskeyForm {
    pub fn new(action: &'static str, ceremony: crate::session::passkeys::Ceremony) -> Self {
        // `<`, `>` and `&` escaped inside the JSON strings: nothing in it can close the
        // script block (a display name of `</script>` stays text).
        let options = ceremony
            .options
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        Self {
            action,
            options,
            state: ceremony.state,
        }
    }
}

/// The pages' policy with the WebAuthn script allowed by its hash (CSP Level 3).
pub fn allow_webauthn_script(res: &mut HttpResponse) {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(WEBAUTHN_SCRIPT.as_bytes()));
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; script-src 'sha256-{hash}'; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&csp) {
        res.headers_mut()
            .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub client_name: &'a str,
    pub scopes: Vec<String>,
    pub username: &'a str,
    pub params: &'a str,
    pub csrf: &'a str,
}

/// The one inline script we serve: it submits the form_post response. Its hash is the
/// only script the page's CSP allows.
pub const FORM_POST_SCRIPT: &str = "document.forms[0].submit();";

#[derive(Template)]
#[template(path = "form_post.html")]
pub struct FormPostPage<'a> {
    pub action: &'a str,
    pub fields: &'a [(String, String)],
    pub script: &'static str,
}

/// Plain words for each scope on the consent page.
pub fn describe_scope(scope: &str) -> String {
    match scope {
        "openid" => "Know who you are (your account identifier)".into(),
        "profile" => "See your name and username".into(),
        "email" => "See your email address".into(),
        "address" => "See your postal address".into(),
        "phone" => "See your phone number".into(),
        "offline_access" => "Stay signed in to it while you are away".into(),
        other => format!("Use the permission “{other}”"),
    }
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage<'a> {
    pub username: &'a str,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage;

#[derive(Template)]
#[template(path = "second_factor.html")]
/// The second step of a sign-in, or a step-up: the factors that can reach the level.
pub struct SecondFactorPage<'a> {
    pub username: &'a str,
    pub destination: &'a str,
    pub stepping_up: bool,
    pub error: Option<&'a str>,
    pub totp: bool,
    pub recovery: bool,
    pub passkey: Option<PasskeyForm>,
    pub script: &'static str,
    pub action: &'a str,
    pub carry_name: &'a str,
    pub carry_value: &'a str,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
/// Enrolling an authenticator app: the QR code and the key, and the first code.
pub struct TotpEnrolPage<'a> {
    /// Shown during a sign-in under `mfa.policy = required`.
    pub required: bool,
    pub qr_svg: &'a str,
    pub secret: &'a str,
    pub error: Option<&'a str>,
    pub action: &'a str,
    pub carry: Option<(&'a str, &'a str)>,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
/// New recovery codes, shown once.
pub struct RecoveryCodesPage<'a> {
    pub codes: Vec<&'a str>,
    pub next: &'a str,
    pub next_label: &'a str,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub email_verified: bool,
    pub notice: Option<&'a str>,
    pub totp: bool,
    pub recovery_left: i64,
    pub passkeys: Vec<PasskeyItem>,
    pub new_passkey: Option<PasskeyForm>,
    pub script: &'static str,
    pub csrf: &'a str,
    /// Where the person is signed in, this browser first.
    pub sessions: Vec<SessionItem>,
    /// The apps they let in (their consents).
    pub apps: Vec<AppItem>,
    /// Why the password change was refused.
    pub password_error: Option<&'a str>,
}

/// A session on the account page.
pub struct SessionItem {
    pub sid: String,
    pub signed_in: String,
    pub last_seen: String,
    pub methods: String,
    pub current: bool,
}

/// An app the person consented to, on the account page.
pub struct AppItem {
    pub client_id: String,
    pub name: String,
    pub scopes: String,
    pub granted: String,
}

/// A passkey on the account page.
pub struct PasskeyItem {
    pub id: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::passkeys::Ceremony;

    #[test]
    fn passkey_options_cannot_close_their_script_block() {
        let form = PasskeyForm::new(
            "/login/passkey",
            Ceremony {
                options: r#"{"name":"</script><script>alert(1)</script>&"}"#.into(),
                state: "s".into(),
            },
        );
        assert!(!form.options.contains('<') && !form.options.contains('>'));
        let back: serde_json::Value = serde_json::from_str(&form.options).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script>&");
    }
}

#[derive(Template)]
#[template(path = "device_entry.html")]
pub struct DeviceEntryPage<'a> {
    pub username: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "device_confirm.html")]
pub struct DeviceConfirmPage<'a> {
    pub username: &'a str,
    pub client_name: &'a str,
    pub scopes: Vec<String>,
    pub user_code: &'a str,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "device_done.html")]
pub struct DeviceDonePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}
