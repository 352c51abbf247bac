use josekit::jwk::Jwk;
use josekit::jws::{ES256, HS256, JwsHeader, JwsSigner};
use josekit::jwt::JwtPayload;
use serde_json::json;

use super::*;

const URL: &str = "https://id.example/token";
const NOW: UnixTime = 1_800_000_000;
const ALGS: &[&str] = &["ES256", "RS256"];

/// A client's proof key and the proofs it makes; each field can be spoiled by a test.
struct Client {
    signer: Box<dyn JwsSigner>,
    public: Jwk,
    private: Jwk,
}

fn client() -> Client {
    let pair = ES256.generate_key_pair().unwrap();
    Client {
        signer: Box::new(ES256.signer_from_der(pair.to_der_private_key()).unwrap()),
        public: pair.to_jwk_public_key(),
        private: pair.to_jwk_private_key(),
    }
}

struct Spec {
    typ: &'static str,
    jwk: Option<Jwk>,
    claims: serde_json::Value,
}

impl Client {
    fn spec(&self) -> Spec {
        Spec {
            typ: "dpop+jwt",
            jwk: Some(self.public.clone()),
            claims: json!({"jti": "j-1", "htm": "POST", "htu": URL, "iat": NOW}),
        }
    }

    fn sign(&self, spec: Spec) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type(spec.typ);
        if let Some(jwk) = spec.jwk {
            header.set_jwk(jwk);
        }
        let payload = JwtPayload::from_map(spec.claims.as_object().unwrap().clone()).unwrap();
        josekit::jwt::encode_with_signer(&payload, &header, &*self.signer).unwrap()
    }

    fn proof(&self) -> String {
        self.sign(self.spec())
    }

    fn with_claim(&self, name: &str, value: serde_json::Value) -> String {
        let mut spec = self.spec();
        spec.claims[name] = value;
        self.sign(spec)
    }
}

fn rules() -> Rules<'static> {
    Rules {
        method: "POST",
        url: URL,
        algorithms: ALGS,
        now: NOW,
        max_age: 60,
        leeway: 5,
        access_token: None,
        nonce: None,
        keys: None,
    }
}

fn refusal(proof: &str, rules: &Rules<'_>) -> String {
    verify(proof, rules).unwrap_err().to_string()
}

#[test]
fn a_good_proof_yields_the_keys_thumbprint() {
    let c = client();
    let p = verify(&c.proof(), &rules()).unwrap();
    assert_eq!(p.jkt, crate::thumbprint(&c.public).unwrap());
    assert_eq!(p.jti, "j-1");
    assert_eq!(p.iat, NOW);
}

#[test]
fn the_method_and_url_must_be_this_requests() {
    let c = client();
    assert!(refusal(&c.with_claim("htm", json!("GET")), &rules()).contains("htm"));
    assert!(
        refusal(
            &c.with_claim("htu", json!("https://id.example/other")),
            &rules()
        )
        .contains("htu")
    );
    assert!(
        refusal(
            &c.with_claim("htu", json!("https://evil.example/token")),
            &rules()
        )
        .contains("htu")
    );
    // Query and fragment are ignored; scheme/host case and default ports are normalized.
    for same in [
        "https://id.example/token?x=1",
        "https://id.example/token#f",
        "HTTPS://ID.EXAMPLE:443/token",
    ] {
        verify(&c.with_claim("htu", json!(same)), &rules()).unwrap();
    }
}

#[test]
fn a_stale_or_future_iat_is_refused() {
    let c = client();
    assert!(refusal(&c.with_claim("iat", json!(NOW - 61)), &rules()).contains("too old"));
    assert!(refusal(&c.with_claim("iat", json!(NOW + 6)), &rules()).contains("future"));
    verify(&c.with_claim("iat", json!(NOW - 60)), &rules()).unwrap();
    verify(&c.with_claim("iat", json!(NOW + 5)), &rules()).unwrap();
}

#[test]
fn a_private_key_in_the_header_is_refused() {
    let c = client();
    let mut spec = c.spec();
    spec.jwk = Some(c.private.clone());
    assert!(refusal(&c.sign(spec), &rules()).contains("private key"));
}

#[test]
fn a_proof_without_jwk_or_with_another_keys_jwk_is_refused() {
    let c = client();
    let mut spec = c.spec();
    spec.jwk = None;
    assert!(refusal(&c.sign(spec), &rules()).contains("jwk"));
    let mut spec = c.spec();
    spec.jwk = Some(client().public);
    assert!(refusal(&c.sign(spec), &rules()).contains("signature"));
}

#[test]
fn the_typ_must_be_dpop_jwt() {
    let c = client();
    let mut spec = c.spec();
    spec.typ = "JWT";
    assert!(refusal(&c.sign(spec), &rules()).contains("typ"));
}

#[test]
fn alg_none_and_symmetric_algorithms_are_refused() {
    let c = client();
    // alg none: header and payload of a good proof, no signature.
    let good = c.proof();
    let mut parts = good.split('.');
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    let mut header = header;
    header["alg"] = json!("none");
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        parts.next().unwrap()
    );
    assert!(refusal(&unsigned, &rules()).contains("alg"));
    // HS256 with the public key's bytes as the secret (the classic confusion).
    let hmac = HS256
        .signer_from_bytes(b"0123456789abcdef0123456789abcdef")
        .unwrap();
    let mut header = JwsHeader::new();
    header.set_token_type("dpop+jwt");
    header.set_jwk(c.public.clone());
    let payload = JwtPayload::from_map(c.spec().claims.as_object().unwrap().clone()).unwrap();
    let symmetric = josekit::jwt::encode_with_signer(&payload, &header, &hmac).unwrap();
    assert!(refusal(&symmetric, &rules()).contains("alg"));
    // An asymmetric algorithm this server does not allow.
    let only_rs = Rules {
        algorithms: &["RS256"],
        ..rules()
    };
    assert!(refusal(&c.proof(), &only_rs).contains("alg"));
}

#[test]
fn at_a_resource_the_proof_must_hash_the_access_token() {
    let c = client();
    let at_resource = Rules {
        method: "GET",
        access_token: Some("the-token"),
        ..rules()
    };
    let mut spec = c.spec();
    spec.claims["htm"] = json!("GET");
    assert!(refusal(&c.sign(spec), &at_resource).contains("ath"));
    let mut spec = c.spec();
    spec.claims["htm"] = json!("GET");
    spec.claims["ath"] = json!(access_token_hash("another-token"));
    assert!(refusal(&c.sign(spec), &at_resource).contains("ath"));
    let mut spec = c.spec();
    spec.claims["htm"] = json!("GET");
    spec.claims["ath"] = json!(access_token_hash("the-token"));
    verify(&c.sign(spec), &at_resource).unwrap();
}

#[test]
fn a_missing_or_old_nonce_asks_for_a_fresh_one() {
    let c = client();
    let current = |n: &str| n == "fresh";
    let with_nonce = Rules {
        nonce: Some(&current),
        ..rules()
    };
    assert!(matches!(
        verify(&c.proof(), &with_nonce),
        Err(DpopError::UseNonce(_))
    ));
    assert!(matches!(
        verify(&c.with_claim("nonce", json!("old")), &with_nonce),
        Err(DpopError::UseNonce(_))
    ));
    verify(&c.with_claim("nonce", json!("fresh")), &with_nonce).unwrap();
}

#[test]
fn garbage_is_refused_without_panic() {
    for junk in ["", "a.b", "a.b.c", "...", &"x".repeat(MAX_PROOF_LEN + 1)] {
        assert!(verify(junk, &rules()).is_err(), "{junk:.20}");
    }
}

proptest::proptest! {
    #[test]
    fn any_text_is_refused_or_accepted_without_panic(text in "\\PC{0,300}") {
        let _ = verify(&text, &rules());
    }
}

#[test]
fn a_cached_key_verifies_its_next_proofs_and_never_anothers() {
    let cache = crate::KeyCache::default();
    let with_cache = Rules {
        keys: Some(&cache),
        ..rules()
    };
    let c = client();
    verify(&c.proof(), &with_cache).unwrap();
    verify(&c.with_claim("jti", json!("j-2")), &with_cache).unwrap();
    // Another key's proof is checked with its own key, cached or not.
    let other = client();
    let mut spec = other.spec();
    spec.jwk = Some(c.public.clone());
    assert!(refusal(&other.sign(spec), &with_cache).contains("signature"));
}
