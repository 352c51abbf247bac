//! The admin API's errors, and the one place they become RFC 9457 problem details
//! (`application/problem+json`). Causes of 5xx answers are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::manage::ManageError;
use crate::store::StoreError;

/// A problem details object (RFC 9457 §3.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status code says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or one that is invalid, expired, revoked or not for the admin API
    /// (RFC 6750 §3.1 `invalid_token`).
    #[error("{0}")]
    Unauthenticated(&'static str, bool),
    /// `insufficient_scope`, or a person without the admin role.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this resource does not answer that method")]
    MethodNotAllowed,
    /// The request does not parse (JSON, query, cursor, header).
    #[error("{0}")]
    BadRequest(String),
    /// It parses, but the values break a rule (the same validation as the CLI).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// RFC 9110 §15.5.14: the body is larger than the admin API takes (64 KiB).
    #[error("the request body is larger than 65536 bytes")]
    TooLarge,
    #[error("the resource changed since it was read; read it again and reapply the change")]
    PreconditionFailed,
    #[error("this update needs an If-Match header with the resource's current ETag")]
    PreconditionRequired,
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("unexpected error")]
    Unexpected(#[source] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            ApiError::Unavailable(e)
        } else {
            ApiError::Unexpected(e.into())
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<ManageError> for ApiError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::Client(_) | ManageError::User(_) | ManageError::Password(_) => {
                ApiError::Invalid(e.to_string())
            }
            ManageError::DuplicateClient(_)
            | ManageError::DuplicateUser(_)
            | ManageError::SubjectTaken(_)
            | ManageError::NoSecret(_) => ApiError::Conflict(e.to_string()),
            ManageError::ClientNotFound(_)
            | ManageError::UserNotFound(_)
            | ManageError::RegistrationTokenNotFound(_) => ApiError::NotFound(e.to_string()),
            ManageError::PreconditionFailed => ApiError::PreconditionFailed,
            ManageError::Store(s) => s.into(),
        }
    }
}

impl ApiError {
    fn kind(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) => "urn:portcullis:problem:invalid-value",
            ApiError::Conflict(_) => "urn:portcullis:problem:conflict",
            _ => "about:blank",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(..) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Unavailable(e) => {
                tracing::error!(error = %e, "admin API request failed");
                None
            }
            ApiError::Unexpected(e) => {
                tracing::error!(error = %format!("{e:#}"), "admin API request failed");
                None
            }
            other => Some(other.to_string()),
        };
        let problem = Problem {
            kind: self.kind().into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail,
        };
        let mut res = HttpResponse::build(status)
            .content_type("application/problem+json")
            .body(serde_json::to_string(&problem).unwrap_or_default());
        let challenge = match self {
            ApiError::Unauthenticated(description, true) => Some(format!(
                "Bearer realm=\"portcullis-admin\", error=\"invalid_token\", error_description=\"{description}\""
            )),
            ApiError::Unauthenticated(_, false) => {
                Some("Bearer realm=\"portcullis-admin\"".to_string())
            }
            ApiError::Forbidden(description) if description.starts_with("this needs") => {
                Some(format!(
                    "Bearer realm=\"portcullis-admin\", error=\"insufficient_scope\", error_description=\"{description}\""
                ))
            }
            _ => None,
        };
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

/// The problems any admin API operation may answer, for the OpenAPI description.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Problems {
    /// The body, query or a header does not parse.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No valid admin access token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The token lacks the scope, or its person the admin role.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such resource.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The change conflicts with what exists (a duplicate id or username).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// `If-Match` names a version that is no longer current.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Problem),
    /// The body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// The values break a rule (the same validation as the CLI).
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// An update without `If-Match`.
    #[response(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Problem),
    /// The database is unavailable.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Request bodies and query strings that do not parse are problems too (400, or 415 for
/// a body that is not JSON), never actix's plain-text answers.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| {
            use actix_web::error::JsonPayloadError;
            let detail = match &err {
                JsonPayloadError::ContentType => {
                    return UnsupportedMediaType.into();
                }
                JsonPayloadError::Deserialize(e) => format!("the JSON body is not valid: {e}"),
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => return ApiError::TooLarge.into(),
                _ => "the JSON body could not be read".to_string(),
            };
            ApiError::BadRequest(detail).into()
        })
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _| {
        ApiError::BadRequest(format!("the query is not valid: {err}")).into()
    })
}

/// 415: the admin API takes `application/json` bodies only.
#[derive(Debug, thiserror::Error)]
#[error("the request body must be application/json")]
struct UnsupportedMediaType;

impl ResponseError for UnsupportedMediaType {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::UnsupportedMediaType()
            .content_type("application/problem+json")
            .body(
                serde_json::to_string(&Problem {
                    kind: "about:blank".into(),
                    title: "Unsupported Media Type".into(),
                    status: 415,
                    detail: Some(self.to_string()),
                })
                .unwrap_or_default(),
            )
    }
}
