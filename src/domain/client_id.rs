//! Client identifiers (RFC 6749 §2.2). Ours travel in URLs, Basic credentials and JWT
//! claims, so they are kept to RFC 3986 unreserved characters.

use std::fmt;
use std::ops::Deref;

use serde::Serialize;

/// Client ids are 1–128 characters from `A-Z a-z 0-9 . _ ~ -`.
pub fn is_client_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
}

/// A registered client's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(value: &str) -> Option<Self> {
        is_client_id(value).then(|| Self(value.to_string()))
    }

    /// A value read back from our own store, which only holds registered ids.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for ClientId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ClientId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ClientId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_unreserved_characters_only() {
        assert!(ClientId::parse("svc.api_v2~x-1").is_some());
        for bad in ["", "has space", "a/b", "a:b", "é", &"x".repeat(129)] {
            assert!(ClientId::parse(bad).is_none(), "{bad:?}");
        }
    }
}
