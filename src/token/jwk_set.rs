//! Verifying a JWT's signature against someone else's JWK set (a client's, for
//! `private_key_jwt`; an upstream provider's, for its ID tokens): asymmetric algorithms
//! only, the key chosen by `kid` (or every key without one), `alg` and `use` respected.

use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{ES256, ES384, EdDSA, JwsVerifier, PS256, PS384, PS512, RS256, RS384, RS512};
use serde_json::{Map, Value};

/// `none` and HMAC (which would need a shared secret) are never accepted.
pub const SUPPORTED_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("not a signed JWT")]
    Malformed,
    #[error("an unsupported algorithm")]
    Algorithm,
    /// No key of the set matches (the signer may have rotated: fetch the set again).
    #[error("no key of the set matches")]
    UnknownKey,
    #[error("the signature is invalid")]
    Signature,
}

fn verifier(alg: &str, jwk: &Jwk) -> Option<Box<dyn JwsVerifier>> {
    let v: Box<dyn JwsVerifier> = match alg {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).ok()?),
        "RS384" => Box::new(RS384.verifier_from_jwk(jwk).ok()?),
        "RS512" => Box::new(RS512.verifier_from_jwk(jwk).ok()?),
        "PS256" => Box::new(PS256.verifier_from_jwk(jwk).ok()?),
        "PS384" => Box::new(PS384.verifier_from_jwk(jwk).ok()?),
        "PS512" => Box::new(PS512.verifier_from_jwk(jwk).ok()?),
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk).ok()?),
        "ES384" => Box::new(ES384.verifier_from_jwk(jwk).ok()?),
        "EdDSA" => Box::new(EdDSA.verifier_from_jwk(jwk).ok()?),
        _ => return None,
    };
    Some(v)
}

/// A JWT whose signature verified.
pub struct Verified {
    pub claims: Map<String, Value>,
    pub header: Map<String, Value>,
}

/// The verified claims and header of `jwt`, signed by a key of `jwks` with one of
/// `allowed` (a subset of [`SUPPORTED_ALGS`]).
pub fn verify(jwt: &str, jwks: &str, allowed: &[&str]) -> Result<Verified, SignatureError> {
    let header = josekit::jwt::decode_header(jwt).map_err(|_| SignatureError::Malformed)?;
    let alg = header
        .claim("alg")
        .and_then(Value::as_str)
        .ok_or(SignatureError::Malformed)?;
    if !SUPPORTED_ALGS.contains(&alg) || !allowed.contains(&alg) {
        return Err(SignatureError::Algorithm);
    }
    let kid = header.claim("kid").and_then(Value::as_str);
    let set = JwkSet::from_bytes(jwks.as_bytes()).map_err(|_| SignatureError::UnknownKey)?;
    let candidates: Vec<&Jwk> = match kid {
        Some(kid) => set.get(kid),
        None => set.keys(),
    };
    let candidates: Vec<&Jwk> = candidates
        .into_iter()
        .filter(|k| k.algorithm().is_none_or(|a| a == alg))
        .filter(|k| k.key_use().is_none_or(|u| u == "sig"))
        .collect();
    if candidates.is_empty() {
        return Err(SignatureError::UnknownKey);
    }
    let (payload, header) = candidates
        .iter()
        .filter_map(|jwk| verifier(alg, jwk))
        .find_map(|v| josekit::jwt::decode_with_verifier(jwt, &*v).ok())
        .ok_or(SignatureError::Signature)?;
    Ok(Verified {
        claims: payload.claims_set().clone(),
        header: header.claims_set().clone(),
    })
}
