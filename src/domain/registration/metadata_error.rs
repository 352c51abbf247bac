//! The errors of dynamic registration (RFC 7591 §3.2.2), and how each refusal of
//! [`ClientSpec::validate`](super::ClientSpec::validate) reads to a registering client:
//! in metadata member names, not in the CLI's flags.

use super::ClientError;
use crate::domain::grant_type::GrantType;

/// RFC 7591 §3.2.2 error codes (RFC 7592 uses the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationErrorCode {
    /// "The value of one or more redirection URIs is invalid."
    InvalidRedirectUri,
    /// "The value of one of the client metadata fields is invalid and the server has
    /// rejected this request."
    InvalidClientMetadata,
    /// "The software statement presented is invalid." We accept none (see `metadata`).
    InvalidSoftwareStatement,
}

impl RegistrationErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidSoftwareStatement => "invalid_software_statement",
        }
    }
}

/// A refused registration: the code and a sentence saying what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct MetadataError {
    pub code: RegistrationErrorCode,
    pub description: String,
}

impl MetadataError {
    pub fn metadata(description: impl Into<String>) -> Self {
        Self {
            code: RegistrationErrorCode::InvalidClientMetadata,
            description: description.into(),
        }
    }

    pub fn redirect_uri(description: impl Into<String>) -> Self {
        Self {
            code: RegistrationErrorCode::InvalidRedirectUri,
            description: description.into(),
        }
    }
}

/// The metadata member a `ClientError::InvalidUri` field stands for.
fn member(field: &str) -> &str {
    match field {
        "redirect URI" => "redirect_uris",
        "post-logout redirect URI" => "post_logout_redirect_uris",
        "back-channel logout URI" => "backchannel_logout_uri",
        "JWKS URI" => "jwks_uri",
        "--id-token-alg" => "id_token_signed_response_alg",
        // Set by an operator, never by registration (kept across RFC 7592 updates).
        "--access-token-alg" => "the access token algorithm (set by an operator)",
        other => other,
    }
}

/// Maps a validation refusal to its RFC 7591 §3.2.2 code: redirect URI problems are
/// `invalid_redirect_uri`, everything else `invalid_client_metadata`.
pub fn error_for(e: &ClientError) -> MetadataError {
    use ClientError as E;
    match e {
        E::InvalidUri {
            field: "redirect URI",
            uri,
            problem,
        } => MetadataError::redirect_uri(format!("redirect_uris: `{uri}` is invalid: {problem}")),
        E::MissingRedirectUri => MetadataError::redirect_uri(
            "the authorization_code grant needs at least one entry in redirect_uris",
        ),
        E::RedirectWithoutCodeGrant => MetadataError::redirect_uri(
            "redirect_uris are only for the authorization_code grant; add it to grant_types or remove them",
        ),
        E::InvalidUri {
            field,
            uri,
            problem,
        } => MetadataError::metadata(format!("{}: `{uri}` is invalid: {problem}", member(field))),
        E::InvalidId(_) => MetadataError::metadata("client_id is always assigned by the server"),
        E::InvalidName => MetadataError::metadata("client_name must be 1-200 printable characters"),
        E::UnknownGrantType(g) => {
            let supported: Vec<&str> = GrantType::ALL.iter().map(|g| g.as_str()).collect();
            MetadataError::metadata(format!(
                "grant_types: `{g}` is not supported (supported: {})",
                supported.join(", ")
            ))
        }
        E::UnknownAuthMethod(m) => MetadataError::metadata(format!(
            "token_endpoint_auth_method `{m}` is not supported (client_secret_basic, client_secret_post, private_key_jwt or none)"
        )),
        E::NoGrantType => MetadataError::metadata("grant_types must name at least one grant type"),
        E::RefreshWithoutCode => MetadataError::metadata(
            "grant_types: refresh_token goes with authorization_code or the device grant",
        ),
        E::PublicClientCredentials => MetadataError::metadata(
            "a public client (token_endpoint_auth_method none) cannot use client_credentials: it has no credentials",
        ),
        E::InvalidScope(s) => {
            MetadataError::metadata(format!("scope: `{s}` is malformed (RFC 6749 section 3.3)"))
        }
        E::AuthMethodMismatch => MetadataError::metadata(
            "a public client authenticates with token_endpoint_auth_method none; a confidential client cannot",
        ),
        E::PrivateKeyJwtNeedsKeys => MetadataError::metadata(
            "private_key_jwt needs the client's public keys: jwks or jwks_uri",
        ),
        E::UnexpectedKeys => MetadataError::metadata(
            "jwks and jwks_uri are only for private_key_jwt clients (this server uses them for client authentication only), and only one of them",
        ),
        E::InvalidJwks(why) => MetadataError::metadata(format!("jwks is invalid: {why}")),
        E::UnknownAlg(u) => MetadataError::metadata(format!(
            "id_token_signed_response_alg `{}` is not supported",
            u.0
        )),
        E::AlgNotConfigured {
            field,
            alg,
            configured,
        } => MetadataError::metadata(format!(
            "{} {alg} is not supported here (supported: {configured})",
            member(field)
        )),
        E::UnknownProfile(p) => MetadataError::metadata(format!("the client's profile: {p}")),
        E::Fapi2(why) => MetadataError::metadata(format!(
            "the client's fapi2 profile (set by an operator) {why}"
        )),
        E::UnknownAcr(v) => MetadataError::metadata(format!(
            "default_acr_values: `{v}` is not one this server requires (2 or 3; 1 needs no requirement)"
        )),
        E::PublicExchange => MetadataError::metadata(
            "a public client cannot use token exchange: it must authenticate",
        ),
        E::ExchangeAudiences => MetadataError::metadata(
            "the token-exchange grant type is granted by an operator, not by registration",
        ),
    }
}
