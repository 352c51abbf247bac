//! Self-service sign-up (`registration.self_service`): the rules.
//!
//! A sign-up is stored as pending, with a mailed single-use link (256 random bits, kept as
//! SHA-256, `tokens.link_ttl_secs`); the account is created only when the link is used, so
//! nobody signs in before the address is confirmed and an unconfirmed address never holds
//! an account. The page never reveals whether an address has an account: such an address
//! gets a mail saying so (with the way to reset its password) and the page answers as for
//! any other. A taken username is said, as everywhere usernames are chosen.

use diesel::Connection;
use serde_json::json;

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::user::{UserError, UserProfile, UserSpec};
use crate::mail::{self, Mail, Voice};
use crate::store::audit::{self, AuditEvent};
use crate::store::pending_signups::{self, PendingSignup};
use crate::store::{DbConnection, StoreError, clients, users};

/// Where the link leads.
pub const CONFIRM_PATH: &str = "/signup/confirm";

/// Why a sign-up was refused on the page.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Invalid(UserError),
    /// The address is not at an allowed domain (`registration.allowed_email_domains`).
    Domain,
    UsernameTaken,
}

/// A domain name as `allowed_email_domains` takes it: labels of letters, digits and
/// hyphens, at least two.
pub fn is_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    labels.len() >= 2
        && d.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether `email` is at one of `allowed` (all domains when empty).
pub fn domain_allowed(email: &str, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some((_, domain)) = email.rsplit_once('@') else {
        return false;
    };
    allowed.iter().any(|a| a.eq_ignore_ascii_case(domain))
}

/// Checks the username and address (before the slow password hash).
pub fn check(username: &str, email: &str, allowed: &[String]) -> Result<UserProfile, Refused> {
    let profile = UserSpec {
        username: username.trim().to_string(),
        email: Some(email.trim().to_string()),
        display_name: None,
        roles: Vec::new(),
    }
    .validate()
    .map_err(Refused::Invalid)?;
    if !domain_allowed(profile.email.as_deref().unwrap_or(""), allowed) {
        return Err(Refused::Domain);
    }
    Ok(profile)
}

/// What the links of one sign-up need.
pub struct Mailing<'a> {
    pub voice: &'a Voice,
    pub issuer: &'a str,
    pub ttl: i64,
}

/// Stores the sign-up and queues its mail; or, for an address that has an account,
/// queues the mail that says so. `Err(UsernameTaken)` when the username is.
pub fn apply(
    conn: &mut DbConnection,
    profile: &UserProfile,
    password_hash: &str,
    mailing: &Mailing<'_>,
    now: UnixTime,
) -> Result<Result<(), Refused>, StoreError> {
    let email = profile.email.clone().unwrap_or_default();
    conn.transaction(|c| {
        if users::find_by_username(c, &profile.username)?.is_some() {
            return Ok(Err(Refused::UsernameTaken));
        }
        if users::find_by_email(c, &email)?.is_some() {
            let link = format!(
                "{}{}?ui_locales={}",
                mailing.issuer,
                crate::session::recovery::FORGOT_PATH,
                mailing.voice.loc.lang()
            );
            let message = Mail::sign_up_existing(mailing.voice, &email, &link)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            mail::enqueue(c, &message, now)?;
            return Ok(Ok(()));
        }
        let token = opaque::generate(32);
        pending_signups::insert(
            c,
            &PendingSignup {
                token_hash: opaque::hash(token.expose()),
                username: profile.username.clone(),
                email: email.clone(),
                password_hash: password_hash.to_string(),
                created_at: now,
                expires_at: now + mailing.ttl,
                used_at: None,
            },
        )?;
        let link = mailing
            .voice
            .link(mailing.issuer, CONFIRM_PATH, token.expose());
        let message = Mail::sign_up(mailing.voice, &email, &profile.username, &link, mailing.ttl)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        mail::enqueue(c, &message, now)?;
        Ok(Ok(()))
    })
}

/// The sign-up a link would complete (for the confirmation page): username and address.
pub fn pending(
    conn: &mut DbConnection,
    token: &str,
    now: UnixTime,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(pending_signups::peek(conn, &opaque::hash(token), now)?.map(|p| (p.username, p.email)))
}

/// What using a link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completed {
    /// The account exists, its address verified.
    Created { username: String },
    /// The link was good, but the username or the address was taken meanwhile.
    Taken,
}

/// Uses the link once and creates the account, its address verified; audited as
/// `user.signed_up`. `None`: used, expired or unknown.
pub fn complete(
    conn: &mut DbConnection,
    token: &str,
    now: UnixTime,
) -> Result<Option<Completed>, StoreError> {
    conn.transaction(|c| {
        let Some(p) = pending_signups::take(c, &opaque::hash(token), now)? else {
            return Ok(None);
        };
        if users::find_by_username(c, &p.username)?.is_some()
            || users::find_by_email(c, &p.email)?.is_some()
        {
            return Ok(Some(Completed::Taken));
        }
        let id = opaque::identifier();
        let profile = UserProfile {
            username: p.username.clone(),
            email: Some(p.email.clone()),
            display_name: None,
            roles: Vec::new(),
        };
        match users::insert(c, &id, &profile, &p.password_hash, now) {
            Ok(()) => {}
            Err(StoreError::Duplicate) => return Ok(Some(Completed::Taken)),
            Err(e) => return Err(e),
        }
        // User subjects and client ids share `sub` (as in `manage::create_user`).
        if clients::find(c, &id)?.is_some() {
            return Err(StoreError::Corrupt(
                "a new subject collided with a client id".into(),
            ));
        }
        users::set_email_verified(c, &id, true)?;
        audit::record(
            c,
            &AuditEvent {
                event: "user.signed_up",
                actor: &format!("user:{id}"),
                user_id: Some(&id),
                details: json!({ "email_verified": true }),
                ..Default::default()
            },
            now,
        )?;
        Ok(Some(Completed::Created {
            username: p.username,
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allowed_domain_matches_exactly_and_ignores_case() {
        let allowed = vec!["example.com".to_string()];
        assert!(domain_allowed("a@Example.COM", &allowed));
        assert!(!domain_allowed("a@mail.example.com", &allowed));
        assert!(!domain_allowed("a@example.com.evil.net", &allowed));
        assert!(!domain_allowed("example.com", &allowed));
        assert!(domain_allowed("a@anything.net", &[]));
    }

    #[test]
    fn a_domain_setting_is_a_domain_name() {
        assert!(is_domain("example.com"));
        assert!(is_domain("xn--bcher-kva.example"));
        assert!(!is_domain("localhost"));
        assert!(!is_domain("@example.com"));
        assert!(!is_domain("-bad.example"));
        assert!(!is_domain("a..b"));
    }

    #[test]
    fn a_sign_up_is_checked_before_its_password_is_hashed() {
        assert!(matches!(
            check("Bad Name!", "a@example.com", &[]),
            Err(Refused::Invalid(UserError::InvalidUsername(_)))
        ));
        assert!(matches!(
            check("alice", "not-an-address", &[]),
            Err(Refused::Invalid(UserError::InvalidEmail(_)))
        ));
        assert_eq!(
            check("alice", "a@other.org", &["example.com".into()]),
            Err(Refused::Domain)
        );
        let p = check(" alice ", "alice@example.com", &["example.com".into()]).unwrap();
        assert_eq!(p.username, "alice");
    }
}
