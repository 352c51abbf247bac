//! Values an operator registers: redirect URIs, outgoing URIs, scopes, client ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::domain::audience::Audience;
use portcullis::domain::client_id::ClientId;
use portcullis::domain::destination::check_url;
use portcullis::domain::redirect_uri::RedirectUri;
use portcullis::domain::scope::Scope;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(uri) = RedirectUri::register(&text) {
        assert!(uri.matches(&text));
    }
    let _ = Audience::parse(&text);
    let _ = ClientId::parse(&text);
    if let Ok(s) = Scope::parse(&text) {
        assert_eq!(Scope::parse(&s.to_string()).ok(), Some(s));
    }
    if let Ok(url) = url::Url::parse(&text) {
        let _ = check_url(&url, false);
    }
});
