//! Token exchange (RFC 8693) across three services: alice signs in to A; A exchanges her
//! token for one meant for B (naming itself in `act`); B, guarded by portcullis-guard,
//! accepts it and exchanges it again for C (nested `act`); C accepts. When alice signs
//! out, B and C refuse the exchanged tokens within the propagation bound. The refusals
//! RFC 8693 §2.2.2 asks for are checked at the real endpoint.

use std::sync::Arc;
use std::time::Duration;

use portcullis::clock::SystemClock;
use portcullis_guard::{Authenticated, Guard, GuardConfig};
use serde_json::{Value, json};

use crate::helpers::spawn_app_at_own_address;
use crate::helpers::wait::{REACHES_EVERYWHERE_WITHIN, wait_within};
use crate::helpers::{
    Browser, Client, TestApp, VERIFIER, authorize_path, challenge, sign_in_and_consent,
};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const A: &str = "https://a.example";
const B: &str = "https://b.example";
const C: &str = "https://c.example";
const CB: &str = "https://a.example/cb";

async fn whoami(user: Authenticated) -> actix_web::web::Json<Value> {
    actix_web::web::Json(json!({
        "sub": user.0.sub,
        "act": user.0.all.get("act").cloned().unwrap_or(Value::Null),
    }))
}

async fn app_at_its_own_address() -> TestApp {
    spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await
}

/// A service guarded for `audience`, following the revocation feed; its `/whoami` URL.
async fn guarded(app: &TestApp, audience: &str) -> String {
    let mut config = GuardConfig::new(app.state.settings.issuer.clone(), audience);
    config.revocation_poll = Duration::from_millis(200);
    let guard = Guard::discover(config).await.expect("discovery");
    guard.follow_revocations();
    let guard = actix_web::web::Data::new(guard);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(guard.clone())
            .route("/whoami", actix_web::web::get().to(whoami))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/whoami", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    url
}

struct Chain {
    app: TestApp,
    a: Client,
    b: Client,
    user_token: String,
    id_token: String,
}

/// Services A (signs alice in; may obtain tokens for B) and B (may obtain tokens for C),
/// and alice signed in to A.
async fn chain() -> (Chain, Browser<'static>) {
    let app = app_at_its_own_address().await;
    let a = app
        .client("svc-a")
        .grant("authorization_code")
        .grant("client_credentials")
        .grant(EXCHANGE)
        .redirect_uri(CB)
        .post_logout_redirect_uri("https://a.example/bye")
        .audience(A)
        .skip_consent()
        .args_also(&["--exchange-audience", B])
        .create()
        .await;
    let b = app
        .client("svc-b")
        .grant("client_credentials")
        .grant(EXCHANGE)
        .audience(B)
        .args_also(&["--exchange-audience", C])
        .create()
        .await;
    app.user("alice").create();
    let mut browser = Browser::at(format!("http://{}", app.address));
    let url = authorize_path(&[
        ("response_type", "code"),
        ("client_id", "svc-a"),
        ("redirect_uri", CB),
        ("scope", "openid"),
        ("state", "x"),
        ("code_challenge", &challenge(VERIFIER)),
        ("code_challenge_method", "S256"),
    ]);
    let cb = sign_in_and_consent(&mut browser, &url).await;
    let tokens = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            a.basic(),
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let chain = Chain {
        user_token: tokens.str("access_token"),
        id_token: tokens.str("id_token"),
        app,
        a,
        b,
    };
    (chain, browser)
}

/// A client's own token: its actor token.
async fn own_token(app: &TestApp, client: &Client) -> String {
    let res = app
        .token(&[("grant_type", "client_credentials")], client.basic())
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.str("access_token")
}

async fn exchange(
    app: &TestApp,
    caller: &Client,
    subject: &str,
    actor: Option<&str>,
    audience: &str,
    extra: &[(&str, &str)],
) -> crate::helpers::Response {
    let mut form = vec![
        ("grant_type", EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS),
        ("audience", audience),
    ];
    if let Some(actor) = actor {
        form.push(("actor_token", actor));
        form.push(("actor_token_type", ACCESS));
    }
    form.extend_from_slice(extra);
    app.token(&form, caller.basic()).await
}

/// Whether introspection (as `caller`) says the token is active.
async fn active(app: &TestApp, caller: &Client, token: &str) -> Value {
    app.post_form("/introspect", &[("token", token)], caller.basic())
        .await
        .body["active"]
        .clone()
}

async fn call(app: &TestApp, url: &str, token: &str) -> (u16, Value) {
    let mut res = app
        .http
        .get(url)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

#[actix_web::test]
async fn a_users_token_travels_from_a_to_b_to_c_by_exchange_and_ends_with_her_session() {
    let (chain, mut browser) = chain().await;
    let app = &chain.app;
    let (service_b, service_c) = (guarded(app, B).await, guarded(app, C).await);

    let a_self = own_token(app, &chain.a).await;
    let for_b = exchange(app, &chain.a, &chain.user_token, Some(&a_self), B, &[]).await;
    assert_eq!(for_b.status, 200, "{}", for_b.body);
    assert_eq!(for_b.body["issued_token_type"], ACCESS);
    assert!(for_b.body.get("refresh_token").is_none());
    let for_b = for_b.str("access_token");
    let (status, seen) = call(app, &service_b, &for_b).await;
    assert_eq!(status, 200);
    let alice = crate::helpers::jwt::unverified_claims(&chain.user_token)["sub"].clone();
    assert_eq!(seen["sub"], alice);
    assert_eq!(seen["act"], json!({ "sub": "svc-a" }));
    assert_eq!(
        call(app, &service_c, &for_b).await.0,
        401,
        "meant for B only"
    );

    let b_self = own_token(app, &chain.b).await;
    let for_c = exchange(app, &chain.b, &for_b, Some(&b_self), C, &[]).await;
    assert_eq!(for_c.status, 200, "{}", for_c.body);
    let for_c = for_c.str("access_token");
    let (status, seen) = call(app, &service_c, &for_c).await;
    assert_eq!(status, 200);
    assert_eq!(seen["sub"], alice);
    assert_eq!(
        seen["act"],
        json!({ "sub": "svc-b", "act": { "sub": "svc-a" } })
    );

    // alice signs out at Portcullis: both exchanged tokens stop working downstream.
    let page = browser
        .logout(&[
            ("id_token_hint", &chain.id_token),
            ("post_logout_redirect_uri", "https://a.example/bye"),
        ])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    wait_within(
        "B and C refuse the exchanged tokens",
        REACHES_EVERYWHERE_WITHIN,
        || async {
            call(app, &service_b, &for_b).await.0 == 401
                && call(app, &service_c, &for_c).await.0 == 401
        },
    )
    .await;
    // Introspection agrees, and the ended session's token can no longer be exchanged.
    let introspected = app
        .post_form("/introspect", &[("token", &for_c)], chain.b.basic())
        .await;
    assert_eq!(introspected.body["active"], false);
    let again = exchange(app, &chain.a, &chain.user_token, Some(&a_self), B, &[]).await;
    again.assert_oauth_error(400, "invalid_request");
}

#[actix_web::test]
async fn exchanges_outside_the_policy_are_refused_with_the_rfc_8693_errors() {
    let (chain, _browser) = chain().await;
    let app = &chain.app;
    let a_self = own_token(app, &chain.a).await;
    let b_self = own_token(app, &chain.b).await;
    // The subject token was meant for A, not for B.
    exchange(app, &chain.b, &chain.user_token, Some(&b_self), C, &[])
        .await
        .assert_oauth_error(400, "invalid_request");
    // Several audiences (RFC 8693 §2.1): each must be allowed; one that is not refuses all.
    exchange(
        app,
        &chain.a,
        &chain.user_token,
        Some(&a_self),
        B,
        &[("audience", C)],
    )
    .await
    .assert_oauth_error(400, "invalid_target");
    // A may not obtain tokens for C.
    exchange(app, &chain.a, &chain.user_token, Some(&a_self), C, &[])
        .await
        .assert_oauth_error(400, "invalid_target");
    // Scope may only narrow.
    exchange(
        app,
        &chain.a,
        &chain.user_token,
        Some(&a_self),
        B,
        &[("scope", "openid admin")],
    )
    .await
    .assert_oauth_error(400, "invalid_scope");
    // No actor token: impersonation, which A may not do.
    exchange(app, &chain.a, &chain.user_token, None, B, &[])
        .await
        .assert_oauth_error(400, "unauthorized_client");
    // An actor token that is not A's own.
    exchange(app, &chain.a, &chain.user_token, Some(&b_self), B, &[])
        .await
        .assert_oauth_error(400, "invalid_request");
    // Not a token of ours.
    exchange(
        app,
        &chain.a,
        "eyJhbGciOiJub25lIn0.e30.",
        Some(&a_self),
        B,
        &[],
    )
    .await
    .assert_oauth_error(400, "invalid_request");
    // A revoked subject token; what was exchanged from it is revoked with it.
    let for_b = exchange(app, &chain.a, &chain.user_token, Some(&a_self), B, &[]).await;
    let for_b = for_b.str("access_token");
    let for_c = exchange(app, &chain.b, &for_b, Some(&b_self), C, &[]).await;
    let for_c = for_c.str("access_token");
    assert_eq!(active(app, &chain.a, &for_b).await, true);
    assert_eq!(active(app, &chain.b, &for_c).await, true);
    let revoked = app
        .post_form("/revoke", &[("token", &chain.user_token)], chain.a.basic())
        .await;
    assert_eq!(revoked.status, 200);
    exchange(app, &chain.a, &chain.user_token, Some(&a_self), B, &[])
        .await
        .assert_oauth_error(400, "invalid_request");
    assert_eq!(
        active(app, &chain.b, &for_b).await,
        false,
        "B's token went with it"
    );
    assert_eq!(
        active(app, &chain.b, &for_c).await,
        false,
        "and C's, down the chain"
    );
    // Discovery names the grant.
    let doc = app.get("/.well-known/openid-configuration").await;
    assert!(
        doc.body["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(EXCHANGE))
    );
}
