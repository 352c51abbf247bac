//! `jwks_uri`: every published public key, from memory.

use actix_web::{HttpRequest, HttpResponse, web};

use super::cacheable;
use crate::state::AppState;

pub async fn jwks_handler(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let set = state.keys.current();
    cacheable::respond(
        &req,
        set.jwks(),
        set.etag(),
        state.settings.keys.jwks_max_age_secs,
        "application/json",
    )
}
