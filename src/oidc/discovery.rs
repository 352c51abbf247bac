//! Authorization-server metadata (OpenID Connect Discovery 1.0, RFC 8414), generated from
//! the endpoint list (`endpoints`) — the same one that decides which routes exist — and
//! one [`Capabilities`] value, so we never advertise an endpoint or feature that is off or
//! not built.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::config::Features;
use crate::domain::signing_alg::SigningAlg;
use crate::endpoints::{self, Endpoint};

/// What this server implements besides its endpoints.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub features: Features,
    pub scopes: Vec<&'static str>,
    pub claims: Vec<&'static str>,
    pub grant_types: Vec<&'static str>,
    pub token_auth_methods: Vec<&'static str>,
    pub token_auth_signing_algs: Vec<&'static str>,
    /// `keys.algorithms`: what signs ID tokens (and access tokens), and what DPoP proofs
    /// may use.
    pub signing_algs: Vec<SigningAlg>,
    /// `par.required` (RFC 9126 §5 `require_pushed_authorization_requests`).
    pub par_required: bool,
}

impl Capabilities {
    pub fn current(features: &Features, signing_algs: &[SigningAlg], par_required: bool) -> Self {
        Self {
            features: features.clone(),
            signing_algs: signing_algs.to_vec(),
            par_required,
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
            grant_types: {
                let mut g = vec!["authorization_code", "refresh_token", "client_credentials"];
                if features.token_exchange {
                    g.push(crate::domain::client::GrantType::TokenExchange.as_str());
                }
                if features.device_authorization {
                    g.push(crate::domain::client::GrantType::DeviceCode.as_str());
                }
                g
            },
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
    // Every endpoint that is on, under its registered metadata name.
    for endpoint in endpoints::enabled(&caps.features) {
        if let Some(name) = endpoint.metadata_name() {
            m.insert(name.into(), json!(endpoint.url(issuer)));
        }
    }
    let on = |e: Endpoint| e.enabled(&caps.features);
    m.insert("response_types_supported".into(), json!(["code"]));
    m.insert(
        "response_modes_supported".into(),
        json!(["query", "form_post"]),
    );
    m.insert("subject_types_supported".into(), json!(["public"]));
    // OpenID Connect Discovery §3: the languages of our pages (`ui_locales`).
    let locales: Vec<&str> = crate::i18n::Locale::ALL.iter().map(|l| l.tag()).collect();
    m.insert("ui_locales_supported".into(), json!(locales));
    m.insert(
        "id_token_signing_alg_values_supported".into(),
        json!(caps.signing_algs),
    );
    // RFC 9449 §5.1: proofs may use what we sign with (asymmetric only).
    m.insert(
        "dpop_signing_alg_values_supported".into(),
        json!(caps.signing_algs),
    );
    m.insert(
        "require_pushed_authorization_requests".into(),
        json!(caps.par_required),
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
        json!(crate::mfa::level::ACR_VALUES),
    );
    m.insert(
        "authorization_response_iss_parameter_supported".into(),
        json!(true),
    );
    m.insert("claims_parameter_supported".into(), json!(false));
    m.insert("request_parameter_supported".into(), json!(false));
    m.insert("request_uri_parameter_supported".into(), json!(false));
    m.insert("grant_types_supported".into(), json!(caps.grant_types));
    if on(Endpoint::Revoke) {
        m.insert(
            "revocation_endpoint_auth_methods_supported".into(),
            json!(caps.token_auth_methods),
        );
    }
    if on(Endpoint::Introspect) {
        // RFC 7662 §2.1: the endpoint is protected; a public client proves nothing.
        m.insert(
            "introspection_endpoint_auth_methods_supported".into(),
            json!(
                caps.token_auth_methods
                    .iter()
                    .filter(|m| **m != "none")
                    .collect::<Vec<_>>()
            ),
        );
        // RFC 9701 §7: signed introspection answers use the default signing algorithm.
        if let Some(alg) = caps.signing_algs.first() {
            m.insert(
                "introspection_signing_alg_values_supported".into(),
                json!([alg.as_str()]),
            );
        }
    }
    m.insert("backchannel_logout_supported".into(), json!(true));
    m.insert("backchannel_logout_session_supported".into(), json!(true));
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
        let m = metadata(
            "https://id.example.com/tenant",
            &Capabilities::current(&Features::default(), &[SigningAlg::Rs256], false),
        );
        assert_eq!(m["issuer"], "https://id.example.com/tenant");
        assert_eq!(
            m["jwks_uri"],
            "https://id.example.com/tenant/.well-known/jwks.json"
        );
    }

    #[test]
    fn switched_off_features_are_not_advertised() {
        let on = metadata(
            "https://id.example",
            &Capabilities::current(&Features::default(), &[SigningAlg::Rs256], false),
        );
        assert_eq!(
            on["introspection_endpoint"],
            "https://id.example/introspect"
        );
        assert_eq!(
            on["portcullis_revocation_feed_endpoint"],
            "https://id.example/revocations"
        );
        let off = metadata(
            "https://id.example",
            &Capabilities::current(
                &Features {
                    revocation_feed: false,
                    introspection: false,
                    forward_auth: false,
                    token_exchange: false,
                    device_authorization: false,
                    admin_api: false,
                    admin_console: false,
                    registration: false,
                    demo: false,
                },
                &[SigningAlg::Rs256],
                false,
            ),
        );
        for member in [
            "introspection_endpoint",
            "introspection_endpoint_auth_methods_supported",
            "portcullis_revocation_feed_endpoint",
            "portcullis_revocation_stream_endpoint",
        ] {
            assert!(off.get(member).is_none(), "{member}");
        }
        assert_eq!(off["revocation_endpoint"], "https://id.example/revoke");
    }
}
