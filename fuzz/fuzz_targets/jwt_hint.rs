//! JWTs we read back: an id_token_hint, and a bearer access token (header and claims).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::keys::KeySet;
use portcullis::oidc::id_token::verify_hint;
use portcullis::token::inspect;

fuzz_target!(|data: &[u8]| {
    let jwt = String::from_utf8_lossy(data);
    let keys = KeySet::empty();
    let _ = verify_hint(&keys, "https://id.example", &jwt, |_| true);
    let _ = inspect::access_token(&keys, "https://id.example", &jwt);
});
