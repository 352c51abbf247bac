//! Client-registered JWK sets (private_key_jwt).

use super::registration::ClientError;

/// A client's registered key set: JSON with a non-empty `keys` array of public signature
/// keys. A private member in it means the operator pasted the wrong file.
pub fn check_public_jwks(jwks: &str) -> Result<(), ClientError> {
    let bad = |m: &str| ClientError::InvalidJwks(m.to_string());
    let value: serde_json::Value =
        serde_json::from_str(jwks).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let keys = value["keys"]
        .as_array()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| bad("no `keys` array"))?;
    for key in keys {
        let obj = key
            .as_object()
            .ok_or_else(|| bad("a key is not an object"))?;
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|m| obj.contains_key(*m))
        {
            return Err(bad(
                "it contains private key material; register only the public keys",
            ));
        }
        match obj.get("kty").and_then(|v| v.as_str()) {
            Some("RSA") | Some("EC") | Some("OKP") => {}
            _ => return Err(bad("every key needs kty RSA, EC or OKP")),
        }
        if obj
            .get("use")
            .and_then(|v| v.as_str())
            .is_some_and(|u| u != "sig")
        {
            return Err(bad("keys must be signature keys (use: sig)"));
        }
    }
    Ok(())
}

/// Key sets for unit tests of the rules.
#[cfg(test)]
pub mod fixtures {
    /// RFC 7517 appendix A.1's P-256 key, as a signature key.
    pub fn public_jwks() -> String {
        r#"{"keys":[{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","use":"sig","kid":"1"}]}"#.into()
    }
}
