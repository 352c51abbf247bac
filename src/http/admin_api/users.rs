//! `/admin/api/v1/users`: list and search, create, read, edit, delete, set a password,
//! disable and enable, reset second factors — the operations of `portcullis user`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::{ApiError, Problems};
use super::views::{MfaReset, PasswordInput, UserInput, UserPage, UserPatch, UserView};
use super::{BASE, caller, if_match, json, paging, propagate, with_etag};
use crate::admin::access::Need;
use crate::admin::{cursor, etag};
use crate::domain::opaque;
use crate::domain::secret::Secret;
use crate::domain::user::{User, UserSpec};
use crate::manage::{self, UserChange};
use crate::state::AppState;
use crate::store::users;

const KIND: &str = "users";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only users whose username, email or display name contains this text.
    q: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

pub async fn load(state: &AppState, id: String) -> Result<User, ApiError> {
    let missing = id.clone();
    state
        .store
        .run(move |c| users::find_by_id(c, &id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user with id `{missing}`")))
}

/// List users, ordered by id.
#[utoipa::path(get, operation_id = "listUsers", path = "/admin/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, body = UserPage), Problems),
    security(("admin_token" = ["portcullis:admin:read"])))]
pub async fn list_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &state, Need::Read).await?;
    let query = query.into_inner();
    let (limit, after) = paging(KIND, query.limit, query.cursor.as_deref())?;
    let list = state
        .store
        .run(move |c| users::page(c, query.q.as_deref(), after.as_deref(), limit + 1))
        .await?;
    let (items, next) = cursor::page(list, limit, |u| u.id.clone());
    Ok(json(&UserPage {
        items: items.iter().map(UserView::from).collect(),
        next_cursor: next.map(|k| cursor::after(KIND, &k)),
    }))
}

/// Create a user.
#[utoipa::path(post, operation_id = "createUser", path = "/admin/api/v1/users", tag = "users", request_body = UserInput,
    responses((status = 201, body = UserView, headers(("Location" = String), ("ETag" = String))), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn create_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<UserInput>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let input = body.into_inner();
    let spec = UserSpec {
        username: input.username,
        email: input.email,
        display_name: input.display_name,
        roles: input.roles,
    };
    // Without a password the account gets one nobody knows: it cannot sign in with a
    // password until an operator (or a reset) sets one.
    let password = match input.password {
        Some(p) => Secret::new(p),
        None => opaque::generate(32),
    };
    let passwords = state.passwords.clone();
    let now = state.now();
    let user = state
        .store
        .run(move |c| {
            manage::create_user(c, &actor, &passwords, spec, &password, now).map_err(ApiError::from)
        })
        .await?;
    let view = UserView::from(&user);
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("{BASE}/users/{}", view.id)))
        .insert_header((header::ETAG, etag::of(&view)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    Ok(res.json(view))
}

/// Read one user.
#[utoipa::path(get, operation_id = "getUser", path = "/admin/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses((status = 200, body = UserView, headers(("ETag" = String))), Problems),
    security(("admin_token" = ["portcullis:admin:read"])))]
pub async fn get_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &state, Need::Read).await?;
    let user = load(&state, id.into_inner()).await?;
    Ok(with_etag(HttpResponse::Ok(), &UserView::from(&user)))
}

/// Edit a user (fields present replace; `null` clears). Needs `If-Match`.
#[utoipa::path(patch, operation_id = "updateUser", path = "/admin/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = String, Path, description = "The user's id (`sub`)"),
        ("If-Match" = String, Header, description = "The ETag the change is based on")),
    responses((status = 200, body = UserView, headers(("ETag" = String))), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn update_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let expected = if_match(&req)?;
    let patch = body.into_inner();
    let change = UserChange {
        email: patch.email,
        display_name: patch.display_name,
        roles: patch.roles,
        disabled: patch.disabled,
    };
    let id = id.into_inner();
    let now = state.now();
    let user = state
        .store
        .run(move |c| {
            let unchanged = |u: &User| etag::matches(&expected, &etag::of(&UserView::from(u)));
            manage::update_user(c, &actor, &id, change, &unchanged, now).map_err(ApiError::from)
        })
        .await?;
    propagate(&state, false).await;
    Ok(with_etag(HttpResponse::Ok(), &UserView::from(&user)))
}

/// Delete a user; their sessions end (with back-channel logout) first.
#[utoipa::path(delete, operation_id = "deleteUser", path = "/admin/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses((status = 204, description = "Deleted"), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn delete_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let user = load(&state, id.into_inner()).await?;
    let now = state.now();
    state
        .store
        .run(move |c| manage::delete_user(c, &actor, &user.username, now).map_err(ApiError::from))
        .await?;
    propagate(&state, false).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a user's password (the password policy applies); their sessions end and their
/// refresh tokens are revoked, since a reset usually answers a compromise.
#[utoipa::path(put, operation_id = "setUserPassword", path = "/admin/api/v1/users/{id}/password", tag = "users", request_body = PasswordInput,
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses((status = 204, description = "Set"), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn password_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<PasswordInput>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let password = Secret::new(body.into_inner().password);
    let user = load(&state, id.into_inner()).await?;
    let passwords = state.passwords.clone();
    let now = state.now();
    state
        .store
        .run(move |c| {
            manage::set_password(c, &actor, &passwords, &user.username, &password, now)
                .map_err(ApiError::from)
        })
        .await?;
    propagate(&state, false).await;
    Ok(HttpResponse::NoContent().finish())
}

async fn set_disabled(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: String,
    disabled: bool,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let user = load(&state, id).await?;
    let now = state.now();
    let username = user.username.clone();
    state
        .store
        .run(move |c| {
            manage::set_user_disabled(c, &actor, &username, disabled, now).map_err(ApiError::from)
        })
        .await?;
    propagate(&state, false).await;
    let user = load(&state, user.id).await?;
    Ok(with_etag(HttpResponse::Ok(), &UserView::from(&user)))
}

/// Disable a user: they cannot sign in, their sessions end and their refresh tokens
/// are revoked.
#[utoipa::path(post, operation_id = "disableUser", path = "/admin/api/v1/users/{id}/disable", tag = "users",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses((status = 200, body = UserView), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn disable_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(req, state, id.into_inner(), true).await
}

/// Enable a user again.
#[utoipa::path(post, operation_id = "enableUser", path = "/admin/api/v1/users/{id}/enable", tag = "users",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses((status = 200, body = UserView), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn enable_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(req, state, id.into_inner(), false).await
}

/// Remove every second factor of a user (authenticator app, passkeys, recovery codes)
/// and end their sessions: for someone who lost their devices.
#[utoipa::path(delete, operation_id = "resetUserMfa", path = "/admin/api/v1/users/{id}/mfa", tag = "users",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses((status = 200, body = MfaReset), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn reset_mfa_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let user = load(&state, id.into_inner()).await?;
    let now = state.now();
    let reset = state
        .store
        .run(move |c| manage::mfa::reset(c, &actor, &user.username, now).map_err(ApiError::from))
        .await?;
    propagate(&state, false).await;
    Ok(json(&MfaReset {
        totp: reset.totp,
        passkeys: reset.passkeys,
        recovery_codes: reset.recovery_codes,
        sessions_ended: reset.sessions_ended,
    }))
}
