//! Revocation at scale against a running Portcullis, for `bench/revocations`: mints
//! `COUNT` client-credentials tokens, then revokes them one by one over `/revoke` at
//! `CONCURRENCY`, timing each slice of 10,000, while one more connection keeps asking for
//! client-credentials tokens. Prints one JSON object.
//!
//! With the server's PID, it also samples the server's resident memory before minting,
//! after minting (the baseline of the revocations) and after revoking, and reports the size
//! of the status list the tokens point at.
//!
//! `cargo run --release --example revoke_load -- BASE_URL CLIENT_ID SECRET COUNT CONCURRENCY [PID]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;

const SLICE: usize = 10_000;

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

async fn mint(http: &awc::Client, base: &str, auth: &str) -> Result<String, String> {
    let mut res = http
        .post(format!("{base}/token"))
        .insert_header(("Authorization", auth))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body("grant_type=client_credentials")
        .await
        .map_err(|e| e.to_string())?;
    let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no token: {body}"))
}

async fn revoke(http: &awc::Client, base: &str, auth: &str, token: &str) -> Result<(), String> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .finish();
    let res = http
        .post(format!("{base}/revoke"))
        .insert_header(("Authorization", auth))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(body)
        .await
        .map_err(|e| e.to_string())?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("revoke answered {}", res.status()))
    }
}

/// The server's memory in KiB when its PID is known: its whole resident set (`VmRSS`,
/// which also counts the pages of the binary and libraries as code runs for the first
/// time) and the anonymous part of it (`RssAnon`: the heap, stacks, caches).
fn memory(pid: Option<u32>) -> serde_json::Value {
    let Some(status) = pid.and_then(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
    else {
        return serde_json::Value::Null;
    };
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    serde_json::json!({ "rss_kb": field("VmRSS:"), "anon_kb": field("RssAnon:") })
}

/// The `status.status_list.uri` of an access token (draft-ietf-oauth-status-list §6.1).
fn status_uri(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["status"]["status_list"]["uri"]
        .as_str()
        .map(str::to_string)
}

/// Bytes of the Status List Token at `uri`, as a relying party fetches it.
async fn status_list_bytes(http: &awc::Client, uri: &str) -> Result<usize, String> {
    let mut res = http
        .get(uri)
        .insert_header(("Accept", "application/statuslist+jwt"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("{uri} answered {}", res.status()));
    }
    let body = res
        .body()
        .limit(16 << 20)
        .await
        .map_err(|e| e.to_string())?;
    Ok(body.len())
}

fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let base = args.next().expect("BASE_URL");
    let id = args.next().expect("CLIENT_ID");
    let secret = args.next().expect("SECRET");
    let count: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let concurrency: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(16);
    let pid: Option<u32> = args.next().and_then(|s| s.parse().ok());
    let auth = basic(&id, &secret);
    let report = actix_web::rt::System::new().block_on(async move {
        let before = memory(pid);
        // Mint every token first (at a concurrency that keeps the signer busy).
        let next = Arc::new(AtomicUsize::new(0));
        let mut minting = Vec::new();
        for _ in 0..concurrency {
            let (base, auth, next) = (base.clone(), auth.clone(), next.clone());
            minting.push(actix_web::rt::spawn(async move {
                let http = client();
                let mut mine = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < count {
                    mine.push(mint(&http, &base, &auth).await.expect("mint"));
                }
                mine
            }));
        }
        let mut tokens = Vec::with_capacity(count);
        for m in minting {
            tokens.extend(m.await.expect("minting task"));
        }
        let tokens = Arc::new(tokens);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let minted = memory(pid);

        // Client credentials on one more connection while revocations run.
        let stop = Arc::new(AtomicBool::new(false));
        let issued = Arc::new(AtomicU64::new(0));
        let side = {
            let (base, auth, stop, issued) =
                (base.clone(), auth.clone(), stop.clone(), issued.clone());
            actix_web::rt::spawn(async move {
                let http = client();
                while !stop.load(Ordering::Relaxed) {
                    if mint(&http, &base, &auth).await.is_ok() {
                        issued.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };

        // Revoke them all, slice by slice.
        let mut slices = Vec::new();
        let mut failed = 0u64;
        let mut first_slice = serde_json::Value::Null;
        let started = Instant::now();
        for start in (0..count).step_by(SLICE) {
            let end = (start + SLICE).min(count);
            let next = Arc::new(AtomicUsize::new(start));
            let t0 = Instant::now();
            let mut workers = Vec::new();
            for _ in 0..concurrency {
                let (base, auth, next, tokens) =
                    (base.clone(), auth.clone(), next.clone(), tokens.clone());
                workers.push(actix_web::rt::spawn(async move {
                    let http = client();
                    let mut failed = 0u64;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= end {
                            return failed;
                        }
                        if revoke(&http, &base, &auth, &tokens[i]).await.is_err() {
                            failed += 1;
                        }
                    }
                }));
            }
            for w in workers {
                failed += w.await.unwrap_or(0);
            }
            slices.push((end - start) as f64 / t0.elapsed().as_secs_f64());
            if start == 0 {
                first_slice = memory(pid);
            }
        }
        let revoking = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let _ = side.await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let revoked = memory(pid);
        let uris: std::collections::BTreeSet<String> =
            tokens.iter().filter_map(|t| status_uri(t)).collect();
        let mut list_bytes = Vec::new();
        for uri in &uris {
            list_bytes.push(status_list_bytes(&client(), uri).await.expect("status list"));
        }
        serde_json::json!({
            "count": count,
            "concurrency": concurrency,
            "revocations_per_second_by_slice": slices.iter().map(|r| (r * 10.0).round() / 10.0).collect::<Vec<_>>(),
            "revocations_per_second": (count as f64 / revoking * 10.0).round() / 10.0,
            "failed": failed,
            "client_credentials_per_second_meanwhile": (issued.load(Ordering::Relaxed) as f64 / revoking * 10.0).round() / 10.0,
            "memory": {
                "before": before,
                "minted": minted,
                "first_slice": first_slice,
                "revoked": revoked,
            },
            "status_lists": uris.len(),
            "status_list_bytes": list_bytes,
        })
    });
    println!("{report}");
}
