//! The audit log, newest first, with the CLI's filters (`portcullis audit list`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::{ApiError, Problems};
use super::views::{AuditPage, AuditView};
use super::{caller, json, paging};
use crate::admin::access::Need;
use crate::admin::cursor;
use crate::state::AppState;
use crate::store::audit::{self, AuditQuery};

const KIND: &str = "audit";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only entries at or after this time (seconds since the epoch).
    since: Option<i64>,
    /// Only this event, e.g. `login.failed`.
    event: Option<String>,
    /// Only entries about this user (id).
    user_id: Option<String>,
    /// Only entries about this client.
    client_id: Option<String>,
    /// Only entries by this actor (`cli`, `user:<id>`, `client:<id>`, `system`).
    actor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Query the audit log.
#[utoipa::path(get, operation_id = "queryAuditLog", path = "/admin/api/v1/audit", tag = "audit", params(ListQuery),
    responses((status = 200, body = AuditPage), Problems),
    security(("admin_token" = ["portcullis:admin:read"])))]
pub async fn list_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &state, Need::Read).await?;
    let query = query.into_inner();
    let (limit, after) = paging(KIND, query.limit, query.cursor.as_deref())?;
    let before = after
        .map(|k| {
            k.parse::<i64>()
                .map_err(|_| ApiError::BadRequest(cursor::BadCursor.to_string()))
        })
        .transpose()?;
    let q = AuditQuery {
        since: query.since,
        events: query.event.into_iter().collect(),
        user_id: query.user_id,
        client_id: query.client_id,
        actor: query.actor,
        before_id: before,
        limit: limit + 1,
    };
    let rows = state.store.run(move |c| audit::list(c, &q)).await?;
    let (items, next) = cursor::page(rows, limit, |e| e.id.to_string());
    Ok(json(&AuditPage {
        items: items.into_iter().map(AuditView::from).collect(),
        next_cursor: next.map(|k| cursor::after(KIND, &k)),
    }))
}
