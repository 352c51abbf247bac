//! The in-memory view of the keys: what request paths read instead of the database.

use actix_web::web::Bytes;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::RS256;
use josekit::jws::alg::rsassa::{RsassaJwsSigner, RsassaJwsVerifier};
use sha2::{Digest, Sha256};

use super::lifecycle::{self, KeyTimes};
use super::manager::KeyError;
use super::sealed::{Kek, SealError};
use crate::clock::UnixTime;
use crate::store::signing_keys::SigningKeyRow;

pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    pub times: KeyTimes,
    signer: Option<RsassaJwsSigner>,
    verifier: RsassaJwsVerifier,
}

impl SigningKey {
    pub fn signer(&self) -> Option<&RsassaJwsSigner> {
        self.signer.as_ref()
    }

    pub fn verifier(&self) -> &RsassaJwsVerifier {
        &self.verifier
    }
}

/// An immutable snapshot of the keys, swapped whole on refresh.
pub struct KeySet {
    keys: Vec<SigningKey>,
    /// Row identity and schedule; a refresh that finds the same rebuilds nothing.
    fingerprint: Vec<(String, Option<UnixTime>, Option<UnixTime>)>,
    jwks: Bytes,
    etag: String,
}

pub fn fingerprint(rows: &[SigningKeyRow]) -> Vec<(String, Option<UnixTime>, Option<UnixTime>)> {
    rows.iter()
        .map(|r| (r.kid.clone(), r.retires_at, r.expires_at))
        .collect()
}

impl KeySet {
    pub fn empty() -> Self {
        Self::build(Vec::new(), Vec::new())
    }

    /// Opens every private key with the KEK. A key that will not open means the KEK is
    /// not the one that sealed this database's keys: that stops start-up rather than
    /// letting a new key set replace the old one.
    pub fn load(rows: &[SigningKeyRow], kek: &Kek, now: UnixTime) -> Result<Self, KeyError> {
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let jwk = josekit::jwk::Jwk::from_bytes(row.public_jwk.as_bytes())
                .map_err(|e| KeyError::Jose(format!("public key {}: {e}", row.kid)))?;
            let verifier = RS256
                .verifier_from_jwk(&jwk)
                .map_err(|e| KeyError::Jose(format!("public key {}: {e}", row.kid)))?;
            let signer = match &row.private_key_sealed {
                Some(sealed) => {
                    let der = kek.open(&row.kid, sealed).map_err(|e| match e {
                        SealError::WrongKek => KeyError::WrongKek {
                            kid: row.kid.clone(),
                        },
                        other => other.into(),
                    })?;
                    let mut signer = RS256
                        .signer_from_der(der.expose())
                        .map_err(|e| KeyError::Jose(format!("private key {}: {e}", row.kid)))?;
                    signer.set_key_id(&row.kid);
                    Some(signer)
                }
                None => None,
            };
            keys.push(SigningKey {
                kid: row.kid.clone(),
                alg: row.alg.clone(),
                times: row.times(),
                signer,
                verifier,
            });
        }
        let published: Vec<serde_json::Value> = rows
            .iter()
            .filter(|r| r.times().is_published(now))
            .filter_map(|r| serde_json::from_str(&r.public_jwk).ok())
            .collect();
        let mut set = Self::build(keys, published);
        set.fingerprint = fingerprint(rows);
        Ok(set)
    }

    fn build(keys: Vec<SigningKey>, published: Vec<serde_json::Value>) -> Self {
        let jwks = Bytes::from(serde_json::json!({ "keys": published }).to_string());
        let etag = format!(
            "\"{}\"",
            URL_SAFE_NO_PAD.encode(&Sha256::digest(&jwks)[..18])
        );
        Self {
            keys,
            fingerprint: Vec::new(),
            jwks,
            etag,
        }
    }

    pub fn fingerprint(&self) -> &[(String, Option<UnixTime>, Option<UnixTime>)] {
        &self.fingerprint
    }

    /// The key that signs at `now`.
    pub fn active(&self, now: UnixTime) -> Option<&SigningKey> {
        lifecycle::active(&self.keys, now, |k| &k.times)
    }

    pub fn get(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The JWK set document, byte-for-byte what `jwks_uri` serves.
    pub fn jwks(&self) -> &Bytes {
        &self.jwks
    }

    /// A strong ETag of [`KeySet::jwks`].
    pub fn etag(&self) -> &str {
        &self.etag
    }
}
