//! Configuration: any value for any setting from the environment, and any TOML file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::config::load;

const VARS: [&str; 6] = [
    "PORTCULLIS_ISSUER",
    "PORTCULLIS_BIND",
    "PORTCULLIS_DATABASE__POOL_SIZE",
    "PORTCULLIS_HTTP__TRUSTED_PROXIES",
    "PORTCULLIS_FEATURES__INTROSPECTION",
    "PORTCULLIS_KEYS__ENCRYPTION_KEY",
];

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    let value = String::from_utf8_lossy(rest).into_owned();
    let var = VARS[*selector as usize % VARS.len()];
    let _ = load(None, vec![(var.to_string(), value)]);
});
