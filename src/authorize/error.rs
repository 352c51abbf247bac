//! Authorization errors: an HTML page when redirecting would be unsafe (unknown client, bad
//! redirect URI), otherwise a redirect to the validated redirect URI (RFC 6749 §4.1.2.1).

use super::request::ResponseMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    /// OpenID Connect Core Unmet Authentication Requirements 1.0: the user cannot reach
    /// the requested `acr`.
    UnmetAuthenticationRequirements,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
        }
    }
}

/// Why a request cannot even be answered at a redirect URI: shown on our page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    MissingClient,
    UnknownClient,
    UnregisteredRedirect,
    MissingRedirect,
    StateTooLong,
}

impl PageError {
    pub fn title(self) -> &'static str {
        match self {
            PageError::UnknownClient => "Unknown application",
            PageError::UnregisteredRedirect => "Invalid redirect",
            _ => "Invalid request",
        }
    }

    /// In English, as PAR's `error_description` (RFC 9126 §2.3).
    pub fn message(self) -> &'static str {
        match self {
            PageError::MissingClient => {
                "The request does not name a client (client_id is missing)."
            }
            PageError::UnknownClient => "The application that sent you here is not registered.",
            PageError::UnregisteredRedirect => {
                "The address this application asked to return to is not registered for it."
            }
            PageError::MissingRedirect => {
                "The application did not say where to return to (redirect_uri is missing)."
            }
            PageError::StateTooLong => {
                "The application's request is too long (its state parameter)."
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown to the user; never redirected.
    Page(PageError),
    /// Sent back to the client at its (validated) redirect URI.
    Redirect {
        redirect_uri: String,
        response_mode: ResponseMode,
        state: Option<String>,
        code: ErrorCode,
        description: &'static str,
    },
}
