//! The authorization request's sign-in steps beyond the password: the second factor (or
//! step-up) on `/login/factor`, and "Sign in with a passkey" on `/login/passkey`. Each
//! validates the carried request again, runs the step, then continues the decision.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{Render, expired, form_request, proceed};
use crate::authorize::decision::Fresh;
use crate::http::error::AppError;
use crate::http::pages::Ui;
use crate::http::passkey_sign_in;
use crate::http::password;
use crate::http::second_factor::{self, Submitted};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct PasskeyForm {
    params: String,
    csrf: Option<String>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    credential: String,
}

/// POST /login/passkey: "Sign in with a passkey" within an authorization request.
pub async fn login_passkey_handler(
    req: HttpRequest,
    form: web::Form<PasskeyForm>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let auth = match form_request(&req, &state, &ui, form.csrf.as_deref(), &form.params).await? {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let render = Render::of(&req, &state, &ui, &auth);
    let client_id = Some(auth.client.id.as_str());
    let (signed, cookie) = match passkey_sign_in::sign_in(
        &req,
        &state,
        &render.ui,
        &form.state,
        &form.credential,
        client_id,
    )
    .await?
    {
        Ok(s) => s,
        Err(message) => return Ok(render.login("", Some(&message), StatusCode::OK)),
    };
    let fresh = Fresh {
        login: true,
        consent: false,
    };
    let step = proceed(&state, &auth, Some(signed), fresh).await?;
    let mut res = render.step(step).await?;
    password::set_session_cookie(&mut res, &state, &cookie);
    Ok(res)
}

#[derive(Deserialize)]
pub struct FactorForm {
    params: String,
    csrf: Option<String>,
    #[serde(flatten)]
    answer: second_factor::Answer,
}

/// POST /login/factor: the second factor of a sign-in, or a step-up, within an
/// authorization request.
pub async fn login_factor_handler(
    req: HttpRequest,
    form: web::Form<FactorForm>,
    state: web::Data<AppState>,
    ui: Ui,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let auth = match form_request(&req, &state, &ui, form.csrf.as_deref(), &form.params).await? {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let render = Render::of(&req, &state, &ui, &auth);
    let Some(proving) = second_factor::proving(&req, &state).await? else {
        return Ok(expired(&render.ui, "error-signed-out-title"));
    };
    let client_id = Some(auth.client.id.as_str());
    let (signed, new_session) =
        match second_factor::submit(&req, &state, &render.ui, &proving, &form.answer, client_id)
            .await?
        {
            Submitted::Accepted(signed, cookie) => (*signed, cookie),
            Submitted::Refused(message, status) => {
                return render.factor(&proving, Some(&message), status).await;
            }
            Submitted::Gone => return Ok(expired(&render.ui, "error-signed-out-title")),
            Submitted::Voided(message) => {
                let username = proving.user().username.clone();
                let mut res = render.login(&username, Some(&message), StatusCode::OK);
                let _ = res.add_cookie(&crate::http::cookies::clear_pending_cookie(state.issuer()));
                return Ok(res);
            }
        };
    let fresh = Fresh {
        login: true,
        consent: false,
    };
    let step = proceed(&state, &auth, Some(signed), fresh).await?;
    let mut res = render.step(step).await?;
    second_factor::set_cookies(&mut res, &state, new_session.as_ref());
    Ok(res)
}
