//! Sessions: a user's live sign-ins, and ending one or all of them (back-channel logout
//! to the clients they touched; their tokens stop working through the revocation list).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::problem::{ApiError, Problems};
use super::users::load;
use super::views::{Ended, SessionView};
use super::{caller, json, propagate};
use crate::admin::access::Need;
use crate::state::AppState;
use crate::store::audit::{self, AuditEvent};
use crate::store::{session_end, sessions, users};

/// A user's live sessions, oldest first.
#[utoipa::path(get, operation_id = "listUserSessions", path = "/admin/api/v1/users/{id}/sessions", tag = "sessions",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses((status = 200, body = Vec<SessionView>), Problems),
    security(("admin_token" = ["portcullis:admin:read"])))]
pub async fn list_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &state, Need::Read).await?;
    let user = load(&state, id.into_inner()).await?;
    let now = state.now();
    let list = state
        .store
        .run(move |c| sessions::list_for_user(c, &user.id))
        .await?;
    let live: Vec<SessionView> = list
        .iter()
        .filter(|s| s.expires_at > now)
        .map(SessionView::from)
        .collect();
    Ok(json(&live))
}

/// End every session of a user and revoke their refresh tokens.
#[utoipa::path(delete, operation_id = "endUserSessions", path = "/admin/api/v1/users/{id}/sessions", tag = "sessions",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses((status = 200, body = Ended), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn end_all_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let user = load(&state, id.into_inner()).await?;
    let now = state.now();
    let ended = state
        .store
        .run(move |c| {
            let ended = users::end_sessions_and_grants(c, &user.id, now)?;
            audit::record(
                c,
                &AuditEvent {
                    event: "session.revoked_all",
                    actor: &actor,
                    user_id: Some(&user.id),
                    details: json!({ "sessions_ended": ended }),
                    ..Default::default()
                },
                now,
            )?;
            Ok::<_, ApiError>(ended)
        })
        .await?;
    propagate(&state, false).await;
    Ok(json(&Ended {
        sessions_ended: ended,
    }))
}

/// End one session.
#[utoipa::path(delete, operation_id = "endSession", path = "/admin/api/v1/sessions/{sid}", tag = "sessions",
    params(("sid" = String, Path, description = "The session id (`sid`)")),
    responses((status = 204, description = "Ended"), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn end_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    sid: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let sid = sid.into_inner();
    let t = &state.settings.tokens;
    let now = state.now();
    let block_until = now + t.access_token_ttl_secs + t.clock_skew_secs;
    state
        .store
        .run(move |c| {
            let s = sessions::find_by_sid(c, &sid)?
                .ok_or_else(|| ApiError::NotFound(format!("no session with id `{sid}`")))?;
            let queued = session_end::end_session(c, &sid, now, block_until)?;
            audit::record(
                c,
                &AuditEvent {
                    event: "session.revoked",
                    actor: &actor,
                    user_id: Some(&s.user_id),
                    details: json!({ "sid": sid, "backchannel_deliveries": queued }),
                    ..Default::default()
                },
                now,
            )?;
            Ok::<_, ApiError>(())
        })
        .await?;
    propagate(&state, false).await;
    Ok(HttpResponse::NoContent().finish())
}
