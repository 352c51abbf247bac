use portcullis::config::DatabaseSettings;
use portcullis::store::{clients, connect_once, users};

use crate::helpers::internals::{Passwords, Secret, opaque};
use crate::helpers::{Cli, ServerProcess};

/// The value printed after `label` in the demo banner.
fn printed(stdout: &str, label: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("`{label}` not printed:\n{stdout}"))
        .trim()
        .to_string()
}

async fn get(path: &str) -> u16 {
    awc::Client::default()
        .get(path)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `serve --demo` from an empty directory: only the listening port is set (so tests can
/// run side by side); everything else is the out-of-the-box default, including the
/// production argon2 parameters.
fn bare_cli(dir: &std::path::Path) -> Cli {
    // Undo the harness's fast-hash settings: this test checks the real defaults.
    Cli::new(dir)
        .without_env("PORTCULLIS_PASSWORDS__ARGON2_MEMORY_KIB")
        .without_env("PORTCULLIS_PASSWORDS__ARGON2_ITERATIONS")
}

#[actix_web::test]
async fn serve_demo_starts_on_a_fresh_directory_with_working_credentials() {
    let dir = tempfile::tempdir().unwrap();

    let server = ServerProcess::start(bare_cli(dir.path()), &["serve", "--demo"]);
    assert_eq!(get(&server.url("/healthz")).await, 200);
    assert_eq!(get(&server.url("/readyz")).await, 200);
    let first = server.stop();
    assert_eq!(
        first.status, 0,
        "graceful exit on SIGTERM: {}",
        first.stderr
    );
    assert!(first.stderr.contains("\"stopped\""), "{}", first.stderr);

    let secret = printed(&first.stdout, "client_secret");
    let password = printed(&first.stdout, "password");
    assert!(first.stdout.contains("demo-spa"));
    assert!(first.stdout.contains("/demo\n"), "{}", first.stdout);
    assert!(first.stdout.contains("curl -s -u demo-service:"));

    // The printed credentials are the stored ones, in the default SQLite file.
    let db = DatabaseSettings {
        url: portcullis::config::DatabaseUrl::new(format!(
            "sqlite://{}",
            dir.path().join("data/portcullis.db").display()
        )),
        ..Default::default()
    };
    let check = |secret: &str, password: &str| {
        let mut conn = connect_once(&db).unwrap();
        let service = clients::find(&mut conn, "demo-service").unwrap().unwrap();
        let spa = clients::find(&mut conn, "demo-spa").unwrap().unwrap();
        assert!(spa.public && spa.secret_hash.is_none());
        let user = users::find_by_username(&mut conn, "demo").unwrap().unwrap();
        let passwords = Passwords::new(&Default::default()).unwrap();
        (
            opaque::matches(secret, service.secret_hash.as_deref().unwrap()),
            passwords.verify(&Secret::new(password.to_string()), &user.password_hash),
            clients::list(&mut conn).unwrap().len(),
            users::list(&mut conn).unwrap().len(),
        )
    };
    assert_eq!(check(&secret, &password), (true, true, 2, 1));

    // Logs never carry the secrets the banner prints.
    assert!(!first.stderr.contains(&secret));
    assert!(!first.stderr.contains(&password));

    // Restart: same rows (idempotent), fresh credentials, no second migration.
    let server = ServerProcess::start(bare_cli(dir.path()), &["serve", "--demo"]);
    assert_eq!(get(&server.url("/readyz")).await, 200);
    let second = server.stop();
    assert_eq!(second.status, 0);
    assert!(
        !second.stderr.contains("database migrated"),
        "{}",
        second.stderr
    );
    let new_secret = printed(&second.stdout, "client_secret");
    let new_password = printed(&second.stdout, "password");
    assert_eq!(check(&new_secret, &new_password), (true, true, 2, 1));
    assert!(
        !check(&secret, &password).0,
        "the old demo secret is replaced"
    );
    assert!(!second.stderr.contains(&new_secret));
    assert!(!second.stderr.contains(&new_password));
}

#[test]
fn client_secrets_and_passwords_never_reach_the_logs_of_cli_commands() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let cli = || {
        Cli::new(dir.path())
            .env("PORTCULLIS_DATABASE_URL", &url)
            .env("PORTCULLIS_LOG_LEVEL", "trace")
            .env("PORTCULLIS_LOG_FORMAT", "json")
    };
    let out = cli()
        .run(&[
            "client",
            "create",
            "--name",
            "S",
            "--id",
            "s",
            "--grant-type",
            "client_credentials",
            "--json",
        ])
        .ok();
    let secret = out.json()["client_secret"].as_str().unwrap().to_string();
    assert!(!out.stderr.contains(&secret));
    let out = cli().run(&["client", "rotate-secret", "s", "--json"]).ok();
    let rotated = out.json()["client_secret"].as_str().unwrap().to_string();
    assert!(!out.stderr.contains(&rotated));

    let password = "pa55word-that-must-not-leak";
    let out = cli()
        .run_with_stdin(
            &["user", "create", "--username", "eve", "--password-stdin"],
            password,
        )
        .ok();
    assert!(!out.stderr.contains(password) && !out.stdout.contains(password));
    let out = cli()
        .run_with_stdin(
            &["user", "set-password", "eve", "--password-stdin"],
            password,
        )
        .ok();
    assert!(!out.stderr.contains(password) && !out.stdout.contains(password));
}

/// A free loopback port, for a server whose issuer must name its own address.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[actix_web::test]
async fn a_browser_opens_the_printed_url_signs_in_as_the_demo_user_and_sees_its_tokens() {
    use crate::helpers::webdriver;
    let test = "a_browser_opens_the_printed_url_signs_in_as_the_demo_user_and_sees_its_tokens";
    let Some(driver) = webdriver::start(test, None).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let cli = Cli::new(dir.path()).env("PORTCULLIS_ISSUER", &issuer);
    let server =
        ServerProcess::start_bound(cli, &["serve", "--demo"], &format!("127.0.0.1:{port}"));
    let banner = crate::helpers::wait_until("the demo banner is printed", || async {
        let out = server.printed();
        out.contains("curl -s").then_some(out)
    })
    .await;
    let password = printed(&banner, "password");
    let url = banner
        .lines()
        .skip_while(|l| !l.contains("Sign in from a browser"))
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(url, format!("{issuer}/demo"));

    driver.goto(&url).await;
    driver.click("#demo-sign-in").await;
    driver.type_into("#username", "demo").await;
    driver.type_into("#password", &password).await;
    driver.click("button[type=submit]").await;
    driver.click("button[value=allow]").await;
    let sub = crate::helpers::wait_until("the callback shows the ID token", || async {
        let s = driver.text("#id-token-sub").await;
        (!s.is_empty()).then_some(s)
    })
    .await;
    assert!(
        driver
            .current_url()
            .await
            .starts_with(&format!("{issuer}/demo/callback"))
    );
    let claims: serde_json::Value =
        serde_json::from_str(&driver.text("#id-token-claims").await).unwrap();
    assert_eq!(claims["sub"], sub.as_str());
    assert_eq!(claims["iss"], issuer.as_str());
    let userinfo = crate::helpers::wait_until("UserInfo is shown", || async {
        serde_json::from_str::<serde_json::Value>(&driver.text("#userinfo").await).ok()
    })
    .await;
    assert_eq!(userinfo["sub"], sub.as_str(), "{userinfo}");
    assert_eq!(userinfo["preferred_username"], "demo");
    driver
        .screenshot(
            &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/screenshots/demo-callback-desktop.png"),
        )
        .await;

    // Refresh: a rotated refresh token and new access token, shown.
    let before = driver.text("#access-token-claims").await;
    driver.click("#demo-refresh").await;
    crate::helpers::wait_until("the refresh is shown", || async {
        driver
            .text("#demo-status")
            .await
            .starts_with("Refreshed")
            .then_some(())
    })
    .await;
    assert_ne!(driver.text("#access-token-claims").await, before);

    // Sign out (RP-initiated logout) comes back to the demo's start page.
    driver.click("#demo-logout").await;
    driver.find("#demo-sign-in").await;
    assert_eq!(driver.current_url().await, format!("{issuer}/demo"));
    // The session is over: signing in again asks for the password.
    driver.click("#demo-sign-in").await;
    driver.find("#password").await;
    driver.quit().await;
    let stopped = server.stop();
    assert!(!stopped.stderr.contains(&password));
}

#[actix_web::test]
async fn without_demo_mode_the_demo_pages_are_not_served() {
    let app = crate::helpers::spawn_app().await;
    assert_eq!(app.status_of("/demo").await, 404);
    assert_eq!(app.status_of("/demo/callback").await, 404);
}
