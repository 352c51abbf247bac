//! End to end: a resource server built on portcullis-guard accepts a user's access token,
//! the user signs out at Portcullis, and within a second the resource server refuses the
//! same (unexpired) token through the revocation feed — without calling Portcullis per
//! request. The client's back-channel endpoint gets its logout token, and introspection
//! says the token is inactive.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portcullis::clock::SystemClock;
use portcullis_guard::{Authenticated, Guard, GuardConfig};

use crate::authorize_flow::{PASSWORD, SPA_CB, VERIFIER, challenge, query, sign_in_and_consent};
use crate::browser::Browser;
use crate::helpers::{TestDb, spawn_app_with};
use crate::logout::backchannel_receiver;

const API: &str = "https://orders.example";

async fn orders(user: Authenticated) -> String {
    format!("orders of {}", user.0.sub)
}

#[actix_web::test]
async fn a_logout_reaches_a_guarded_resource_server_within_a_second() {
    // Portcullis with its real address as issuer, so discovery URLs resolve.
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    settings.bind = ([127, 0, 0, 1], port).into();
    settings.issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(db, settings, Arc::new(SystemClock)).await;
    let (bc_url, received) = backchannel_receiver(Arc::new(Mutex::new(200))).await;
    app.create_client(&[
        "--name",
        "Shop",
        "--id",
        "shop",
        "--public",
        "--grant-type",
        "authorization_code",
        "--redirect-uri",
        SPA_CB,
        "--post-logout-redirect-uri",
        "https://shop.example/bye",
        "--backchannel-logout-uri",
        &bc_url,
        "--audience",
        API,
    ])
    .await;
    let rs_secret = app
        .create_client(&[
            "--name",
            "Orders",
            "--id",
            "orders",
            "--grant-type",
            "client_credentials",
            "--audience",
            API,
            "--introspect",
        ])
        .await["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    app.cli()
        .run_with_stdin(
            &["user", "create", "--username", "alice", "--password-stdin"],
            PASSWORD,
        )
        .ok();

    // The user signs in to the shop.
    let mut browser = Browser::new(&app);
    let ch = challenge(VERIFIER);
    let url = format!(
        "/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", "shop"),
            ("redirect_uri", SPA_CB),
            ("scope", "openid"),
            ("state", "s"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ])
    );
    let cb = sign_in_and_consent(&mut browser, &url).await;
    let tokens = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", SPA_CB),
                ("client_id", "shop"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    let access = tokens.body["access_token"].as_str().unwrap().to_string();
    let id_token = tokens.body["id_token"].as_str().unwrap().to_string();

    // The orders service, guarded.
    let mut config = GuardConfig::new(app.state.settings.issuer.clone(), API);
    config.revocation_poll = Duration::from_millis(200);
    let guard = Guard::discover(config).await.expect("discovery");
    guard.follow_revocations();
    let guard = actix_web::web::Data::new(guard);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(guard.clone())
            .route("/orders", actix_web::web::get().to(orders))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let rs = format!("http://{}/orders", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    let call = || async {
        app.http
            .get(&rs)
            .insert_header(("Authorization", format!("Bearer {access}")))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(call().await, 200, "the resource server accepts the token");

    // RP-initiated logout.
    let page = browser
        .get(&format!(
            "/logout?{}",
            query(&[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", "https://shop.example/bye"),
                ("state", "z")
            ])
        ))
        .await;
    assert_eq!(page.status, 303);
    let logged_out = Instant::now();

    // Within one second the same, unexpired token is refused by the resource server.
    loop {
        if call().await == 401 {
            break;
        }
        assert!(
            logged_out.elapsed() < Duration::from_secs(1),
            "still accepted after a second"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let took = logged_out.elapsed();
    eprintln!(
        "resource server refused the token {} ms after logout",
        took.as_millis()
    );

    // The back-channel endpoint received the logout token.
    let mut token = None;
    for _ in 0..100 {
        token = received.lock().unwrap().first().cloned();
        if token.is_some() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, claims) = crate::authorize_flow::decode(&app, &token.expect("logout token")).await;
    assert_eq!(claims["aud"], "shop");

    // Introspection agrees.
    let b = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("orders:{rs_secret}"),
    );
    let mut res = app
        .http
        .post(app.url("/introspect"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header(("Authorization", format!("Basic {b}")))
        .send_body(query(&[("token", &access)]))
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(body, serde_json::json!({ "active": false }));
}
