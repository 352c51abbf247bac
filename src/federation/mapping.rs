//! How an upstream's claims become a local user: which claims hold the username, email
//! and name (`--claim-mapping`), and which one holds the roles (`--role-from-claim`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::user::{UserSpec, normalize_username};

/// Claim names for the local profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimMapping {
    pub username: String,
    pub email: String,
    pub name: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            username: "preferred_username".into(),
            email: "email".into(),
            name: "name".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--claim-mapping `{0}` must be username=CLAIM, email=CLAIM or name=CLAIM")]
pub struct MappingError(pub String);

impl ClaimMapping {
    /// The defaults with `field=claim` pairs applied (`username=upn`, `email=mail`).
    pub fn with(pairs: &[String]) -> Result<ClaimMapping, MappingError> {
        let mut m = ClaimMapping::default();
        for pair in pairs.iter().flat_map(|p| p.split(',')) {
            let (field, claim) = pair
                .split_once('=')
                .filter(|(_, c)| !c.trim().is_empty())
                .ok_or_else(|| MappingError(pair.to_string()))?;
            let claim = claim.trim().to_string();
            match field.trim() {
                "username" => m.username = claim,
                "email" => m.email = claim,
                "name" => m.name = claim,
                _ => return Err(MappingError(pair.to_string())),
            }
        }
        Ok(m)
    }
}

/// What the claims say about the person, for the local user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// A valid local username (the mapped claim, or one made from the upstream and `sub`).
    pub username: String,
    pub email: Option<String>,
    /// The upstream says it verified the address (`email_verified: true`).
    pub email_verified: bool,
    pub display_name: Option<String>,
    /// `None` when no role claim is configured (roles are then left as they are).
    pub roles: Option<Vec<String>>,
}

fn text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The local profile for an upstream's claims. A value a local user could not have (an
/// address that is not one, a name with control characters, a role with spaces) is left
/// out rather than refusing the sign-in.
pub fn map(
    claims: &Map<String, Value>,
    mapping: &ClaimMapping,
    role_claim: Option<&str>,
    upstream: &str,
    sub: &str,
) -> Mapped {
    let username = text(claims, &mapping.username)
        .and_then(|u| normalize_username(&u).ok())
        .unwrap_or_else(|| fallback_username(upstream, sub));
    let check = |spec: UserSpec| spec.validate().ok();
    let email = text(claims, &mapping.email).filter(|e| {
        check(UserSpec {
            username: "x".into(),
            email: Some(e.clone()),
            ..Default::default()
        })
        .is_some()
    });
    let display_name = text(claims, &mapping.name).filter(|n| {
        check(UserSpec {
            username: "x".into(),
            display_name: Some(n.clone()),
            ..Default::default()
        })
        .is_some()
    });
    let roles = role_claim.map(|c| {
        let values: Vec<String> = match claims.get(c) {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => s.split_ascii_whitespace().map(str::to_string).collect(),
            _ => Vec::new(),
        };
        values
            .into_iter()
            .filter(|r| {
                check(UserSpec {
                    username: "x".into(),
                    roles: vec![r.clone()],
                    ..Default::default()
                })
                .is_some()
            })
            .collect()
    });
    Mapped {
        username,
        email_verified: email.is_some() && claims.get("email_verified") == Some(&Value::Bool(true)),
        email,
        display_name,
        roles,
    }
}

/// `<upstream>.<sub>` made into a username (characters we do not allow become `-`).
pub fn fallback_username(upstream: &str, sub: &str) -> String {
    let cleaned: String = sub
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._@+-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = format!("{upstream}.{cleaned}");
    name.truncate(64);
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: serde_json::Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_default_claims_make_the_profile_and_a_role_claim_the_roles() {
        let c = claims(json!({
            "preferred_username": "Dora", "email": "dora@corp.example", "email_verified": true,
            "name": "Dora Explorer", "groups": ["admin", "staff", "not a role"],
        }));
        let m = map(&c, &ClaimMapping::default(), Some("groups"), "corp", "u-1");
        assert_eq!(m.username, "dora");
        assert_eq!(m.email.as_deref(), Some("dora@corp.example"));
        assert!(m.email_verified);
        assert_eq!(m.display_name.as_deref(), Some("Dora Explorer"));
        assert_eq!(
            m.roles,
            Some(vec!["admin".to_string(), "staff".to_string()])
        );
        assert_eq!(
            map(&c, &ClaimMapping::default(), None, "corp", "u-1").roles,
            None
        );
    }

    #[test]
    fn an_unusable_username_falls_back_to_the_upstream_and_subject() {
        let c = claims(
            json!({ "preferred_username": "has spaces", "email": "nope", "email_verified": true }),
        );
        let m = map(&c, &ClaimMapping::default(), None, "corp", "AbC|123");
        assert_eq!(m.username, "corp.abc-123");
        assert_eq!(m.email, None);
        assert!(!m.email_verified, "no address, nothing verified");
        assert_eq!(fallback_username("x", &"y".repeat(100)).len(), 64);
    }

    #[test]
    fn a_mapping_names_other_claims() {
        let m = ClaimMapping::with(&["username=upn,email=mail".into()]).unwrap();
        assert_eq!(m.username, "upn");
        assert_eq!(m.email, "mail");
        assert_eq!(m.name, "name");
        assert!(ClaimMapping::with(&["phone=tel".into()]).is_err());
        assert!(ClaimMapping::with(&["username=".into()]).is_err());
    }
}
