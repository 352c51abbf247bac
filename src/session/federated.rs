//! A person an upstream provider authenticated becomes a local user: found by the link
//! (upstream, `sub`) — never by email, unless the operator allowed it and the upstream
//! says the address is verified — or created at the first sign-in; the profile and roles
//! follow the upstream's claims at every sign-in.

use diesel::Connection;
use serde_json::json;

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::user::{User, UserProfile};
use crate::federation::mapping::Mapped;
use crate::federation::upstream::Upstream;

/// Where an identity comes from: an upstream provider, or the LDAP directory (`ldap`).
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    /// A first sign-in may take over the local account with the same, verified address.
    pub link_by_verified_email: bool,
}

impl<'a> From<&'a Upstream> for Source<'a> {
    fn from(u: &'a Upstream) -> Self {
        Source {
            name: &u.name,
            link_by_verified_email: u.link_by_verified_email,
        }
    }
}
use crate::store::audit::{self, AuditEvent};
use crate::store::{DbConnection, StoreError, clients, upstreams, users};

/// The source name of the LDAP directory's identities (no upstream may take it).
pub const LDAP: &str = "ldap";

/// A password hash nothing verifies: a user created through an upstream has no local
/// password until they set one (forgot password).
pub const NO_PASSWORD: &str = "!federated";

#[derive(Clone)]
pub enum Linked {
    /// The local user to sign in, and whether this sign-in created the link.
    User { user: Box<User>, new_link: bool },
    /// The linked user is disabled.
    Disabled,
}

/// The local user for `sub` at `upstream`, linked or created now, with the profile the
/// claims give.
pub fn link_or_create(
    conn: &mut DbConnection,
    upstream: Source<'_>,
    sub: &str,
    mapped: &Mapped,
    now: UnixTime,
) -> Result<Linked, StoreError> {
    conn.transaction(|c| {
        let (user_id, new_link) = match upstreams::linked_user(c, upstream.name, sub)? {
            Some(id) => (id, false),
            None => {
                let by_email = match (&mapped.email, upstream.link_by_verified_email) {
                    (Some(email), true) if mapped.email_verified => users::find_by_email(c, email)?,
                    _ => None,
                };
                let id = match by_email {
                    Some(existing) => existing.id,
                    None => create(c, upstream, sub, mapped, now)?,
                };
                upstreams::link(c, upstream.name, sub, &id, now)?;
                (id, true)
            }
        };
        upstreams::touch_link(c, upstream.name, sub, now)?;
        let Some(user) = users::find_by_id(c, &user_id)? else {
            return Err(StoreError::Corrupt("a linked user is gone".into()));
        };
        if user.disabled {
            return Ok(Linked::Disabled);
        }
        let user = refresh_profile(c, user, mapped, now)?;
        if new_link {
            audit::record(
                c,
                &AuditEvent {
                    event: "user.linked",
                    actor: &format!("upstream:{}", upstream.name),
                    user_id: Some(&user.id),
                    details: json!({ "upstream": upstream.name }),
                    ..Default::default()
                },
                now,
            )?;
        }
        Ok(Linked::User {
            user: Box::new(user),
            new_link,
        })
    })
}

/// A new local user: the mapped username, or — when a local user has it — the same with
/// `-2`, `-3`…, or the upstream-and-subject name.
fn create(
    c: &mut DbConnection,
    upstream: Source<'_>,
    sub: &str,
    mapped: &Mapped,
    now: UnixTime,
) -> Result<String, StoreError> {
    let email_free = match &mapped.email {
        Some(e) => users::find_by_email(c, e)?.is_none(),
        None => true,
    };
    let fallback = crate::federation::mapping::fallback_username(upstream.name, sub);
    let candidates = std::iter::once(mapped.username.clone())
        .chain((2..10).map(|n| format!("{}-{n}", mapped.username)))
        .chain(std::iter::once(fallback));
    for username in candidates {
        if username.len() > 64
            || users::find_by_username(c, &username)?.is_some()
            || users::name_is_a_client(c, &username)?
        {
            continue;
        }
        let id = opaque::identifier();
        let profile = UserProfile {
            username,
            // An address another local account has stays with that account.
            email: mapped.email.clone().filter(|_| email_free),
            display_name: mapped.display_name.clone(),
            roles: mapped.roles.clone().unwrap_or_default(),
        };
        users::insert(c, &id, &profile, NO_PASSWORD, now)?;
        if clients::find(c, &id)?.is_some() {
            return Err(StoreError::Corrupt(
                "a new subject collided with a client id".into(),
            ));
        }
        audit::record(
            c,
            &AuditEvent {
                event: "user.created",
                actor: &format!("upstream:{}", upstream.name),
                user_id: Some(&id),
                details: json!({ "upstream": upstream.name, "roles": profile.roles }),
                ..Default::default()
            },
            now,
        )?;
        return Ok(id);
    }
    Err(StoreError::Corrupt(
        "no free username for a federated user".into(),
    ))
}

/// The upstream is authoritative for what it sends: the name, the address (verified as it
/// says) and, with a role claim, the roles.
fn refresh_profile(
    c: &mut DbConnection,
    user: User,
    mapped: &Mapped,
    now: UnixTime,
) -> Result<User, StoreError> {
    let email = match &mapped.email {
        Some(e) if user.email.as_deref() != Some(e.as_str()) => {
            let taken = users::find_by_email(c, e)?.is_some_and(|other| other.id != user.id);
            if taken {
                user.email.clone()
            } else {
                Some(e.clone())
            }
        }
        _ => user.email.clone(),
    };
    let profile = UserProfile {
        username: user.username.clone(),
        email: email.clone(),
        display_name: mapped.display_name.clone().or(user.display_name.clone()),
        roles: mapped.roles.clone().unwrap_or(user.roles.clone()),
    };
    let unchanged = profile.email == user.email
        && profile.display_name == user.display_name
        && profile.roles == user.roles;
    if !unchanged {
        users::update_profile(c, &user.id, &profile, now)?;
    }
    if email.is_some() && email == mapped.email && mapped.email_verified {
        users::set_email_verified(c, &user.id, true)?;
    }
    users::find_by_id(c, &user.id)?
        .ok_or_else(|| StoreError::Corrupt("a linked user is gone".into()))
}
