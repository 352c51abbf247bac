use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

/// Why a request was refused; each maps to an RFC 6750 §3 answer.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// No bearer token (RFC 6750 §3.1: no error code, just the challenge).
    #[error("an access token is required")]
    Missing,
    #[error("the access token is invalid: {0}")]
    Invalid(&'static str),
    #[error("the access token was revoked")]
    Revoked,
    /// RFC 9449 §7.2: a DPoP-bound token presented as a bearer token.
    #[error("the access token is DPoP-bound: present it with the DPoP scheme and a proof")]
    DpopBound,
    /// RFC 9449 §7.1: `invalid_dpop_proof`.
    #[error("the DPoP proof is invalid: {0}")]
    InvalidProof(String),
    #[error("the access token lacks `{0}`")]
    InsufficientScope(String),
    /// RFC 9470 §3: the user's sign-in is below `acr_values` or older than `max_age`.
    #[error("a stronger or more recent sign-in is required")]
    InsufficientUserAuthentication {
        acr_values: Option<String>,
        max_age: Option<i64>,
    },
    #[error("cannot reach the issuer: {0}")]
    Issuer(String),
    #[error("the guard is not configured in this application")]
    NotConfigured,
}

impl ResponseError for GuardError {
    fn status_code(&self) -> StatusCode {
        match self {
            GuardError::Missing
            | GuardError::Invalid(_)
            | GuardError::Revoked
            | GuardError::DpopBound
            | GuardError::InvalidProof(_)
            | GuardError::InsufficientUserAuthentication { .. } => StatusCode::UNAUTHORIZED,
            GuardError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            GuardError::Issuer(_) => StatusCode::SERVICE_UNAVAILABLE,
            GuardError::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let challenge = match self {
            GuardError::Missing => "Bearer".to_string(),
            GuardError::Invalid(_) | GuardError::Revoked => {
                format!("Bearer error=\"invalid_token\", error_description=\"{self}\"")
            }
            GuardError::DpopBound => format!(
                "DPoP algs=\"{}\", error=\"invalid_token\", error_description=\"{self}\"",
                crate::verify::ALGORITHMS.join(" ")
            ),
            GuardError::InvalidProof(_) => format!(
                "DPoP algs=\"{}\", error=\"invalid_dpop_proof\", error_description=\"{}\"",
                crate::verify::ALGORITHMS.join(" "),
                self.to_string().replace('"', "'")
            ),
            GuardError::InsufficientScope(s) => {
                format!("Bearer error=\"insufficient_scope\", scope=\"{s}\"")
            }
            GuardError::InsufficientUserAuthentication {
                acr_values,
                max_age,
            } => {
                let mut c = format!(
                    "Bearer error=\"insufficient_user_authentication\", error_description=\"{self}\""
                );
                if let Some(a) = acr_values {
                    c.push_str(&format!(", acr_values=\"{a}\""));
                }
                if let Some(m) = max_age {
                    c.push_str(&format!(", max_age={m}"));
                }
                c
            }
            GuardError::Issuer(_) | GuardError::NotConfigured => String::new(),
        };
        let mut res = HttpResponse::build(self.status_code()).finish();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            if !challenge.is_empty() {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        res
    }
}
