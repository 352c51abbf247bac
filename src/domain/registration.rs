//! Registering a client: what an operator may ask for, and the checks that make a
//! registration valid (RFC 6749 §2, RFC 7591 §2 for the metadata names, RFC 9700 §2.1).

use super::audience::Audience;
use super::auth_method::AuthMethod;
use super::client::Client;
use super::client_id::{ClientId, is_client_id};
use super::destination;
use super::grant_type::GrantType;
use super::jwks::check_public_jwks;
use super::profile::ClientProfile;
use super::redirect_uri::RedirectUri;
use super::scope::Scope;
use super::signing_alg::SigningAlg;
use super::uri;
use crate::mfa::level::Level;

mod error;
pub mod metadata;
pub mod metadata_error;

pub use error::ClientError;

/// What an operator asks for when registering a client.
#[derive(Debug, Clone, Default)]
pub struct ClientSpec {
    pub id: Option<String>,
    pub name: String,
    pub public: bool,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub scopes: Vec<String>,
    pub audience: Option<String>,
    /// Further audiences the client may request with `resource` (RFC 8707).
    pub allowed_audiences: Vec<String>,
    pub skip_consent: bool,
    pub auth_method: Option<String>,
    /// A public JWK set (JSON) for private_key_jwt.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    /// `http.allow_private_destinations`: whether the URIs we will call ourselves
    /// (back-channel logout, `jwks_uri`) may name special-use addresses.
    pub allow_private_destinations: bool,
    /// Extra rights: `introspect` lets a resource server introspect any token.
    pub permissions: Vec<String>,
    /// `--access-token-alg`, `--id-token-alg`: must be among `algorithms`.
    pub access_token_alg: Option<String>,
    pub id_token_alg: Option<String>,
    /// `--require-dpop` (`dpop_bound_access_tokens`), `--require-par`.
    pub require_dpop: bool,
    pub require_par: bool,
    /// `--profile fapi2`.
    pub profile: Option<String>,
    /// `--require-acr 2|3`.
    pub require_acr: Option<String>,
    /// `--exchange-audience A…`: what token exchange may obtain (RFC 8693).
    pub exchange_audiences: Vec<String>,
    /// `--exchange-impersonate`.
    pub exchange_impersonate: bool,
    /// `keys.algorithms`: what this server signs with.
    pub algorithms: Vec<SigningAlg>,
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn check_uris(
    field: &'static str,
    uris: &[String],
    check: fn(&str) -> Result<(), uri::UriProblem>,
) -> Result<(), ClientError> {
    for u in uris {
        check(u).map_err(|problem| ClientError::InvalidUri {
            field,
            uri: u.clone(),
            problem,
        })?;
    }
    Ok(())
}

/// Parses each URI with `parse`, naming the field in the error.
fn parse_uris<T>(
    field: &'static str,
    uris: Vec<String>,
    parse: fn(&str) -> Result<T, uri::UriProblem>,
) -> Result<Vec<T>, ClientError> {
    uris.iter()
        .map(|u| {
            parse(u).map_err(|problem| ClientError::InvalidUri {
                field,
                uri: u.clone(),
                problem,
            })
        })
        .collect()
}

/// A URI Portcullis will call itself must not name a special-use destination (SSRF),
/// unless the operator allows private destinations.
fn check_destination(
    field: &'static str,
    uri: &str,
    allow_private: bool,
) -> Result<(), ClientError> {
    let url = url::Url::parse(uri).map_err(|_| ClientError::InvalidUri {
        field,
        uri: uri.to_string(),
        problem: "must be an absolute URI",
    })?;
    destination::check_url(&url, allow_private).map_err(|_| {
            ClientError::InvalidUri {
                field,
                uri: uri.to_string(),
                problem: "names a loopback, private or other special-use destination, or carries credentials (set http.allow_private_destinations for internal deployments)",
            }
        })
}

impl ClientSpec {
    /// The registration of an existing client, as a spec to edit and validate again
    /// (the console's edit form changes some fields and keeps the rest).
    pub fn of(
        client: &Client,
        algorithms: &[SigningAlg],
        allow_private_destinations: bool,
    ) -> Self {
        let strings = |v: &[Audience]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let default_audience = client.default_audience.as_ref().map(|a| a.to_string());
        ClientSpec {
            id: Some(client.id.to_string()),
            name: client.name.clone(),
            public: client.public,
            grant_types: client.grant_types.iter().map(|g| g.to_string()).collect(),
            redirect_uris: client.redirect_uris.iter().map(|u| u.to_string()).collect(),
            post_logout_redirect_uris: client
                .post_logout_redirect_uris
                .iter()
                .map(|u| u.to_string())
                .collect(),
            backchannel_logout_uri: client.backchannel_logout_uri.clone(),
            scopes: client.scopes.iter().map(str::to_string).collect(),
            allowed_audiences: strings(&client.audiences)
                .into_iter()
                .filter(|a| Some(a) != default_audience.as_ref())
                .collect(),
            audience: default_audience,
            skip_consent: client.skip_consent,
            auth_method: Some(client.token_endpoint_auth_method.to_string()),
            jwks: client.jwks.clone(),
            jwks_uri: client.jwks_uri.clone(),
            allow_private_destinations,
            permissions: client.permissions.clone(),
            access_token_alg: client.access_token_alg.map(|a| a.to_string()),
            id_token_alg: client.id_token_alg.map(|a| a.to_string()),
            require_dpop: client.require_dpop,
            require_par: client.require_par,
            profile: client.profile.map(|p| p.to_string()),
            require_acr: client.require_acr.map(|l| l.as_acr().to_string()),
            exchange_audiences: strings(&client.exchange_audiences),
            exchange_impersonate: client.exchange_impersonate,
            algorithms: algorithms.to_vec(),
        }
    }

    /// Validates the request; `generated_id` is used when no id was given. The result is
    /// the client as it will be stored, without what the store assigns (secret hash,
    /// timestamps).
    pub fn validate(self, generated_id: String) -> Result<Client, ClientError> {
        let allow_private = self.allow_private_destinations;
        let id = self.id.unwrap_or(generated_id);
        if !is_client_id(&id) {
            return Err(ClientError::InvalidId(id));
        }
        let id = ClientId::from_stored(id);
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(ClientError::InvalidName);
        }
        let grant_types = dedup(
            self.grant_types
                .iter()
                .map(|g| g.parse())
                .collect::<Result<Vec<GrantType>, _>>()?,
        );
        if grant_types.is_empty() {
            return Err(ClientError::NoGrantType);
        }
        let code = grant_types.contains(&GrantType::AuthorizationCode);
        // RFC 8628: a user signs in for the device, as with a code.
        let device = grant_types.contains(&GrantType::DeviceCode);
        if self.public && grant_types.contains(&GrantType::ClientCredentials) {
            return Err(ClientError::PublicClientCredentials);
        }
        if grant_types.contains(&GrantType::RefreshToken) && !code && !device {
            return Err(ClientError::RefreshWithoutCode);
        }
        let redirect_uris = parse_uris(
            "redirect URI",
            dedup(self.redirect_uris),
            RedirectUri::register,
        )?;
        if code && redirect_uris.is_empty() {
            return Err(ClientError::MissingRedirectUri);
        }
        if !code && !redirect_uris.is_empty() {
            return Err(ClientError::RedirectWithoutCodeGrant);
        }
        let post_logout_redirect_uris = parse_uris(
            "post-logout redirect URI",
            dedup(self.post_logout_redirect_uris),
            RedirectUri::register,
        )?;
        if let Some(u) = &self.backchannel_logout_uri {
            check_uris(
                "back-channel logout URI",
                std::slice::from_ref(u),
                uri::check_https_uri,
            )?;
            check_destination("back-channel logout URI", u, allow_private)?;
        }
        let mut scopes =
            Scope::from_tokens(&self.scopes).map_err(|bad| ClientError::InvalidScope(bad.0))?;
        if scopes.is_empty() && (code || device) {
            let mut defaults = vec!["openid", "profile", "email"];
            if grant_types.contains(&GrantType::RefreshToken) {
                defaults.push(super::scope::OFFLINE_ACCESS);
            }
            scopes =
                Scope::from_tokens(defaults).map_err(|bad| ClientError::InvalidScope(bad.0))?;
        }
        let mut audiences: Vec<String> = self.audience.iter().cloned().collect();
        audiences.extend(self.allowed_audiences);
        let audiences = parse_uris("audience", dedup(audiences), Audience::parse)?;
        let default_audience = self.audience.as_deref().map(Audience::from_trusted);
        let auth_method = match self.auth_method.as_deref() {
            Some(m) => m.parse()?,
            None if self.public => AuthMethod::None,
            None => AuthMethod::ClientSecretBasic,
        };
        if self.public != (auth_method == AuthMethod::None) {
            return Err(ClientError::AuthMethodMismatch);
        }
        let profile: Option<ClientProfile> = self.profile.as_deref().map(str::parse).transpose()?;
        let exchange = grant_types.contains(&GrantType::TokenExchange);
        if exchange && self.public {
            return Err(ClientError::PublicExchange);
        }
        if exchange == self.exchange_audiences.is_empty() {
            return Err(ClientError::ExchangeAudiences);
        }
        if self.exchange_impersonate && !exchange {
            return Err(ClientError::ExchangeAudiences);
        }
        let exchange_audiences = parse_uris(
            "exchange audience",
            dedup(self.exchange_audiences.clone()),
            Audience::parse,
        )?;
        let require_acr = match self.require_acr.as_deref() {
            None => None,
            Some(v) => match Level::parse(v) {
                Some(l) if l > Level::PASSWORD => Some(l),
                _ => return Err(ClientError::UnknownAcr(v.to_string())),
            },
        };
        let configured =
            |field: &'static str, alg: Option<&str>| -> Result<Option<SigningAlg>, ClientError> {
                let Some(alg) = alg.map(str::parse::<SigningAlg>).transpose()? else {
                    return Ok(None);
                };
                if !self.algorithms.contains(&alg) {
                    return Err(ClientError::AlgNotConfigured {
                        field,
                        alg,
                        configured: self
                            .algorithms
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                    });
                }
                Ok(Some(alg))
            };
        let mut access_token_alg =
            configured("--access-token-alg", self.access_token_alg.as_deref())?;
        let mut id_token_alg = configured("--id-token-alg", self.id_token_alg.as_deref())?;
        if profile == Some(ClientProfile::Fapi2) {
            // FAPI 2.0 Security Profile §5.3.2.1 (confidential clients, PAR, PKCE), §5.3.2.2
            // (sender-constrained tokens), §5.4 (algorithms).
            if self.public {
                return Err(ClientError::Fapi2("is for confidential clients only"));
            }
            if auth_method != AuthMethod::PrivateKeyJwt {
                return Err(ClientError::Fapi2(
                    "requires --auth-method private_key_jwt (with --jwks or --jwks-uri)",
                ));
            }
            let fapi_default = self.algorithms.iter().copied().find(|a| a.fapi_allowed());
            for alg in [&mut access_token_alg, &mut id_token_alg] {
                match alg {
                    Some(a) if !a.fapi_allowed() => {
                        return Err(ClientError::Fapi2(
                            "allows only PS256, ES256 or EdDSA signatures (not RS256)",
                        ));
                    }
                    Some(_) => {}
                    None => {
                        *alg = Some(fapi_default.ok_or(ClientError::Fapi2(
                            "needs PS256, ES256 or EdDSA in keys.algorithms",
                        ))?)
                    }
                }
            }
        }
        let fapi2 = profile == Some(ClientProfile::Fapi2);
        match (auth_method, &self.jwks, &self.jwks_uri) {
            (AuthMethod::PrivateKeyJwt, None, None) => {
                return Err(ClientError::PrivateKeyJwtNeedsKeys);
            }
            (AuthMethod::PrivateKeyJwt, Some(_), Some(_)) => {
                return Err(ClientError::UnexpectedKeys);
            }
            (AuthMethod::PrivateKeyJwt, Some(jwks), None) => check_public_jwks(jwks)?,
            (AuthMethod::PrivateKeyJwt, None, Some(u)) => {
                check_uris("JWKS URI", std::slice::from_ref(u), uri::check_https_uri)?;
                check_destination("JWKS URI", u, allow_private)?;
            }
            (_, None, None) => {}
            _ => return Err(ClientError::UnexpectedKeys),
        }
        Ok(Client {
            id,
            name,
            public: self.public,
            grant_types,
            redirect_uris,
            post_logout_redirect_uris,
            backchannel_logout_uri: self.backchannel_logout_uri,
            scopes,
            audiences,
            default_audience,
            skip_consent: self.skip_consent,
            require_pkce: self.public || fapi2,
            token_endpoint_auth_method: auth_method,
            secret_hash: None,
            jwks: self.jwks,
            jwks_uri: self.jwks_uri,
            permissions: self.permissions,
            access_token_alg,
            id_token_alg,
            require_dpop: self.require_dpop || fapi2,
            require_par: self.require_par || fapi2,
            profile,
            require_acr,
            exchange_audiences,
            exchange_impersonate: self.exchange_impersonate,
            self_registered: false,
            created_at: 0,
            updated_at: 0,
        })
    }
}

#[cfg(test)]
mod tests;
