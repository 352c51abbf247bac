//! `/account`'s sessions, connected apps and password: end a session or all the others,
//! take back an app's access, change the password (`session::account` has the rules).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::account::form_user;
use super::account_page::{account_page, account_page_with};
use super::error::AppError;
use crate::domain::secret::Secret;
use crate::session::account;
use crate::state::AppState;

/// When every access token issued in a session has expired.
fn block_until(state: &AppState) -> i64 {
    let t = &state.settings.tokens;
    state.now() + t.access_token_ttl_secs + t.clock_skew_secs
}

/// After sessions ended or tokens were revoked: this instance applies the revocations
/// and sends the back-channel logouts now.
async fn propagate(state: &AppState) {
    state.publish_revocations().await;
    state.backchannel.wake();
}

#[derive(Deserialize)]
pub struct SessionForm {
    csrf: Option<String>,
    /// A session id, or `others`.
    #[serde(default)]
    sid: String,
}

/// POST /account/sessions/end
pub async fn session_end_handler(
    req: HttpRequest,
    form: web::Form<SessionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let (user_id, keep, now, until) = (
        signed.user.id.clone(),
        signed.session.sid.clone(),
        state.now(),
        block_until(&state),
    );
    let notice = if form.sid == "others" {
        let ended = state
            .store
            .run(move |c| account::end_other_sessions(c, &user_id, &keep, now, until))
            .await?;
        format!("Signed out of {ended} other session(s).")
    } else if form.sid == signed.session.sid {
        "To sign out of this browser, use Sign out.".to_string()
    } else {
        let sid = form.sid.clone();
        let ended = state
            .store
            .run(move |c| account::end_own_session(c, &user_id, &sid, now, until))
            .await?;
        if ended {
            "That session is signed out.".to_string()
        } else {
            "That session had already ended.".to_string()
        }
    };
    propagate(&state).await;
    account_page(&req, &state, &signed, Some(&notice)).await
}

#[derive(Deserialize)]
pub struct AppForm {
    csrf: Option<String>,
    #[serde(default)]
    client_id: String,
}

/// POST /account/apps/revoke
pub async fn app_revoke_handler(
    req: HttpRequest,
    form: web::Form<AppForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let (user_id, client_id, now) = (signed.user.id.clone(), form.client_id.clone(), state.now());
    let revoked = state
        .store
        .run(move |c| account::revoke_consent(c, &user_id, &client_id, now))
        .await?;
    propagate(&state).await;
    let notice = if revoked {
        "The app's access is removed; it must ask again."
    } else {
        "That app had no access."
    };
    account_page(&req, &state, &signed, Some(notice)).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: Option<String>,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

/// POST /account/password: the current password, then the new one under the policy.
pub async fn password_handler(
    req: HttpRequest,
    form: web::Form<PasswordForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let refused = |message: &'static str| {
        account_page_with(
            &req,
            &state,
            &signed,
            None,
            Some(message),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    // Checked off the executor, under the same bound as sign-ins.
    let current = state
        .password_checker
        .check(
            &state.store,
            &signed.user.username,
            Secret::new(form.current),
        )
        .await?;
    if current.is_none() {
        return refused("The current password is not correct.").await;
    }
    let passwords = state.passwords.clone();
    let new = Secret::new(form.new);
    let hash = web::block(move || passwords.hash(&new))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let hash = match hash {
        Ok(h) => h,
        Err(e) => {
            let message = format!("The new password is refused: {e}.");
            return account_page_with(
                &req,
                &state,
                &signed,
                None,
                Some(&message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (user_id, keep, now, until) = (
        signed.user.id.clone(),
        signed.session.sid.clone(),
        state.now(),
        block_until(&state),
    );
    let ended = state
        .store
        .run(move |c| account::change_password(c, &user_id, &hash, &keep, now, until))
        .await?;
    propagate(&state).await;
    let notice = format!("Password changed; {ended} other session(s) signed out.");
    account_page(&req, &state, &signed, Some(&notice)).await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    csrf: Option<String>,
    #[serde(default)]
    display_name: String,
}

/// POST /account/profile: the display name.
pub async fn profile_handler(
    req: HttpRequest,
    form: web::Form<ProfileForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let name = Some(form.display_name.trim().to_string()).filter(|n| !n.is_empty());
    let (user_id, now) = (signed.user.id.clone(), state.now());
    let saved = state
        .store
        .run(move |c| account::set_display_name(c, &user_id, name, now))
        .await?;
    // Shown with what is stored now.
    let Some(fresh) = super::account::signed_in(&req, &state).await? else {
        return Ok(super::account::see_other("/account"));
    };
    match saved {
        Ok(()) => account_page(&req, &state, &fresh, Some("Profile saved.")).await,
        Err(e) => {
            let message = e.to_string();
            account_page_with(
                &req,
                &state,
                &fresh,
                Some(&message),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    csrf: Option<String>,
    #[serde(default)]
    email: String,
}

/// POST /account/email: a confirmation link to the address (the current one, to verify
/// it; a new one, to change to it once confirmed).
pub async fn email_handler(
    req: HttpRequest,
    form: web::Form<EmailForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let (user, issuer, ttl, now) = (
        signed.user.clone(),
        state.issuer().to_string(),
        state.settings.tokens.link_ttl_secs,
        state.now(),
    );
    let address = form.email.clone();
    let asked = state
        .store
        .run(move |c| crate::session::email::ask(c, &user, &address, &issuer, ttl, now))
        .await?;
    state.mail.wake();
    let (notice, status) = match asked {
        Ok(crate::session::email::Asked::LinkSent) => (
            format!(
                "A link is on its way to {}; the address counts once you open it.",
                form.email.trim()
            ),
            StatusCode::OK,
        ),
        Ok(crate::session::email::Asked::AlreadyVerified) => (
            "That address is already verified.".to_string(),
            StatusCode::OK,
        ),
        Err(e) => (e.to_string(), StatusCode::UNPROCESSABLE_ENTITY),
    };
    account_page_with(&req, &state, &signed, Some(&notice), None, status).await
}

#[derive(askama::Template)]
#[template(path = "email_confirmed.html")]
struct ConfirmedPage<'a> {
    title: &'a str,
    message: &'a str,
    ok: bool,
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    #[serde(default)]
    token: String,
}

/// GET /email/confirm?token=…: the mailed link.
pub async fn email_confirm_handler(
    query: web::Query<ConfirmQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token;
    let (issuer, now) = (state.issuer().to_string(), state.now());
    let confirmed = state
        .store
        .run(move |c| crate::session::email::confirm(c, &token, &issuer, now))
        .await?;
    state.mail.wake();
    use crate::session::email::Confirmed;
    let (status, title, message, ok) = match &confirmed {
        Some(Confirmed::Verified(a)) => (
            StatusCode::OK,
            "Email address verified",
            format!("{a} is verified."),
            true,
        ),
        Some(Confirmed::Changed { to, .. }) => (
            StatusCode::OK,
            "Email address changed",
            format!("Your address is now {to}, verified."),
            true,
        ),
        None => (
            StatusCode::GONE,
            "This link no longer works",
            "It has already been used, has expired, or is for an address the account no longer has.".to_string(),
            false,
        ),
    };
    Ok(super::error::no_store_page(super::pages::render(
        status,
        &ConfirmedPage {
            title,
            message: &message,
            ok,
        },
    )))
}
