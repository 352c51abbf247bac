//! Pushed authorization requests (RFC 9126): push, single use, expiry, the pushed
//! parameters only, and clients (or servers) that require pushing.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use serde_json::json;

use crate::helpers::flow::{WEB_CB, authorize_path, query, sign_in_and_consent, spawn_flow_app};
use crate::helpers::{Client, Response, T0, TestApp, TestDb, spawn_app_with};

/// The web client's request, pushed, with `changes` replacing or adding parameters.
async fn push(app: &TestApp, web: &Client, changes: &[(&str, &str)]) -> Response {
    let mut pairs = vec![
        ("response_type", "code"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid email"),
        ("state", "pushed-state"),
        ("nonce", "pushed-nonce"),
    ];
    for (name, value) in changes {
        pairs.retain(|(n, _)| n != name);
        pairs.push((name, value));
    }
    app.token_endpoint_like("/par", &pairs, web.basic()).await
}

fn by_reference(request_uri: &str) -> String {
    authorize_path(&[("client_id", "web"), ("request_uri", request_uri)])
}

#[actix_web::test]
async fn a_pushed_request_is_answered_with_a_single_use_request_uri() {
    let f = spawn_flow_app().await;
    let app = &f.app;
    let res = push(app, &f.web, &[]).await;
    assert_eq!(res.status, 201, "{}", res.body);
    res.assert_no_store("PAR");
    assert_eq!(res.body["expires_in"], 60);
    let uri = res.body["request_uri"].as_str().unwrap().to_string();
    assert!(
        uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{uri}"
    );

    let mut b = app.browser();
    let cb = sign_in_and_consent(&mut b, &by_reference(&uri)).await;
    assert_eq!(cb["state"], "pushed-state");
    let tokens = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &cb["code"]),
                ("redirect_uri", WEB_CB),
            ],
            f.web.basic(),
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let id_token =
        crate::helpers::jwt::unverified_claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(id_token["nonce"], "pushed-nonce");

    // Used up: the same request_uri again is our page, not a second code.
    let again = b.get(&by_reference(&uri)).await;
    assert_eq!(again.status, 400);
    assert!(
        again.body.contains("expired or was already used"),
        "{}",
        again.body
    );
}

#[actix_web::test]
async fn only_the_pushed_parameters_count() {
    let f = spawn_flow_app().await;
    let app = &f.app;
    let uri = push(app, &f.web, &[]).await.body["request_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!(
        "/authorize?{}",
        query(&[
            ("client_id", "web"),
            ("request_uri", &uri),
            ("state", "from-the-url"),
            ("redirect_uri", "https://web.example/other"),
            ("scope", "openid profile"),
        ])
    );
    let mut b = app.browser();
    let cb = sign_in_and_consent(&mut b, &path).await;
    assert_eq!(cb["state"], "pushed-state");
}

#[actix_web::test]
async fn a_pushed_request_expires() {
    let f = spawn_flow_app().await;
    let app = &f.app;
    let uri = push(app, &f.web, &[]).await.body["request_uri"]
        .as_str()
        .unwrap()
        .to_string();
    f.clock.advance(61);
    let page = app.browser().get(&by_reference(&uri)).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("expired"), "{}", page.body);
    // Another client cannot use it either (it names web's request).
    let uri = push(app, &f.web, &[]).await.body["request_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let other = authorize_path(&[("client_id", "spa"), ("request_uri", &uri)]);
    assert_eq!(app.browser().get(&other).await.status, 400);
}

#[actix_web::test]
async fn a_push_is_validated_like_an_authorization_request_and_authenticated() {
    let f = spawn_flow_app().await;
    let app = &f.app;
    push(app, &f.web, &[("redirect_uri", "https://evil.example/cb")])
        .await
        .assert_oauth_error(400, "invalid_request");
    push(
        app,
        &f.web,
        &[("request_uri", "urn:ietf:params:oauth:request_uri:x")],
    )
    .await
    .assert_oauth_error(400, "invalid_request");
    push(app, &f.web, &[("scope", "nothing-allowed")])
        .await
        .assert_oauth_error(400, "invalid_scope");
    let res = app
        .token_endpoint_like("/par", &[("response_type", "code")], Some(("web", "wrong")))
        .await;
    res.assert_oauth_error(401, "invalid_client");
}

#[actix_web::test]
async fn clients_that_must_push_are_refused_a_plain_request() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.par.required = true;
    let app = spawn_app_with(db, settings, Arc::new(ManualClock::at(T0))).await;
    let doc = app.openid_configuration().await.body;
    assert_eq!(doc["require_pushed_authorization_requests"], true);
    assert_eq!(
        doc["pushed_authorization_request_endpoint"],
        format!("{}/par", app.state.issuer())
    );
    app.client("web")
        .grant("authorization_code")
        .redirect_uri(WEB_CB)
        .create()
        .await;
    let plain = authorize_path(&[
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid"),
    ]);
    let res = app.browser().get(&plain).await;
    assert_eq!(res.status, 303);
    let cb = res.callback();
    assert_eq!(cb["error"], "invalid_request");
    assert!(cb["error_description"].contains("PAR"), "{cb:?}");
}

#[actix_web::test]
async fn a_client_registered_with_require_par_must_push() {
    let f = spawn_flow_app().await;
    let app = &f.app;
    app.client("strict")
        .grant("authorization_code")
        .redirect_uri(WEB_CB)
        .args_also(&["--require-par"])
        .create()
        .await;
    let plain = authorize_path(&[
        ("response_type", "code"),
        ("client_id", "strict"),
        ("redirect_uri", WEB_CB),
        ("scope", "openid"),
    ]);
    let res = app.browser().get(&plain).await;
    assert_eq!(res.callback()["error"], "invalid_request");
    // Other clients are unaffected.
    assert_eq!(
        app.openid_configuration().await.body["require_pushed_authorization_requests"],
        json!(false)
    );
}
