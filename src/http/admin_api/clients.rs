//! `/admin/api/v1/clients`: list and search, register, read, replace, delete, rotate the
//! secret, revoke the tokens — the operations of `portcullis client`, with its rules.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::{ApiError, Problems};
use super::views::{ClientInput, ClientPage, ClientSecret, ClientView, ClientWithSecret};
use super::{BASE, caller, if_match, json, paging, propagate, with_etag};
use crate::admin::access::{Caller, Need};
use crate::admin::{cursor, etag};
use crate::manage;
use crate::state::AppState;
use crate::store::clients;

const KIND: &str = "clients";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only clients whose id or name contains this text (case-insensitive).
    q: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A client may not delete itself, replace its secret or revoke its own tokens through
/// the admin API: it would lock itself (and whatever runs it) out in the middle of its
/// work. Another admin client, the console or the CLI can.
fn not_itself(who: &Caller, id: &str, what: &str) -> Result<(), ApiError> {
    match who {
        Caller::Client(me) if me == id => Err(ApiError::Conflict(format!(
            "a client cannot {what} itself through the admin API; use another admin client, the console or the CLI"
        ))),
        _ => Ok(()),
    }
}

async fn load(state: &AppState, id: String) -> Result<crate::domain::client::Client, ApiError> {
    let missing = id.clone();
    state
        .store
        .run(move |c| clients::find(c, &id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no client with id `{missing}`")))
}

/// List clients, ordered by id.
#[utoipa::path(get, operation_id = "listClients", path = "/admin/api/v1/clients", tag = "clients", params(ListQuery),
    responses((status = 200, body = ClientPage), Problems),
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
        .run(move |c| {
            let ids = clients::page_ids(c, query.q.as_deref(), after.as_deref(), limit + 1)?;
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                // A client deleted between the two reads is simply not listed.
                if let Some(client) = clients::find(c, &id)? {
                    found.push(client);
                }
            }
            Ok::<_, ApiError>(found)
        })
        .await?;
    let (items, next) = cursor::page(list, limit, |c| c.id.to_string());
    Ok(json(&ClientPage {
        items: items.iter().map(ClientView::from).collect(),
        next_cursor: next.map(|k| cursor::after(KIND, &k)),
    }))
}

/// Register a client; a client that authenticates with a shared secret gets a generated
/// one, shown in this answer only.
#[utoipa::path(post, operation_id = "createClient", path = "/admin/api/v1/clients", tag = "clients", request_body = ClientInput,
    responses((status = 201, body = ClientWithSecret, headers(("Location" = String), ("ETag" = String))), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn create_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ClientInput>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let spec = body.into_inner().into_spec(&state.settings);
    let now = state.now();
    let (client, secret) = state
        .store
        .run(move |c| manage::create_client(c, &actor, spec, now).map_err(ApiError::from))
        .await?;
    propagate(&state, true).await;
    let view = ClientView::from(&client);
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, format!("{BASE}/clients/{}", view.id)))
        .insert_header((header::ETAG, etag::of(&view)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    Ok(res.json(ClientWithSecret {
        client: view,
        client_secret: secret.map(|s| s.expose().clone()),
    }))
}

/// Read one client.
#[utoipa::path(get, operation_id = "getClient", path = "/admin/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses((status = 200, body = ClientView, headers(("ETag" = String))), Problems),
    security(("admin_token" = ["portcullis:admin:read"])))]
pub async fn get_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &state, Need::Read).await?;
    let client = load(&state, id.into_inner()).await?;
    Ok(with_etag(HttpResponse::Ok(), &ClientView::from(&client)))
}

/// Replace a client's registration (its id, secret and creation time stay). Needs
/// `If-Match` with the client's current `ETag`.
#[utoipa::path(put, operation_id = "replaceClient", path = "/admin/api/v1/clients/{id}", tag = "clients", request_body = ClientInput,
    params(("id" = String, Path, description = "The client id"),
        ("If-Match" = String, Header, description = "The ETag the change is based on")),
    responses((status = 200, body = ClientWithSecret, headers(("ETag" = String))), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn replace_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<ClientInput>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &state, Need::Write).await?;
    let id = id.into_inner();
    not_itself(&who, &id, "replace the registration of")?;
    let actor = who.actor();
    let expected = if_match(&req)?;
    let input = body.into_inner();
    if input.id.as_ref().is_some_and(|given| *given != id) {
        return Err(ApiError::Invalid("a client's id cannot change".into()));
    }
    let spec = input.into_spec(&state.settings);
    let now = state.now();
    let (client, secret) = state
        .store
        .run(move |c| {
            use diesel::Connection;
            c.transaction(|c| {
                // Lock, then compare: no other write lands between the check and ours.
                if !clients::lock(c, &id)? {
                    return Err(ApiError::NotFound(format!("no client with id `{id}`")));
                }
                let current = clients::find(c, &id)?
                    .ok_or_else(|| ApiError::NotFound(format!("no client with id `{id}`")))?;
                if !etag::matches(&expected, &etag::of(&ClientView::from(&current))) {
                    return Err(ApiError::PreconditionFailed);
                }
                Ok(manage::update_client(c, &actor, &id, spec, now)?)
            })
        })
        .await?;
    propagate(&state, true).await;
    let view = ClientView::from(&client);
    let mut res = HttpResponse::Ok();
    res.insert_header((header::ETAG, etag::of(&view)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    Ok(res.json(ClientWithSecret {
        client: view,
        client_secret: secret.map(|s| s.expose().clone()),
    }))
}

/// Delete a client with its consents, codes and refresh tokens; its access tokens stop
/// working at once.
#[utoipa::path(delete, operation_id = "deleteClient", path = "/admin/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "The client id"),
        ("If-Match" = Option<String>, Header, description = "Delete only this version")),
    responses((status = 204, description = "Deleted"), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn delete_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &state, Need::Write).await?;
    let id = id.into_inner();
    not_itself(&who, &id, "delete")?;
    let actor = who.actor();
    let expected = match req.headers().get(header::IF_MATCH) {
        Some(_) => Some(if_match(&req)?),
        None => None,
    };
    let now = state.now();
    state
        .store
        .run(move |c| {
            use diesel::Connection;
            c.transaction(|c| {
                if let Some(expected) = &expected {
                    let current = clients::find(c, &id)?
                        .ok_or_else(|| ApiError::NotFound(format!("no client with id `{id}`")))?;
                    if !etag::matches(expected, &etag::of(&ClientView::from(&current))) {
                        return Err(ApiError::PreconditionFailed);
                    }
                }
                Ok(manage::delete_client(c, &actor, &id, now)?)
            })
        })
        .await?;
    propagate(&state, true).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Give a client a new secret (the old one stops working at once), shown in this answer
/// only.
#[utoipa::path(post, operation_id = "rotateClientSecret", path = "/admin/api/v1/clients/{id}/secret", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses((status = 200, body = ClientSecret), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn rotate_secret_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &state, Need::Write).await?;
    let id = id.into_inner();
    not_itself(&who, &id, "replace the secret of")?;
    let actor = who.actor();
    let now = state.now();
    let secret = state
        .store
        .run(move |c| {
            manage::rotate_client_secret(c, &actor, &id, false, now).map_err(ApiError::from)
        })
        .await?;
    propagate(&state, true).await;
    Ok(json(&ClientSecret {
        client_secret: secret.expose().clone(),
    }))
}

/// Revoke every access token the client holds now (through the revocation list and
/// feed), and its refresh tokens.
#[utoipa::path(post, operation_id = "revokeClientTokens", path = "/admin/api/v1/clients/{id}/revoke-tokens", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses((status = 204, description = "Revoked"), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn revoke_tokens_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &state, Need::Write).await?;
    let id = id.into_inner();
    not_itself(&who, &id, "revoke the tokens of")?;
    let actor = who.actor();
    let now = state.now();
    state
        .store
        .run(move |c| manage::revoke_client_tokens(c, &actor, &id, now).map_err(ApiError::from))
        .await?;
    propagate(&state, false).await;
    Ok(HttpResponse::NoContent().finish())
}
