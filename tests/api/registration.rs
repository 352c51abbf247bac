//! Dynamic client registration (RFC 7591) and client management (RFC 7592): initial access
//! tokens from the CLI, registration, read, update, delete; the registered client really
//! gets tokens; every refusal is spec-shaped and changes nothing. On both backends.

use std::sync::Arc;

use portcullis::clock::{Clock, ManualClock, SystemClock};
use portcullis::config::Settings;
use portcullis::store::{audit, clients};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Response, TestApp, TestDb, authorize_path, spawn_app_with};

async fn app_on(db: TestDb, adjust: impl FnOnce(&mut Settings), clock: Arc<dyn Clock>) -> TestApp {
    let mut settings = db.settings();
    settings.features.registration = true;
    adjust(&mut settings);
    spawn_app_with(db, settings, clock).await
}

async fn registration_app(db: TestDb) -> TestApp {
    app_on(db, |_| {}, Arc::new(SystemClock)).await
}

fn service() -> Value {
    json!({
        "client_name": "Billing service",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_basic",
        "contacts": ["ops@example.org"],
    })
}

fn web_app() -> Value {
    json!({
        "client_name": "Web app",
        "redirect_uris": ["https://app.example.org/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid profile offline_access",
        "logo_uri": "https://app.example.org/logo.png",
    })
}

/// Asserts an RFC 7591 §3.2.2 error: 400, the code, JSON, uncached.
fn assert_registration_error(res: &Response, code: &str) {
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(res.body["error"], code, "{}", res.body);
    assert!(
        res.body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

/// Asserts the RFC 6750 answer to a bad or missing token.
fn assert_invalid_token(res: &Response) {
    assert_eq!(res.status, 401, "{}", res.body);
    assert_eq!(res.body["error"], "invalid_token", "{}", res.body);
    assert!(
        res.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer") && h.contains("error=\"invalid_token\"")),
        "{:?}",
        res.header("www-authenticate")
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

const CB: &str = "https://app.example.org/cb";

/// Alice (created here: once per app) signs in to client `id` (consent is always asked of a self-registered client);
/// the code is redeemed with the client's secret: the token response.
async fn sign_in_through(app: &TestApp, id: &str, secret: &str) -> Response {
    app.user("alice").create();
    let url = authorize_path(&[
        ("response_type", "code"),
        ("client_id", id),
        ("redirect_uri", CB),
        ("scope", "openid profile"),
        ("state", "s-1"),
        ("nonce", "n-1"),
    ]);
    let mut b = app.browser();
    let page = b.get(&url).await;
    assert!(page.is_login(), "{}", page.body);
    let page = b.login(&page, "alice", PASSWORD).await;
    assert!(page.is_consent(), "a registered client never skips consent");
    let page = b.consent(&page, "allow").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let code = page.callback()["code"].clone();
    app.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
        Some((id, secret)),
    )
    .await
}

fn client_count(app: &TestApp) -> usize {
    clients::list(&mut app.db.conn()).unwrap().len()
}

fn audit_trail(app: &TestApp) -> Vec<(String, String)> {
    let mut rows: Vec<_> = audit::recent(&mut app.db.conn(), 100)
        .unwrap()
        .into_iter()
        .map(|e| (e.event, e.actor))
        .collect();
    rows.reverse();
    rows
}

/// One scenario on SQLite and on PostgreSQL (skipped when absent, unless required).
macro_rules! on_each_backend_async {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[actix_web::test]
            async fn on_sqlite() {
                super::$scenario($crate::helpers::TestDb::sqlite()).await;
            }

            #[actix_web::test]
            async fn on_postgres() {
                let test = concat!("registration::", stringify!($scenario), "::on_postgres");
                if let Some(db) = $crate::helpers::TestDb::postgres(test) {
                    super::$scenario(db).await;
                }
            }
        }
    )+};
}

on_each_backend_async!(
    a_client_registers_with_an_initial_access_token_and_gets_tokens,
    a_client_reads_updates_and_deletes_its_registration,
    an_initial_access_token_with_max_uses_one_registers_once,
);

async fn a_client_registers_with_an_initial_access_token_and_gets_tokens(db: TestDb) {
    let app = registration_app(db).await;
    let initial = app.cli().registration_token(&[]);

    let res = app.register(&web_app(), Some(&initial.token)).await;

    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let id = res.str("client_id");
    let secret = res.str("client_secret");
    assert!(id.len() >= 22 && secret.len() >= 43);
    assert_eq!(res.body["client_secret_expires_at"], 0);
    assert!(res.body["client_id_issued_at"].is_i64());
    assert_eq!(res.body["client_name"], "Web app");
    assert_eq!(res.body["redirect_uris"], json!([CB]));
    assert_eq!(
        res.body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(res.body["response_types"], json!(["code"]));
    assert_eq!(
        res.body["token_endpoint_auth_method"],
        "client_secret_basic"
    );
    assert_eq!(res.body["logo_uri"], "https://app.example.org/logo.png");
    assert!(res.str("registration_access_token").len() >= 43);
    assert_eq!(
        res.str("registration_client_uri"),
        format!("{}/register/{id}", app.state.issuer())
    );
    // The client works at once with the secret it was given.
    let tokens = sign_in_through(&app, &id, &secret).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert!(tokens.body["id_token"].is_string() && tokens.body["refresh_token"].is_string());
    // A service registers too; without an audience an operator grants, it gets no
    // client-credentials token (a self-registered client names no resource server).
    let svc = app.register(&service(), Some(&initial.token)).await;
    assert_eq!(svc.status, 201, "{}", svc.body);
    assert_eq!(svc.body["contacts"], json!(["ops@example.org"]));
    let cc = app
        .token(
            &[("grant_type", "client_credentials")],
            Some((&svc.str("client_id"), &svc.str("client_secret"))),
        )
        .await;
    cc.assert_oauth_error(400, "invalid_target");
    // Operators' reserves were not granted, and the registration is audited.
    let stored = clients::find(&mut app.db.conn(), &id).unwrap().unwrap();
    assert!(!stored.skip_consent && stored.permissions.is_empty());
    assert!(audit_trail(&app).contains(&(
        "client.created".to_string(),
        format!("registration:{}", initial.id)
    )));
}

async fn a_client_reads_updates_and_deletes_its_registration(db: TestDb) {
    let app = registration_app(db).await;
    let rs = app
        .client("rs")
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .introspect()
        .create()
        .await;
    let initial = app.cli().registration_token(&[]);
    let created = app.register(&web_app(), Some(&initial.token)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let (id, secret) = (created.str("client_id"), created.str("client_secret"));
    let rat = created.str("registration_access_token");
    let path = app.registration_path(&created);

    // Read (RFC 7592 §2.1): the same information, no secret or token issued again.
    let read = app
        .registration_request("GET", &path, None, Some(&rat))
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.header("cache-control"), Some("no-store"));
    assert_eq!(read.body["client_name"], "Web app");
    assert_eq!(read.body["logo_uri"], "https://app.example.org/logo.png");
    assert_eq!(read.body["client_id"], id.as_str());
    assert!(read.body.get("client_secret").is_none());
    assert!(read.body.get("registration_access_token").is_none());

    // Update (§2.2): a full replacement; omitted members go; the secret stays.
    let mut update = json!({
        "client_id": id,
        "client_secret": secret,
        "client_name": "Web app v2",
        "redirect_uris": [CB],
        "registration_access_token": "ignored",
    });
    let updated = app
        .registration_request("PUT", &path, Some(&update), Some(&rat))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["client_name"], "Web app v2");
    assert!(updated.body.get("logo_uri").is_none(), "omitted: removed");
    assert_eq!(
        updated.body["grant_types"],
        json!(["authorization_code"]),
        "omitted: defaulted"
    );
    assert!(updated.body.get("client_secret").is_none(), "not rotated");
    let tokens = sign_in_through(&app, &id, &secret).await;
    let access_token = tokens.token().to_string();
    let introspected = app
        .introspect_token(&access_token, rs.basic().unwrap())
        .await;
    assert_eq!(introspected["active"], true, "{introspected}");
    // A wrong client_secret or client_id in the body is refused and changes nothing.
    update["client_secret"] = json!("wrong");
    let refused = app
        .registration_request("PUT", &path, Some(&update), Some(&rat))
        .await;
    assert_registration_error(&refused, "invalid_client_metadata");
    update["client_secret"] = Value::Null;
    update["client_id"] = json!("other");
    let refused = app
        .registration_request("PUT", &path, Some(&update), Some(&rat))
        .await;
    assert_registration_error(&refused, "invalid_client_metadata");
    // Invalid metadata in an update is refused the same way as at registration.
    let refused = app
        .registration_request(
            "PUT",
            &path,
            Some(&json!({ "client_id": id, "grant_types": ["password"] })),
            Some(&rat),
        )
        .await;
    assert_registration_error(&refused, "invalid_client_metadata");
    let read = app
        .registration_request("GET", &path, None, Some(&rat))
        .await;
    assert_eq!(read.body["client_name"], "Web app v2");

    // A wrong registration access token, or another client's path, is 401.
    let wrong = app
        .registration_request("GET", &path, None, Some("not-the-token"))
        .await;
    assert_invalid_token(&wrong);
    let none = app.registration_request("GET", &path, None, None).await;
    assert_invalid_token(&none);
    let unknown = app
        .registration_request("GET", "/register/no-such-client", None, Some(&rat))
        .await;
    assert_invalid_token(&unknown);
    let operators = app
        .registration_request("GET", "/register/rs", None, Some(&rat))
        .await;
    assert_invalid_token(&operators);
    let wrong_delete = app
        .registration_request("DELETE", &path, None, Some("not-the-token"))
        .await;
    assert_invalid_token(&wrong_delete);

    // Delete (§2.3): 204; the client and its tokens stop working; the path is gone.
    let deleted = app
        .registration_request("DELETE", &path, None, Some(&rat))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert!(clients::find(&mut app.db.conn(), &id).unwrap().is_none());
    let refused = app
        .token(
            &[("grant_type", "client_credentials")],
            Some((&id, &secret)),
        )
        .await;
    refused.assert_oauth_error(401, "invalid_client");
    assert_eq!(app.userinfo(&access_token).await.status, 401);
    let introspected = app
        .introspect_token(&access_token, rs.basic().unwrap())
        .await;
    assert_eq!(introspected["active"], false, "{introspected}");
    let again = app
        .registration_request("GET", &path, None, Some(&rat))
        .await;
    assert_invalid_token(&again);

    let actor = format!("client:{id}");
    let trail = audit_trail(&app);
    assert!(trail.contains(&("client.updated".to_string(), actor.clone())));
    assert!(trail.contains(&("client.deleted".to_string(), actor)));
}

async fn an_initial_access_token_with_max_uses_one_registers_once(db: TestDb) {
    let app = registration_app(db).await;
    let initial = app.cli().registration_token(&["--max-uses", "1"]);
    // A refused registration does not use the token up.
    let bad = app
        .register(
            &json!({ "grant_types": ["password"] }),
            Some(&initial.token),
        )
        .await;
    assert_registration_error(&bad, "invalid_client_metadata");

    let first = app.register(&service(), Some(&initial.token)).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = app.register(&service(), Some(&initial.token)).await;

    assert_invalid_token(&second);
    let listed = app
        .cli()
        .run(&["client", "registration-token", "list", "--json"])
        .ok();
    assert!(
        !listed.stdout.contains(&initial.token),
        "never printed again"
    );
    let listed = listed.json();
    assert_eq!(listed[0]["uses"], 1);
    assert_eq!(listed[0]["status"], "used up");
}

#[actix_web::test]
async fn concurrent_registrations_never_exceed_max_uses() {
    let app = registration_app(TestDb::sqlite()).await;
    let initial = app.cli().registration_token(&["--max-uses", "3"]);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (url, token) = (app.url("/register"), initial.token.clone());
            actix_web::rt::spawn(async move {
                awc::Client::default()
                    .post(url)
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .insert_header(("Content-Type", "application/json"))
                    .send_body(service().to_string())
                    .await
                    .expect("request")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    let created = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(created, 3, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 401),
        "{statuses:?}"
    );
    assert_eq!(client_count(&app), 3);
}

#[actix_web::test]
async fn an_expired_initial_access_token_is_refused() {
    let clock = ManualClock::at(SystemClock.now());
    let app = app_on(TestDb::sqlite(), |_| {}, Arc::new(clock.clone())).await;
    let initial = app.cli().registration_token(&["--expires-in", "1h"]);
    let fresh = app.register(&service(), Some(&initial.token)).await;
    assert_eq!(fresh.status, 201, "{}", fresh.body);

    clock.advance(3_601);
    let late = app.register(&service(), Some(&initial.token)).await;

    assert_invalid_token(&late);
    assert_eq!(client_count(&app), 1);
}

#[actix_web::test]
async fn registration_needs_a_valid_initial_access_token_unless_open() {
    let app = registration_app(TestDb::sqlite()).await;
    assert_invalid_token(&app.register(&service(), None).await);
    assert_invalid_token(&app.register(&service(), Some("made-up")).await);
    let revoked = app.cli().registration_token(&[]);
    app.cli()
        .run(&["client", "registration-token", "revoke", &revoked.id])
        .ok();
    assert_invalid_token(&app.register(&service(), Some(&revoked.token)).await);
    // Basic credentials are not a bearer token.
    let basic = app
        .registration_request("POST", "/register", Some(&service()), None)
        .await;
    assert_invalid_token(&basic);
    assert_eq!(client_count(&app), 0);
}

#[actix_web::test]
async fn open_registration_needs_no_token_but_still_refuses_a_bad_one() {
    let app = app_on(
        TestDb::sqlite(),
        |s| s.registration.open = true,
        Arc::new(SystemClock),
    )
    .await;
    let res = app.register(&web_app(), None).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["logo_uri"], "https://app.example.org/logo.png");
    assert_eq!(res.body["scope"], "openid profile offline_access");
    assert_invalid_token(&app.register(&web_app(), Some("made-up")).await);
    assert!(audit_trail(&app).contains(&(
        "client.created".to_string(),
        "registration:open".to_string()
    )));
}

#[actix_web::test]
async fn bad_metadata_is_refused_with_the_rfc_7591_code_and_changes_nothing() {
    let app = registration_app(TestDb::sqlite()).await;
    let initial = app.cli().registration_token(&[]);
    let cases = [
        (
            json!({ "redirect_uris": ["https://app.example.org/cb#x"] }),
            "invalid_redirect_uri",
        ),
        (
            json!({ "redirect_uris": ["http://app.example.org/cb"] }),
            "invalid_redirect_uri",
        ),
        // A web client (the default application_type) uses https only.
        (
            json!({ "redirect_uris": ["http://127.0.0.1:9000/cb"] }),
            "invalid_redirect_uri",
        ),
        (
            json!({ "grant_types": ["password"] }),
            "invalid_client_metadata",
        ),
        (
            json!({ "grant_types": ["client_credentials"], "token_endpoint_auth_method": "none" }),
            "invalid_client_metadata",
        ),
        (
            json!({ "redirect_uris": ["https://a.example/cb"], "response_types": ["token"] }),
            "invalid_client_metadata",
        ),
        (
            json!({ "grant_types": ["client_credentials"], "scope": "admin" }),
            "invalid_client_metadata",
        ),
        (
            json!({ "software_statement": "a.b.c" }),
            "invalid_software_statement",
        ),
        (json!([1, 2]), "invalid_client_metadata"),
    ];
    for (body, code) in cases {
        let res = app.register(&body, Some(&initial.token)).await;
        assert_registration_error(&res, code);
    }
    let not_json = app
        .post_raw(
            "/register",
            "a=b".into(),
            None,
            "application/x-www-form-urlencoded",
        )
        .await;
    assert!(not_json.status == 400 || not_json.status == 401);
    assert_eq!(client_count(&app), 0);
    // A native app may use loopback and private-use redirects.
    let native = app
        .register(
            &json!({
                "application_type": "native",
                "token_endpoint_auth_method": "none",
                "redirect_uris": ["http://127.0.0.1:9000/cb", "com.example.app:/cb"],
            }),
            Some(&initial.token),
        )
        .await;
    assert_eq!(native.status, 201, "{}", native.body);
    assert!(native.body.get("client_secret").is_none());
}

#[actix_web::test]
async fn the_oidc_registration_example_is_refused_by_member_and_registers_without_them() {
    let app = registration_app(TestDb::sqlite()).await;
    let initial = app.cli().registration_token(&[]);
    // OpenID Connect Dynamic Client Registration 1.0 §3.1.
    let mut example = json!({
        "application_type": "web",
        "redirect_uris": ["https://client.example.org/callback", "https://client.example.org/callback2"],
        "client_name": "My Example",
        "client_name#ja-Jpan-JP": "クライアント名",
        "logo_uri": "https://client.example.org/logo.png",
        "subject_type": "pairwise",
        "sector_identifier_uri": "https://other.example.net/file_of_redirect_uris.json",
        "token_endpoint_auth_method": "client_secret_basic",
        "jwks_uri": "https://client.example.org/my_public_keys.jwks",
        "userinfo_encrypted_response_alg": "RSA1_5",
        "userinfo_encrypted_response_enc": "A128CBC-HS256",
        "contacts": ["ve7jtb@example.org", "mary@example.org"],
        "request_uris": ["https://client.example.org/rf.txt#qpXaRLh_n93TTR9F252ValdatUQvQiJi5BDub2BeznA"]
    });
    let res = app.register(&example, Some(&initial.token)).await;
    assert_registration_error(&res, "invalid_client_metadata");
    let m = example.as_object_mut().unwrap();
    for member in [
        "sector_identifier_uri",
        "jwks_uri",
        "userinfo_encrypted_response_alg",
        "userinfo_encrypted_response_enc",
        "request_uris",
    ] {
        m.remove(member);
    }
    m.insert("subject_type".into(), json!("public"));

    let res = app.register(&example, Some(&initial.token)).await;

    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["client_name"], "My Example");
    assert_eq!(res.body["subject_type"], "public");
    assert_eq!(
        res.body["contacts"],
        json!(["ve7jtb@example.org", "mary@example.org"])
    );
    assert!(res.body.get("client_name#ja-Jpan-JP").is_none());
}

#[actix_web::test]
async fn a_registered_client_always_shows_the_consent_page() {
    let app = registration_app(TestDb::sqlite()).await;
    let initial = app.cli().registration_token(&[]);
    let res = app.register(&web_app(), Some(&initial.token)).await;
    let id = res.str("client_id");
    let stored = clients::find(&mut app.db.conn(), &id).unwrap().unwrap();
    assert!(!stored.skip_consent);
    assert!(stored.permissions.is_empty());
    assert!(!stored.exchange_impersonate);
}

#[actix_web::test]
async fn with_registration_off_the_endpoints_are_404_and_not_advertised() {
    let app = crate::helpers::spawn_app().await;
    assert_eq!(app.register(&service(), None).await.status, 404);
    assert_eq!(app.status_of("/register/x").await, 404);
    let doc = app.openid_configuration().await;
    assert!(doc.body.get("registration_endpoint").is_none());

    let on = registration_app(TestDb::sqlite()).await;
    for doc in [
        on.openid_configuration().await,
        on.authorization_server_metadata().await,
    ] {
        assert_eq!(
            doc.body["registration_endpoint"],
            format!("{}/register", on.state.issuer())
        );
    }
}

/// Hardening round 2, finding 5: open registration is limited per source
/// (`registration.rate_limit` an hour): past it, `429` with `Retry-After` and a JSON
/// error, and nothing is stored.
#[actix_web::test]
async fn open_registration_past_the_rate_limit_is_refused_and_stores_nothing() {
    let app = app_on(
        TestDb::sqlite(),
        |s| {
            s.registration.open = true;
            s.registration.rate_limit = 5;
        },
        Arc::new(SystemClock),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let res = app.register(&service(), None).await;
        if res.status == 429 {
            assert_eq!(res.body["error"], "rate_limited", "{}", res.body);
            assert!(
                res.header("retry-after")
                    .is_some_and(|s| s.parse::<i64>().is_ok())
            );
            assert_eq!(res.header("cache-control"), Some("no-store"));
        }
        statuses.push(res.status);
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429, 429, 429]);
    assert_eq!(client_count(&app), 5);
}

/// Hardening round 2, finding 5: a registration among 5,000 clients costs the registry
/// one client's read, not 5,001 (the work that made latency grow with every
/// registration); the new client is served at once.
#[actix_web::test]
async fn a_registration_among_five_thousand_clients_reloads_only_the_new_one() {
    use diesel::RunQueryDsl;
    let app = app_on(
        TestDb::sqlite(),
        |s| s.registration.open = true,
        Arc::new(SystemClock),
    )
    .await;
    let seed = app.register(&service(), None).await;
    assert_eq!(seed.status, 201);
    let seed_id = seed.str("client_id");
    let mut conn = app.db.conn();
    diesel::sql_query(format!(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000) \
         INSERT INTO clients (id, name, is_public, secret_hash, redirect_uris, \
         post_logout_redirect_uris, backchannel_logout_uri, grant_types, scopes, audiences, \
         default_audience, skip_consent, require_pkce, token_endpoint_auth_method, \
         created_at, updated_at) \
         SELECT 'bulk-' || x, name, is_public, secret_hash, redirect_uris, \
         post_logout_redirect_uris, backchannel_logout_uri, grant_types, scopes, audiences, \
         default_audience, skip_consent, require_pkce, token_endpoint_auth_method, \
         created_at, updated_at FROM n, clients WHERE clients.id = '{seed_id}'"
    ))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("UPDATE cache_versions SET version = version + 1 WHERE name = 'clients'")
        .execute(&mut conn)
        .unwrap();
    app.state.clients.refresh().await.unwrap();
    assert!(app.state.clients.get("bulk-4999").is_some());
    let before = app.state.clients.clients_read();
    let res = app.register(&service(), None).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(
        app.state.clients.clients_read() - before,
        1,
        "one registration reads one client"
    );
    assert!(app.state.clients.get(&res.str("client_id")).is_some());
    assert!(app.state.clients.get("bulk-1").is_some(), "the others stay");
    // A deletion is seen too (by a full read, as deletions are rare).
    let deleted = app.cli().run_line("client delete bulk-1");
    assert_eq!(deleted.status, 0, "{}", deleted.stderr);
    app.state.clients.refresh().await.unwrap();
    assert!(app.state.clients.get("bulk-1").is_none());
}

/// Hardening round 2, finding 9: a self-registered client's consent page says it
/// registered itself and names its redirect host, in the person's language; its
/// post-logout redirect is not followed at once but shown as a link naming the host, so
/// `/logout` cannot be turned into a silent redirect to an attacker's site.
#[actix_web::test]
async fn a_self_registered_client_is_named_as_such_and_its_logout_return_is_confirmed() {
    let app = app_on(
        TestDb::sqlite(),
        |s| s.registration.open = true,
        Arc::new(SystemClock),
    )
    .await;
    let metadata = json!({
        "client_name": "Totally The Bank",
        "redirect_uris": [CB],
        "post_logout_redirect_uris": ["https://rp.example.org/bye"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": "openid profile",
    });
    let res = app.register(&metadata, None).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let (id, secret) = (res.str("client_id"), res.str("client_secret"));
    app.user("alice").create();
    let url = authorize_path(&[
        ("response_type", "code"),
        ("client_id", &id),
        ("redirect_uri", CB),
        ("scope", "openid profile"),
        ("state", "s-1"),
        ("nonce", "n-1"),
        ("ui_locales", "de"),
    ]);
    let mut b = app.browser();
    let page = b.get(&url).await;
    let page = b.login(&page, "alice", PASSWORD).await;
    assert!(page.is_consent(), "{}", page.body);
    let host = url::Url::parse(CB).unwrap().host_str().unwrap().to_string();
    assert!(
        page.body.contains("id=\"self-registered\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("hat sich selbst registriert") && page.body.contains(&host),
        "in German, with the host: {}",
        page.body
    );
    let page = b.consent(&page, "allow").await;
    let code = page.callback()["code"].clone();
    let tokens = app
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
            Some((&id, &secret)),
        )
        .await;
    let id_token = tokens.str("id_token");
    let out = b
        .get(&format!(
            "/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Frp.example.org%2Fbye&state=z"
        ))
        .await;
    assert_eq!(out.status, 200, "not a redirect: {}", out.body);
    assert!(out.body.contains("id=\"logout-continue\""), "{}", out.body);
    assert!(out.body.contains("rp.example.org"), "{}", out.body);
    assert!(
        out.body
            .contains("href=\"https://rp.example.org/bye?state=z\""),
        "{}",
        out.body
    );
}
