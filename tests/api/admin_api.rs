//! The admin API (`/admin/api/v1/`): each resource on SQLite and PostgreSQL, lost writes
//! refused (`If-Match`, 412), stable cursor paging under concurrent inserts, scopes, and
//! the OpenAPI description it serves.

use serde_json::{Value, json};

use crate::helpers::admin::{AdminApi, READ, WRITE};
use crate::helpers::sessions::seed_session;
use crate::helpers::{TestApp, TestDb, spawn_app, spawn_app_on};

async fn on_both_backends<F, Fut>(test: &str, body: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    body(spawn_app().await).await;
    if let Some(db) = TestDb::postgres(test) {
        body(spawn_app_on(db).await).await;
    }
}

fn both() -> String {
    format!("{READ} {WRITE}")
}

fn service_client(id: &str) -> Value {
    json!({
        "id": id,
        "name": "Billing service",
        "grant_types": ["client_credentials"],
        "scopes": ["billing.read"],
        "audience": "https://billing.example",
    })
}

#[actix_web::test]
async fn clients_are_created_read_listed_replaced_rotated_and_deleted_on_both_backends() {
    on_both_backends("admin clients", |app| async move {
        let admin = app.admin_api("ci", &both()).await;
        let created = admin.post("/clients", &service_client("billing")).await;
        assert_eq!(created.status, 201, "{}", created.text());
        assert_eq!(
            created.header("location"),
            Some("/admin/api/v1/clients/billing")
        );
        let secret = created.body["client_secret"].as_str().unwrap().to_string();
        assert_eq!(
            created.body["client"]["audience"],
            "https://billing.example"
        );
        assert!(created.body["client"].get("secret_hash").is_none());

        // The secret works at once (the client cache was reloaded).
        let token = app
            .token(
                &[("grant_type", "client_credentials")],
                Some(("billing", &secret)),
            )
            .await;
        token.token();

        let read = admin.get("/clients/billing").await;
        assert_eq!(read.status, 200);
        let etag = read.header("etag").unwrap().to_string();
        assert_eq!(read.body["name"], "Billing service");

        let listed = admin.get("/clients?q=BILL").await;
        let ids: Vec<&str> = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["billing"]);

        let mut replacement = service_client("billing");
        replacement["name"] = json!("Billing v2");
        let replaced = admin
            .send(
                "PUT",
                "/clients/billing",
                Some(&replacement),
                &[("If-Match", &etag)],
            )
            .await;
        assert_eq!(replaced.status, 200, "{}", replaced.text());
        assert_eq!(replaced.body["client"]["name"], "Billing v2");
        assert!(replaced.body["client_secret"].is_null(), "the secret stays");
        assert_ne!(replaced.header("etag"), Some(etag.as_str()));

        let rotated = admin.post("/clients/billing/secret", &json!({})).await;
        assert_eq!(rotated.status, 200, "{}", rotated.text());
        let new_secret = rotated.str("client_secret");
        app.token(
            &[("grant_type", "client_credentials")],
            Some(("billing", &secret)),
        )
        .await
        .assert_oauth_error(401, "invalid_client");
        let access = app
            .token(
                &[("grant_type", "client_credentials")],
                Some(("billing", &new_secret)),
            )
            .await
            .token()
            .to_string();

        let revoked = admin
            .post("/clients/billing/revoke-tokens", &json!({}))
            .await;
        assert_eq!(revoked.status, 204, "{}", revoked.text());
        let rs = app
            .client("rs")
            .confidential()
            .grant("client_credentials")
            .introspect()
            .create()
            .await;
        let seen = app.introspect_token(&access, ("rs", rs.secret())).await;
        assert_eq!(seen["active"], false, "revoked: {seen}");

        assert_eq!(admin.delete("/clients/billing").await.status, 204);
        admin.get("/clients/billing").await.assert_problem(404);
        admin.delete("/clients/billing").await.assert_problem(404);

        let audit = admin.get("/audit?client_id=billing&actor=client:ci").await;
        let events: Vec<&str> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["actor"], "client:ci", "who did it: {e}");
                e["event"].as_str().unwrap()
            })
            .collect();
        for e in [
            "client.created",
            "client.updated",
            "client.secret_rotated",
            "client.tokens_revoked",
            "client.deleted",
        ] {
            assert!(events.contains(&e), "{e} in {events:?}");
        }
    })
    .await;
}

#[actix_web::test]
async fn bad_client_metadata_gets_the_cli_s_validation_as_a_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_api("ci", &both()).await;
    let mut bad = service_client("web");
    bad["grant_types"] = json!(["authorization_code"]);
    bad["redirect_uris"] = json!(["https://app.example/cb#fragment"]);
    let res = admin.post("/clients", &bad).await;
    res.assert_problem(422);
    assert!(res.str("detail").contains("redirect"), "{}", res.body);
    admin.get("/clients/web").await.assert_problem(404);

    admin
        .post("/clients", &json!({"name": 5}))
        .await
        .assert_problem(400);
    admin
        .post(
            "/clients",
            &json!({"name": "x", "grant_types": [], "surprise": 1}),
        )
        .await
        .assert_problem(400);
    let not_json = app
        .http
        .post(app.url("/admin/api/v1/clients"))
        .insert_header(("Authorization", format!("Bearer {}", admin.token)))
        .insert_header(("Content-Type", "text/plain"))
        .send_body("name=x")
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    admin.post("/clients", &service_client("billing")).await;
    admin
        .post("/clients", &service_client("billing"))
        .await
        .assert_problem(409);
    admin.get("/clients?limit=0").await.assert_problem(400);
    admin.get("/clients?limit=abc").await.assert_problem(400);
    admin
        .get("/clients?cursor=garbage")
        .await
        .assert_problem(400);
    admin
        .send("PATCH", "/clients", None, &[])
        .await
        .assert_problem(405);
    admin.get("/nothing-here").await.assert_problem(404);
}

#[actix_web::test]
async fn users_are_created_searched_edited_disabled_and_deleted_on_both_backends() {
    on_both_backends("admin users", |app| async move {
        let admin = app.admin_api("ci", &both()).await;
        let created = admin
            .post(
                "/users",
                &json!({"username": "Dana", "email": "dana@example.com", "roles": ["staff"], "password": "a long enough password"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        let id = created.str("id");
        assert_eq!(created.body["username"], "dana");
        assert!(created.body.get("password_hash").is_none());
        let path = format!("/users/{id}");

        let found = admin.get("/users?q=DANA@EXAMPLE").await;
        assert_eq!(found.body["items"][0]["id"], id.as_str(), "{}", found.body);

        let etag = admin.get(&path).await.header("etag").unwrap().to_string();
        let edited = admin
            .send(
                "PATCH",
                &path,
                Some(&json!({"display_name": "Dana Scully", "roles": ["staff", "admin"], "email": null})),
                &[("If-Match", &etag)],
            )
            .await;
        assert_eq!(edited.status, 200, "{}", edited.text());
        assert_eq!(edited.body["display_name"], "Dana Scully");
        assert_eq!(edited.body["roles"], json!(["staff", "admin"]));
        assert!(edited.body["email"].is_null());

        let bad_role = admin
            .send(
                "PATCH",
                &path,
                Some(&json!({"roles": ["not a role"]})),
                &[("If-Match", "*")],
            )
            .await;
        bad_role.assert_problem(422);

        let password = admin
            .send("PUT", &format!("{path}/password"), Some(&json!({"password": "short"})), &[])
            .await;
        password.assert_problem(422);
        let password = admin
            .send(
                "PUT",
                &format!("{path}/password"),
                Some(&json!({"password": "another long password"})),
                &[],
            )
            .await;
        assert_eq!(password.status, 204, "{}", password.text());

        let disabled = admin.post(&format!("{path}/disable"), &json!({})).await;
        assert_eq!(disabled.body["disabled"], true, "{}", disabled.text());
        let enabled = admin.post(&format!("{path}/enable"), &json!({})).await;
        assert_eq!(enabled.body["disabled"], false);
        let reset = admin.delete(&format!("{path}/mfa")).await;
        assert_eq!(reset.status, 200, "{}", reset.text());
        assert_eq!(reset.body["totp"], 0);

        assert_eq!(admin.delete(&path).await.status, 204);
        admin.get(&path).await.assert_problem(404);
        let audit = admin.get(&format!("/audit?user_id={id}&actor=client:ci")).await;
        assert!(audit.body["items"].as_array().unwrap().len() >= 6, "{}", audit.body);
    })
    .await;
}

#[actix_web::test]
async fn an_update_based_on_a_stale_etag_is_refused_with_412_and_changes_nothing() {
    on_both_backends("admin if-match", |app| async move {
        let admin = app.admin_api("ci", &both()).await;
        let user = admin
            .post(
                "/users",
                &json!({"username": "erin", "display_name": "Erin"}),
            )
            .await;
        let path = format!("/users/{}", user.str("id"));
        let etag = user.header("etag").unwrap().to_string();

        // Another operator changes the user after we read it.
        let theirs = admin
            .send(
                "PATCH",
                &path,
                Some(&json!({"display_name": "Erin A."})),
                &[("If-Match", &etag)],
            )
            .await;
        assert_eq!(theirs.status, 200);
        let ours = admin
            .send(
                "PATCH",
                &path,
                Some(&json!({"roles": ["admin"]})),
                &[("If-Match", &etag)],
            )
            .await;
        ours.assert_problem(412);
        let now = admin.get(&path).await;
        assert_eq!(now.body["display_name"], "Erin A.");
        assert_eq!(
            now.body["roles"],
            json!([]),
            "the stale write changed nothing"
        );

        let no_precondition = admin
            .send("PATCH", &path, Some(&json!({"roles": ["admin"]})), &[])
            .await;
        no_precondition.assert_problem(428);

        admin.post("/clients", &service_client("billing")).await;
        let stale = admin
            .send(
                "PUT",
                "/clients/billing",
                Some(&service_client("billing")),
                &[("If-Match", "\"0000\"")],
            )
            .await;
        stale.assert_problem(412);
        admin
            .send(
                "DELETE",
                "/clients/billing",
                None,
                &[("If-Match", "\"0000\"")],
            )
            .await
            .assert_problem(412);
        assert_eq!(admin.get("/clients/billing").await.status, 200);
    })
    .await;
}

#[actix_web::test]
async fn paging_sees_every_user_exactly_once_while_others_are_inserted() {
    on_both_backends("admin paging", |app| async move {
        let admin = app.admin_api("ci", &both()).await;
        let mut before = Vec::new();
        for i in 0..25 {
            let u = admin
                .post("/users", &json!({"username": format!("user{i:02}")}))
                .await;
            before.push(u.str("id"));
        }
        // Another caller keeps adding users, concurrently, for as long as we page.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let inserter = {
            let (url, token, stop) = (
                app.url("/admin/api/v1/users"),
                admin.token.clone(),
                stop.clone(),
            );
            actix_web::rt::spawn(async move {
                let http = awc::Client::default();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let res = http
                        .post(&url)
                        .insert_header(("Authorization", format!("Bearer {token}")))
                        .send_json(&json!({"username": format!("late{n:03}")}))
                        .await
                        .expect("insert");
                    assert_eq!(res.status(), 201);
                    n += 1;
                }
                n
            })
        };
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/users?limit=4&cursor={c}"),
                None => "/users?limit=4".to_string(),
            };
            let page = admin.get(&path).await;
            assert_eq!(page.status, 200, "{}", page.text());
            for u in page.body["items"].as_array().unwrap() {
                seen.push(u["id"].as_str().unwrap().to_string());
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let inserted = inserter.await.unwrap();
        assert!(inserted > 0, "users were added while we paged");
        for id in &before {
            assert_eq!(
                seen.iter().filter(|s| *s == id).count(),
                1,
                "every user that existed throughout is listed exactly once"
            );
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no user listed twice");
    })
    .await;
}

#[actix_web::test]
async fn a_token_without_the_write_scope_can_read_but_not_write() {
    let app = spawn_app().await;
    let reader = app.admin_api("auditor", READ).await;
    assert_eq!(reader.get("/clients").await.status, 200);
    assert_eq!(reader.get("/keys").await.status, 200);
    let refused = reader.post("/clients", &service_client("billing")).await;
    refused.assert_problem(403);
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .contains("insufficient_scope")
    );
    reader.get("/clients/billing").await.assert_problem(404);
    reader
        .post("/keys/rotate", &json!({"now": true}))
        .await
        .assert_problem(403);
}

#[actix_web::test]
async fn no_token_or_one_for_another_audience_is_refused_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let none = app.get("/admin/api/v1/clients").await;
    none.assert_problem(401);
    assert!(
        none.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );

    let other = app
        .client("other")
        .confidential()
        .grant("client_credentials")
        .scope(&both())
        .audience("https://api.example")
        .create()
        .await;
    let token = app
        .token(&[("grant_type", "client_credentials")], other.basic())
        .await
        .token()
        .to_string();
    let wrong = AdminApi {
        app: &app,
        token,
        client_id: "other".into(),
    };
    let res = wrong.get("/clients").await;
    res.assert_problem(401);
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
}

#[actix_web::test]
async fn sessions_are_listed_and_ended_one_or_all_on_both_backends() {
    on_both_backends("admin sessions", |app| async move {
        let admin = app.admin_api("ci", &both()).await;
        let user = app.user("frank").create();
        app.first_party_spa().await;
        let mut conn = app.db.conn();
        seed_session(&mut conn, "sid-one", &user.id, "spa");
        seed_session(&mut conn, "sid-two", &user.id, "spa");
        let path = format!("/users/{}/sessions", user.id);
        let listed = admin.get(&path).await;
        assert_eq!(listed.body.as_array().unwrap().len(), 2, "{}", listed.body);
        assert_eq!(listed.body[0]["amr"], json!(["pwd"]));

        assert_eq!(admin.delete("/sessions/sid-one").await.status, 204);
        admin.delete("/sessions/sid-one").await.assert_problem(404);
        assert_eq!(admin.get(&path).await.body.as_array().unwrap().len(), 1);
        let ended = admin.delete(&path).await;
        assert_eq!(ended.body["sessions_ended"], 1, "{}", ended.text());
        assert_eq!(admin.get(&path).await.body, json!([]));
    })
    .await;
}

#[actix_web::test]
async fn signing_keys_are_listed_and_rotated_without_a_private_part() {
    on_both_backends("admin keys", |app| async move {
        let admin = app.admin_api("ci", &both()).await;
        let keys = admin.get("/keys").await;
        assert_eq!(keys.status, 200);
        let before = keys.body.as_array().unwrap().len();
        assert!(keys.text().contains("\"active\""));
        assert!(!keys.text().contains("private"));
        let rotated = admin
            .post("/keys/rotate", &json!({"alg": "RS256", "now": true}))
            .await;
        assert_eq!(rotated.status, 200, "{}", rotated.text());
        assert_eq!(rotated.body[0]["outcome"], "created");
        let kid = rotated.body[0]["kid"].as_str().unwrap().to_string();
        let after = admin.get("/keys").await;
        assert_eq!(after.body.as_array().unwrap().len(), before + 1);
        // This instance signs with it at once.
        let jwks = app.jwks().await;
        assert!(jwks.text().contains(&kid));
        admin
            .post("/keys/rotate", &json!({"alg": "HS256"}))
            .await
            .assert_problem(422);
        admin
            .post("/keys/rotate", &json!({"revoke_previous": true}))
            .await
            .assert_problem(422);
    })
    .await;
}

#[actix_web::test]
async fn the_audit_log_pages_newest_first_with_the_cli_s_filters() {
    on_both_backends("admin audit", |app| async move {
        let admin = app.admin_api("ci", &both()).await;
        for i in 0..5 {
            admin
                .post("/users", &json!({"username": format!("p{i}")}))
                .await;
        }
        let first = admin.get("/audit?event=user.created&limit=3").await;
        let items = first.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(
            items[0]["id"].as_i64() > items[1]["id"].as_i64(),
            "newest first"
        );
        let next = first.body["next_cursor"].as_str().unwrap();
        let second = admin
            .get(&format!("/audit?event=user.created&limit=3&cursor={next}"))
            .await;
        assert_eq!(second.body["items"].as_array().unwrap().len(), 2);
        assert!(second.body["next_cursor"].is_null());
    })
    .await;
}

#[actix_web::test]
async fn the_openapi_description_is_served_as_openapi_3_1_with_every_operation() {
    let app = spawn_app().await;
    let doc = app.get("/admin/api/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/admin/api/v1/clients",
        "/admin/api/v1/clients/{id}",
        "/admin/api/v1/users/{id}",
        "/admin/api/v1/users/{id}/sessions",
        "/admin/api/v1/keys/rotate",
        "/admin/api/v1/audit",
    ] {
        assert!(paths.contains_key(p), "{p}");
    }
    assert_eq!(
        doc.body["components"]["securitySchemes"]["admin_token"]["scheme"],
        "bearer"
    );
}

#[actix_web::test]
async fn an_admin_client_cannot_lock_itself_out_but_another_admin_can_act_on_it() {
    let app = spawn_app().await;
    let admin = app.admin_api("ci", &both()).await;
    for (method, path) in [
        ("DELETE", "/clients/ci"),
        ("POST", "/clients/ci/secret"),
        ("POST", "/clients/ci/revoke-tokens"),
    ] {
        admin
            .send(method, path, Some(&json!({})), &[])
            .await
            .assert_problem(409);
    }
    let mut own = service_client("ci");
    own["scopes"] = json!([]);
    admin
        .send("PUT", "/clients/ci", Some(&own), &[("If-Match", "*")])
        .await
        .assert_problem(409);
    // Still works.
    assert_eq!(admin.get("/clients/ci").await.status, 200);
    let other = app.admin_api("ops", &both()).await;
    assert_eq!(
        other.post("/clients/ci/secret", &json!({})).await.status,
        200
    );
}

#[actix_web::test]
async fn a_malformed_if_match_is_a_bad_request_not_a_mismatch() {
    let app = spawn_app().await;
    let admin = app.admin_api("ci", &both()).await;
    let user = admin.post("/users", &json!({"username": "gil"})).await;
    let path = format!("/users/{}", user.str("id"));
    for bad in ["", "abc", "\"a"] {
        admin
            .send(
                "PATCH",
                &path,
                Some(&json!({"roles": []})),
                &[("If-Match", bad)],
            )
            .await
            .assert_problem(400);
    }
}

#[actix_web::test]
async fn a_person_s_token_counts_only_while_they_hold_the_admin_role() {
    use crate::helpers::flow::{pkce_request, sign_in_public};
    let app = spawn_app().await;
    const CB: &str = "http://127.0.0.1:9/admin-cb";
    app.client("admin-cli")
        .public()
        .grant("authorization_code")
        .redirect_uri(CB)
        .scope(&format!("openid {READ} {WRITE}"))
        .audience(&app.admin_audience())
        .skip_consent()
        .create()
        .await;
    let alice = app.user("alice").role("admin").create();
    let mut b = app.browser();
    let url = pkce_request("admin-cli", CB, &format!("openid {READ} {WRITE}"));
    let tokens = sign_in_public(&mut b, &app, &url, "admin-cli", CB).await;
    let person = AdminApi {
        app: &app,
        token: tokens.access.clone(),
        client_id: "admin-cli".into(),
    };
    let created = person.post("/users", &json!({"username": "newbie"})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let audit = person
        .get(&format!(
            "/audit?actor=user:{}&event=user.created",
            alice.id
        ))
        .await;
    assert_eq!(
        audit.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        audit.body
    );

    // An operator takes the role away: the same token no longer works.
    let ops = app.admin_api("ops", &both()).await;
    let path = format!("/users/{}", alice.id);
    let res = ops
        .send(
            "PATCH",
            &path,
            Some(&json!({"roles": []})),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    person.get("/users").await.assert_problem(403);
}

/// Hardening round 2, finding 12: an oversized body at the admin API is an RFC 9457
/// problem with 413, not a 400.
#[actix_web::test]
async fn an_oversized_body_is_a_413_problem() {
    let app = crate::helpers::spawn_app().await;
    let api = app.admin_api("ops", WRITE).await;
    let huge =
        serde_json::json!({ "id": "x".repeat(70 * 1024), "grant_types": ["client_credentials"] });
    let res = api.post("/clients", &huge).await;
    res.assert_problem(413);
}
