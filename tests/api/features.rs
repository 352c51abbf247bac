//! `[features]`: a capability that is off registers no route (404, like any unknown path)
//! and is not advertised in discovery; the others are untouched.

use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis::config::Features;

use crate::helpers::{ServerProcess, TestApp, TestDb, spawn_app_with};

async fn app_with(features: Features) -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.features = features;
    spawn_app_with(db, settings, Arc::new(SystemClock)).await
}

async fn discovery(app: &TestApp) -> serde_json::Value {
    let doc = app.openid_configuration().await;
    assert_eq!(doc.status, 200);
    doc.body.clone()
}

#[actix_web::test]
async fn with_the_revocation_feed_off_its_paths_are_404_and_discovery_omits_them() {
    let app = app_with(Features {
        revocation_feed: false,
        ..Features::default()
    })
    .await;
    assert_eq!(app.status_of("/revocations").await, 404);
    assert_eq!(app.status_of("/revocations/stream").await, 404);
    let doc = discovery(&app).await;
    assert!(doc.get("portcullis_revocation_feed_endpoint").is_none());
    assert!(doc.get("portcullis_revocation_stream_endpoint").is_none());
    assert!(doc["introspection_endpoint"].is_string(), "the rest stays");
}

#[actix_web::test]
async fn with_introspection_off_the_endpoint_is_404_even_for_an_authenticated_client() {
    let app = app_with(Features {
        introspection: false,
        ..Features::default()
    })
    .await;
    let rs = app
        .client("rs")
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .introspect()
        .create()
        .await;
    let res = app
        .post_form("/introspect", &[("token", "x")], rs.basic())
        .await;
    assert_eq!(res.status, 404);
    let doc = discovery(&app).await;
    assert!(doc.get("introspection_endpoint").is_none());
    assert!(
        doc.get("introspection_endpoint_auth_methods_supported")
            .is_none()
    );
    assert!(doc["portcullis_revocation_feed_endpoint"].is_string());
    assert_eq!(app.status_of("/revocations").await, 200);
}

#[actix_web::test]
async fn features_are_on_by_default_and_advertised() {
    let app = app_with(Features::default()).await;
    let doc = discovery(&app).await;
    for member in [
        "introspection_endpoint",
        "portcullis_revocation_feed_endpoint",
        "portcullis_revocation_stream_endpoint",
    ] {
        assert!(doc[member].is_string(), "{member}");
    }
    assert_eq!(app.status_of("/revocations").await, 200);
}

#[actix_web::test]
async fn the_environment_switches_features_off_for_the_real_binary() {
    let db = TestDb::sqlite();
    let cli = db
        .cli()
        .env("PORTCULLIS_FEATURES__REVOCATION_FEED", "false")
        .env("PORTCULLIS_FEATURES__INTROSPECTION", "false");
    cli.migrate();
    let server = ServerProcess::start(cli, &["serve"]);
    let http = awc::Client::default();
    let get = |path: &str| http.get(server.url(path)).send();
    assert_eq!(get("/revocations").await.unwrap().status().as_u16(), 404);
    assert_eq!(
        get("/revocations/stream").await.unwrap().status().as_u16(),
        404
    );
    assert_eq!(get("/healthz").await.unwrap().status().as_u16(), 200);
    let introspect = http
        .post(server.url("/introspect"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body("token=x")
        .await
        .unwrap();
    assert_eq!(introspect.status().as_u16(), 404);
    let doc: serde_json::Value = get("/.well-known/openid-configuration")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc.get("introspection_endpoint").is_none());
    assert!(doc.get("portcullis_revocation_feed_endpoint").is_none());
    assert!(doc["token_endpoint"].is_string());
    assert_eq!(server.stop().status, 0);
}

#[actix_web::test]
async fn with_forward_auth_off_its_endpoints_are_404() {
    let app = app_with(Features {
        forward_auth: false,
        ..Features::default()
    })
    .await;
    assert_eq!(app.status_of("/forward-auth").await, 404);
    assert_eq!(app.status_of("/ext-authz/api/x").await, 404);
    let on = app_with(Features::default()).await;
    assert_eq!(on.status_of("/forward-auth").await, 401, "on by default");
}

#[actix_web::test]
async fn with_token_exchange_off_the_grant_is_unsupported_and_discovery_omits_it() {
    let app = app_with(Features {
        token_exchange: false,
        ..Features::default()
    })
    .await;
    let svc = app
        .client("svc")
        .confidential()
        .grant("client_credentials")
        .grant("urn:ietf:params:oauth:grant-type:token-exchange")
        .args_also(&["--exchange-audience", "https://b.example"])
        .create()
        .await;
    app.token(
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", "x"),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
        ],
        svc.basic(),
    )
    .await
    .assert_oauth_error(400, "unsupported_grant_type");
    let doc = discovery(&app).await;
    assert!(
        !doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g.as_str().is_some_and(|g| g.ends_with("token-exchange")))
    );
}

#[actix_web::test]
async fn with_device_authorization_off_its_endpoints_are_404_and_the_grant_is_unsupported() {
    let app = app_with(Features {
        device_authorization: false,
        ..Features::default()
    })
    .await;
    assert_eq!(app.status_of("/device").await, 404);
    let res = app
        .post_form("/device_authorization", &[("client_id", "tv")], None)
        .await;
    assert_eq!(res.status, 404);
    app.token(
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", "x"),
            ("client_id", "tv"),
        ],
        None,
    )
    .await
    .assert_oauth_error(400, "unsupported_grant_type");
    let doc = discovery(&app).await;
    assert!(doc.get("device_authorization_endpoint").is_none());
}

#[actix_web::test]
async fn with_the_admin_api_and_console_off_their_paths_are_404_and_the_rest_stays() {
    let app = app_with(Features {
        admin_api: false,
        admin_console: false,
        ..Features::default()
    })
    .await;
    assert_eq!(app.status_of("/admin/api/v1/clients").await, 404);
    assert_eq!(app.status_of("/admin/api/openapi.json").await, 404);
    assert_eq!(app.status_of("/admin").await, 404);
    assert_eq!(app.status_of("/admin/clients").await, 404);
    assert_eq!(
        app.status_of("/.well-known/openid-configuration").await,
        200
    );

    // Each switch is its own: the console without the API, and the API without the console.
    let console_only = app_with(Features {
        admin_api: false,
        ..Features::default()
    })
    .await;
    assert_eq!(console_only.status_of("/admin/api/openapi.json").await, 404);
    assert_eq!(
        console_only
            .send_with("GET", "/admin/clients", &[])
            .await
            .status,
        303,
        "sign in first"
    );
    let api_only = app_with(Features {
        admin_console: false,
        ..Features::default()
    })
    .await;
    assert_eq!(api_only.status_of("/admin/api/openapi.json").await, 200);
    assert_eq!(api_only.status_of("/admin/clients").await, 404);
}
