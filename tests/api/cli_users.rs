use diesel::prelude::*;
use portcullis::config::PasswordSettings;
use portcullis::store::schema::{refresh_tokens, sessions};
use portcullis::store::users;

use crate::helpers::TestDb;
use crate::helpers::db::FAST_ARGON2_KIB;
use crate::helpers::internals::{Passwords, Secret};

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
        .run(&[
            "client",
            "create",
            "--name",
            "Web",
            "--id",
            "web",
            "--grant-type",
            "authorization_code",
            "refresh_token",
            "--redirect-uri",
            "https://a.example/cb",
        ])
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

/// create, set password, disable (and enable, delete): the same sequence on each backend.
fn user_lifecycle(db: &TestDb) {
    let out = db
        .cli()
        .run_with_stdin(
            &[
                "user",
                "create",
                "--username",
                "Alice",
                "--email",
                "alice@example.com",
                "--name",
                "Alice Liddell",
                "--role",
                "admin",
                "--role",
                "ops",
                "--password-stdin",
            ],
            "correct horse battery\n",
        )
        .ok();
    assert!(out.stdout.contains("created user alice"), "{}", out.stdout);

    let list = db.cli().run(&["user", "list", "--json"]).ok();
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
    let user_id = alice["id"].as_str().unwrap().to_string();

    let hash = password_hash(db, "alice");
    assert!(hash.starts_with("$argon2id$"));
    assert!(passwords().verify(&Secret::new("correct horse battery".into()), &hash));

    // set-password: the new one verifies, the old one does not, sessions end.
    seed_session(db, &user_id);
    db.cli()
        .run_with_stdin(
            &["user", "set-password", "alice", "--password-stdin"],
            "tr0ub4dor&3-long",
        )
        .ok();
    let hash = password_hash(db, "alice");
    assert!(passwords().verify(&Secret::new("tr0ub4dor&3-long".into()), &hash));
    assert!(!passwords().verify(&Secret::new("correct horse battery".into()), &hash));
    let (sessions_left, revoked) = session_state(db);
    assert_eq!(sessions_left, 0);
    assert!(revoked.is_some(), "refresh tokens revoked");

    // disable / enable
    db.cli().run(&["user", "disable", "ALICE"]).ok();
    let users = db.cli().run(&["user", "list", "--json"]).ok().json();
    assert_eq!(users[0]["disabled"], true);
    assert!(
        db.cli()
            .run(&["user", "list"])
            .ok()
            .stdout
            .contains("disabled")
    );
    db.cli().run(&["user", "enable", "alice"]).ok();
    let users = db.cli().run(&["user", "list", "--json"]).ok().json();
    assert_eq!(users[0]["disabled"], false);

    // delete
    db.cli().run(&["user", "delete", "alice"]).ok();
    let users = db.cli().run(&["user", "list", "--json"]).ok().json();
    assert_eq!(users, serde_json::json!([]));
}

#[test]
fn user_commands_work_on_sqlite() {
    user_lifecycle(&TestDb::sqlite());
}

#[test]
fn user_commands_work_on_postgres() {
    if let Some(db) = TestDb::postgres("user_commands_work_on_postgres") {
        user_lifecycle(&db);
    }
}

#[test]
fn bad_user_input_fails_clearly_and_changes_nothing() {
    let db = TestDb::sqlite();
    db.cli()
        .run_with_stdin(
            &["user", "create", "--username", "bob", "--password-stdin"],
            "a good long password",
        )
        .ok();
    let bob_hash = password_hash(&db, "bob");
    let before = db.cli().run(&["user", "list", "--json"]).ok().stdout;

    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["user", "create", "--username", "carol", "--password-stdin"],
            "short",
            "at least 8 characters",
        ),
        (
            &["user", "create", "--username", "carol", "--password-stdin"],
            "",
            "no password on standard input",
        ),
        (
            &["user", "create", "--username", "BOB", "--password-stdin"],
            "another long password",
            "a user named `bob` already exists",
        ),
        (
            &[
                "user",
                "create",
                "--username",
                "has space",
                "--password-stdin",
            ],
            "another long password",
            "username `has space` is invalid",
        ),
        (
            &[
                "user",
                "create",
                "--username",
                "carol",
                "--email",
                "nope",
                "--password-stdin",
            ],
            "another long password",
            "not an email address",
        ),
        (
            &[
                "user",
                "create",
                "--username",
                "carol",
                "--role",
                "a b",
                "--password-stdin",
            ],
            "another long password",
            "role `a b` is invalid",
        ),
        (
            &["user", "create", "--username", "carol"],
            "another long password",
            "--password-stdin",
        ),
        (
            &["user", "set-password", "bob", "--password-stdin"],
            "short",
            "at least 8 characters",
        ),
        (
            &["user", "set-password", "nobody", "--password-stdin"],
            "another long password",
            "no user named `nobody`",
        ),
        (&["user", "disable", "nobody"], "", "no user named `nobody`"),
        (&["user", "delete", "nobody"], "", "no user named `nobody`"),
    ];
    for (args, stdin, message) in cases {
        let out = db.cli().run_with_stdin(args, stdin);
        assert_ne!(out.status, 0, "{args:?} should fail");
        assert!(
            out.stderr.contains(message),
            "{args:?}: expected `{message}` in stderr, got: {}",
            out.stderr
        );
    }
    assert_eq!(
        db.cli().run(&["user", "list", "--json"]).ok().stdout,
        before
    );
    assert_eq!(password_hash(&db, "bob"), bob_hash);
}
