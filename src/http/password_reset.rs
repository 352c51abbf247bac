//! Forgot password (`/password/forgot`) and the page its mailed link opens
//! (`/password/reset?token=…`); the rules are in `session::recovery`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::authorize::cross_site;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, Ui};
use crate::domain::password::{MIN_PASSWORD_CHARS, PasswordError};
use crate::domain::secret::Secret;
use crate::session::throttle::{self, Verdict};
use crate::session::{login, recovery};
use crate::state::AppState;

#[derive(Template, Serialize)]
#[template(path = "forgot.html")]
pub struct ForgotPage<'a> {
    #[serde(skip)]
    ui: &'a Ui,
    csrf: &'a str,
    sent: bool,
    minutes: i64,
}

#[derive(Template, Serialize)]
#[template(path = "reset.html")]
pub struct ResetPage<'a> {
    #[serde(skip)]
    ui: &'a Ui,
    csrf: &'a str,
    token: &'a str,
    usable: bool,
    done: bool,
    error: Option<&'a str>,
    /// An invitation's first password, rather than a reset.
    invitation: bool,
}

pages::page!(ForgotPage => "forgot.html", ResetPage => "reset.html");

/// Why a new password was refused, in the page's language.
pub fn policy_text(ui: &Ui, e: &PasswordError) -> String {
    match e {
        PasswordError::TooShort => ui.tn("password-too-short", "count", MIN_PASSWORD_CHARS as i64),
        PasswordError::TooLong => ui.t("password-too-long"),
        PasswordError::Hashing(_) => ui.t("error-unexpected"),
    }
}

fn with_csrf(
    req: &HttpRequest,
    state: &AppState,
    render: impl FnOnce(&str) -> HttpResponse,
) -> HttpResponse {
    no_store(state.csrf.page(req, state.issuer(), render))
}

fn forgot_page(req: &HttpRequest, state: &AppState, ui: &Ui, sent: bool) -> HttpResponse {
    let minutes = state.settings.tokens.link_ttl_secs / 60;
    with_csrf(req, state, |csrf| {
        pages::show(
            StatusCode::OK,
            &ForgotPage {
                ui,
                csrf,
                sent,
                minutes,
            },
        )
    })
}

/// GET /password/forgot
pub async fn forgot_page_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    ui: Ui,
) -> HttpResponse {
    forgot_page(&req, &state, &ui, false)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    csrf: Option<String>,
    #[serde(default)]
    email: String,
}

/// POST /password/forgot: the same answer whether or not the address has an account,
/// and whether or not this address or source is being throttled.
pub async fn forgot_handler(
    req: HttpRequest,
    form: web::Form<ForgotForm>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if state
        .csrf
        .check(&req, form.csrf.as_deref(), state.issuer())
        .is_err()
    {
        return Ok(cross_site(&ui));
    }
    let email = form.email.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 {
        return Ok(forgot_page(&req, &state, &ui, false));
    }
    // Throttled per address and per source, on counters of their own: asking for reset
    // links never slows down anyone's sign-in.
    let source = state.source(&req);
    let keys = throttle::keys(
        &format!("reset:{email}"),
        &format!("reset:{}", throttle::source_key(&source)),
    );
    let now = state.now();
    let allowed = match login::reserve(&state.store, &keys, now).await? {
        Verdict::Proceed(pause) => pause.is_zero(),
        Verdict::Refuse(_) => false,
    };
    if allowed {
        // Hardening round 2, finding 13: whether the address is someone's must not show in
        // how long the answer takes, so the lookup and the mail happen after the answer, the
        // same for every address.
        let (issuer, ttl) = (
            state.issuer().to_string(),
            state.settings.tokens.link_ttl_secs,
        );
        let voice = ui.voice();
        let state = state.clone();
        actix_web::rt::spawn(async move {
            let queued = state
                .store
                .run(move |c| recovery::request_reset(c, &email, &voice, &issuer, ttl, now))
                .await;
            match queued {
                Ok(_) => state.mail.wake(),
                Err(e) => {
                    tracing::warn!(error = %e, "a password reset request could not be recorded")
                }
            }
        });
    }
    Ok(forgot_page(&req, &state, &ui, true))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// GET /password/reset?token=…: the form, or why the link no longer works.
pub async fn reset_page_handler(
    req: HttpRequest,
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token;
    let (t, now) = (token.clone(), state.now());
    let purpose = if token.is_empty() {
        None
    } else {
        state
            .store
            .run(move |c| recovery::link_purpose(c, &t, now))
            .await?
    };
    let usable = purpose.is_some();
    let invitation = purpose.as_deref() == Some(recovery::PURPOSE_INVITATION);
    let status = if usable {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    Ok(with_csrf(&req, &state, |csrf| {
        pages::show(
            status,
            &ResetPage {
                ui: &ui,
                csrf,
                token: &token,
                usable,
                done: false,
                error: None,
                invitation,
            },
        )
    }))
}

#[derive(Deserialize)]
pub struct ResetForm {
    csrf: Option<String>,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// POST /password/reset: the new password under the policy, once per link.
pub async fn reset_handler(
    req: HttpRequest,
    form: web::Form<ResetForm>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if state
        .csrf
        .check(&req, form.csrf.as_deref(), state.issuer())
        .is_err()
    {
        return Ok(cross_site(&ui));
    }
    let page = |status: StatusCode, usable: bool, done: bool, error: Option<&str>| {
        with_csrf(&req, &state, |csrf| {
            pages::show(
                status,
                &ResetPage {
                    ui: &ui,
                    csrf,
                    token: &form.token,
                    usable,
                    done,
                    error,
                    invitation: false,
                },
            )
        })
    };
    let passwords = state.passwords.clone();
    let password = Secret::new(form.password.clone());
    let hash = web::block(move || passwords.hash(&password))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let hash = match hash {
        Ok(h) => h,
        Err(e) => {
            let message = policy_text(&ui, &e);
            return Ok(page(
                StatusCode::UNPROCESSABLE_ENTITY,
                true,
                false,
                Some(&message),
            ));
        }
    };
    let (token, now) = (form.token.clone(), state.now());
    let done = state
        .store
        .run(move |c| recovery::complete_reset(c, &token, &hash, now))
        .await?;
    Ok(match done {
        Some(_) => {
            state.publish_revocations().await;
            state.backchannel.wake();
            page(StatusCode::OK, false, true, None)
        }
        None => page(StatusCode::GONE, false, false, None),
    })
}
