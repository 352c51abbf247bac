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
    pub notice: Option<&'a str>,
    pub totp: bool,
    pub recovery_left: i64,
    pub csrf: &'a str,
}
