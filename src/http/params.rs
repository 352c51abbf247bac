//! Parameters of endpoints that take both GET and POST (`/authorize`, OIDC Core §3.1.2.1;
//! `/logout`, RP-Initiated Logout §2): the query string of a GET, the form body of a POST
//! (at most [`body::PAGE_FORM_LIMIT`] bytes; more gets our HTML page, 413).

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};

use super::body::{self, BodyError};
use super::error::no_store_page;
use super::pages;

/// The request's parameters, still form-encoded, or the page refusing the body.
pub async fn encoded(
    req: &HttpRequest,
    payload: web::Payload,
    ui: &pages::Ui,
) -> Result<String, HttpResponse> {
    if req.method() != Method::POST {
        return Ok(req.query_string().to_string());
    }
    match body::read(req, payload, body::PAGE_FORM_LIMIT).await {
        Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Err(BodyError::TooLarge) => Err(no_store_page(pages::error_page(
            ui,
            StatusCode::PAYLOAD_TOO_LARGE,
            &ui.t("error-too-large-title"),
            &ui.t("error-too-large"),
        ))),
        Err(BodyError::Incomplete) => Err(no_store_page(pages::error_page(
            ui,
            StatusCode::BAD_REQUEST,
            &ui.t("error-invalid-title"),
            &ui.t("error-incomplete"),
        ))),
    }
}
