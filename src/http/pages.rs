//! Server-rendered pages. A render failure is an error response, never a panic.
//!
//! Every page a person sees carries a [`Ui`] (its language and the organisation's look)
//! and is a [`Page`]: rendered from our compiled template, or from the operator's own
//! (`templates.directory`) when there is one of the same name.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use serde::Serialize;

pub use super::ui::Ui;

/// A page an operator may replace: its template's file name, and its fields (serialized
/// for the operator's template).
pub trait Page: Template + Serialize {
    const NAME: &'static str;
    fn ui(&self) -> &Ui;
}

/// Implements [`Page`] for page structs with a `ui: &Ui` field.
macro_rules! page {
    ($($ty:ident => $name:literal),* $(,)?) => {$(
        impl $crate::http::pages::Page for $ty<'_> {
            const NAME: &'static str = $name;
            fn ui(&self) -> &$crate::http::pages::Ui {
                self.ui
            }
        }
    )*};
}
pub(crate) use page;

#[derive(Template, Serialize)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub title: &'a str,
    pub message: &'a str,
}

/// Renders a compiled page with the given status, as `text/html` (the admin console and
/// the demo, which operators do not replace).
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    respond(status, page.render().map_err(|e| e.to_string()))
}

/// Renders a page a person sees: the operator's template for it if there is one, ours
/// otherwise.
pub fn show<P: Page>(status: StatusCode, page: &P) -> HttpResponse {
    let ui = page.ui();
    let body = match ui.look.overrides.as_ref().filter(|o| o.has(P::NAME)) {
        Some(o) => o
            .render(P::NAME, page, ui)
            .map_err(|e| format!("{}: {e:#}", P::NAME)),
        None => page.render().map_err(|e| e.to_string()),
    };
    respond(status, body)
}

fn respond(status: StatusCode, body: Result<String, String>) -> HttpResponse {
    match body {
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

/// Our error page; `title` and `message` are already in the page's language.
pub fn error_page(ui: &Ui, status: StatusCode, title: &str, message: &str) -> HttpResponse {
    show(status, &ErrorPage { ui, title, message })
}

/// The answer for any path we do not serve.
pub async fn not_found_handler(ui: Ui) -> HttpResponse {
    not_found_for(&ui)
}

pub fn not_found_for(ui: &Ui) -> HttpResponse {
    error_page(
        ui,
        StatusCode::NOT_FOUND,
        &ui.t("error-not-found-title"),
        &ui.t("error-not-found"),
    )
}

#[derive(Template, Serialize)]
#[template(path = "login.html")]
/// The sign-in form, of an authorization request (`/login`, carrying its `params`) or
/// standalone (`/signin`, carrying `rd`).
pub struct LoginPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
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
    /// "Create one", when self-service sign-up is on.
    pub signup: bool,
    /// "Sign in with …", one per upstream provider.
    pub upstreams: Vec<UpstreamButton>,
}

/// A sign-in page's button for an upstream provider: it starts there, carrying what the
/// sign-in continues with.
#[derive(Serialize)]
pub struct UpstreamButton {
    pub name: String,
    pub href: String,
}

/// The buttons for `state`'s upstreams, carrying `carry_name=carry_value`.
pub fn upstream_buttons(
    state: &crate::state::AppState,
    carry_name: &str,
    carry_value: &str,
) -> Vec<UpstreamButton> {
    let carry = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(carry_name, carry_value)
        .finish();
    state
        .upstreams
        .names()
        .iter()
        .map(|name| UpstreamButton {
            href: format!("/upstream/{name}/start?{carry}"),
            name: name.clone(),
        })
        .collect()
}

/// The one script of our pages, for the WebAuthn ceremony only: it reads the options
/// from a JSON block, calls `navigator.credentials`, and submits the answer with the form.
/// Every other step works without JavaScript. Allowed by its hash (see
/// [`allow_webauthn_script`]).
pub const WEBAUTHN_SCRIPT: &str = include_str!("../../templates/webauthn.js");

/// The WebAuthn part of a form: where it posts, the options (JSON, safe inside a
/// `<script type="application/json">` block) and the sealed ceremony state.
#[derive(Serialize)]
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
pub fn allow_webauthn_script(ui: &Ui, res: &mut HttpResponse) {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(WEBAUTHN_SCRIPT.as_bytes()));
    let csp = format!(
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src {}; script-src 'sha256-{hash}'; frame-ancestors 'none'; base-uri 'none'",
        ui.look.img_src()
    );
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&csp) {
        res.headers_mut()
            .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[derive(Template, Serialize)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub client_name: &'a str,
    /// The redirect host of a client that registered itself (its name is its own word).
    pub self_registered_host: Option<String>,
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
pub fn describe_scope(ui: &Ui, scope: &str) -> String {
    match scope {
        "openid" => ui.t("scope-openid"),
        "profile" => ui.t("scope-profile"),
        "email" => ui.t("scope-email"),
        "address" => ui.t("scope-address"),
        "phone" => ui.t("scope-phone"),
        "offline_access" => ui.t("scope-offline-access"),
        other => ui.t1("scope-other", "name", other),
    }
}

#[derive(Template, Serialize)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub username: &'a str,
    pub csrf: &'a str,
}

#[derive(Template, Serialize)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    /// Where a self-registered client asked to send the person, shown as a link.
    pub continue_to: Option<String>,
    pub continue_host: Option<String>,
}

#[derive(Template, Serialize)]
#[template(path = "second_factor.html")]
/// The second step of a sign-in, or a step-up: the factors that can reach the level.
pub struct SecondFactorPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
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

#[derive(Template, Serialize)]
#[template(path = "totp_enrol.html")]
/// Enrolling an authenticator app: the QR code and the key, and the first code.
pub struct TotpEnrolPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    /// Shown during a sign-in under `mfa.policy = required`.
    pub required: bool,
    pub qr_svg: &'a str,
    pub secret: &'a str,
    pub error: Option<&'a str>,
    pub action: &'a str,
    pub carry: Option<(&'a str, &'a str)>,
    pub csrf: &'a str,
}

#[derive(Template, Serialize)]
#[template(path = "recovery_codes.html")]
/// New recovery codes, shown once.
pub struct RecoveryCodesPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub codes: Vec<&'a str>,
    pub next: &'a str,
    pub next_label: &'a str,
}

#[derive(Template, Serialize)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
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
    /// The upstream identities this account signs in with.
    pub links: Vec<LinkItem>,
}

/// A linked identity on the account page.
#[derive(Serialize)]
pub struct LinkItem {
    pub upstream: String,
    pub since: String,
    pub last_used: String,
}

/// A session on the account page.
#[derive(Serialize)]
pub struct SessionItem {
    pub sid: String,
    /// "Firefox on Linux", from the sign-in's user agent.
    pub device: String,
    pub signed_in: String,
    pub last_seen: String,
    pub methods: String,
    pub current: bool,
}

/// An app the person consented to, on the account page.
#[derive(Serialize)]
pub struct AppItem {
    pub client_id: String,
    pub name: String,
    pub scopes: String,
    pub granted: String,
}

/// A passkey on the account page.
#[derive(Serialize)]
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

#[derive(Template, Serialize)]
#[template(path = "device_entry.html")]
pub struct DeviceEntryPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub username: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template, Serialize)]
#[template(path = "device_confirm.html")]
pub struct DeviceConfirmPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub username: &'a str,
    pub client_name: &'a str,
    /// Set when the client registered itself: its redirect host, or empty when it has none.
    pub self_registered_host: Option<String>,
    pub scopes: Vec<String>,
    pub user_code: &'a str,
    pub csrf: &'a str,
}

#[derive(Template, Serialize)]
#[template(path = "device_done.html")]
pub struct DeviceDonePage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub title: &'a str,
    pub message: &'a str,
}

page!(
    ErrorPage => "error.html",
    LoginPage => "login.html",
    ConsentPage => "consent.html",
    LogoutConfirmPage => "logout_confirm.html",
    LoggedOutPage => "logged_out.html",
    SecondFactorPage => "second_factor.html",
    TotpEnrolPage => "totp_enrol.html",
    RecoveryCodesPage => "recovery_codes.html",
    AccountPage => "account.html",
    DeviceEntryPage => "device_entry.html",
    DeviceConfirmPage => "device_confirm.html",
    DeviceDonePage => "device_done.html",
);
