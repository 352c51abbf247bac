//! People who sign in: the checks on what an operator may register.

use serde::Serialize;

use crate::clock::UnixTime;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UserError {
    #[error("username `{0}` is invalid: use 1-64 characters from a-z 0-9 . _ @ + -")]
    InvalidUsername(String),
    #[error("email `{0}` is not an email address")]
    InvalidEmail(String),
    #[error("display name must be 1-200 printable characters")]
    InvalidName,
    #[error("role `{0}` is invalid: use 1-64 characters from a-z A-Z 0-9 : . _ -")]
    InvalidRole(String),
}

/// A person who signs in, as every rule sees them. The store maps its rows to this.
#[derive(Clone, Serialize)]
pub struct User {
    /// The stable, opaque subject identifier (`sub`).
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub display_name: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
    pub password_changed_at: UnixTime,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserSpec {
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserProfile {
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
}

/// Usernames are case-insensitive: stored and looked up lowercased, so `Alice` and `alice`
/// are one account.
pub fn normalize_username(raw: &str) -> Result<String, UserError> {
    let name = raw.trim().to_ascii_lowercase();
    let ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'.' | b'_' | b'@' | b'+' | b'-')
        });
    if ok {
        Ok(name)
    } else {
        Err(UserError::InvalidUsername(raw.to_string()))
    }
}

fn check_email(email: &str) -> Result<(), UserError> {
    let bad = || UserError::InvalidEmail(email.to_string());
    let (local, domain) = email.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.is_empty()
        || !domain.contains('.')
        || email.len() > 254
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(())
}

impl UserSpec {
    pub fn validate(self) -> Result<UserProfile, UserError> {
        let username = normalize_username(&self.username)?;
        if let Some(e) = &self.email {
            check_email(e)?;
        }
        if let Some(n) = &self.display_name {
            if n.trim().is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control) {
                return Err(UserError::InvalidName);
            }
        }
        let mut roles: Vec<String> = Vec::new();
        for r in self.roles {
            let ok = (1..=64).contains(&r.len())
                && r.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'_' | b'-'));
            if !ok {
                return Err(UserError::InvalidRole(r));
            }
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
        Ok(UserProfile {
            username,
            email: self.email,
            display_name: self.display_name.map(|n| n.trim().to_string()),
            roles,
        })
    }
}

/// Fixtures for unit tests of the rules.
#[cfg(test)]
pub mod fixtures {
    use super::User;

    pub fn alice() -> User {
        User {
            id: "user-alice".into(),
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
            display_name: Some("Alice".into()),
            password_hash: String::new(),
            roles: vec!["admin".into()],
            disabled: false,
            created_at: 0,
            updated_at: 0,
            password_changed_at: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalized_and_checked() {
        assert_eq!(normalize_username(" Alice ").unwrap(), "alice");
        assert!(normalize_username("a b").is_err());
        assert!(normalize_username("").is_err());
        assert!(normalize_username(&"a".repeat(65)).is_err());
    }

    #[test]
    fn bad_profiles_are_refused() {
        let base = UserSpec {
            username: "alice".into(),
            ..Default::default()
        };
        assert!(
            UserSpec {
                email: Some("nope".into()),
                ..base.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            UserSpec {
                roles: vec!["ad min".into()],
                ..base.clone()
            }
            .validate()
            .is_err()
        );
        assert!(base.validate().is_ok());
    }
}
