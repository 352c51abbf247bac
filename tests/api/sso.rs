//! SSO behaviour: prompt, max_age, id_token_hint, consent memory, form_post, sign-in
//! failures, CSRF and page headers.

use portcullis::store::audit;
use serde_json::Value;

use crate::helpers::{
    Browser, FlowApp, PASSWORD, SPA_CB, VERIFIER, authorize_path, challenge, decode, redeem_spa,
    sign_in_and_consent, spa_request, spawn_flow_app,
};

/// Redeems a spa code: the ID token's claims and the token itself.
async fn id_token_of(s: &FlowApp, code: &str) -> (Value, String) {
    let res = redeem_spa(&s.app, code).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let jwt = res.str("id_token");
    (decode(&s.app, &jwt).await.1, jwt)
}

/// A browser signed in to the spa, with the first ID token's claims and the token.
async fn signed_in(s: &FlowApp) -> (Browser<'_>, Value, String) {
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let (claims, jwt) = id_token_of(s, &cb["code"]).await;
    (b, claims, jwt)
}

#[actix_web::test]
async fn prompt_none_reuses_the_session() {
    let s = spawn_flow_app().await;
    let (mut b, first, _) = signed_in(&s).await;
    s.clock.advance(5);
    let page = b.get(&spa_request(&[("prompt", "none")])).await;
    assert_eq!(page.status, 303, "silent: {}", page.body);
    let (silent, _) = id_token_of(&s, &page.callback()["code"]).await;
    assert_eq!(silent["sub"], first["sub"]);
    assert_eq!(silent["auth_time"], first["auth_time"]);
}

#[actix_web::test]
async fn an_id_token_hint_of_the_same_user_stays_silent_and_a_forged_one_is_refused() {
    let s = spawn_flow_app().await;
    let (mut b, _, first_jwt) = signed_in(&s).await;
    let page = b
        .get(&spa_request(&[
            ("prompt", "none"),
            ("id_token_hint", &first_jwt),
        ]))
        .await;
    assert_eq!(page.status, 303);
    assert!(page.callback().contains_key("code"));
    let forged = format!("{}x", &first_jwt[..first_jwt.len() - 1]);
    let page = b
        .get(&spa_request(&[
            ("prompt", "none"),
            ("id_token_hint", &forged),
        ]))
        .await;
    assert_eq!(page.callback()["error"], "invalid_request");
}

#[actix_web::test]
async fn prompt_login_forces_a_new_sign_in() {
    let s = spawn_flow_app().await;
    let (mut b, first, _) = signed_in(&s).await;
    s.clock.advance(7);
    let page = b.get(&spa_request(&[("prompt", "login")])).await;
    assert!(page.is_login(), "prompt=login asks again");
    let done = b.login(&page, "alice", PASSWORD).await;
    assert_eq!(done.status, 303, "consent already given: {}", done.body);
    let (again, _) = id_token_of(&s, &done.callback()["code"]).await;
    assert!(again["auth_time"].as_i64() > first["auth_time"].as_i64());
    assert_eq!(again["sub"], first["sub"]);
}

#[actix_web::test]
async fn max_age_forces_a_new_sign_in_only_when_exceeded() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[("max_age", "15000")])).await;
    let (first, _) = id_token_of(&s, &cb["code"]).await;
    assert!(first["auth_time"].is_i64());

    s.clock.advance(2);
    let page = b.get(&spa_request(&[("max_age", "10000")])).await;
    assert_eq!(page.status, 303, "no prompt within max_age");
    let (second, _) = id_token_of(&s, &page.callback()["code"]).await;
    assert_eq!(second["auth_time"], first["auth_time"]);

    let page = b.get(&spa_request(&[("max_age", "1")])).await;
    assert!(page.is_login(), "max_age exceeded");
    let page = b
        .get(&spa_request(&[("max_age", "1"), ("prompt", "none")]))
        .await;
    assert_eq!(page.callback()["error"], "login_required");
}

#[actix_web::test]
async fn consent_is_remembered_asked_again_with_prompt_consent_and_deniable() {
    let s = spawn_flow_app().await;
    let (mut b, _, _) = signed_in(&s).await;
    let page = b.get(&spa_request(&[])).await;
    assert_eq!(page.status, 303, "remembered");
    let page = b.get(&spa_request(&[("prompt", "consent")])).await;
    assert!(page.is_consent(), "prompt=consent asks again");
    let cb = b.consent(&page, "deny").await.callback();
    assert_eq!(cb["error"], "access_denied");
    assert_eq!(cb["state"], "st-123");
}

#[actix_web::test]
async fn first_party_clients_never_ask_for_consent() {
    let s = spawn_flow_app().await;
    let (mut b, _, _) = signed_in(&s).await;
    let page = b
        .get(&authorize_path(&[
            ("response_type", "code"),
            ("client_id", "first"),
            ("scope", "openid email"),
            ("state", "f"),
        ]))
        .await;
    assert_eq!(
        page.status, 303,
        "--skip-consent clients never ask: {}",
        page.body
    );
}

#[actix_web::test]
async fn prompt_none_without_consent_answers_consent_required() {
    let s = spawn_flow_app().await;
    let (mut b, _, _) = signed_in(&s).await;
    let page = b
        .get(&spa_request(&[
            ("scope", "openid offline_access profile email"),
            ("prompt", "none"),
        ]))
        .await;
    assert_eq!(page.status, 303);
    let page = b
        .get(&authorize_path(&[
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", "https://web.example/cb?tenant=1"),
            ("scope", "openid"),
            ("prompt", "none"),
            ("state", "c"),
        ]))
        .await;
    assert_eq!(page.callback()["error"], "consent_required");
}

#[actix_web::test]
async fn form_post_answers_with_a_self_submitting_form() {
    let s = spawn_flow_app().await;
    let (mut b, _, _) = signed_in(&s).await;
    let page = b.get(&spa_request(&[("response_mode", "form_post")])).await;
    assert_eq!(page.status, 200);
    assert!(page.header("location").is_none(), "no code in any URL");
    assert!(
        page.body
            .contains(&format!("<form method=\"post\" action=\"{SPA_CB}\">"))
    );
    assert!(page.field("code").is_some());
    assert_eq!(page.field("state").as_deref(), Some("st-123"));
    assert_eq!(
        page.field("iss").as_deref(),
        Some(s.app.state.settings.issuer.as_str())
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'sha256-") && csp.contains("form-action https://spa.example"));
}

#[actix_web::test]
async fn form_post_errors_are_posted_too() {
    let s = spawn_flow_app().await;
    let (mut b, _, _) = signed_in(&s).await;
    s.clock.advance(1);
    let page = b
        .get(&spa_request(&[
            ("response_mode", "form_post"),
            ("prompt", "none"),
            ("max_age", "0"),
        ]))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.field("error").as_deref(), Some("login_required"));
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_generic_message() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let login = b.get(&spa_request(&[])).await;
    let wrong = b.login(&login, &s.alice.username, "not the password").await;
    let unknown = b.login(&login, "mallory", "not the password").await;
    for page in [&wrong, &unknown] {
        assert!(
            page.body
                .contains("The username or password is not correct.")
        );
        assert!(page.is_login());
    }
}

#[actix_web::test]
async fn repeated_sign_in_failures_are_throttled_and_audited_without_passwords() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let login = b.get(&spa_request(&[])).await;
    b.login(&login, "alice", "not the password").await;
    b.login(&login, "mallory", "not the password").await;
    for _ in 0..4 {
        b.login(&login, "alice", "still wrong").await;
    }
    let throttled = b.login(&login, "alice", PASSWORD).await;
    assert_eq!(throttled.status, 429);
    assert!(throttled.body.contains("Too many failed attempts"));
    s.clock.advance(600);
    let ok = b.login(&login, "alice", PASSWORD).await;
    assert!(ok.is_consent(), "after the delay the right password works");

    let entries = audit::recent(&mut s.app.db.conn(), 100).unwrap();
    let failed = entries.iter().filter(|e| e.event == "login.failed").count();
    assert_eq!(failed, 6);
    assert!(entries.iter().any(|e| e.event == "login.succeeded"));
    assert!(
        entries
            .iter()
            .all(|e| !e.details.contains("still wrong") && !e.details.contains(PASSWORD))
    );
}

#[actix_web::test]
async fn a_disabled_user_cannot_sign_in() {
    let s = spawn_flow_app().await;
    let bob = s.app.user("bob").disabled().create();
    let mut b = s.app.browser();
    let login = b.get(&spa_request(&[])).await;
    let page = b.login(&login, &bob.username, &bob.password).await;
    assert!(page.is_login());
}

#[actix_web::test]
async fn the_sign_in_page_carries_security_headers_and_no_script() {
    let s = spawn_flow_app().await;
    let login = s.app.browser().get(&spa_request(&[])).await;
    for h in [
        "x-frame-options",
        "content-security-policy",
        "referrer-policy",
    ] {
        assert!(login.header(h).is_some(), "{h}");
    }
    assert!(
        login
            .header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(login.header("cache-control"), Some("no-store"));
    assert!(
        login.header("access-control-allow-origin").is_none(),
        "no CORS on /authorize"
    );
    assert!(
        !login.body.contains("<script"),
        "no JavaScript on the sign-in page"
    );
}

#[actix_web::test]
async fn malformed_forms_get_the_html_error_page_and_change_nothing() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    b.get(&spa_request(&[])).await;
    for (path, form) in [
        ("/login", vec![("csrf", "x")]),
        ("/consent", vec![("params", "client_id=spa")]),
        ("/login", vec![]),
    ] {
        let page = b.post(path, &form).await;
        assert_eq!(page.status, 400, "{path} {form:?}");
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert!(page.body.contains("Invalid form"), "{}", page.body);
    }
    assert!(!b.cookies.contains_key("portcullis_session"));
}

#[actix_web::test]
async fn malformed_forms_from_outside_a_browser_get_the_html_error_page_too() {
    let s = spawn_flow_app().await;
    for res in [
        s.app.login(&[("csrf", "x")]).await,
        s.app.consent(&[("params", "client_id=spa")]).await,
    ] {
        assert_eq!(res.status, 400);
        assert!(res.header("content-type").unwrap().starts_with("text/html"));
        assert!(res.text().contains("Invalid form"), "{}", res.text());
    }
}

#[actix_web::test]
async fn a_sign_in_with_a_forged_csrf_token_is_refused() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let login = b.get(&spa_request(&[])).await;
    let params = login.field("params").unwrap();
    let page = b
        .post(
            "/login",
            &[
                ("params", &params),
                ("csrf", "forged-forged-forged-forged-forged-x"),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(!b.cookies.contains_key("portcullis_session"));
}

#[actix_web::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let login = b.get(&spa_request(&[])).await;
    let page = b.login(&login, "alice", PASSWORD).await;
    let session = page
        .headers
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("portcullis_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
}

#[actix_web::test]
async fn post_authorize_ignores_unknown_parameters_and_takes_scopes_in_any_order() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let login = b.get(&spa_request(&[])).await;
    b.login(&login, "alice", PASSWORD).await;
    let ch = challenge(VERIFIER);
    let page = b
        .post(
            "/authorize",
            &[
                ("extra", "foobar"),
                ("scope", "email openid"),
                ("state", "p"),
                ("redirect_uri", SPA_CB),
                ("client_id", "spa"),
                ("response_type", "code"),
                ("code_challenge", &ch),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    let page = if page.is_consent() {
        b.consent(&page, "allow").await
    } else {
        page
    };
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.callback()["state"], "p");
}

#[actix_web::test]
async fn login_hint_prefills_the_username() {
    let s = spawn_flow_app().await;
    let page = s
        .app
        .browser()
        .get(&spa_request(&[("login_hint", "alice")]))
        .await;
    assert!(page.body.contains("value=\"alice\""));
}

#[actix_web::test]
async fn a_request_without_a_nonce_gets_an_id_token_without_one() {
    let s = spawn_flow_app().await;
    let (mut b, _, _) = signed_in(&s).await;
    let ch = challenge(VERIFIER);
    let no_nonce = authorize_path(&[
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", SPA_CB),
        ("scope", "openid"),
        ("state", "nn"),
        ("code_challenge", &ch),
        ("code_challenge_method", "S256"),
    ]);
    let cb = sign_in_and_consent(&mut b, &no_nonce).await;
    let (id, _) = id_token_of(&s, &cb["code"]).await;
    assert!(id.get("nonce").is_none());
}

#[actix_web::test]
async fn optional_parameters_of_the_certification_suite_are_accepted() {
    let s = spawn_flow_app().await;
    let (mut b, _, _) = signed_in(&s).await;
    for extra in [
        ("display", "page"),
        ("display", "popup"),
        ("ui_locales", "se"),
        ("claims_locales", "se"),
        ("acr_values", "1 2"),
        ("claims", r#"{"userinfo":{"name":{"essential":true}}}"#),
        ("extra", "foobar"),
    ] {
        let page = b.get(&spa_request(&[extra])).await;
        assert_eq!(page.status, 303, "{extra:?}: {}", page.body);
        assert!(page.callback().contains_key("code"), "{extra:?}");
    }
}
