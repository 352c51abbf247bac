//! The admin API under `/admin/api/v1/`: clients, users, sessions, signing keys and the
//! audit log, as JSON, for CI pipelines, Terraform and platform portals. Every change goes
//! through the same operator actions as the CLI (`manage`), audited with the caller.
//!
//! Authorized by our own access tokens (`admin::access`); errors are RFC 9457 problem
//! details (`problem`); updates need `If-Match` (`admin::etag`); lists page by cursor
//! (`admin::cursor`). The OpenAPI 3.1 description (`openapi`) is generated from the
//! annotations on these handlers and types.

mod audit;
mod clients;
pub mod openapi;
pub mod problem;
mod sessions;
mod signing_keys;
mod users;
pub mod views;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::admin::access::{self, ADMIN_ROLE, Caller, Need, Refusal};
use crate::admin::{cursor, etag};
use crate::dpop::binding::Scheme;
use crate::state::AppState;
pub use problem::ApiError;

/// Where the API lives; the paths in the OpenAPI description include it.
pub const BASE: &str = "/admin/api/v1";

/// Checks the request's access token for `need`; a person must still hold the admin
/// role and not be disabled. Returns who is calling.
pub async fn caller(req: &HttpRequest, state: &AppState, need: Need) -> Result<Caller, ApiError> {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .and_then(|(scheme, t)| Some((Scheme::parse(scheme)?, t.trim().to_string())));
    let Some((scheme, token)) = presented else {
        return Err(ApiError::Unauthenticated(
            "an access token for the admin API is required",
            false,
        ));
    };
    let granted = access::authorize(
        &state.keys.current(),
        state.issuer(),
        |t| state.revocations.is_revoked(t),
        &token,
        need,
        state.now(),
    )
    .map_err(|r| match r {
        Refusal::InvalidToken(d) => ApiError::Unauthenticated(d, true),
        Refusal::InsufficientScope(d) => ApiError::Forbidden(d.to_string()),
    })?;
    let url = format!("{}{}", state.issuer(), req.path());
    if super::dpop::at_resource(
        req,
        state,
        scheme,
        &token,
        granted.jkt.as_deref(),
        req.method().as_str(),
        &url,
    )
    .await
    .is_err()
    {
        return Err(ApiError::Unauthenticated(
            "the DPoP proof is missing or invalid",
            true,
        ));
    }
    if let Caller::User(id) = &granted.caller {
        // The console's bar applies to people at the API too.
        if state.settings.admin.require_mfa
            && crate::mfa::level::Level::of_stored(granted.acr.as_deref())
                < crate::mfa::level::Level::TWO_FACTORS
        {
            return Err(ApiError::Forbidden(
                "admin.require_mfa: a person's token must come from a sign-in with a second factor (acr 2 or more)".into(),
            ));
        }
        let id = id.clone();
        let user = state
            .store
            .run(move |c| crate::store::users::find_by_id(c, &id))
            .await?;
        if !user.is_some_and(|u| !u.disabled && u.roles.iter().any(|r| r == ADMIN_ROLE)) {
            return Err(ApiError::Forbidden(
                "the admin API is for people with the admin role".into(),
            ));
        }
    }
    Ok(granted.caller)
}

/// The `If-Match` of an update, required: without it a write could silently undo a
/// change made since the caller read the resource (RFC 6585 §3: 428).
pub fn if_match(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    value
        .to_str()
        .ok()
        .filter(|v| etag::is_well_formed(v))
        .map(str::to_string)
        .ok_or_else(|| ApiError::BadRequest("If-Match is not `*` or a list of entity tags".into()))
}

/// `200` with the representation and its `ETag`.
pub fn with_etag<T: serde::Serialize>(
    mut res: actix_web::HttpResponseBuilder,
    view: &T,
) -> HttpResponse {
    let tag = etag::of(view);
    res.insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view)
}

pub fn json<T: serde::Serialize>(view: &T) -> HttpResponse {
    let mut res = HttpResponse::Ok().json(view);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A list request's page size and the key it continues after (`admin::cursor`).
pub fn paging(
    kind: &str,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<(i64, Option<String>), ApiError> {
    let limit = cursor::limit(limit).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let after = cursor
        .map(|c| cursor::key(kind, c))
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok((limit, after))
}

/// After a change that ends sessions or revokes tokens: this instance applies the
/// revocations and sends back-channel logouts now, not at its next poll; and reloads its
/// client cache after a client change.
pub async fn propagate(state: &AppState, clients_changed: bool) {
    state.publish_revocations().await;
    state.backchannel.wake();
    if clients_changed && let Err(e) = state.clients.refresh().await {
        tracing::warn!(error = %e, "client cache reload failed");
    }
}

/// The API's routes, under [`BASE`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(problem::json_config())
        .app_data(problem::query_config())
        .service(
            resource("/clients")
                .route(web::get().to(clients::list_handler))
                .route(web::post().to(clients::create_handler)),
        )
        .service(
            resource("/clients/{id}")
                .route(web::get().to(clients::get_handler))
                .route(web::put().to(clients::replace_handler))
                .route(web::delete().to(clients::delete_handler)),
        )
        .service(
            resource("/clients/{id}/secret").route(web::post().to(clients::rotate_secret_handler)),
        )
        .service(
            resource("/clients/{id}/revoke-tokens")
                .route(web::post().to(clients::revoke_tokens_handler)),
        )
        .service(
            resource("/users")
                .route(web::get().to(users::list_handler))
                .route(web::post().to(users::create_handler)),
        )
        .service(
            resource("/users/{id}")
                .route(web::get().to(users::get_handler))
                .route(web::patch().to(users::update_handler))
                .route(web::delete().to(users::delete_handler)),
        )
        .service(resource("/users/{id}/password").route(web::put().to(users::password_handler)))
        .service(resource("/users/{id}/disable").route(web::post().to(users::disable_handler)))
        .service(resource("/users/{id}/enable").route(web::post().to(users::enable_handler)))
        .service(resource("/users/{id}/mfa").route(web::delete().to(users::reset_mfa_handler)))
        .service(
            resource("/users/{id}/sessions")
                .route(web::get().to(sessions::list_handler))
                .route(web::delete().to(sessions::end_all_handler)),
        )
        .service(resource("/sessions/{sid}").route(web::delete().to(sessions::end_handler)))
        .service(resource("/keys").route(web::get().to(signing_keys::list_handler)))
        .service(resource("/keys/rotate").route(web::post().to(signing_keys::rotate_handler)))
        .service(resource("/audit").route(web::get().to(audit::list_handler)))
        .default_service(web::to(not_found_handler));
}

/// A resource whose other methods answer 405 as a problem.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed_handler))
}

async fn method_not_allowed_handler() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

async fn not_found_handler() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(
        "no such admin API resource or method".into(),
    ))
}
