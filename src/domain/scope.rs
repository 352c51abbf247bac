//! OAuth scopes (RFC 6749 §3.3): a space-delimited, case-sensitive list of tokens whose
//! order does not matter. Parsed once at the edge; every rule about what a client may ask
//! for, what a grant covers and what a refresh may narrow to is a method here, so no other
//! module splits a scope string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The scope that makes a request an OpenID Connect request (OIDC Core §3.1.2.1).
pub const OPENID: &str = "openid";
/// The scope that asks for a refresh token usable without the user (OIDC Core §11).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// A scope value outside the RFC 6749 §3.3 grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scope token `{0}` is malformed (RFC 6749 §3.3)")]
pub struct MalformedScope(pub String);

/// An ordered set of scope tokens: first occurrence wins, duplicates are dropped, the
/// order is kept only so that output is stable (RFC 6749 §3.3 gives order no meaning).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Scope(Vec<String>);

impl Scope {
    /// Parses a space-delimited scope parameter. Empty tokens (repeated spaces) are
    /// ignored, as servers in the field do; any other character outside the grammar fails.
    pub fn parse(value: &str) -> Result<Self, MalformedScope> {
        Self::from_tokens(value.split(' ').filter(|s| !s.is_empty()))
    }

    /// Builds a scope from separate tokens, each of which may itself hold several
    /// space-delimited tokens (as operators type them on the command line).
    pub fn from_tokens<I, S>(tokens: I) -> Result<Self, MalformedScope>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Scope::default();
        for t in tokens {
            for token in t.as_ref().split(' ').filter(|s| !s.is_empty()) {
                if !is_scope_token(token) {
                    return Err(MalformedScope(token.to_string()));
                }
                out.insert(token);
            }
        }
        Ok(out)
    }

    fn insert(&mut self, token: &str) {
        if !self.contains(token) {
            self.0.push(token.to_string());
        }
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether every token of `self` is in `other`.
    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.iter().all(|t| other.contains(t))
    }

    /// The tokens of `self` that `allowed` also holds, in `self`'s order: what an
    /// authorization request keeps of what it asked for (RFC 6749 §3.3 lets the server
    /// grant less than requested and say so in the response).
    pub fn intersect(&self, allowed: &Scope) -> Scope {
        Scope(
            self.0
                .iter()
                .filter(|t| allowed.contains(t))
                .cloned()
                .collect(),
        )
    }

    /// Adds the tokens of `other` not yet present (consent accumulates).
    pub fn union(&self, other: &Scope) -> Scope {
        let mut out = self.clone();
        for t in other.iter() {
            out.insert(t);
        }
        out
    }

    pub fn is_openid(&self) -> bool {
        self.contains(OPENID)
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.clone()
    }
}

/// The canonical form: tokens joined by one space (RFC 6749 §3.3).
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl TryFrom<Vec<String>> for Scope {
    type Error = MalformedScope;
    fn try_from(tokens: Vec<String>) -> Result<Self, MalformedScope> {
        Self::from_tokens(tokens)
    }
}

impl From<Scope> for Vec<String> {
    fn from(s: Scope) -> Self {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> Scope {
        Scope::parse(s).unwrap()
    }

    #[test]
    fn parsing_drops_duplicates_and_empty_tokens_and_keeps_the_first_order() {
        let s = scope("openid  email openid profile");
        assert_eq!(s.to_string(), "openid email profile");
        assert!(Scope::parse("").unwrap().is_empty());
    }

    #[test]
    fn characters_outside_the_rfc_grammar_are_refused() {
        for bad in ["a\"b", "a\\b", "caf\u{e9}", "tab\there"] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
        assert!(is_scope_token("api:read/x!"));
    }

    #[test]
    fn intersect_keeps_only_allowed_tokens_in_request_order() {
        let allowed = scope("a b c");
        assert_eq!(scope("c x a").intersect(&allowed), scope("c a"));
    }

    #[test]
    fn union_accumulates_without_duplicates() {
        assert_eq!(scope("a b").union(&scope("b c")), scope("a b c"));
    }

    #[test]
    fn serde_round_trips_as_a_list_and_refuses_malformed_tokens() {
        let s = scope("a b");
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"["a","b"]"#);
        assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), s);
        assert!(serde_json::from_str::<Scope>(r#"["a\"b"]"#).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_input_parses_or_is_refused_without_panic(input in "\\PC{0,64}") {
            let _ = Scope::parse(&input);
        }

        #[test]
        fn scope_accepts_exactly_the_rfc_grammar(tokens in proptest::collection::vec("[\\x21-\\x7e]{1,8}", 0..6)) {
            let joined = tokens.join(" ");
            let valid = tokens.iter().all(|t| is_scope_token(t));
            proptest::prop_assert_eq!(Scope::parse(&joined).is_ok(), valid);
            if let Ok(s) = Scope::parse(&joined) {
                // Canonical form round-trips.
                proptest::prop_assert_eq!(Scope::parse(&s.to_string()).unwrap(), s);
            }
        }
    }
}
