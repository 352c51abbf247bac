//! DPoP proofs for `bench/run`'s DPoP-bound client-credentials load: COUNT distinct proofs
//! (one ES256 key, fresh `jti`, `iat` now) for `POST URL`, one per line, generated before
//! the load so the load generator signs nothing (the server's verification is what is
//! measured).
//!
//! `cargo run --release --example dpop_proofs -- URL COUNT > proofs.txt`

use std::io::Write;

use josekit::jws::{ES256, JwsHeader};
use josekit::jwt::JwtPayload;
use serde_json::json;

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("URL");
    let count: usize = args.next().and_then(|s| s.parse().ok()).expect("COUNT");
    let pair = ES256.generate_key_pair().expect("key");
    let signer = ES256
        .signer_from_der(pair.to_der_private_key())
        .expect("signer");
    let mut header = JwsHeader::new();
    header.set_token_type("dpop+jwt");
    header.set_jwk(pair.to_jwk_public_key());
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunks: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (signer, header, url) = (&signer, &header, &url);
                s.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| {
                            let claims = json!({
                                "jti": format!("bench-{iat}-{i}"), "htm": "POST", "htu": url,
                                "iat": iat,
                            });
                            let payload = JwtPayload::from_map(
                                claims.as_object().cloned().unwrap_or_default(),
                            )
                            .expect("claims");
                            josekit::jwt::encode_with_signer(&payload, header, signer)
                                .expect("sign")
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for chunk in chunks {
        for proof in chunk {
            writeln!(out, "{proof}").expect("write");
        }
    }
}
