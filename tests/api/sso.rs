//! SSO behaviour: prompt, max_age, id_token_hint, consent memory, form_post, sign-in
//! failures, CSRF, page headers, and refresh tokens.

use portcullis::store::audit;
use serde_json::Value;

use crate::authorize_flow::{
    PASSWORD, SPA_CB, decode, query, redeem_spa, setup, sign_in_and_consent, spa_request, userinfo,
};
use crate::browser::Browser;

async fn id_token_of(s: &crate::authorize_flow::Setup, code: &str) -> (Value, String) {
    let res = redeem_spa(&s.app, code).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let jwt = res.body["id_token"].as_str().unwrap().to_string();
    (decode(&s.app, &jwt).await.1, jwt)
}

#[actix_web::test]
async fn prompt_none_reuses_the_session_and_prompt_login_forces_a_new_sign_in() {
    let s = setup().await;
    let mut b = Browser::new(&s.app);
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let (first, first_jwt) = id_token_of(&s, &cb["code"]).await;

    s.clock.advance(5);
    let page = b.get(&spa_request(&[("prompt", "none")])).await;
    assert_eq!(page.status, 303, "silent: {}", page.body);
    let (silent, _) = id_token_of(&s, &page.callback()["code"]).await;
    assert_eq!(silent["sub"], first["sub"]);
    assert_eq!(silent["auth_time"], first["auth_time"]);

    // id_token_hint of the same user: still silent.
    let page = b
        .get(&spa_request(&[
            ("prompt", "none"),
            ("id_token_hint", &first_jwt),
        ]))
        .await;
    assert_eq!(page.status, 303);
    assert!(page.callback().contains_key("code"));
    // A forged hint is refused.
    let forged = format!("{}x", &first_jwt[..first_jwt.len() - 1]);
    let page = b
        .get(&spa_request(&[
            ("prompt", "none"),
            ("id_token_hint", &forged),
        ]))
        .await;
    assert_eq!(page.callback()["error"], "invalid_request");

    s.clock.advance(2);
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
    let s = setup().await;
    let mut b = Browser::new(&s.app);
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
async fn consent_is_remembered_forced_by_prompt_skipped_for_first_parties_and_deniable() {
    let s = setup().await;
    let mut b = Browser::new(&s.app);
    sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let page = b.get(&spa_request(&[])).await;
    assert_eq!(page.status, 303, "remembered");
    let page = b.get(&spa_request(&[("prompt", "consent")])).await;
    assert!(page.is_consent(), "prompt=consent asks again");
    let denied = b.consent(&page, "deny").await;
    let cb = denied.callback();
    assert_eq!(cb["error"], "access_denied");
    assert_eq!(cb["state"], "st-123");

    let first = format!(
        "/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", "first"),
            ("scope", "openid email"),
            ("state", "f")
        ])
    );
    let page = b.get(&first).await;
    assert_eq!(
        page.status, 303,
        "--skip-consent clients never ask: {}",
        page.body
    );
    // A new scope needs consent; prompt=none then answers consent_required.
    let page = b
        .get(&spa_request(&[
            ("scope", "openid offline_access profile email"),
            ("prompt", "none"),
        ]))
        .await;
    assert_eq!(page.status, 303);
    let page = b
        .get(&format!(
            "/authorize?{}",
            query(&[
                ("response_type", "code"),
                ("client_id", "web"),
                ("redirect_uri", "https://web.example/cb?tenant=1"),
                ("scope", "openid"),
                ("prompt", "none"),
                ("state", "c"),
            ])
        ))
        .await;
    assert_eq!(page.callback()["error"], "consent_required");
}

#[actix_web::test]
async fn form_post_answers_with_a_self_submitting_form() {
    let s = setup().await;
    let mut b = Browser::new(&s.app);
    sign_in_and_consent(&mut b, &spa_request(&[])).await;
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

    // Errors are POSTed too.
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
async fn sign_in_failures_are_generic_throttled_and_audited() {
    let s = setup().await;
    let mut b = Browser::new(&s.app);
    let login = b.get(&spa_request(&[])).await;
    let wrong = b.login(&login, "alice", "not the password").await;
    let unknown = b.login(&login, "mallory", "not the password").await;
    assert!(
        wrong
            .body
            .contains("The username or password is not correct.")
    );
    assert!(
        unknown
            .body
            .contains("The username or password is not correct.")
    );
    assert!(wrong.is_login() && unknown.is_login());

    for _ in 0..4 {
        b.login(&login, "alice", "still wrong").await;
    }
    let throttled = b.login(&login, "alice", PASSWORD).await;
    assert_eq!(throttled.status, 429);
    assert!(throttled.body.contains("Too many failed attempts"));
    s.clock.advance(600);
    let ok = b.login(&login, "alice", PASSWORD).await;
    assert!(ok.is_consent(), "after the delay the right password works");

    let mut conn = s.app.db.conn();
    let entries = audit::recent(&mut conn, 100).unwrap();
    let failed = entries.iter().filter(|e| e.event == "login.failed").count();
    assert_eq!(failed, 6);
    assert!(entries.iter().any(|e| e.event == "login.succeeded"));
    assert!(
        entries
            .iter()
            .all(|e| !e.details.contains("still wrong") && !e.details.contains(PASSWORD))
    );

    // A disabled user cannot sign in.
    s.app.cli().run(&["user", "disable", "alice"]).ok();
    let mut fresh = Browser::new(&s.app);
    let login = fresh.get(&spa_request(&[])).await;
    let page = fresh.login(&login, "alice", PASSWORD).await;
    assert!(page.is_login());
}

#[actix_web::test]
async fn forms_need_their_csrf_token_and_pages_carry_security_headers() {
    let s = setup().await;
    let mut b = Browser::new(&s.app);
    let login = b.get(&spa_request(&[])).await;
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

    // Malformed forms get the HTML error page and change nothing.
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

    let page = b.login(&login, "alice", PASSWORD).await;
    let set_cookie: Vec<String> = page
        .headers
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("portcullis_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );

    // POST /authorize works too, with unknown parameters ignored and scopes in any order.
    let body = query(&[
        ("extra", "foobar"),
        ("scope", "email openid"),
        ("state", "p"),
        ("redirect_uri", SPA_CB),
        ("client_id", "spa"),
        ("response_type", "code"),
        (
            "code_challenge",
            &crate::authorize_flow::challenge(crate::authorize_flow::VERIFIER),
        ),
        ("code_challenge_method", "S256"),
    ]);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = b.post("/authorize", &pairs).await;
    let page = if page.is_consent() {
        b.consent(&page, "allow").await
    } else {
        page
    };
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.callback()["state"], "p");
}

#[actix_web::test]
async fn refresh_tokens_rotate_narrow_and_detect_reuse() {
    let s = setup().await;
    let app = &s.app;
    let mut b = Browser::new(app);
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let first = redeem_spa(app, &cb["code"]).await;
    let (_, first_id) = decode(app, first.body["id_token"].as_str().unwrap()).await;
    let r1 = first.body["refresh_token"].as_str().unwrap().to_string();

    s.clock.advance(1);
    let refresh = |token: String, scope: Option<&'static str>, client: &'static str| {
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", token),
            ("client_id", client.to_string()),
        ];
        if let Some(sc) = scope {
            form.push(("scope", sc.to_string()));
        }
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.token(&pairs, None).await
        }
    };
    let second = refresh(
        r1.clone(),
        Some("openid profile email offline_access"),
        "spa",
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.header("cache-control"), Some("no-store"));
    let r2 = second.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2, "rotated");
    let (_, id2) = decode(app, second.body["id_token"].as_str().unwrap()).await;
    for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(id2[claim], first_id[claim], "{claim} kept");
    }
    assert_ne!(id2["iat"], first_id["iat"]);
    assert_eq!(
        userinfo(app, second.body["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );

    let narrowed = refresh(r2.clone(), Some("openid"), "spa").await;
    assert_eq!(narrowed.body["scope"], "openid");
    let r3 = narrowed.body["refresh_token"].as_str().unwrap().to_string();
    let widened = refresh(r3.clone(), Some("openid admin"), "spa").await;
    assert_eq!(widened.body["error"], "invalid_scope");
    // A refused request does not burn the token.
    let again = refresh(r3.clone(), None, "spa").await;
    assert_eq!(again.status, 200, "{}", again.body);
    let r3 = again.body["refresh_token"].as_str().unwrap().to_string();

    // Another client presenting this token gets invalid_grant.
    let other = app
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", &r3)],
            Some(("web", &s.web_secret)),
        )
        .await;
    assert_eq!(other.status, 400);
    assert_eq!(other.body["error"], "invalid_grant");

    // Reusing r1 (already rotated) revokes the family: r3 stops working.
    let reused = refresh(r1, None, "spa").await;
    assert_eq!(reused.body["error"], "invalid_grant");
    let after = refresh(r3, None, "spa").await;
    assert_eq!(after.body["error"], "invalid_grant");
}

#[actix_web::test]
async fn optional_parameters_of_the_certification_suite_are_accepted() {
    let s = setup().await;
    let mut b = Browser::new(&s.app);

    // login_hint prefills the username.
    let page = b.get(&spa_request(&[("login_hint", "alice")])).await;
    assert!(page.body.contains("value=\"alice\""));
    sign_in_and_consent(&mut b, &spa_request(&[])).await;

    // No nonce: a code all the same, and no nonce in the ID token.
    let ch = crate::authorize_flow::challenge(crate::authorize_flow::VERIFIER);
    let no_nonce = format!(
        "/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", "spa"),
            ("redirect_uri", SPA_CB),
            ("scope", "openid"),
            ("state", "nn"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ])
    );
    let cb = sign_in_and_consent(&mut b, &no_nonce).await;
    let (id, _) = id_token_of(&s, &cb["code"]).await;
    assert!(id.get("nonce").is_none());

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

#[actix_web::test]
async fn refresh_tokens_expire_when_idle() {
    let s = setup().await;
    let mut b = Browser::new(&s.app);
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let res = redeem_spa(&s.app, &cb["code"]).await;
    let token = res.body["refresh_token"].as_str().unwrap().to_string();
    s.clock
        .advance(s.app.state.settings.tokens.refresh_token_idle_secs + 1);
    let res = s
        .app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &token),
                ("client_id", "spa"),
            ],
            None,
        )
        .await;
    assert_eq!(res.body["error"], "invalid_grant");
}
