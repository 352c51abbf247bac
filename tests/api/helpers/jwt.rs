//! Checking the server's JWTs with an independent implementation (jsonwebtoken on
//! RustCrypto) against the JWKS the server publishes.

use josekit::jwt::JwtPayload;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::Value;

use super::app::TestApp;

/// The algorithms Portcullis may sign with; anything else in a header is a failure.
const PORTCULLIS_ALGS: [Algorithm; 4] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

async fn key_for(app: &TestApp, header: &Header) -> DecodingKey {
    let set: JwkSet = serde_json::from_slice(&app.jwks().await.bytes).expect("JWKS");
    let jwk = set
        .find(header.kid.as_deref().expect("kid"))
        .expect("kid in JWKS");
    DecodingKey::from_jwk(jwk).unwrap()
}

/// Verifies a JWT's signature and returns its header and claims, checking no times (the
/// server may run on a manual clock) and no audience.
pub async fn decode(app: &TestApp, jwt: &str) -> (Header, Value) {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let key = key_for(app, &header).await;
    assert!(
        PORTCULLIS_ALGS.contains(&header.alg),
        "header alg {:?}",
        header.alg
    );
    let mut v = Validation::new(header.alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(jwt, &key, &v).expect("signature verifies");
    (header, data.claims)
}

/// Verifies an access token as a resource server for `aud` would: signature, iss, aud and
/// exp against the wall clock.
pub async fn verify(app: &TestApp, token: &str, aud: &str) -> (Header, Value) {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let key = key_for(app, &header).await;
    assert!(
        PORTCULLIS_ALGS.contains(&header.alg),
        "header alg {:?}",
        header.alg
    );
    let mut v = Validation::new(header.alg);
    v.set_issuer(&[&app.state.settings.issuer]);
    v.set_audience(&[aud]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<Value>(token, &key, &v).expect("token verifies");
    (header, data.claims)
}

/// The claims of a JWT, read without verifying anything.
pub fn unverified_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Claims for a test token signed directly with the server's keys.
pub fn payload(sub: &str, iat: i64) -> JwtPayload {
    let mut p = JwtPayload::new();
    p.set_subject(sub);
    p.set_claim("iat", Some(iat.into())).unwrap();
    p.set_claim("exp", Some((iat + 600).into())).unwrap();
    p
}

/// Verifies a compact JWS against a JWK set with an independent JOSE implementation
/// (jsonwebtoken on RustCrypto), not the code under test. Returns the header's kid.
pub fn verify_independently(token: &str, jwks: &[u8]) -> Result<String, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    assert!(
        PORTCULLIS_ALGS.contains(&header.alg),
        "header alg {:?}",
        header.alg
    );
    let kid = header.kid.ok_or("no kid in header")?;
    let set: JwkSet = serde_json::from_slice(jwks).map_err(|e| e.to_string())?;
    let jwk = set.find(&kid).ok_or(format!("kid {kid} not in JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(header.alg);
    // The test clock is not the wall clock; expiry is the server's business here.
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &key, &v).map_err(|e| e.to_string())?;
    Ok(kid)
}

/// The served JWKS, as bytes.
pub async fn jwks_of(app: &TestApp) -> Vec<u8> {
    let res = app.jwks().await;
    assert_eq!(res.status, 200);
    res.bytes
}

/// The key ids of a JWK set.
pub fn kids(jwks: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(jwks).unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}
