//! The demo single-page app of `portcullis serve --demo` (and only then): `/demo` starts
//! an authorization code flow with PKCE from the browser, `/demo/callback` (the demo SPA
//! client's redirect URI) redeems the code and shows the ID token and access token
//! decoded, the UserInfo answer, and buttons to refresh, read UserInfo again and sign out
//! (RP-initiated logout) — the protocol end to end in one tab. Our own script, allowed by
//! its hash; it may call only this origin.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;

use super::error::no_store_page as no_store;
use super::pages;
use crate::cli::demo::{SPA_CALLBACK_PATH, SPA_CLIENT_ID, SPA_START_PATH};
use crate::state::AppState;

pub const DEMO_SCRIPT: &str = include_str!("../../templates/demo.js");

#[derive(Template)]
#[template(path = "demo.html")]
struct DemoPage<'a> {
    /// In English: a developer's tool.
    ui: super::pages::Ui,
    start: bool,
    /// JSON for the script: the client, its redirect URIs, the scope.
    config: &'a str,
    script: &'static str,
}

fn page(state: &AppState, start: bool) -> HttpResponse {
    let issuer = state.issuer();
    let config = serde_json::json!({
        "client_id": SPA_CLIENT_ID,
        "redirect_uri": format!("{issuer}{SPA_CALLBACK_PATH}"),
        "post_logout_redirect_uri": format!("{issuer}{SPA_START_PATH}"),
        "scope": "openid profile email offline_access",
    })
    .to_string()
    // Inside <script>: no `</script>` can appear.
    .replace('<', "\\u003c");
    let mut res = pages::render(
        StatusCode::OK,
        &DemoPage {
            ui: crate::http::pages::Ui::plain(state.look.clone()).english(),
            start,
            config: &config,
            script: DEMO_SCRIPT,
        },
    );
    allow_demo_script(&mut res);
    no_store(res)
}

/// The page's CSP: the default one, plus this script by hash and calls to this origin
/// (`/token`, `/userinfo`).
fn allow_demo_script(res: &mut HttpResponse) {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(DEMO_SCRIPT.as_bytes()));
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; script-src 'sha256-{hash}'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// GET /demo
pub async fn demo_start_handler(state: web::Data<AppState>) -> HttpResponse {
    page(&state, true)
}

/// GET /demo/callback
pub async fn demo_callback_handler(state: web::Data<AppState>) -> HttpResponse {
    page(&state, false)
}
