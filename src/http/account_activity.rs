//! `/account`'s sessions, connected apps and password: end a session or all the others,
//! take back an app's access, change the password (`session::account` has the rules).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::account::form_user;
use super::account_page::{account_page, account_page_with};
use super::error::AppError;
use super::pages::{self, Ui};
use crate::domain::secret::Secret;
use crate::session::throttle::{self, Verdict};
use crate::session::{account, login};
use crate::state::AppState;

/// When every access token issued in a session has expired.
pub(super) fn block_until(state: &AppState) -> i64 {
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
    let ui = Ui::of(&req);
    let notice = if form.sid == "others" {
        let ended = state
            .store
            .run(move |c| account::end_other_sessions(c, &user_id, &keep, now, until))
            .await?;
        ui.tn("notice-others-ended", "count", ended as i64)
    } else if form.sid == signed.session.sid {
        ui.t("notice-sign-out-here")
    } else {
        let sid = form.sid.clone();
        let ended = state
            .store
            .run(move |c| account::end_own_session(c, &user_id, &sid, now, until))
            .await?;
        if ended {
            ui.t("notice-session-ended")
        } else {
            ui.t("notice-session-gone")
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
    let ui = Ui::of(&req);
    let notice = if revoked {
        ui.t("notice-app-revoked")
    } else {
        ui.t("notice-app-none")
    };
    account_page(&req, &state, &signed, Some(&notice)).await
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
    let ui = Ui::of(&req);
    let refused = |message: String| {
        let (req, state, signed) = (&req, &state, &signed);
        async move {
            account_page_with(
                req,
                state,
                signed,
                None,
                Some(&message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    // Throttled like a sign-in, on counters of its own (per account and source): a
    // stolen session cannot guess the password at full speed, and these guesses never
    // slow the person's own sign-ins.
    let source = state.source(&req);
    let keys = throttle::keys(
        &format!("account-password:{}", signed.user.id),
        &format!("account-password:{}", throttle::source_key(&source)),
    );
    match login::reserve(&state.store, &keys, state.now()).await? {
        Verdict::Proceed(pause) => {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        Verdict::Refuse(wait) => return refused(ui.tn("too-many-attempts", "count", wait)).await,
    }
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
        return refused(ui.t("notice-password-wrong")).await;
    }
    login::settle(&state.store, keys).await?;
    let passwords = state.passwords.clone();
    let new = Secret::new(form.new);
    let hash = web::block(move || passwords.hash(&new))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let hash = match hash {
        Ok(h) => h,
        Err(e) => {
            let message = super::password_reset::policy_text(&ui, &e);
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
    let notice = ui.tn("notice-password-changed", "count", ended as i64);
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
        Ok(()) => {
            let notice = Ui::of(&req).t("notice-profile-saved");
            account_page(&req, &state, &fresh, Some(&notice)).await
        }
        Err(_) => {
            let message = Ui::of(&req).t("notice-name-invalid");
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
    // Changing the address is sensitive ("sudo mode", finding 6).
    let signed = match super::account::fresh_form_user(&req, &state, form.csrf.as_deref()).await? {
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
    let ui = Ui::of(&req);
    let voice = ui.voice();
    let asked = state
        .store
        .run(move |c| crate::session::email::ask(c, &user, &address, &voice, &issuer, ttl, now))
        .await?;
    state.mail.wake();
    let (notice, status) = match asked {
        Ok(crate::session::email::Asked::LinkSent) => (
            ui.t1("notice-email-sent", "email", form.email.trim()),
            StatusCode::OK,
        ),
        Ok(crate::session::email::Asked::AlreadyVerified) => {
            (ui.t("notice-email-already"), StatusCode::OK)
        }
        Err(_) => (
            ui.t("forgot-invalid-email"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    account_page_with(&req, &state, &signed, Some(&notice), None, status).await
}

#[derive(askama::Template, serde::Serialize)]
#[template(path = "email_confirmed.html")]
pub struct ConfirmedPage<'a> {
    #[serde(skip)]
    ui: &'a Ui,
    title: &'a str,
    message: &'a str,
    ok: bool,
    /// Before the button is pressed: the form's fields.
    confirm: Option<ConfirmForm<'a>>,
    next: &'a str,
    next_label: &'a str,
}

#[derive(serde::Serialize)]
struct ConfirmForm<'a> {
    csrf: &'a str,
    token: &'a str,
}

pages::page!(ConfirmedPage => "email_confirmed.html");

#[derive(Deserialize)]
pub struct ConfirmQuery {
    #[serde(default)]
    token: String,
}

fn confirmed_page(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    status: StatusCode,
    (title, message, ok): (&str, &str, bool),
    token: Option<&str>,
) -> HttpResponse {
    let next_label = ui.t("account-back");
    super::error::no_store_page(state.csrf.page(req, state.issuer(), |csrf| {
        pages::show(
            status,
            &ConfirmedPage {
                ui,
                title,
                message,
                ok,
                confirm: token.map(|token| ConfirmForm { csrf, token }),
                next: "/account",
                next_label: &next_label,
            },
        )
    }))
}

/// GET /email/confirm?token=…: the mailed link shows what it confirms and a button; only
/// the button's POST uses the link, so a mail scanner that opens links changes nothing.
pub async fn email_confirm_page_handler(
    req: HttpRequest,
    query: web::Query<ConfirmQuery>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token;
    let (t, now) = (token.clone(), state.now());
    let address = if token.is_empty() || token.len() > 128 {
        None
    } else {
        state
            .store
            .run(move |c| crate::session::email::pending_address(c, &t, now))
            .await?
    };
    Ok(match address {
        Some(a) => confirmed_page(
            &req,
            &state,
            &ui,
            StatusCode::OK,
            (
                &ui.t("email-confirm-title"),
                &ui.t1("email-confirm-intro", "email", a),
                true,
            ),
            Some(&token),
        ),
        None => dead_link(&req, &state, &ui),
    })
}

fn dead_link(req: &HttpRequest, state: &AppState, ui: &Ui) -> HttpResponse {
    confirmed_page(
        req,
        state,
        ui,
        StatusCode::GONE,
        (
            &ui.t("email-link-dead-title"),
            &ui.t("email-link-dead"),
            false,
        ),
        None,
    )
}

#[derive(Deserialize)]
pub struct ConfirmPost {
    csrf: Option<String>,
    #[serde(default)]
    token: String,
}

/// POST /email/confirm: uses the link once.
pub async fn email_confirm_handler(
    req: HttpRequest,
    form: web::Form<ConfirmPost>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if state
        .csrf
        .check(&req, form.csrf.as_deref(), state.issuer())
        .is_err()
    {
        return Ok(super::authorize::cross_site(&ui));
    }
    let token = form.token;
    if token.is_empty() || token.len() > 128 {
        return Ok(dead_link(&req, &state, &ui));
    }
    let (voice, now) = (ui.voice(), state.now());
    let confirmed = state
        .store
        .run(move |c| crate::session::email::confirm(c, &token, &voice, now))
        .await?;
    state.mail.wake();
    use crate::session::email::Confirmed;
    let texts = match &confirmed {
        Some(Confirmed::Verified(a)) => (
            ui.t("email-verified-title"),
            ui.t1("email-verified", "email", a),
        ),
        Some(Confirmed::Changed { to, .. }) => (
            ui.t("email-changed-title"),
            ui.t1("email-changed", "email", to),
        ),
        None => return Ok(dead_link(&req, &state, &ui)),
    };
    Ok(confirmed_page(
        &req,
        &state,
        &ui,
        StatusCode::OK,
        (&texts.0, &texts.1, true),
        None,
    ))
}
