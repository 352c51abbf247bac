//! ES256 signing straight through OpenSSL's `ECDSA_do_sign` (RFC 7518 §3.4).
//!
//! josekit's ECDSA signer builds an `EVP_DigestSign` context for every signature — an
//! algorithm fetch through OpenSSL 3's provider store, under its locks — and then converts
//! the DER signature it gets back to `R || S`. On the client-credentials hot path that was
//! more than a third of the server's CPU time, with the curve arithmetic itself under a
//! quarter of it. This signer keeps the parsed `EC_KEY`, hashes with `sha2` and writes the
//! two 32-byte integers directly; its output is an ordinary ES256 signature that any
//! verifier accepts (the tests check it with josekit's verifier).

use std::fmt;

use josekit::JoseError;
use josekit::jws::{ES256, JwsAlgorithm, JwsSigner};
use openssl::bn::BigNumRef;
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use sha2::{Digest, Sha256};

/// The length of each of `R` and `S` for P-256 (RFC 7518 §3.4: 32 octets each).
const HALF: i32 = 32;

#[derive(Clone)]
pub struct Es256Signer {
    key: EcKey<Private>,
}

impl Es256Signer {
    /// From the stored DER private key (PKCS#8 or SEC 1 `ECPrivateKey`); refuses any curve but P-256.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let key = PKey::private_key_from_der(der)
            .and_then(|k| k.ec_key())
            .map_err(|e| format!("not an EC private key: {e}"))?;
        if key.group().curve_name() != Some(Nid::X9_62_PRIME256V1) {
            return Err("ES256 needs a P-256 key".into());
        }
        key.check_key()
            .map_err(|e| format!("invalid P-256 key: {e}"))?;
        Ok(Self { key })
    }
}

/// Never the key: `Debug` is for logs.
impl fmt::Debug for Es256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Es256Signer")
    }
}

fn padded(n: &BigNumRef, out: &mut Vec<u8>) -> Result<(), JoseError> {
    let bytes = n
        .to_vec_padded(HALF)
        .map_err(|e| JoseError::InvalidSignature(e.into()))?;
    out.extend_from_slice(&bytes);
    Ok(())
}

impl JwsSigner for Es256Signer {
    fn algorithm(&self) -> &dyn JwsAlgorithm {
        &ES256
    }

    fn key_id(&self) -> Option<&str> {
        None
    }

    fn signature_len(&self) -> usize {
        2 * HALF as usize
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        let digest = Sha256::digest(message);
        let sig = EcdsaSig::sign(&digest, &self.key)
            .map_err(|e| JoseError::InvalidSignature(e.into()))?;
        let mut out = Vec::with_capacity(self.signature_len());
        padded(sig.r(), &mut out)?;
        padded(sig.s(), &mut out)?;
        Ok(out)
    }

    fn box_clone(&self) -> Box<dyn JwsSigner> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jws::JwsVerifier;

    fn p256_pair() -> (Vec<u8>, Box<dyn JwsVerifier>) {
        let key = ES256.generate_key_pair().unwrap();
        let verifier = ES256.verifier_from_jwk(&key.to_jwk_public_key()).unwrap();
        (key.to_der_private_key(), Box::new(verifier))
    }

    #[test]
    fn its_signatures_verify_with_an_independent_es256_verifier() {
        let (der, verifier) = p256_pair();
        let signer = Es256Signer::from_der(&der).unwrap();
        for message in [&b""[..], b"header.payload", &[0u8; 1000]] {
            let sig = signer.sign(message).unwrap();
            assert_eq!(sig.len(), 64);
            verifier.verify(message, &sig).unwrap();
        }
    }

    #[test]
    fn a_signature_does_not_verify_for_another_message() {
        let (der, verifier) = p256_pair();
        let sig = Es256Signer::from_der(&der).unwrap().sign(b"one").unwrap();
        assert!(verifier.verify(b"two", &sig).is_err());
    }

    #[test]
    fn keys_of_other_curves_or_types_are_refused() {
        let p384 = josekit::jws::ES384.generate_key_pair().unwrap();
        assert!(Es256Signer::from_der(&p384.to_der_private_key()).is_err());
        let ed = josekit::jws::EdDSA
            .generate_key_pair(josekit::jwk::alg::ed::EdCurve::Ed25519)
            .unwrap();
        assert!(Es256Signer::from_der(&ed.to_der_private_key()).is_err());
        assert!(Es256Signer::from_der(b"not der").is_err());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let (der, _) = p256_pair();
        let shown = format!("{:?}", Es256Signer::from_der(&der).unwrap());
        assert_eq!(shown, "Es256Signer");
    }
}
