//! Console pages for users: list and search, create, edit roles and profile, disable and
//! enable, set a password, reset second factors, see and end sessions, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{
    Admin, BASE, Fields, admin, back_to, form_admin, form_status, notice, page, query_value,
    refusal,
};
use crate::admin::etag;
use crate::domain::opaque;
use crate::domain::secret::Secret;
use crate::domain::user::{User, UserSpec};
use crate::http::admin_api::views::{SessionView, UserView};
use crate::http::error::AppError;
use crate::http::pages;
use crate::manage::{self, ManageError, UserChange};
use crate::state::AppState;
use crate::store::{StoreError, sessions, users};

const PAGE_SIZE: i64 = 100;

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage<'a> {
    /// In English, as the whole console (`Ui::english`).
    ui: crate::http::pages::Ui,
    section: &'static str,
    admin_name: &'a str,
    notice: Option<String>,
    csrf: &'a str,
    q: &'a str,
    users: Vec<UserView>,
    more: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct ShowPage<'a> {
    /// In English, as the whole console (`Ui::english`).
    ui: crate::http::pages::Ui,
    section: &'static str,
    admin_name: &'a str,
    notice: Option<String>,
    csrf: &'a str,
    u: UserView,
    etag: String,
    sessions: Vec<SessionView>,
    factors: manage::mfa::Factors,
    is_self: bool,
    error: Option<String>,
}

fn not_found() -> HttpResponse {
    pages::error_page(
        &pages::Ui::plain(Default::default()),
        StatusCode::NOT_FOUND,
        "No such user",
        "There is no user with this id.",
    )
}

async fn find(state: &AppState, id: String) -> Result<Option<User>, AppError> {
    Ok(state.store.run(move |c| users::find_by_id(c, &id)).await?)
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let q = query_value(req, "q");
    let search = q.clone();
    let found = state
        .store
        .run(move |c| users::page(c, Some(&search), None, PAGE_SIZE + 1))
        .await?;
    let status = form_status(&error);
    Ok(page(req, state, |csrf| {
        pages::render(
            status,
            &ListPage {
                ui: crate::http::pages::Ui::of(req).english(),
                section: "users",
                admin_name: &admin.signed.user.username,
                notice: notice(req),
                csrf,
                q: &q,
                more: found.len() as i64 > PAGE_SIZE,
                users: found
                    .iter()
                    .take(PAGE_SIZE as usize)
                    .map(UserView::from)
                    .collect(),
                error,
            },
        )
    }))
}

/// GET /admin/users
pub async fn list_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    match admin(&req, &state).await? {
        Ok(a) => list_page(&req, &state, &a, None).await,
        Err(res) => Ok(res),
    }
}

/// POST /admin/users
pub async fn create_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let admin = match form_admin(&req, &state, &f).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let spec = UserSpec {
        username: f.get("username").unwrap_or("").to_string(),
        email: f.text("email"),
        display_name: f.text("display_name"),
        roles: f.list("roles"),
    };
    // Without a password the account cannot sign in with one until it is set.
    let password = match f.get("password").filter(|p| !p.is_empty()) {
        Some(p) => Secret::new(p.to_string()),
        None => opaque::generate(32),
    };
    let (actor, now, passwords) = (admin.actor(), state.now(), state.passwords.clone());
    let created = state
        .store
        .run(move |c| {
            Ok::<_, StoreError>(manage::create_user(
                c, &actor, &passwords, spec, &password, now,
            ))
        })
        .await?;
    match created {
        Ok(user) => Ok(back_to(
            &format!("{BASE}/users/{}", user.id),
            "User created.",
        )),
        Err(e) => list_page(&req, &state, &admin, Some(refusal(e)?)).await,
    }
}

async fn show_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    user: &User,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (id, username, now) = (user.id.clone(), user.username.clone(), state.now());
    let (list, factors) = state
        .store
        .run(move |c| {
            let list = sessions::list_for_user(c, &id).map_err(ManageError::from)?;
            let factors = manage::mfa::list(c, &username)?;
            Ok::<_, ManageError>((list, factors))
        })
        .await
        .map_err(|e| match e {
            ManageError::Store(s) => AppError::from(s),
            other => AppError::Unexpected(other.into()),
        })?;
    let view = UserView::from(user);
    let tag = etag::of(&view);
    let status = form_status(&error);
    Ok(page(req, state, |csrf| {
        pages::render(
            status,
            &ShowPage {
                ui: crate::http::pages::Ui::of(req).english(),
                section: "users",
                admin_name: &admin.signed.user.username,
                notice: notice(req),
                csrf,
                is_self: admin.signed.user.id == view.id,
                u: view,
                etag: tag,
                sessions: list
                    .iter()
                    .filter(|s| s.expires_at > now)
                    .map(SessionView::from)
                    .collect(),
                factors,
                error,
            },
        )
    }))
}

/// GET /admin/users/{id}
pub async fn show_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let admin = match admin(&req, &state).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    match find(&state, id.into_inner()).await? {
        Some(user) => show_page(&req, &state, &admin, &user, None).await,
        None => Ok(not_found()),
    }
}

/// The form's admin and the user it is about.
async fn form_target(
    req: &HttpRequest,
    state: &AppState,
    f: &Fields,
    id: String,
) -> Result<Result<(Admin, User), HttpResponse>, AppError> {
    let admin = match form_admin(req, state, f).await? {
        Ok(a) => a,
        Err(res) => return Ok(Err(res)),
    };
    Ok(match find(state, id).await? {
        Some(user) => Ok((admin, user)),
        None => Err(not_found()),
    })
}

/// After a change: back to the user's page with a notice, or the page with the refusal.
async fn after(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    id: &str,
    result: Result<(), ManageError>,
    done: &str,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => {
            crate::http::admin_api::propagate(state, false).await;
            Ok(back_to(&format!("{BASE}/users/{id}"), done))
        }
        Err(ManageError::UserNotFound(_)) => Ok(not_found()),
        Err(e) => {
            let message = refusal(e)?;
            match find(state, id.to_string()).await? {
                Some(user) => show_page(req, state, admin, &user, Some(message)).await,
                None => Ok(not_found()),
            }
        }
    }
}

/// POST /admin/users/{id}: profile and roles, if unchanged since the form was shown.
pub async fn edit_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let (admin, user) = match form_target(&req, &state, &f, id.into_inner()).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let change = UserChange {
        email: Some(f.text("email")),
        display_name: Some(f.text("display_name")),
        roles: Some(f.list("roles")),
        disabled: None,
    };
    let expected = f.get("etag").unwrap_or("").to_string();
    let (actor, now, key) = (admin.actor(), state.now(), user.id.clone());
    let result = state
        .store
        .run(move |c| {
            let unchanged = |u: &User| etag::matches(&expected, &etag::of(&UserView::from(u)));
            Ok::<_, StoreError>(
                manage::update_user(c, &actor, &key, change, &unchanged, now).map(|_| ()),
            )
        })
        .await?;
    after(&req, &state, &admin, &user.id, result, "Changes saved.").await
}

async fn set_disabled(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: String,
    f: Fields,
    disabled: bool,
) -> Result<HttpResponse, AppError> {
    let (admin, user) = match form_target(&req, &state, &f, id).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    if disabled && admin.signed.user.id == user.id {
        return Ok(back_to(
            &format!("{BASE}/users/{}", user.id),
            "You cannot disable your own account here.",
        ));
    }
    let (actor, now, username) = (admin.actor(), state.now(), user.username.clone());
    let result = state
        .store
        .run(move |c| {
            Ok::<_, StoreError>(manage::set_user_disabled(
                c, &actor, &username, disabled, now,
            ))
        })
        .await?;
    let done = if disabled {
        "User disabled; their sessions have ended."
    } else {
        "User enabled."
    };
    after(&req, &state, &admin, &user.id, result, done).await
}

/// POST /admin/users/{id}/disable
pub async fn disable_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    set_disabled(req, state, id.into_inner(), f, true).await
}

/// POST /admin/users/{id}/enable
pub async fn enable_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    set_disabled(req, state, id.into_inner(), f, false).await
}

/// POST /admin/users/{id}/password
pub async fn password_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let (admin, user) = match form_target(&req, &state, &f, id.into_inner()).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let password = Secret::new(f.get("password").unwrap_or("").to_string());
    let (actor, now, username) = (admin.actor(), state.now(), user.username.clone());
    let passwords = state.passwords.clone();
    let result = state
        .store
        .run(move |c| {
            Ok::<_, StoreError>(manage::set_password(
                c, &actor, &passwords, &username, &password, now,
            ))
        })
        .await?;
    after(
        &req,
        &state,
        &admin,
        &user.id,
        result,
        "Password set; their sessions have ended.",
    )
    .await
}

/// POST /admin/users/{id}/mfa: removes every second factor.
pub async fn reset_mfa_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let (admin, user) = match form_target(&req, &state, &f, id.into_inner()).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let (actor, now, username) = (admin.actor(), state.now(), user.username.clone());
    let result = state
        .store
        .run(move |c| {
            Ok::<_, StoreError>(manage::mfa::reset(c, &actor, &username, now).map(|_| ()))
        })
        .await?;
    after(
        &req,
        &state,
        &admin,
        &user.id,
        result,
        "Second factors removed; their sessions have ended.",
    )
    .await
}

/// POST /admin/users/{id}/sessions: ends one session (`sid`) or all of them.
pub async fn end_sessions_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let (admin, user) = match form_target(&req, &state, &f, id.into_inner()).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let sid = f.text("sid");
    let t = &state.settings.tokens;
    let now = state.now();
    let block_until = now + t.access_token_ttl_secs + t.clock_skew_secs;
    let (actor, key) = (admin.actor(), user.id.clone());
    let result = state
        .store
        .run(move |c| {
            let run = |c: &mut crate::store::DbConnection| -> Result<(), ManageError> {
                let ended = match &sid {
                    Some(sid) => {
                        // Only a session of this user.
                        match sessions::find_by_sid(c, sid)? {
                            Some(s) if s.user_id == key => {
                                crate::store::session_end::end_session(c, sid, now, block_until)?;
                                1
                            }
                            _ => 0,
                        }
                    }
                    None => users::end_sessions_and_grants(c, &key, now)?,
                };
                crate::store::audit::record(
                    c,
                    &crate::store::audit::AuditEvent {
                        event: if sid.is_some() {
                            "session.revoked"
                        } else {
                            "session.revoked_all"
                        },
                        actor: &actor,
                        user_id: Some(&key),
                        details: serde_json::json!({ "sid": sid, "sessions_ended": ended }),
                        ..Default::default()
                    },
                    now,
                )?;
                Ok(())
            };
            Ok::<_, StoreError>(run(c))
        })
        .await?;
    after(&req, &state, &admin, &user.id, result, "Sessions ended.").await
}

/// POST /admin/users/{id}/delete
pub async fn delete_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let (admin, user) = match form_target(&req, &state, &f, id.into_inner()).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    if admin.signed.user.id == user.id {
        return Ok(back_to(
            &format!("{BASE}/users/{}", user.id),
            "You cannot delete your own account here.",
        ));
    }
    let (actor, now, username) = (admin.actor(), state.now(), user.username.clone());
    let result = state
        .store
        .run(move |c| Ok::<_, StoreError>(manage::delete_user(c, &actor, &username, now)))
        .await?;
    match result {
        Ok(()) => {
            crate::http::admin_api::propagate(&state, false).await;
            Ok(back_to(
                &format!("{BASE}/users"),
                &format!("User {} deleted.", user.username),
            ))
        }
        Err(e) => after(&req, &state, &admin, &user.id, Err(e), "").await,
    }
}
