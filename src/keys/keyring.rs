//! The in-memory view of the keys: what request paths read instead of the database.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use josekit::jws::alg::rsassa::{RsassaJwsSigner, RsassaJwsVerifier};
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::JwtPayload;
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
                times: KeyTimes::from(row),
                signer,
                verifier,
            });
        }
        let published: Vec<serde_json::Value> = rows
            .iter()
            .filter(|r| KeyTimes::from(*r).is_published(now))
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

    /// Signs a JWT with the key active at `now`; the header gets `typ`, `alg` and `kid`
    /// (RFC 8725 §3.11: explicit typing, so one kind of token cannot pass for another).
    pub fn sign(&self, typ: &str, payload: &JwtPayload, now: UnixTime) -> Result<String, KeyError> {
        let key = self.active(now).ok_or(KeyError::NoActiveKey)?;
        let signer = key.signer().ok_or(KeyError::NoActiveKey)?;
        let _span = tracing::info_span!("sign", jwt.typ = typ, jwt.alg = %key.alg).entered();
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(&key.kid);
        josekit::jwt::encode_with_signer(payload, &header, signer)
            .map_err(|e| KeyError::Jose(e.to_string()))
    }

    /// Verifies a JWT signed by one of these keys (signature only: the caller checks the
    /// claims it cares about), also requiring the header's `typ` (case-insensitive) when
    /// given. `alg: none`, other algorithms and unknown keys fail (RFC 8725 §3.1).
    pub fn verify_typed(&self, jwt: &str, typ: Option<&str>) -> Result<JwtPayload, KeyError> {
        let header = josekit::jwt::decode_header(jwt).map_err(|e| KeyError::Jose(e.to_string()))?;
        if let Some(expected) = typ {
            let actual = header
                .claim("typ")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(KeyError::Jose("unexpected typ".into()));
            }
        }
        let kid = header
            .claim("kid")
            .and_then(|v| v.as_str())
            .ok_or_else(|| KeyError::Jose("no kid".into()))?;
        if header.claim("alg").and_then(|v| v.as_str()) != Some(super::generate::ALG) {
            return Err(KeyError::Jose("unexpected alg".into()));
        }
        let key = self
            .get(kid)
            .ok_or_else(|| KeyError::Jose("unknown kid".into()))?;
        josekit::jwt::decode_with_verifier(jwt, key.verifier())
            .map(|(payload, _)| payload)
            .map_err(|e| KeyError::Jose(e.to_string()))
    }

    /// A key set with one fresh key, active from `now`, that lives only in memory: for
    /// unit tests of the rules that sign and verify.
    #[cfg(test)]
    pub fn ephemeral(now: UnixTime) -> Self {
        let kek = Kek::generate();
        let key = super::generate::generate(2048).expect("key generation");
        let row = SigningKeyRow {
            private_key_sealed: Some(kek.seal(&key.kid, key.private_der.expose()).expect("seal")),
            kid: key.kid,
            alg: key.alg.to_string(),
            public_jwk: key.public_jwk,
            generation: 1,
            created_at: now - 1,
            activates_at: now - 1,
            retires_at: None,
            expires_at: None,
        };
        Self::load(&[row], &kek, now).expect("load")
    }
}

/// One in-memory key set shared by the rules' unit tests (RSA generation is slow in debug
/// builds), active from the Unix epoch on.
#[cfg(test)]
pub fn test_keys() -> &'static KeySet {
    static KEYS: std::sync::OnceLock<KeySet> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| KeySet::ephemeral(0))
}
