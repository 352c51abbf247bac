//! The browser flow over HTTP against the real server: checklist §1.1/§1.3 rows for static
//! clients, §3 ID-token rules, §4 error rows, plus refresh and code-reuse behaviour.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use portcullis::clock::ManualClock;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::browser::{Browser, Page};
use crate::helpers::{TestApp, TestDb, TokenResponse, spawn_app_with};

const T0: i64 = 1_900_000_000;
pub const PASSWORD: &str = "correct horse battery";
pub const SPA_CB: &str = "https://spa.example/cb";
const WEB_CB: &str = "https://web.example/cb?tenant=1";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough";

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub struct Setup {
    pub app: TestApp,
    pub clock: ManualClock,
    pub web_secret: String,
    pub alice_id: String,
}

pub async fn setup() -> Setup {
    let db = TestDb::sqlite();
    let settings = db.settings();
    let clock = ManualClock::at(T0);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    app.create_client(&[
        "--name",
        "Single Page App",
        "--id",
        "spa",
        "--public",
        "--grant-type",
        "authorization_code",
        "refresh_token",
        "--redirect-uri",
        SPA_CB,
    ])
    .await;
    let web = app
        .create_client(&[
            "--name",
            "Web App",
            "--id",
            "web",
            "--grant-type",
            "authorization_code",
            "refresh_token",
            "--redirect-uri",
            WEB_CB,
            "--redirect-uri",
            "https://web.example/other",
        ])
        .await;
    app.create_client(&[
        "--name",
        "First Party",
        "--id",
        "first",
        "--grant-type",
        "authorization_code",
        "--redirect-uri",
        "https://first.example/cb",
        "--skip-consent",
    ])
    .await;
    app.cli()
        .run_with_stdin(
            &[
                "user",
                "create",
                "--username",
                "alice",
                "--email",
                "alice@example.com",
                "--name",
                "Alice Liddell",
                "--role",
                "admin",
                "--password-stdin",
            ],
            PASSWORD,
        )
        .ok();
    let users = app.cli().run(&["user", "list", "--json"]).ok().json();
    Setup {
        web_secret: web["client_secret"].as_str().unwrap().to_string(),
        alice_id: users[0]["id"].as_str().unwrap().to_string(),
        app,
        clock,
    }
}

pub fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

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
    format!("/authorize?{}", query(&pairs))
}

fn web_request(extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid email"),
        ("state", "w-1"),
        ("nonce", "wn-1"),
    ];
    pairs.extend_from_slice(extra);
    format!("/authorize?{}", query(&pairs))
}

/// authorize → sign in → consent: the callback parameters.
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

pub async fn redeem_spa(app: &TestApp, code: &str) -> TokenResponse {
    app.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", SPA_CB),
            ("client_id", "spa"),
            ("code_verifier", VERIFIER),
        ],
        None,
    )
    .await
}

async fn jwks(app: &TestApp) -> JwkSet {
    serde_json::from_slice(&app.get_bytes("/.well-known/jwks.json").await).unwrap()
}

/// Decodes and verifies a JWT with jsonwebtoken against the served JWKS (no time checks:
/// the server runs on a manual clock).
pub async fn decode(app: &TestApp, jwt: &str) -> (jsonwebtoken::Header, Value) {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let set = jwks(app).await;
    let key = DecodingKey::from_jwk(
        set.find(header.kid.as_deref().expect("kid"))
            .expect("kid in JWKS"),
    )
    .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(jwt, &key, &v).expect("signature verifies");
    (header, data.claims)
}

pub async fn userinfo(app: &TestApp, token: &str) -> (u16, Value, Option<String>) {
    let mut res = app
        .http
        .get(app.url("/userinfo"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .unwrap();
    let body = res.body().await.unwrap();
    let www = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (
        res.status().as_u16(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
        www,
    )
}

#[actix_web::test]
async fn a_public_client_with_pkce_signs_a_user_in_and_gets_oidc_tokens() {
    let s = setup().await;
    let app = &s.app;
    let mut b = Browser::new(app);

    let login = b.get(&spa_request(&[])).await;
    assert_eq!(login.status, 200);
    assert!(login.is_login());
    assert!(
        login.body.contains("Single Page App"),
        "the client's name is shown"
    );
    assert!(
        login.body.contains("<label for=\"username\">")
            && login.body.contains("<label for=\"password\">")
    );
    let consent = b.login(&login, "alice", PASSWORD).await;
    assert!(consent.is_consent());
    assert!(consent.body.contains("See your email address"));
    let done = b.consent(&consent, "allow").await;
    assert_eq!(done.status, 303, "redirect after POST is 303");
    assert!(done.location().starts_with(SPA_CB));
    let cb = done.callback();
    assert_eq!(cb["state"], "st-123");
    assert_eq!(cb["iss"], app.state.settings.issuer);
    let code = &cb["code"];
    assert!(
        URL_SAFE_NO_PAD.decode(code).unwrap().len() >= 16,
        "≥128-bit code"
    );

    let res = redeem_spa(app, code).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.body["token_type"], "Bearer");
    let expires_in = res.body["expires_in"].as_i64().unwrap();
    assert!(0 < expires_in && expires_in <= 31_536_000);
    assert!(
        res.body["refresh_token"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|c| (0x20..=0x7e).contains(&c))
    );
    let access = res.body["access_token"].as_str().unwrap();

    // ID token: checklist §3.
    let (header, id) = decode(app, res.body["id_token"].as_str().unwrap()).await;
    assert_eq!(header.alg, Algorithm::RS256);
    assert!(header.kid.is_some());
    assert_eq!(id["iss"], app.state.settings.issuer);
    assert_eq!(id["sub"], s.alice_id);
    assert_eq!(id["aud"], "spa");
    assert_eq!(id["azp"], "spa");
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["auth_time"], T0);
    assert_eq!(id["iat"], T0);
    assert!(id["exp"].as_i64().unwrap() > T0);
    assert_eq!(id["acr"], "1");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert!(id["sid"].as_str().is_some());
    let digest = Sha256::digest(access.as_bytes());
    assert_eq!(id["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));
    for absent in ["name", "email", "preferred_username"] {
        assert!(id.get(absent).is_none(), "{absent} belongs to UserInfo");
    }

    // Access token: RFC 9068 with the user's claims.
    let (header, at) = decode(app, access).await;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(at["sub"], s.alice_id);
    assert_eq!(at["client_id"], "spa");
    assert_eq!(at["auth_time"], T0);
    assert_eq!(at["acr"], "1");
    assert_eq!(at["roles"], serde_json::json!(["admin"]));
    assert_eq!(at["scope"], "openid profile email offline_access");

    // UserInfo: GET with Bearer, POST with Bearer, POST with the form field.
    let (status, info, _) = userinfo(app, access).await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["email_verified"], false);
    assert_eq!(info["name"], "Alice Liddell");
    assert_eq!(info["preferred_username"], "alice");
    let mut res = app
        .http
        .post(app.url("/userinfo"))
        .insert_header(("Authorization", format!("Bearer {access}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let _ = res.body().await;
    let mut res = app
        .http
        .post(app.url("/userinfo"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(query(&[("access_token", access)]))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.body().await);
}

#[actix_web::test]
async fn a_confidential_client_without_pkce_completes_the_flow_and_a_public_one_cannot() {
    let s = setup().await;
    let app = &s.app;
    let mut b = Browser::new(app);
    let cb = sign_in_and_consent(&mut b, &web_request(&[])).await;
    assert_eq!(cb["state"], "w-1");
    assert_eq!(cb["tenant"], "1", "the registered query is preserved");
    let res = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", WEB_CB),
            ],
            Some(("web", &s.web_secret)),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body["id_token"].is_string());

    // A public client without PKCE is refused at the authorization endpoint.
    let url = format!(
        "/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", "spa"),
            ("redirect_uri", SPA_CB),
            ("scope", "openid"),
            ("state", "s")
        ])
    );
    let page = b.get(&url).await;
    let cb = page.callback();
    assert_eq!(cb["error"], "invalid_request");
    assert_eq!(cb["state"], "s");
    assert_eq!(cb["iss"], app.state.settings.issuer);
    assert!(!cb.contains_key("code"));
}

#[actix_web::test]
async fn a_reused_code_is_refused_and_revokes_what_it_produced() {
    let s = setup().await;
    let app = &s.app;
    let mut b = Browser::new(app);
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let first = redeem_spa(app, &cb["code"]).await;
    let access = first.body["access_token"].as_str().unwrap().to_string();
    let refresh = first.body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(userinfo(app, &access).await.0, 200);

    s.clock.advance(30);
    let second = redeem_spa(app, &cb["code"]).await;
    assert_eq!(second.status, 400);
    assert_eq!(second.body["error"], "invalid_grant");
    assert!(
        second
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );

    let (status, _, www) = userinfo(app, &access).await;
    assert_eq!(status, 401);
    assert!(www.unwrap().contains("error=\"invalid_token\""));
    let res = app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", "spa"),
            ],
            None,
        )
        .await;
    assert_eq!(res.body["error"], "invalid_grant");
}

#[actix_web::test]
async fn token_requests_must_match_the_code() {
    let s = setup().await;
    let app = &s.app;
    let mut b = Browser::new(app);
    let redeem = |code: String, redirect: &'static str, verifier: Option<&'static str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("redirect_uri", redirect.to_string()),
            ("client_id", "spa".to_string()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v.to_string()));
        }
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.token(&pairs, None).await
        }
    };
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let res = redeem(
        cb["code"].clone(),
        "https://spa.example/cb/extra",
        Some(VERIFIER),
    )
    .await;
    assert_eq!(
        res.body["error"], "invalid_grant",
        "redirect_uri must match exactly"
    );

    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let res = redeem(
        cb["code"].clone(),
        SPA_CB,
        Some("wrong-verifier-wrong-verifier-wrong-verifier-x"),
    )
    .await;
    assert_eq!(
        res.body["error"], "invalid_grant",
        "PKCE verifier must match"
    );

    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let res = redeem(cb["code"].clone(), SPA_CB, None).await;
    assert_eq!(
        res.body["error"], "invalid_grant",
        "PKCE verifier is required"
    );

    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    s.clock.advance(61);
    let res = redeem(cb["code"].clone(), SPA_CB, Some(VERIFIER)).await;
    assert_eq!(res.body["error"], "invalid_grant", "codes live 60 seconds");

    // Downgrade: a verifier for a code that had no challenge.
    let cb = sign_in_and_consent(&mut b, &web_request(&[])).await;
    let res = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", WEB_CB),
                ("code_verifier", VERIFIER),
            ],
            Some(("web", &s.web_secret)),
        )
        .await;
    assert_eq!(res.body["error"], "invalid_grant");
    // Another client cannot redeem the code.
    let cb = sign_in_and_consent(&mut b, &web_request(&[])).await;
    let res = redeem(cb["code"].clone(), WEB_CB, None).await;
    assert_eq!(res.body["error"], "invalid_grant");
}

fn assert_error_page(page: &Page) {
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.header("location").is_none(), "never redirect");
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
}

#[actix_web::test]
async fn unsafe_redirects_get_an_error_page_instead() {
    let s = setup().await;
    let mut b = Browser::new(&s.app);
    let base = |client: &str, redirect: Option<&str>| {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", client),
            ("scope", "openid"),
            ("state", "s"),
        ];
        if let Some(r) = redirect {
            pairs.push(("redirect_uri", r));
        }
        format!("/authorize?{}", query(&pairs))
    };
    for url in [
        base("nobody", Some(WEB_CB)),
        base("web", Some("https://web.example/cb?tenant=1/x1y2z3a4b5")),
        base("web", Some("https://web.example/cb/x1y2z3a4b5?tenant=1")),
        base("web", Some("https://web.example/cb?tenant=1&foo=bar")),
        base("web", Some("https://web.example/cb")),
        base("web", Some("https://web.example/cb?tenant=1_invalid")),
        base("web", None),
        "/authorize".to_string(),
    ] {
        assert_error_page(&b.get(&url).await);
    }
    // With exactly one registered URI, redirect_uri may be omitted.
    let page = b.get(&base("first", None)).await;
    assert!(page.is_login(), "{}: {}", page.status, page.body);
}

#[actix_web::test]
async fn other_errors_redirect_with_state_and_iss_only() {
    let s = setup().await;
    let app = &s.app;
    let mut b = Browser::new(app);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("client_id", "web"),
                ("redirect_uri", WEB_CB),
                ("scope", "openid"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "token"),
                ("client_id", "web"),
                ("redirect_uri", WEB_CB),
                ("scope", "openid"),
            ],
            "unsupported_response_type",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "web"),
                ("redirect_uri", WEB_CB),
                ("scope", "openid"),
                ("prompt", "none"),
            ],
            "login_required",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "web"),
                ("redirect_uri", WEB_CB),
                ("scope", "openid"),
                ("request", "eyJhbGciOiJub25lIn0.e30."),
            ],
            "request_not_supported",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "web"),
                ("redirect_uri", WEB_CB),
                ("scope", "nothing-allowed"),
            ],
            "invalid_scope",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "web"),
                ("redirect_uri", WEB_CB),
                ("scope", "openid"),
                ("code_challenge", "abc"),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
    ];
    let state = "x".repeat(128);
    for (mut pairs, error) in cases {
        pairs.push(("state", &state));
        let page = b.get(&format!("/authorize?{}", query(&pairs))).await;
        assert_eq!(page.status, 303, "{pairs:?}: {}", page.body);
        assert!(
            page.location()
                .starts_with("https://web.example/cb?tenant=1&")
        );
        let cb = page.callback();
        assert_eq!(cb["error"], error, "{pairs:?}");
        assert_eq!(cb["state"], state);
        assert_eq!(cb["iss"], app.state.settings.issuer);
        let desc = &cb["error_description"];
        assert!(desc.bytes().all(|c| c == 0x20
            || c == 0x21
            || (0x23..=0x5b).contains(&c)
            || (0x5d..=0x7e).contains(&c)));
        for k in cb.keys() {
            assert!(
                ["error", "error_description", "state", "iss", "tenant"].contains(&k.as_str()),
                "{k}"
            );
        }
    }
}
