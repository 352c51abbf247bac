//! Authorization-server metadata (OpenID Connect Discovery 1.0, RFC 8414), generated from
//! one [`Capabilities`] value — the same one that decides which routes exist — so we never
//! advertise an endpoint or feature that is not built.

use actix_web::web::Bytes;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub const OPENID_CONFIGURATION_PATH: &str = "/.well-known/openid-configuration";
pub const OAUTH_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const AUTHORIZE_PATH: &str = "/authorize";

/// What this server implements. Each protocol feature adds its field here, its route in
/// `startup`, and its metadata below.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub authorize_path: &'static str,
    pub userinfo_path: &'static str,
    pub scopes: Vec<&'static str>,
    pub claims: Vec<&'static str>,
    pub token_path: &'static str,
    pub grant_types: Vec<&'static str>,
    pub token_auth_methods: Vec<&'static str>,
    pub token_auth_signing_algs: Vec<&'static str>,
}

impl Capabilities {
    pub fn current() -> Self {
        Self {
            authorize_path: AUTHORIZE_PATH,
            userinfo_path: crate::http::userinfo::USERINFO_PATH,
            scopes: vec![
                "openid",
                "profile",
                "email",
                "address",
                "phone",
                "offline_access",
            ],
            claims: vec![
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "amr",
                "azp",
                "at_hash",
                "sid",
                "name",
                "preferred_username",
                "updated_at",
                "email",
                "email_verified",
            ],
            token_path: crate::http::token::TOKEN_PATH,
            grant_types: vec!["authorization_code", "refresh_token", "client_credentials"],
            token_auth_methods: vec![
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none",
            ],
            token_auth_signing_algs: crate::token::assertion::SUPPORTED_ALGS.to_vec(),
        }
    }
}

/// The metadata document for `issuer`.
pub fn metadata(issuer: &str, caps: &Capabilities) -> Value {
    let mut m = Map::new();
    m.insert("issuer".into(), json!(issuer));
    m.insert("jwks_uri".into(), json!(format!("{issuer}{JWKS_PATH}")));
    let url = |path: &str| json!(format!("{issuer}{path}"));
    m.insert("authorization_endpoint".into(), url(caps.authorize_path));
    m.insert("token_endpoint".into(), url(caps.token_path));
    m.insert("userinfo_endpoint".into(), url(caps.userinfo_path));
    m.insert("response_types_supported".into(), json!(["code"]));
    m.insert(
        "response_modes_supported".into(),
        json!(["query", "form_post"]),
    );
    m.insert("subject_types_supported".into(), json!(["public"]));
    m.insert(
        "id_token_signing_alg_values_supported".into(),
        json!([crate::keys::generate::ALG]),
    );
    m.insert("scopes_supported".into(), json!(caps.scopes));
    m.insert("claims_supported".into(), json!(caps.claims));
    m.insert("code_challenge_methods_supported".into(), json!(["S256"]));
    m.insert(
        "prompt_values_supported".into(),
        json!(["none", "login", "consent", "select_account"]),
    );
    m.insert(
        "acr_values_supported".into(),
        json!([crate::session::ACR_PASSWORD]),
    );
    m.insert(
        "authorization_response_iss_parameter_supported".into(),
        json!(true),
    );
    m.insert("claims_parameter_supported".into(), json!(false));
    m.insert("request_parameter_supported".into(), json!(false));
    m.insert("request_uri_parameter_supported".into(), json!(false));
    m.insert("grant_types_supported".into(), json!(caps.grant_types));
    m.insert(
        "revocation_endpoint".into(),
        url(crate::http::revoke::REVOKE_PATH),
    );
    m.insert(
        "revocation_endpoint_auth_methods_supported".into(),
        json!(caps.token_auth_methods),
    );
    m.insert(
        "introspection_endpoint".into(),
        url(crate::http::introspect::INTROSPECT_PATH),
    );
    m.insert(
        "introspection_endpoint_auth_methods_supported".into(),
        json!(
            caps.token_auth_methods
                .iter()
                .filter(|m| **m != "none")
                .collect::<Vec<_>>()
        ),
    );
    m.insert(
        "end_session_endpoint".into(),
        url(crate::http::logout::LOGOUT_PATH),
    );
    m.insert("backchannel_logout_supported".into(), json!(true));
    m.insert("backchannel_logout_session_supported".into(), json!(true));
    // Not a registered name: our revocation feed for resource servers.
    m.insert(
        "portcullis_revocation_feed_endpoint".into(),
        url(crate::http::feed::FEED_PATH),
    );
    m.insert(
        "portcullis_revocation_stream_endpoint".into(),
        url(crate::http::feed::STREAM_PATH),
    );
    m.insert(
        "token_endpoint_auth_methods_supported".into(),
        json!(caps.token_auth_methods),
    );
    m.insert(
        "token_endpoint_auth_signing_alg_values_supported".into(),
        json!(caps.token_auth_signing_algs),
    );
    Value::Object(m)
}

/// The serialized document and its strong ETag, computed once at start-up.
#[derive(Debug, Clone)]
pub struct Document {
    pub body: Bytes,
    pub etag: String,
}

impl Document {
    pub fn new(value: &Value) -> Self {
        let body = Bytes::from(value.to_string());
        let etag = format!(
            "\"{}\"",
            URL_SAFE_NO_PAD.encode(&Sha256::digest(&body)[..18])
        );
        Self { body, etag }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_uses_the_issuer_byte_for_byte() {
        let m = metadata("https://id.example.com/tenant", &Capabilities::current());
        assert_eq!(m["issuer"], "https://id.example.com/tenant");
        assert_eq!(
            m["jwks_uri"],
            "https://id.example.com/tenant/.well-known/jwks.json"
        );
    }
}
