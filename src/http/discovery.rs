//! `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::cacheable;
use crate::state::AppState;

pub async fn discovery_handler(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let doc = &state.discovery;
    cacheable::respond(
        &req,
        &doc.body,
        &doc.etag,
        state.settings.keys.jwks_max_age_secs,
        "application/json",
    )
}
