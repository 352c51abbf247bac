//! The brakes on guessing a second factor (hardening round 2, finding 2), one for every
//! kind (authenticator codes, recovery codes, passkeys): the account's failure budget, the
//! (account, source) throttle, and the pending sign-in's own count of wrong answers.

use diesel::Connection;

use super::login;
use super::second_factor::{Checked, Refusal, Who, audit};
use super::throttle::{self, Verdict};
use crate::clock::UnixTime;
use crate::mfa::level::Factor;
use crate::store::mfa;
use crate::store::{Store, StoreError, login_failures, users};

/// Wrong second-factor answers one pending sign-in may give: after the last, it is void and
/// the password must be entered again (which is throttled on its own counters).
pub const WRONG_PER_PENDING: i64 = 5;
/// Second-factor failures one account may have in one [`BUDGET_WINDOW_SECS`], from every
/// source together (codes, recovery codes, passkeys). Past it, the account's second factor
/// is refused (429) until the window ends. Refusing is safe here, unlike for passwords: only
/// someone who knows the password gets this far, and the owner is told by mail.
pub const FAILURE_BUDGET: i64 = 20;
pub const BUDGET_WINDOW_SECS: i64 = 3600;

/// Who is told when the budget runs out, and how (the person's language, our address).
#[derive(Clone, Copy)]
pub struct Notice<'a> {
    pub voice: &'a crate::mail::Voice,
    pub issuer: &'a str,
}

/// The key of an account's failure budget in the window that holds `now`.
fn budget_key(user_id: &str, now: UnixTime) -> String {
    format!(
        "mfa-budget:{user_id}:{}",
        now.div_euclid(BUDGET_WINDOW_SECS)
    )
}

fn pending_key(id_hash: &[u8]) -> String {
    use base64::Engine;
    format!(
        "mfa-pending:{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id_hash)
    )
}

/// What a verifier found: a factor, or a refusal and (for the audit log) its reason.
pub type Verified = Result<Factor, (Refusal, Option<String>)>;

/// Runs one second-factor check under every brake: the account's failure budget (reserved
/// before the check, so parallel guesses count as they arrive), the (account, source)
/// throttle, and the pending sign-in's own count of wrong answers. Every failure is
/// audited; the one that exhausts the budget also mails the person. `budgeted`: false only
/// for confirming an enrolment (the code of an app being set up proves nothing to guess).
pub async fn guarded<F, Fut>(
    store: &Store,
    who: &Who<'_>,
    method: &'static str,
    budgeted: bool,
    now: UnixTime,
    verify: F,
) -> Result<Checked, StoreError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Verified, StoreError>>,
{
    let budget = budget_key(who.user_id, now);
    let spent = if budgeted {
        let key = budget.clone();
        let (attempt, _) = store
            .run(move |c| login_failures::reserve(c, &key, now))
            .await?;
        if attempt > FAILURE_BUDGET {
            let window_end = (now.div_euclid(BUDGET_WINDOW_SECS) + 1) * BUDGET_WINDOW_SECS;
            return Ok(Checked::Throttled(window_end - now));
        }
        attempt
    } else {
        0
    };
    // A counter of its own per account, so codes and passwords do not share a budget.
    let counters = throttle::keys(&format!("mfa:{}", who.user_id), who.source);
    match login::reserve(store, &counters, now).await? {
        Verdict::Refuse(wait) => {
            if budgeted {
                // Not a failure of the person's: this attempt was never checked.
                store
                    .run(move |c| login_failures::release(c, &budget))
                    .await?;
            }
            return Ok(Checked::Throttled(wait));
        }
        Verdict::Proceed(pause) if !pause.is_zero() => tokio::time::sleep(pause).await,
        Verdict::Proceed(_) => {}
    }
    match verify().await? {
        Ok(factor) => {
            login::settle(store, counters).await?;
            let pending = who.pending.map(pending_key);
            store
                .run(move |c| {
                    if budgeted {
                        login_failures::release(c, &budget)?;
                    }
                    match pending {
                        Some(key) => login_failures::clear(c, &key),
                        None => Ok(()),
                    }
                })
                .await?;
            Ok(Checked::Accepted(factor))
        }
        Err((refusal, reason)) => {
            let mut details = serde_json::json!({ "method": method });
            if let Some(reason) = reason {
                details["reason"] = reason.into();
            }
            audit(store, "mfa.failed", who, details, now).await;
            if budgeted && spent == FAILURE_BUDGET {
                budget_exhausted(store, who, now).await?;
            }
            if let Some(hash) = who.pending {
                let (key, hash) = (pending_key(hash), hash.to_vec());
                let void = store
                    .run(move |c| {
                        c.transaction(|c| {
                            let (wrong, _) = login_failures::reserve(c, &key, now)?;
                            if wrong < WRONG_PER_PENDING {
                                return Ok::<_, StoreError>(false);
                            }
                            mfa::take_pending(c, &hash)?;
                            login_failures::clear(c, &key)?;
                            Ok(true)
                        })
                    })
                    .await?;
                if void {
                    audit(
                        store,
                        "mfa.pending_voided",
                        who,
                        serde_json::json!({ "wrong_answers": WRONG_PER_PENDING }),
                        now,
                    )
                    .await;
                    return Ok(Checked::Voided);
                }
            }
            Ok(Checked::Refused(refusal))
        }
    }
}

/// The budget just ran out: audited, and the person is told by mail (when they have an
/// address) that their password was used with failed second-factor attempts, with a link to
/// change it. The mail is queued in the audit entry's transaction (DESIGN.md decision 25).
async fn budget_exhausted(store: &Store, who: &Who<'_>, now: UnixTime) -> Result<(), StoreError> {
    let id = who.user_id.to_string();
    let Some(user) = store.run(move |c| users::find_by_id(c, &id)).await? else {
        return Ok(());
    };
    let message = match (who.notice, user.email.as_deref()) {
        (Some(notice), Some(to)) => {
            let link = format!(
                "{}/password/forgot?ui_locales={}",
                notice.issuer,
                notice.voice.loc.lang()
            );
            Some(
                crate::mail::Mail::second_factor_failures(notice.voice, to, &user.username, &link)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )
        }
        _ => None,
    };
    let (user_id, source, client_id) = (
        who.user_id.to_string(),
        who.source.to_string(),
        who.client_id.map(str::to_string),
    );
    store
        .run(move |c| {
            c.transaction(|c| {
                if let Some(message) = &message {
                    crate::mail::enqueue(c, message, now)?;
                }
                crate::store::audit::record(
                    c,
                    &crate::store::audit::AuditEvent {
                        event: "mfa.budget_exhausted",
                        actor: &user_id,
                        user_id: Some(&user_id),
                        client_id: client_id.as_deref(),
                        ip: Some(&source).filter(|s| !s.is_empty()).map(|s| s.as_str()),
                        details: serde_json::json!({
                            "failures": FAILURE_BUDGET,
                            "window_secs": BUDGET_WINDOW_SECS,
                            "mailed": message.is_some(),
                        }),
                    },
                    now,
                )
            })
        })
        .await
}
