//! Reading our own access tokens back (revocation, introspection): signature by one of our
//! keys, `typ: at+jwt`, our issuer. Expiry and revocation are the caller's questions.

use serde_json::{Map, Value};

use super::access_token::TYP;
use crate::keys::KeySet;
use crate::revocation::list::TokenRef;

#[derive(Debug, Clone)]
pub struct AccessClaims {
    pub claims: Map<String, Value>,
}

impl AccessClaims {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn num(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }

    /// How the revocation list names this token; `None` without a `jti`.
    pub fn token_ref(&self) -> Option<TokenRef<'_>> {
        Some(TokenRef {
            jti: self.str("jti")?,
            sid: self.str("sid"),
            client_id: self.str("client_id"),
            iat: self.num("iat"),
        })
    }

    /// The token's `status.status_list` reference as (list id, index), when it points at
    /// one of this issuer's lists.
    pub fn status<'a>(&'a self, issuer: &str) -> Option<(&'a str, i64)> {
        let list = self.claims.get("status")?.get("status_list")?;
        let uri = list.get("uri")?.as_str()?;
        let idx = list.get("idx")?.as_i64()?;
        Some((crate::status::lists::list_id(issuer, uri)?, idx))
    }

    /// The thumbprint of the DPoP key the token is bound to (`cnf.jkt`, RFC 9449 §6.1).
    pub fn jkt(&self) -> Option<&str> {
        self.claims.get("cnf")?.get("jkt")?.as_str()
    }

    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// `None` for anything that is not an access token we issued.
pub fn access_token(keys: &KeySet, issuer: &str, token: &str) -> Option<AccessClaims> {
    let payload = keys.verify_typed(token, Some(TYP)).ok()?;
    if payload.issuer() != Some(issuer) {
        return None;
    }
    Some(AccessClaims {
        claims: payload.claims_set().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_bearer_value_is_read_or_refused_without_panic(input in "\\PC{0,200}") {
            proptest::prop_assert!(access_token(crate::keys::test_keys(), "https://id.example", &input).is_none());
        }
    }
}
