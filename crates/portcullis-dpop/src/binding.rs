//! Whether a presented access token and its proof go together (RFC 9449 §7): the scheme
//! must say what the token is, and a bound token needs a proof by its key.

/// The `Authorization` scheme a token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    Dpop,
}

impl Scheme {
    /// `Bearer` or `DPoP`, case-insensitively (RFC 9110 §11.1).
    pub fn parse(scheme: &str) -> Option<Self> {
        if scheme.eq_ignore_ascii_case("bearer") {
            Some(Scheme::Bearer)
        } else if scheme.eq_ignore_ascii_case("dpop") {
            Some(Scheme::Dpop)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    /// RFC 9449 §7.2: a bound token presented as a bearer token is refused, or anyone who
    /// stole it could use it.
    #[error("the access token is DPoP-bound: present it with the DPoP scheme and a proof")]
    BoundAsBearer,
    #[error("the access token is not DPoP-bound: present it as a Bearer token")]
    UnboundAsDpop,
    #[error("a DPoP proof is required")]
    MissingProof,
    #[error("the DPoP proof was made with another key than the token is bound to")]
    KeyMismatch,
}

impl BindingError {
    /// Whether the fault is the proof's (`invalid_dpop_proof`) rather than the token's
    /// (`invalid_token`).
    pub fn is_proof_error(self) -> bool {
        matches!(self, BindingError::MissingProof | BindingError::KeyMismatch)
    }
}

/// `token_jkt`: the token's `cnf.jkt`; `proof_jkt`: the thumbprint of a proof that passed
/// its own checks (method, URL, `ath`, time, replay), if one came.
pub fn check(
    scheme: Scheme,
    token_jkt: Option<&str>,
    proof_jkt: Option<&str>,
) -> Result<(), BindingError> {
    match (scheme, token_jkt) {
        (Scheme::Bearer, Some(_)) => Err(BindingError::BoundAsBearer),
        (Scheme::Bearer, None) => Ok(()),
        (Scheme::Dpop, None) => Err(BindingError::UnboundAsDpop),
        (Scheme::Dpop, Some(bound)) => match proof_jkt {
            None => Err(BindingError::MissingProof),
            Some(jkt) if jkt == bound => Ok(()),
            Some(_) => Err(BindingError::KeyMismatch),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_token_needs_the_dpop_scheme_and_a_proof_by_its_key() {
        assert_eq!(
            check(Scheme::Bearer, Some("k"), None),
            Err(BindingError::BoundAsBearer)
        );
        assert_eq!(
            check(Scheme::Bearer, Some("k"), Some("k")),
            Err(BindingError::BoundAsBearer),
            "even with a proof"
        );
        assert_eq!(
            check(Scheme::Dpop, Some("k"), None),
            Err(BindingError::MissingProof)
        );
        assert_eq!(
            check(Scheme::Dpop, Some("k"), Some("other")),
            Err(BindingError::KeyMismatch)
        );
        assert_eq!(check(Scheme::Dpop, Some("k"), Some("k")), Ok(()));
    }

    #[test]
    fn an_unbound_token_is_a_bearer_token() {
        assert_eq!(check(Scheme::Bearer, None, None), Ok(()));
        assert_eq!(
            check(Scheme::Dpop, None, Some("k")),
            Err(BindingError::UnboundAsDpop)
        );
        assert_eq!(Scheme::parse("dPoP"), Some(Scheme::Dpop));
        assert_eq!(Scheme::parse("Basic"), None);
    }
}
