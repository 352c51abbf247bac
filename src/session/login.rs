//! Password sign-in: argon2id verification off the executor with bounded concurrency,
//! equal cost for unknown users, and the throttling of `throttle` (reserved before the
//! hash, per (account, source), never a lockout).

use std::sync::{Arc, Mutex};

/// How long a sign-in may wait between its password and its second factor.
pub const PENDING_TTL_SECS: i64 = 600;

use super::sso::{self, Signed};
use super::throttle::{self, Counters, Reserved, Verdict};
use crate::clock::UnixTime;
use crate::config::MfaPolicy;
use crate::domain::opaque;
use crate::domain::password::Passwords;
use crate::domain::secret::Secret;
use crate::domain::user::User;
use crate::mfa::level::Factor;
use crate::session::directory::{self, FromDirectory};
use crate::store::DbConnection;
use crate::store::audit::{self, AuditEvent};
use crate::store::login_failures;
use crate::store::mfa::{self, Enrolled, PendingRow};
use crate::store::users;
use crate::store::{Store, StoreError};
use diesel::Connection;

struct Job {
    /// `password.verify`, a child of the sign-in's span, entered on the worker.
    span: tracing::Span,
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
    /// Checks queued or running right now (a metric).
    in_flight: std::sync::atomic::AtomicI64,
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
                        let _entered = job.span.enter();
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
            in_flight: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// Password checks queued or running now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(std::sync::atomic::Ordering::Relaxed)
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
        use std::sync::atomic::Ordering;
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        struct Done<'a>(&'a std::sync::atomic::AtomicI64);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        let _done = Done(&self.in_flight);
        self.jobs
            .send(Job {
                span: tracing::info_span!("password.verify"),
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
    /// Too many recent failures for this account from this source: try again in this many
    /// seconds. The password was not checked.
    Throttled(i64),
    /// Unknown user, wrong password or disabled account (not said which).
    Failed,
    /// The LDAP directory could not be asked (down, timed out): nothing was decided.
    Unavailable,
    /// The username is longer than any account's could be (`bounds::USERNAME_BYTES`) or
    /// holds control characters: refused before anything is counted, audited or hashed.
    Malformed,
    /// A new session, and the cookie value that names it.
    SignedIn(Box<Signed>, Secret<String>),
    /// The password was right and a second factor is due (or, under `mfa.policy =
    /// required`, an enrolment): no session yet, a pending sign-in.
    Pending(Box<Pending>),
}

/// A sign-in past its password.
pub struct Pending {
    /// Names the pending sign-in (`http::cookies::PENDING_COOKIE`).
    pub cookie_value: Secret<String>,
    pub user: User,
    pub enrolled: Enrolled,
}

/// Who is signing in, from where, for which client.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: Secret<String>,
    /// The client's address (behind a trusted proxy, the one it forwarded).
    pub source: &'a str,
    /// The client the sign-in is for; `None` on the standalone sign-in page.
    pub client_id: Option<&'a str>,
    pub policy: MfaPolicy,
    /// The browser, kept with the session it starts.
    pub device: sso::Device,
    /// `[ldap]`: people who live in the directory sign in with its password.
    pub directory: Option<&'a crate::ldap::Directory>,
}

/// The password sign-in: reserve the attempt on the shared counters (before hashing, so
/// parallel guesses count), refuse or slow it down as `throttle` says, check, audit, and
/// start a session on success.
pub async fn sign_in(
    checker: &PasswordChecker,
    store: &Store,
    attempt: Attempt<'_>,
    session_ttl: i64,
    now: UnixTime,
) -> Result<SignIn, StoreError> {
    // Hardening round 2, finding 4a: a 16 KB "username" would otherwise be stored in
    // an audit row and two throttle keys per attempt.
    if attempt.username.len() > crate::domain::bounds::USERNAME_BYTES
        || attempt.username.chars().any(char::is_control)
    {
        return Ok(SignIn::Malformed);
    }
    let account = attempt.username.trim().to_ascii_lowercase();
    let keys = throttle::keys(&account, attempt.source);
    match reserve(store, &keys, now).await? {
        Verdict::Refuse(wait) => return Ok(SignIn::Throttled(wait)),
        Verdict::Proceed(pause) if !pause.is_zero() => tokio::time::sleep(pause).await,
        Verdict::Proceed(_) => {}
    }
    let user = match attempt.directory {
        Some(dir) => {
            match directory::sign_in(store, dir, &account, &attempt.password, now).await? {
                FromDirectory::NotTheirs => {
                    checker
                        .check(store, attempt.username, attempt.password)
                        .await?
                }
                FromDirectory::User(u) => Some(*u),
                FromDirectory::Refused => None,
                FromDirectory::Unavailable(why) => {
                    // Not the person's failure: give the attempt back.
                    tracing::warn!(reason = %why, "LDAP directory unavailable for a sign-in");
                    settle(store, keys).await?;
                    return Ok(SignIn::Unavailable);
                }
            }
        }
        None => {
            checker
                .check(store, attempt.username, attempt.password)
                .await?
        }
    };
    let Some(user) = user else {
        record(
            store,
            "login.failed",
            None,
            attempt.client_id,
            attempt.source,
            serde_json::json!({ "username": account }),
            now,
        )
        .await;
        return Ok(SignIn::Failed);
    };
    settle(store, keys).await?;
    record(
        store,
        "login.succeeded",
        Some(&user.id),
        attempt.client_id,
        attempt.source,
        serde_json::json!({}),
        now,
    )
    .await;
    let user_id = user.id.clone();
    let enrolled = store.run(move |c| mfa::enrolled(c, &user_id)).await?;
    if enrolled.any_second_factor() || attempt.policy == MfaPolicy::Required {
        let cookie_value = start_pending(store, &user.id, &[Factor::Password], now).await?;
        return Ok(SignIn::Pending(Box::new(Pending {
            cookie_value,
            user,
            enrolled,
        })));
    }
    let (cookie_value, session) = sso::start(
        store,
        &user,
        &[Factor::Password],
        &attempt.device,
        None,
        now,
        session_ttl,
    )
    .await?;
    Ok(SignIn::SignedIn(
        Box::new(Signed { session, user }),
        cookie_value,
    ))
}

/// Reserves an attempt on the three shared counters of `keys` (`throttle::keys`) and
/// judges it; the reservation counts as a failure until [`settle`] gives it back.
pub async fn reserve(
    store: &Store,
    keys: &[String; 3],
    now: UnixTime,
) -> Result<Verdict, StoreError> {
    let [pair, account_key, source_key] = keys.clone();
    let counters = store
        .run(move |c| {
            c.transaction(|c| {
                let reserve = |c: &mut DbConnection, key: &str| {
                    login_failures::reserve(c, key, now).map(|(attempt, previous_failure)| {
                        Reserved {
                            attempt,
                            previous_failure,
                        }
                    })
                };
                Ok::<_, StoreError>(Counters {
                    pair: reserve(c, &pair)?,
                    account: reserve(c, &account_key)?,
                    source: reserve(c, &source_key)?,
                })
            })
        })
        .await?;
    Ok(throttle::judge(&counters, now))
}

/// A success was no failure: clears this source's counter for the account and gives the
/// account-wide and source-wide reservations back.
pub async fn settle(store: &Store, keys: [String; 3]) -> Result<(), StoreError> {
    let [pair, account_key, source_key] = keys;
    store
        .run(move |c| {
            c.transaction(|c| {
                login_failures::clear(c, &pair)?;
                login_failures::release(c, &account_key)?;
                login_failures::release(c, &source_key)
            })
        })
        .await
}

/// Starts a pending sign-in for a user who proved `factors`; returns its cookie value.
pub async fn start_pending(
    store: &Store,
    user_id: &str,
    factors: &[Factor],
    now: UnixTime,
) -> Result<Secret<String>, StoreError> {
    start_pending_from(store, user_id, factors, None, now).await
}

/// [`start_pending`] for a sign-in that began at an upstream provider.
pub async fn start_pending_from(
    store: &Store,
    user_id: &str,
    factors: &[Factor],
    upstream: Option<&sso::Upstreamed>,
    now: UnixTime,
) -> Result<Secret<String>, StoreError> {
    let value = opaque::generate(32);
    let row = PendingRow {
        id_hash: opaque::hash(value.expose()),
        user_id: user_id.to_string(),
        factors: serde_json::to_string(factors).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: now,
        expires_at: now + PENDING_TTL_SECS,
        upstream: upstream.map(|u| u.upstream.clone()),
        upstream_sub: upstream.map(|u| u.sub.clone()),
        upstream_sid: upstream.and_then(|u| u.sid.clone()),
    };
    store.run(move |c| mfa::insert_pending(c, &row)).await?;
    Ok(value)
}

/// Best effort: an audit failure must not change the answer.
pub async fn record(
    store: &Store,
    event: &'static str,
    user_id: Option<&str>,
    client_id: Option<&str>,
    ip: &str,
    details: serde_json::Value,
    now: UnixTime,
) {
    let (user_id, client_id, ip) = (
        user_id.map(str::to_string),
        client_id.map(str::to_string),
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
                    client_id: client_id.as_deref(),
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
