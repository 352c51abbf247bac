//! An upstream provider as an operator configures it (`portcullis upstream add`).

use serde::{Deserialize, Serialize};

use super::mapping::ClaimMapping;
use super::provider::ProviderMetadata;

/// An upstream, without its client secret (sealed in the store, opened only to redeem a
/// code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// Names its button and its URLs (`/upstream/<name>/…`): `[a-z0-9-]`, 1–32.
    pub name: String,
    /// Its issuer identifier, exactly as its ID tokens say it.
    pub issuer: String,
    pub client_id: String,
    /// Asked for at its authorization endpoint; always includes `openid`.
    pub scopes: Vec<String>,
    pub claim_mapping: ClaimMapping,
    /// A claim (e.g. `groups`) whose values become the local user's roles.
    pub role_from_claim: Option<String>,
    /// A first sign-in may take over the local account with the same address, when the
    /// upstream says the address is verified. Off: a first sign-in always gets a new user.
    pub link_by_verified_email: bool,
    /// Also read its UserInfo endpoint after the ID token.
    pub userinfo: bool,
    pub metadata: ProviderMetadata,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    #[error("--name must be 1 to 32 characters from a-z 0-9 -")]
    Name,
    #[error("--scope `{0}` is not a scope token (RFC 6749 §3.3)")]
    Scope(String),
    #[error("--client-id must not be empty")]
    ClientId,
}

/// `ldap` names the LDAP directory's identities, so no upstream may take it.
pub fn valid_name(name: &str) -> bool {
    name != "ldap"
        && (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
}

/// The scopes to ask for: `openid` first, then the others once each.
pub fn scopes(asked: &[String]) -> Result<Vec<String>, UpstreamError> {
    let mut out = vec!["openid".to_string()];
    for s in asked.iter().flat_map(|s| s.split_ascii_whitespace()) {
        let token_ok = !s.is_empty()
            && s.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !token_ok {
            return Err(UpstreamError::Scope(s.to_string()));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    if asked.is_empty() {
        out.extend(["profile".to_string(), "email".to_string()]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_short_lowercase_and_url_safe() {
        assert!(valid_name("corp-sso"));
        assert!(valid_name("google2"));
        assert!(!valid_name(""));
        assert!(!valid_name("Corp"));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("-x"));
        assert!(!valid_name("ldap"), "reserved for the directory");
        assert!(!valid_name(&"a".repeat(33)));
    }

    #[test]
    fn openid_is_always_asked_for_first_and_nothing_twice() {
        let s = scopes(&["groups email".into(), "openid".into(), "email".into()]).unwrap();
        assert_eq!(s, ["openid", "groups", "email"]);
        assert_eq!(scopes(&[]).unwrap(), ["openid", "profile", "email"]);
        assert!(scopes(&["bad\"scope".into()]).is_err());
    }
}
