//! Complete browser logins per second against a running Portcullis, for `bench/run`:
//! authorize → sign-in form → (consent skipped for a first-party client) → code → token,
//! each flow from a fresh cookie jar, `CONCURRENCY` flows at a time.
//!
//! `cargo run --release --example login_flows -- BASE_URL SECONDS CONCURRENCY`
//! (users `bench-0` … `bench-15` / `bench-password-1`, one per flow in turn, client
//! `bench-web` with redirect `https://bench.example/cb`, created by `bench/run`). Many
//! accounts sign in at once, as real traffic does: one account signing in from one address
//! many times in parallel is what sign-in throttling refuses (429), and would measure that.

use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0123456789";
const REDIRECT: &str = "https://bench.example/cb";

fn field(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(
        body[start..end]
            .replace("&#38;", "&")
            .replace("&amp;", "&")
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'"),
    )
}

/// Accounts the benchmark signs in (`bench-0` … `bench-15`).
const ACCOUNTS: usize = 16;

async fn one_flow(
    http: &awc::Client,
    base: &str,
    authorize: &str,
    username: &str,
) -> Result<(), String> {
    let mut res = http
        .get(format!("{base}{authorize}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect();
    let body =
        String::from_utf8_lossy(&res.body().limit(1 << 20).await.map_err(|e| e.to_string())?)
            .into_owned();
    let (params, csrf) = (
        field(&body, "params").ok_or("no form")?,
        field(&body, "csrf").ok_or("no csrf")?,
    );
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("params", &params)
        .append_pair("csrf", &csrf)
        .append_pair("username", username)
        .append_pair("password", "bench-password-1")
        .finish();
    let res = http
        .post(format!("{base}/login"))
        .insert_header(("Cookie", cookies.join("; ")))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(form)
        .await
        .map_err(|e| e.to_string())?;
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("no redirect after sign-in ({})", res.status()))?;
    let code = url::Url::parse(location)
        .map_err(|e| e.to_string())?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("no code")?;
    let token = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("client_id", "bench-web")
        .append_pair("code_verifier", VERIFIER)
        .finish();
    let res = http
        .post(format!("{base}/token"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(token)
        .await
        .map_err(|e| e.to_string())?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("token endpoint answered {}", res.status()))
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let base = args.next().expect("BASE_URL");
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10.0);
    let concurrency: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(4);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(VERIFIER.as_bytes()));
    let authorize = format!(
        "/authorize?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", "bench-web")
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid")
            .append_pair("state", "bench")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish()
    );
    let (ok, failed, elapsed) = actix_web::rt::System::new().block_on(async move {
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|worker| {
                let (base, authorize) = (base.clone(), authorize.clone());
                actix_web::rt::spawn(async move {
                    let http = awc::Client::builder()
                        .disable_redirects()
                        .timeout(Duration::from_secs(30))
                        .finish();
                    let (mut ok, mut failed) = (0u64, 0u64);
                    let mut n = worker;
                    while Instant::now() < deadline {
                        let username = format!("bench-{}", n % ACCOUNTS);
                        n += concurrency;
                        match one_flow(&http, &base, &authorize, &username).await {
                            Ok(()) => ok += 1,
                            Err(e) => {
                                failed += 1;
                                if failed == 1 {
                                    eprintln!("login flow failed: {e}");
                                }
                            }
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        let (mut ok, mut failed) = (0, 0);
        for t in tasks {
            let (o, f) = t.await.expect("worker");
            ok += o;
            failed += f;
        }
        (ok, failed, started.elapsed().as_secs_f64())
    });
    println!(
        "{{\"flows_per_second\":{:.2},\"flows\":{ok},\"failed\":{failed},\"concurrency\":{concurrency}}}",
        ok as f64 / elapsed
    );
}
