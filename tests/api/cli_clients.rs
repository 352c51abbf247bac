//! `portcullis client …`: the operator's commands for clients, on each backend.

use portcullis::store::{audit, clients};
use serde_json::json;

use crate::helpers::TestDb;
use crate::helpers::internals::opaque;
use crate::on_each_backend;

on_each_backend!(
    creating_a_client_prints_its_secret_once_and_stores_only_its_hash,
    a_public_client_has_no_secret,
    a_generated_client_id_is_long_and_url_safe,
    clients_are_listed_as_json_and_as_a_table,
    showing_a_client_gives_its_settings_but_never_its_secret,
    rotating_a_secret_replaces_it,
    a_client_without_a_secret_has_none_to_rotate,
    a_deleted_client_is_gone,
    every_client_change_is_audited_in_order,
    bad_client_input_fails_clearly_and_changes_nothing,
    a_client_id_may_not_equal_a_users_subject,
    a_localhost_redirect_uri_is_registered_with_a_warning,
);

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

/// A machine client; returns the printed secret.
fn create_billing(db: &TestDb) -> String {
    let created = db
        .cli()
        .run_line(
            "client create --name Billing --id billing --grant-type client_credentials \
             --scope invoices.read invoices.write --audience https://billing.example/api --json",
        )
        .ok()
        .json();
    assert_eq!(created["client_id"], "billing");
    created["client_secret"].as_str().unwrap().to_string()
}

fn create_web(db: &TestDb) {
    db.cli()
        .run_line(
            "client create --name 'Web app' --id web \
             --grant-type authorization_code refresh_token \
             --redirect-uri https://app.example.com/cb \
             --post-logout-redirect-uri https://app.example.com/ \
             --backchannel-logout-uri https://app.example.com/logout/backchannel \
             --skip-consent",
        )
        .ok();
}

/// A public client; returns what `create --json` printed.
fn create_spa(db: &TestDb) -> serde_json::Value {
    db.cli()
        .run_line(
            "client create --name SPA --id spa --public --grant-type authorization_code \
             --redirect-uri http://127.0.0.1:3000/cb --json",
        )
        .ok()
        .json()
}

/// A client with a generated id; returns the id.
fn create_anonymous(db: &TestDb) -> String {
    let created = db
        .cli()
        .run_line("client create --name Anon --grant-type client_credentials --json")
        .ok()
        .json();
    created["client_id"].as_str().unwrap().to_string()
}

fn show(db: &TestDb, id: &str) -> serde_json::Value {
    db.cli().run(&["client", "show", id, "--json"]).ok().json()
}

fn creating_a_client_prints_its_secret_once_and_stores_only_its_hash(db: &TestDb) {
    let secret = create_billing(db);
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    assert!(opaque::matches(&secret, &stored_hash(db, "billing")));
}

fn a_public_client_has_no_secret(db: &TestDb) {
    let spa = create_spa(db);
    assert!(
        spa["client_secret"].is_null(),
        "a public client has no secret"
    );
    let spa = show(db, "spa");
    assert_eq!(spa["token_endpoint_auth_method"], "none");
    assert_eq!(spa["require_pkce"], true);
}

fn a_generated_client_id_is_long_and_url_safe(db: &TestDb) {
    let id = create_anonymous(db);
    assert!(id.len() >= 16);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{id}"
    );
}

fn clients_are_listed_as_json_and_as_a_table(db: &TestDb) {
    create_billing(db);
    create_web(db);
    create_spa(db);
    let generated_id = create_anonymous(db);
    let list = db.cli().run_line("client list --json").ok().json();
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
    let human = db.cli().run_line("client list").ok().stdout;
    assert!(
        human.contains("billing") && human.contains("confidential") && human.contains("public")
    );
}

fn showing_a_client_gives_its_settings_but_never_its_secret(db: &TestDb) {
    let secret = create_billing(db);
    create_web(db);
    let shown = db.cli().run_line("client show billing --json").ok();
    let billing = shown.json();
    assert_eq!(billing["name"], "Billing");
    assert_eq!(billing["public"], false);
    assert_eq!(billing["grant_types"], json!(["client_credentials"]));
    assert_eq!(
        billing["scopes"],
        json!(["invoices.read", "invoices.write"])
    );
    assert_eq!(billing["default_audience"], "https://billing.example/api");
    assert_eq!(billing["token_endpoint_auth_method"], "client_secret_basic");
    assert!(!shown.stdout.contains(&secret));
    assert!(!shown.stdout.contains("secret_hash"));

    let web = show(db, "web");
    assert_eq!(web["redirect_uris"], json!(["https://app.example.com/cb"]));
    assert_eq!(
        web["post_logout_redirect_uris"],
        json!(["https://app.example.com/"])
    );
    assert_eq!(
        web["backchannel_logout_uri"],
        "https://app.example.com/logout/backchannel"
    );
    assert_eq!(web["skip_consent"], true);
    assert_eq!(web["require_pkce"], false);
    let human = db.cli().run_line("client show web").ok().stdout;
    assert!(human.contains("https://app.example.com/cb"));
}

fn rotating_a_secret_replaces_it(db: &TestDb) {
    let secret = create_billing(db);
    let rotated = db
        .cli()
        .run_line("client rotate-secret billing --json")
        .ok()
        .json();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let hash = stored_hash(db, "billing");
    assert!(opaque::matches(new_secret, &hash));
    assert!(!opaque::matches(&secret, &hash));
}

fn a_client_without_a_secret_has_none_to_rotate(db: &TestDb) {
    create_spa(db);
    let out = db.cli().run_line("client rotate-secret spa");
    assert_ne!(out.status, 0);
    assert!(
        out.stderr.contains("without a shared secret"),
        "{}",
        out.stderr
    );
}

fn a_deleted_client_is_gone(db: &TestDb) {
    create_billing(db);
    db.cli().run_line("client delete billing").ok();
    let out = db.cli().run_line("client show billing");
    assert_ne!(out.status, 0);
    assert!(
        out.stderr.contains("no client with id `billing`"),
        "{}",
        out.stderr
    );
    let out = db.cli().run_line("client delete billing");
    assert_ne!(out.status, 0);
}

/// Hardening finding 13: RFC 8252 §8.3 prefers the loopback IP literal.
fn a_localhost_redirect_uri_is_registered_with_a_warning(db: &TestDb) {
    let out = db
        .cli()
        .run_line(
            "client create --name Native --public --grant-type authorization_code \
             --redirect-uri http://localhost:8123/cb",
        )
        .ok();
    assert!(out.stderr.contains("warning"), "{}", out.stderr);
    assert!(out.stderr.contains("RFC 8252"), "{}", out.stderr);
    let quiet = db
        .cli()
        .run_line(
            "client create --name Native2 --public --grant-type authorization_code \
             --redirect-uri http://127.0.0.1:8123/cb",
        )
        .ok();
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
}

/// Hardening finding 9: client ids and user subjects share the `sub` claim.
fn a_client_id_may_not_equal_a_users_subject(db: &TestDb) {
    let user = db.cli().user("victim").create();
    let out = db.cli().run(&[
        "client",
        "create",
        "--name",
        "Impostor",
        "--id",
        &user.id,
        "--grant-type",
        "client_credentials",
        "--scope",
        "openid",
        "--audience",
        "https://api.example",
    ]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("subject identifier"), "{}", out.stderr);
    let mut conn = db.conn();
    assert!(clients::find(&mut conn, &user.id).unwrap().is_none());
}

fn every_client_change_is_audited_in_order(db: &TestDb) {
    create_billing(db);
    create_web(db);
    create_spa(db);
    create_anonymous(db);
    db.cli().run_line("client rotate-secret billing").ok();
    db.cli().run_line("client rotate-secret spa");
    db.cli().run_line("client delete billing").ok();
    db.cli().run_line("client show billing");
    db.cli().run_line("client delete billing");
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

fn bad_client_input_fails_clearly_and_changes_nothing(db: &TestDb) {
    db.cli()
        .run_line("client create --name First --id first --grant-type client_credentials")
        .ok();
    let before = db.cli().run_line("client list --json").ok().stdout;

    for (args, message) in [
        (
            "--grant-type authorization_code --redirect-uri /cb",
            "must be an absolute URI",
        ),
        (
            "--grant-type authorization_code --redirect-uri http://evil.example/cb",
            "http is allowed only for loopback",
        ),
        (
            "--grant-type authorization_code --redirect-uri https://a.example/cb#x",
            "fragment",
        ),
        ("--grant-type password", "unknown grant type `password`"),
        ("--grant-type implicit", "unknown grant type `implicit`"),
        (
            "--id first --grant-type client_credentials",
            "the name `first` is taken",
        ),
        (
            "--public --grant-type client_credentials",
            "public client cannot use client_credentials",
        ),
        (
            "--grant-type authorization_code",
            "needs at least one --redirect-uri",
        ),
        (
            "--grant-type client_credentials --audience 'not a uri'",
            "audience",
        ),
        (
            "--grant-type client_credentials --backchannel-logout-uri http://rp.example/bcl",
            "back-channel logout URI",
        ),
        ("--id 'bad id' --grant-type client_credentials", "client id"),
        ("", "--grant-type"),
    ] {
        let out = db.cli().run_line(&format!("client create --name X {args}"));
        assert_ne!(out.status, 0, "{args:?} should fail");
        assert!(
            out.stderr.contains(message),
            "{args:?}: expected `{message}` in stderr, got: {}",
            out.stderr
        );
    }

    let after = db.cli().run_line("client list --json").ok().stdout;
    assert_eq!(before, after, "failed commands changed nothing");
    assert_eq!(audit_events(db), ["client.created"]);
}

#[test]
fn ids_beginning_with_a_hyphen_are_values_not_options() {
    // Generated ids and `sid`s are base64url: one in 64 begins with `-`.
    let db = TestDb::sqlite();
    for args in [
        &["client", "show", "-7abc"][..],
        &["client", "delete", "-7abc"],
        &["client", "rotate-secret", "-7abc"],
        &["session", "revoke", "-7abc"],
        &[
            "client",
            "create",
            "--id",
            "-7abc",
            "--name",
            "x",
            "--grant-type",
            "client_credentials",
        ],
    ] {
        let out = db.cli().run(args);
        assert!(
            !out.stderr.contains("unexpected argument"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
