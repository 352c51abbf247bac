//! Signing in with upstream providers in a real browser (headless Chromium), against two
//! real, separate OpenID providers: a second Portcullis *process*, and node
//! `oidc-provider` (panva's, certified). Both on `localhost`, ourselves on `127.0.0.1`, so
//! the browser keeps the cookies apart as it would for different sites. Button → the
//! upstream's own sign-in (and consent) pages → back → tokens for our client whose `sub`
//! is the linked local user, roles from the upstream's `groups`; the upstream's own
//! sign-out reaches us by back-channel logout.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use portcullis::clock::SystemClock;

use crate::helpers::stubs::free_port;
use crate::helpers::webdriver::{self, Driver};
use crate::helpers::{
    CallbackReceiver, PASSWORD, ServerProcess, TestApp, TestDb, VERIFIER, authorize_path,
    challenge, decode, redeem, skip_unless_required, spawn_app_at_own_address, wait_until,
};

const OIDC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/oidc-provider");

struct NodeProvider(Child);

impl Drop for NodeProvider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// node oidc-provider on `port`, with our client; `None` (skipped) without node.
fn oidc_provider(test: &str, port: u16, secret: &str, down: &TestApp) -> Option<NodeProvider> {
    let ready = std::path::Path::new(&format!("{OIDC_DIR}/node_modules/oidc-provider")).exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ready {
        skip_unless_required(
            test,
            "node or tests/interop/oidc-provider/node_modules missing (npm ci --prefix tests/interop/oidc-provider)",
        );
        return None;
    }
    let mut child = Command::new("node")
        .current_dir(OIDC_DIR)
        .args([
            "server.mjs",
            &port.to_string(),
            "portcullis",
            secret,
            &down.url("/upstream/oidc/callback"),
            &down.url("/upstream/oidc/backchannel"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node oidc-provider");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening"), "oidc-provider: {line}");
    // It keeps writing notes to stdout: keep reading, or it dies of a broken pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    Some(NodeProvider(child))
}

fn authorize_url(down: &TestApp, redirect: &str, fresh: bool) -> String {
    let ch = challenge(VERIFIER);
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "gallery"),
        ("redirect_uri", redirect),
        ("scope", "openid profile email"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if fresh {
        pairs.push(("prompt", "login"));
    }
    down.url(&authorize_path(&pairs))
}

/// The `sub` of the ID token our client gets for the code in `query`.
async fn local_sub(down: &TestApp, redirect: &str, query: &str) -> String {
    let code = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let tokens = redeem(down, "gallery", redirect, &code).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let (_, id) = decode(down, tokens.body["id_token"].as_str().unwrap()).await;
    let amr: Vec<String> = serde_json::from_value(id["amr"].clone()).unwrap();
    assert!(amr.iter().any(|a| a == "fed"), "{amr:?}");
    id["sub"].as_str().unwrap().to_string()
}

async fn add_upstream(down: &TestApp, name: &str, issuer: &str, client_id: &str, secret: &str) {
    down.cli()
        .env("PORTCULLIS_ISSUER", &down.url(""))
        .env("PORTCULLIS_HTTP__ALLOW_PRIVATE_DESTINATIONS", "true")
        .run_with_stdin(
            &[
                "upstream",
                "add",
                "--name",
                name,
                "--issuer",
                issuer,
                "--client-id",
                client_id,
                "--client-secret-stdin",
                "--role-from-claim",
                "groups",
                "--userinfo",
            ],
            secret,
        )
        .ok();
}

async fn click_when_present(driver: &Driver, css: &str) {
    driver.find(css).await;
    driver.click(css).await;
}

#[actix_web::test]
async fn a_browser_signs_in_through_a_portcullis_process_and_through_node_oidc_provider() {
    let test = "federation_browser::a_browser_signs_in_through_a_portcullis_process_and_through_node_oidc_provider";
    let Some(driver) = webdriver::start(test, None).await else {
        return;
    };
    let receiver = CallbackReceiver::start().await;
    let down = spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await;
    down.client("gallery")
        .name("Photo Gallery")
        .public()
        .grant("authorization_code")
        .redirect_uri(&receiver.url)
        .skip_consent()
        .create()
        .await;

    // Upstream 1: another Portcullis, as a separate process on localhost.
    let up_db = TestDb::sqlite();
    let up_port = free_port();
    let up_issuer = format!("http://localhost:{up_port}");
    let ours = up_db
        .cli()
        .client("downstream")
        .confidential()
        .grant("authorization_code")
        .redirect_uri(&down.url("/upstream/corp/callback"))
        .backchannel_logout_uri(&down.url("/upstream/corp/backchannel"))
        .skip_consent()
        .create()
        .await;
    up_db
        .cli()
        .user("dora")
        .email("dora@corp.example")
        .password(PASSWORD)
        .create();
    let up = ServerProcess::start_bound(
        up_db
            .cli()
            .env("PORTCULLIS_ISSUER", &up_issuer)
            .env("PORTCULLIS_HTTP__ALLOW_PRIVATE_DESTINATIONS", "true"),
        &["serve"],
        &format!("127.0.0.1:{up_port}"),
    );
    add_upstream(&down, "corp", &up_issuer, "downstream", ours.secret()).await;

    // Upstream 2: node oidc-provider.
    let oidc_port = free_port();
    let Some(_node) = oidc_provider(test, oidc_port, "an oidc-provider secret", &down) else {
        return;
    };
    let oidc_issuer = format!("http://localhost:{oidc_port}");
    add_upstream(
        &down,
        "oidc",
        &oidc_issuer,
        "portcullis",
        "an oidc-provider secret",
    )
    .await;

    // Through the Portcullis process.
    driver
        .goto(&authorize_url(&down, &receiver.url, false))
        .await;
    wait_until("both buttons", || async {
        driver
            .goto(&authorize_url(&down, &receiver.url, false))
            .await;
        let html = driver.script("return document.body.innerHTML").await;
        let html = html.as_str().unwrap_or_default().to_string();
        (html.contains("upstream-corp") && html.contains("upstream-oidc")).then_some(())
    })
    .await;
    driver
        .screenshot(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/screenshots/federation-signin.png"),
        )
        .await;
    driver.click("#upstream-corp").await;
    click_when_present(&driver, "#username").await;
    assert!(driver.current_url().await.starts_with(&up_issuer));
    driver.type_into("#username", "dora").await;
    driver.type_into("#password", PASSWORD).await;
    driver.click("button[type=submit]").await;
    let q = wait_until("back at our client", || async { receiver.take() }).await;
    let dora = local_sub(&down, &receiver.url, &q).await;
    let user = portcullis::store::users::find_by_id(&mut down.db.conn(), &dora)
        .unwrap()
        .unwrap();
    assert_eq!(user.username, "dora");
    // Again (a fresh sign-in asked here; the upstream still knows dora): the same user.
    driver
        .goto(&authorize_url(&down, &receiver.url, true))
        .await;
    click_when_present(&driver, "#upstream-corp").await;
    let q = wait_until("back at our client again", || async { receiver.take() }).await;
    assert_eq!(
        local_sub(&down, &receiver.url, &q).await,
        dora,
        "the link is reused"
    );

    // Through node oidc-provider (a fresh sign-in at ours: prompt=login).
    driver
        .goto(&authorize_url(&down, &receiver.url, true))
        .await;
    click_when_present(&driver, "#upstream-oidc").await;
    click_when_present(&driver, "input[name=login]").await;
    assert!(
        driver.current_url().await.starts_with(&oidc_issuer),
        "{}",
        driver.current_url().await
    );
    driver.type_into("input[name=login]", "olga").await;
    driver
        .type_into("input[name=password]", "any password")
        .await;
    driver.click("button[type=submit]").await;
    // Its consent page, then back to us and on to our client.
    wait_until("its consent page or our client", || async {
        if receiver_has(&receiver) {
            return Some(());
        }
        let url = driver.current_url().await;
        if url.starts_with(&oidc_issuer) && url.contains("/interaction/") {
            driver.click("button[type=submit]").await;
        }
        None
    })
    .await;
    let q = wait_until("back at our client", || async { receiver.take() }).await;
    let olga = local_sub(&down, &receiver.url, &q).await;
    assert_ne!(olga, dora);
    let user = portcullis::store::users::find_by_id(&mut down.db.conn(), &olga)
        .unwrap()
        .unwrap();
    assert_eq!(user.username, "olga");
    assert_eq!(user.email.as_deref(), Some("olga@oidc.example"));
    assert!(user.email_verified, "oidc-provider says email_verified");
    assert_eq!(user.roles, ["staff", "ops"], "from its groups claim");
    let shown = down.cli().run(&["user", "show", "olga"]).ok().stdout;
    assert!(shown.contains("linked:         oidc (sub olga"), "{shown}");

    // oidc-provider's own sign-out: its back-channel logout ends our session from it.
    let from_oidc = || {
        portcullis::store::sessions::list_for_user(&mut down.db.conn(), &olga)
            .unwrap()
            .len()
    };
    assert_eq!(from_oidc(), 1);
    driver.goto(&format!("{oidc_issuer}/session/end")).await;
    click_when_present(&driver, "button[autofocus]").await;
    wait_until(
        "oidc-provider's back-channel logout ends our session",
        || async { (from_oidc() == 0).then_some(()) },
    )
    .await;
    driver.quit().await;
    assert_eq!(up.stop().status, 0);
}

/// Whether our client got its callback (without taking it).
fn receiver_has(receiver: &CallbackReceiver) -> bool {
    match receiver.take() {
        Some(q) => {
            receiver.put_back(q);
            true
        }
        None => false,
    }
}
