//! A DPoP client key and the proofs it makes (RFC 9449 §4.2), built with josekit directly
//! so each test can spoil exactly one part.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::{ES256, JwsHeader, JwsSigner};
use josekit::jwt::JwtPayload;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::app::TestApp;

pub struct DpopKey {
    signer: Box<dyn JwsSigner>,
    pub public: Jwk,
    pub private: Jwk,
}

/// What goes into one proof; `DpopKey::claims` gives a good one to spoil.
pub struct ProofSpec {
    pub typ: &'static str,
    pub jwk: Option<Jwk>,
    pub claims: Value,
}

/// `ath` (RFC 9449 §4.2): base64url SHA-256 of the access token.
pub fn ath(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

impl DpopKey {
    pub fn es256() -> Self {
        let pair = ES256.generate_key_pair().unwrap();
        Self {
            signer: Box::new(ES256.signer_from_der(pair.to_der_private_key()).unwrap()),
            public: pair.to_jwk_public_key(),
            private: pair.to_jwk_private_key(),
        }
    }

    /// RFC 7638 thumbprint of the public key (`jkt`), computed here independently.
    pub fn jkt(&self) -> String {
        let m = |n: &str| {
            self.public
                .parameter(n)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        };
        let canonical = format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            m("crv"),
            m("x"),
            m("y")
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A good proof's parts for `method` at the app's `path`, at the app's now, with a
    /// fresh `jti`.
    pub fn spec(&self, app: &TestApp, method: &str, path: &str) -> ProofSpec {
        ProofSpec {
            typ: "dpop+jwt",
            jwk: Some(self.public.clone()),
            claims: json!({
                "jti": portcullis::domain::opaque::identifier(),
                "htm": method,
                "htu": format!("{}{path}", app.state.issuer()),
                "iat": app.state.now(),
            }),
        }
    }

    pub fn sign(&self, spec: ProofSpec) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type(spec.typ);
        if let Some(jwk) = spec.jwk {
            header.set_jwk(jwk);
        }
        let payload = JwtPayload::from_map(spec.claims.as_object().unwrap().clone()).unwrap();
        josekit::jwt::encode_with_signer(&payload, &header, &*self.signer).unwrap()
    }

    /// A good proof for `method` at the app's `path`.
    pub fn proof(&self, app: &TestApp, method: &str, path: &str) -> String {
        self.sign(self.spec(app, method, path))
    }

    /// A good proof with one claim set to `value`.
    pub fn proof_with(
        &self,
        app: &TestApp,
        method: &str,
        path: &str,
        claim: &str,
        value: Value,
    ) -> String {
        let mut spec = self.spec(app, method, path);
        spec.claims[claim] = value;
        self.sign(spec)
    }
}
