//! The issuer's public keys, cached as its `Cache-Control` allows and fetched again when a
//! token names a key we do not have — at most once per refetch interval, so tokens with
//! made-up key ids cannot make us hammer the issuer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{ES256, EdDSA, JwsVerifier, PS256, RS256};

use crate::GuardError;

pub(crate) struct KeySet {
    pub by_kid: HashMap<String, Arc<dyn JwsVerifier>>,
    pub fetched_at: Instant,
    pub max_age: Duration,
}

fn verifier(jwk: &Jwk) -> Option<Arc<dyn JwsVerifier>> {
    if jwk.key_use().is_some_and(|u| u != "sig") {
        return None;
    }
    let alg = jwk.algorithm().unwrap_or(match jwk.key_type() {
        "EC" => "ES256",
        "OKP" => "EdDSA",
        _ => "RS256",
    });
    // Exactly the algorithms Portcullis signs with (`keys.algorithms`); a key published
    // for anything else is ignored, so a token claiming it fails as signed by an unknown key.
    let v: Arc<dyn JwsVerifier> = match alg {
        "RS256" => Arc::new(RS256.verifier_from_jwk(jwk).ok()?),
        "PS256" => Arc::new(PS256.verifier_from_jwk(jwk).ok()?),
        "ES256" => Arc::new(ES256.verifier_from_jwk(jwk).ok()?),
        "EdDSA" => Arc::new(EdDSA.verifier_from_jwk(jwk).ok()?),
        _ => return None,
    };
    Some(v)
}

/// `max-age` from a `Cache-Control` header (default: five minutes).
pub(crate) fn max_age(header: Option<&str>) -> Duration {
    header
        .and_then(|h| {
            h.split(',')
                .find_map(|d| d.trim().strip_prefix("max-age="))
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(300))
}

pub(crate) async fn fetch(http: &awc::Client, uri: &str) -> Result<KeySet, GuardError> {
    let mut res = http
        .get(uri)
        .send()
        .await
        .map_err(|e| GuardError::Issuer(format!("JWKS: {e}")))?;
    if !res.status().is_success() {
        return Err(GuardError::Issuer(format!(
            "JWKS answered {}",
            res.status()
        )));
    }
    let cache = res
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res
        .body()
        .limit(1 << 20)
        .await
        .map_err(|e| GuardError::Issuer(format!("JWKS: {e}")))?;
    let set = JwkSet::from_bytes(&body).map_err(|e| GuardError::Issuer(format!("JWKS: {e}")))?;
    let by_kid = set
        .keys()
        .into_iter()
        .filter_map(|k| Some((k.key_id()?.to_string(), verifier(k)?)))
        .collect();
    Ok(KeySet {
        by_kid,
        fetched_at: Instant::now(),
        max_age: max_age(cache.as_deref()),
    })
}
