//! `portcullis user …`: the operator's commands for users, on each backend.

use diesel::prelude::*;
use portcullis::config::PasswordSettings;
use portcullis::store::schema::{refresh_tokens, sessions};
use portcullis::store::users;

use crate::helpers::TestDb;
use crate::helpers::db::FAST_ARGON2_KIB;
use crate::helpers::internals::{Passwords, Secret};
use crate::on_each_backend;

on_each_backend!(
    a_created_user_is_listed_with_a_lowercase_name_and_without_the_hash,
    the_password_is_stored_as_an_argon2id_hash,
    setting_a_password_replaces_it_and_ends_the_users_sessions,
    a_disabled_user_is_listed_as_disabled_until_enabled,
    a_deleted_user_is_gone,
);

fn passwords() -> Passwords {
    Passwords::new(&PasswordSettings {
        argon2_memory_kib: FAST_ARGON2_KIB,
        argon2_iterations: 1,
        argon2_parallelism: 1,
        max_concurrent_hashes: 1,
    })
    .unwrap()
}

fn password_hash(db: &TestDb, username: &str) -> String {
    let mut conn = db.conn();
    users::find_by_username(&mut conn, username)
        .unwrap()
        .expect("user exists")
        .password_hash
}

/// Gives the user a live session and refresh token, as a browser login would.
fn seed_session(db: &TestDb, user_id: &str) {
    let mut conn = db.conn();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(vec![1u8; 32]),
            sessions::sid.eq("sid-1"),
            sessions::user_id.eq(user_id),
            sessions::auth_time.eq(1),
            sessions::amr.eq("[\"pwd\"]"),
            sessions::created_at.eq(1),
            sessions::last_seen_at.eq(1),
            sessions::expires_at.eq(i64::MAX),
        ))
        .execute(&mut conn)
        .unwrap();
    db.cli()
        .run_line(
            "client create --name Web --id web --grant-type authorization_code refresh_token \
             --redirect-uri https://a.example/cb",
        )
        .ok();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(vec![2u8; 32]),
            refresh_tokens::family_id.eq("fam"),
            refresh_tokens::client_id.eq("web"),
            refresh_tokens::user_id.eq(Some(user_id)),
            refresh_tokens::scope.eq("openid"),
            refresh_tokens::issued_at.eq(1),
            refresh_tokens::expires_at.eq(i64::MAX),
        ))
        .execute(&mut conn)
        .unwrap();
}

fn session_state(db: &TestDb) -> (i64, Option<i64>) {
    let mut conn = db.conn();
    let n = sessions::table.count().get_result(&mut conn).unwrap();
    let revoked = refresh_tokens::table
        .select(refresh_tokens::revoked_at)
        .first(&mut conn)
        .unwrap();
    (n, revoked)
}

const FIRST_PASSWORD: &str = "correct horse battery";

/// Creates Alice (typed with a capital, two roles); returns what the create command printed.
fn create_alice(db: &TestDb) -> String {
    db.cli()
        .run_line_with_stdin(
            "user create --username Alice --email alice@example.com --name 'Alice Liddell' \
             --role admin --role ops --password-stdin",
            &format!("{FIRST_PASSWORD}\n"),
        )
        .ok()
        .stdout
}

fn listed(db: &TestDb) -> serde_json::Value {
    db.cli().run_line("user list --json").ok().json()
}

fn a_created_user_is_listed_with_a_lowercase_name_and_without_the_hash(db: &TestDb) {
    let out = create_alice(db);
    assert!(out.contains("created user alice"), "{out}");
    let list = db.cli().run_line("user list --json").ok();
    assert!(
        !list.stdout.contains("argon2"),
        "no password hash in output"
    );
    let users = list.json();
    let alice = &users[0];
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["email"], "alice@example.com");
    assert_eq!(alice["display_name"], "Alice Liddell");
    assert_eq!(alice["roles"], serde_json::json!(["admin", "ops"]));
    assert_eq!(alice["disabled"], false);
}

fn the_password_is_stored_as_an_argon2id_hash(db: &TestDb) {
    create_alice(db);
    let hash = password_hash(db, "alice");
    assert!(hash.starts_with("$argon2id$"));
    assert!(passwords().verify(&Secret::new(FIRST_PASSWORD.into()), &hash));
}

fn setting_a_password_replaces_it_and_ends_the_users_sessions(db: &TestDb) {
    create_alice(db);
    let user_id = listed(db)[0]["id"].as_str().unwrap().to_string();
    seed_session(db, &user_id);
    db.cli()
        .run_line_with_stdin(
            "user set-password alice --password-stdin",
            "tr0ub4dor&3-long",
        )
        .ok();
    let hash = password_hash(db, "alice");
    assert!(passwords().verify(&Secret::new("tr0ub4dor&3-long".into()), &hash));
    assert!(!passwords().verify(&Secret::new(FIRST_PASSWORD.into()), &hash));
    let (sessions_left, revoked) = session_state(db);
    assert_eq!(sessions_left, 0);
    assert!(revoked.is_some(), "refresh tokens revoked");
}

fn a_disabled_user_is_listed_as_disabled_until_enabled(db: &TestDb) {
    create_alice(db);
    db.cli().run_line("user disable ALICE").ok();
    assert_eq!(listed(db)[0]["disabled"], true);
    assert!(
        db.cli()
            .run_line("user list")
            .ok()
            .stdout
            .contains("disabled")
    );
    db.cli().run_line("user enable alice").ok();
    assert_eq!(listed(db)[0]["disabled"], false);
}

fn a_deleted_user_is_gone(db: &TestDb) {
    create_alice(db);
    db.cli().run_line("user delete alice").ok();
    assert_eq!(listed(db), serde_json::json!([]));
}

#[test]
fn bad_user_input_fails_clearly_and_changes_nothing() {
    let db = TestDb::sqlite();
    db.cli()
        .run_line_with_stdin(
            "user create --username bob --password-stdin",
            "a good long password",
        )
        .ok();
    let bob_hash = password_hash(&db, "bob");
    let before = db.cli().run_line("user list --json").ok().stdout;

    let long = "another long password";
    for (line, stdin, message) in [
        (
            "create --username carol --password-stdin",
            "short",
            "at least 8 characters",
        ),
        (
            "create --username carol --password-stdin",
            "",
            "no password on standard input",
        ),
        (
            "create --username BOB --password-stdin",
            long,
            "the name `bob` is taken",
        ),
        (
            "create --username 'has space' --password-stdin",
            long,
            "username `has space` is invalid",
        ),
        (
            "create --username carol --email nope --password-stdin",
            long,
            "not an email address",
        ),
        (
            "create --username carol --role 'a b' --password-stdin",
            long,
            "role `a b` is invalid",
        ),
        ("create --username carol", long, "--password-stdin"),
        (
            "set-password bob --password-stdin",
            "short",
            "at least 8 characters",
        ),
        (
            "set-password nobody --password-stdin",
            long,
            "no user named `nobody`",
        ),
        ("disable nobody", "", "no user named `nobody`"),
        ("delete nobody", "", "no user named `nobody`"),
    ] {
        let out = db.cli().run_line_with_stdin(&format!("user {line}"), stdin);
        assert_ne!(out.status, 0, "{line:?} should fail");
        assert!(
            out.stderr.contains(message),
            "{line:?}: expected `{message}` in stderr, got: {}",
            out.stderr
        );
    }
    assert_eq!(db.cli().run_line("user list --json").ok().stdout, before);
    assert_eq!(password_hash(&db, "bob"), bob_hash);
}
