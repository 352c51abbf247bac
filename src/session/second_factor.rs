//! The second step of a sign-in, and step-up (RFC 9470 §4): checking an authenticator code
//! or a recovery code for a user, under the same throttling as passwords (per account and
//! source, reserved before the check, never a lockout), with every failure and every use
//! of a recovery code in the audit log. What the check proves is then either a new session
//! (after a pending sign-in) or a raised level on the same session.

use diesel::Connection;

use super::login::record;
use super::sso::{self, Signed};
use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::secret::Secret;
use crate::domain::user::User;
use crate::keys::KeyManager;
use crate::mfa::level::Factor;
use crate::mfa::{recovery, totp};
use crate::store::mfa::{self, PendingRow};
use crate::store::sessions::SessionRow;
use crate::store::{Store, StoreError, users};

pub use super::factor_brakes::{
    BUDGET_WINDOW_SECS, FAILURE_BUDGET, Notice, Verified, WRONG_PER_PENDING, guarded,
};

/// What the user presents.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    Totp(&'a str),
    RecoveryCode(&'a str),
    /// The first code of an authenticator app being set up: it confirms the enrolment.
    TotpEnrolment(&'a str),
}

impl Proof<'_> {
    fn method(&self) -> &'static str {
        match self {
            Proof::Totp(_) | Proof::TotpEnrolment(_) => "totp",
            Proof::RecoveryCode(_) => "recovery_code",
        }
    }
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NoAuthenticator,
    AlreadyEnrolled,
    EnrolmentGone,
    Malformed,
    /// Wrong for this time window (perhaps the device's clock is off).
    Wrong,
    /// Right, but used already (RFC 6238 §5.2: once per time step).
    Replayed,
    NotRecoveryCode,
    RecoveryCodeUnknown,
    /// The passkey's assertion did not verify.
    Passkey,
}

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Accepted(Factor),
    /// Not accepted, and why (the page words it).
    Refused(Refusal),
    /// Too many failures (for this account from this source, or for this account's
    /// second factor altogether): wait this many seconds.
    Throttled(i64),
    /// That wrong answer was the pending sign-in's last ([`WRONG_PER_PENDING`]): it is
    /// void, and the password must be entered again.
    Voided,
}

/// Who is checked, from where.
pub struct Who<'a> {
    pub user_id: &'a str,
    pub source: &'a str,
    pub client_id: Option<&'a str>,
    /// The pending sign-in answered (its id hash), if this is the second step of one.
    pub pending: Option<&'a [u8]>,
    /// How to tell the person when the failure budget runs out (no mail when `None`).
    pub notice: Option<Notice<'a>>,
}

/// The context under which a TOTP secret is sealed: bound to its user.
pub fn totp_context(user_id: &str) -> String {
    format!("totp:{user_id}")
}

/// Checks a code for a user.
pub async fn check(
    store: &Store,
    keys: &KeyManager,
    who: &Who<'_>,
    proof: Proof<'_>,
    now: UnixTime,
) -> Result<Checked, StoreError> {
    let budgeted = !matches!(proof, Proof::TotpEnrolment(_));
    let result = guarded(store, who, proof.method(), budgeted, now, || async {
        let checked = match proof {
            Proof::Totp(code) => check_totp(store, keys, who.user_id, code, now).await?,
            Proof::RecoveryCode(code) => check_recovery(store, who.user_id, code, now).await?,
            Proof::TotpEnrolment(code) => {
                check_enrolment(store, keys, who.user_id, code, now).await?
            }
        };
        Ok(checked.map_err(|r| (r, None)))
    })
    .await?;
    if let Checked::Accepted(_) = result {
        match proof {
            Proof::TotpEnrolment(_) => {
                let details = serde_json::json!({ "method": "totp" });
                audit(store, "mfa.enrolled", who, details, now).await;
            }
            Proof::RecoveryCode(_) => {
                let id = who.user_id.to_string();
                let left = store.run(move |c| mfa::recovery_codes_left(c, &id)).await?;
                let details = serde_json::json!({ "left": left });
                audit(store, "mfa.recovery_code_used", who, details, now).await;
            }
            Proof::Totp(_) => {}
        }
    }
    Ok(result)
}

pub(super) async fn audit(
    store: &Store,
    event: &'static str,
    who: &Who<'_>,
    details: serde_json::Value,
    now: UnixTime,
) {
    record(
        store,
        event,
        Some(who.user_id),
        who.client_id,
        who.source,
        details,
        now,
    )
    .await;
}

async fn check_totp(
    store: &Store,
    keys: &KeyManager,
    user_id: &str,
    code: &str,
    now: UnixTime,
) -> Result<Result<Factor, Refusal>, StoreError> {
    let id = user_id.to_string();
    let Some(row) = store.run(move |c| mfa::find_totp(c, &id)).await? else {
        return Ok(Err(Refusal::NoAuthenticator));
    };
    check_totp_row(store, keys, &row, code, now).await
}

async fn check_enrolment(
    store: &Store,
    keys: &KeyManager,
    user_id: &str,
    code: &str,
    now: UnixTime,
) -> Result<Result<Factor, Refusal>, StoreError> {
    let id = user_id.to_string();
    match store.run(move |c| mfa::find_totp(c, &id)).await? {
        Some(row) if row.confirmed_at.is_none() => {
            check_totp_row(store, keys, &row, code, now).await
        }
        Some(_) => Ok(Err(Refusal::AlreadyEnrolled)),
        None => Ok(Err(Refusal::EnrolmentGone)),
    }
}

/// Checks a code against a stored (confirmed or not) authenticator and records its step.
async fn check_totp_row(
    store: &Store,
    keys: &KeyManager,
    row: &mfa::TotpRow,
    code: &str,
    now: UnixTime,
) -> Result<Result<Factor, Refusal>, StoreError> {
    let secret = keys
        .open_secret(&totp_context(&row.user_id), &row.secret_sealed)
        .map_err(|e| StoreError::Corrupt(format!("user_totp.secret_sealed: {e}")))?;
    let step = match totp::verify(secret.expose(), code, now, row.last_step) {
        Ok(step) => step,
        Err(totp::Refusal::Malformed) => return Ok(Err(Refusal::Malformed)),
        Err(totp::Refusal::Wrong) => return Ok(Err(Refusal::Wrong)),
        Err(totp::Refusal::Replayed) => return Ok(Err(Refusal::Replayed)),
    };
    let id = row.user_id.clone();
    let fresh = store
        .run(move |c| c.transaction(|c| mfa::use_totp_step(c, &id, step, now)))
        .await?;
    Ok(if fresh {
        Ok(Factor::Totp)
    } else {
        Err(Refusal::Replayed)
    })
}

async fn check_recovery(
    store: &Store,
    user_id: &str,
    code: &str,
    now: UnixTime,
) -> Result<Result<Factor, Refusal>, StoreError> {
    let Some(hash) = recovery::hash(code) else {
        return Ok(Err(Refusal::NotRecoveryCode));
    };
    let id = user_id.to_string();
    let used = store
        .run(move |c| mfa::use_recovery_code(c, &id, &hash, now))
        .await?;
    Ok(if used {
        Ok(Factor::RecoveryCode)
    } else {
        Err(Refusal::RecoveryCodeUnknown)
    })
}

/// A pending sign-in and its (enabled) user.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub row: PendingRow,
    pub user: User,
    pub factors: Vec<Factor>,
}

/// The live pending sign-in behind a cookie value.
pub async fn pending(
    store: &Store,
    cookie_value: Option<String>,
    now: UnixTime,
) -> Result<Option<PendingSignIn>, StoreError> {
    let Some(value) = cookie_value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let hash = opaque::hash(&value);
    store
        .run(move |c| {
            let Some(row) = mfa::find_pending(c, &hash, now)? else {
                return Ok(None);
            };
            let Some(user) = users::find_by_id(c, &row.user_id)?.filter(|u| !u.disabled) else {
                return Ok(None);
            };
            let factors = serde_json::from_str(&row.factors)
                .map_err(|e| StoreError::Corrupt(format!("pending_sign_ins.factors: {e}")))?;
            Ok::<_, StoreError>(Some(PendingSignIn { row, user, factors }))
        })
        .await
}

/// Ends a pending sign-in with one more factor: a new session with every factor, and the
/// cookie value that names it; `None` when the pending sign-in was already used.
pub async fn complete(
    store: &Store,
    pending: PendingSignIn,
    added: Factor,
    device: &sso::Device,
    now: UnixTime,
    session_ttl: i64,
) -> Result<Option<(Signed, Secret<String>)>, StoreError> {
    let hash = pending.row.id_hash.clone();
    if !store.run(move |c| mfa::take_pending(c, &hash)).await? {
        return Ok(None);
    }
    let origin = match (&pending.row.upstream, &pending.row.upstream_sub) {
        (Some(upstream), Some(sub)) => Some(sso::Upstreamed {
            upstream: upstream.clone(),
            sub: sub.clone(),
            sid: pending.row.upstream_sid.clone(),
        }),
        _ => None,
    };
    let mut factors = pending.factors;
    factors.push(added);
    let (cookie_value, session) = sso::start(
        store,
        &pending.user,
        &factors,
        device,
        origin.as_ref(),
        now,
        session_ttl,
    )
    .await?;
    Ok(Some((
        Signed {
            session,
            user: pending.user,
        },
        cookie_value,
    )))
}

/// Raises a live session with one more factor (same `sid`).
pub async fn step_up(
    store: &Store,
    signed: Signed,
    added: Factor,
    now: UnixTime,
) -> Result<Signed, StoreError> {
    let session: SessionRow = sso::step_up(store, &signed.session, added, now).await?;
    Ok(Signed {
        session,
        user: signed.user,
    })
}

/// Starts (or resumes) setting up an authenticator app: the unconfirmed secret, made now
/// when there is none. `None` when one is already confirmed.
pub async fn totp_enrolment(
    store: &Store,
    keys: &KeyManager,
    user_id: &str,
    now: UnixTime,
) -> Result<Option<Secret<Vec<u8>>>, StoreError> {
    let id = user_id.to_string();
    let existing = store.run(move |c| mfa::find_totp(c, &id)).await?;
    let context = totp_context(user_id);
    match existing {
        Some(row) if row.confirmed_at.is_some() => Ok(None),
        Some(row) => keys
            .open_secret(&context, &row.secret_sealed)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("user_totp.secret_sealed: {e}"))),
        None => {
            let secret = totp::generate_secret();
            let sealed = keys
                .seal_secret(&context, secret.expose())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let row = mfa::TotpRow {
                user_id: user_id.to_string(),
                secret_sealed: sealed,
                confirmed_at: None,
                last_step: None,
                created_at: now,
            };
            store
                .run(move |c| mfa::put_unconfirmed_totp(c, &row))
                .await?;
            Ok(Some(secret))
        }
    }
}
