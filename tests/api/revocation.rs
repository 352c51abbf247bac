//! RFC 7009 revocation, RFC 7662 introspection, and the revocation feed.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, spawn_app_with};

const CC: (&str, &str) = ("grant_type", "client_credentials");

async fn app_with_clients() -> (TestApp, ManualClock, String, String, String) {
    let db = TestDb::sqlite();
    let settings = db.settings();
    let clock = ManualClock::at(1_900_000_000);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    let mk = |id: &'static str, extra: &'static [&'static str]| {
        let app = &app;
        async move {
            let mut args = vec![
                "--name",
                id,
                "--id",
                id,
                "--grant-type",
                "client_credentials",
                "--audience",
                "https://api.example",
            ];
            args.extend_from_slice(extra);
            app.create_client(&args).await["client_secret"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let a = mk("svc-a", &[]).await;
    let b = mk("svc-b", &[]).await;
    let rs = mk("rs", &["--introspect"]).await;
    (app, clock, a, b, rs)
}

async fn post(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    creds: Option<(&str, &str)>,
) -> (u16, Value) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = app
        .http
        .post(app.url(path))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"));
    if let Some((id, secret)) = creds {
        let b = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{id}:{secret}"),
        );
        req = req.insert_header(("Authorization", format!("Basic {b}")));
    }
    let mut res = req.send_body(body).await.unwrap();
    assert_eq!(
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{path}"
    );
    let bytes = res.body().await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[actix_web::test]
async fn revoking_an_access_token_makes_it_inactive_and_feeds_resource_servers() {
    let (app, clock, a, b, rs) = app_with_clients().await;
    let token = app
        .token(&[CC], Some(("svc-a", &a)))
        .await
        .token()
        .to_string();

    // Introspection: the resource server with the permission sees it; another client not.
    let (_, info) = post(&app, "/introspect", &[("token", &token)], Some(("rs", &rs))).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], "svc-a");
    assert_eq!(info["scope"], Value::Null);
    assert_eq!(info["token_type"], "Bearer");
    for member in ["exp", "iat", "sub", "aud", "iss", "jti"] {
        assert!(info.get(member).is_some(), "{member}");
    }
    let (_, foreign) = post(
        &app,
        "/introspect",
        &[("token", &token)],
        Some(("svc-b", &b)),
    )
    .await;
    assert_eq!(foreign, json!({ "active": false }));
    let (_, own) = post(
        &app,
        "/introspect",
        &[("token", &token)],
        Some(("svc-a", &a)),
    )
    .await;
    assert_eq!(own["active"], true);
    let (status, _) = post(&app, "/introspect", &[("token", &token)], None).await;
    assert_eq!(status, 401, "callers authenticate");
    let (status, body) = post(
        &app,
        "/introspect",
        &[("token", &token), ("client_id", "svc-a")],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "not with auth method none"
    );

    // Another client cannot revoke it (200 all the same, RFC 7009 §2.2).
    let (status, _) = post(&app, "/revoke", &[("token", &token)], Some(("svc-b", &b))).await;
    assert_eq!(status, 200);
    assert_eq!(
        post(&app, "/introspect", &[("token", &token)], Some(("rs", &rs)))
            .await
            .1["active"],
        true
    );

    let feed_before = app.get_bytes("/revocations").await;
    let (status, _) = post(
        &app,
        "/revoke",
        &[("token", &token), ("token_type_hint", "access_token")],
        Some(("svc-a", &a)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        post(&app, "/introspect", &[("token", &token)], Some(("rs", &rs)))
            .await
            .1,
        json!({ "active": false })
    );

    // The feed lists the jti, signed with our keys.
    let feed = app.get_bytes("/revocations").await;
    assert_ne!(feed, feed_before);
    let (header, claims) =
        crate::authorize_flow::decode(&app, std::str::from_utf8(&feed).unwrap()).await;
    assert_eq!(header.typ.as_deref(), Some("revocation-list+jwt"));
    let jti = crate::authorize_flow::decode(&app, &token).await.1["jti"].clone();
    assert!(
        claims["jtis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["jti"] == jti)
    );
    assert!(claims["version"].as_i64().unwrap() > 0);

    // Unknown and malformed tokens: 200, nothing revealed.
    assert_eq!(
        post(
            &app,
            "/revoke",
            &[("token", "nonsense")],
            Some(("svc-a", &a))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(&app, "/revoke", &[], Some(("svc-a", &a))).await.1["error"],
        "invalid_request"
    );
    assert_eq!(
        post(
            &app,
            "/introspect",
            &[("token", "nonsense")],
            Some(("rs", &rs))
        )
        .await
        .1,
        json!({ "active": false })
    );

    // Expired tokens are inactive.
    let fresh = app
        .token(&[CC], Some(("svc-a", &a)))
        .await
        .token()
        .to_string();
    clock.advance(601);
    assert_eq!(
        post(&app, "/introspect", &[("token", &fresh)], Some(("rs", &rs)))
            .await
            .1,
        json!({ "active": false })
    );
}

#[actix_web::test]
async fn the_feed_supports_etags_and_streams_each_revocation() {
    let (app, _clock, a, _b, _rs) = app_with_clients().await;
    let mut res = app.http.get(app.url("/revocations")).send().await.unwrap();
    let etag = res
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let _ = res.body().await;
    let res = app
        .http
        .get(app.url("/revocations"))
        .insert_header(("If-None-Match", etag.as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 304);

    // Open the stream, revoke, and read the pushed document.
    let mut stream = app
        .http
        .get(app.url("/revocations/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stream.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let first = next_event(&mut stream).await;
    assert!(first.contains("event: revocations"));
    let token = app
        .token(&[CC], Some(("svc-a", &a)))
        .await
        .token()
        .to_string();
    let jti = crate::authorize_flow::decode(&app, &token).await.1["jti"]
        .as_str()
        .unwrap()
        .to_string();
    let started = std::time::Instant::now();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", &token)
        .finish();
    let b = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("svc-a:{a}"),
    );
    let _ = app
        .http
        .post(app.url("/revoke"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header(("Authorization", format!("Basic {b}")))
        .send_body(body)
        .await
        .unwrap();
    let pushed = next_event(&mut stream).await;
    let data = pushed
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap();
    let claims = crate::authorize_flow::decode(&app, data).await.1;
    assert!(
        claims["jtis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["jti"] == jti.as_str())
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

async fn next_event<S>(stream: &mut awc::ClientResponse<S>) -> String
where
    S: futures_core::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    use futures_core::Stream;
    use std::future::poll_fn;
    use std::pin::Pin;
    let mut buf = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !buf.contains("\n\n") {
        assert!(std::time::Instant::now() < deadline, "no event arrived");
        let chunk = actix_web::rt::time::timeout(
            std::time::Duration::from_secs(5),
            poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)),
        )
        .await
        .expect("event in time")
        .expect("stream open")
        .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if buf.starts_with(": keep-alive") {
            buf.clear();
        }
    }
    buf
}

#[actix_web::test]
async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens() {
    let s = crate::authorize_flow::setup().await;
    let mut b = crate::browser::Browser::new(&s.app);
    let cb = crate::authorize_flow::sign_in_and_consent(
        &mut b,
        &crate::authorize_flow::spa_request(&[]),
    )
    .await;
    let res = crate::authorize_flow::redeem_spa(&s.app, &cb["code"]).await;
    let access = res.body["access_token"].as_str().unwrap().to_string();
    let refresh = res.body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        crate::authorize_flow::userinfo(&s.app, &access).await.0,
        200
    );
    // A public client revokes with its client_id (auth method none).
    let (status, _) = post(
        &s.app,
        "/revoke",
        &[("token", &refresh), ("client_id", "spa")],
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        crate::authorize_flow::userinfo(&s.app, &access).await.0,
        401,
        "access token from the family is revoked"
    );
    let res = s
        .app
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
