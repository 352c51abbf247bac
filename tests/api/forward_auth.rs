//! Forward-auth (issue 15) against the endpoints directly: bearer mode with every
//! gateway's request shape (nginx, Traefik/Caddy headers, Envoy's path prefix), route
//! requirements by query and by policy, revocation at once, and session mode through the
//! sign-in redirect with its open-redirect defences. `forward_auth_gateways.rs` runs the
//! same flows through a real nginx and Caddy.

use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis::config::{PolicySettings, Settings};

use crate::helpers::{
    Browser, Client, PASSWORD, Response, TestApp, TestDb, sign_in_public, spa_request,
    spawn_app_with, wait_until,
};

const API: &str = "https://api.example";
const CC: (&str, &str) = ("grant_type", "client_credentials");
const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Settings with a policy `orders` (audience API, scope `orders:read`) and session mode
/// for hosts under `localhost`.
fn settings(db: &TestDb) -> Settings {
    let mut s = db.settings();
    s.issuer = "http://localhost:8080".into();
    s.forward_auth.session_cookie_domain = Some("localhost".into());
    s.forward_auth.allowed_redirect_hosts = vec!["*.localhost".into()];
    s.forward_auth.default_audience = Some(API.into());
    s.forward_auth.policies.insert(
        "orders".into(),
        PolicySettings {
            audience: vec![API.into()],
            scope: vec!["orders:read".into()],
            role: vec![],
            ..PolicySettings::default()
        },
    );
    s
}

async fn app() -> TestApp {
    let db = TestDb::sqlite();
    let s = settings(&db);
    spawn_app_with(db, s, Arc::new(SystemClock)).await
}

async fn machine(app: &TestApp) -> Client {
    app.client("svc")
        .confidential()
        .grant("client_credentials")
        .audience(API)
        .scope("orders:read orders:write")
        .create()
        .await
}

async fn cc_token(app: &TestApp, svc: &Client, scope: &str) -> String {
    app.token(&[CC, ("scope", scope)], svc.basic())
        .await
        .token()
        .to_string()
}

async fn ask(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    app.send_with(method, path, headers).await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[actix_web::test]
async fn a_good_token_passes_with_identity_headers_and_every_answer_is_no_store() {
    let app = app().await;
    let svc = machine(&app).await;
    let token = cc_token(&app, &svc, "orders:read").await;
    for method in ["GET", "POST", "DELETE", "PATCH", "HEAD"] {
        let res = ask(
            &app,
            method,
            "/forward-auth",
            &[("Authorization", &bearer(&token))],
        )
        .await;
        assert_eq!(res.status, 200, "{method}: {}", res.text());
        assert_eq!(res.header("cache-control"), Some("no-store"));
        assert!(res.bytes.is_empty());
        assert_eq!(res.header("x-portcullis-subject"), Some("svc"));
        assert_eq!(res.header("x-portcullis-client-id"), Some("svc"));
        assert_eq!(res.header("x-portcullis-scope"), Some("orders:read"));
        // A machine is never a person (hardening round 2, finding 7).
        assert_eq!(res.header("remote-user"), Some(""));
        assert_eq!(res.header("x-portcullis-user"), Some(""));
        assert_eq!(res.header("x-portcullis-client"), Some("svc"));
        assert_eq!(res.header("remote-client"), Some("svc"));
        assert!(
            res.header("x-portcullis-token-id")
                .is_some_and(|j| j.len() == 22)
        );
        assert_eq!(
            res.header("x-portcullis-session"),
            Some(""),
            "no session behind a machine token"
        );
    }
}

#[actix_web::test]
async fn no_token_is_a_bare_challenge_and_a_bad_one_is_invalid_token() {
    let app = app().await;
    let res = ask(&app, "GET", "/forward-auth", &[]).await;
    assert_eq!(res.status, 401);
    assert_eq!(
        res.header("www-authenticate"),
        Some("Bearer realm=\"http://localhost:8080\"")
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    // An Authorization header that is not text is a bad credential, not a missing one.
    let res = app
        .http
        .get(app.url("/forward-auth"))
        .insert_header((
            "Authorization",
            actix_web::http::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let challenge = res
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    for bad in ["Bearer nonsense", "Bearer a.b.c", "Bearer "] {
        let res = ask(&app, "GET", "/forward-auth", &[("Authorization", bad)]).await;
        assert_eq!(res.status, 401, "{bad}");
        assert!(
            res.header("www-authenticate")
                .unwrap()
                .contains("error=\"invalid_token\""),
            "{bad}"
        );
    }
    // An ID token is not an access token (typ), nor is a token of another issuer.
    let svc = machine(&app).await;
    let token = cc_token(&app, &svc, "orders:read").await;
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[2] = "AAAA";
    let tampered = parts.join(".");
    let res = ask(
        &app,
        "GET",
        "/forward-auth",
        &[("Authorization", &bearer(&tampered))],
    )
    .await;
    assert_eq!(res.status, 401);
}

#[actix_web::test]
async fn requirements_from_the_query_or_a_policy_answer_403_insufficient_scope() {
    let app = app().await;
    let svc = machine(&app).await;
    let read_only = cc_token(&app, &svc, "orders:read").await;
    let auth = bearer(&read_only);
    let h = [("Authorization", auth.as_str())];
    let cases = [
        ("/forward-auth?audience=https%3A%2F%2Fapi.example", 200),
        (
            "/forward-auth?audience=https%3A%2F%2Fother.example&audience=https%3A%2F%2Fapi.example",
            200,
        ),
        ("/forward-auth?audience=https%3A%2F%2Fother.example", 403),
        ("/forward-auth?scope=orders:read", 200),
        ("/forward-auth?scope=orders:read&scope=orders:write", 403),
        ("/forward-auth?role=admin", 403),
        ("/forward-auth?policy=orders", 200),
    ];
    for (path, status) in cases {
        let res = ask(&app, "GET", path, &h).await;
        assert_eq!(res.status, status, "{path}");
        if status == 403 {
            let challenge = res.header("www-authenticate").unwrap();
            assert!(
                challenge.contains("error=\"insufficient_scope\""),
                "{challenge}"
            );
            assert_eq!(res.header("x-portcullis-subject"), None);
        }
    }
    let res = ask(&app, "GET", "/forward-auth?scope=orders:write", &h).await;
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("scope=\"orders:write\"")
    );
    // A policy the settings do not define: refused, never a 500.
    let res = ask(&app, "GET", "/forward-auth?policy=nope", &h).await;
    assert_eq!(res.status, 403);
    assert_eq!(res.header("cache-control"), Some("no-store"));
}

#[actix_web::test]
async fn a_revoked_token_is_refused_at_once() {
    let app = app().await;
    let svc = machine(&app).await;
    let token = cc_token(&app, &svc, "orders:read").await;
    let auth = bearer(&token);
    assert_eq!(
        ask(&app, "GET", "/forward-auth", &[("Authorization", &auth)])
            .await
            .status,
        200
    );
    let res = app.revoke(&[("token", &token)], svc.basic()).await;
    assert_eq!(res.status, 200);
    let res = ask(&app, "GET", "/forward-auth", &[("Authorization", &auth)]).await;
    assert_eq!(res.status, 401);
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
}

#[actix_web::test]
async fn envoy_ext_authz_names_the_policy_in_the_path_and_keeps_the_method_and_host() {
    let app = app().await;
    let svc = machine(&app).await;
    let token = cc_token(&app, &svc, "orders:read").await;
    let auth = bearer(&token);
    // Envoy's HTTP service: path_prefix + original path and query, original method,
    // Host and the allowed headers.
    for (method, path) in [
        ("GET", "/ext-authz/orders/api/orders?page=2"),
        ("POST", "/ext-authz/orders/api/orders"),
        ("DELETE", "/ext-authz/orders"),
    ] {
        let res = ask(
            &app,
            method,
            path,
            &[("Authorization", &auth), ("Host", "shop.localhost")],
        )
        .await;
        assert_eq!(res.status, 200, "{method} {path}");
        assert_eq!(res.header("x-portcullis-subject"), Some("svc"));
    }
    let write_only = cc_token(&app, &svc, "orders:write").await;
    let res = ask(
        &app,
        "GET",
        "/ext-authz/orders/x",
        &[("Authorization", &bearer(&write_only))],
    )
    .await;
    assert_eq!(res.status, 403);
    let res = ask(
        &app,
        "GET",
        "/ext-authz/unknown/x",
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(res.status, 403);
    let res = ask(&app, "GET", "/ext-authz/orders/x", &[]).await;
    assert_eq!(res.status, 401);
}

/// Traefik's forwardAuth and Caddy's forward_auth: GET with `X-Forwarded-*`.
fn forwarded<'a>(method: &'a str, host: &'a str, uri: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("X-Forwarded-Method", method),
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Host", host),
        ("X-Forwarded-Uri", uri),
    ]
}

#[actix_web::test]
async fn session_mode_sends_a_page_load_to_sign_in_and_back_with_the_users_identity() {
    let app = app().await;
    app.user("carol")
        .verified_email("carol@example.com")
        .name("Carol Danvers")
        .role("ops")
        .create();
    let mut b = Browser::new(&app);

    // Traefik's shape: a page load without a session goes to the sign-in page.
    let mut h: Vec<(&str, &str)> = forwarded("GET", "dash.localhost:9000", "/board?x=1").to_vec();
    h.push(("Accept", HTML));
    let res = ask(&app, "GET", "/forward-auth?role=ops", &h).await;
    assert_eq!(res.status, 302, "{}", res.text());
    let location = res.header("location").unwrap().to_string();
    assert_eq!(
        location,
        "http://localhost:8080/signin?rd=http%3A%2F%2Fdash.localhost%3A9000%2Fboard%3Fx%3D1"
    );
    // nginx's shape: the same answer as a 401 carrying the Location.
    let res = ask(
        &app,
        "GET",
        "/forward-auth",
        &[
            ("X-Original-URL", "http://dash.localhost:9000/board"),
            ("X-Original-URI", "/board"),
            ("X-Original-Method", "GET"),
            ("Accept", HTML),
        ],
    )
    .await;
    assert_eq!(res.status, 401);
    assert!(
        res.header("location")
            .unwrap()
            .starts_with("http://localhost:8080/signin?rd=")
    );
    // An API call, or a POST, is never redirected.
    let api: Vec<(&str, &str)> = forwarded("GET", "dash.localhost:9000", "/api").to_vec();
    assert_eq!(ask(&app, "GET", "/forward-auth", &api).await.status, 401);
    let mut post: Vec<(&str, &str)> = forwarded("POST", "dash.localhost:9000", "/board").to_vec();
    post.push(("Accept", HTML));
    let res = ask(&app, "GET", "/forward-auth", &post).await;
    assert_eq!((res.status, res.header("location")), (401, None));

    // The sign-in page, then back to the original URL with a cookie for the domain.
    let path = location.strip_prefix("http://localhost:8080").unwrap();
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("dash.localhost"));
    let rd = page.field("rd").unwrap();
    let csrf = page.field("csrf").unwrap();
    let wrong = b
        .post(
            "/signin",
            &[
                ("rd", &rd),
                ("csrf", &csrf),
                ("username", "carol"),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.body.contains("not correct"));
    let done = b
        .post(
            "/signin",
            &[
                ("rd", &rd),
                ("csrf", &csrf),
                ("username", "carol"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "http://dash.localhost:9000/board?x=1");
    // The SSO cookie stays host-only; the gateway gets a ticket of its own for the domain
    // (hardening round 2, finding 6).
    let set_cookies: Vec<&str> = done
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let session = set_cookies
        .iter()
        .find(|c| c.starts_with("portcullis_session="))
        .unwrap();
    assert!(!session.contains("Domain="), "{session}");
    let gateway = set_cookies
        .iter()
        .find(|c| c.starts_with("portcullis_gateway="))
        .unwrap();
    assert!(gateway.contains("Domain=localhost"), "{gateway}");

    // Signed in: the gateway's next request passes with the user's identity.
    let mut h: Vec<(&str, &str)> = forwarded("GET", "dash.localhost:9000", "/board").to_vec();
    h.push(("Accept", HTML));
    let cookie = format!("portcullis_gateway={}", b.cookies["portcullis_gateway"]);
    h.push(("Cookie", &cookie));
    let res = ask(&app, "GET", "/forward-auth?role=ops", &h).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("remote-user"), Some("carol"));
    assert_eq!(res.header("remote-email"), Some("carol@example.com"));
    assert_eq!(res.header("remote-name"), Some("Carol Danvers"));
    assert_eq!(res.header("remote-groups"), Some("ops"));
    assert_eq!(
        res.header("x-portcullis-client-id"),
        Some(""),
        "a session has no client"
    );
    let sid = res.header("x-portcullis-session").unwrap().to_string();
    // A session has no audience or scope: routes that require them stay closed.
    assert_eq!(
        ask(&app, "GET", "/forward-auth?role=admin", &h)
            .await
            .status,
        403
    );
    assert_eq!(
        ask(&app, "GET", "/forward-auth?policy=orders", &h)
            .await
            .status,
        403
    );
    // Signed in already: the sign-in page sends the browser straight back.
    let again = b.get(path).await;
    assert_eq!(again.status, 303);

    // `session revoke` ends access at the gateway.
    app.cli().run(&["session", "revoke", &sid]).ok();
    wait_until("the gateway refuses the ended session", || async {
        ask(&app, "GET", "/forward-auth?role=ops", &h).await.status == 302
    })
    .await;
}

#[actix_web::test]
async fn the_sign_in_page_never_sends_a_browser_to_a_host_not_listed() {
    let app = app().await;
    let mut b = Browser::new(&app);
    for rd in [
        "https://evil.example/",
        "http://localhost.evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "http://user@dash.localhost/",
    ] {
        let path = format!(
            "/signin?rd={}",
            url::form_urlencoded::byte_serialize(rd.as_bytes()).collect::<String>()
        );
        let page = b.get(&path).await;
        assert_eq!(page.status, 400, "{rd}");
        assert_eq!(page.header("location"), None, "{rd}");
    }
    // Two `rd`s: which would the user mean? Refused with our page.
    let page = b
        .get("/signin?rd=http%3A%2F%2Fdash.localhost%2F&rd=http%3A%2F%2Fother.localhost%2F")
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("Cannot continue"), "{}", page.body);
    // Nor does a POST with a swapped rd.
    let page = b.get("/signin?rd=http%3A%2F%2Fdash.localhost%2F").await;
    let csrf = page.field("csrf").unwrap();
    app.user("dave").create();
    let res = b
        .post(
            "/signin",
            &[
                ("rd", "https://evil.example/"),
                ("csrf", &csrf),
                ("username", "dave"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 400);
    assert!(
        !b.cookies.contains_key("portcullis_session"),
        "no session for a refused rd"
    );
    // A page load for a host that is not listed gets a plain 401, not a redirect.
    let mut h: Vec<(&str, &str)> = forwarded("GET", "evil.example", "/").to_vec();
    h.push(("Accept", HTML));
    let res = ask(&app, "GET", "/forward-auth", &h).await;
    assert_eq!((res.status, res.header("location")), (401, None));
}

#[actix_web::test]
async fn a_user_token_carries_roles_and_its_session_to_the_gateway() {
    let flow = crate::helpers::spawn_flow_app().await;
    let app = &flow.app;
    let mut b = app.browser();
    let tokens = sign_in_public(
        &mut b,
        app,
        &spa_request(&[]),
        "spa",
        crate::helpers::SPA_CB,
    )
    .await;
    let audience = url::form_urlencoded::byte_serialize(app.state.settings.issuer.as_bytes())
        .collect::<String>();
    let res = ask(
        app,
        "GET",
        &format!("/forward-auth?role=admin&audience={audience}"),
        &[("Authorization", &bearer(&tokens.access))],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("x-portcullis-subject"),
        Some(flow.alice.id.as_str())
    );
    assert_eq!(res.header("x-portcullis-roles"), Some("admin"));
    assert!(res.header("x-portcullis-session").is_some());
    // A person's token names the person, never a machine (finding 7).
    assert_eq!(res.header("remote-user"), Some("alice"));
    assert_eq!(res.header("x-portcullis-user"), Some("alice"));
    assert_eq!(res.header("x-portcullis-client"), Some(""));
    assert_eq!(res.header("remote-client"), Some(""));
}

/// Hardening round 2, finding 7: usernames and client ids are one namespace, so a person
/// cannot get a machine's name (and `Remote-User`), nor a client a person's.
#[actix_web::test]
async fn a_username_and_a_client_id_can_never_be_the_same_name() {
    let app = app().await;
    machine(&app).await;
    for name in ["svc", "SVC"] {
        let out = app.cli().run_with_stdin(
            &["user", "create", "--username", name, "--password-stdin"],
            "a long enough password\n",
        );
        assert_ne!(out.status, 0, "a user named like the client {name}");
        assert!(out.stderr.contains("taken"), "{}", out.stderr);
    }
    app.user("carol").create();
    let out = app
        .cli()
        .run_line("client create --name Carol --id Carol --grant-type client_credentials");
    assert_ne!(out.status, 0, "a client named like a user");
    assert!(out.stderr.contains("taken"), "{}", out.stderr);
    app.state.clients.refresh().await.unwrap();
    assert!(app.state.clients.get("Carol").is_none());
}

#[actix_web::test]
async fn traefik_sends_a_get_with_forwarded_headers_and_the_original_authorization() {
    let app = app().await;
    let svc = machine(&app).await;
    let token = cc_token(&app, &svc, "orders:read").await;
    let auth = bearer(&token);
    // Traefik's forwardAuth: GET to the address, the original method and URL in
    // X-Forwarded-*, the original headers (Authorization among them) copied.
    let mut h: Vec<(&str, &str)> = forwarded("PUT", "api.localhost", "/orders/7").to_vec();
    h.push(("Authorization", &auth));
    h.push(("X-Forwarded-For", "192.0.2.1"));
    let res = ask(&app, "GET", "/forward-auth?policy=orders", &h).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("x-portcullis-subject"), Some("svc"));
    let res = ask(&app, "GET", "/forward-auth?policy=orders&role=admin", &h).await;
    assert_eq!(res.status, 403);
}

#[actix_web::test]
async fn a_dpop_bound_token_presented_as_bearer_is_refused() {
    let app = app().await;
    let svc = machine(&app).await;
    let key = crate::helpers::dpop::DpopKey::es256();
    let res = app
        .post_form_with(
            "/token",
            &[CC, ("scope", "orders:read")],
            svc.basic(),
            &[("DPoP", &key.proof(&app, "POST", "/token"))],
        )
        .await;
    assert_eq!(res.body["token_type"], "DPoP");
    let auth = bearer(res.token());
    let res = ask(&app, "GET", "/forward-auth", &[("Authorization", &auth)]).await;
    assert_eq!(res.status, 401);
    assert!(
        res.header("www-authenticate")
            .unwrap()
            .contains("DPoP-bound"),
        "{:?}",
        res.header("www-authenticate")
    );
}

#[actix_web::test]
async fn a_dpop_bound_token_passes_with_a_proof_for_the_original_request() {
    let app = app().await;
    let svc = machine(&app).await;
    let key = crate::helpers::dpop::DpopKey::es256();
    let res = app
        .post_form_with(
            "/token",
            &[CC, ("scope", "orders:read")],
            svc.basic(),
            &[("DPoP", &key.proof(&app, "POST", "/token"))],
        )
        .await;
    let token = res.token().to_string();
    let auth = format!("DPoP {token}");
    // A proof for the request the gateway forwards: GET http://app.example/orders.
    let proof_for = |method: &str, url: &str| {
        let mut spec = key.spec(&app, method, "/");
        spec.claims["htu"] = serde_json::json!(url);
        spec.claims["ath"] = serde_json::json!(crate::helpers::dpop::ath(&token));
        key.sign(spec)
    };
    let ask_with = |proof: Option<String>| {
        let auth = auth.clone();
        let app = &app;
        async move {
            let mut headers: Vec<(&str, &str)> =
                forwarded("GET", "app.example", "/orders?page=2").into();
            headers.push(("Authorization", &auth));
            let proof = proof.unwrap_or_default();
            if !proof.is_empty() {
                headers.push(("DPoP", &proof));
            }
            ask(app, "GET", "/forward-auth", &headers).await
        }
    };
    let good = proof_for("GET", "http://app.example/orders");
    let res = ask_with(Some(good.clone())).await;
    assert_eq!(res.status, 200, "{:?}", res.header("www-authenticate"));
    assert_eq!(res.header("x-portcullis-client-id"), Some("svc"));
    // Replayed, for another method or URL, or missing: invalid_dpop_proof.
    for (what, proof) in [
        ("replay", Some(good)),
        (
            "method",
            Some(proof_for("POST", "http://app.example/orders")),
        ),
        ("url", Some(proof_for("GET", "http://app.example/admin"))),
        ("none", None),
    ] {
        let res = ask_with(proof).await;
        assert_eq!(res.status, 401, "{what}");
        let challenge = res.header("www-authenticate").unwrap();
        assert!(
            challenge.starts_with("DPoP ") && challenge.contains("invalid_dpop_proof"),
            "{what}: {challenge}"
        );
    }
}

/// Hardening round 2, finding 14: `Remote-Email` carries only a verified address.
#[actix_web::test]
async fn remote_email_is_empty_for_an_address_nobody_verified() {
    let app = app().await;
    app.user("dave").email("dave@example.com").create();
    let b = signed_in_for_dash(&app, "dave").await;
    let cookie = format!("portcullis_gateway={}", b.cookies["portcullis_gateway"]);
    let mut h: Vec<(&str, &str)> = forwarded("GET", "dash.localhost:9000", "/").to_vec();
    h.push(("Cookie", &cookie));
    let res = ask(&app, "GET", "/forward-auth", &h).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("remote-user"), Some("dave"));
    assert_eq!(
        res.header("remote-email"),
        Some(""),
        "unverified: not passed on"
    );
}

/// Hardening round 2, finding 14: a route that names no audience accepts no token unless
/// `forward_auth.default_audience` says which, and an admin API token never passes.
#[actix_web::test]
async fn a_token_passes_only_where_an_audience_is_named_and_never_an_admin_token() {
    let db = TestDb::sqlite();
    let mut s = settings(&db);
    s.forward_auth.default_audience = None;
    let app = spawn_app_with(db, s, Arc::new(SystemClock)).await;
    let svc = machine(&app).await;
    let token = cc_token(&app, &svc, "orders:read").await;
    let auth = [("Authorization", bearer(&token))];
    let auth: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = ask(&app, "GET", "/forward-auth", &auth).await;
    assert_eq!(res.status, 403, "no audience named: {}", res.text());
    let api = url::form_urlencoded::byte_serialize(API.as_bytes()).collect::<String>();
    let res = ask(&app, "GET", &format!("/forward-auth?audience={api}"), &auth).await;
    assert_eq!(res.status, 200, "{}", res.text());
    // A token for the admin API, even on a route that names that audience.
    let admin = app.admin_api("ops", crate::helpers::admin::READ).await;
    let admin_audience =
        url::form_urlencoded::byte_serialize(app.admin_audience().as_bytes()).collect::<String>();
    let bearer_admin = bearer(&admin.token);
    let res = ask(
        &app,
        "GET",
        &format!("/forward-auth?audience={admin_audience}"),
        &[("Authorization", &bearer_admin)],
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.text());
}

/// Hardening round 2, finding 6: the gateway's cookie opens only forward-auth — never
/// `/account` or `/admin` — and the SSO cookie (host-only) is not what forward-auth
/// reads; ending the session ends the ticket.
#[actix_web::test]
async fn the_gateway_ticket_opens_forward_auth_only_and_ends_with_the_session() {
    let app = app().await;
    app.user("erin").role("admin").create();
    let b = signed_in_for_dash(&app, "erin").await;
    let ticket = b.cookies["portcullis_gateway"].clone();
    let session = b.cookies["portcullis_session"].clone();
    assert_ne!(ticket, session);
    let at_gateway = |cookie: String| {
        let app = &app;
        async move {
            let mut h: Vec<(&str, &str)> = forwarded("GET", "dash.localhost:9000", "/").to_vec();
            h.push(("Cookie", &cookie));
            ask(app, "GET", "/forward-auth", &h).await.status
        }
    };
    assert_eq!(
        at_gateway(format!("portcullis_gateway={ticket}")).await,
        200
    );
    let mut h: Vec<(&str, &str)> = forwarded("GET", "dash.localhost:9000", "/").to_vec();
    let cookie = format!("portcullis_gateway={ticket}");
    h.push(("Cookie", &cookie));
    let sid = ask(&app, "GET", "/forward-auth", &h)
        .await
        .header("x-portcullis-session")
        .unwrap()
        .to_string();
    assert_eq!(
        at_gateway(format!("portcullis_session={session}")).await,
        401,
        "forward-auth reads the ticket, not the SSO cookie"
    );
    // A sibling host that got the ticket cannot use it as a session.
    for path in ["/account", "/admin"] {
        let res = app
            .get_with(path, &[("Cookie", &format!("portcullis_session={ticket}"))])
            .await;
        assert!(
            !(res.status == 200 && res.text().contains("erin")),
            "{path} opened with the gateway ticket"
        );
        let res = app
            .get_with(path, &[("Cookie", &format!("portcullis_gateway={ticket}"))])
            .await;
        assert!(
            !(res.status == 200 && res.text().contains("erin")),
            "{path} opened with the gateway ticket"
        );
    }
    // Ending the session ends the ticket too.
    app.cli().run(&["session", "revoke", &sid]).ok();
    app.state.publish_revocations().await;
    assert_eq!(
        at_gateway(format!("portcullis_gateway={ticket}")).await,
        401
    );
}

/// A browser that signed in on the standalone page for the dashboard (session mode):
/// it holds the SSO cookie and the gateway's ticket.
async fn signed_in_for_dash<'a>(app: &'a TestApp, username: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    let page = b
        .get("/signin?rd=http%3A%2F%2Fdash.localhost%3A9000%2F")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (rd, csrf) = (page.field("rd").unwrap(), page.field("csrf").unwrap());
    let done = b
        .post(
            "/signin",
            &[
                ("rd", &rd),
                ("csrf", &csrf),
                ("username", username),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    b
}
