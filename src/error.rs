//! Error policy.
//!
//! Each layer has its own error enum: [`crate::config::ConfigError`] (start-up),
//! [`crate::store::StoreError`] (database), [`crate::manage::ManageError`] (operator
//! actions), and the domain's validation errors. The HTTP layer maps them to responses
//! here, in one place: a database that cannot be reached is `503`, anything unexpected is
//! an opaque `500` whose cause chain is logged and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::http::pages;
use crate::store::StoreError;

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
        let mut res = match self {
            AppError::Unavailable(_) => pages::error_page(
                self.status_code(),
                "Temporarily unavailable",
                "The service cannot reach its database. Please try again shortly.",
            ),
            AppError::Unexpected(_) => pages::error_page(
                self.status_code(),
                "Something went wrong",
                "The server could not complete this request.",
            ),
        };
        if let AppError::Unavailable(_) = self {
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("5"),
            );
        }
        res
    }
}
