//! Forward-auth through real gateways (issue 15): Debian's nginx and Caddy, started on
//! free loopback ports with the configurations the README shows (rendered from
//! `deploy/forward-auth/`), in front of an upstream that echoes the headers it got.

use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis::config::GatewayKind;

use crate::helpers::gateway::{DomainBrowser, Echo, Gateway};
use crate::helpers::stubs::free_port;
use crate::helpers::{Client, PASSWORD, TestApp, TestDb, spawn_app_with};

const HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";
const API: &str = "https://api.example";
const API_REQUIREMENT: &str = "audience=https%3A%2F%2Fapi.example";

/// Portcullis on a known port with session mode for hosts under `localhost`.
async fn portcullis() -> (TestApp, u16) {
    portcullis_behind(None).await
}

/// [`portcullis`] told which gateway asks (trusted on loopback).
async fn portcullis_behind(gateway: Option<GatewayKind>) -> (TestApp, u16) {
    let db = TestDb::sqlite();
    let mut s = db.settings();
    s.forward_auth.gateway = gateway;
    s.http.trusted_proxies = vec!["127.0.0.1".into()];
    let port = free_port();
    s.bind = format!("127.0.0.1:{port}").parse().unwrap();
    s.issuer = format!("http://localhost:{port}");
    s.forward_auth.session_cookie_domain = Some("localhost".into());
    s.forward_auth.allowed_redirect_hosts = vec!["app.localhost".into()];
    (spawn_app_with(db, s, Arc::new(SystemClock)).await, port)
}

#[derive(Clone, Copy)]
enum Kind {
    Nginx,
    Caddy,
}

async fn gateway(
    kind: Kind,
    test: &str,
    echo: &Echo,
    portcullis: u16,
    requirements: &str,
) -> Option<Gateway> {
    let base = format!("http://127.0.0.1:{portcullis}");
    match kind {
        Kind::Nginx => Gateway::nginx(test, "app.localhost", echo.port, &base, requirements).await,
        Kind::Caddy => Gateway::caddy(test, echo.port, &base, requirements).await,
    }
}

async fn token(app: &TestApp, id: &str, audience: &str) -> (Client, String) {
    let c = app
        .client(id)
        .confidential()
        .grant("client_credentials")
        .audience(audience)
        .create()
        .await;
    let t = app
        .token(&[("grant_type", "client_credentials")], c.basic())
        .await
        .token()
        .to_string();
    (c, t)
}

async fn bearer_mode(kind: Kind, test: &str) {
    let (app, port) = portcullis().await;
    let echo = Echo::start();
    let Some(gw) = gateway(kind, test, &echo, port, API_REQUIREMENT).await else {
        return;
    };
    let url = format!("http://app.localhost:{}/orders?page=2", gw.port);
    let mut b = DomainBrowser::default();

    let none = b.get(&url, &[]).await;
    assert_eq!(none.status, 401, "{}", none.body);
    assert!(
        none.header("www-authenticate")
            .is_some_and(|c| c.starts_with("Bearer realm="))
    );

    let (_, other) = token(&app, "other", "https://other.example").await;
    let wrong = b
        .get(&url, &[("Authorization", &format!("Bearer {other}"))])
        .await;
    assert_eq!(wrong.status, 403, "{}", wrong.body);

    let (svc, good) = token(&app, "svc", API).await;
    let auth = format!("Bearer {good}");
    let forged = [
        ("Authorization", auth.as_str()),
        ("X-Portcullis-Session", "forged-session"),
        ("X-Portcullis-Subject", "mallory"),
        ("Remote-User", "mallory"),
        ("Remote-Email", "mallory@evil.example"),
    ];
    let ok = b.get(&url, &forged).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let seen = ok.upstream_headers();
    assert_eq!(
        seen.get("x-portcullis-subject").map(String::as_str),
        Some("svc")
    );
    assert_eq!(
        seen.get("x-portcullis-client-id").map(String::as_str),
        Some("svc")
    );
    assert_eq!(
        seen.get("remote-user").map(String::as_str).unwrap_or(""),
        "",
        "a machine has no Remote-User, and the forged one is gone"
    );
    assert_eq!(seen.get("remote-client").map(String::as_str), Some("svc"));
    assert!(
        seen.get("x-portcullis-token-id")
            .is_some_and(|j| j.len() == 22)
    );
    // A forged header never reaches the service: absent (nginx drops empty headers) or
    // overwritten with Portcullis's empty value (Caddy).
    for name in ["x-portcullis-session", "remote-email"] {
        let v = seen.get(name);
        assert!(v.is_none_or(|v| v.is_empty()), "{name}: {v:?}");
    }

    let res = app.revoke(&[("token", &good)], svc.basic()).await;
    assert_eq!(res.status, 200);
    let after = b.get(&url, &[("Authorization", &auth)]).await;
    assert_eq!(
        after.status, 401,
        "a revoked token is refused at the next request"
    );
}

async fn session_mode(kind: Kind, test: &str) {
    let (app, port) = portcullis().await;
    app.user("carol")
        .verified_email("carol@example.com")
        .name("Carol")
        .role("ops")
        .create();
    let echo = Echo::start();
    let Some(gw) = gateway(kind, test, &echo, port, "role=ops").await else {
        return;
    };
    let url = format!("http://app.localhost:{}/board?x=1", gw.port);
    let mut b = DomainBrowser::default();

    let first = b.get(&url, &[("Accept", HTML)]).await;
    assert_eq!(first.status, 302, "{}", first.body);
    let signin = first.header("location").unwrap().to_string();
    let rd = url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>();
    assert_eq!(signin, format!("http://localhost:{port}/signin?rd={rd}"));
    // An API client is not redirected.
    assert_eq!(
        b.get(&url, &[("Accept", "application/json")]).await.status,
        401
    );

    let form = b.get(&signin, &[("Accept", HTML)]).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.field("csrf").unwrap();
    let back = b
        .post(
            &format!("http://localhost:{port}/signin"),
            &[
                ("rd", &url),
                ("csrf", &csrf),
                ("username", "carol"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(
        back.header("location"),
        Some(url.as_str()),
        "back on the original URL"
    );

    let page = b
        .get(&url, &[("Accept", HTML), ("Remote-User", "mallory")])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let seen = page.upstream_headers();
    assert_eq!(seen.get("remote-user").map(String::as_str), Some("carol"));
    assert_eq!(
        seen.get("remote-email").map(String::as_str),
        Some("carol@example.com")
    );
    assert_eq!(seen.get("remote-groups").map(String::as_str), Some("ops"));
    let sid = seen
        .get("x-portcullis-session")
        .expect("the session id")
        .clone();

    // rd to a foreign host is refused by the sign-in page.
    let evil = b
        .get(
            &format!("http://localhost:{port}/signin?rd=https%3A%2F%2Fevil.example%2F"),
            &[],
        )
        .await;
    assert_eq!((evil.status, evil.header("location")), (400, None));

    // Ending the session ends access at the gateway.
    app.cli().run(&["session", "revoke", &sid]).ok();
    let started = std::time::Instant::now();
    while b.get(&url, &[("Accept", HTML)]).await.status != 302 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the gateway still lets the ended session through"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn through_nginx_tokens_are_checked_and_forged_identity_headers_never_pass() {
    bearer_mode(Kind::Nginx, "forward_auth_gateways::nginx_bearer").await;
}

#[actix_web::test]
async fn through_nginx_a_browser_signs_in_by_the_redirect_and_lands_back() {
    session_mode(Kind::Nginx, "forward_auth_gateways::nginx_session").await;
}

#[actix_web::test]
async fn through_caddy_tokens_are_checked_and_forged_identity_headers_never_pass() {
    bearer_mode(Kind::Caddy, "forward_auth_gateways::caddy_bearer").await;
}

#[actix_web::test]
async fn through_caddy_a_browser_signs_in_by_the_redirect_and_lands_back() {
    session_mode(Kind::Caddy, "forward_auth_gateways::caddy_session").await;
}

#[test]
fn the_readme_shows_exactly_the_gateway_configurations_the_tests_use() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    for (file, lang) in [
        ("nginx.conf", "nginx"),
        ("Caddyfile", "caddyfile"),
        ("traefik.yml", "yaml"),
        ("envoy.yaml", "yaml"),
    ] {
        let text = std::fs::read_to_string(format!("{root}/deploy/forward-auth/{file}")).unwrap();
        assert!(
            readme.contains(&format!("```{lang}\n{text}```")),
            "README.md does not show deploy/forward-auth/{file} as it is"
        );
    }
}

/// Hardening round 2, finding 10: behind the real Caddy (which passes client headers on),
/// a client's own `X-Original-URL` / `X-Original-Method` cannot retarget the sign-in's
/// `rd` or turn a page load into something else: with `forward_auth.gateway = "caddy"`
/// only Caddy's `X-Forwarded-*` describe the request (and the README's Caddyfile drops the
/// client's copies besides).
#[actix_web::test]
async fn behind_caddy_a_clients_own_original_request_headers_are_never_believed() {
    let test = "forward_auth_gateways::behind_caddy_a_clients_own_original_request_headers_are_never_believed";
    let (_app, port) = portcullis_behind(Some(GatewayKind::Caddy)).await;
    let echo = Echo::start();
    let Some(gw) = gateway(Kind::Caddy, test, &echo, port, "role=ops").await else {
        return;
    };
    let url = format!("http://app.localhost:{}/board?x=1", gw.port);
    let mut b = DomainBrowser::default();
    let spoofed = b
        .get(
            &url,
            &[
                ("Accept", HTML),
                ("X-Original-URL", "http://app.localhost:1/elsewhere"),
                ("X-Original-URI", "/elsewhere"),
                ("X-Original-Method", "POST"),
            ],
        )
        .await;
    assert_eq!(spoofed.status, 302, "still a page load: {}", spoofed.body);
    let rd = url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>();
    assert_eq!(
        spoofed.header("location"),
        Some(format!("http://localhost:{port}/signin?rd={rd}").as_str()),
        "rd is the request the client really made"
    );
}
