//! Signing keys: their lifecycle (never a private part), and rotation on demand.

use actix_web::{HttpRequest, HttpResponse, web};

use super::problem::{ApiError, Problems};
use super::views::{RotateInput, Rotation};
use super::{caller, json};
use crate::admin::access::Need;
use crate::domain::signing_alg::SigningAlg;
use crate::keys::listing::{self, KeySummary};
use crate::keys::rotation::Rotated;
use crate::state::AppState;
use crate::store::signing_keys;

/// Every stored key with its state (pending, active, retired, expired) and schedule.
#[utoipa::path(get, operation_id = "listSigningKeys", path = "/admin/api/v1/keys", tag = "keys",
    responses((status = 200, body = Vec<KeySummary>), Problems),
    security(("admin_token" = ["portcullis:admin:read"])))]
pub async fn list_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &state, Need::Read).await?;
    let rows = state.store.run(signing_keys::list).await?;
    Ok(json(&listing::summaries(&rows, state.now())))
}

/// Rotate the signing key of one algorithm (or of each configured one).
#[utoipa::path(post, operation_id = "rotateSigningKeys", path = "/admin/api/v1/keys/rotate", tag = "keys", request_body = RotateInput,
    responses((status = 200, body = Vec<Rotation>), Problems),
    security(("admin_token" = ["portcullis:admin:write"])))]
pub async fn rotate_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RotateInput>,
) -> Result<HttpResponse, ApiError> {
    let actor = caller(&req, &state, Need::Write).await?.actor();
    let input = body.into_inner();
    if input.revoke_previous && !input.now {
        return Err(ApiError::Invalid(
            "revoke_previous needs now: a scheduled key leaves the previous one signing".into(),
        ));
    }
    let configured = state.keys.algorithms().to_vec();
    let algs: Vec<SigningAlg> = match input.alg.as_deref() {
        Some(name) => {
            let alg = configured
                .iter()
                .copied()
                .find(|a| a.as_str() == name)
                .ok_or_else(|| ApiError::Invalid(format!("{name} is not among keys.algorithms")))?;
            vec![alg]
        }
        None => configured,
    };
    let mut out = Vec::with_capacity(algs.len());
    for alg in algs {
        let rotated = state
            .keys
            .rotate(alg, input.now, input.revoke_previous, actor.clone())
            .await
            .map_err(|e| ApiError::Unexpected(e.into()))?;
        out.push(match rotated {
            Rotated::Created { kid, activates_at } => Rotation {
                alg: alg.to_string(),
                outcome: "created".into(),
                kid: Some(kid),
                activates_at: Some(activates_at),
            },
            Rotated::AlreadyPending { kid, activates_at } => Rotation {
                alg: alg.to_string(),
                outcome: "already_pending".into(),
                kid: Some(kid),
                activates_at: Some(activates_at),
            },
            Rotated::LostRace => Rotation {
                alg: alg.to_string(),
                outcome: "lost_race".into(),
                kid: None,
                activates_at: None,
            },
        });
    }
    Ok(json(&out))
}
