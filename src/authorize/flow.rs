//! What happens to a valid authorization request: sign-in if needed, consent if needed,
//! then a single-use code. `prompt`, `max_age` and `id_token_hint` decide whether the
//! current session may be used silently.

use crate::authorize::error::{AuthorizeError, ErrorCode};
use crate::authorize::request::{AuthRequest, Prompt};
use crate::authorize::response::{self, Delivery};
use crate::domain::opaque;
use crate::session::Signed;
use crate::startup::AppState;
use crate::store::StoreError;
use crate::store::codes::{self, CodeRow};
use crate::store::{backchannel, consents};

/// RFC 6749 §4.1.2 recommends at most 10 minutes; one is plenty for a redirect.
pub const CODE_TTL_SECS: i64 = 60;
/// Codes carry 256 bits of randomness (certification asks for ≥128).
pub const CODE_BYTES: usize = 32;

pub enum Step {
    /// Show the sign-in form.
    Login,
    /// Show the consent page for the signed-in user.
    Consent(Box<Signed>),
    /// Send the browser back to the client (a code or an error).
    Deliver(Delivery),
}

/// Flags from the forms that just ran: a fresh sign-in satisfies `prompt=login` and
/// `max_age`; a fresh consent satisfies `prompt=consent`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fresh {
    pub login: bool,
    pub consent: bool,
}

pub fn deliver_error(state: &AppState, err: &AuthorizeError) -> Option<Delivery> {
    match err {
        AuthorizeError::Redirect {
            redirect_uri,
            response_mode,
            state: st,
            code,
            description,
        } => Some(response::error(
            redirect_uri,
            *response_mode,
            *code,
            description,
            st.as_deref(),
            &state.settings.issuer,
        )),
        AuthorizeError::Page { .. } => None,
    }
}

/// An error for the client, sent back to its (validated) redirect URI.
fn refuse(state: &AppState, req: &AuthRequest, code: ErrorCode, description: &'static str) -> Step {
    Step::Deliver(response::error(
        &req.redirect_uri,
        req.response_mode,
        code,
        description,
        req.state.as_deref(),
        &state.settings.issuer,
    ))
}

/// The `sub` of an `id_token_hint` we issued (expired hints are fine, OIDC Core §3.1.2.1).
fn hinted_subject(state: &AppState, hint: &str) -> Option<String> {
    let payload = state.keys.verify(hint).ok()?;
    if payload.issuer() != Some(state.settings.issuer.as_str()) {
        return None;
    }
    payload.subject().map(str::to_string)
}

pub async fn proceed(
    state: &AppState,
    req: &AuthRequest,
    signed: Option<Signed>,
    fresh: Fresh,
) -> Result<Step, StoreError> {
    let now = state.clock.now();
    let hinted = match &req.id_token_hint {
        Some(hint) => match hinted_subject(state, hint) {
            Some(sub) => Some(sub),
            None => {
                return Ok(refuse(
                    state,
                    req,
                    ErrorCode::InvalidRequest,
                    "id_token_hint is not a valid ID token of this issuer",
                ));
            }
        },
        None => None,
    };
    let usable = signed.filter(|s| {
        if fresh.login {
            return true;
        }
        let too_old = req.max_age.is_some_and(|m| now - s.session.auth_time > m);
        let other_user = hinted.as_ref().is_some_and(|sub| *sub != s.user.id);
        !(req.has_prompt(Prompt::Login)
            || req.has_prompt(Prompt::SelectAccount)
            || too_old
            || other_user)
    });
    let Some(signed) = usable else {
        if req.has_prompt(Prompt::None) {
            return Ok(refuse(
                state,
                req,
                ErrorCode::LoginRequired,
                "the user must sign in",
            ));
        }
        return Ok(Step::Login);
    };

    if !req.client.skip_consent && !fresh.consent {
        let (user_id, client_id) = (signed.user.id.clone(), req.client.id.clone());
        let granted = state
            .store
            .run(move |c| consents::granted(c, &user_id, &client_id))
            .await?;
        let covered = req.scope.iter().all(|s| granted.contains(s));
        if req.has_prompt(Prompt::Consent) || !covered {
            if req.has_prompt(Prompt::None) {
                return Ok(refuse(
                    state,
                    req,
                    ErrorCode::ConsentRequired,
                    "the user must consent",
                ));
            }
            return Ok(Step::Consent(Box::new(signed)));
        }
    }
    let code = issue_code(state, req, &signed).await?;
    Ok(Step::Deliver(response::success(
        &req.redirect_uri,
        req.response_mode,
        code.expose(),
        req.state.as_deref(),
        &state.settings.issuer,
    )))
}

/// Stores a new code (hashed) bound to everything the token request must match.
async fn issue_code(
    state: &AppState,
    req: &AuthRequest,
    signed: &Signed,
) -> Result<crate::secret::Secret<String>, StoreError> {
    let now = state.clock.now();
    let code = opaque::generate(CODE_BYTES);
    let row = CodeRow {
        code_hash: opaque::hash(code.expose()),
        client_id: req.client.id.clone(),
        user_id: signed.user.id.clone(),
        session_sid: Some(signed.session.sid.clone()),
        redirect_uri: req.redirect_uri.clone(),
        scope: req.scope.join(" "),
        nonce: req.nonce.clone(),
        code_challenge: req.pkce.clone(),
        code_challenge_method: req.pkce.as_ref().map(|_| "S256".to_string()),
        auth_time: signed.session.auth_time,
        acr: signed.session.acr.clone(),
        created_at: now,
        expires_at: now + CODE_TTL_SECS,
        amr: Some(signed.session.amr.clone()),
    };
    let (sid, client_id, user_id) = (
        signed.session.sid.clone(),
        req.client.id.clone(),
        signed.user.id.clone(),
    );
    state
        .store
        .run(move |c| {
            codes::insert(c, &row)?;
            backchannel::add_session_client(c, &sid, &client_id, &user_id, now)
        })
        .await?;
    Ok(code)
}

/// Records that the user granted these scopes to the client (added to earlier grants).
pub async fn remember_consent(
    state: &AppState,
    req: &AuthRequest,
    signed: &Signed,
) -> Result<(), StoreError> {
    let now = state.clock.now();
    let (user_id, client_id, scope) = (
        signed.user.id.clone(),
        req.client.id.clone(),
        req.scope.clone(),
    );
    state
        .store
        .run(move |c| {
            let mut granted = consents::granted(c, &user_id, &client_id)?;
            for s in scope {
                if !granted.contains(&s) {
                    granted.push(s);
                }
            }
            consents::save(c, &user_id, &client_id, &granted, now)
        })
        .await
}
