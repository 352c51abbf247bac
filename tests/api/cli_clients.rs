use portcullis::store::{audit, clients};

use crate::helpers::TestDb;
use crate::helpers::internals::opaque;

fn audit_events(db: &TestDb) -> Vec<String> {
    let mut conn = db.conn();
    let mut events: Vec<String> = audit::recent(&mut conn, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    events.reverse();
    events
}

fn stored_hash(db: &TestDb, id: &str) -> Vec<u8> {
    let mut conn = db.conn();
    clients::find(&mut conn, id)
        .unwrap()
        .expect("client exists")
        .secret_hash
        .expect("has a secret")
}

/// create, list, show, rotate secret, delete: the same sequence on each backend.
fn client_lifecycle(db: &TestDb) {
    // Create a machine client; the secret is printed once and only its hash is stored.
    let out = db
        .cli()
        .run(&[
            "client",
            "create",
            "--name",
            "Billing",
            "--id",
            "billing",
            "--grant-type",
            "client_credentials",
            "--scope",
            "invoices.read",
            "invoices.write",
            "--audience",
            "https://billing.example/api",
            "--json",
        ])
        .ok();
    let created = out.json();
    assert_eq!(created["client_id"], "billing");
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    assert!(opaque::matches(&secret, &stored_hash(db, "billing")));

    db.cli()
        .run(&[
            "client",
            "create",
            "--name",
            "Web app",
            "--id",
            "web",
            "--grant-type",
            "authorization_code",
            "refresh_token",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--post-logout-redirect-uri",
            "https://app.example.com/",
            "--backchannel-logout-uri",
            "https://app.example.com/logout/backchannel",
            "--skip-consent",
        ])
        .ok();
    let spa = db
        .cli()
        .run(&[
            "client",
            "create",
            "--name",
            "SPA",
            "--id",
            "spa",
            "--public",
            "--grant-type",
            "authorization_code",
            "--redirect-uri",
            "http://127.0.0.1:3000/cb",
            "--json",
        ])
        .ok()
        .json();
    assert!(
        spa["client_secret"].is_null(),
        "a public client has no secret"
    );

    // Generated ids are random and URL-safe.
    let generated = db
        .cli()
        .run(&[
            "client",
            "create",
            "--name",
            "Anon",
            "--grant-type",
            "client_credentials",
            "--json",
        ])
        .ok()
        .json();
    let generated_id = generated["client_id"].as_str().unwrap().to_string();
    assert!(generated_id.len() >= 16);

    // List
    let list = db.cli().run(&["client", "list", "--json"]).ok().json();
    let mut ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = vec!["billing", "spa", "web", generated_id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let human = db.cli().run(&["client", "list"]).ok().stdout;
    assert!(
        human.contains("billing") && human.contains("confidential") && human.contains("public")
    );

    // Show
    let shown = db.cli().run(&["client", "show", "billing", "--json"]).ok();
    let billing = shown.json();
    assert_eq!(billing["name"], "Billing");
    assert_eq!(billing["public"], false);
    assert_eq!(
        billing["grant_types"],
        serde_json::json!(["client_credentials"])
    );
    assert_eq!(
        billing["scopes"],
        serde_json::json!(["invoices.read", "invoices.write"])
    );
    assert_eq!(billing["default_audience"], "https://billing.example/api");
    assert_eq!(billing["token_endpoint_auth_method"], "client_secret_basic");
    assert!(!shown.stdout.contains(&secret));
    assert!(!shown.stdout.contains("secret_hash"));

    let web = db
        .cli()
        .run(&["client", "show", "web", "--json"])
        .ok()
        .json();
    assert_eq!(
        web["redirect_uris"],
        serde_json::json!(["https://app.example.com/cb"])
    );
    assert_eq!(
        web["post_logout_redirect_uris"],
        serde_json::json!(["https://app.example.com/"])
    );
    assert_eq!(
        web["backchannel_logout_uri"],
        "https://app.example.com/logout/backchannel"
    );
    assert_eq!(web["skip_consent"], true);
    assert_eq!(web["require_pkce"], false);
    let spa = db
        .cli()
        .run(&["client", "show", "spa", "--json"])
        .ok()
        .json();
    assert_eq!(spa["token_endpoint_auth_method"], "none");
    assert_eq!(spa["require_pkce"], true);
    let human = db.cli().run(&["client", "show", "web"]).ok().stdout;
    assert!(human.contains("https://app.example.com/cb"));

    // Rotate: the new secret works, the old one no longer does.
    let rotated = db
        .cli()
        .run(&["client", "rotate-secret", "billing", "--json"])
        .ok()
        .json();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let hash = stored_hash(db, "billing");
    assert!(opaque::matches(new_secret, &hash));
    assert!(!opaque::matches(&secret, &hash));

    let out = db.cli().run(&["client", "rotate-secret", "spa"]);
    assert_ne!(out.status, 0);
    assert!(
        out.stderr.contains("without a shared secret"),
        "{}",
        out.stderr
    );

    // Delete
    db.cli().run(&["client", "delete", "billing"]).ok();
    let out = db.cli().run(&["client", "show", "billing"]);
    assert_ne!(out.status, 0);
    assert!(
        out.stderr.contains("no client with id `billing`"),
        "{}",
        out.stderr
    );
    let out = db.cli().run(&["client", "delete", "billing"]);
    assert_ne!(out.status, 0);

    assert_eq!(
        audit_events(db),
        [
            "client.created",
            "client.created",
            "client.created",
            "client.created",
            "client.secret_rotated",
            "client.deleted"
        ]
    );
}

#[test]
fn client_commands_work_on_sqlite() {
    client_lifecycle(&TestDb::sqlite());
}

#[test]
fn client_commands_work_on_postgres() {
    if let Some(db) = TestDb::postgres("client_commands_work_on_postgres") {
        client_lifecycle(&db);
    }
}

fn bad_client_input_changes_nothing(db: &TestDb) {
    db.cli()
        .run(&[
            "client",
            "create",
            "--name",
            "First",
            "--id",
            "first",
            "--grant-type",
            "client_credentials",
        ])
        .ok();
    let before = db.cli().run(&["client", "list", "--json"]).ok().stdout;

    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--name",
                "X",
                "--grant-type",
                "authorization_code",
                "--redirect-uri",
                "/cb",
            ],
            "must be an absolute URI",
        ),
        (
            &[
                "--name",
                "X",
                "--grant-type",
                "authorization_code",
                "--redirect-uri",
                "http://evil.example/cb",
            ],
            "http is allowed only for loopback",
        ),
        (
            &[
                "--name",
                "X",
                "--grant-type",
                "authorization_code",
                "--redirect-uri",
                "https://a.example/cb#x",
            ],
            "fragment",
        ),
        (
            &["--name", "X", "--grant-type", "password"],
            "unknown grant type `password`",
        ),
        (
            &["--name", "X", "--grant-type", "implicit"],
            "unknown grant type `implicit`",
        ),
        (
            &[
                "--name",
                "X",
                "--id",
                "first",
                "--grant-type",
                "client_credentials",
            ],
            "a client with id `first` already exists",
        ),
        (
            &[
                "--name",
                "X",
                "--public",
                "--grant-type",
                "client_credentials",
            ],
            "public client cannot use client_credentials",
        ),
        (
            &["--name", "X", "--grant-type", "authorization_code"],
            "needs at least one --redirect-uri",
        ),
        (
            &[
                "--name",
                "X",
                "--grant-type",
                "client_credentials",
                "--audience",
                "not a uri",
            ],
            "audience",
        ),
        (
            &[
                "--name",
                "X",
                "--grant-type",
                "client_credentials",
                "--backchannel-logout-uri",
                "http://rp.example/bcl",
            ],
            "back-channel logout URI",
        ),
        (
            &[
                "--name",
                "X",
                "--id",
                "bad id",
                "--grant-type",
                "client_credentials",
            ],
            "client id",
        ),
        (&["--name", "X"], "--grant-type"),
    ];
    for (args, message) in cases {
        let mut full = vec!["client", "create"];
        full.extend_from_slice(args);
        let out = db.cli().run(&full);
        assert_ne!(out.status, 0, "{args:?} should fail");
        assert!(
            out.stderr.contains(message),
            "{args:?}: expected `{message}` in stderr, got: {}",
            out.stderr
        );
    }

    let after = db.cli().run(&["client", "list", "--json"]).ok().stdout;
    assert_eq!(before, after, "failed commands changed nothing");
    assert_eq!(audit_events(db), ["client.created"]);
}

#[test]
fn bad_client_input_fails_clearly_and_changes_nothing_on_sqlite() {
    bad_client_input_changes_nothing(&TestDb::sqlite());
}

#[test]
fn bad_client_input_fails_clearly_and_changes_nothing_on_postgres() {
    if let Some(db) =
        TestDb::postgres("bad_client_input_fails_clearly_and_changes_nothing_on_postgres")
    {
        bad_client_input_changes_nothing(&db);
    }
}
