//! Proof Key for Code Exchange (RFC 7636), S256 only (RFC 9700 §2.1.1: `plain` offers no
//! protection once the authorization request leaks). The hashing and constant-time
//! comparison are oxide-auth's `Pkce` extension; the rules around it — which clients must
//! use PKCE, the parameter grammar, and downgrade protection — are here, in one place.

use std::borrow::Cow;

use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::primitives::grant::Value;

/// Why PKCE parameters or a verification were refused; the text is safe to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_challenge_method without code_challenge")]
    MethodWithoutChallenge,
    #[error("code_challenge_method must be S256")]
    NotS256,
    #[error("code_challenge is malformed")]
    MalformedChallenge,
    #[error("this client must use PKCE (code_challenge with S256)")]
    Required,
    #[error("code_verifier sent but no code_challenge was made")]
    Downgrade,
    #[error("the code_verifier does not match the code_challenge")]
    Mismatch,
}

/// RFC 7636 §4.1/§4.2: 43–128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
fn well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// A challenge from an authorization request, in the form stored with the code
/// (oxide-auth's encoding of method and value, so its `Pkce` can verify it later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Reads `code_challenge` and `code_challenge_method` (RFC 7636 §4.3). `required`
    /// is the client's policy: public clients and clients registered with PKCE.
    pub fn from_request(
        method: Option<&str>,
        challenge: Option<&str>,
        required: bool,
    ) -> Result<Option<Self>, PkceError> {
        if method.is_some() && challenge.is_none() {
            return Err(PkceError::MethodWithoutChallenge);
        }
        if challenge.is_some() && method != Some("S256") {
            return Err(PkceError::NotS256);
        }
        if challenge.is_some_and(|c| !well_formed(c)) {
            return Err(PkceError::MalformedChallenge);
        }
        let pkce = if required {
            Pkce::required()
        } else {
            Pkce::optional()
        };
        let encoded = pkce
            .challenge(method.map(Cow::Borrowed), challenge.map(Cow::Borrowed))
            .map_err(|()| PkceError::Required)?
            .and_then(|v| v.into_private_value().ok().flatten());
        Ok(encoded.map(Self))
    }

    /// The value read back from the code row.
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    pub fn stored(&self) -> &str {
        &self.0
    }

    /// The grant extension value oxide-auth's machine carries and hands back.
    pub fn to_extension(&self) -> Value {
        Value::private(Some(self.0.clone()))
    }
}

/// The `code_verifier` of a token request.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(String);

impl std::fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeVerifier(..)")
    }
}

impl CodeVerifier {
    /// A verifier outside the RFC 7636 §4.1 grammar can never match: refused as such.
    pub fn parse(value: &str) -> Result<Self, PkceError> {
        if well_formed(value) {
            Ok(Self(value.to_string()))
        } else {
            Err(PkceError::Mismatch)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Verifies a verifier against what the code carries (RFC 7636 §4.6). `stored` is the
/// extension value oxide-auth's machine hands back from the grant.
///
/// - a verifier for a code made without a challenge is a downgrade attempt (RFC 9700
///   §2.1.1) and fails, even for clients that need no PKCE;
/// - a code with a challenge needs the matching verifier;
/// - a client that must use PKCE never redeems a code without one.
pub fn verify(
    stored: Option<Value>,
    verifier: Option<&CodeVerifier>,
    required: bool,
) -> Result<(), PkceError> {
    if stored.is_none() && verifier.is_some() {
        return Err(PkceError::Downgrade);
    }
    if stored.is_none() && required {
        return Err(PkceError::Required);
    }
    let pkce = if required {
        Pkce::required()
    } else {
        Pkce::optional()
    };
    pkce.verify(stored, verifier.map(|v| Cow::Borrowed(v.as_str())))
        .map_err(|()| PkceError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn challenge() -> CodeChallenge {
        CodeChallenge::from_request(Some("S256"), Some(CHALLENGE), false)
            .unwrap()
            .unwrap()
    }

    fn verifier(v: &str) -> CodeVerifier {
        CodeVerifier::parse(v).unwrap()
    }

    #[test]
    fn the_rfc_example_verifier_matches_its_s256_challenge() {
        let stored = Some(challenge().to_extension());
        assert_eq!(verify(stored, Some(&verifier(VERIFIER)), true), Ok(()));
    }

    #[test]
    fn a_wrong_verifier_fails() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK";
        let stored = Some(challenge().to_extension());
        assert_eq!(
            verify(stored, Some(&verifier(other)), false),
            Err(PkceError::Mismatch)
        );
    }

    #[test]
    fn a_code_with_a_challenge_needs_a_verifier() {
        let stored = Some(challenge().to_extension());
        assert_eq!(verify(stored, None, false), Err(PkceError::Mismatch));
    }

    #[test]
    fn a_verifier_for_a_code_without_challenge_is_a_refused_downgrade() {
        assert_eq!(
            verify(None, Some(&verifier(VERIFIER)), false),
            Err(PkceError::Downgrade)
        );
    }

    #[test]
    fn a_client_that_requires_pkce_cannot_redeem_a_code_without_challenge() {
        assert_eq!(verify(None, None, true), Err(PkceError::Required));
        assert_eq!(verify(None, None, false), Ok(()));
    }

    #[test]
    fn pkce_is_required_of_clients_registered_for_it() {
        assert_eq!(
            CodeChallenge::from_request(None, None, true),
            Err(PkceError::Required)
        );
        assert_eq!(CodeChallenge::from_request(None, None, false), Ok(None));
    }

    #[test]
    fn the_plain_method_and_malformed_challenges_are_refused() {
        assert_eq!(
            CodeChallenge::from_request(Some("plain"), Some(CHALLENGE), false),
            Err(PkceError::NotS256)
        );
        assert_eq!(
            CodeChallenge::from_request(None, Some(CHALLENGE), false),
            Err(PkceError::NotS256),
            "a missing method means plain (RFC 7636 §4.3)"
        );
        assert_eq!(
            CodeChallenge::from_request(Some("S256"), None, false),
            Err(PkceError::MethodWithoutChallenge)
        );
        assert_eq!(
            CodeChallenge::from_request(Some("S256"), Some("short"), false),
            Err(PkceError::MalformedChallenge)
        );
        assert!(
            CodeVerifier::parse("has space and is long enough to pass the length rule").is_err()
        );
    }
}
