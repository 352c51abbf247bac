//! `/account`: the signed-in user's own page — the "Sign-in methods" section: set up or
//! remove an authenticator app, and generate recovery codes (shown once). Adding a passkey
//! or an authenticator app, removing the last second factor and replacing the recovery
//! codes need a password or second factor entered within
//! `session.reauthenticate_after_secs` ("sudo mode", hardening round 2 finding 6); an older
//! session is sent to sign in again first.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::account_page::account_page;
use super::authorize::cross_site;
use super::cookies;
use super::error::{AppError, no_store_page as no_store};
use super::pages::{self, RecoveryCodesPage, Ui};
use super::second_factor;
use crate::mfa::recovery;
use crate::session::login::record;
use crate::session::passkeys::RegistrationAnswer;
use crate::session::second_factor::{Checked, Proof, Who};
use crate::session::sso::{self, Signed};
use crate::state::AppState;
use crate::store::mfa;

const ACCOUNT: &str = "/account";

pub(super) fn see_other(location: &str) -> HttpResponse {
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

pub(super) async fn signed_in(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<Signed>, AppError> {
    Ok(sso::current(&state.store, cookies::session_value(req), state.now()).await?)
}

/// Whether the session proved itself (password or second factor) recently enough for a
/// sensitive change (`session.reauthenticate_after_secs`; a step-up counts).
pub(super) fn is_fresh(signed: &Signed, state: &AppState) -> bool {
    state.now() - signed.session.auth_time <= state.settings.session.reauthenticate_after_secs
}

/// The answer to a sensitive change asked of a session that is not fresh: sign in again,
/// then back to the account page.
pub(super) fn reauthenticate(state: &AppState) -> HttpResponse {
    sign_in_first(state, true)
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
pub(super) async fn form_user(
    req: &HttpRequest,
    state: &AppState,
    csrf: Option<&str>,
) -> Result<Result<Signed, HttpResponse>, AppError> {
    if state.csrf.check(req, csrf, state.issuer()).is_err() {
        return Ok(Err(cross_site(&Ui::of(req))));
    }
    Ok(signed_in(req, state)
        .await?
        .ok_or_else(|| sign_in_first(state, false)))
}

/// [`form_user`] for a sensitive change: the session must also be fresh
/// ([`is_fresh`]); an older one is sent to sign in again first.
pub(super) async fn fresh_form_user(
    req: &HttpRequest,
    state: &AppState,
    csrf: Option<&str>,
) -> Result<Result<Signed, HttpResponse>, AppError> {
    Ok(match form_user(req, state, csrf).await? {
        Ok(signed) if !is_fresh(&signed, state) => Err(reauthenticate(state)),
        other => other,
    })
}

/// POST /account/totp: the enrolment page (QR code and key).
pub async fn totp_start_handler(
    req: HttpRequest,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let signed = match fresh_form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    second_factor::enrol_page(
        &req,
        &state,
        &Ui::of(&req),
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
    let ui = Ui::of(&req);
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
        pending: None,
        notice: None,
    };
    let now = state.now();
    let proof = Proof::TotpEnrolment(&form.code);
    let refusal =
        match crate::session::second_factor::check(&state.store, &state.keys, &who, proof, now)
            .await?
        {
            Checked::Accepted(_) => None,
            Checked::Refused(r) => Some((second_factor::refusal_text(&ui, r), StatusCode::OK)),
            Checked::Throttled(wait) => Some((
                ui.tn("too-many-attempts", "count", wait),
                StatusCode::TOO_MANY_REQUESTS,
            )),
            // Only a pending sign-in can be voided; this is a signed-in enrolment.
            Checked::Voided => Some((ui.t("factor-voided"), StatusCode::OK)),
        };
    if let Some((message, status)) = refusal {
        return second_factor::enrol_page(
            &req,
            &state,
            &ui,
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
        return new_recovery_codes(&state, &ui, &signed, &source).await;
    }
    account_page(&req, &state, &signed, Some(&ui.t("notice-totp-added"))).await
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
    remove_factor(&req, &state, &signed, last, "totp", None).await
}

/// Removes the authenticator app or one passkey; when it is the last factor (recovery
/// codes aside), only after a fresh sign-in, and the recovery codes go too.
async fn remove_factor(
    req: &HttpRequest,
    state: &AppState,
    signed: &Signed,
    last: bool,
    method: &'static str,
    passkey_id: Option<String>,
) -> Result<HttpResponse, AppError> {
    if last && !is_fresh(signed, state) {
        return Ok(sign_in_first(state, true));
    }
    let id = signed.user.id.clone();
    let which = passkey_id.clone();
    let removed = state
        .store
        .run(move |c| {
            use diesel::Connection;
            c.transaction(|c| {
                let removed = match &which {
                    Some(p) => mfa::delete_passkey(c, &id, p)?,
                    None => mfa::delete_totp(c, &id)? == 1,
                };
                if removed && last {
                    mfa::delete_recovery_codes(c, &id)?;
                }
                Ok::<_, crate::store::StoreError>(removed)
            })
        })
        .await?;
    if !removed {
        let notice = Ui::of(req).t("notice-nothing-removed");
        return account_page(req, state, signed, Some(&notice)).await;
    }
    let details = serde_json::json!({ "method": method, "recovery_codes_removed": last });
    let source = state.source(req);
    record(
        &state.store,
        "mfa.removed",
        Some(&signed.user.id),
        None,
        &source,
        details,
        state.now(),
    )
    .await;
    let ui = Ui::of(req);
    let notice = match method {
        "totp" => ui.t("notice-totp-removed"),
        _ => ui.t("notice-passkey-removed"),
    };
    account_page(req, state, signed, Some(&notice)).await
}

#[derive(Deserialize)]
pub struct PasskeyAddForm {
    csrf: Option<String>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    name: String,
}

/// A passkey's name: trimmed, 1–64 characters, no control characters.
fn passkey_name(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = (1..=64).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    ok.then(|| name.to_string())
}

/// POST /account/passkeys: the browser's answer to the registration ceremony.
pub async fn passkey_add_handler(
    req: HttpRequest,
    form: web::Form<PasskeyAddForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match fresh_form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let Some(name) = passkey_name(&form.name) else {
        let notice = Ui::of(&req).t("notice-passkey-bad-name");
        return account_page(&req, &state, &signed, Some(&notice)).await;
    };
    let now = state.now();
    let added = state
        .passkeys
        .finish_registration(
            &state.store,
            &state.keys,
            &RegistrationAnswer {
                user_id: &signed.user.id,
                sealed: &form.state,
                credential: &form.credential,
                name: &name,
            },
            now,
        )
        .await;
    match added {
        Ok(row) => {
            let details =
                serde_json::json!({ "method": "passkey", "name": row.name, "synced": row.synced });
            let source = state.source(&req);
            record(
                &state.store,
                "mfa.enrolled",
                Some(&signed.user.id),
                None,
                &source,
                details,
                now,
            )
            .await;
            let notice = Ui::of(&req).t("notice-passkey-added");
            account_page(&req, &state, &signed, Some(&notice)).await
        }
        Err(crate::session::passkeys::PasskeyError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::info!(error = %e, "passkey registration refused");
            let notice = Ui::of(&req).t("notice-passkey-failed");
            account_page(&req, &state, &signed, Some(&notice)).await
        }
    }
}

#[derive(Deserialize)]
pub struct PasskeyForm {
    csrf: Option<String>,
    id: String,
    #[serde(default)]
    name: String,
}

/// POST /account/passkeys/rename.
pub async fn passkey_rename_handler(
    req: HttpRequest,
    form: web::Form<PasskeyForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match fresh_form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let Some(name) = passkey_name(&form.name) else {
        let notice = Ui::of(&req).t("notice-passkey-bad-name");
        return account_page(&req, &state, &signed, Some(&notice)).await;
    };
    let (id, pk) = (signed.user.id.clone(), form.id.clone());
    let renamed = state
        .store
        .run(move |c| mfa::rename_passkey(c, &id, &pk, &name))
        .await?;
    let ui = Ui::of(&req);
    let notice = if renamed {
        ui.t("notice-passkey-renamed")
    } else {
        ui.t("notice-nothing-renamed")
    };
    account_page(&req, &state, &signed, Some(&notice)).await
}

/// POST /account/passkeys/remove.
pub async fn passkey_remove_handler(
    req: HttpRequest,
    form: web::Form<PasskeyForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let signed = match form_user(&req, &state, form.csrf.as_deref()).await? {
        Ok(s) => s,
        Err(res) => return Ok(res),
    };
    let id = signed.user.id.clone();
    let enrolled = state.store.run(move |c| mfa::enrolled(c, &id)).await?;
    let last = !enrolled.totp && enrolled.passkeys.len() <= 1;
    remove_factor(&req, &state, &signed, last, "passkey", Some(form.id)).await
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
    new_recovery_codes(&state, &Ui::of(&req), &signed, &state.source(&req)).await
}

/// Generates, stores (hashed) and shows a new set of recovery codes.
async fn new_recovery_codes(
    state: &AppState,
    ui: &Ui,
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
    Ok(no_store(pages::show(
        StatusCode::OK,
        &RecoveryCodesPage {
            ui,
            codes: shown,
            next: ACCOUNT,
            next_label: &ui.t("recovery-codes-back"),
        },
    )))
}
