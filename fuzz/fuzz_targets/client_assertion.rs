//! A private_key_jwt client assertion against a registered JWK set.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::token::assertion::{Rules, verify};

const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

fuzz_target!(|data: &[u8]| {
    let assertion = String::from_utf8_lossy(data);
    let rules = Rules {
        client_id: "svc",
        audiences: ["https://id.example/token", "https://id.example"],
        now: 1_900_000_000,
        skew: 60,
    };
    let _ = verify(&assertion, JWKS, &rules);
});
