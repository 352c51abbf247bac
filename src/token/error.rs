//! Token-endpoint errors, exactly as RFC 6749 §5.2 (and RFC 8707 §2) define them, mapped to
//! HTTP in one place.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request is missing a required parameter, includes an unsupported parameter
    /// value (other than grant type), repeats a parameter, includes multiple credentials,
    /// utilizes more than one mechanism for authenticating the client, or is otherwise
    /// malformed.
    InvalidRequest,
    /// Client authentication failed (e.g., unknown client, no client authentication
    /// included, or unsupported authentication method).
    InvalidClient,
    /// The provided authorization grant or refresh token is invalid, expired, revoked, does
    /// not match the redirection URI used in the authorization request, or was issued to
    /// another client.
    InvalidGrant,
    /// The authenticated client is not authorized to use this authorization grant type.
    UnauthorizedClient,
    /// The authorization grant type is not supported by the authorization server.
    UnsupportedGrantType,
    /// The requested scope is invalid, unknown, malformed, or exceeds the scope granted by
    /// the resource owner.
    InvalidScope,
    /// RFC 8707 §2: the requested resource is invalid, missing, unknown, or malformed.
    InvalidTarget,
    /// The server could not handle the request (our database is unreachable).
    TemporarilyUnavailable,
    /// An unexpected condition; the cause is logged, never sent.
    ServerError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::ServerError => "server_error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct TokenError {
    pub code: ErrorCode,
    pub description: String,
}

impl TokenError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: sanitize(&description.into()),
        }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }

    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }

    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
}

/// RFC 6749 §5.2: `error_description` may only hold %x20-21 / %x23-5B / %x5D-7E.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E => c,
            _ => ' ',
        })
        .collect()
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
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        match self.code {
            ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
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
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_keep_to_the_allowed_characters() {
        assert_eq!(sanitize("a\"b\\c\nd\té"), "a b c d  ");
    }
}
