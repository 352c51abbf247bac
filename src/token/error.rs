//! Token-endpoint errors, exactly as RFC 6749 §5.2 (and RFC 8707 §2) define them. The
//! mapping to HTTP is in `http::error`.

use crate::store::StoreError;

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
    /// RFC 9449 §5: the DPoP proof is invalid.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof needs a (fresh) server nonce, sent in `DPoP-Nonce`.
    UseDpopNonce,
    /// RFC 8628 §3.5: the user has not decided yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast; the interval grows by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the user denied the request.
    AccessDenied,
    /// RFC 8628 §3.5: the device code expired (or was used).
    ExpiredToken,
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
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::UseDpopNonce => "use_dpop_nonce",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ExpiredToken => "expired_token",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct TokenError {
    pub code: ErrorCode,
    pub description: String,
    /// The body was over the size limit: still `invalid_request` (RFC 6749 §5.2), but
    /// answered with `413 Content Too Large` (RFC 9110 §15.5.14).
    too_large: bool,
    /// A fresh DPoP nonce for the `DPoP-Nonce` header (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
}

impl TokenError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: sanitize(&description.into()),
            too_large: false,
            dpop_nonce: None,
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

    /// A DPoP proof the endpoint refuses; `use_dpop_nonce` carries the nonce to use.
    pub fn dpop(e: crate::dpop::DpopError, nonce: Option<String>) -> Self {
        match e {
            crate::dpop::DpopError::Invalid(why) => Self::new(ErrorCode::InvalidDpopProof, why),
            crate::dpop::DpopError::UseNonce(why) => Self {
                dpop_nonce: nonce,
                ..Self::new(ErrorCode::UseDpopNonce, why)
            },
        }
    }

    /// A request body over the endpoint's size limit.
    pub fn body_too_large() -> Self {
        Self {
            too_large: true,
            ..Self::invalid_request("the request body is too large")
        }
    }

    /// The HTTP status RFC 6749 §5.2 gives this error.
    pub fn status(&self) -> u16 {
        if self.too_large {
            return 413;
        }
        match self.code {
            ErrorCode::InvalidClient => 401,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::ServerError => 500,
            _ => 400,
        }
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

/// A database failure during a token request: `temporarily_unavailable` (503) when the
/// database cannot be reached, otherwise an opaque `server_error` whose cause is logged.
impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            tracing::error!(error = %e, "storage unavailable");
            TokenError::new(
                ErrorCode::TemporarilyUnavailable,
                "the database is unavailable; try again shortly",
            )
        } else {
            tracing::error!(error = %e, "storage failed");
            TokenError::new(ErrorCode::ServerError, "the request could not be completed")
        }
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
