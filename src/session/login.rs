//! Password sign-in: argon2id verification off the executor with bounded concurrency,
//! equal cost for unknown users, and growing delays after repeated failures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::sso::{self, Signed};
use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::password::Passwords;
use crate::domain::secret::Secret;
use crate::domain::user::User;
use crate::store::audit::{self, AuditEvent};
use crate::store::users;
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

struct Job {
    stored: String,
    password: Secret<String>,
    reply: tokio::sync::oneshot::Sender<bool>,
}

/// Verifies passwords on a fixed set of worker threads (one per permitted concurrent
/// hash), each reusing its own argon2 memory: the executor never blocks, concurrency and
/// memory stay bounded, and unknown users cost what known users cost.
pub struct PasswordChecker {
    passwords: Passwords,
    jobs: std::sync::mpsc::Sender<Job>,
    /// A hash of a random password with the configured parameters, for unknown users.
    /// Made on first use, off the start-up path.
    dummy_hash: tokio::sync::OnceCell<String>,
}

impl PasswordChecker {
    pub fn new(
        passwords: Passwords,
        workers: usize,
    ) -> Result<Self, crate::domain::password::PasswordError> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..workers.max(1) {
            let (queue, passwords) = (queue.clone(), passwords.clone());
            std::thread::Builder::new()
                .name(format!("portcullis-argon2-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return }; // the checker is gone
                        let ok = passwords.verify_in(&job.password, &job.stored, &mut memory);
                        let _ = job.reply.send(ok);
                    }
                })
                .map_err(|e| crate::domain::password::PasswordError::Hashing(e.to_string()))?;
        }
        Ok(Self {
            passwords,
            jobs,
            dummy_hash: tokio::sync::OnceCell::new(),
        })
    }

    async fn dummy_hash(&self) -> Result<String, StoreError> {
        let passwords = self.passwords.clone();
        self.dummy_hash
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || passwords.hash(&opaque::generate(16)))
                    .await
                    .map_err(|_| StoreError::TaskFailed)?
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .await
            .cloned()
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
        let stored = match &user {
            Some(u) => u.password_hash.clone(),
            None => self.dummy_hash().await?,
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job {
                stored,
                password,
                reply,
            })
            .map_err(|_| StoreError::TaskFailed)?;
        let ok = answer.await.map_err(|_| StoreError::TaskFailed)?;
        Ok(user.filter(|u| ok && !u.disabled))
    }
}

/// How a sign-in attempt ended.
pub enum SignIn {
    /// Too many recent failures for this account or address: try again in this many
    /// seconds. The password was not checked.
    Throttled(i64),
    /// Unknown user, wrong password or disabled account (not said which).
    Failed,
    /// A new session, and the cookie value that names it.
    SignedIn(Box<Signed>, Secret<String>),
}

/// Who is signing in, from where, for which client.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: Secret<String>,
    pub ip: &'a str,
    pub client_id: &'a str,
}

/// The password sign-in: throttle, check, audit, and start a session on success.
pub async fn sign_in(
    checker: &PasswordChecker,
    throttle: &LoginThrottle,
    store: &Store,
    attempt: Attempt<'_>,
    session_ttl: i64,
    now: UnixTime,
) -> Result<SignIn, StoreError> {
    let account = attempt.username.trim().to_ascii_lowercase();
    let wait = throttle.wait(&account, attempt.ip, now);
    if wait > 0 {
        return Ok(SignIn::Throttled(wait));
    }
    let user = checker
        .check(store, attempt.username, attempt.password)
        .await?;
    let Some(user) = user else {
        throttle.failed(&account, attempt.ip, now);
        record(
            store,
            "login.failed",
            None,
            attempt.client_id,
            attempt.ip,
            serde_json::json!({ "username": account }),
            now,
        )
        .await;
        return Ok(SignIn::Failed);
    };
    throttle.succeeded(&account);
    record(
        store,
        "login.succeeded",
        Some(&user.id),
        attempt.client_id,
        attempt.ip,
        serde_json::json!({}),
        now,
    )
    .await;
    let (cookie_value, session) = sso::start(store, &user, now, session_ttl).await?;
    Ok(SignIn::SignedIn(
        Box::new(Signed { session, user }),
        cookie_value,
    ))
}

/// Best effort: an audit failure must not change the answer.
async fn record(
    store: &Store,
    event: &'static str,
    user_id: Option<&str>,
    client_id: &str,
    ip: &str,
    details: serde_json::Value,
    now: UnixTime,
) {
    let (user_id, client_id, ip) = (
        user_id.map(str::to_string),
        client_id.to_string(),
        ip.to_string(),
    );
    let result = store
        .run(move |c| {
            audit::record(
                c,
                &AuditEvent {
                    event,
                    actor: "user",
                    user_id: user_id.as_deref(),
                    client_id: Some(&client_id),
                    ip: Some(&ip),
                    details,
                },
                now,
            )
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot write the audit log");
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

    #[test]
    fn one_ip_trying_many_accounts_is_slowed_down_too() {
        let t = LoginThrottle::default();
        for n in 0..FREE_FAILURES_PER_IP {
            let account = format!("user{n}");
            assert_eq!(t.wait(&account, "6.6.6.6", 100), 0);
            t.failed(&account, "6.6.6.6", 100);
        }
        assert_eq!(
            t.wait("fresh-account", "6.6.6.6", 100),
            1,
            "the IP is throttled"
        );
        assert_eq!(
            t.wait("fresh-account", "7.7.7.7", 100),
            0,
            "other IPs are not"
        );
    }
}
