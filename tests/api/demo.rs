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
    assert!(
        first
            .stdout
            .contains("/authorize?response_type=code&client_id=demo-spa")
    );
    assert!(first.stdout.contains("code_challenge_method=S256"));
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
