use crate::helpers::{Cli, TestDb};

fn cli_in_temp() -> (tempfile::TempDir, Cli) {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    (dir, cli)
}

fn assert_config_error(cli: Cli, args: &[&str], expected: &[&str]) {
    let out = cli.run(args);
    assert_eq!(
        out.status, 2,
        "config errors exit with 2; stderr: {}",
        out.stderr
    );
    for e in expected {
        assert!(out.stderr.contains(e), "expected `{e}` in: {}", out.stderr);
    }
}

#[test]
fn a_malformed_environment_value_names_the_variable() {
    let (_d, cli) = cli_in_temp();
    assert_config_error(
        cli.env("PORTCULLIS_DATABASE__POOL_SIZE", "lots"),
        &["migrate"],
        &["PORTCULLIS_DATABASE__POOL_SIZE", "expected an integer"],
    );
}

#[test]
fn invalid_values_name_the_key_and_the_problem() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "PORTCULLIS_ISSUER",
            "http://id.example.com",
            &["`issuer`", "https"],
        ),
        (
            "PORTCULLIS_ISSUER",
            "https://id.example.com/",
            &["`issuer`", "end with `/`"],
        ),
        (
            "PORTCULLIS_BIND",
            "localhost",
            &["`bind`", "invalid socket address"],
        ),
        (
            "PORTCULLIS_DATABASE_URL",
            "mysql://db/x",
            &["`database.url`", "unsupported scheme `mysql`"],
        ),
        (
            "PORTCULLIS_LOG_FORMAT",
            "xml",
            &["`log.format`", "unknown variant `xml`"],
        ),
        (
            "PORTCULLIS_DATABASE__POOL_SIZE",
            "0",
            &["`database.pool_size`", "between 1 and 1000"],
        ),
        (
            "PORTCULLIS_PASSWORDS__ARGON2_MEMORY_KIB",
            "1",
            &["`passwords`", "argon2"],
        ),
        (
            "PORTCULLIS_KEYS__ENCRYPTION_KEY",
            "short",
            &["`keys.encryption_key`", "32 random bytes"],
        ),
        ("PORTCULLIS_KEYS__RSA_BITS", "1024", &["`keys.rsa_bits`"]),
        (
            "PORTCULLIS_KEYS__PREPUBLISH_SECS",
            "60",
            &["`keys.prepublish_secs`", "jwks_max_age_secs"],
        ),
        (
            "PORTCULLIS_TOKENS__ACCESS_TOKEN_TTL_SECS",
            "0",
            &["`tokens.access_token_ttl_secs`"],
        ),
        (
            "PORTCULLIS_TOKENS__REFRESH_TOKEN_IDLE_SECS",
            "99999999",
            &["`tokens.refresh_token_idle_secs`"],
        ),
        (
            "PORTCULLIS_CACHE__POLL_INTERVAL_MS",
            "1",
            &["`cache.poll_interval_ms`"],
        ),
        ("PORTCULLIS_SWEEP__BATCH_SIZE", "0", &["`sweep`"]),
    ];
    for (var, value, expected) in cases {
        let (_d, cli) = cli_in_temp();
        assert_config_error(cli.env(var, value), &["migrate"], expected);
    }
}

#[test]
fn the_config_file_is_read_and_its_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    let db_path = dir.path().join("from-file.db");
    std::fs::write(
        &good,
        format!(
            "issuer = \"https://id.example.com\"\n[database]\nurl = \"sqlite://{}\"\n",
            db_path.display()
        ),
    )
    .unwrap();
    Cli::new(dir.path())
        .run(&["--config", good.to_str().unwrap(), "migrate"])
        .ok();
    assert!(db_path.exists(), "the file's database.url was used");

    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "[database]\npool_sise = 3\n").unwrap();
    assert_config_error(
        Cli::new(dir.path()),
        &["--config", unknown.to_str().unwrap(), "migrate"],
        &["pool_sise", "database"],
    );

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[database\nurl = 3").unwrap();
    assert_config_error(
        Cli::new(dir.path()),
        &["--config", broken.to_str().unwrap(), "migrate"],
        &["not valid TOML", "broken.toml"],
    );

    assert_config_error(
        Cli::new(dir.path()),
        &["--config", "/nonexistent/portcullis.toml", "migrate"],
        &["cannot read config file", "/nonexistent/portcullis.toml"],
    );
}

#[test]
fn unknown_portcullis_variables_are_warned_about() {
    let db = TestDb::sqlite();
    let out = db
        .cli()
        .env("PORTCULLIS_DATABSE_URL", "sqlite://typo.db")
        .run(&["migrate"])
        .ok();
    assert!(
        out.stderr
            .contains("unknown environment variable PORTCULLIS_DATABSE_URL"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_database_password_never_appears_in_errors_or_logs() {
    let (_d, cli) = cli_in_temp();
    let out = cli
        .env(
            "PORTCULLIS_DATABASE_URL",
            "postgres://app:sekrit-pw-42@127.0.0.1:1/portcullis",
        )
        .env("PORTCULLIS_LOG_LEVEL", "trace")
        .run(&["migrate"]);
    assert_ne!(out.status, 0);
    assert!(
        out.stderr.contains("cannot open the database"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("app:***@127.0.0.1"), "{}", out.stderr);
    assert!(!out.stderr.contains("sekrit-pw-42"), "{}", out.stderr);
    assert!(!out.stdout.contains("sekrit-pw-42"));
}

#[test]
fn a_plain_http_loopback_issuer_starts_with_a_warning() {
    let db = TestDb::sqlite();
    let out = db.cli().run(&["migrate"]).ok();
    assert!(
        out.stderr
            .contains("is plain http: acceptable on loopback for development only"),
        "{}",
        out.stderr
    );
    let out = db
        .cli()
        .env("PORTCULLIS_ISSUER", "https://id.example.com")
        .run(&["migrate"])
        .ok();
    assert!(!out.stderr.contains("plain http"), "{}", out.stderr);
}

#[test]
fn forward_auth_settings_are_checked_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("issuer = \"https://id.example.com\"\n{body}")).unwrap();
        p
    };
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "default.toml",
            "[forward_auth]\ndefault_policy = \"api\"\n",
            &["forward_auth.default_policy", "`api`"],
        ),
        (
            "domain.toml",
            "[forward_auth]\nsession_cookie_domain = \".other.example\"\n",
            &["forward_auth.session_cookie_domain", "id.example.com"],
        ),
        (
            "hosts.toml",
            "[forward_auth]\nallowed_redirect_hosts = [\"https://app.example.com\"]\n",
            &[
                "forward_auth.allowed_redirect_hosts",
                "https://app.example.com",
            ],
        ),
        (
            "policy.toml",
            "[forward_auth.policies.\"a b\"]\nscope = [\"x\"]\n",
            &["forward_auth.policies.a b"],
        ),
        (
            "keys.toml",
            "[forward_auth.policies.api]\nscopes = [\"x\"]\n",
            &["scopes"],
        ),
    ];
    for (file, body, expected) in cases {
        let path = write(file, body);
        assert_config_error(
            Cli::new(dir.path()),
            &["--config", path.to_str().unwrap(), "migrate"],
            expected,
        );
    }
    let good = write(
        "good.toml",
        &format!(
            "[database]\nurl = \"sqlite://{}\"\n[forward_auth]\nsession_cookie_domain = \".example.com\"\n\
             allowed_redirect_hosts = [\"*.example.com\"]\ndefault_policy = \"api\"\n\
             [forward_auth.policies.api]\naudience = [\"https://api.example.com\"]\n",
            dir.path().join("x.db").display()
        ),
    );
    Cli::new(dir.path())
        .run(&["--config", good.to_str().unwrap(), "migrate"])
        .ok();
}
