//! Client metadata as a client sends it to register itself (RFC 7591 §2, OpenID Connect
//! Dynamic Client Registration 1.0 §2, RFC 9449 §5.2 `dpop_bound_access_tokens`, RFC 9126
//! §6 `require_pushed_authorization_requests`), and its mapping to the one
//! [`ClientSpec`] that the CLI validates too: a self-registered client passes exactly the
//! checks an operator's does, plus the few below that only registration needs.
//!
//! What a client sends is sorted three ways:
//! - members we act on become the `ClientSpec`;
//! - informational members (`client_uri`, `logo_uri`, `tos_uri`, `policy_uri`,
//!   `contacts`, `software_id`, `software_version`, `application_type`) are stored and
//!   echoed, never acted on ([`Informational`]);
//! - members that ask for behaviour we do not offer (encrypted or signed UserInfo,
//!   request objects, pairwise subjects, software statements…) are refused with a
//!   sentence naming them ([`REFUSED`]): ignoring them would let the client believe it got
//!   what it asked for. Members we do not know are ignored and not echoed (RFC 7591 §2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ClientSpec;
use super::metadata_error::{MetadataError, RegistrationErrorCode, error_for};
use crate::domain::client::Client;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::uri;
use crate::mfa::level::Level;

/// Scopes a client may register for itself: the ones people consent to (our
/// `scopes_supported`). API scopes are for operators to grant: a client-credentials token
/// carries its scopes with no person's consent, so a self-registered client must not pick
/// them.
pub const REGISTRABLE_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// Members that ask for what this server does not do, and why each is refused. A member
/// sent as `null` (or `false`, for the booleans) asks for nothing and passes.
pub const REFUSED: &[(&str, &str)] = &[
    (
        "sector_identifier_uri",
        "is for pairwise subject identifiers, which this server does not issue (subject_type public only)",
    ),
    (
        "request_uris",
        "request objects are not supported (request_uri_parameter_supported is false)",
    ),
    (
        "request_object_signing_alg",
        "request objects are not supported (request_parameter_supported is false)",
    ),
    (
        "request_object_encryption_alg",
        "request objects are not supported",
    ),
    (
        "request_object_encryption_enc",
        "request objects are not supported",
    ),
    (
        "userinfo_signed_response_alg",
        "UserInfo answers are plain JSON, never signed",
    ),
    (
        "userinfo_encrypted_response_alg",
        "UserInfo answers are plain JSON, never encrypted",
    ),
    (
        "userinfo_encrypted_response_enc",
        "UserInfo answers are plain JSON, never encrypted",
    ),
    (
        "id_token_encrypted_response_alg",
        "ID tokens are signed, never encrypted",
    ),
    (
        "id_token_encrypted_response_enc",
        "ID tokens are signed, never encrypted",
    ),
    (
        "authorization_signed_response_alg",
        "JWT-secured authorization responses (JARM) are not supported",
    ),
    (
        "authorization_encrypted_response_alg",
        "JWT-secured authorization responses (JARM) are not supported",
    ),
    (
        "authorization_encrypted_response_enc",
        "JWT-secured authorization responses (JARM) are not supported",
    ),
    (
        "token_endpoint_auth_signing_alg",
        "the algorithm of client assertions cannot be pinned per client here (any of token_endpoint_auth_signing_alg_values_supported is accepted)",
    ),
    (
        "tls_client_certificate_bound_access_tokens",
        "mutual-TLS sender-constrained tokens are not supported; use dpop_bound_access_tokens",
    ),
    (
        "frontchannel_logout_uri",
        "front-channel logout is not supported; use backchannel_logout_uri",
    ),
    (
        "default_max_age",
        "a default max_age is not enforced per client; send max_age in each request",
    ),
];

/// `application_type` (OpenID Connect Dynamic Client Registration §2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationType {
    /// Redirect URIs must be https.
    #[default]
    Web,
    /// Redirect URIs may also be http on loopback (RFC 8252 §7.3) or a private-use scheme
    /// (§7.1); claimed https URIs (§7.2) stay allowed.
    Native,
}

/// Metadata stored and echoed but never acted on (RFC 7591 §2 human-readable and
/// software members). Kept as JSON beside the registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Informational {
    pub application_type: ApplicationType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
}

/// The members we read, with the JSON types RFC 7591 gives them. Unknown members are
/// ignored; so are the ones a client may not set (`client_id`, `client_secret`,
/// `registration_access_token`…), which the RFC 7592 update checks apart.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Wire {
    redirect_uris: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_name: Option<String>,
    scope: Option<String>,
    jwks: Option<Value>,
    jwks_uri: Option<String>,
    post_logout_redirect_uris: Option<Vec<String>>,
    backchannel_logout_uri: Option<String>,
    id_token_signed_response_alg: Option<String>,
    dpop_bound_access_tokens: Option<bool>,
    require_pushed_authorization_requests: Option<bool>,
    default_acr_values: Option<Vec<String>>,
    application_type: Option<ApplicationType>,
    subject_type: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    tos_uri: Option<String>,
    policy_uri: Option<String>,
    contacts: Option<Vec<String>>,
    software_id: Option<String>,
    software_version: Option<String>,
}

/// What only an operator grants (CLI, admin API): none on registration; on an RFC 7592
/// update, whatever an operator gave the client stays, since the client replaces only its
/// own metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorGrants {
    pub audience: Option<String>,
    pub allowed_audiences: Vec<String>,
    pub permissions: Vec<String>,
    pub skip_consent: bool,
    pub profile: Option<String>,
    pub access_token_alg: Option<String>,
    pub exchange_audiences: Vec<String>,
    pub exchange_impersonate: bool,
    /// Grant types beyond [`SELF_SERVICE_GRANTS`] that an operator gave the client: kept,
    /// and the only ones of their kind an update may name.
    pub grant_types: Vec<String>,
}

/// The grant types a client may give itself by registration (RFC 7591 §2). Token
/// exchange lets a client act for users and is given by an operator only (hardening
/// round 2, finding 14).
pub const SELF_SERVICE_GRANTS: [&str; 4] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
];

impl OperatorGrants {
    pub fn of(c: &Client) -> Self {
        Self {
            audience: c.default_audience.as_ref().map(|a| a.as_str().to_string()),
            allowed_audiences: c.audiences.iter().map(|a| a.as_str().to_string()).collect(),
            permissions: c.permissions.clone(),
            skip_consent: c.skip_consent,
            profile: c.profile.map(|p| p.as_str().to_string()),
            access_token_alg: c.access_token_alg.map(|a| a.as_str().to_string()),
            exchange_audiences: c
                .exchange_audiences
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            exchange_impersonate: c.exchange_impersonate,
            grant_types: c
                .grant_types
                .iter()
                .map(|g| g.as_str().to_string())
                .filter(|g| !SELF_SERVICE_GRANTS.contains(&g.as_str()))
                .collect(),
        }
    }
}

/// What the server decides, not the client.
#[derive(Debug, Clone)]
pub struct ServerPolicy {
    /// `http.allow_private_destinations`, as the CLI passes it.
    pub allow_private_destinations: bool,
    /// `keys.algorithms`.
    pub algorithms: Vec<SigningAlg>,
}

/// A registration request, mapped: the spec to validate and store, and what is echoed.
#[derive(Debug, Clone)]
pub struct Registrable {
    pub spec: ClientSpec,
    pub info: Informational,
}

/// The request body: a JSON object (RFC 7591 §3.1), or `invalid_client_metadata`.
pub fn parse(body: &[u8]) -> Result<Map<String, Value>, MetadataError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(MetadataError::metadata(
            "the request body must be a JSON object of client metadata",
        )),
        Err(e) => Err(MetadataError::metadata(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// Whether a present member asks for something (`null` and `false` do not).
fn asks(value: &Value) -> bool {
    !matches!(value, Value::Null | Value::Bool(false))
}

fn check_informational_uri(
    member: &str,
    value: Option<String>,
) -> Result<Option<String>, MetadataError> {
    if let Some(u) = &value {
        uri::check_https_uri(u)
            .map_err(|why| MetadataError::metadata(format!("{member}: `{u}` is invalid: {why}")))?;
    }
    Ok(value)
}

fn check_text(member: &str, value: &str, max: usize) -> Result<(), MetadataError> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(MetadataError::metadata(format!(
            "{member} must be 1-{max} printable characters"
        )));
    }
    Ok(())
}

/// Maps a client's metadata to the spec for client `client_id` (generated for a new
/// registration, the current one for an update), with what an operator granted. Rules
/// of registration beyond `ClientSpec::validate`, which runs afterwards on the result:
/// `response_types` only `code` and consistent with `grant_types` (RFC 7591 §2.1);
/// `subject_type` only `public`; a web client's redirect URIs use https (OIDC Dynamic
/// Registration §2); scopes only from [`REGISTRABLE_SCOPES`]; no software statement.
pub fn to_spec(
    metadata: &Map<String, Value>,
    client_id: &str,
    grants: OperatorGrants,
    policy: &ServerPolicy,
) -> Result<Registrable, MetadataError> {
    if metadata.get("software_statement").is_some_and(asks) {
        // RFC 7591 §3.2.2: we accept no software statement, so none is valid.
        return Err(MetadataError {
            code: RegistrationErrorCode::InvalidSoftwareStatement,
            description: "software statements are not accepted here; send the metadata itself"
                .into(),
        });
    }
    for (member, why) in REFUSED {
        if metadata.get(*member).is_some_and(asks) {
            return Err(MetadataError::metadata(format!(
                "{member} is not supported: {why}"
            )));
        }
    }
    let w: Wire = serde_json::from_value(Value::Object(metadata.clone())).map_err(|e| {
        MetadataError::metadata(format!("a metadata member has the wrong type: {e}"))
    })?;
    if let Some(s) = w.subject_type.as_deref().filter(|s| *s != "public") {
        return Err(MetadataError::metadata(format!(
            "subject_type `{s}` is not supported (public only)"
        )));
    }
    // RFC 7591 §2: grant_types defaults to authorization_code; response_types to code,
    // which we derive from the grant types so a client-credentials client need not send
    // an empty list.
    let grant_types = w
        .grant_types
        .unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types
        .iter()
        .find(|g| !SELF_SERVICE_GRANTS.contains(&g.as_str()) && !grants.grant_types.contains(g))
    {
        return Err(MetadataError::metadata(format!(
            "grant_types: `{g}` is given by an operator, not by registration"
        )));
    }
    let code = grant_types.iter().any(|g| g == "authorization_code");
    if let Some(types) = &w.response_types {
        if let Some(t) = types.iter().find(|t| *t != "code") {
            return Err(MetadataError::metadata(format!(
                "response_types: `{t}` is not supported (code only)"
            )));
        }
        if code != types.iter().any(|t| t == "code") {
            return Err(MetadataError::metadata(
                "response_types and grant_types disagree: the code response type goes with, and only with, the authorization_code grant (RFC 7591 section 2.1)",
            ));
        }
    }
    let application_type = w.application_type.unwrap_or_default();
    let redirect_uris = w.redirect_uris.unwrap_or_default();
    if application_type == ApplicationType::Web {
        if let Some(u) = redirect_uris.iter().find(|u| !u.starts_with("https://")) {
            return Err(MetadataError::redirect_uri(format!(
                "redirect_uris: `{u}` is invalid: a web client's redirect URIs use https; a native app registers with application_type native"
            )));
        }
    }
    let scopes: Vec<String> = w
        .scope
        .as_deref()
        .unwrap_or("")
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect();
    if let Some(s) = scopes
        .iter()
        .find(|s| !REGISTRABLE_SCOPES.contains(&s.as_str()))
    {
        return Err(MetadataError::metadata(format!(
            "scope: `{s}` cannot be registered by a client (registrable: {}); ask the operator for API scopes",
            REGISTRABLE_SCOPES.join(" ")
        )));
    }
    let jwks = match w.jwks {
        None => None,
        Some(v @ Value::Object(_)) => Some(v.to_string()),
        Some(_) => {
            return Err(MetadataError::metadata(
                "jwks must be a JSON object (a JWK set)",
            ));
        }
    };
    let require_acr = match w.default_acr_values.as_deref() {
        None | Some([]) => None,
        Some(values) => {
            let levels = values
                .iter()
                .map(|v| {
                    Level::parse(v).ok_or_else(|| {
                        MetadataError::metadata(format!(
                            "default_acr_values: `{v}` is unknown (supported: 1 2 3)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            // Any listed value satisfies the client (OIDC Core §3.1.2.1): the weakest
            // is what every sign-in must reach.
            levels
                .into_iter()
                .min()
                .filter(|l| *l > Level::PASSWORD)
                .map(|l| l.as_acr().to_string())
        }
    };
    let name = match w.client_name {
        Some(n) => n,
        // RFC 7591 makes client_name optional; the id is unique and claims nothing.
        None => client_id.to_string(),
    };
    let contacts = w.contacts.unwrap_or_default();
    if contacts.len() > 20 {
        return Err(MetadataError::metadata("contacts: at most 20 entries"));
    }
    for c in &contacts {
        check_text("each of contacts", c, 320)?;
    }
    for (member, value) in [
        ("software_id", &w.software_id),
        ("software_version", &w.software_version),
    ] {
        if let Some(v) = value {
            check_text(member, v, 200)?;
        }
    }
    let info = Informational {
        application_type,
        client_uri: check_informational_uri("client_uri", w.client_uri)?,
        logo_uri: check_informational_uri("logo_uri", w.logo_uri)?,
        tos_uri: check_informational_uri("tos_uri", w.tos_uri)?,
        policy_uri: check_informational_uri("policy_uri", w.policy_uri)?,
        contacts,
        software_id: w.software_id,
        software_version: w.software_version,
    };
    let auth_method = w
        .token_endpoint_auth_method
        .unwrap_or_else(|| "client_secret_basic".into());
    let spec = ClientSpec {
        id: Some(client_id.to_string()),
        name,
        public: auth_method == "none",
        grant_types,
        redirect_uris,
        post_logout_redirect_uris: w.post_logout_redirect_uris.unwrap_or_default(),
        backchannel_logout_uri: w.backchannel_logout_uri,
        scopes,
        audience: grants.audience,
        allowed_audiences: grants.allowed_audiences,
        skip_consent: grants.skip_consent,
        auth_method: Some(auth_method),
        jwks,
        jwks_uri: w.jwks_uri,
        allow_private_destinations: policy.allow_private_destinations,
        permissions: grants.permissions,
        access_token_alg: grants.access_token_alg,
        id_token_alg: w.id_token_signed_response_alg,
        require_dpop: w.dpop_bound_access_tokens.unwrap_or(false),
        require_par: w.require_pushed_authorization_requests.unwrap_or(false),
        profile: grants.profile,
        require_acr,
        exchange_audiences: grants.exchange_audiences,
        exchange_impersonate: grants.exchange_impersonate,
        algorithms: policy.algorithms.clone(),
    };
    // Validate now, so a refusal reads in metadata terms before anything is written; the
    // store's caller validates again (it is cheap, and the single source of the rules).
    spec.clone()
        .validate(client_id.to_string())
        .map_err(|e| error_for(&e))?;
    Ok(Registrable { spec, info })
}

/// The client information response members (RFC 7591 §3.2.1, RFC 7592 §3) for a stored
/// client: everything registered, as metadata. The caller adds what is issued once
/// (`client_secret`, `registration_access_token`) and `registration_client_uri`.
pub fn client_information(client: &Client, info: &Informational) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("client_id", client.id.as_str().into());
    put("client_id_issued_at", client.created_at.into());
    put("client_name", client.name.as_str().into());
    put(
        "token_endpoint_auth_method",
        client.token_endpoint_auth_method.as_str().into(),
    );
    if client.token_endpoint_auth_method.uses_secret() {
        // RFC 7591 §3.2.1: 0, the secret does not expire.
        put("client_secret_expires_at", 0.into());
    }
    let grants: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    put("grant_types", grants.into());
    let code = client.may_use(crate::domain::grant_type::GrantType::AuthorizationCode);
    put(
        "response_types",
        if code { vec!["code"] } else { vec![] }.into(),
    );
    let uris = |list: &[crate::domain::redirect_uri::RedirectUri]| -> Value {
        list.iter().map(|u| u.as_str()).collect::<Vec<_>>().into()
    };
    if !client.redirect_uris.is_empty() {
        put("redirect_uris", uris(&client.redirect_uris));
    }
    if !client.post_logout_redirect_uris.is_empty() {
        put(
            "post_logout_redirect_uris",
            uris(&client.post_logout_redirect_uris),
        );
    }
    if let Some(u) = &client.backchannel_logout_uri {
        put("backchannel_logout_uri", u.as_str().into());
    }
    if !client.scopes.is_empty() {
        put("scope", client.scopes.to_string().into());
    }
    if let Some(jwks) = &client.jwks {
        put("jwks", serde_json::from_str(jwks).unwrap_or(Value::Null));
    }
    if let Some(u) = &client.jwks_uri {
        put("jwks_uri", u.as_str().into());
    }
    if let Some(alg) = client.id_token_alg {
        put("id_token_signed_response_alg", alg.as_str().into());
    }
    put("dpop_bound_access_tokens", client.require_dpop.into());
    put(
        "require_pushed_authorization_requests",
        client.require_par.into(),
    );
    if let Some(l) = client.require_acr {
        put("default_acr_values", vec![l.as_acr()].into());
    }
    put("subject_type", "public".into());
    if let Ok(Value::Object(extra)) = serde_json::to_value(info) {
        m.extend(extra);
    }
    m
}

#[cfg(test)]
mod tests;
