//! Self-service sign-up: `/signup` (the form) and `/signup/confirm` (the mailed link's
//! page, which creates the account on a button press, so a mail scanner that follows the
//! link creates nothing). The rules are in `session::signup`; both answer 404 unless
//! `registration.self_service` is on.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::authorize::cross_site;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, Ui};
use crate::domain::secret::Secret;
use crate::domain::user::UserError;
use crate::session::login;
use crate::session::signup::{self, Completed, Mailing, Refused};
use crate::session::throttle::{self, Verdict};
use crate::state::AppState;

#[derive(Template, Serialize)]
#[template(path = "signup.html")]
pub struct SignUpPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub csrf: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    /// Set once the form was accepted: where the link went.
    pub sent_to: Option<&'a str>,
    pub minutes: i64,
}

#[derive(Template, Serialize)]
#[template(path = "signup_confirm.html")]
pub struct SignUpConfirmPage<'a> {
    #[serde(skip)]
    pub ui: &'a Ui,
    pub csrf: &'a str,
    pub token: &'a str,
    /// The username and address the link would create.
    pub pending: Option<(&'a str, &'a str)>,
    /// The account was created: its username.
    pub created: Option<&'a str>,
    /// The link was good, but its username or address was taken meanwhile.
    pub taken: bool,
}

pages::page!(SignUpPage => "signup.html", SignUpConfirmPage => "signup_confirm.html");

fn closed(state: &AppState, ui: &Ui) -> Option<HttpResponse> {
    (!state.settings.registration.self_service).then(|| pages::not_found_for(ui))
}

struct Form<'a> {
    username: &'a str,
    email: &'a str,
    error: Option<&'a str>,
    sent_to: Option<&'a str>,
}

fn form_page(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    status: StatusCode,
    f: Form<'_>,
) -> HttpResponse {
    let minutes = state.settings.tokens.link_ttl_secs / 60;
    no_store(state.csrf.page(req, state.issuer(), |csrf| {
        pages::show(
            status,
            &SignUpPage {
                ui,
                csrf,
                username: f.username,
                email: f.email,
                error: f.error,
                sent_to: f.sent_to,
                minutes,
            },
        )
    }))
}

/// GET /signup
pub async fn signup_page_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    ui: Ui,
) -> HttpResponse {
    if let Some(res) = closed(&state, &ui) {
        return res;
    }
    let empty = Form {
        username: "",
        email: "",
        error: None,
        sent_to: None,
    };
    form_page(&req, &state, &ui, StatusCode::OK, empty)
}

#[derive(Deserialize)]
pub struct SignUpForm {
    csrf: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn refusal_text(ui: &Ui, refused: &Refused, allowed: &[String]) -> String {
    match refused {
        Refused::Invalid(UserError::InvalidUsername(_)) => ui.t("signup-invalid-username"),
        Refused::Invalid(_) => ui.t("forgot-invalid-email"),
        Refused::Domain => ui.t1("signup-domain-refused", "domains", allowed.join(", ")),
        Refused::UsernameTaken => ui.t("signup-username-taken"),
    }
}

/// POST /signup: checked, throttled per address and per source, hashed off the
/// executor, then stored with its mail queued. The same answer whether or not the address
/// has an account.
pub async fn signup_handler(
    req: HttpRequest,
    form: web::Form<SignUpForm>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    if let Some(res) = closed(&state, &ui) {
        return Ok(res);
    }
    let form = form.into_inner();
    if state
        .csrf
        .check(&req, form.csrf.as_deref(), state.issuer())
        .is_err()
    {
        return Ok(cross_site(&ui));
    }
    let allowed = &state.settings.registration.allowed_email_domains;
    let refuse = |text: &str| {
        form_page(
            &req,
            &state,
            &ui,
            StatusCode::UNPROCESSABLE_ENTITY,
            Form {
                username: &form.username,
                email: &form.email,
                error: Some(text),
                sent_to: None,
            },
        )
    };
    let profile = match signup::check(&form.username, &form.email, allowed) {
        Ok(p) => p,
        Err(r) => return Ok(refuse(&refusal_text(&ui, &r, allowed))),
    };
    let email = profile.email.clone().unwrap_or_default();
    // Its own counters, as for reset links: sign-ups never slow anyone's sign-in.
    let source = state.source(&req);
    let keys = throttle::keys(
        &format!("signup:{email}"),
        &format!("signup:{}", throttle::source_key(&source)),
    );
    let now = state.now();
    match login::reserve(&state.store, &keys, now).await? {
        Verdict::Proceed(pause) if pause.is_zero() => {}
        Verdict::Proceed(_) => return Ok(refuse(&ui.tn("too-many-attempts", "count", 60))),
        Verdict::Refuse(wait) => return Ok(refuse(&ui.tn("too-many-attempts", "count", wait))),
    }
    let passwords = state.passwords.clone();
    let password = Secret::new(form.password.clone());
    let hash = web::block(move || passwords.hash(&password))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let hash = match hash {
        Ok(h) => h,
        Err(e) => return Ok(refuse(&super::password_reset::policy_text(&ui, &e))),
    };
    let voice = ui.voice();
    let (issuer, ttl) = (
        state.issuer().to_string(),
        state.settings.tokens.link_ttl_secs,
    );
    let applied = state
        .store
        .run(move |c| {
            let mailing = Mailing {
                voice: &voice,
                issuer: &issuer,
                ttl,
            };
            signup::apply(c, &profile, &hash, &mailing, now)
        })
        .await?;
    match applied {
        Ok(()) => {
            state.mail.wake();
            let sent = Form {
                username: "",
                email: "",
                error: None,
                sent_to: Some(&email),
            };
            Ok(form_page(&req, &state, &ui, StatusCode::OK, sent))
        }
        Err(r) => Ok(refuse(&refusal_text(&ui, &r, allowed))),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// What the confirmation page shows.
struct Confirm<'a> {
    token: &'a str,
    pending: Option<(&'a str, &'a str)>,
    created: Option<&'a str>,
    taken: bool,
}

fn confirm_page(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    status: StatusCode,
    c: Confirm<'_>,
) -> HttpResponse {
    no_store(state.csrf.page(req, state.issuer(), |csrf| {
        pages::show(
            status,
            &SignUpConfirmPage {
                ui,
                csrf,
                token: c.token,
                pending: c.pending,
                created: c.created,
                taken: c.taken,
            },
        )
    }))
}

/// GET /signup/confirm?token=…: what the link would create, and the button.
pub async fn confirm_page_handler(
    req: HttpRequest,
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    if let Some(res) = closed(&state, &ui) {
        return Ok(res);
    }
    let token = query.into_inner().token;
    let (t, now) = (token.clone(), state.now());
    let pending = if token.is_empty() || token.len() > 128 {
        None
    } else {
        state
            .store
            .run(move |c| signup::pending(c, &t, now))
            .await?
    };
    let status = if pending.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    let shown = Confirm {
        token: &token,
        pending: pending.as_ref().map(|(u, e)| (u.as_str(), e.as_str())),
        created: None,
        taken: false,
    };
    Ok(confirm_page(&req, &state, &ui, status, shown))
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: Option<String>,
    #[serde(default)]
    token: String,
}

/// POST /signup/confirm: uses the link once and creates the account.
pub async fn confirm_handler(
    req: HttpRequest,
    form: web::Form<ConfirmForm>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    if let Some(res) = closed(&state, &ui) {
        return Ok(res);
    }
    let form = form.into_inner();
    if state
        .csrf
        .check(&req, form.csrf.as_deref(), state.issuer())
        .is_err()
    {
        return Ok(cross_site(&ui));
    }
    let (token, now) = (form.token.clone(), state.now());
    let done = if token.is_empty() || token.len() > 128 {
        None
    } else {
        state
            .store
            .run(move |c| signup::complete(c, &token, now))
            .await?
    };
    let (status, created, taken) = match &done {
        Some(Completed::Created { username }) => (StatusCode::OK, Some(username.as_str()), false),
        Some(Completed::Taken) => (StatusCode::CONFLICT, None, true),
        None => (StatusCode::GONE, None, false),
    };
    let shown = Confirm {
        token: "",
        pending: None,
        created,
        taken,
    };
    Ok(confirm_page(&req, &state, &ui, status, shown))
}
