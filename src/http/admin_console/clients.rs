//! Console pages for clients: list and search, register (the secret shown once), edit,
//! replace the secret, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{
    Admin, BASE, Fields, admin, back_to, form_admin, form_status, notice, page, query_value,
    refusal,
};
use crate::admin::etag;
use crate::domain::client::Client;
use crate::domain::registration::ClientSpec;
use crate::http::admin_api::views::ClientView;
use crate::http::error::AppError;
use crate::http::pages;
use crate::manage::{self, ManageError};
use crate::state::AppState;
use crate::store::{StoreError, clients};

/// The grant types the create and edit forms offer.
const GRANTS: [&str; 5] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
];

const PAGE_SIZE: i64 = 100;

#[derive(Template)]
#[template(path = "admin/clients.html")]
struct ListPage<'a> {
    /// In English, as the whole console (`Ui::english`).
    ui: crate::http::pages::Ui,
    section: &'static str,
    admin_name: &'a str,
    notice: Option<String>,
    csrf: &'a str,
    q: &'a str,
    clients: Vec<ClientView>,
    more: bool,
    grants: &'static [&'static str],
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/client.html")]
struct ShowPage<'a> {
    /// In English, as the whole console (`Ui::english`).
    ui: crate::http::pages::Ui,
    section: &'static str,
    admin_name: &'a str,
    notice: Option<String>,
    csrf: &'a str,
    c: ClientView,
    etag: String,
    grants: &'static [&'static str],
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/secret.html")]
struct SecretPage<'a> {
    /// In English, as the whole console (`Ui::english`).
    ui: crate::http::pages::Ui,
    section: &'static str,
    admin_name: &'a str,
    notice: Option<String>,
    client_id: &'a str,
    secret: &'a str,
}

async fn find(state: &AppState, id: String) -> Result<Option<Client>, AppError> {
    Ok(state.store.run(move |c| clients::find(c, &id)).await?)
}

fn not_found() -> HttpResponse {
    pages::error_page(
        &pages::Ui::plain(Default::default()),
        StatusCode::NOT_FOUND,
        "No such client",
        "There is no client with this id.",
    )
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
        .run(move |c| {
            let ids = clients::page_ids(c, Some(&search), None, PAGE_SIZE + 1)?;
            let mut out = Vec::new();
            for id in ids {
                if let Some(client) = clients::find(c, &id)? {
                    out.push(client);
                }
            }
            Ok::<_, StoreError>(out)
        })
        .await?;
    let more = found.len() as i64 > PAGE_SIZE;
    let status = form_status(&error);
    Ok(page(req, state, |csrf| {
        pages::render(
            status,
            &ListPage {
                ui: crate::http::pages::Ui::of(req).english(),
                section: "clients",
                admin_name: &admin.signed.user.username,
                notice: notice(req),
                csrf,
                q: &q,
                clients: found
                    .iter()
                    .take(PAGE_SIZE as usize)
                    .map(ClientView::from)
                    .collect(),
                more,
                grants: &GRANTS,
                error,
            },
        )
    }))
}

/// GET /admin/clients
pub async fn list_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    match admin(&req, &state).await? {
        Ok(a) => list_page(&req, &state, &a, None).await,
        Err(res) => Ok(res),
    }
}

fn secret_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    id: &str,
    secret: &str,
) -> HttpResponse {
    page(req, state, |_| {
        pages::render(
            StatusCode::OK,
            &SecretPage {
                ui: crate::http::pages::Ui::of(req).english(),
                section: "clients",
                admin_name: &admin.signed.user.username,
                notice: None,
                client_id: id,
                secret,
            },
        )
    })
}

/// POST /admin/clients: registers a client; a secret is shown once, on the answer.
pub async fn create_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let admin = match form_admin(&req, &state, &f).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let spec = ClientSpec {
        id: f.text("id"),
        name: f.get("name").unwrap_or("").to_string(),
        public: f.get("type") == Some("public"),
        grant_types: f.all("grant_type"),
        redirect_uris: f.list("redirect_uris"),
        post_logout_redirect_uris: f.list("post_logout_redirect_uris"),
        scopes: f.list("scopes"),
        audience: f.text("audience"),
        skip_consent: f.checked("skip_consent"),
        allow_private_destinations: state.settings.http.allow_private_destinations,
        algorithms: state.settings.keys.algorithms.clone(),
        ..Default::default()
    };
    let (actor, now) = (admin.actor(), state.now());
    let created = state
        .store
        .run(move |c| Ok::<_, StoreError>(manage::create_client(c, &actor, spec, now)))
        .await?;
    match created {
        Ok((client, secret)) => {
            crate::http::admin_api::propagate(&state, true).await;
            let id = client.id.to_string();
            Ok(match secret {
                Some(s) => secret_page(&req, &state, &admin, &id, s.expose()),
                None => back_to(&format!("{BASE}/clients/{id}"), "Client registered."),
            })
        }
        Err(e) => list_page(&req, &state, &admin, Some(refusal(e)?)).await,
    }
}

async fn show_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    client: &Client,
    error: Option<String>,
) -> HttpResponse {
    let view = ClientView::from(client);
    let tag = etag::of(&view);
    let status = form_status(&error);
    page(req, state, |csrf| {
        pages::render(
            status,
            &ShowPage {
                ui: crate::http::pages::Ui::of(req).english(),
                section: "clients",
                admin_name: &admin.signed.user.username,
                notice: notice(req),
                csrf,
                c: view,
                etag: tag,
                grants: &GRANTS,
                error,
            },
        )
    })
}

/// GET /admin/clients/{id}
pub async fn show_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let admin = match admin(&req, &state).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    Ok(match find(&state, id.into_inner()).await? {
        Some(client) => show_page(&req, &state, &admin, &client, None).await,
        None => not_found(),
    })
}

/// POST /admin/clients/{id}: saves the edit form, if nobody changed the client since the
/// form was shown (its entity tag rides along).
pub async fn edit_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let admin = match form_admin(&req, &state, &f).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let id = id.into_inner();
    let Some(current) = find(&state, id.clone()).await? else {
        return Ok(not_found());
    };
    let mut spec = ClientSpec::of(
        &current,
        &state.settings.keys.algorithms,
        state.settings.http.allow_private_destinations,
    );
    spec.name = f.get("name").unwrap_or("").to_string();
    spec.grant_types = f.all("grant_type");
    spec.redirect_uris = f.list("redirect_uris");
    spec.post_logout_redirect_uris = f.list("post_logout_redirect_uris");
    spec.scopes = f.list("scopes");
    spec.audience = f.text("audience");
    spec.skip_consent = f.checked("skip_consent");
    let expected = f.get("etag").unwrap_or("").to_string();
    let (actor, now) = (admin.actor(), state.now());
    let key = id.clone();
    let saved = state
        .store
        .run(move |c| {
            use diesel::Connection;
            Ok::<_, StoreError>(c.transaction(|c| {
                if !clients::lock(c, &key)? {
                    return Err(ManageError::ClientNotFound(key.clone()));
                }
                let now_stored = clients::find(c, &key)?
                    .ok_or_else(|| ManageError::ClientNotFound(key.clone()))?;
                if !etag::matches(&expected, &etag::of(&ClientView::from(&now_stored))) {
                    return Err(ManageError::PreconditionFailed);
                }
                manage::update_client(c, &actor, &key, spec, now)
            }))
        })
        .await?;
    match saved {
        Ok((client, secret)) => {
            crate::http::admin_api::propagate(&state, true).await;
            Ok(match secret {
                Some(s) => secret_page(&req, &state, &admin, &id, s.expose()),
                None => back_to(&format!("{BASE}/clients/{}", client.id), "Changes saved."),
            })
        }
        Err(e) => {
            let message = refusal(e)?;
            let latest = find(&state, id).await?.unwrap_or(current);
            Ok(show_page(&req, &state, &admin, &latest, Some(message)).await)
        }
    }
}

/// POST /admin/clients/{id}/secret: a new secret, shown once; the old one stops working.
pub async fn rotate_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let admin = match form_admin(&req, &state, &f).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let id = id.into_inner();
    let revoke = f.checked("revoke_tokens");
    let (actor, now, key) = (admin.actor(), state.now(), id.clone());
    let rotated = state
        .store
        .run(move |c| {
            Ok::<_, StoreError>(manage::rotate_client_secret(c, &actor, &key, revoke, now))
        })
        .await?;
    match rotated {
        Ok(secret) => {
            crate::http::admin_api::propagate(&state, true).await;
            Ok(secret_page(&req, &state, &admin, &id, secret.expose()))
        }
        Err(ManageError::ClientNotFound(_)) => Ok(not_found()),
        Err(e) => Ok(back_to(&format!("{BASE}/clients/{id}"), &refusal(e)?)),
    }
}

/// POST /admin/clients/{id}/delete
pub async fn delete_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: Fields,
) -> Result<HttpResponse, AppError> {
    let admin = match form_admin(&req, &state, &f).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let id = id.into_inner();
    let (actor, now, key) = (admin.actor(), state.now(), id.clone());
    let deleted = state
        .store
        .run(move |c| Ok::<_, StoreError>(manage::delete_client(c, &actor, &key, now)))
        .await?;
    match deleted {
        Ok(()) => {
            crate::http::admin_api::propagate(&state, true).await;
            Ok(back_to(
                &format!("{BASE}/clients"),
                &format!("Client {id} deleted."),
            ))
        }
        Err(ManageError::ClientNotFound(_)) => Ok(not_found()),
        Err(e) => Ok(back_to(&format!("{BASE}/clients/{id}"), &refusal(e)?)),
    }
}

impl ShowPage<'_> {
    fn has_grant(&self, grant: &str) -> bool {
        self.c.grant_types.iter().any(|g| g == grant)
    }

    fn lines(list: &[String]) -> String {
        list.join("\n")
    }
}
