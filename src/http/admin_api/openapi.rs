//! The admin API's OpenAPI 3.1 description, generated from the handlers' and types'
//! annotations (utoipa), so it cannot drift from the code; served at
//! `/admin/api/openapi.json` and linted by schemathesis in the tests.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{audit, clients, sessions, signing_keys, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis admin API",
        description = "Clients, users, sessions, signing keys and the audit log of a Portcullis \
            authorization server. Authorize with an access token from this server for the \
            audience `<issuer>/admin` with the scope `portcullis:admin:read` (reads) or \
            `portcullis:admin:write` (everything). Errors are RFC 9457 problem details; \
            updates need `If-Match`; lists page by cursor."
    ),
    paths(
        clients::list_handler,
        clients::create_handler,
        clients::get_handler,
        clients::replace_handler,
        clients::delete_handler,
        clients::rotate_secret_handler,
        clients::revoke_tokens_handler,
        users::list_handler,
        users::create_handler,
        users::get_handler,
        users::update_handler,
        users::delete_handler,
        users::password_handler,
        users::disable_handler,
        users::enable_handler,
        users::reset_mfa_handler,
        sessions::list_handler,
        sessions::end_all_handler,
        sessions::end_handler,
        signing_keys::list_handler,
        signing_keys::rotate_handler,
        audit::list_handler,
    ),
    components(schemas(super::problem::Problem)),
    modifiers(&AdminToken),
    tags(
        (name = "clients", description = "OAuth clients"),
        (name = "users", description = "People who sign in"),
        (name = "sessions", description = "Sign-in sessions"),
        (name = "keys", description = "Signing keys"),
        (name = "audit", description = "The audit log"),
    )
)]
pub struct AdminApiDoc;

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token of this server (RFC 9068) for the audience \
                         `<issuer>/admin`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The description as JSON, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| AdminApiDoc::openapi().to_json().unwrap_or_default())
}

pub async fn openapi_handler() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(document())
}
