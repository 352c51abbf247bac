//! `/account`: the signed-in user's own page — the "Sign-in methods" section: set up or
//! remove an authenticator app, and generate recovery codes (shown once). Removing the
//! last second factor, or replacing the recovery codes, needs a sign-in of the last
//! [`FRESH_SIGN_IN_SECS`]; an older session is sent to sign in again first.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::authorize::cross_site;
use super::cookies;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, AccountPage, RecoveryCodesPage};
use super::second_factor;
use crate::mfa::recovery;
use crate::session::login::record;
use crate::session::second_factor::{Checked, Proof, Who};
use crate::session::sso::{self, Signed};
use crate::state::AppState;
use crate::store::mfa;

/// How recent a sign-in must be to remove the last second factor or replace the recovery
/// codes.
pub const FRESH_SIGN_IN_SECS: i64 = 300;

const ACCOUNT: &str = "/account";

fn see_other(location: &str) -> HttpResponse {
    no_store(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish(),
    )
}

/// The sign-in page, coming back here; `fresh` asks for a new sign-in despite a session.
fn sign_in_first(state: &AppState, fresh: bool) -> HttpResponse {
    let rd = format!("{}{ACCOUNT}", state.issuer());
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("rd", &rd);
    if fresh {
        q.append_pair("prompt", "login");
    }
    see_other(&format!("/signin?{}", q.finish()))
}

async fn signed_in(req: &HttpRequest, state: &AppState) -> Result<Option<Signed>, AppError> {
    Ok(sso::current(&state.store, cookies::session_value(req), state.now()).await?)
}

fn is_fresh(signed: &Signed, state: &AppState) -> bool {
    state.now() - signed.session.auth_time <= FRESH_SIGN_IN_SECS
}

async fn account_page(
    req: &HttpRequest,
    state: &AppState,
    signed: &Signed,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let id = signed.user.id.clone();
    let enrolled = state.store.run(move |c| mfa::enrolled(c, &id)).await?;
    let (csrf, cookie) = state.csrf.token(req, state.issuer());
    let mut res = pages::render(
        StatusCode::OK,
        &AccountPage {
            username: &signed.user.username,
            notice,
            totp: enrolled.totp,
            recovery_left: enrolled.recovery_codes_left,
            csrf: &csrf,
        },
    );
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(no_store(res))
}

/// GET /account.
pub async fn account_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    match signed_in(&req, &state).await? {
        Some(signed) => account_page(&req, &state, &signed, None).await,
        None => Ok(sign_in_first(&state, false)),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// The signed-in user of a form post, once its CSRF token holds; else the answer.
async fn form_user(
    req: &HttpRequest,
    state: &AppState,
    csrf: Option<&str>,
) -> Result<Result<Signed, HttpResponse>, AppError> {
    if state.csrf.check(req, csrf, state.issuer()).is_err() {
        return Ok(Err(cross_site()));
    }
    Ok(signed_in(req, state)
        .await?
        .ok_or_else(|| sign_in_first(state, false)))
}

/// POST /account/totp: the enrolment page (QR code and key).
pub async fn totp_start_handler(
    req: HttpRequest,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    second_factor::enrol_page(
        &req,
        &state,
        "/account/totp/confirm",
        None,
        &signed.user,
        None,
        StatusCode::OK,
        false,
    )
    .await
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    #[serde(default)]
    code: String,
}

/// POST /account/totp/confirm: the first code confirms the app; a user without recovery
/// codes gets them now, shown once.
pub async fn totp_confirm_handler(
    req: HttpRequest,
    form: web::Form<CodeForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let source = state.source(&req);
    let who = Who {
        user_id: &signed.user.id,
        source: &source,
        client_id: None,
    };
    let now = state.now();
    let proof = Proof::TotpEnrolment(&form.code);
    let refusal =
        match crate::session::second_factor::check(&state.store, &state.keys, &who, proof, now)
            .await?
        {
            Checked::Accepted(_) => None,
            Checked::Refused(m) => Some((m.to_string(), StatusCode::OK)),
            Checked::Throttled(wait) => Some((
                format!("Too many failed attempts. Try again in {wait} seconds."),
                StatusCode::TOO_MANY_REQUESTS,
            )),
        };
    if let Some((message, status)) = refusal {
        return second_factor::enrol_page(
            &req,
            &state,
            "/account/totp/confirm",
            None,
            &signed.user,
            Some(&message),
            status,
            false,
        )
        .await;
    }
    let id = signed.user.id.clone();
    let left = state
        .store
        .run(move |c| mfa::recovery_codes_left(c, &id))
        .await?;
    if left == 0 {
        return new_recovery_codes(&state, &signed, &source).await;
    }
    account_page(
        &req,
        &state,
        &signed,
        Some("Your authenticator app is set up."),
    )
    .await
}

/// POST /account/totp/remove.
pub async fn totp_remove_handler(
    req: HttpRequest,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let id = signed.user.id.clone();
    let enrolled = state.store.run(move |c| mfa::enrolled(c, &id)).await?;
    // The last factor that is not a backup: recovery codes go with it.
    let last = enrolled.passkeys.is_empty();
    if last && !is_fresh(&signed, &state) {
        return Ok(sign_in_first(&state, true));
    }
    let id = signed.user.id.clone();
    state
        .store
        .run(move |c| {
            use diesel::Connection;
            c.transaction(|c| {
                mfa::delete_totp(c, &id)?;
                if last {
                    mfa::delete_recovery_codes(c, &id)?;
                }
                Ok::<_, crate::store::StoreError>(())
            })
        })
        .await?;
    let details = serde_json::json!({ "method": "totp", "recovery_codes_removed": last });
    record(
        &state.store,
        "mfa.removed",
        Some(&signed.user.id),
        None,
        &state.source(&req),
        details,
        state.now(),
    )
    .await;
    account_page(
        &req,
        &state,
        &signed,
        Some("The authenticator app was removed."),
    )
    .await
}

/// POST /account/recovery-codes: a new set replaces the old one (after a fresh sign-in).
pub async fn recovery_codes_handler(
    req: HttpRequest,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    if !is_fresh(&signed, &state) {
        return Ok(sign_in_first(&state, true));
    }
    new_recovery_codes(&state, &signed, &state.source(&req)).await
}

/// Generates, stores (hashed) and shows a new set of recovery codes.
async fn new_recovery_codes(
    state: &AppState,
    signed: &Signed,
    source: &str,
) -> Result<HttpResponse, AppError> {
    let codes = recovery::generate();
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .filter_map(|c| recovery::hash(c.expose()))
        .collect();
    let (id, now) = (signed.user.id.clone(), state.now());
    state
        .store
        .run(move |c| {
            use diesel::Connection;
            c.transaction(|c| mfa::replace_recovery_codes(c, &id, &hashes, now))
        })
        .await?;
    let details = serde_json::json!({ "count": codes.len() });
    record(
        &state.store,
        "mfa.recovery_codes_generated",
        Some(&signed.user.id),
        None,
        source,
        details,
        now,
    )
    .await;
    let shown: Vec<&str> = codes.iter().map(|c| c.expose().as_str()).collect();
    Ok(no_store(pages::render(
        StatusCode::OK,
        &RecoveryCodesPage {
            codes: shown,
            next: ACCOUNT,
            next_label: "Back to your account",
        },
    )))
}
