//! `portcullis audit list`: filters by time, event, user and client, newest first; `--json`
//! is one object per line. On each backend.

use serde_json::Value;

use crate::helpers::TestDb;
use crate::on_each_backend;

on_each_backend!(
    the_audit_log_lists_newest_first_as_json_lines,
    the_audit_log_filters_by_event_user_client_and_time,
    bad_audit_filters_fail_clearly,
);

/// A client, a user and a disabled user: five audit entries.
fn some_history(db: &TestDb) {
    db.cli()
        .run_line(
            "client create --name Billing --id billing --grant-type client_credentials \
             --audience https://billing.example/api",
        )
        .ok();
    db.cli().user("alice").create();
    db.cli().user("bob").create();
    db.cli().run_line("user disable bob").ok();
}

fn listed(db: &TestDb, args: &str) -> Vec<Value> {
    let out = db.cli().run_line(&format!("audit list --json {args}")).ok();
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn the_audit_log_lists_newest_first_as_json_lines(db: &TestDb) {
    some_history(db);
    let all = listed(db, "");
    let events: Vec<&str> = all.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        &events[..4],
        [
            "user.disabled",
            "user.created",
            "user.created",
            "client.created"
        ]
    );
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert!(all[0]["details"].is_object());
    assert!(all[0]["time"].as_str().unwrap().ends_with('Z'));
    let table = db.cli().run_line("audit list").ok();
    assert!(table.stdout.starts_with("TIME"), "{}", table.stdout);
    assert!(table.stdout.contains("user.disabled"));
}

fn the_audit_log_filters_by_event_user_client_and_time(db: &TestDb) {
    some_history(db);
    let created = listed(db, "--event user.created --event client.created");
    assert_eq!(created.len(), 3);
    let bob = listed(db, "--user bob");
    assert_eq!(bob.len(), 2, "{bob:?}");
    assert!(bob.iter().all(|e| e["user_id"] == bob[0]["user_id"]));
    let by_id = listed(
        db,
        &format!("--user {}", bob[0]["user_id"].as_str().unwrap()),
    );
    assert_eq!(by_id.len(), 2, "a user id works too");
    let billing = listed(db, "--client billing");
    assert_eq!(billing.len(), 1);
    assert_eq!(billing[0]["event"], "client.created");
    assert_eq!(listed(db, "--limit 1").len(), 1);
    assert!(listed(db, "--since 1h").len() >= 4);
    assert!(
        listed(db, "--since 4102444800").is_empty(),
        "nothing after 2100"
    );
    assert!(listed(db, "--since 2000-01-01T00:00:00Z").len() >= 4);
}

fn bad_audit_filters_fail_clearly(db: &TestDb) {
    for (args, says) in [
        ("--since yesterday", "--since"),
        ("--limit 0", "--limit"),
        ("--limit 10001", "--limit"),
    ] {
        let out = db.cli().run_line(&format!("audit list {args}"));
        assert_ne!(out.status, 0, "{args}");
        assert!(out.stderr.contains(says), "{args}: {}", out.stderr);
    }
}
