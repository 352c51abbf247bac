//! Logout and revocation that reach every service: RP-initiated logout (checklist §1.4),
//! back-channel logout (§1.5), revocation, introspection and the revocation feed.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::authorize_flow::{
    Setup, decode, query, setup, sign_in_and_consent, spa_request, userinfo,
};
use crate::browser::Browser;
use crate::helpers::TestApp;

/// A relying party's back-channel logout endpoint: records every `logout_token`.
pub async fn backchannel_receiver(status: Arc<Mutex<u16>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let server = actix_web::HttpServer::new(move || {
        let record = record.clone();
        let status = status.clone();
        actix_web::App::new().route(
            "/backchannel",
            actix_web::web::post().to(move |body: actix_web::web::Bytes| {
                let record = record.clone();
                let status = status.clone();
                async move {
                    let form: Vec<(String, String)> =
                        url::form_urlencoded::parse(&body).into_owned().collect();
                    assert_eq!(form.len(), 1, "only logout_token is posted");
                    assert_eq!(form[0].0, "logout_token");
                    let code = *status.lock().unwrap();
                    if code == 200 {
                        record.lock().unwrap().push(form[0].1.clone());
                    }
                    actix_web::HttpResponse::build(
                        actix_web::http::StatusCode::from_u16(code).unwrap(),
                    )
                    .insert_header(("Cache-Control", "no-store"))
                    .finish()
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    (format!("http://{addr}/backchannel"), seen)
}

const POST_LOGOUT: &str = "https://rp.example/post_logout_redirect";

/// A client with logout URIs, and a signed-in browser with its tokens.
struct Signed<'a> {
    browser: Browser<'a>,
    id_token: String,
    id_claims: Value,
    access: String,
    refresh: String,
}

async fn rp_client(s: &Setup, backchannel: &str) {
    s.app
        .create_client(&[
            "--name",
            "Relying Party",
            "--id",
            "rp",
            "--public",
            "--grant-type",
            "authorization_code",
            "refresh_token",
            "--redirect-uri",
            crate::authorize_flow::SPA_CB,
            "--post-logout-redirect-uri",
            POST_LOGOUT,
            "--backchannel-logout-uri",
            backchannel,
        ])
        .await;
}

async fn sign_in<'a>(s: &'a Setup) -> Signed<'a> {
    let mut browser = Browser::new(&s.app);
    let url = spa_request(&[]).replace("client_id=spa", "client_id=rp");
    let cb = sign_in_and_consent(&mut browser, &url).await;
    let res = s
        .app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", crate::authorize_flow::SPA_CB),
                ("client_id", "rp"),
                ("code_verifier", crate::authorize_flow::VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let id_token = res.body["id_token"].as_str().unwrap().to_string();
    let id_claims = decode(&s.app, &id_token).await.1;
    Signed {
        browser,
        id_token,
        id_claims,
        access: res.body["access_token"].as_str().unwrap().to_string(),
        refresh: res.body["refresh_token"].as_str().unwrap().to_string(),
    }
}

async fn introspect(app: &TestApp, token: &str, creds: (&str, &str)) -> Value {
    let res = app
        .http
        .post(app.url("/introspect"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header((
            "Authorization",
            format!(
                "Basic {}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("{}:{}", creds.0, creds.1)
                )
            ),
        ))
        .send_body(query(&[("token", token)]))
        .await;
    let mut res = res.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    serde_json::from_slice(&res.body().await.unwrap()).unwrap()
}

async fn resource_server(app: &TestApp) -> String {
    app.create_client(&[
        "--name",
        "Orders API",
        "--id",
        "orders-api",
        "--grant-type",
        "client_credentials",
        "--audience",
        "https://orders.example",
        "--introspect",
    ])
    .await["client_secret"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = f() {
            return v;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out");
}

#[actix_web::test]
async fn rp_initiated_logout_ends_the_session_everywhere() {
    let s = setup().await;
    let (bc_url, received) = backchannel_receiver(Arc::new(Mutex::new(200))).await;
    rp_client(&s, &bc_url).await;
    let rs_secret = resource_server(&s.app).await;
    let mut signed = sign_in(&s).await;
    assert_eq!(
        introspect(&s.app, &signed.access, ("orders-api", &rs_secret)).await["active"],
        true
    );

    let url = format!(
        "/logout?{}",
        query(&[
            ("id_token_hint", &signed.id_token),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "bye")
        ])
    );
    let page = signed.browser.get(&url).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location(), format!("{POST_LOGOUT}?state=bye"));

    // The session is gone: prompt=none now fails.
    let url = spa_request(&[("prompt", "none")]).replace("client_id=spa", "client_id=rp");
    let page = signed.browser.get(&url).await;
    assert_eq!(page.callback()["error"], "login_required");

    // Tokens of the session stop working: introspection, UserInfo, refresh.
    assert_eq!(
        introspect(&s.app, &signed.access, ("orders-api", &rs_secret)).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(userinfo(&s.app, &signed.access).await.0, 401);
    let res = s
        .app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &signed.refresh),
                ("client_id", "rp"),
            ],
            None,
        )
        .await;
    assert_eq!(res.body["error"], "invalid_grant");

    // The back-channel endpoint got a valid logout token (§1.5).
    let token = wait_for(|| received.lock().unwrap().first().cloned()).await;
    let (header, claims) = decode(&s.app, &token).await;
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    assert_eq!(claims["iss"], s.app.state.settings.issuer);
    assert_eq!(claims["aud"], "rp");
    assert_eq!(claims["sub"], signed.id_claims["sub"]);
    assert_eq!(claims["sid"], signed.id_claims["sid"]);
    assert!(claims["jti"].as_str().is_some());
    assert!(claims.get("nonce").is_none());
    let events = claims["events"].as_object().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events["http://schemas.openid.net/event/backchannel-logout"],
        serde_json::json!({})
    );
    let iat = claims["iat"].as_i64().unwrap();
    assert!(claims["exp"].as_i64().unwrap() > iat);
}

#[actix_web::test]
async fn doubtful_logout_requests_never_redirect() {
    let s = setup().await;
    let (bc_url, _) = backchannel_receiver(Arc::new(Mutex::new(200))).await;
    rp_client(&s, &bc_url).await;
    let mut signed = sign_in(&s).await;
    let hint = signed.id_token.clone();
    let b64 =
        |v: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
    let parts: Vec<&str> = hint.split('.').collect();
    let unsigned = format!("{}.{}.", b64(r#"{"alg":"none"}"#), parts[1]);
    let foreign = {
        let pair = josekit::jws::RS256.generate_key_pair(2048).unwrap();
        let signer = josekit::jws::RS256
            .signer_from_der(pair.to_der_private_key())
            .unwrap();
        let payload =
            josekit::jwt::JwtPayload::from_map(signed.id_claims.as_object().unwrap().clone())
                .unwrap();
        josekit::jwt::encode_with_signer(&payload, &josekit::jws::JwsHeader::new(), &signer)
            .unwrap()
    };
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("id_token_hint", &hint),
            (
                "post_logout_redirect_uri",
                "https://rp.example/bad_post_logout_redirect_uri",
            ),
            ("state", "s"),
        ],
        vec![
            ("id_token_hint", &unsigned),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "s"),
        ],
        vec![
            ("id_token_hint", &foreign),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "s"),
        ],
        vec![("post_logout_redirect_uri", POST_LOGOUT), ("state", "s")],
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
        let page = signed
            .browser
            .get(&format!("/logout?{}", query(&params)))
            .await;
        assert!(
            page.header("location").is_none(),
            "{params:?} must not redirect"
        );
        assert_eq!(page.status, 400, "{params:?}");
    }
    // Still signed in after all of those.
    let url = spa_request(&[("prompt", "none")]).replace("client_id=spa", "client_id=rp");
    assert!(
        signed
            .browser
            .get(&url)
            .await
            .callback()
            .contains_key("code")
    );

    // Only state (or nothing): a confirmation, then the signed-out page.
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
    assert_eq!(
        signed.browser.get(&url).await.callback()["error"],
        "login_required"
    );

    // Valid hint without a redirect URI: signed-out page; without state: no state added.
    let mut again = sign_in(&s).await;
    let page = again
        .browser
        .get(&format!(
            "/logout?{}",
            query(&[("id_token_hint", &again.id_token), ("state", "x")])
        ))
        .await;
    assert!(page.body.contains("You are signed out"));
    let mut third = sign_in(&s).await;
    let page = third
        .browser
        .get(&format!(
            "/logout?{}",
            query(&[
                ("id_token_hint", &third.id_token),
                ("post_logout_redirect_uri", POST_LOGOUT)
            ])
        ))
        .await;
    assert_eq!(page.location(), POST_LOGOUT);
}

#[actix_web::test]
async fn operators_can_list_and_end_sessions_and_disabling_a_user_logs_them_out_everywhere() {
    let s = setup().await;
    let (bc_url, received) = backchannel_receiver(Arc::new(Mutex::new(200))).await;
    rp_client(&s, &bc_url).await;
    let first = sign_in(&s).await;
    let second = sign_in(&s).await;

    let listed = s
        .app
        .cli()
        .run(&["session", "list", "--user", "alice", "--json"])
        .ok()
        .json();
    let sids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids.len(), 2);
    assert!(sids.contains(&first.id_claims["sid"].as_str().unwrap()));

    // Ending one session from the CLI: its client hears about it through the running server.
    let sid = first.id_claims["sid"].as_str().unwrap();
    s.app.cli().run(&["session", "revoke", sid]).ok();
    let token = wait_for(|| received.lock().unwrap().first().cloned()).await;
    assert_eq!(decode(&s.app, &token).await.1["sid"], sid);
    let out = s.app.cli().run(&["session", "revoke", sid]);
    assert_ne!(out.status, 0, "already ended");

    // Disabling the user ends the other session too, and its refresh token dies.
    s.app.cli().run(&["user", "disable", "alice"]).ok();
    wait_for(|| (received.lock().unwrap().len() >= 2).then_some(())).await;
    let res = s
        .app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &second.refresh),
                ("client_id", "rp"),
            ],
            None,
        )
        .await;
    assert_eq!(res.body["error"], "invalid_grant");
    let listed = s
        .app
        .cli()
        .run(&["session", "list", "--user", "alice", "--json"])
        .ok()
        .json();
    assert_eq!(listed, serde_json::json!([]));
}
