//! Audiences: the resource servers a token is for. A client asks for one with the
//! `resource` parameter (RFC 8707 §2), an absolute URI without a fragment; the server
//! puts the chosen ones in the token's `aud` (RFC 9068 §2.2).

use std::fmt;

use serde::Serialize;

use super::uri::{self, UriProblem};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Audience(String);

impl Audience {
    /// RFC 8707 §2: "an absolute URI … MUST NOT include a fragment component".
    pub fn parse(value: &str) -> Result<Self, UriProblem> {
        uri::check_resource_uri(value)?;
        Ok(Self(value.to_string()))
    }

    /// A value read back from our own store, or the issuer itself.
    pub fn from_trusted(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a `resource` request was refused (RFC 8707 §2 `invalid_target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("resource must be an absolute URI without a fragment")]
    Malformed,
    #[error("the requested resource is not allowed for this client")]
    NotAllowed,
    #[error("this client has no default audience; send a resource parameter")]
    NoDefault,
}

/// RFC 8707 §2: every requested resource must be one the client may address; none
/// means the client's default audience. Duplicates collapse.
pub fn select(
    allowed: &[Audience],
    default: Option<&Audience>,
    requested: &[String],
) -> Result<Vec<Audience>, TargetError> {
    if requested.is_empty() {
        return default
            .cloned()
            .map(|a| vec![a])
            .ok_or(TargetError::NoDefault);
    }
    let mut out: Vec<Audience> = Vec::new();
    for r in requested {
        let a = Audience::parse(r).map_err(|_| TargetError::Malformed)?;
        if !allowed.contains(&a) {
            return Err(TargetError::NotAllowed);
        }
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aud(s: &str) -> Audience {
        Audience::parse(s).unwrap()
    }

    fn allowed() -> Vec<Audience> {
        vec![aud("https://api.a"), aud("https://api.b")]
    }

    #[test]
    fn no_resource_selects_the_default_audience() {
        assert_eq!(
            select(&allowed(), Some(&aud("https://api.a")), &[]),
            Ok(vec![aud("https://api.a")])
        );
        assert_eq!(select(&allowed(), None, &[]), Err(TargetError::NoDefault));
    }

    #[test]
    fn requested_resources_must_be_allowed_absolute_uris() {
        let req = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            select(&allowed(), None, &req(&["https://api.b", "https://api.b"])),
            Ok(vec![aud("https://api.b")])
        );
        assert_eq!(
            select(&allowed(), None, &req(&["https://evil"])),
            Err(TargetError::NotAllowed)
        );
        assert_eq!(
            select(&allowed(), None, &req(&["relative"])),
            Err(TargetError::Malformed)
        );
        assert_eq!(
            select(&allowed(), None, &req(&["https://api.a#x"])),
            Err(TargetError::Malformed)
        );
    }
}
