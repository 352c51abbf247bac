//! Session mode: a browser's SSO session checked at the gateway, named by the gateway's own
//! ticket cookie (`forward_auth::ticket`), never by the session cookie itself. Sessions live in the
//! database; each one is read once and then remembered for a short while, so page loads
//! and their assets do not each cost a query. An ended session is refused at once: ending
//! it puts its `sid` in the revocation set (`store::session_end`), checked on every
//! request; a remembered session is read again after [`REMEMBER_SECS`], well within the
//! time that entry stays in the set (an access token's lifetime).

use std::collections::HashMap;
use std::sync::Mutex;

use std::sync::Arc;

use super::answer::Caller;
use super::bearer::Identity;
use crate::session::sso;
use crate::store::{Store, StoreError};

/// How long a session read from the database is trusted without reading it again.
pub const REMEMBER_SECS: i64 = 30;
const MAX_REMEMBERED: usize = 65_536;

#[derive(Clone)]
struct Remembered {
    caller: Arc<Caller>,
    until: i64,
}

#[derive(Default)]
pub struct Sessions {
    by_cookie: Mutex<HashMap<[u8; 32], Remembered>>,
}

fn key(id_hash: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(id_hash).into()
}

impl Sessions {
    /// The signed-in user behind a session's stored hash (what a gateway ticket names,
    /// `forward_auth::ticket`); `sid_revoked` is the revocation set.
    pub async fn identity(
        &self,
        store: &Store,
        id_hash: &[u8],
        now: i64,
        remember_secs: i64,
        sid_revoked: impl Fn(&str) -> bool,
    ) -> Result<Option<Arc<Caller>>, StoreError> {
        let k = key(id_hash);
        let known = self
            .by_cookie
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&k)
            .filter(|r| r.until > now)
            .map(|r| r.caller.clone());
        let caller = match known {
            Some(id) => id,
            None => {
                let Some(signed) = sso::current_by_hash(store, id_hash.to_vec(), now).await? else {
                    return Ok(None);
                };
                let u = &signed.user;
                let identity = Identity {
                    subject: u.id.clone(),
                    roles: u.roles.clone(),
                    sid: Some(signed.session.sid.clone()),
                    username: Some(u.username.clone()),
                    // Only an address the user verified is passed on (finding 14).
                    email: u.email.clone().filter(|_| u.email_verified),
                    name: u.display_name.clone(),
                    acr: signed.session.acr.clone(),
                    auth_time: Some(signed.session.auth_time),
                    ..Identity::default()
                };
                let caller = Caller::new(identity);
                let until = (now + remember_secs).min(signed.session.expires_at);
                let mut map = self.by_cookie.lock().unwrap_or_else(|p| p.into_inner());
                if map.len() >= MAX_REMEMBERED {
                    map.retain(|_, r| r.until > now);
                    if map.len() >= MAX_REMEMBERED {
                        map.clear();
                    }
                }
                map.insert(
                    k,
                    Remembered {
                        caller: caller.clone(),
                        until,
                    },
                );
                caller
            }
        };
        if caller.identity.sid.as_deref().is_some_and(&sid_revoked) {
            self.forget(id_hash);
            return Ok(None);
        }
        Ok(Some(caller))
    }

    /// Drops a remembered session (it ended here).
    pub fn forget(&self, id_hash: &[u8]) {
        self.by_cookie
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key(id_hash));
    }
}
