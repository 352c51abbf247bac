//! Who may read UserInfo with a presented access token (OIDC Core §5.3, RFC 6750 §3.1):
//! one of our access tokens, for this issuer, live, not revoked, with the `openid` scope.
//! The claims themselves are `claims::userinfo`.

use crate::clock::UnixTime;
use crate::domain::scope::Scope;
use crate::keys::KeySet;
use crate::revocation::list::TokenRef;
use crate::token::inspect;

/// A token that may read UserInfo: whose claims, and with which scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub sub: String,
    pub scope: Scope,
    /// The DPoP key the token is bound to, if it is (the caller checks the proof).
    pub jkt: Option<String>,
}

/// Why a token may not read UserInfo, as RFC 6750 §3.1 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `invalid_token` (401).
    InvalidToken(&'static str),
    /// `insufficient_scope` (403).
    InsufficientScope(&'static str),
}

/// `is_revoked` is the in-memory revocation list. The user's own state
/// (disabled, deleted) is checked by the caller when it loads the user.
pub fn authorize(
    keys: &KeySet,
    issuer: &str,
    is_revoked: impl Fn(&TokenRef<'_>) -> bool,
    token: &str,
    now: UnixTime,
) -> Result<Access, Refusal> {
    let claims = inspect::access_token(keys, issuer, token)
        .ok_or(Refusal::InvalidToken("the access token is invalid"))?;
    if !claims.audiences().contains(&issuer) || claims.num("exp").is_none_or(|e| e <= now) {
        return Err(Refusal::InvalidToken(
            "the access token is invalid or expired",
        ));
    }
    let scope = Scope::parse(claims.str("scope").unwrap_or(""))
        .map_err(|_| Refusal::InvalidToken("the access token is invalid"))?;
    if !scope.is_openid() {
        return Err(Refusal::InsufficientScope(
            "the token lacks the openid scope",
        ));
    }
    let (Some(sub), Some(token)) = (claims.str("sub"), claims.token_ref()) else {
        return Err(Refusal::InvalidToken("the access token is invalid"));
    };
    // Only a token issued to a signed-in user names one: those carry `auth_time` (and a
    // `sub` other than the client's); a client credentials token does not.
    if claims.num("auth_time").is_none() || claims.str("client_id") == Some(sub) {
        return Err(Refusal::InvalidToken(
            "the access token was not issued to a user",
        ));
    }
    if is_revoked(&token) {
        return Err(Refusal::InvalidToken("the access token was revoked"));
    }
    Ok(Access {
        sub: sub.to_string(),
        scope,
        jkt: claims.jkt().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audience::Audience;
    use crate::keys::test_keys;
    use crate::token::access_token::{AccessTokenRequest, issue};

    const ISSUER: &str = "https://id.example";

    fn token(aud: &str, scope: &str, now: UnixTime) -> String {
        user_token(aud, scope, now, true)
    }

    fn user_token(aud: &str, scope: &str, now: UnixTime, signed_in: bool) -> String {
        let mut extra = serde_json::Map::new();
        if signed_in {
            extra.insert("auth_time".into(), serde_json::json!(now - 5));
        }
        issue(
            test_keys(),
            &AccessTokenRequest {
                jti: "j1",
                issuer: ISSUER,
                subject: "user-alice",
                client_id: "web",
                audience: &[Audience::from_trusted(aud)],
                scope: &Scope::parse(scope).unwrap(),
                now,
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

    #[test]
    fn a_token_not_issued_to_a_signed_in_user_reads_no_userinfo() {
        let t = user_token(ISSUER, "openid", 100, false);
        assert_eq!(
            authorize(test_keys(), ISSUER, never_revoked, &t, 120),
            Err(Refusal::InvalidToken(
                "the access token was not issued to a user"
            ))
        );
    }

    fn never_revoked(_: &TokenRef<'_>) -> bool {
        false
    }

    #[test]
    fn a_live_openid_token_for_this_issuer_reads_userinfo() {
        let access = authorize(
            test_keys(),
            ISSUER,
            never_revoked,
            &token(ISSUER, "openid email", 100),
            120,
        );
        assert_eq!(access.unwrap().sub, "user-alice");
    }

    #[test]
    fn a_token_without_openid_lacks_scope() {
        let t = token(ISSUER, "email", 100);
        assert!(matches!(
            authorize(test_keys(), ISSUER, never_revoked, &t, 120),
            Err(Refusal::InsufficientScope(_))
        ));
    }

    #[test]
    fn expired_revoked_and_other_audience_tokens_are_invalid() {
        let t = token(ISSUER, "openid", 100);
        assert!(authorize(test_keys(), ISSUER, never_revoked, &t, 160).is_err());
        assert!(authorize(test_keys(), ISSUER, |_| true, &t, 120).is_err());
        let api = token("https://api.example", "openid", 100);
        assert!(authorize(test_keys(), ISSUER, never_revoked, &api, 120).is_err());
    }
}
