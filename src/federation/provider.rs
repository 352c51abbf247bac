//! An upstream's discovery document (OpenID Connect Discovery 1.0 §3, §4.3): what we need
//! of it, checked once when the upstream is added.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::token::jwk_set::SUPPORTED_ALGS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub userinfo_endpoint: Option<String>,
    /// The ID token algorithms we accept from it: what it says it uses, among ours.
    pub id_token_algs: Vec<String>,
    /// `client_secret_basic` unless it only offers `client_secret_post`.
    pub secret_in_body: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the discovery document is not a JSON object")]
    NotJson,
    #[error("the discovery document's issuer is `{found}`, not `{expected}` (Discovery §4.3)")]
    IssuerMismatch { expected: String, found: String },
    #[error("the discovery document has no {0}")]
    Missing(&'static str),
    #[error("{0} must be an https URL (or http on loopback)")]
    Insecure(&'static str),
    #[error("the provider offers none of the signing algorithms we accept ({0})")]
    Algorithms(String),
    #[error("the provider does not offer the authorization code flow")]
    NoCodeFlow,
}

/// Where its discovery document is (Discovery §4.1).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

fn secure(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => true,
        Ok(u) if u.scheme() == "http" => match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// Reads and checks the document fetched for `issuer`.
pub fn parse(issuer: &str, body: &[u8]) -> Result<ProviderMetadata, ProviderError> {
    let doc: Value = serde_json::from_slice(body).map_err(|_| ProviderError::NotJson)?;
    let doc = doc.as_object().ok_or(ProviderError::NotJson)?;
    let string = |name: &'static str| -> Result<String, ProviderError> {
        doc.get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(ProviderError::Missing(name))
    };
    let found = string("issuer")?;
    if found != issuer {
        return Err(ProviderError::IssuerMismatch {
            expected: issuer.to_string(),
            found,
        });
    }
    let list = |name: &str| -> Option<Vec<String>> {
        doc.get(name).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
    };
    if list("response_types_supported").is_some_and(|r| !r.iter().any(|t| t == "code")) {
        return Err(ProviderError::NoCodeFlow);
    }
    let offered =
        list("id_token_signing_alg_values_supported").unwrap_or_else(|| vec!["RS256".into()]);
    let id_token_algs: Vec<String> = offered
        .into_iter()
        .filter(|a| SUPPORTED_ALGS.contains(&a.as_str()))
        .collect();
    if id_token_algs.is_empty() {
        return Err(ProviderError::Algorithms(SUPPORTED_ALGS.join(", ")));
    }
    let metadata = ProviderMetadata {
        issuer: found,
        authorization_endpoint: string("authorization_endpoint")?,
        token_endpoint: string("token_endpoint")?,
        jwks_uri: string("jwks_uri")?,
        userinfo_endpoint: doc
            .get("userinfo_endpoint")
            .and_then(Value::as_str)
            .map(str::to_string),
        id_token_algs,
        secret_in_body: list("token_endpoint_auth_methods_supported").is_some_and(|m| {
            !m.iter().any(|x| x == "client_secret_basic")
                && m.iter().any(|x| x == "client_secret_post")
        }),
    };
    for (name, url) in [
        (
            "authorization_endpoint",
            Some(&metadata.authorization_endpoint),
        ),
        ("token_endpoint", Some(&metadata.token_endpoint)),
        ("jwks_uri", Some(&metadata.jwks_uri)),
        ("userinfo_endpoint", metadata.userinfo_endpoint.as_ref()),
    ] {
        if let Some(u) = url {
            if !secure(u) {
                return Err(ProviderError::Insecure(name));
            }
        }
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(issuer: &str) -> serde_json::Value {
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "userinfo_endpoint": format!("{issuer}/userinfo"),
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256", "HS256", "ES256"],
        })
    }

    #[test]
    fn a_provider_document_gives_its_endpoints_and_our_algorithms_only() {
        let m = parse(
            "https://idp.example",
            doc("https://idp.example").to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(m.token_endpoint, "https://idp.example/token");
        assert_eq!(m.id_token_algs, ["RS256", "ES256"], "never HS256");
        assert!(!m.secret_in_body);
        assert_eq!(
            discovery_url("https://idp.example/"),
            "https://idp.example/.well-known/openid-configuration"
        );
    }

    #[test]
    fn a_document_for_another_issuer_or_over_plain_http_is_refused() {
        let other = doc("https://evil.example").to_string();
        assert!(matches!(
            parse("https://idp.example", other.as_bytes()),
            Err(ProviderError::IssuerMismatch { .. })
        ));
        let plain = doc("http://idp.example").to_string();
        assert_eq!(
            parse("http://idp.example", plain.as_bytes()),
            Err(ProviderError::Insecure("authorization_endpoint"))
        );
        let loopback = doc("http://127.0.0.1:9000").to_string();
        assert!(parse("http://127.0.0.1:9000", loopback.as_bytes()).is_ok());
        let mut no_jwks = doc("https://idp.example");
        no_jwks.as_object_mut().unwrap().remove("jwks_uri");
        assert_eq!(
            parse("https://idp.example", no_jwks.to_string().as_bytes()),
            Err(ProviderError::Missing("jwks_uri"))
        );
        let mut hmac_only = doc("https://idp.example");
        hmac_only["id_token_signing_alg_values_supported"] = json!(["HS256"]);
        assert!(matches!(
            parse("https://idp.example", hmac_only.to_string().as_bytes()),
            Err(ProviderError::Algorithms(_))
        ));
    }
}
