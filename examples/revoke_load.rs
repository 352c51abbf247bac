//! Revocation at scale against a running Portcullis, for `bench/revocations`: mints
//! `COUNT` client-credentials tokens, then revokes them one by one over `/revoke` at
//! `CONCURRENCY`, timing each slice of 10,000, while one more connection keeps asking for
//! client-credentials tokens. Prints one JSON object.
//!
//! `cargo run --release --example revoke_load -- BASE_URL CLIENT_ID SECRET COUNT CONCURRENCY`

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
    let auth = basic(&id, &secret);
    let report = actix_web::rt::System::new().block_on(async move {
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
        }
        let revoking = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let _ = side.await;
        serde_json::json!({
            "count": count,
            "concurrency": concurrency,
            "revocations_per_second_by_slice": slices.iter().map(|r| (r * 10.0).round() / 10.0).collect::<Vec<_>>(),
            "revocations_per_second": (count as f64 / revoking * 10.0).round() / 10.0,
            "failed": failed,
            "client_credentials_per_second_meanwhile": (issued.load(Ordering::Relaxed) as f64 / revoking * 10.0).round() / 10.0,
        })
    });
    println!("{report}");
}
