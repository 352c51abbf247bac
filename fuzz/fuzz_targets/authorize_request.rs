//! The authorization request parser and validator: any query string.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use portcullis::authorize::request::{Params, validate};
use portcullis::domain::registration::ClientSpec;

fn client() -> Arc<portcullis::domain::client::Client> {
    static CLIENT: OnceLock<Arc<portcullis::domain::client::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Arc::new(
                ClientSpec {
                    id: Some("web".into()),
                    name: "Web".into(),
                    public: true,
                    grant_types: vec!["authorization_code".into()],
                    redirect_uris: vec!["https://app.example/cb".into()],
                    ..Default::default()
                }
                .validate("web".into())
                .expect("a valid client"),
            )
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let _ = validate(&Params::parse(&query), |_| Some(client()));
});
