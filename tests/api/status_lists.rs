//! Token Status Lists (issue 14): every access token points at a bit; `/revoke`, ending
//! the session and deleting the client set it; lists expire whole; two instances never
//! hand out one index twice; and an independent implementation of the draft reads it.

use std::collections::HashSet;
use std::io::Read;
use std::sync::Arc;

use base64::Engine;
use portcullis::clock::{ManualClock, SystemClock};
use serde_json::Value;

use crate::helpers::internals::{Secret, SweepPolicy, new_kek, sweep};
use crate::helpers::stubs::free_port;
use crate::helpers::{
    Client, SPA_CB, T0, TestApp, TestDb, decode, sign_in_public, skip_unless_required, spa_request,
    spawn_app, spawn_app_with, spawn_flow_app, wait_until,
};

const CC: (&str, &str) = ("grant_type", "client_credentials");

async fn service(app: &TestApp, id: &str) -> Client {
    app.client(id)
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .create()
        .await
}

/// The `(uri, idx)` a token points at.
async fn status_of(app: &TestApp, token: &str) -> (String, i64) {
    let claims = decode(app, token).await.1;
    let list = &claims["status"]["status_list"];
    (
        list["uri"].as_str().expect("status_list.uri").to_string(),
        list["idx"].as_i64().expect("status_list.idx"),
    )
}

/// The bit at `idx` of the list at `uri`, read from the signed list (checked: typ, sub).
async fn bit(app: &TestApp, uri: &str, idx: i64) -> bool {
    let path = uri.strip_prefix(&app.state.settings.issuer).unwrap();
    let res = app.get(path).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("content-type"),
        Some("application/statuslist+jwt")
    );
    let (header, claims) = decode(app, &res.text()).await;
    assert_eq!(header.typ.as_deref(), Some("statuslist+jwt"));
    assert_eq!(claims["sub"], uri);
    assert_eq!(claims["status_list"]["bits"], 1);
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims["status_list"]["lst"].as_str().unwrap())
        .unwrap();
    let mut bytes = Vec::new();
    flate2::read::ZlibDecoder::new(&raw[..])
        .read_to_end(&mut bytes)
        .unwrap();
    bytes[(idx / 8) as usize] & (1 << (idx % 8)) != 0
}

/// Waits for the list (re-signed at most once a second) to show the bit set.
async fn becomes_invalid(app: &TestApp, uri: &str, idx: i64) {
    wait_until("the status list shows the token revoked", || async {
        bit(app, uri, idx).await
    })
    .await;
}

#[actix_web::test]
async fn every_access_token_points_at_a_signed_list_and_revoking_it_sets_its_bit() {
    let app = spawn_app().await;
    let svc = service(&app, "svc").await;
    let a = app.token(&[CC], svc.basic()).await.token().to_string();
    let b = app.token(&[CC], svc.basic()).await.token().to_string();
    let (uri, ia) = status_of(&app, &a).await;
    let (uri_b, ib) = status_of(&app, &b).await;
    assert_eq!(uri, uri_b, "one block of one list");
    assert_ne!(ia, ib);
    assert!(uri.starts_with(&format!("{}/statuslists/", app.state.settings.issuer)));
    assert!(!bit(&app, &uri, ia).await && !bit(&app, &uri, ib).await);

    app.revoke(&[("token", &a)], svc.basic()).await;
    becomes_invalid(&app, &uri, ia).await;
    assert!(!bit(&app, &uri, ib).await, "only the revoked token");

    // Cacheable: the same list again is a 304 for its ETag.
    let path = uri.strip_prefix(&app.state.settings.issuer).unwrap();
    let res = app.get(path).await;
    let etag = res.header("etag").unwrap().to_string();
    let again = app
        .http
        .get(app.url(path))
        .insert_header(("If-None-Match", etag))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert!(res.header("cache-control").unwrap().contains("max-age="));
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));

    // Discovery names the aggregation endpoint, which lists this list.
    let meta = app.get("/.well-known/openid-configuration").await.body;
    let aggregation = meta["status_list_aggregation_endpoint"].as_str().unwrap();
    let lists = app
        .get(
            aggregation
                .strip_prefix(&app.state.settings.issuer)
                .unwrap(),
        )
        .await
        .body;
    assert!(
        lists["status_lists"]
            .as_array()
            .unwrap()
            .contains(&Value::from(uri.as_str()))
    );
}

#[actix_web::test]
async fn unknown_lists_are_404_problems_and_only_the_jwt_form_is_served() {
    let app = spawn_app().await;
    let res = app.get("/statuslists/no-such-list").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let svc = service(&app, "svc").await;
    let token = app.token(&[CC], svc.basic()).await.token().to_string();
    let (uri, _) = status_of(&app, &token).await;
    let path = uri.strip_prefix(&app.state.settings.issuer).unwrap();
    let cwt = app
        .http
        .get(app.url(path))
        .insert_header(("Accept", "application/statuslist+cwt"))
        .send()
        .await
        .unwrap();
    assert_eq!(cwt.status().as_u16(), 406);
}

#[actix_web::test]
async fn ending_a_session_sets_the_bits_of_every_token_of_it() {
    let s = spawn_flow_app().await;
    let app = &s.app;
    let mut browser = app.browser();
    let tokens = sign_in_public(&mut browser, app, &spa_request(&[]), "spa", SPA_CB).await;
    let refreshed = app.refresh(&tokens.refresh, "spa").await;
    let second = refreshed.body["access_token"].as_str().unwrap().to_string();
    let first = status_of(app, &tokens.access).await;
    let then = status_of(app, &second).await;
    assert!(!bit(app, &first.0, first.1).await && !bit(app, &then.0, then.1).await);

    let page = browser
        .logout(&[("id_token_hint", tokens.id_token.as_str())])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    becomes_invalid(app, &first.0, first.1).await;
    becomes_invalid(app, &then.0, then.1).await;
}

#[actix_web::test]
async fn deleting_a_client_sets_the_bits_of_its_tokens_and_no_others() {
    let app = spawn_app().await;
    let doomed = service(&app, "doomed").await;
    let other = service(&app, "other").await;
    let a = app.token(&[CC], doomed.basic()).await.token().to_string();
    let b = app.token(&[CC], other.basic()).await.token().to_string();
    let (ua, ia) = status_of(&app, &a).await;
    let (ub, ib) = status_of(&app, &b).await;
    app.delete_client("doomed");
    becomes_invalid(&app, &ua, ia).await;
    assert!(!bit(&app, &ub, ib).await);
}

#[actix_web::test]
async fn a_list_whose_tokens_have_all_expired_is_swept_and_answers_404() {
    let db = TestDb::sqlite();
    let settings = db.settings();
    let clock = Arc::new(ManualClock::at(T0));
    let app = spawn_app_with(db, settings, clock.clone()).await;
    let svc = service(&app, "svc").await;
    let token = app.token(&[CC], svc.basic()).await.token().to_string();
    let (uri, idx) = status_of(&app, &token).await;
    app.revoke(&[("token", &token)], svc.basic()).await;
    assert!(bit(&app, &uri, idx).await);

    // Past every block's last use and every token's life.
    clock.advance(3600 + 600 + 60 + 1);
    sweep(
        &app.state.store,
        &*clock,
        SweepPolicy::from(&app.state.settings),
    )
    .await
    .unwrap();
    let path = uri.strip_prefix(&app.state.settings.issuer).unwrap();
    assert_eq!(app.get(path).await.status, 404);
    let lists = app.get("/statuslists").await.body;
    assert_eq!(lists["status_lists"], Value::Array(Vec::new()));
    for table in [
        "status_lists",
        "status_blocks",
        "status_ranges",
        "token_statuses",
    ] {
        assert_eq!(app.db.count(table), 0, "{table}");
    }
}

#[actix_web::test]
async fn two_instances_allocating_at_once_never_hand_out_the_same_index() {
    let Some(first) = TestDb::postgres(
        "status_lists::two_instances_allocating_at_once_never_hand_out_the_same_index",
    ) else {
        return;
    };
    let kek = new_kek();
    let mut apps = Vec::new();
    for db in [first.another_instance(), first] {
        let mut settings = db.settings();
        settings.keys.encryption_key = Some(Secret::new(kek.clone()));
        apps.push(spawn_app_with(db, settings, Arc::new(SystemClock)).await);
    }
    let mut clients = Vec::new();
    for i in 0..3 {
        clients.push(service(&apps[0], &format!("svc{i}")).await);
    }
    wait_until("the second instance knows the clients", || async {
        apps[1].token(&[CC], clients[2].basic()).await.status == 200
    })
    .await;
    // 4 connections per client per instance, 25 tokens each, all at once.
    let mut tasks = Vec::new();
    for app in &apps {
        for c in &clients {
            for _ in 0..4 {
                let (url, id, secret) = (app.url("/token"), c.id.clone(), c.secret().to_string());
                tasks.push(actix_web::rt::spawn(async move {
                    let http = awc::Client::default();
                    let mut tokens = Vec::new();
                    for _ in 0..25 {
                        let mut res = http
                            .post(&url)
                            .basic_auth(&id, &secret)
                            .send_form(&[CC])
                            .await
                            .unwrap();
                        let body: Value = res.json().await.unwrap();
                        tokens.push(body["access_token"].as_str().unwrap().to_string());
                    }
                    tokens
                }));
            }
        }
    }
    let mut all = Vec::new();
    for t in tasks {
        for token in t.await.unwrap() {
            all.push(status_of(&apps[0], &token).await);
        }
    }
    let unique: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 600);
    assert_eq!(unique.len(), all.len(), "an index was handed out twice");
}

#[actix_web::test]
async fn an_independent_implementation_of_the_draft_reads_a_tokens_status() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/statuslist");
    let ready = std::path::Path::new(&format!("{dir}/node_modules/@sd-jwt/jwt-status-list"))
        .exists()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ready {
        skip_unless_required(
            "status_lists::an_independent_implementation_of_the_draft_reads_a_tokens_status",
            "node or tests/interop/statuslist/node_modules missing (npm ci --prefix tests/interop/statuslist)",
        );
        return;
    }
    // The list URI must be reachable: the issuer is this server's own address.
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    let port = free_port();
    settings.bind = format!("127.0.0.1:{port}").parse().unwrap();
    settings.issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(db, settings, Arc::new(SystemClock)).await;
    let svc = service(&app, "svc").await;
    let token = app.token(&[CC], svc.basic()).await.token().to_string();
    let jwks = app.url("/.well-known/jwks.json");
    let check = |token: String, jwks: String| async move {
        // Off the test's thread: the server answering node's requests runs on it.
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("node")
                .arg(format!("{dir}/check-status.mjs"))
                .arg(token)
                .arg(jwks)
                .output()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let before = check(token.clone(), jwks.clone()).await;
    assert_eq!(before["status"], 0, "VALID: {before}");
    app.revoke(&[("token", &token)], svc.basic()).await;
    wait_until("the independent check sees INVALID", || async {
        check(token.clone(), jwks.clone()).await["status"] == 1
    })
    .await;
}
