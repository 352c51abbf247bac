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
            Some("RSA") | Some("EC") => {}
            _ => return Err(bad("every key needs kty RSA or EC")),
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
