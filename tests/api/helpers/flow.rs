//! The browser-less authorization-code flow: authorize → sign in → consent → code → token,
//! against an app on a manual clock with the clients and the user most flow tests share.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::clock::ManualClock;
use sha2::{Digest, Sha256};

use super::app::{Response, TestApp, spawn_app_with};
use super::browser::Browser;
use super::clients::Client;
use super::db::TestDb;
use super::users::{PASSWORD, User};

/// When the manual clock of a flow app starts.
pub const T0: i64 = 1_900_000_000;
pub const SPA_CB: &str = "https://spa.example/cb";
pub const WEB_CB: &str = "https://web.example/cb?tenant=1";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough";

/// The S256 code challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A form-url-encoded query string.
pub fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `/authorize?…` with exactly these parameters.
pub fn authorize_path(pairs: &[(&str, &str)]) -> String {
    format!("/authorize?{}", query(pairs))
}

/// A code request with PKCE (S256 over [`VERIFIER`]) and state `s`.
pub fn pkce_request(client_id: &str, redirect_uri: &str, scope: &str) -> String {
    let ch = challenge(VERIFIER);
    authorize_path(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("state", "s"),
        ("code_challenge", &ch),
        ("code_challenge_method", "S256"),
    ])
}

/// An app on a manual clock at [`T0`] with three clients — `spa` (public, PKCE, refresh),
/// `web` (confidential, two redirect URIs, the first with a query), `first` (first party,
/// no consent) — and the user alice (admin) with [`PASSWORD`].
pub struct FlowApp {
    pub app: TestApp,
    pub clock: ManualClock,
    pub web: Client,
    pub alice: User,
}

pub async fn spawn_flow_app() -> FlowApp {
    spawn_flow_app_with(|_| {}).await
}

/// [`spawn_flow_app`] with its settings adjusted (a relay, trusted proxies…).
pub async fn spawn_flow_app_with(
    adjust: impl FnOnce(&mut portcullis::config::Settings),
) -> FlowApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    adjust(&mut settings);
    let clock = ManualClock::at(T0);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    app.client("spa")
        .name("Single Page App")
        .public()
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri(SPA_CB)
        .create()
        .await;
    let web = app
        .client("web")
        .name("Web App")
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri(WEB_CB)
        .redirect_uri("https://web.example/other")
        .create()
        .await;
    app.client("first")
        .name("First Party")
        .grant("authorization_code")
        .redirect_uri("https://first.example/cb")
        .skip_consent()
        .create()
        .await;
    let alice = app
        .user("alice")
        .email("alice@example.com")
        .name("Alice Liddell")
        .role("admin")
        .create();
    FlowApp {
        app,
        clock,
        web,
        alice,
    }
}

/// The spa's request for every scope, with state `st-123`, nonce `n-456` and PKCE; `extra`
/// parameters are appended.
pub fn spa_request(extra: &[(&str, &str)]) -> String {
    let ch = challenge(VERIFIER);
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("scope", "openid profile email offline_access"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    authorize_path(&pairs)
}

/// The web client's request (state `w-1`, nonce `wn-1`, no PKCE).
pub fn web_request() -> String {
    authorize_path(&[
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid email"),
        ("state", "w-1"),
        ("nonce", "wn-1"),
    ])
}

/// authorize → sign in as alice → consent: the callback parameters.
pub async fn sign_in_and_consent(b: &mut Browser<'_>, url: &str) -> HashMap<String, String> {
    let page = b.get(url).await;
    let page = if page.is_login() {
        b.login(&page, "alice", PASSWORD).await
    } else {
        page
    };
    let page = if page.is_consent() {
        b.consent(&page, "allow").await
    } else {
        page
    };
    assert_eq!(page.status, 303, "{}", page.body);
    page.callback()
}

/// Redeems a code of a public client with [`VERIFIER`].
pub async fn redeem(app: &TestApp, client_id: &str, redirect_uri: &str, code: &str) -> Response {
    app.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
        ],
        None,
    )
    .await
}

pub async fn redeem_spa(app: &TestApp, code: &str) -> Response {
    redeem(app, "spa", SPA_CB, code).await
}

/// The tokens of a successful code or refresh answer.
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub id_token: String,
}

impl Tokens {
    pub fn of(res: &Response) -> Self {
        assert_eq!(res.status, 200, "{}", res.body);
        let member = |m: &str| res.body[m].as_str().unwrap_or_default().to_string();
        Self {
            access: member("access_token"),
            refresh: member("refresh_token"),
            id_token: member("id_token"),
        }
    }
}

/// Signs alice in through `url` in `b` and redeems the code for a public client.
pub async fn sign_in_public(
    b: &mut Browser<'_>,
    app: &TestApp,
    url: &str,
    client_id: &str,
    redirect_uri: &str,
) -> Tokens {
    let cb = sign_in_and_consent(b, url).await;
    Tokens::of(&redeem(app, client_id, redirect_uri, &cb["code"]).await)
}
