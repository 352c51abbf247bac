//! New RSA signing keys. Generation uses the `rsa` crate; everything that touches the
//! private key afterwards (signing) runs in OpenSSL through josekit: `rsa`'s own
//! private-key operations are slower and carry the RUSTSEC-2023-0071 timing advisory, and
//! we never call them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::RS256;
use rsa::pkcs8::EncodePrivateKey;
use sha2::{Digest, Sha256};

use crate::domain::secret::Secret;

/// The signing algorithm of every key we generate (OpenID Connect requires RS256 support).
pub const ALG: &str = "RS256";

pub struct GeneratedKey {
    pub kid: String,
    pub alg: &'static str,
    /// Public JWK with `kty, kid, use, alg, n, e` — exactly what JWKS serves.
    pub public_jwk: String,
    /// PKCS#8 DER of the private key; sealed before it is stored.
    pub private_der: Secret<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("RSA key generation failed: {0}")]
    Rsa(String),
    #[error("JWK export failed: {0}")]
    Jose(String),
}

pub fn generate(bits: usize) -> Result<GeneratedKey, GenerateError> {
    let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits)
        .map_err(|e| GenerateError::Rsa(e.to_string()))?;
    let der = private
        .to_pkcs8_der()
        .map_err(|e| GenerateError::Rsa(e.to_string()))?;
    let der = Secret::new(der.as_bytes().to_vec());
    let pair = RS256
        .key_pair_from_der(der.expose())
        .map_err(|e| GenerateError::Jose(e.to_string()))?;
    let public = pair.to_jwk_public_key();
    let public_jwk = public_jwk(&public)?;
    let kid = thumbprint(&public)?;
    let mut jwk = public_jwk;
    jwk.set_key_id(&kid);
    Ok(GeneratedKey {
        kid,
        alg: ALG,
        public_jwk: jwk.to_string(),
        private_der: der,
    })
}

/// A public JWK carrying only the members verifiers need, never private ones.
fn public_jwk(full: &Jwk) -> Result<Jwk, GenerateError> {
    let member = |name: &str| {
        full.parameter(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| GenerateError::Jose(format!("public key without `{name}`")))
    };
    let mut jwk = Jwk::new("RSA");
    jwk.set_key_use("sig");
    jwk.set_algorithm(ALG);
    jwk.set_parameter("n", Some(member("n")?.into()))
        .map_err(|e| GenerateError::Jose(e.to_string()))?;
    jwk.set_parameter("e", Some(member("e")?.into()))
        .map_err(|e| GenerateError::Jose(e.to_string()))?;
    Ok(jwk)
}

/// RFC 7638 JWK thumbprint: a key id that is unique per key and reproducible by anyone.
fn thumbprint(public: &Jwk) -> Result<String, GenerateError> {
    let n = public.parameter("n").and_then(|v| v.as_str());
    let e = public.parameter("e").and_then(|v| v.as_str());
    let (Some(n), Some(e)) = (n, e) else {
        return Err(GenerateError::Jose("public key without n/e".into()));
    };
    // Members in lexicographic order, no whitespace (RFC 7638 §3.3).
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_exports_only_public_members() {
        let key = generate(2048).unwrap();
        let jwk: serde_json::Value = serde_json::from_str(&key.public_jwk).unwrap();
        let mut members: Vec<&str> = jwk
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        members.sort();
        assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
        assert_eq!(jwk["kid"], key.kid.as_str());
        assert_eq!(jwk["alg"], "RS256");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(key.kid.len(), 43);
    }
}
