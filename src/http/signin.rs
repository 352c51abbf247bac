//! `/signin?rd=<url>`: the sign-in page of browsers sent by a gateway in session mode (and
//! of any page of ours that needs a signed-in user). After the password (and the second
//! factor, `/signin/factor`, when one is due), the browser goes back to `rd` — only to the
//! issuer's origin or a host in `forward_auth.allowed_redirect_hosts`
//! (`forward_auth::redirect`), never elsewhere. `prompt=login` asks for a fresh sign-in
//! even with a live session (the account page does before removing a factor).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::authorize::cross_site;
use super::cookies;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, LoginPage, Ui};
use super::password::{self, Outcome};
use super::second_factor::{self, Place, Proving, Submitted};
use crate::forward_auth::redirect;
use crate::session::sso;
use crate::state::AppState;

fn refused(ui: &Ui) -> HttpResponse {
    no_store(pages::error_page(
        ui,
        StatusCode::BAD_REQUEST,
        &ui.t("error-cannot-continue-title"),
        &ui.t("error-cannot-continue"),
    ))
}

fn back_to(url: &url::Url) -> HttpResponse {
    no_store(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url.as_str()))
            .finish(),
    )
}

fn page(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    rd: &url::Url,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let (csrf, cookie) = state.csrf.token(req, state.issuer());
    let passkey = super::authorize::passkey_sign_in(state, "/signin/passkey");
    let with_script = passkey.is_some();
    let mut res = pages::show(
        status,
        &LoginPage {
            ui,
            destination: rd.host_str().unwrap_or_default(),
            action: "/signin",
            carry_name: "rd",
            carry_value: rd.as_str(),
            csrf: &csrf,
            username,
            error,
            passkey,
            script: pages::WEBAUTHN_SCRIPT,
            signup: state.settings.registration.self_service,
            upstreams: pages::upstream_buttons(state, "rd", rd.as_str()),
        },
    );
    if with_script {
        pages::allow_webauthn_script(ui, &mut res);
    }
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    no_store(res)
}

/// Where the browser returns: `rd` (the issuer itself when absent) if it may go there.
pub(super) fn destination(state: &AppState, rd: Option<&str>) -> Option<url::Url> {
    let rd = rd.unwrap_or(state.issuer());
    redirect::allowed(rd, state.issuer(), &state.forward_auth.redirect_hosts)
}

/// `rd` of the query: `Err` when it is given twice (which one would the user mean?).
fn query_rd(req: &HttpRequest) -> Result<Option<String>, ()> {
    let mut found = None;
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if k == "rd" && found.replace(v.into_owned()).is_some() {
            return Err(());
        }
    }
    Ok(found)
}

/// `prompt=login` in the query: a fresh sign-in is wanted.
fn wants_fresh(req: &HttpRequest) -> bool {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| k == "prompt" && v == "login")
}

/// After a sign-in elsewhere that still owes a second factor: the factor page of a
/// standalone sign-in going back to `rd`. The caller sets the pending sign-in's cookie.
pub async fn factor_for_pending(
    req: &HttpRequest,
    state: &AppState,
    ui: &Ui,
    rd: &url::Url,
    pending: &crate::session::login::Pending,
) -> Result<HttpResponse, AppError> {
    let proving = second_factor::proving_pending(state, pending).await?;
    second_factor::page(
        req,
        state,
        ui,
        &place(rd),
        &proving,
        None,
        None,
        StatusCode::OK,
    )
    .await
}

fn place(rd: &url::Url) -> Place<'_> {
    Place {
        action: "/signin/factor",
        carry_name: "rd",
        carry_value: rd.as_str(),
        destination: rd.host_str().unwrap_or_default(),
        client_id: None,
    }
}

/// GET /signin: straight back when already signed in, else the form.
pub async fn signin_page_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let Ok(rd) = query_rd(&req) else {
        return Ok(refused(&ui));
    };
    let Some(rd) = destination(&state, rd.as_deref()) else {
        return Ok(refused(&ui));
    };
    if !wants_fresh(&req)
        && sso::current(&state.store, cookies::session_value(&req), state.now())
            .await?
            .is_some()
    {
        return Ok(back_to(&rd));
    }
    Ok(page(&req, &state, &ui, &rd, "", None, StatusCode::OK))
}

#[derive(Deserialize)]
pub struct SignInForm {
    rd: String,
    csrf: Option<String>,
    username: String,
    password: String,
}

/// POST /signin: the password, then back to `rd` with the session cookie.
pub async fn signin_handler(
    req: HttpRequest,
    form: web::Form<SignInForm>,
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
    let Some(rd) = destination(&state, Some(&form.rd)) else {
        return Ok(refused(&ui));
    };
    match password::sign_in(&req, &state, &ui, &form.username, form.password, None).await? {
        Outcome::Refused(message, status) => Ok(page(
            &req,
            &state,
            &ui,
            &rd,
            &form.username,
            Some(&message),
            status,
        )),
        Outcome::SignedIn(_, cookie_value) => {
            let mut res = back_to(&rd);
            password::set_session_cookie(&mut res, &state, &cookie_value);
            Ok(res)
        }
        Outcome::Pending(pending) => {
            let proving = second_factor::proving_pending(&state, &pending).await?;
            let mut res = second_factor::page(
                &req,
                &state,
                &ui,
                &place(&rd),
                &proving,
                None,
                None,
                StatusCode::OK,
            )
            .await?;
            password::set_pending_cookie(&mut res, &state, &pending.cookie_value);
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct SignInPasskeyForm {
    rd: String,
    csrf: Option<String>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    credential: String,
}

/// POST /signin/passkey: "Sign in with a passkey" on the standalone sign-in page.
pub async fn signin_passkey_handler(
    req: HttpRequest,
    form: web::Form<SignInPasskeyForm>,
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
    let Some(rd) = destination(&state, Some(&form.rd)) else {
        return Ok(refused(&ui));
    };
    match super::passkey_sign_in::sign_in(&req, &state, &ui, &form.state, &form.credential, None)
        .await?
    {
        Ok((_, cookie)) => {
            let mut res = back_to(&rd);
            password::set_session_cookie(&mut res, &state, &cookie);
            Ok(res)
        }
        Err(message) => Ok(page(
            &req,
            &state,
            &ui,
            &rd,
            "",
            Some(&message),
            StatusCode::OK,
        )),
    }
}

#[derive(Deserialize)]
pub struct SignInFactorForm {
    rd: String,
    csrf: Option<String>,
    #[serde(flatten)]
    answer: second_factor::Answer,
}

/// POST /signin/factor: the second factor of a standalone sign-in.
pub async fn signin_factor_handler(
    req: HttpRequest,
    form: web::Form<SignInFactorForm>,
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
    let Some(rd) = destination(&state, Some(&form.rd)) else {
        return Ok(refused(&ui));
    };
    // Only a pending sign-in here: a live session has nothing to prove on this page.
    let Some(proving @ Proving::Pending(_)) = second_factor::proving(&req, &state).await? else {
        return Ok(page(&req, &state, &ui, &rd, "", None, StatusCode::OK));
    };
    match second_factor::submit(&req, &state, &ui, &proving, &form.answer, None).await? {
        Submitted::Accepted(_, cookie) => {
            let mut res = back_to(&rd);
            second_factor::set_cookies(&mut res, &state, cookie.as_ref());
            Ok(res)
        }
        Submitted::Refused(message, status) => {
            second_factor::page(
                &req,
                &state,
                &ui,
                &place(&rd),
                &proving,
                None,
                Some(&message),
                status,
            )
            .await
        }
        Submitted::Gone => Ok(page(&req, &state, &ui, &rd, "", None, StatusCode::OK)),
        Submitted::Voided(message) => {
            let mut res = page(&req, &state, &ui, &rd, "", Some(&message), StatusCode::OK);
            let _ = res.add_cookie(&super::cookies::clear_pending_cookie(state.issuer()));
            Ok(res)
        }
    }
}
