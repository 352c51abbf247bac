//! `POST /upstream/<name>/backchannel`: an upstream's back-channel logout.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::exchange::verify_with_refetch;
use super::find;
use crate::federation::id_token::{self, Expected};
use crate::http::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    logout_token: String,
}

fn logout_refused(description: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": "invalid_request", "error_description": description }))
}

/// A body that is not a form (or gives `logout_token` twice) gets the JSON error of
/// Back-Channel Logout 1.0 §2.8, not actix's plain text.
pub fn backchannel_form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| {
            let res = logout_refused("the body must be a form with one logout_token");
            actix_web::error::InternalError::from_response(err, res).into()
        })
}

/// POST /upstream/<name>/backchannel: the upstream's back-channel logout token ends the
/// local sessions its sign-ins started (Back-Channel Logout 1.0 §2.5, §2.8).
pub async fn backchannel_handler(
    path: web::Path<String>,
    form: web::Form<LogoutForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let Some((upstream, _)) = find(&state, &name).await? else {
        return Ok(logout_refused("unknown upstream"));
    };
    let expected = Expected {
        issuer: &upstream.issuer,
        client_id: &upstream.client_id,
        nonce: "",
        algs: &upstream.metadata.id_token_algs,
        now: state.now(),
        skew: state.settings.tokens.clock_skew_secs,
    };
    let token = form.into_inner().logout_token;
    let of = match verify_with_refetch(&state, &upstream, |jwks| {
        id_token::verify_logout(&token, jwks, &expected)
    })
    .await
    {
        Ok(of) => of,
        Err(e) => {
            tracing::warn!(upstream = %name, reason = %e, "upstream logout token refused");
            return Ok(logout_refused("the logout token was not accepted"));
        }
    };
    let (now, until) = (
        state.now(),
        crate::http::account_activity::block_until(&state),
    );
    let ended = state
        .store
        .run(move |c| {
            let sids = crate::store::sessions::find_upstream(
                c,
                &name,
                of.sub.as_deref(),
                of.sid.as_deref(),
            )?;
            for sid in &sids {
                crate::store::session_end::end_session(c, sid, now, until)?;
            }
            Ok::<_, crate::store::StoreError>(sids.len())
        })
        .await?;
    tracing::info!(ended, "upstream back-channel logout");
    state.publish_revocations().await;
    state.backchannel.wake();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
