//! A client generated from the served OpenAPI description by an independent generator
//! (openapi-python-client, from PyPI) works against the admin API: typed lists, creation,
//! an update with `If-Match`, and a parsed RFC 9457 problem for a stale write. If the
//! description drifted from what the server answers, the generated parsers would fail.

use std::process::Command;
use std::sync::Arc;

use portcullis::clock::SystemClock;
use serde_json::Value;

use crate::helpers::admin::{READ, WRITE};
use crate::helpers::{skip_unless_required, spawn_app_at_own_address};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/admin-client/flow.py"
);

fn available() -> bool {
    Command::new("openapi-python-client")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[actix_web::test]
async fn a_client_generated_from_the_openapi_description_lists_creates_and_updates_with_if_match() {
    if !available() {
        skip_unless_required(
            "generated_client::a_client_generated_from_the_openapi_description_lists_creates_and_updates_with_if_match",
            "openapi-python-client is not installed (pip install openapi-python-client)",
        );
        return;
    }
    let app = spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await;
    let admin = app.admin_api("ci", &format!("{READ} {WRITE}")).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = app.get("/admin/api/openapi.json").await;
    let schema = dir.path().join("openapi.json");
    std::fs::write(&schema, &doc.bytes).unwrap();
    let (base, token, out_dir) = (
        app.state.issuer().to_string(),
        admin.token.clone(),
        dir.path().to_path_buf(),
    );
    let run = tokio::task::spawn_blocking(move || {
        let generated = Command::new("openapi-python-client")
            .args(["generate", "--meta", "none", "--path"])
            .arg(&schema)
            .current_dir(&out_dir)
            .output()
            .expect("run openapi-python-client");
        assert!(
            generated.status.success(),
            "generation failed:\n{}\n{}",
            String::from_utf8_lossy(&generated.stdout),
            String::from_utf8_lossy(&generated.stderr)
        );
        Command::new("python3")
            .arg(SCRIPT)
            .args([&base, &token])
            .env("PYTHONPATH", &out_dir)
            .output()
            .expect("run the generated client")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(seen["client_ids"], serde_json::json!(["ci"]));
    assert_eq!(seen["created"], "generated");
    assert_eq!(seen["display_name"], "Generated");
    assert_eq!(seen["stale_status"], 412);
}
