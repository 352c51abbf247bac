//! `/signin?rd=<url>`: the sign-in page of browsers sent by a gateway in session mode (and
//! of any page of ours that needs a signed-in user). After the password, the browser goes
//! back to `rd` — only to the issuer's origin or a host in
//! `forward_auth.allowed_redirect_hosts` (`forward_auth::redirect`), never elsewhere.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::authorize::cross_site;
use super::cookies;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, SignInPage};
use crate::domain::secret::Secret;
use crate::forward_auth::redirect;
use crate::session::login::{self, Attempt, SignIn};
use crate::session::sso;
use crate::state::AppState;

fn refused() -> HttpResponse {
    no_store(pages::error_page(
        StatusCode::BAD_REQUEST,
        "Cannot continue",
        "Portcullis may not send you back to that address. Go back to the application and try again.",
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
    rd: &url::Url,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let (csrf, cookie) = state.csrf.token(req, state.issuer());
    let destination = rd.host_str().unwrap_or_default();
    let mut res = pages::render(
        status,
        &SignInPage {
            destination,
            rd: rd.as_str(),
            csrf: &csrf,
            username,
            error,
        },
    );
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    no_store(res)
}

#[derive(Deserialize)]
pub struct SignInQuery {
    rd: Option<String>,
}

fn destination(state: &AppState, rd: Option<&str>) -> Option<url::Url> {
    let rd = rd.unwrap_or(state.issuer());
    redirect::allowed(rd, state.issuer(), &state.forward_auth.redirect_hosts)
}

/// GET /signin: straight back when already signed in, else the form.
pub async fn signin_page_handler(
    req: HttpRequest,
    query: web::Query<SignInQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(rd) = destination(&state, query.rd.as_deref()) else {
        return Ok(refused());
    };
    if sso::current(&state.store, cookies::session_value(&req), state.now())
        .await?
        .is_some()
    {
        return Ok(back_to(&rd));
    }
    Ok(page(&req, &state, &rd, "", None, StatusCode::OK))
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
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if state
        .csrf
        .check(&req, form.csrf.as_deref(), state.issuer())
        .is_err()
    {
        return Ok(cross_site());
    }
    let Some(rd) = destination(&state, Some(&form.rd)) else {
        return Ok(refused());
    };
    let source = state.source(&req);
    let ttl = state.settings.tokens.session_ttl_secs;
    let outcome = login::sign_in(
        &state.password_checker,
        &state.store,
        Attempt {
            username: &form.username,
            password: Secret::new(form.password),
            source: &source,
            client_id: None,
        },
        ttl,
        state.now(),
    )
    .await?;
    match outcome {
        SignIn::Throttled(wait) => {
            state.metrics.login("throttled");
            let msg = format!("Too many failed attempts. Try again in {wait} seconds.");
            Ok(page(
                &req,
                &state,
                &rd,
                &form.username,
                Some(&msg),
                StatusCode::TOO_MANY_REQUESTS,
            ))
        }
        SignIn::Failed => {
            state.metrics.login("failed");
            Ok(page(
                &req,
                &state,
                &rd,
                &form.username,
                Some("The username or password is not correct."),
                StatusCode::OK,
            ))
        }
        SignIn::SignedIn(_, cookie_value) => {
            state.metrics.login("succeeded");
            let mut res = back_to(&rd);
            let _ = res.add_cookie(&cookies::session_cookie(
                &cookie_value,
                state.issuer(),
                ttl,
                state.settings.forward_auth.session_cookie_domain.as_deref(),
            ));
            Ok(res)
        }
    }
}
