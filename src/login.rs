//! Password sign-in: argon2id verification off the executor with bounded concurrency,
//! equal cost for unknown users, and growing delays after repeated failures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::password::Passwords;
use crate::secret::Secret;
use crate::store::users::{self, User};
use crate::store::{Store, StoreError};

/// Failures allowed per account before delays start, and per client IP (a shared NAT
/// carries many users, so it gets more room).
pub const FREE_FAILURES_PER_ACCOUNT: u32 = 5;
pub const FREE_FAILURES_PER_IP: u32 = 20;
/// The delay doubles with each further failure, up to this.
pub const MAX_DELAY_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, Default)]
struct Attempts {
    failures: u32,
    last_failure: UnixTime,
}

/// Per-instance failure counters keyed by account and by IP.
#[derive(Default)]
pub struct LoginThrottle {
    attempts: Mutex<HashMap<String, Attempts>>,
}

fn delay(a: &Attempts, free: u32) -> i64 {
    if a.failures < free {
        return 0;
    }
    let exp = (a.failures - free).min(16);
    (1i64 << exp).min(MAX_DELAY_SECS)
}

impl LoginThrottle {
    /// Seconds to wait before the next attempt is considered, 0 when allowed now.
    pub fn wait(&self, account: &str, ip: &str, now: UnixTime) -> i64 {
        let map = match self.attempts.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let remaining = |key: String, free| {
            map.get(&key)
                .map(|a| (a.last_failure + delay(a, free) - now).max(0))
                .unwrap_or(0)
        };
        remaining(format!("u:{account}"), FREE_FAILURES_PER_ACCOUNT)
            .max(remaining(format!("ip:{ip}"), FREE_FAILURES_PER_IP))
    }

    pub fn failed(&self, account: &str, ip: &str, now: UnixTime) {
        let mut map = match self.attempts.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        for key in [format!("u:{account}"), format!("ip:{ip}")] {
            let a = map.entry(key).or_default();
            a.failures += 1;
            a.last_failure = now;
        }
        // Bound memory: forget counters idle for a day.
        if map.len() > 100_000 {
            map.retain(|_, a| now - a.last_failure < 86_400);
        }
    }

    pub fn succeeded(&self, account: &str) {
        if let Ok(mut map) = self.attempts.lock() {
            map.remove(&format!("u:{account}"));
        }
    }
}

/// Verifies passwords with at most N hashes in flight (each holds argon2's memory).
pub struct PasswordChecker {
    passwords: Passwords,
    permits: Arc<Semaphore>,
    /// A hash of a random password with the configured parameters: unknown users are
    /// verified against it so they cost what known users cost.
    dummy_hash: String,
}

impl PasswordChecker {
    pub fn new(
        passwords: Passwords,
        max_concurrent: usize,
    ) -> Result<Self, crate::domain::password::PasswordError> {
        let dummy_hash = passwords.hash(&opaque::generate(16))?;
        Ok(Self {
            passwords,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash,
        })
    }

    /// The user, if the username exists, is enabled and the password matches.
    pub async fn check(
        &self,
        store: &Store,
        username: &str,
        password: Secret<String>,
    ) -> Result<Option<User>, StoreError> {
        let name = username.trim().to_ascii_lowercase();
        let user = store
            .run(move |c| users::find_by_username(c, &name))
            .await?;
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| self.dummy_hash.clone());
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::TaskFailed)?;
        let passwords = self.passwords.clone();
        let ok = tokio::task::spawn_blocking(move || passwords.verify(&password, &hash))
            .await
            .map_err(|_| StoreError::TaskFailed)?;
        Ok(user.filter(|u| ok && !u.disabled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_and_reset_on_success() {
        let t = LoginThrottle::default();
        for _ in 0..FREE_FAILURES_PER_ACCOUNT {
            assert_eq!(t.wait("alice", "1.2.3.4", 100), 0);
            t.failed("alice", "1.2.3.4", 100);
        }
        assert_eq!(t.wait("alice", "1.2.3.4", 100), 1);
        t.failed("alice", "1.2.3.4", 100);
        assert_eq!(t.wait("alice", "1.2.3.4", 100), 2);
        assert_eq!(t.wait("alice", "1.2.3.4", 102), 0);
        assert_eq!(
            t.wait("bob", "5.6.7.8", 100),
            0,
            "other accounts and IPs are unaffected"
        );
        t.succeeded("alice");
        assert_eq!(t.wait("alice", "9.9.9.9", 100), 0);
    }
}
