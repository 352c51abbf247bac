//! Checking a DPoP proof (RFC 9449 §4.3): a JWT the client signs with its own key for each
//! request, naming the method and URL it is for. Replay (`jti`) is the caller's to record.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;

use josekit::jwk::Jwk;
use josekit::jws::{ES256, EdDSA, JwsVerifier, PS256, RS256};
use serde_json::Value;
use sha2::{Digest, Sha256};

type UnixTime = i64;

/// The asymmetric algorithms a proof may be signed with, when the caller allows them.
pub const ALGORITHMS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

fn verifier(alg: &str, jwk: &Jwk) -> Option<Arc<dyn JwsVerifier>> {
    Some(match alg {
        "RS256" => Arc::new(RS256.verifier_from_jwk(jwk).ok()?),
        "PS256" => Arc::new(PS256.verifier_from_jwk(jwk).ok()?),
        "ES256" => Arc::new(ES256.verifier_from_jwk(jwk).ok()?),
        "EdDSA" => Arc::new(EdDSA.verifier_from_jwk(jwk).ok()?),
        _ => return None,
    })
}

/// The `typ` of a proof (RFC 9449 §4.2).
pub const TYP: &str = "dpop+jwt";

/// The longest proof we read: a proof carries one public key (an RSA-4096 JWK is about
/// 800 characters) and a few claims.
pub const MAX_PROOF_LEN: usize = 4096;

/// The longest `jti` we remember.
const MAX_JTI_LEN: usize = 256;

/// Private members of JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2): a proof's key
/// must carry none of them.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What the request is and what the server requires of its proof.
pub struct Rules<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URL without query and fragment (`htu`).
    pub url: &'a str,
    /// Algorithms a proof may use (`dpop_signing_alg_values_supported`), among
    /// [`ALGORITHMS`].
    pub algorithms: &'a [&'a str],
    pub now: UnixTime,
    /// How old a proof's `iat` may be.
    pub max_age: i64,
    /// How far in the future a proof's `iat` may be (clients' clocks run fast).
    pub leeway: i64,
    /// The access token the proof accompanies, at a resource (`ath`, RFC 9449 §4.3 step 12).
    pub access_token: Option<&'a str>,
    /// Server nonces, when this endpoint requires them (RFC 9449 §8, §9): whether a
    /// nonce is current.
    pub nonce: Option<&'a dyn Fn(&str) -> bool>,
    /// Verifiers of keys seen before, if the caller keeps them.
    pub keys: Option<&'a crate::KeyCache>,
}

/// A proof that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The RFC 7638 thumbprint of the proof's key: what tokens get bound to.
    pub jkt: String,
    pub jti: String,
    pub iat: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DpopError {
    /// `invalid_dpop_proof` (RFC 9449 §5, §7.1), with the reason.
    #[error("{0}")]
    Invalid(&'static str),
    /// `use_dpop_nonce` (RFC 9449 §8, §9): the answer carries a fresh `DPoP-Nonce`.
    #[error("{0}")]
    UseNonce(&'static str),
}

fn invalid(why: &'static str) -> DpopError {
    DpopError::Invalid(why)
}

/// `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2).
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// The scheme, host, port and path of a URL, normalized (RFC 9449 §4.3 step 9: compare
/// without query and fragment, after RFC 3986 syntax-based normalization).
pub fn normalize_htu(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "https" | "http") || u.cannot_be_a_base() {
        return None;
    }
    u.set_query(None);
    u.set_fragment(None);
    // `url` lower-cases scheme and host, drops default ports and resolves dot segments.
    Some(u.to_string())
}

pub fn verify(proof: &str, rules: &Rules<'_>) -> Result<Proof, DpopError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(invalid("the DPoP proof is too long"));
    }
    if proof.split('.').count() != 3 {
        return Err(invalid("the DPoP proof is not a signed JWT"));
    }
    let header =
        josekit::jwt::decode_header(proof).map_err(|_| invalid("the DPoP proof is malformed"))?;
    let typ = header.claim("typ").and_then(Value::as_str);
    if !typ.is_some_and(|t| t.eq_ignore_ascii_case(TYP)) {
        return Err(invalid("the DPoP proof's typ must be dpop+jwt"));
    }
    // `none` and MAC algorithms are not signatures by the client's key.
    let alg = header
        .claim("alg")
        .and_then(Value::as_str)
        .filter(|a| rules.algorithms.contains(a) && ALGORITHMS.contains(a))
        .ok_or(invalid(
            "the DPoP proof's alg is not an allowed asymmetric algorithm",
        ))?;
    let jwk_value = header
        .claim("jwk")
        .and_then(Value::as_object)
        .ok_or(invalid("the DPoP proof has no jwk header"))?;
    if PRIVATE_MEMBERS.iter().any(|m| jwk_value.contains_key(*m)) {
        return Err(invalid("the DPoP proof's jwk contains a private key"));
    }
    // A `kid` in the key would make josekit demand the same `kid` in the header, which
    // proofs need not carry: the key is identified by its thumbprint.
    let mut members = jwk_value.clone();
    members.remove("kid");
    let cache_key =
        crate::key_cache::key_of(alg, &serde_json::Value::Object(members.clone()).to_string());
    let cached = rules.keys.and_then(|k| k.get(&cache_key));
    let jwk = Jwk::from_map(members).map_err(|_| invalid("the DPoP proof's jwk is malformed"))?;
    let verifier = match cached {
        Some(v) => v,
        None => verifier(alg, &jwk).ok_or(invalid("the DPoP proof's jwk does not fit its alg"))?,
    };
    let (payload, _) = josekit::jwt::decode_with_verifier(proof, &*verifier)
        .map_err(|_| invalid("the DPoP proof's signature is invalid"))?;
    if let Some(keys) = rules.keys {
        keys.insert(cache_key, verifier);
    }
    let claim = |name: &str| payload.claim(name);
    let jti = claim("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or(invalid("the DPoP proof has no usable jti"))?;
    if claim("htm").and_then(Value::as_str) != Some(rules.method) {
        return Err(invalid(
            "the DPoP proof's htm does not match the request method",
        ));
    }
    let htu = claim("htu")
        .and_then(Value::as_str)
        .and_then(normalize_htu)
        .ok_or(invalid("the DPoP proof's htu is missing or malformed"))?;
    if Some(htu) != normalize_htu(rules.url) {
        return Err(invalid(
            "the DPoP proof's htu does not match the request URL",
        ));
    }
    let iat = claim("iat")
        .and_then(Value::as_i64)
        .ok_or(invalid("the DPoP proof has no iat"))?;
    if iat > rules.now + rules.leeway {
        return Err(invalid("the DPoP proof's iat is in the future"));
    }
    if iat < rules.now - rules.max_age {
        return Err(invalid("the DPoP proof is too old (iat)"));
    }
    if let Some(token) = rules.access_token {
        if claim("ath").and_then(Value::as_str) != Some(access_token_hash(token).as_str()) {
            return Err(invalid(
                "the DPoP proof's ath does not match the access token",
            ));
        }
    }
    if let Some(is_current) = rules.nonce {
        match claim("nonce").and_then(Value::as_str) {
            None => return Err(DpopError::UseNonce("a DPoP nonce is required")),
            Some(n) if !is_current(n) => {
                return Err(DpopError::UseNonce("the DPoP nonce is not current"));
            }
            Some(_) => {}
        }
    }
    let jkt = crate::thumbprint(&jwk).ok_or(invalid("the DPoP proof's jwk is malformed"))?;
    Ok(Proof {
        jkt,
        jti: jti.to_string(),
        iat,
    })
}

#[cfg(test)]
mod tests;
