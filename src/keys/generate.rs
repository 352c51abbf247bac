//! New signing keys, one algorithm each. RSA keys are generated with the `rsa` crate;
//! P-256 and Ed25519 keys by OpenSSL through josekit. Everything that touches a private
//! key afterwards (signing) runs in OpenSSL through josekit: `rsa`'s own private-key
//! operations are slower and carry the RUSTSEC-2023-0071 timing advisory, and we never
//! call them.

use josekit::jwk::Jwk;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{ES256, EdDSA, PS256, RS256};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;

use crate::domain::secret::Secret;
use crate::domain::signing_alg::SigningAlg;

pub struct GeneratedKey {
    pub kid: String,
    pub alg: SigningAlg,
    /// Public JWK with `kty, kid, use, alg` and the key's public members — exactly what
    /// JWKS serves.
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

fn jose(e: impl std::fmt::Display) -> GenerateError {
    GenerateError::Jose(e.to_string())
}

/// A new key for `alg`; `rsa_bits` sizes RSA keys (RS256, PS256).
pub fn generate(alg: SigningAlg, rsa_bits: usize) -> Result<GeneratedKey, GenerateError> {
    let (der, public) = match alg {
        SigningAlg::Rs256 => {
            let der = Secret::new(
                rsa_private(rsa_bits)?
                    .to_pkcs8_der()
                    .map_err(rsa_err)?
                    .as_bytes()
                    .to_vec(),
            );
            let pair = RS256.key_pair_from_der(der.expose()).map_err(jose)?;
            (der, pair.to_jwk_public_key())
        }
        SigningAlg::Ps256 => {
            // josekit reads PKCS#1 for RSA-PSS and stores it as an RSASSA-PSS PKCS#8 key,
            // which is what its PS256 signer loads back.
            let pkcs1 = rsa_private(rsa_bits)?.to_pkcs1_der().map_err(rsa_err)?;
            let pair = PS256.key_pair_from_der(pkcs1.as_bytes()).map_err(jose)?;
            (
                Secret::new(pair.to_der_private_key()),
                pair.to_jwk_public_key(),
            )
        }
        SigningAlg::Es256 => {
            let pair = ES256.generate_key_pair().map_err(jose)?;
            (
                Secret::new(pair.to_der_private_key()),
                pair.to_jwk_public_key(),
            )
        }
        SigningAlg::EdDsa => {
            let pair = EdDSA.generate_key_pair(EdCurve::Ed25519).map_err(jose)?;
            (
                Secret::new(pair.to_der_private_key()),
                pair.to_jwk_public_key(),
            )
        }
    };
    let mut jwk = public_jwk(&public, alg)?;
    let kid = thumbprint(&jwk)?;
    jwk.set_key_id(&kid);
    Ok(GeneratedKey {
        kid,
        alg,
        public_jwk: jwk.to_string(),
        private_der: der,
    })
}

fn rsa_private(bits: usize) -> Result<rsa::RsaPrivateKey, GenerateError> {
    rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).map_err(rsa_err)
}

fn rsa_err(e: impl std::fmt::Display) -> GenerateError {
    GenerateError::Rsa(e.to_string())
}

/// A public JWK carrying only the members verifiers need, never private ones.
fn public_jwk(full: &Jwk, alg: SigningAlg) -> Result<Jwk, GenerateError> {
    let kty = full.key_type().to_string();
    let members = portcullis_dpop::thumbprint::required_members(&kty);
    if members.is_empty() {
        return Err(jose(format!("unexpected key type {kty}")));
    }
    let mut jwk = Jwk::new(&kty);
    jwk.set_key_use("sig");
    jwk.set_algorithm(alg.as_str());
    for name in members {
        let value = full
            .parameter(name)
            .and_then(|v| v.as_str())
            .ok_or_else(|| jose(format!("public key without `{name}`")))?;
        jwk.set_parameter(name, Some(value.into())).map_err(jose)?;
    }
    Ok(jwk)
}

/// RFC 7638 JWK thumbprint: a key id that is unique per key and reproducible by anyone
/// (the same computation as DPoP's `jkt`).
fn thumbprint(public: &Jwk) -> Result<String, GenerateError> {
    portcullis_dpop::thumbprint(public).ok_or_else(|| jose("no thumbprint for this key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(key: &GeneratedKey) -> Vec<String> {
        let jwk: serde_json::Value = serde_json::from_str(&key.public_jwk).unwrap();
        let mut names: Vec<String> = jwk.as_object().unwrap().keys().cloned().collect();
        names.sort();
        names
    }

    #[test]
    fn a_generated_key_exports_only_public_members_for_each_algorithm() {
        let expected: [(SigningAlg, &[&str]); 4] = [
            (SigningAlg::Rs256, &["alg", "e", "kid", "kty", "n", "use"]),
            (SigningAlg::Ps256, &["alg", "e", "kid", "kty", "n", "use"]),
            (
                SigningAlg::Es256,
                &["alg", "crv", "kid", "kty", "use", "x", "y"],
            ),
            (SigningAlg::EdDsa, &["alg", "crv", "kid", "kty", "use", "x"]),
        ];
        for (alg, names) in expected {
            let key = generate(alg, 2048).unwrap();
            assert_eq!(members(&key), names, "{alg}");
            let jwk: serde_json::Value = serde_json::from_str(&key.public_jwk).unwrap();
            assert_eq!(jwk["kid"], key.kid.as_str());
            assert_eq!(jwk["alg"], alg.as_str());
            assert_eq!(jwk["use"], "sig");
            assert_eq!(key.kid.len(), 43);
            // The stored private key loads back into a signer of the same algorithm.
            alg.signer_from_der(key.private_der.expose()).unwrap();
        }
    }
}
