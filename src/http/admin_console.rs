//! The admin console at `/admin`: server-rendered pages for people whose roles include
//! `admin`, signed in through Portcullis itself (with their second factor when enrolled;
//! `acr` ≥ 2 from everyone when `admin.require_mfa`). Clients, users and their sessions,
//! signing keys, the audit log — every change through the same operator actions as the
//! CLI and the admin API (`manage`), CSRF-protected, audited as `user:<id>`.
//!
//! Same look as the sign-in pages, no script, usable at 320 px (DESIGN.md decision 19).

mod audit;
mod clients;
mod form;
mod keys;
mod users;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::{AppError, no_store_page as no_store};
use super::{cookies, pages};
use crate::admin::access::ADMIN_ROLE;
use crate::mfa::level::Level;
use crate::session::sso::{self, Signed};
use crate::state::AppState;

pub use form::Fields;

/// Where the console lives.
pub const BASE: &str = "/admin";

/// A signed-in admin, allowed in.
pub struct Admin {
    pub signed: Signed,
}

impl Admin {
    /// The audit log's actor.
    pub fn actor(&self) -> String {
        format!("user:{}", self.signed.user.id)
    }
}

fn see_other(location: &str) -> HttpResponse {
    no_store(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish(),
    )
}

/// The signed-in admin behind the request, or the answer to send instead: the sign-in
/// page (coming back here), or 403 for someone without the role or without the second
/// factor the settings ask for.
pub async fn admin(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Result<Admin, HttpResponse>, AppError> {
    let signed = sso::current(&state.store, cookies::session_value(req), state.now()).await?;
    let Some(signed) = signed else {
        let back = match req.query_string() {
            "" => format!("{}{}", state.issuer(), req.path()),
            q => format!("{}{}?{q}", state.issuer(), req.path()),
        };
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("rd", &back);
        return Ok(Err(see_other(&format!("/signin?{}", q.finish()))));
    };
    if !signed.user.roles.iter().any(|r| r == ADMIN_ROLE) {
        return Ok(Err(no_store(pages::error_page(
            &pages::Ui::of(req).english(),
            StatusCode::FORBIDDEN,
            "Not an administrator",
            "The admin console is for people with the admin role. Ask an administrator if you need it.",
        ))));
    }
    if state.settings.admin.require_mfa
        && Level::of_stored(signed.session.acr.as_deref()) < Level::TWO_FACTORS
    {
        return Ok(Err(no_store(pages::error_page(
            &pages::Ui::of(req).english(),
            StatusCode::FORBIDDEN,
            "A second factor is required",
            "The admin console needs a sign-in with a second factor. Set one up on your account page (/account), then sign in again (/signin?prompt=login).",
        ))));
    }
    Ok(Ok(Admin { signed }))
}

/// A form post's admin, once its CSRF token holds.
pub async fn form_admin(
    req: &HttpRequest,
    state: &AppState,
    fields: &Fields,
) -> Result<Result<Admin, HttpResponse>, AppError> {
    if state
        .csrf
        .check(req, fields.get("csrf"), state.issuer())
        .is_err()
    {
        return Ok(Err(super::authorize::cross_site(&pages::Ui::of(req))));
    }
    let admin = match admin(req, state).await? {
        Ok(a) => a,
        Err(res) => return Ok(Err(res)),
    };
    // Every console write is sensitive ("sudo mode", hardening round 2 finding 6): an
    // admin whose password or second factor is older than the window signs in again,
    // then comes back to the console.
    if state.now() - admin.signed.session.auth_time
        > state.settings.session.reauthenticate_after_secs
    {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("rd", &format!("{}{BASE}", state.issuer()));
        q.append_pair("prompt", "login");
        return Ok(Err(see_other(&format!("/signin?{}", q.finish()))));
    }
    Ok(Ok(admin))
}

/// A page, with the CSRF cookie its forms need set when it is new.
pub fn page(
    req: &HttpRequest,
    state: &AppState,
    render: impl FnOnce(&str) -> HttpResponse,
) -> HttpResponse {
    no_store(state.csrf.page(req, state.issuer(), render))
}

/// A time for people (RFC 3339, UTC), for the templates.
pub fn time(t: &i64) -> String {
    crate::clock::rfc3339(*t)
}

/// Back to a page with a one-line notice (Post/Redirect/Get).
pub fn back_to(path: &str, notice: &str) -> HttpResponse {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("notice", notice);
    let sep = if path.contains('?') { '&' } else { '?' };
    see_other(&format!("{path}{sep}{}", q.finish()))
}

/// A query parameter of the request, or empty.
pub fn query_value(req: &HttpRequest, name: &str) -> String {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// A refusal by the rules is shown on the form; a database failure is an error page.
pub fn refusal(e: crate::manage::ManageError) -> Result<String, AppError> {
    match e {
        crate::manage::ManageError::Store(s) => Err(s.into()),
        other => Ok(other.to_string()),
    }
}

/// A form page answers 422 when it shows a refusal.
pub fn form_status(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// The notice a redirect carried.
pub fn notice(req: &HttpRequest) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "notice")
        .map(|(_, v)| v.chars().filter(|c| !c.is_control()).take(300).collect())
}

async fn home_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    Ok(match admin(&req, &state).await? {
        Ok(_) => see_other(&format!("{BASE}/clients")),
        Err(res) => res,
    })
}

/// The console's routes, under [`BASE`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home_handler))
        .route("/", web::get().to(home_handler))
        .route("/clients", web::get().to(clients::list_handler))
        .route("/clients", web::post().to(clients::create_handler))
        .route("/clients/{id}", web::get().to(clients::show_handler))
        .route("/clients/{id}", web::post().to(clients::edit_handler))
        .route(
            "/clients/{id}/secret",
            web::post().to(clients::rotate_handler),
        )
        .route(
            "/clients/{id}/delete",
            web::post().to(clients::delete_handler),
        )
        .route("/users", web::get().to(users::list_handler))
        .route("/users", web::post().to(users::create_handler))
        .route("/users/{id}", web::get().to(users::show_handler))
        .route("/users/{id}", web::post().to(users::edit_handler))
        .route(
            "/users/{id}/disable",
            web::post().to(users::disable_handler),
        )
        .route("/users/{id}/enable", web::post().to(users::enable_handler))
        .route(
            "/users/{id}/password",
            web::post().to(users::password_handler),
        )
        .route("/users/{id}/mfa", web::post().to(users::reset_mfa_handler))
        .route("/users/{id}/delete", web::post().to(users::delete_handler))
        .route(
            "/users/{id}/sessions",
            web::post().to(users::end_sessions_handler),
        )
        .route("/keys", web::get().to(keys::list_handler))
        .route("/keys", web::post().to(keys::rotate_handler))
        .route("/audit", web::get().to(audit::list_handler))
        .default_service(web::to(pages::not_found_handler));
}
