//! The browser flow over HTTP against the real server: checklist §1.1/§1.3 rows for static
//! clients, §3 ID-token rules, §4 error rows, plus code-reuse behaviour.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use sha2::{Digest, Sha256};

use crate::helpers::{
    FlowApp, PASSWORD, Page, Response, SPA_CB, T0, VERIFIER, WEB_CB, authorize_path, decode,
    redeem_spa, sign_in_and_consent, spa_request, spawn_flow_app, web_request,
};

/// The spa's sign-in, consent and redemption: the token response.
async fn spa_tokens(s: &FlowApp) -> Response {
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let res = redeem_spa(&s.app, &cb["code"]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res
}

#[actix_web::test]
async fn the_sign_in_and_consent_pages_lead_back_with_a_code_state_and_iss() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();

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
    assert_eq!(cb["iss"], s.app.state.settings.issuer);
    assert!(
        URL_SAFE_NO_PAD.decode(&cb["code"]).unwrap().len() >= 16,
        "≥128-bit code"
    );
}

#[actix_web::test]
async fn a_redeemed_code_gives_a_bearer_response_that_is_never_cached() {
    let s = spawn_flow_app().await;
    let res = spa_tokens(&s).await;
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.body["token_type"], "Bearer");
    let expires_in = res.body["expires_in"].as_i64().unwrap();
    assert!(0 < expires_in && expires_in <= 31_536_000);
    assert!(
        res.str("refresh_token")
            .bytes()
            .all(|c| (0x20..=0x7e).contains(&c))
    );
}

#[actix_web::test]
async fn the_id_token_follows_the_oidc_rules() {
    let s = spawn_flow_app().await;
    let app = &s.app;
    let res = spa_tokens(&s).await;
    let (header, id) = decode(app, &res.str("id_token")).await;
    assert_eq!(header.alg, Algorithm::RS256);
    assert!(header.kid.is_some());
    assert_eq!(id["iss"], app.state.settings.issuer);
    assert_eq!(id["sub"], s.alice.id);
    assert_eq!(id["aud"], "spa");
    assert_eq!(id["azp"], "spa");
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["auth_time"], T0);
    assert_eq!(id["iat"], T0);
    assert!(id["exp"].as_i64().unwrap() > T0);
    assert_eq!(id["acr"], "1");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert!(id["sid"].as_str().is_some());
    let digest = Sha256::digest(res.token().as_bytes());
    assert_eq!(id["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));
    for absent in ["name", "email", "preferred_username"] {
        assert!(id.get(absent).is_none(), "{absent} belongs to UserInfo");
    }
}

#[actix_web::test]
async fn the_access_token_is_an_rfc9068_jwt_with_the_users_claims() {
    let s = spawn_flow_app().await;
    let res = spa_tokens(&s).await;
    let (header, at) = decode(&s.app, res.token()).await;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(at["sub"], s.alice.id);
    assert_eq!(at["client_id"], "spa");
    assert_eq!(at["auth_time"], T0);
    assert_eq!(at["acr"], "1");
    assert_eq!(at["roles"], serde_json::json!(["admin"]));
    assert_eq!(at["scope"], "openid profile email offline_access");
}

#[actix_web::test]
async fn userinfo_answers_a_bearer_get_a_bearer_post_and_a_form_post() {
    let s = spawn_flow_app().await;
    let app = &s.app;
    let res = spa_tokens(&s).await;
    let access = res.token();
    let (_, id) = decode(app, &res.str("id_token")).await;

    let info = app.userinfo(access).await;
    assert_eq!(info.status, 200);
    let info = info.body;
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["email_verified"], false);
    assert_eq!(info["name"], "Alice Liddell");
    assert_eq!(info["preferred_username"], "alice");

    let res = app.userinfo_post(access).await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let res = app.userinfo_form(access).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[actix_web::test]
async fn a_confidential_client_completes_the_flow_without_pkce() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &web_request()).await;
    assert_eq!(cb["state"], "w-1");
    assert_eq!(cb["tenant"], "1", "the registered query is preserved");
    let res = s
        .app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", WEB_CB),
            ],
            s.web.basic(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body["id_token"].is_string());
}

#[actix_web::test]
async fn a_public_client_without_pkce_is_refused_at_the_authorization_endpoint() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    sign_in_and_consent(&mut b, &web_request()).await;
    let page = b
        .get(&authorize_path(&[
            ("response_type", "code"),
            ("client_id", "spa"),
            ("redirect_uri", SPA_CB),
            ("scope", "openid"),
            ("state", "s"),
        ]))
        .await;
    let cb = page.callback();
    assert_eq!(cb["error"], "invalid_request");
    assert_eq!(cb["state"], "s");
    assert_eq!(cb["iss"], s.app.state.settings.issuer);
    assert!(!cb.contains_key("code"));
}

#[actix_web::test]
async fn a_reused_code_is_refused_and_revokes_what_it_produced() {
    let s = spawn_flow_app().await;
    let app = &s.app;
    let mut b = app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let first = redeem_spa(app, &cb["code"]).await;
    let access = first.token();
    assert_eq!(app.userinfo(access).await.status, 200);

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

    let res = app.userinfo(access).await;
    assert_eq!(res.status, 401);
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    let res = app.refresh(&first.str("refresh_token"), "spa").await;
    assert_eq!(res.body["error"], "invalid_grant");
}

/// A fresh spa code, redeemed with `redirect_uri` and `verifier` (none when `None`).
async fn redeem_spa_code_with(s: &FlowApp, redirect_uri: &str, verifier: Option<&str>) -> Response {
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", cb["code"].as_str()),
        ("redirect_uri", redirect_uri),
        ("client_id", "spa"),
    ];
    form.extend(verifier.map(|v| ("code_verifier", v)));
    s.app.token(&form, None).await
}

#[actix_web::test]
async fn the_redirect_uri_of_a_token_request_must_match_exactly() {
    let s = spawn_flow_app().await;
    let res = redeem_spa_code_with(&s, "https://spa.example/cb/extra", Some(VERIFIER)).await;
    assert_eq!(res.body["error"], "invalid_grant");
}

#[actix_web::test]
async fn the_pkce_verifier_is_required_and_must_match() {
    let s = spawn_flow_app().await;
    let wrong = "wrong-verifier-wrong-verifier-wrong-verifier-x";
    let res = redeem_spa_code_with(&s, SPA_CB, Some(wrong)).await;
    assert_eq!(res.body["error"], "invalid_grant", "must match");
    let res = redeem_spa_code_with(&s, SPA_CB, None).await;
    assert_eq!(res.body["error"], "invalid_grant", "required");
}

#[actix_web::test]
async fn codes_live_sixty_seconds() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    s.clock.advance(61);
    let res = redeem_spa(&s.app, &cb["code"]).await;
    assert_eq!(res.body["error"], "invalid_grant");
}

#[actix_web::test]
async fn a_verifier_for_a_code_without_a_challenge_is_refused() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &web_request()).await;
    let res = s
        .app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", WEB_CB),
                ("code_verifier", VERIFIER),
            ],
            s.web.basic(),
        )
        .await;
    assert_eq!(res.body["error"], "invalid_grant");
}

#[actix_web::test]
async fn another_client_cannot_redeem_a_code() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &web_request()).await;
    let res = s
        .app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", WEB_CB),
                ("client_id", "spa"),
            ],
            None,
        )
        .await;
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

fn request_of(client: &str, redirect: Option<&str>) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client),
        ("scope", "openid"),
        ("state", "s"),
    ];
    pairs.extend(redirect.map(|r| ("redirect_uri", r)));
    authorize_path(&pairs)
}

#[actix_web::test]
async fn unsafe_redirects_get_an_error_page_instead() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    for url in [
        request_of("nobody", Some(WEB_CB)),
        request_of("web", Some("https://web.example/cb?tenant=1/x1y2z3a4b5")),
        request_of("web", Some("https://web.example/cb/x1y2z3a4b5?tenant=1")),
        request_of("web", Some("https://web.example/cb?tenant=1&foo=bar")),
        request_of("web", Some("https://web.example/cb")),
        request_of("web", Some("https://web.example/cb?tenant=1_invalid")),
        request_of("web", None),
        "/authorize".to_string(),
    ] {
        assert_error_page(&b.get(&url).await);
    }
}

#[actix_web::test]
async fn with_exactly_one_registered_uri_an_oauth_request_may_omit_the_redirect_uri() {
    let s = spawn_flow_app().await;
    let oauth_only = request_of("first", None).replace("openid", "profile");
    let page = s.app.browser().get(&oauth_only).await;
    assert!(page.is_login(), "{}: {}", page.status, page.body);
}

/// OIDC Core §3.1.2.1 (hardening finding 13): an OpenID Connect request names its
/// redirect_uri even when the client has only one; the error goes to that one.
#[actix_web::test]
async fn an_openid_request_without_redirect_uri_is_refused() {
    let s = spawn_flow_app().await;
    let page = s.app.browser().get(&request_of("first", None)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(page.location().starts_with("https://first.example/cb?"));
    assert_eq!(page.callback()["error"], "invalid_request");
}

#[actix_web::test]
async fn other_errors_redirect_with_state_and_iss_only() {
    let s = spawn_flow_app().await;
    let app = &s.app;
    let web = [("client_id", "web"), ("redirect_uri", WEB_CB)];
    let code = [("response_type", "code")];
    let openid = [("scope", "openid")];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        ([&web[..], &openid].concat(), "invalid_request"),
        (
            [&[("response_type", "token")], &web[..], &openid].concat(),
            "unsupported_response_type",
        ),
        (
            [&code[..], &web, &openid, &[("prompt", "none")]].concat(),
            "login_required",
        ),
        (
            [
                &code[..],
                &web,
                &openid,
                &[("request", "eyJhbGciOiJub25lIn0.e30.")],
            ]
            .concat(),
            "request_not_supported",
        ),
        (
            [&code[..], &web, &[("scope", "nothing-allowed")]].concat(),
            "invalid_scope",
        ),
        (
            [
                &code[..],
                &web,
                &openid,
                &[
                    ("code_challenge", "abc"),
                    ("code_challenge_method", "plain"),
                ],
            ]
            .concat(),
            "invalid_request",
        ),
    ];
    let state = "x".repeat(128);
    for (mut pairs, error) in cases {
        pairs.push(("state", &state));
        let res = app.authorize(&pairs).await;
        assert_eq!(res.status, 303, "{pairs:?}: {}", res.text());
        let location = res.header("location").unwrap();
        assert!(location.starts_with("https://web.example/cb?tenant=1&"));
        let cb: std::collections::HashMap<String, String> = url::Url::parse(location)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
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
