//! What happens to a valid authorization request: sign-in if needed, consent if needed,
//! then a single-use code (RFC 6749 §4.1.2). `prompt`, `max_age` and `id_token_hint`
//! decide whether the current session may be used silently (OIDC Core §3.1.2.1–§3.1.2.6).
//! [`decide`] is the rule, with no I/O; [`proceed`] loads what it needs and carries the
//! decision out.

use super::error::ErrorCode;
use super::request::{AuthRequest, Prompt};
use super::response::{self, Delivery};
use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::scope::Scope;
use crate::domain::secret::Secret;
use crate::keys::KeySet;
use crate::oidc::id_token;
use crate::session::sso::Signed;
use crate::store::StoreError;
use crate::store::codes::CodeRow;
use crate::store::grants::GrantStore;

/// RFC 6749 §4.1.2 recommends at most 10 minutes; one is plenty for a redirect. Checked
/// against the injected clock when the code is redeemed.
pub const CODE_TTL_SECS: i64 = 60;
/// Codes carry 256 bits of randomness (certification asks for ≥128).
pub const CODE_BYTES: usize = 32;

/// Flags from the forms that just ran: a fresh sign-in satisfies `prompt=login` and
/// `max_age`; a fresh consent satisfies `prompt=consent`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fresh {
    pub login: bool,
    pub consent: bool,
}

/// The decision for one authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Show the sign-in form.
    Login,
    /// Show the consent page for the signed-in user.
    Consent,
    /// Issue a code for the signed-in user.
    Issue,
    /// Send an error back to the client's (validated) redirect URI.
    Refuse(ErrorCode, &'static str),
}

/// What the browser's session says, for the decision.
#[derive(Debug, Clone, Copy)]
pub struct SessionFacts<'a> {
    pub user_id: &'a str,
    pub auth_time: UnixTime,
}

/// The rule. `hinted` is the `sub` of a valid `id_token_hint` (`Err` if the hint was
/// present but not one of our ID tokens); `consented` what the user already granted the
/// client.
pub fn decide(
    req: &AuthRequest,
    session: Option<SessionFacts<'_>>,
    hinted: Result<Option<&str>, ()>,
    consented: &Scope,
    fresh: Fresh,
    now: UnixTime,
) -> Decision {
    let Ok(hinted) = hinted else {
        return Decision::Refuse(
            ErrorCode::InvalidRequest,
            "id_token_hint is not a valid ID token of this issuer",
        );
    };
    // OIDC Core §3.1.2.1: prompt=login and select_account ask for a sign-in; max_age
    // bounds the age of the last one; a hint for another user cannot use this session.
    let usable = session.filter(|s| {
        if fresh.login {
            return true;
        }
        let too_old = req.max_age.is_some_and(|m| now - s.auth_time > m);
        let other_user = hinted.is_some_and(|sub| sub != s.user_id);
        !(req.has_prompt(Prompt::Login)
            || req.has_prompt(Prompt::SelectAccount)
            || too_old
            || other_user)
    });
    if usable.is_none() {
        if req.has_prompt(Prompt::None) {
            return Decision::Refuse(ErrorCode::LoginRequired, "the user must sign in");
        }
        return Decision::Login;
    }
    if !req.client.skip_consent && !fresh.consent {
        let covered = req.scope.is_subset_of(consented);
        if req.has_prompt(Prompt::Consent) || !covered {
            if req.has_prompt(Prompt::None) {
                return Decision::Refuse(ErrorCode::ConsentRequired, "the user must consent");
            }
            return Decision::Consent;
        }
    }
    Decision::Issue
}

pub enum Step {
    /// Show the sign-in form.
    Login,
    /// Show the consent page for the signed-in user.
    Consent(Box<Signed>),
    /// Send the browser back to the client (a code or an error).
    Deliver(Delivery),
}

/// An error for the client, sent back to its (validated) redirect URI with `iss`.
pub fn refusal(req: &AuthRequest, issuer: &str, code: ErrorCode, description: &str) -> Delivery {
    response::error(
        req.redirect_uri.as_str(),
        req.response_mode,
        code,
        description,
        req.state.as_deref(),
        issuer,
    )
}

/// Loads the consent and verifies the hint, decides, and carries the decision out.
pub fn proceed(
    keys: &KeySet,
    issuer: &str,
    store: &mut impl GrantStore,
    req: &AuthRequest,
    signed: Option<Signed>,
    fresh: Fresh,
    now: UnixTime,
) -> Result<Step, StoreError> {
    let hint = match &req.id_token_hint {
        Some(h) => id_token::verify_hint(keys, issuer, h).ok_or(()).map(Some),
        None => Ok(None),
    };
    let consented = match &signed {
        Some(s) if !req.client.skip_consent && !fresh.consent => {
            store.consent(&s.user.id, &req.client.id)?
        }
        _ => Scope::default(),
    };
    let facts = signed.as_ref().map(|s| SessionFacts {
        user_id: &s.user.id,
        auth_time: s.session.auth_time,
    });
    let hinted = hint.as_ref().map(|h| h.as_ref().map(|h| h.sub.as_str()));
    let decision = decide(req, facts, hinted.map_err(|_| ()), &consented, fresh, now);
    Ok(match (decision, signed) {
        (Decision::Refuse(code, description), _) => {
            Step::Deliver(refusal(req, issuer, code, description))
        }
        (Decision::Login, _) | (_, None) => Step::Login,
        (Decision::Consent, Some(s)) => Step::Consent(Box::new(s)),
        (Decision::Issue, Some(s)) => {
            let code = issue_code(store, req, &s, now)?;
            Step::Deliver(response::success(
                req.redirect_uri.as_str(),
                req.response_mode,
                code.expose(),
                req.state.as_deref(),
                issuer,
            ))
        }
    })
}

/// Stores a new code (hashed) bound to everything the token request must match.
fn issue_code(
    store: &mut impl GrantStore,
    req: &AuthRequest,
    signed: &Signed,
    now: UnixTime,
) -> Result<Secret<String>, StoreError> {
    let code = opaque::generate(CODE_BYTES);
    store.insert_code(
        &CodeRow {
            code_hash: opaque::hash(code.expose()),
            client_id: req.client.id.to_string(),
            user_id: signed.user.id.clone(),
            session_sid: Some(signed.session.sid.clone()),
            redirect_uri: req.redirect_uri.to_string(),
            scope: req.scope.to_string(),
            nonce: req.nonce.clone(),
            code_challenge: req.pkce.as_ref().map(|c| c.stored().to_string()),
            code_challenge_method: req.pkce.as_ref().map(|_| "S256".to_string()),
            auth_time: signed.session.auth_time,
            acr: signed.session.acr.clone(),
            created_at: now,
            expires_at: now + CODE_TTL_SECS,
            amr: Some(signed.session.amr.clone()),
        },
        now,
    )?;
    Ok(code)
}

/// Records that the user granted these scopes to the client (added to earlier grants).
pub fn remember_consent(
    store: &mut impl GrantStore,
    req: &AuthRequest,
    signed: &Signed,
    now: UnixTime,
) -> Result<(), StoreError> {
    let granted = store.consent(&signed.user.id, &req.client.id)?;
    store.save_consent(
        &signed.user.id,
        &req.client.id,
        &granted.union(&req.scope),
        now,
    )
}
