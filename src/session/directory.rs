//! People who live in the LDAP directory between sign-ins: a refresh token of someone the
//! directory no longer has (removed, or no longer matching `ldap.user_filter`, as a
//! disabled account does) stops working at its next use, and their sessions and other
//! tokens end with it.

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::ldap::Directory;
use crate::session::federated::LDAP;
use crate::store::{Store, StoreError, refresh_tokens, upstreams, users};

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
