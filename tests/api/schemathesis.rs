//! schemathesis (an independent property-based API tester, from PyPI) runs against the
//! OpenAPI description the server serves, with an admin token: it finds no 5xx, no
//! response that breaks the schema, no answer of the wrong content type, and no request
//! accepted that the schema forbids. Bounded in examples and time.

use std::process::Command;
use std::sync::Arc;

use portcullis::clock::SystemClock;

use crate::helpers::admin::{READ, WRITE};
use crate::helpers::{skip_unless_required, spawn_app_at_own_address};

const HOOKS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/schemathesis");

fn available() -> bool {
    Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[actix_web::test]
async fn schemathesis_finds_no_server_error_no_schema_violation_and_no_forbidden_request_accepted()
{
    const TEST: &str = "schemathesis::schemathesis_finds_no_server_error_no_schema_violation_and_no_forbidden_request_accepted";
    if !available() {
        skip_unless_required(
            TEST,
            "schemathesis is not installed (pip install schemathesis)",
        );
        return;
    }
    let app = spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await;
    // The fuzzer authenticates through the hooks: a fresh client credentials token for
    // this client every second (tests/interop/schemathesis/hooks.py).
    let client = app
        .client("schemathesis")
        .confidential()
        .grant("client_credentials")
        .scope(&format!("{READ} {WRITE}"))
        .audience(&app.admin_audience())
        .create()
        .await;
    // Something to read, page through and edit.
    for i in 0..3 {
        app.user(&format!("person{i}")).create();
    }
    let schema = app.url("/admin/api/openapi.json");
    let report = tempfile::tempdir().expect("report dir");
    let token_url = app.url("/token");
    let secret = client.secret().to_string();
    let report_dir = report.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("schemathesis")
            .current_dir(HOOKS_DIR)
            .env("SCHEMATHESIS_HOOKS", "hooks")
            .env("PORTCULLIS_TOKEN_URL", &token_url)
            .env("PORTCULLIS_CLIENT_ID", "schemathesis")
            .env("PORTCULLIS_CLIENT_SECRET", &secret)
            .args(["run", &schema])
            .args([
                "--checks",
                "not_a_server_error,response_schema_conformance,content_type_conformance,negative_data_rejection",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "30",
                "--max-time",
                "90",
                "--workers",
                "2",
                "--seed",
                "20261204",
                "--generation-database",
                "none",
                "--no-color",
                "--output-truncate",
                "false",
            ])
            .arg("--report-dir")
            .arg(&report_dir)
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{stderr}"
    );
    // It really exercised the API (a run that tested nothing would also exit 0).
    assert!(stdout.contains("passed"), "{stdout}");
}
