//! Talking to an upstream after its answer: the code for tokens, its JWK set, UserInfo.

use base64::Engine;
use serde_json::{Map, Value};

use crate::cli::upstream::callback_url;
use crate::federation::id_token::IdTokenError;
use crate::federation::upstream::Upstream;
use crate::net::client::Outbound;
use crate::state::AppState;

/// Why an upstream's answer was not accepted (logged; the person sees one page).
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
    #[error("the state does not match this browser's")]
    State,
    #[error("the upstream answered with error `{0}`")]
    Upstream(String),
    #[error("the iss parameter names another issuer (RFC 9207)")]
    Issuer,
    #[error("the token request failed: {0}")]
    Token(String),
    #[error("the ID token was refused: {0}")]
    IdToken(#[from] IdTokenError),
    #[error("UserInfo failed: {0}")]
    UserInfo(String),
}

/// The code for tokens at the upstream's token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5),
/// authenticated with our client secret (RFC 6749 §2.3.1).
pub(super) async fn redeem(
    state: &AppState,
    upstream: &Upstream,
    code: &str,
    verifier: &str,
    secret: &str,
) -> Result<Map<String, Value>, Refusal> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair(
            "redirect_uri",
            &callback_url(state.issuer(), &upstream.name),
        )
        .append_pair("code_verifier", verifier);
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            enc(&upstream.client_id),
            enc(secret)
        ))
    );
    let headers: Vec<(&str, &str)> = if upstream.metadata.secret_in_body {
        form.append_pair("client_id", &upstream.client_id)
            .append_pair("client_secret", secret);
        Vec::new()
    } else {
        vec![("Authorization", basic.as_str())]
    };
    let body = Outbound::new(&state.settings.http)
        .post_form_for_body(&upstream.metadata.token_endpoint, form.finish(), &headers)
        .await
        .map_err(|e| Refusal::Token(e.to_string()))?;
    let v: Value = serde_json::from_slice(&body).map_err(|_| Refusal::Token("not JSON".into()))?;
    v.as_object()
        .filter(|o| o.get("id_token").and_then(Value::as_str).is_some())
        .cloned()
        .ok_or_else(|| Refusal::Token("no id_token".into()))
}

/// Checks with the upstream's cached JWK set, and once more with a fresh one when the
/// token's key is not in it (the upstream rotated).
pub(super) async fn verify_with_refetch<T>(
    state: &AppState,
    upstream: &Upstream,
    check: impl Fn(&str) -> Result<T, IdTokenError>,
) -> Result<T, Refusal> {
    let uri = &upstream.metadata.jwks_uri;
    let jwks = state
        .remote_jwks
        .get(uri, false)
        .await
        .map_err(|e| Refusal::Token(format!("its JWK set: {e}")))?;
    match check(&jwks) {
        Err(e) if e.unknown_key() => {
            let fresh = state
                .remote_jwks
                .get(uri, true)
                .await
                .map_err(|e| Refusal::Token(format!("its JWK set: {e}")))?;
            Ok(check(&fresh)?)
        }
        other => Ok(other?),
    }
}

/// UserInfo (OpenID Connect Core §5.3): its `sub` must be the ID token's (§5.3.4).
pub(super) async fn userinfo(
    state: &AppState,
    upstream: &Upstream,
    access_token: Option<&str>,
    sub: &str,
) -> Result<Map<String, Value>, Refusal> {
    let (Some(url), Some(token)) = (&upstream.metadata.userinfo_endpoint, access_token) else {
        return Err(Refusal::UserInfo("no endpoint or no access token".into()));
    };
    let body = Outbound::new(&state.settings.http)
        .get_with_bearer(url, token)
        .await
        .map_err(|e| Refusal::UserInfo(e.to_string()))?;
    let v: Value =
        serde_json::from_slice(&body).map_err(|_| Refusal::UserInfo("not JSON".into()))?;
    let claims = v
        .as_object()
        .cloned()
        .ok_or_else(|| Refusal::UserInfo("not an object".into()))?;
    if claims.get("sub").and_then(Value::as_str) != Some(sub) {
        return Err(Refusal::UserInfo("its sub is not the ID token's".into()));
    }
    Ok(claims)
}
