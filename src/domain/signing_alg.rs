//! The JWS algorithms Portcullis signs with (RFC 7518 §3, RFC 8037 for EdDSA): one type so
//! that every place that names an algorithm — settings, clients, discovery, key
//! generation, verification — agrees on the same four.

use std::fmt;
use std::str::FromStr;

use josekit::jwk::Jwk;
use josekit::jws::{ES256, EdDSA, JwsSigner, JwsVerifier, PS256, RS256};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256, Sha512};

mod es256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256: what OpenID Connect requires every OP to support.
    Rs256,
    /// RSASSA-PSS with SHA-256 (FAPI 2.0 allows it; RS256 it does not).
    Ps256,
    /// ECDSA P-256 with SHA-256: about 20× faster to sign than RS256.
    Es256,
    /// Ed25519 (RFC 8037).
    EdDsa,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsupported signing algorithm `{0}` (use RS256, PS256, ES256 or EdDSA)")]
pub struct UnknownAlg(pub String);

impl SigningAlg {
    pub const ALL: [SigningAlg; 4] = [Self::Rs256, Self::Ps256, Self::Es256, Self::EdDsa];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// FAPI 2.0 Security Profile §5.4: PS256, ES256 or EdDSA (Ed25519); not RS256.
    pub fn fapi_allowed(self) -> bool {
        !matches!(self, Self::Rs256)
    }

    /// The hash behind `at_hash`/`c_hash` (OIDC Core §3.1.3.6: the hash of the JWS
    /// algorithm; for EdDSA with Ed25519 that is SHA-512, as other OPs do).
    pub fn left_half_hash(self, value: &str) -> Vec<u8> {
        let digest: Vec<u8> = match self {
            Self::EdDsa => Sha512::digest(value.as_bytes()).to_vec(),
            _ => Sha256::digest(value.as_bytes()).to_vec(),
        };
        digest[..digest.len() / 2].to_vec()
    }

    /// A signer from the stored DER private key.
    pub fn signer_from_der(self, der: &[u8]) -> Result<Box<dyn JwsSigner>, String> {
        let e = |e: josekit::JoseError| e.to_string();
        Ok(match self {
            Self::Rs256 => Box::new(RS256.signer_from_der(der).map_err(e)?),
            Self::Ps256 => Box::new(PS256.signer_from_der(der).map_err(e)?),
            Self::Es256 => Box::new(es256::Es256Signer::from_der(der)?),
            Self::EdDsa => Box::new(EdDSA.signer_from_der(der).map_err(e)?),
        })
    }

    /// A verifier for a public JWK; fails when the key's type does not fit the algorithm.
    pub fn verifier_from_jwk(self, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, String> {
        let e = |e: josekit::JoseError| e.to_string();
        Ok(match self {
            Self::Rs256 => Box::new(RS256.verifier_from_jwk(jwk).map_err(e)?),
            Self::Ps256 => Box::new(PS256.verifier_from_jwk(jwk).map_err(e)?),
            Self::Es256 => Box::new(ES256.verifier_from_jwk(jwk).map_err(e)?),
            Self::EdDsa => Box::new(EdDSA.verifier_from_jwk(jwk).map_err(e)?),
        })
    }
}

impl FromStr for SigningAlg {
    type Err = UnknownAlg;
    /// Exact names only (RFC 7515 §4.1.1: `alg` is case-sensitive).
    fn from_str(s: &str) -> Result<Self, UnknownAlg> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAlg(s.to_string()))
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SigningAlg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SigningAlg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for alg in SigningAlg::ALL {
            assert_eq!(alg.as_str().parse::<SigningAlg>().unwrap(), alg);
        }
        assert!("es256".parse::<SigningAlg>().is_err());
        assert!("HS256".parse::<SigningAlg>().is_err());
        assert!("none".parse::<SigningAlg>().is_err());
    }

    #[test]
    fn fapi_refuses_only_rs256() {
        let allowed: Vec<_> = SigningAlg::ALL
            .into_iter()
            .filter(|a| a.fapi_allowed())
            .collect();
        assert_eq!(
            allowed,
            [SigningAlg::Ps256, SigningAlg::Es256, SigningAlg::EdDsa]
        );
    }

    #[test]
    fn eddsa_hashes_with_sha512_for_at_hash() {
        assert_eq!(SigningAlg::Es256.left_half_hash("x").len(), 16);
        assert_eq!(SigningAlg::EdDsa.left_half_hash("x").len(), 32);
    }
}
