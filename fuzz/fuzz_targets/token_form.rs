//! The token request body and the client credentials in it and in the Basic header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::token::client_auth::presented;
use portcullis::token::form::TokenForm;

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    if let Ok(form) = TokenForm::parse(Some("application/x-www-form-urlencoded"), body) {
        let header = String::from_utf8_lossy(header);
        let _ = presented(Some(&header), &form);
        let _ = presented(None, &form);
    }
});
