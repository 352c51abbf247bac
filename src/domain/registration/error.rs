//! Why a registration is refused: each variant names the flag or metadata member and the
//! rule, so the CLI (and later the admin API) can say exactly what to change.

use crate::domain::signing_alg::SigningAlg;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientError {
    #[error("client id `{0}` is invalid: use 1-128 characters from A-Z a-z 0-9 . _ ~ -")]
    InvalidId(String),
    #[error("client name must be 1-200 printable characters")]
    InvalidName,
    #[error(
        "unknown grant type `{0}` (expected authorization_code, refresh_token or client_credentials)"
    )]
    UnknownGrantType(String),
    #[error(
        "unknown auth method `{0}` (expected client_secret_basic, client_secret_post, private_key_jwt or none)"
    )]
    UnknownAuthMethod(String),
    #[error("at least one --grant-type is required")]
    NoGrantType,
    #[error("{field} `{uri}` is invalid: {problem}")]
    InvalidUri {
        field: &'static str,
        uri: String,
        problem: &'static str,
    },
    #[error("the authorization_code grant needs at least one --redirect-uri")]
    MissingRedirectUri,
    #[error("--redirect-uri is only meaningful with the authorization_code grant")]
    RedirectWithoutCodeGrant,
    #[error("refresh_token is issued only with the authorization_code grant; add it too")]
    RefreshWithoutCode,
    #[error("a public client cannot use client_credentials: it has no credentials")]
    PublicClientCredentials,
    #[error(
        "scope `{0}` is invalid: scope tokens are printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)"
    )]
    InvalidScope(String),
    #[error("a public client authenticates with `none`; a confidential client cannot")]
    AuthMethodMismatch,
    #[error("private_key_jwt needs the client's public keys: --jwks FILE or --jwks-uri URL")]
    PrivateKeyJwtNeedsKeys,
    #[error("--jwks and --jwks-uri are only for private_key_jwt clients, and only one of them")]
    UnexpectedKeys,
    #[error("the JWK set is invalid: {0}")]
    InvalidJwks(String),
    #[error(transparent)]
    UnknownAlg(#[from] crate::domain::signing_alg::UnknownAlg),
    #[error("{field} {alg} is not one of keys.algorithms ({configured})")]
    AlgNotConfigured {
        field: &'static str,
        alg: SigningAlg,
        configured: String,
    },
    #[error(transparent)]
    UnknownProfile(#[from] crate::domain::profile::UnknownProfile),
    #[error("the fapi2 profile {0}")]
    Fapi2(&'static str),
    #[error("--require-acr must be 2 (two factors) or 3 (phishing-resistant), not `{0}`")]
    UnknownAcr(String),
    #[error("a public client cannot use token exchange: it must authenticate")]
    PublicExchange,
    #[error(
        "--exchange-audience (one or more) goes with, and only with, the token-exchange grant type; --exchange-impersonate needs it too"
    )]
    ExchangeAudiences,
}
