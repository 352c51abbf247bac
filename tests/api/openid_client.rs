//! An independent, certified relying-party library (openid-client for Node) completes the
//! FAPI-style flow against Portcullis: authorization code + PKCE + PAR + DPoP, a refresh,
//! and UserInfo with the DPoP-bound token — and the ID tokens are ES256. It also completes
//! the device grant, and registers itself (RFC 7591) before a code flow.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use portcullis::clock::SystemClock;
use serde_json::Value;

use crate::helpers::jwt::unverified_claims;
use crate::helpers::skip_unless_required;
use crate::helpers::{spawn_app_at_own_address, spawn_app_at_own_address_with};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/openid-client");
const REDIRECT: &str = "http://127.0.0.1:9/cb";

fn ready() -> bool {
    std::path::Path::new(&format!("{DIR}/node_modules/openid-client")).exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

#[actix_web::test]
async fn openid_client_completes_code_pkce_par_and_dpop_then_refreshes_and_reads_userinfo() {
    if !ready() {
        skip_unless_required(
            "openid_client::openid_client_completes_code_pkce_par_and_dpop_then_refreshes_and_reads_userinfo",
            "node or tests/interop/openid-client/node_modules missing (npm ci --prefix tests/interop/openid-client)",
        );
        return;
    }
    // The library fetches discovery and the JWKS: the issuer is this server's own address.
    let app = spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await;
    app.client("rp")
        .public()
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri(REDIRECT)
        .skip_consent()
        .args_also(&[
            "--id-token-alg",
            "ES256",
            "--access-token-alg",
            "ES256",
            "--require-dpop",
            "--require-par",
        ])
        .create()
        .await;
    let alice = app.user("alice").name("Alice").create();

    let issuer = app.state.issuer().to_string();
    let mut node = Command::new("node")
        .arg(format!("{DIR}/flow.mjs"))
        .args([issuer.as_str(), "rp", REDIRECT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut stdout = BufReader::new(node.stdout.take().unwrap());
    // Off the test's thread: the server answering node's requests runs on it.
    let (first, mut stdout) = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        (line, stdout)
    })
    .await
    .unwrap();
    let Ok(first) = serde_json::from_str::<Value>(&first) else {
        let out = node.wait_with_output().unwrap();
        panic!("node: {first}{}", String::from_utf8_lossy(&out.stderr));
    };
    let authorize = first["authorize"].as_str().unwrap();
    assert!(
        authorize.contains("request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A"),
        "{authorize}"
    );

    // The user signs in in a browser; the library gets the callback URL.
    let path = authorize.strip_prefix(&issuer).unwrap();
    let mut b = app.browser();
    let page = b.get(path).await;
    let page = b.login(&page, "alice", crate::helpers::PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let callback = page.location().to_string();
    let mut stdin = node.stdin.take().unwrap();
    writeln!(stdin, "{callback}").unwrap();
    let (result, node) = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let out = node.wait_with_output().unwrap();
        (line, out)
    })
    .await
    .unwrap();
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    let result: Value = serde_json::from_str(&result).unwrap();
    assert_eq!(
        result["token_type"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("dpop")
    );
    assert_eq!(
        result["refreshed_token_type"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("dpop")
    );
    assert_eq!(result["rotated"], true);
    assert_eq!(result["sub"], alice.id.as_str());
    assert_eq!(result["userinfo"]["sub"], alice.id.as_str());
    assert_eq!(result["userinfo"]["name"], "Alice");
    let access = unverified_claims(result["access_token"].as_str().unwrap());
    assert_eq!(
        access["cnf"]["jkt"], result["jkt"],
        "bound to the library's key"
    );
}

#[actix_web::test]
async fn openid_client_completes_the_device_authorization_grant() {
    if !ready() {
        skip_unless_required(
            "openid_client::openid_client_completes_the_device_authorization_grant",
            "node or tests/interop/openid-client/node_modules missing (npm ci --prefix tests/interop/openid-client)",
        );
        return;
    }
    let app = spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await;
    app.client("tv")
        .name("Living-room TV")
        .public()
        .grant("urn:ietf:params:oauth:grant-type:device_code")
        .create()
        .await;
    let alice = app.user("alice").create();
    let issuer = app.state.issuer().to_string();
    let mut node = Command::new("node")
        .arg(format!("{DIR}/device.mjs"))
        .args([issuer.as_str(), "tv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut stdout = BufReader::new(node.stdout.take().unwrap());
    let (first, mut stdout) = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        (line, stdout)
    })
    .await
    .unwrap();
    let Ok(first) = serde_json::from_str::<Value>(&first) else {
        let out = node.wait_with_output().unwrap();
        panic!("node: {first}{}", String::from_utf8_lossy(&out.stderr));
    };
    assert_eq!(first["verification_uri"], format!("{issuer}/device"));
    // The person approves on /device while the library polls.
    let done =
        crate::device_flow::decide(&app, first["user_code"].as_str().unwrap(), "allow").await;
    assert!(done.body.contains("Device connected"), "{}", done.body);
    let (result, node) = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        (line, node.wait_with_output().unwrap())
    })
    .await
    .unwrap();
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    let result: Value = serde_json::from_str(&result).unwrap();
    assert_eq!(result["sub"], alice.id.as_str());
    assert_eq!(
        result["token_type"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("bearer")
    );
}

#[actix_web::test]
async fn openid_client_registers_itself_then_signs_a_user_in_and_reads_its_registration() {
    if !ready() {
        skip_unless_required(
            "openid_client::openid_client_registers_itself_then_signs_a_user_in_and_reads_its_registration",
            "node or tests/interop/openid-client/node_modules missing (npm ci --prefix tests/interop/openid-client)",
        );
        return;
    }
    const RP: &str = "https://rp.example/cb";
    let app = spawn_app_at_own_address_with("127.0.0.1", Arc::new(SystemClock), |s| {
        s.features.registration = true;
    })
    .await;
    let alice = app.user("alice").create();
    let initial = app.cli().registration_token(&["--max-uses", "1"]);
    let issuer = app.state.issuer().to_string();
    let mut node = Command::new("node")
        .arg(format!("{DIR}/register.mjs"))
        .args([issuer.as_str(), initial.token.as_str(), RP])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut stdout = BufReader::new(node.stdout.take().unwrap());
    let (first, mut stdout) = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        (line, stdout)
    })
    .await
    .unwrap();
    let Ok(first) = serde_json::from_str::<Value>(&first) else {
        let out = node.wait_with_output().unwrap();
        panic!("node: {first}{}", String::from_utf8_lossy(&out.stderr));
    };
    let client_id = first["client_id"].as_str().unwrap().to_string();
    assert_eq!(first["has_secret"], true);
    assert_eq!(
        first["registration_client_uri"],
        format!("{issuer}/register/{client_id}")
    );

    // The user signs in and consents (always asked of a registered client).
    let authorize = first["authorize"].as_str().unwrap();
    let path = authorize.strip_prefix(&issuer).unwrap();
    let mut b = app.browser();
    let page = b.get(path).await;
    let page = b.login(&page, "alice", crate::helpers::PASSWORD).await;
    assert!(page.is_consent(), "{}", page.body);
    let page = b.consent(&page, "allow").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let callback = page.location().to_string();
    let mut stdin = node.stdin.take().unwrap();
    writeln!(stdin, "{callback}").unwrap();
    let (result, node) = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        (line, node.wait_with_output().unwrap())
    })
    .await
    .unwrap();
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    let result: Value = serde_json::from_str(&result).unwrap();
    assert_eq!(result["sub"], alice.id.as_str());
    assert_eq!(result["aud"], client_id.as_str());
    assert_eq!(result["read_status"], 200);
    assert_eq!(result["read"]["client_id"], client_id.as_str());
    assert_eq!(result["read"]["client_name"], "openid-client interop");
    assert_eq!(
        result["read"]["token_endpoint_auth_method"],
        "client_secret_post"
    );
    assert_eq!(result["read"]["contacts"][0], "interop@example.org");
}
