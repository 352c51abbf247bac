//! The in-memory view of the keys: what request paths read instead of the database.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use josekit::jws::{JwsHeader, JwsSigner, JwsVerifier};
use josekit::jwt::JwtPayload;
use sha2::{Digest, Sha256};

use super::lifecycle::{self, KeyTimes};
use super::manager::KeyError;
use super::sealed::{Kek, SealError};
use crate::clock::UnixTime;
use crate::domain::signing_alg::SigningAlg;
use crate::store::signing_keys::SigningKeyRow;

pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub times: KeyTimes,
    signer: Option<Box<dyn JwsSigner>>,
    verifier: Box<dyn JwsVerifier>,
}

impl SigningKey {
    pub fn signer(&self) -> Option<&dyn JwsSigner> {
        self.signer.as_deref()
    }

    pub fn verifier(&self) -> &dyn JwsVerifier {
        &*self.verifier
    }
}

/// An immutable snapshot of the keys, swapped whole on refresh.
pub struct KeySet {
    keys: Vec<SigningKey>,
    /// What signs when nobody asks for an algorithm: the first of `keys.algorithms`.
    default_alg: SigningAlg,
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
        Self::build(Vec::new(), Vec::new(), SigningAlg::Rs256)
    }

    /// Opens every private key with the KEK. A key that will not open means the KEK is
    /// not the one that sealed this database's keys: that stops start-up rather than
    /// letting a new key set replace the old one.
    pub fn load(
        rows: &[SigningKeyRow],
        kek: &Kek,
        now: UnixTime,
        default_alg: SigningAlg,
    ) -> Result<Self, KeyError> {
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let alg: SigningAlg = row
                .alg
                .parse()
                .map_err(|e| KeyError::Jose(format!("key {}: {e}", row.kid)))?;
            let jwk = josekit::jwk::Jwk::from_bytes(row.public_jwk.as_bytes())
                .map_err(|e| KeyError::Jose(format!("public key {}: {e}", row.kid)))?;
            let verifier = alg
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
                    let signer = alg
                        .signer_from_der(der.expose())
                        .map_err(|e| KeyError::Jose(format!("private key {}: {e}", row.kid)))?;
                    Some(signer)
                }
                None => None,
            };
            keys.push(SigningKey {
                kid: row.kid.clone(),
                alg,
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
        let mut set = Self::build(keys, published, default_alg);
        set.fingerprint = fingerprint(rows);
        Ok(set)
    }

    fn build(
        keys: Vec<SigningKey>,
        published: Vec<serde_json::Value>,
        default_alg: SigningAlg,
    ) -> Self {
        let jwks = Bytes::from(serde_json::json!({ "keys": published }).to_string());
        let etag = format!(
            "\"{}\"",
            URL_SAFE_NO_PAD.encode(&Sha256::digest(&jwks)[..18])
        );
        Self {
            keys,
            default_alg,
            fingerprint: Vec::new(),
            jwks,
            etag,
        }
    }

    pub fn fingerprint(&self) -> &[(String, Option<UnixTime>, Option<UnixTime>)] {
        &self.fingerprint
    }

    /// The algorithm of tokens nobody chose one for (feed, status lists, logout tokens).
    pub fn default_alg(&self) -> SigningAlg {
        self.default_alg
    }

    /// The key of the default algorithm that signs at `now`.
    pub fn active(&self, now: UnixTime) -> Option<&SigningKey> {
        self.active_for(self.default_alg, now)
    }

    /// The key of `alg` that signs at `now`: each algorithm rotates on its own.
    pub fn active_for(&self, alg: SigningAlg, now: UnixTime) -> Option<&SigningKey> {
        let keys: Vec<&SigningKey> = self.keys.iter().filter(|k| k.alg == alg).collect();
        lifecycle::active(&keys, now, |k| &k.times).copied()
    }

    /// Where `key` is in its algorithm's lifecycle.
    pub fn state(&self, key: &SigningKey, now: UnixTime) -> lifecycle::KeyState {
        let same: Vec<&SigningKey> = self.keys.iter().filter(|k| k.alg == key.alg).collect();
        let key = same
            .iter()
            .find(|k| k.kid == key.kid)
            .copied()
            .unwrap_or(key);
        lifecycle::state(&key, &same, now, |k| &k.times)
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
        self.sign_as(self.default_alg, typ, payload, now)
    }

    /// [`KeySet::sign`] with the active key of `alg`.
    pub fn sign_as(
        &self,
        alg: SigningAlg,
        typ: &str,
        payload: &JwtPayload,
        now: UnixTime,
    ) -> Result<String, KeyError> {
        let key = self
            .active_for(alg, now)
            .ok_or(KeyError::NoActiveKeyFor(alg))?;
        let signer = key.signer().ok_or(KeyError::NoActiveKeyFor(alg))?;
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
        let key = self
            .get(kid)
            .ok_or_else(|| KeyError::Jose("unknown kid".into()))?;
        // The key decides the algorithm, never the header (RFC 8725 §3.1).
        if header.claim("alg").and_then(|v| v.as_str()) != Some(key.alg.as_str()) {
            return Err(KeyError::Jose("unexpected alg".into()));
        }
        josekit::jwt::decode_with_verifier(jwt, key.verifier())
            .map(|(payload, _)| payload)
            .map_err(|e| KeyError::Jose(e.to_string()))
    }

    /// A key set with one fresh key, active from `now`, that lives only in memory: for
    /// unit tests of the rules that sign and verify.
    /// One key per algorithm, RS256 the default.
    #[cfg(test)]
    pub fn ephemeral(now: UnixTime) -> Self {
        let kek = Kek::generate();
        let rows: Vec<SigningKeyRow> = SigningAlg::ALL
            .into_iter()
            .zip(1..)
            .map(|(alg, generation)| {
                let key = super::generate::generate(alg, 2048).expect("key generation");
                SigningKeyRow {
                    private_key_sealed: Some(
                        kek.seal(&key.kid, key.private_der.expose()).expect("seal"),
                    ),
                    kid: key.kid,
                    alg: key.alg.to_string(),
                    public_jwk: key.public_jwk,
                    generation,
                    created_at: now - 1,
                    activates_at: now - 1,
                    retires_at: None,
                    expires_at: None,
                }
            })
            .collect();
        Self::load(&rows, &kek, now, SigningAlg::Rs256).expect("load")
    }
}

/// One in-memory key set shared by the rules' unit tests (RSA generation is slow in debug
/// builds), active from the Unix epoch on.
#[cfg(test)]
pub fn test_keys() -> &'static KeySet {
    static KEYS: std::sync::OnceLock<KeySet> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| KeySet::ephemeral(0))
}
