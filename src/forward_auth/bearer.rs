//! Bearer tokens at the gateway, decided in memory: the signature (one of our published
//! keys, `typ: at+jwt`, our issuer) is checked once per token and remembered; `exp`/`nbf`
//! with the skew, the signing key still being ours, and the revocation set are checked on
//! every request. A gateway sees the same token many times: one RSA verification per
//! token, not per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::answer::Caller;
use crate::keys::KeySet;
use crate::revocation::list::TokenRef;
use crate::token::inspect;

/// Who a request comes from, as the identity headers tell the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub client_id: Option<String>,
    pub scope: Option<String>,
    pub roles: Vec<String>,
    pub sid: Option<String>,
    pub jti: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// `aud` of a token; `None` for a browser session.
    pub audiences: Option<Vec<String>>,
    /// How the user signed in (`acr`, `auth_time`): the token's claims or the session's.
    pub acr: Option<String>,
    pub auth_time: Option<i64>,
}

impl Identity {
    /// A machine's own token (client credentials, RFC 9068 §2.2: `sub` = `client_id`, no
    /// sign-in behind it), not a person's token and not a browser session.
    pub fn is_machine(&self) -> bool {
        self.audiences.is_some()
            && self.auth_time.is_none()
            && self.client_id.as_deref() == Some(self.subject.as_str())
    }
}

/// A token whose signature and issuer were checked.
#[derive(Debug)]
pub struct Verified {
    pub caller: Arc<Caller>,
    kid: String,
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
    /// `status.status_list` as (list id, index).
    pub status: Option<(String, i64)>,
    /// `cnf.jkt`: the DPoP key the token is bound to.
    pub jkt: Option<String>,
}

impl Verified {
    /// How the revocation set names this token.
    pub fn token_ref(&self) -> Option<TokenRef<'_>> {
        Some(TokenRef {
            jti: self.caller.identity.jti.as_deref()?,
            sid: self.caller.identity.sid.as_deref(),
            client_id: self.caller.identity.client_id.as_deref(),
            iat: self.iat,
        })
    }
}

/// Why a bearer token is refused (RFC 6750 `invalid_token`); the description is safe to
/// send back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("the token is not one of ours")]
    NotOurs,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token has been revoked")]
    Revoked,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn read(keys: &KeySet, issuer: &str, token: &str) -> Option<Verified> {
    let claims = inspect::access_token(keys, issuer, token)?;
    let kid = josekit::jwt::decode_header(token)
        .ok()?
        .claim("kid")?
        .as_str()?
        .to_string();
    let s = |k: &str| claims.str(k).map(str::to_string);
    let identity = Identity {
        subject: s("sub")?,
        client_id: s("client_id"),
        scope: s("scope"),
        roles: strings(claims.claims.get("roles")),
        sid: s("sid"),
        jti: s("jti"),
        username: s("preferred_username"),
        // Only an address the user verified is passed on (finding 14).
        email: s("email")
            .filter(|_| claims.claims.get("email_verified") == Some(&Value::Bool(true))),
        name: s("name"),
        audiences: Some(claims.audiences().into_iter().map(str::to_string).collect()),
        acr: s("acr"),
        auth_time: claims.claims.get("auth_time").and_then(|v| v.as_i64()),
    };
    Some(Verified {
        status: claims.status(issuer).map(|(l, i)| (l.to_string(), i)),
        jkt: claims.jkt().map(str::to_string),
        exp: claims.num("exp")?,
        nbf: claims.num("nbf"),
        iat: claims.num("iat"),
        kid,
        caller: Caller::new(identity),
    })
}

const SHARDS: usize = 16;
/// Tokens remembered per shard; a full shard drops its expired entries, or all of them.
const PER_SHARD: usize = 4096;

type Shard = Mutex<HashMap<[u8; 32], Arc<Verified>>>;

/// Verified tokens by the SHA-256 of their text, in shards so workers do not queue on one
/// lock. Only tokens that verified are kept: garbage cannot fill it.
pub struct Verifier {
    shards: Vec<Shard>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

/// What the revocation side says about a token: its entry in the revocation set, and its
/// status bit where this instance holds the list.
pub trait Revoked {
    fn revoked(&self, token: &TokenRef<'_>) -> bool;
    fn status_bit(&self, list: &str, idx: i64) -> Option<bool>;
}

impl Verifier {
    /// Decides a bearer token at `now` with `skew` seconds of clock allowance.
    pub fn check(
        &self,
        token: &str,
        keys: &KeySet,
        issuer: &str,
        now: i64,
        skew: i64,
        revocations: &impl Revoked,
    ) -> Result<Arc<Verified>, Invalid> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let shard = &self.shards[key[0] as usize % SHARDS];
        let cached = shard
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let v = match cached {
            // A key withdrawn since (`keys rotate --revoke-previous`) no longer vouches.
            Some(v) if keys.get(&v.kid).is_some() => v,
            Some(_) => return Err(Invalid::NotOurs),
            None => {
                let v = Arc::new(read(keys, issuer, token).ok_or(Invalid::NotOurs)?);
                if v.exp + skew > now {
                    let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
                    if map.len() >= PER_SHARD {
                        map.retain(|_, e| e.exp + skew > now);
                        if map.len() >= PER_SHARD {
                            map.clear();
                        }
                    }
                    map.insert(key, v.clone());
                }
                v
            }
        };
        if v.exp + skew <= now {
            return Err(Invalid::Expired);
        }
        if v.nbf.is_some_and(|nbf| nbf - skew > now) {
            return Err(Invalid::NotYetValid);
        }
        let by_set = v.token_ref().is_none_or(|t| revocations.revoked(&t));
        let by_bit = v
            .status
            .as_ref()
            .and_then(|(list, idx)| revocations.status_bit(list, *idx))
            .unwrap_or(false);
        if by_set || by_bit {
            return Err(Invalid::Revoked);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audience::Audience;
    use crate::domain::scope::Scope;
    use crate::keys::test_keys;
    use crate::token::access_token::{self, AccessTokenRequest};

    const ISSUER: &str = "https://id.example";
    const NOW: i64 = 1_000_000;

    #[derive(Default)]
    struct Set {
        jtis: Vec<String>,
        bit: Option<bool>,
    }

    impl Revoked for Set {
        fn revoked(&self, t: &TokenRef<'_>) -> bool {
            self.jtis.iter().any(|j| j == t.jti)
        }
        fn status_bit(&self, _: &str, _: i64) -> Option<bool> {
            self.bit
        }
    }

    fn token(jti: &str, now: i64, ttl: i64) -> String {
        let mut extra = serde_json::Map::new();
        extra.insert("roles".into(), serde_json::json!(["ops"]));
        extra.insert("sid".into(), serde_json::json!("s1"));
        access_token::issue(
            test_keys(),
            &AccessTokenRequest {
                jti,
                issuer: ISSUER,
                subject: "user-1",
                client_id: "dashboard",
                audience: &[Audience::from_trusted("https://api.example")],
                scope: &Scope::parse("orders:read").unwrap(),
                now,
                ttl,
                extra,
                status: Some(("https://id.example/statuslists/l1", 7)),
                alg: crate::keys::SigningAlg::Rs256,
                jkt: None,
            },
        )
        .unwrap()
        .token
    }

    #[test]
    fn a_good_token_gives_its_identity_and_is_remembered() {
        let v = Verifier::default();
        let t = token("j1", NOW, 600);
        let got = v
            .check(&t, test_keys(), ISSUER, NOW, 0, &Set::default())
            .unwrap();
        assert_eq!(got.caller.identity.subject, "user-1");
        assert_eq!(got.caller.identity.client_id.as_deref(), Some("dashboard"));
        assert_eq!(got.caller.identity.scope.as_deref(), Some("orders:read"));
        assert_eq!(got.caller.identity.roles, vec!["ops".to_string()]);
        assert_eq!(got.caller.identity.sid.as_deref(), Some("s1"));
        assert_eq!(
            got.caller.identity.audiences,
            Some(vec!["https://api.example".to_string()])
        );
        let again = v
            .check(&t, test_keys(), ISSUER, NOW, 0, &Set::default())
            .unwrap();
        assert!(
            Arc::ptr_eq(&got, &again),
            "the second check reuses the verification"
        );
    }

    #[test]
    fn expiry_and_not_before_honour_the_skew() {
        let v = Verifier::default();
        let t = token("j2", NOW, 600);
        assert_eq!(
            v.check(&t, test_keys(), ISSUER, NOW + 600, 0, &Set::default())
                .unwrap_err(),
            Invalid::Expired
        );
        assert!(
            v.check(&t, test_keys(), ISSUER, NOW + 600, 30, &Set::default())
                .is_ok()
        );
    }

    #[test]
    fn a_revoked_token_is_refused_even_when_remembered() {
        let v = Verifier::default();
        let t = token("j3", NOW, 600);
        assert!(
            v.check(&t, test_keys(), ISSUER, NOW, 0, &Set::default())
                .is_ok()
        );
        let set = Set {
            jtis: vec!["j3".into()],
            bit: None,
        };
        assert_eq!(
            v.check(&t, test_keys(), ISSUER, NOW, 0, &set).unwrap_err(),
            Invalid::Revoked
        );
        let bit = Set {
            jtis: vec![],
            bit: Some(true),
        };
        assert_eq!(
            v.check(&t, test_keys(), ISSUER, NOW, 0, &bit).unwrap_err(),
            Invalid::Revoked
        );
    }

    #[test]
    fn anything_else_is_not_ours() {
        let v = Verifier::default();
        let t = token("j4", NOW, 600);
        for bad in ["", "abc", "a.b.c", &t[..t.len() - 2], &format!("{t}x")] {
            assert_eq!(
                v.check(bad, test_keys(), ISSUER, NOW, 0, &Set::default())
                    .unwrap_err(),
                Invalid::NotOurs,
                "{bad}"
            );
        }
        assert_eq!(
            v.check(&t, test_keys(), "https://other", NOW, 0, &Set::default())
                .unwrap_err(),
            Invalid::NotOurs
        );
    }
}
