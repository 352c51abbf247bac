//! Logout that reaches every service: RP-initiated logout (checklist §1.4), back-channel
//! logout (§1.5), and operators ending sessions.

use serde_json::{Value, json};

use crate::helpers::{
    BackchannelReceiver, Browser, Client, FlowApp, SPA_CB, decode, sign_in_public, spa_request,
    spawn_flow_app,
};

const POST_LOGOUT: &str = "https://rp.example/post_logout_redirect";

/// The flow app plus `rp`, a public client with logout URIs and a back-channel endpoint.
struct RpApp {
    s: FlowApp,
    backchannel: BackchannelReceiver,
}

async fn rp_app() -> RpApp {
    let s = spawn_flow_app().await;
    let backchannel = BackchannelReceiver::start().await;
    s.app
        .client("rp")
        .name("Relying Party")
        .public()
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri(SPA_CB)
        .post_logout_redirect_uri(POST_LOGOUT)
        .backchannel_logout_uri(&backchannel.url)
        .create()
        .await;
    RpApp { s, backchannel }
}

/// The rp's request; `extra` parameters are appended.
fn rp_request(extra: &[(&str, &str)]) -> String {
    spa_request(extra).replace("client_id=spa", "client_id=rp")
}

/// A signed-in browser with its tokens.
struct Signed<'a> {
    browser: Browser<'a>,
    id_token: String,
    id_claims: Value,
    access: String,
    refresh: String,
}

async fn sign_in(r: &RpApp) -> Signed<'_> {
    let app = &r.s.app;
    let mut browser = app.browser();
    let tokens = sign_in_public(&mut browser, app, &rp_request(&[]), "rp", SPA_CB).await;
    let id_claims = decode(app, &tokens.id_token).await.1;
    Signed {
        browser,
        id_token: tokens.id_token,
        id_claims,
        access: tokens.access,
        refresh: tokens.refresh,
    }
}

/// The orders API, a resource server that may introspect.
async fn resource_server(r: &RpApp) -> Client {
    r.s.app
        .client("orders-api")
        .name("Orders API")
        .grant("client_credentials")
        .audience("https://orders.example")
        .introspect()
        .create()
        .await
}

/// RP-initiated logout with a valid hint, the registered redirect and state `bye`.
async fn log_out(signed: &mut Signed<'_>) {
    let page = signed
        .browser
        .logout(&[
            ("id_token_hint", &signed.id_token.clone()),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "bye"),
        ])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), format!("{POST_LOGOUT}?state=bye"));
}

#[actix_web::test]
async fn rp_initiated_logout_returns_to_the_registered_uri_and_ends_the_session() {
    let r = rp_app().await;
    let mut signed = sign_in(&r).await;
    log_out(&mut signed).await;
    let page = signed.browser.get(&rp_request(&[("prompt", "none")])).await;
    assert_eq!(page.callback()["error"], "login_required");
}

#[actix_web::test]
async fn rp_initiated_logout_ends_the_tokens_of_the_session() {
    let r = rp_app().await;
    let app = &r.s.app;
    let rs = resource_server(&r).await;
    let mut signed = sign_in(&r).await;
    let rs_creds = rs.basic().unwrap();
    assert_eq!(
        app.introspect_token(&signed.access, rs_creds).await["active"],
        true
    );
    log_out(&mut signed).await;
    assert_eq!(
        app.introspect_token(&signed.access, rs_creds).await,
        json!({"active": false})
    );
    assert_eq!(app.userinfo(&signed.access).await.status, 401);
    let res = app.refresh(&signed.refresh, "rp").await;
    assert_eq!(res.body["error"], "invalid_grant");
}

#[actix_web::test]
async fn rp_initiated_logout_sends_a_valid_logout_token_to_the_back_channel() {
    let r = rp_app().await;
    let app = &r.s.app;
    let mut signed = sign_in(&r).await;
    log_out(&mut signed).await;
    let token = r.backchannel.nth(0).await;
    let (header, claims) = decode(app, &token).await;
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    assert_eq!(claims["iss"], app.state.settings.issuer);
    assert_eq!(claims["aud"], "rp");
    assert_eq!(claims["sub"], signed.id_claims["sub"]);
    assert_eq!(claims["sid"], signed.id_claims["sid"]);
    assert!(claims["jti"].as_str().is_some());
    assert!(claims.get("nonce").is_none());
    let events = claims["events"].as_object().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events["http://schemas.openid.net/event/backchannel-logout"],
        json!({})
    );
    let iat = claims["iat"].as_i64().unwrap();
    assert!(claims["exp"].as_i64().unwrap() > iat);
}

/// `claims` signed by a key Portcullis never had.
fn signed_by_a_stranger(claims: &Value) -> String {
    let pair = josekit::jws::RS256.generate_key_pair(2048).unwrap();
    let signer = josekit::jws::RS256
        .signer_from_der(pair.to_der_private_key())
        .unwrap();
    let payload = josekit::jwt::JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &josekit::jws::JwsHeader::new(), &signer).unwrap()
}

#[actix_web::test]
async fn doubtful_logout_requests_never_redirect_and_end_nothing() {
    let r = rp_app().await;
    let mut signed = sign_in(&r).await;
    let hint = signed.id_token.clone();
    let b64 =
        |v: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
    let parts: Vec<&str> = hint.split('.').collect();
    let unsigned = format!("{}.{}.", b64(r#"{"alg":"none"}"#), parts[1]);
    let foreign = signed_by_a_stranger(&signed.id_claims);
    let redirect = ("post_logout_redirect_uri", POST_LOGOUT);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("id_token_hint", &hint),
            (
                "post_logout_redirect_uri",
                "https://rp.example/bad_post_logout_redirect_uri",
            ),
            ("state", "s"),
        ],
        vec![("id_token_hint", &unsigned), redirect, ("state", "s")],
        vec![("id_token_hint", &foreign), redirect, ("state", "s")],
        vec![redirect, ("state", "s")],
        vec![
            ("id_token_hint", &hint),
            (
                "post_logout_redirect_uri",
                "https://rp.example/post_logout_redirect?foo=bar",
            ),
            ("state", "s"),
        ],
        vec![("id_token_hint", &hint), ("client_id", "spa")],
    ];
    for params in cases {
        let page = signed.browser.logout(&params).await;
        assert!(
            page.header("location").is_none(),
            "{params:?} must not redirect"
        );
        assert_eq!(page.status, 400, "{params:?}");
    }
    let silent = signed.browser.get(&rp_request(&[("prompt", "none")])).await;
    assert!(silent.callback().contains_key("code"), "still signed in");
}

#[actix_web::test]
async fn a_logout_without_a_session_or_a_hint_never_redirects() {
    let r = rp_app().await;
    let res =
        r.s.app
            .logout(&[("post_logout_redirect_uri", POST_LOGOUT), ("state", "s")])
            .await;
    assert_eq!(res.status, 400);
    assert!(res.header("location").is_none());
}

#[actix_web::test]
async fn a_logout_with_only_state_asks_for_confirmation_then_signs_out() {
    let r = rp_app().await;
    let mut signed = sign_in(&r).await;
    let page = signed.browser.get("/logout?state=only").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Sign out?"));
    let csrf = page.field("csrf").unwrap();
    let done = signed
        .browser
        .post("/logout", &[("csrf", &csrf), ("confirm", "yes")])
        .await;
    assert!(done.body.contains("You are signed out"));
    assert!(done.header("location").is_none());
    let page = signed.browser.get(&rp_request(&[("prompt", "none")])).await;
    assert_eq!(page.callback()["error"], "login_required");
}

#[actix_web::test]
async fn a_valid_hint_without_a_redirect_uri_shows_the_signed_out_page() {
    let r = rp_app().await;
    let mut signed = sign_in(&r).await;
    let hint = signed.id_token.clone();
    let page = signed
        .browser
        .logout(&[("id_token_hint", &hint), ("state", "x")])
        .await;
    assert!(page.body.contains("You are signed out"));
}

#[actix_web::test]
async fn a_logout_redirect_without_state_adds_no_state() {
    let r = rp_app().await;
    let mut signed = sign_in(&r).await;
    let hint = signed.id_token.clone();
    let page = signed
        .browser
        .logout(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", POST_LOGOUT),
        ])
        .await;
    assert_eq!(page.location(), POST_LOGOUT);
}

#[actix_web::test]
async fn operators_can_list_sessions_and_end_one_which_its_client_hears_about() {
    let r = rp_app().await;
    let app = &r.s.app;
    let first = sign_in(&r).await;
    let _second = sign_in(&r).await;

    let listed = app.cli().sessions_of("alice");
    let sids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids.len(), 2);
    let sid = first.id_claims["sid"].as_str().unwrap();
    assert!(sids.contains(&sid));

    // Ending it from the CLI: its client hears about it through the running server.
    app.cli().revoke_session(sid).ok();
    let token = r.backchannel.nth(0).await;
    assert_eq!(decode(app, &token).await.1["sid"], sid);
    let out = app.cli().revoke_session(sid);
    assert_ne!(out.status, 0, "already ended");
}

#[actix_web::test]
async fn disabling_a_user_logs_them_out_everywhere() {
    let r = rp_app().await;
    let app = &r.s.app;
    let first = sign_in(&r).await;
    let second = sign_in(&r).await;
    app.disable_user("alice");
    r.backchannel.nth(1).await;
    for signed in [&first, &second] {
        let res = app.refresh(&signed.refresh, "rp").await;
        assert_eq!(res.body["error"], "invalid_grant");
    }
    assert_eq!(app.cli().sessions_of("alice"), json!([]));
}

/// Hardening finding 5: only an ID token is an `id_token_hint` (RFC 8725 §3.11).
#[actix_web::test]
async fn an_access_token_as_id_token_hint_is_refused_and_the_session_survives() {
    let r = rp_app().await;
    let mut signed = sign_in(&r).await;
    let access = signed.access.clone();
    let page = signed.browser.logout(&[("id_token_hint", &access)]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("not valid here"));
    let page = signed.browser.get(&rp_request(&[("prompt", "none")])).await;
    assert!(
        page.callback().contains_key("code"),
        "still signed in: {}",
        page.location()
    );
}
