//! People who live in the LDAP directory: their password step (checked against the
//! directory, their local record following it), and between sign-ins: a refresh token of someone the
//! directory no longer has (removed, or no longer matching `ldap.user_filter`, as a
//! disabled account does) stops working at its next use, and their sessions and other
//! tokens end with it.

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::secret::Secret;
use crate::ldap::Directory;
use crate::session::federated::LDAP;
use crate::store::{Store, StoreError, refresh_tokens, upstreams, users};

/// What the directory says of a sign-in.
pub enum FromDirectory {
    /// A local account not from the directory: checked locally, as without `[ldap]`.
    NotTheirs,
    User(Box<crate::domain::user::User>),
    Refused,
    Unavailable(String),
}

/// The password step for people who live in the directory — anyone without a local account, and those whose
/// local account came from it — are checked by binding as them; their local record
/// follows the directory (name, address, roles from groups), never its password.
pub async fn sign_in(
    store: &Store,
    dir: &crate::ldap::Directory,
    account: &str,
    password: &Secret<String>,
    now: UnixTime,
) -> Result<FromDirectory, StoreError> {
    use crate::session::federated::{self, LDAP, Linked, Source};
    let name = account.to_string();
    let local = store
        .run(move |c| {
            let Some(u) = crate::store::users::find_by_username(c, &name)? else {
                return Ok::<_, StoreError>(None);
            };
            let linked = crate::store::upstreams::links_of(c, &u.id)?
                .iter()
                .any(|(up, ..)| up == LDAP);
            Ok(Some(linked))
        })
        .await?;
    if local == Some(false) {
        return Ok(FromDirectory::NotTheirs);
    }
    let person = match dir.check(account, password).await {
        crate::ldap::Checked::Person(p) => p,
        crate::ldap::Checked::Refused => return Ok(FromDirectory::Refused),
        crate::ldap::Checked::Unavailable(why) => return Ok(FromDirectory::Unavailable(why)),
    };
    let mapped = crate::federation::mapping::Mapped {
        username: crate::domain::user::normalize_username(&person.username)
            .unwrap_or_else(|_| crate::federation::mapping::fallback_username(LDAP, &person.dn)),
        email: person.email.clone(),
        // The directory's addresses are the organisation's, not proven by a mail.
        email_verified: false,
        display_name: person.name.clone(),
        roles: dir.maps_roles().then(|| person.roles.clone()),
    };
    let source = Source {
        name: LDAP,
        link_by_verified_email: false,
    };
    let linked = store
        .run(move |c| federated::link_or_create(c, source, &person.dn, &mapped, now))
        .await?;
    Ok(match linked {
        Linked::User { user, .. } => FromDirectory::User(user),
        Linked::Disabled => FromDirectory::Refused,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not a directory person, or one the directory still has: the usual rules apply.
    Allowed,
    /// Gone from the directory: everything of theirs was revoked.
    Removed,
    /// The directory could not be asked: refuse for now.
    Unavailable,
}

pub async fn check_refresh(
    store: &Store,
    dir: &Directory,
    refresh_token: &str,
    now: UnixTime,
) -> Result<Verdict, StoreError> {
    let hash = opaque::hash(refresh_token);
    let who = store
        .run(move |c| {
            let Some(user_id) = refresh_tokens::find(c, &hash)?.and_then(|r| r.user_id) else {
                return Ok::<_, StoreError>(None);
            };
            let from_directory = upstreams::links_of(c, &user_id)?
                .iter()
                .any(|(source, ..)| source == LDAP);
            if !from_directory {
                return Ok(None);
            }
            Ok(users::find_by_id(c, &user_id)?.map(|u| (u.id, u.username)))
        })
        .await?;
    let Some((user_id, username)) = who else {
        return Ok(Verdict::Allowed);
    };
    match dir.still_there(&username).await {
        Ok(true) => Ok(Verdict::Allowed),
        Ok(false) => {
            store
                .run(move |c| users::end_sessions_and_grants(c, &user_id, now))
                .await?;
            Ok(Verdict::Removed)
        }
        Err(why) => {
            tracing::warn!(reason = %why, "LDAP directory unavailable for a refresh");
            Ok(Verdict::Unavailable)
        }
    }
}
