//! Error policy, and the one place errors become responses.
//!
//! Each layer has its own error enum: [`crate::config::ConfigError`] (start-up),
//! [`crate::store::StoreError`] (database), [`crate::manage::ManageError`] (operator
//! actions), [`TokenError`] (RFC 6749 §5.2 at the token, revocation and introspection
//! endpoints), `AuthorizeError` (a page or a redirect, RFC 6749 §4.1.2.1) and the domain's
//! validation errors. Here: a database that cannot be reached is `503`, anything
//! unexpected is an opaque `500` whose cause chain is logged and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::http::pages;
use crate::store::StoreError;
use crate::token::{ErrorCode, TokenError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("unexpected error")]
    Unexpected(#[source] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            AppError::Unavailable(e)
        } else {
            AppError::Unexpected(e.into())
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let cause = match self {
            AppError::Unavailable(e) => format!("{e}"),
            AppError::Unexpected(e) => format!("{e:#}"),
        };
        tracing::error!(error = %cause, "request failed");
        // No request here (actix's `ResponseError`): the page is in English, unbranded.
        let ui = pages::Ui::plain(Default::default());
        let mut res = match self {
            AppError::Unavailable(_) => pages::error_page(
                &ui,
                self.status_code(),
                &ui.t("error-unavailable-title"),
                &ui.t("error-unavailable"),
            ),
            AppError::Unexpected(_) => pages::error_page(
                &ui,
                self.status_code(),
                &ui.t("error-unexpected-title"),
                &ui.t("error-unexpected"),
            ),
        };
        if let AppError::Unavailable(_) = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

/// Every token-endpoint response, success or error, carries these (RFC 6749 §5.1).
pub fn no_store(res: &mut HttpResponse) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // Browser clients read the next DPoP nonce (RFC 9449 §8).
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("DPoP-Nonce"),
    );
}

/// `Cache-Control: no-store` for pages that carry per-user state (RFC 9111 §5.2.2.5).
pub fn no_store_page(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code()).json(json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        }));
        no_store(&mut res);
        // RFC 6749 §5.2: invalid_client is 401 with a challenge for the scheme clients use.
        if self.code == ErrorCode::InvalidClient {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"portcullis\", charset=\"UTF-8\""),
            );
        }
        if let Some(nonce) = self
            .dpop_nonce
            .as_deref()
            .and_then(|n| HeaderValue::from_str(n).ok())
        {
            res.headers_mut()
                .insert(crate::http::dpop::DPOP_NONCE, nonce);
        }
        res
    }
}

/// Errors of the machine-facing feeds (`/revocations`, status lists): RFC 9457 problem
/// details, never an HTML page.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    pub fn bad_request(detail: &'static str) -> Self {
        Self::BadRequest(detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Store(e) => {
                tracing::error!(error = %e, "request failed");
                if e.is_unavailable() {
                    "the database is unavailable".to_string()
                } else {
                    "the server could not complete this request".to_string()
                }
            }
            other => other.to_string(),
        };
        let mut res = HttpResponse::build(status)
            .content_type("application/problem+json")
            .body(
                json!({
                    "type": "about:blank",
                    "title": status.canonical_reason().unwrap_or("Error"),
                    "status": status.as_u16(),
                    "detail": detail,
                })
                .to_string(),
            );
        res.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        res
    }
}
