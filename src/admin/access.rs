//! Who may call the admin API: one of our own access tokens (RFC 9068), addressed to
//! `<issuer>/admin`, live and not revoked, with `portcullis:admin:read` to read and
//! `portcullis:admin:write` to change anything (RFC 6750 §3.1 names the refusals).
//!
//! A machine client obtains such a token by client credentials once an operator has
//! registered it with the scopes and the audience; a person's token (authorization code)
//! counts only while that person holds the `admin` role, which the caller checks against
//! the live user record.

use crate::clock::UnixTime;
use crate::domain::scope::Scope;
use crate::keys::KeySet;
use crate::revocation::list::TokenRef;
use crate::token::inspect;

pub const SCOPE_READ: &str = "portcullis:admin:read";
pub const SCOPE_WRITE: &str = "portcullis:admin:write";
/// The role a person needs for the console, and for a user token at the API.
pub const ADMIN_ROLE: &str = "admin";

/// The audience of admin tokens: the admin API is a resource server of its own, so a
/// token for any other API can never be replayed against it.
pub fn audience(issuer: &str) -> String {
    format!("{issuer}/admin")
}

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
}

impl Need {
    /// A write token may also read: the changes it makes must be checkable.
    fn met_by(self, scope: &Scope) -> bool {
        let has = |s: &str| scope.iter().any(|t| t == s);
        match self {
            Need::Read => has(SCOPE_READ) || has(SCOPE_WRITE),
            Need::Write => has(SCOPE_WRITE),
        }
    }

    pub fn scope(self) -> &'static str {
        match self {
            Need::Read => SCOPE_READ,
            Need::Write => SCOPE_WRITE,
        }
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A client acting for itself (client credentials).
    Client(String),
    /// A person; the caller must confirm they still hold [`ADMIN_ROLE`].
    User(String),
}

impl Caller {
    /// The audit log's actor (`client:<id>`, `user:<id>`).
    pub fn actor(&self) -> String {
        match self {
            Caller::Client(id) => format!("client:{id}"),
            Caller::User(id) => format!("user:{id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAccess {
    pub caller: Caller,
    /// The DPoP key the token is bound to, if it is (the caller checks the proof).
    pub jkt: Option<String>,
    /// How its person signed in (`acr`), for `admin.require_mfa`.
    pub acr: Option<String>,
}

/// Why a token may not call the admin API, as RFC 6750 §3.1 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `invalid_token` (401).
    InvalidToken(&'static str),
    /// `insufficient_scope` (403).
    InsufficientScope(&'static str),
}

/// `is_revoked` is the in-memory revocation list.
pub fn authorize(
    keys: &KeySet,
    issuer: &str,
    is_revoked: impl Fn(&TokenRef<'_>) -> bool,
    token: &str,
    need: Need,
    now: UnixTime,
) -> Result<AdminAccess, Refusal> {
    let claims = inspect::access_token(keys, issuer, token)
        .ok_or(Refusal::InvalidToken("the access token is invalid"))?;
    if claims.num("exp").is_none_or(|e| e <= now) {
        return Err(Refusal::InvalidToken("the access token has expired"));
    }
    if !claims.audiences().contains(&audience(issuer).as_str()) {
        return Err(Refusal::InvalidToken(
            "the access token is not addressed to the admin API",
        ));
    }
    let (Some(sub), Some(token_ref)) = (claims.str("sub"), claims.token_ref()) else {
        return Err(Refusal::InvalidToken("the access token is invalid"));
    };
    if is_revoked(&token_ref) {
        return Err(Refusal::InvalidToken("the access token was revoked"));
    }
    let scope = Scope::parse(claims.str("scope").unwrap_or(""))
        .map_err(|_| Refusal::InvalidToken("the access token is invalid"))?;
    if !need.met_by(&scope) {
        return Err(match need {
            Need::Read => Refusal::InsufficientScope("this needs portcullis:admin:read"),
            Need::Write => Refusal::InsufficientScope("this needs portcullis:admin:write"),
        });
    }
    // A client credentials token names the client as its subject and carries no
    // `auth_time` (RFC 9068 §2.2); anything else was issued to a person.
    let caller = if claims.num("auth_time").is_none() && claims.str("client_id") == Some(sub) {
        Caller::Client(sub.to_string())
    } else {
        Caller::User(sub.to_string())
    };
    Ok(AdminAccess {
        caller,
        jkt: claims.jkt().map(str::to_string),
        acr: claims.str("acr").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audience::Audience;
    use crate::keys::test_keys;
    use crate::token::access_token::{AccessTokenRequest, issue};

    const ISSUER: &str = "https://id.example";
    const NOW: UnixTime = 1_800_000_000;

    fn token(scope: &str, audience: &str, user: Option<&str>) -> String {
        let mut extra = serde_json::Map::new();
        if user.is_some() {
            extra.insert("auth_time".into(), serde_json::json!(NOW - 5));
        }
        issue(
            test_keys(),
            &AccessTokenRequest {
                jti: "j1",
                issuer: ISSUER,
                subject: user.unwrap_or("ci"),
                client_id: "ci",
                audience: &[Audience::from_trusted(audience)],
                scope: &Scope::parse(scope).unwrap(),
                now: NOW,
                ttl: 60,
                extra,
                status: None,
                alg: crate::keys::SigningAlg::Rs256,
                jkt: None,
            },
        )
        .unwrap()
        .token
    }

    fn check(token: &str, need: Need) -> Result<AdminAccess, Refusal> {
        authorize(test_keys(), ISSUER, |_| false, token, need, NOW)
    }

    #[test]
    fn a_client_token_for_the_admin_audience_with_the_write_scope_may_read_and_write() {
        let t = token(SCOPE_WRITE, "https://id.example/admin", None);
        assert_eq!(
            check(&t, Need::Write).unwrap().caller,
            Caller::Client("ci".into())
        );
        assert!(check(&t, Need::Read).is_ok());
    }

    #[test]
    fn a_read_token_may_not_write() {
        let t = token(SCOPE_READ, "https://id.example/admin", None);
        assert!(check(&t, Need::Read).is_ok());
        assert!(matches!(
            check(&t, Need::Write),
            Err(Refusal::InsufficientScope(_))
        ));
    }

    #[test]
    fn a_token_for_another_audience_is_refused_whatever_its_scope() {
        let t = token(
            &format!("{SCOPE_READ} {SCOPE_WRITE}"),
            "https://api.example",
            None,
        );
        assert!(matches!(
            check(&t, Need::Read),
            Err(Refusal::InvalidToken(_))
        ));
    }

    #[test]
    fn a_person_s_token_names_the_person_as_the_caller() {
        let t = token(SCOPE_READ, "https://id.example/admin", Some("user-1"));
        assert_eq!(
            check(&t, Need::Read).unwrap().caller,
            Caller::User("user-1".into())
        );
        assert_eq!(Caller::User("user-1".into()).actor(), "user:user-1");
    }

    #[test]
    fn expired_revoked_and_garbage_tokens_are_refused() {
        let t = token(SCOPE_READ, "https://id.example/admin", None);
        let late = authorize(test_keys(), ISSUER, |_| false, &t, Need::Read, NOW + 86_400);
        assert!(matches!(late, Err(Refusal::InvalidToken(_))));
        let revoked = authorize(test_keys(), ISSUER, |_| true, &t, Need::Read, NOW);
        assert!(matches!(revoked, Err(Refusal::InvalidToken(_))));
        assert!(matches!(
            check("not.a.token", Need::Read),
            Err(Refusal::InvalidToken(_))
        ));
    }
}
