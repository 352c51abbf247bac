//! Console page for signing keys: each key's state and schedule, and rotation.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{BASE, Fields, admin, back_to, form_admin, notice, page};
use crate::http::error::AppError;
use crate::http::pages;
use crate::keys::listing::{self, KeySummary};
use crate::keys::rotation::Rotated;
use crate::state::AppState;
use crate::store::signing_keys;

#[derive(Template)]
#[template(path = "admin/keys.html")]
struct KeysPage<'a> {
    /// In English, as the whole console (`Ui::english`).
    ui: crate::http::pages::Ui,
    section: &'static str,
    admin_name: &'a str,
    notice: Option<String>,
    csrf: &'a str,
    keys: Vec<KeySummary>,
    algorithms: Vec<&'static str>,
    rotation_days: i64,
    prepublish_hours: i64,
}

/// GET /admin/keys
pub async fn list_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let admin = match admin(&req, &state).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let rows = state.store.run(signing_keys::list).await?;
    let keys = listing::summaries(&rows, state.now());
    let policy = state.keys.policy();
    Ok(page(&req, &state, |csrf| {
        pages::render(
            StatusCode::OK,
            &KeysPage {
                ui: crate::http::pages::Ui::of(&req).english(),
                section: "keys",
                admin_name: &admin.signed.user.username,
                notice: notice(&req),
                csrf,
                keys,
                algorithms: state.keys.algorithms().iter().map(|a| a.as_str()).collect(),
                rotation_days: policy.rotation_period / 86_400,
                prepublish_hours: policy.prepublish / 3_600,
            },
        )
    }))
}

/// POST /admin/keys: rotates one algorithm's key, scheduled or at once.
pub async fn rotate_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let admin = match form_admin(&req, &state, &f).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let back = format!("{BASE}/keys");
    let Some(alg) = state
        .keys
        .algorithms()
        .iter()
        .copied()
        .find(|a| Some(a.as_str()) == f.get("alg"))
    else {
        return Ok(back_to(&back, "Choose one of the configured algorithms."));
    };
    let now = f.get("when") == Some("now");
    let rotated = state
        .keys
        .rotate(alg, now, false, admin.actor())
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let message = match rotated {
        Rotated::Created { kid, .. } if now => format!("New {alg} key {kid} signs from now on."),
        Rotated::Created { kid, .. } => {
            format!(
                "New {alg} key {kid} is published and becomes active after the pre-publication time."
            )
        }
        Rotated::AlreadyPending { kid, .. } => format!("{alg} key {kid} is already scheduled."),
        Rotated::LostRace => "Another instance rotated at the same moment.".to_string(),
    };
    Ok(back_to(&back, &message))
}
