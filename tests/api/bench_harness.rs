//! The benchmark harness runs and writes a well-formed report (a tiny smoke load; timing
//! is never asserted here).

use std::process::Command;

use crate::helpers::skip_unless_required;

#[test]
fn the_benchmark_harness_produces_a_report() {
    let has_wrk = Command::new("sh")
        .args(["-c", "command -v wrk"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_wrk {
        skip_unless_required(
            "the_benchmark_harness_produces_a_report",
            "wrk not installed (apt-get install wrk)",
        );
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{root}/bench/run"))
        .arg("--smoke")
        .env("PORTCULLIS_BIN", env!("CARGO_BIN_EXE_portcullis"))
        .env_remove("PORTCULLIS_TEST_REQUIRE_ALL")
        .output()
        .expect("run bench/run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/target/bench/report.json")).unwrap(),
    )
    .expect("report.json is JSON");
    let results = &json["results"];
    for key in [
        "sqlite.cc1.rps",
        "sqlite.cc64.rps",
        "sqlite.cc64_es256.rps",
        "sqlite.cc64_eddsa.rps",
        "sqlite.cc64_dpop.rps",
        "sqlite.introspect_valid.rps",
        "sqlite.jwks.rps",
        "sqlite.ready_ms",
        "ceiling.rs256",
        "overhead.off.jwks.rps",
        "overhead.on.jwks.rps",
        "overhead.off.cc64.rps",
        "overhead.on.cc64.rps",
    ] {
        let v: f64 = results[key].as_str().unwrap_or("").parse().unwrap_or(-1.0);
        assert!(v > 0.0, "{key} = {}", results[key]);
    }
    let md = std::fs::read_to_string(format!("{root}/target/bench/report.md")).unwrap();
    assert!(md.contains("| client_credentials tokens/s, c=64"));
    assert!(md.contains("| JWKS req/s | "), "the overhead table: {md}");
    assert!(md.contains("HTTP errors across all loads: 0"), "{md}");
}
