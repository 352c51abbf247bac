//! Hardening finding 4: every outgoing request (client `jwks_uri`, back-channel logout)
//! goes through one policy — no special-use destinations unless allowed, no redirects, a
//! total deadline, a size cap — and unknown-key refetches are single-flight and
//! negatively cached.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use portcullis::config::HttpSettings;
use portcullis::net::client::{FetchError, Outbound};

use crate::helpers::TestDb;

fn outbound(allow_private: bool) -> Outbound {
    Outbound::new(&HttpSettings {
        allow_private_destinations: allow_private,
        outbound_deadline_secs: 2,
        outbound_max_bytes: 4096,
        ..HttpSettings::default()
    })
}

/// A loopback HTTP server answering every request with `response` (raw bytes), counting
/// connections; with `trickle`, it sends one byte per 300 ms.
fn raw_server(response: &'static [u8], trickle: bool) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                if trickle {
                    for b in response {
                        if stream.write_all(&[*b]).is_err() {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(300));
                    }
                } else {
                    let _ = stream.write_all(response);
                }
            });
        }
    });
    (url, hits)
}

#[actix_web::test]
async fn special_use_destinations_are_refused_before_any_connection() {
    let (url, hits) = raw_server(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}", false);
    let err = outbound(false)
        .get(&url, "application/json")
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Refused(_)), "{err}");
    for u in [
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433:4151/",
        "http://user:pass@127.0.0.1/",
        "http://localhost/",
    ] {
        let err = outbound(false)
            .get(u, "application/json")
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Refused(_)), "{u}: {err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing was contacted");
}

#[actix_web::test]
async fn redirects_are_not_followed() {
    let (url, _) = raw_server(
        b"HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/\r\ncontent-length: 0\r\n\r\n",
        false,
    );
    let err = outbound(true).get(&url, "*/*").await.unwrap_err();
    assert!(matches!(err, FetchError::Status(302)), "{err}");
}

#[actix_web::test]
async fn a_trickling_answer_is_cut_at_the_deadline_and_a_large_one_at_the_cap() {
    let (slow, _) = raw_server(
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789012345678901234567890123456789",
        true,
    );
    let started = Instant::now();
    let err = outbound(true).get(&slow, "*/*").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, FetchError::Deadline(_) | FetchError::Transport(_)),
        "{err}"
    );

    static BIG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let big = BIG.get_or_init(|| {
        let mut r = b"HTTP/1.1 200 OK\r\ncontent-length: 10000\r\n\r\n".to_vec();
        r.extend(std::iter::repeat_n(b'x', 10_000));
        r
    });
    let (large, _) = raw_server(big.as_slice(), false);
    let err = outbound(true).get(&large, "*/*").await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge(4096)), "{err}");
}

#[test]
fn registration_refuses_special_use_outgoing_uris_unless_allowed() {
    let db = TestDb::sqlite();
    let strict = db
        .cli()
        .env("PORTCULLIS_HTTP__ALLOW_PRIVATE_DESTINATIONS", "false");
    for uri in [
        "https://169.254.169.254/x",
        "https://10.0.0.1:6379/",
        "http://2130706433:4151/",
        "http://user:pass@127.0.0.1/",
    ] {
        let out = strict
            .client("rp")
            .public()
            .grant("authorization_code")
            .redirect_uri("https://rp.example/cb")
            .backchannel_logout_uri(uri)
            .try_create();
        assert!(out.is_err(), "{uri} was accepted");
    }
    assert!(
        db.cli()
            .client("rp")
            .public()
            .grant("authorization_code")
            .redirect_uri("https://rp.example/cb")
            .backchannel_logout_uri("http://127.0.0.1:9/bc")
            .try_create()
            .is_ok(),
        "allowed for internal deployments"
    );
}
