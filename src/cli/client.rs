use clap::{Args, Subcommand};
use serde_json::json;

use super::{print_json, with_conn};
use crate::clock::{Clock, SystemClock, rfc3339};
use crate::config::Settings;
use crate::domain::client::Client;
use crate::domain::registration::ClientSpec;
use crate::manage;
use crate::store::clients;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its generated secret once
    Create(Box<CreateArgs>),
    /// List clients
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client
    Show {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client with its consents, codes and refresh tokens; its access tokens
    /// stop working at once (through the revocation list)
    Delete {
        /// Ids are base64url, so one may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Replace a client's secret (the old one stops working at once); prints the new one
    RotateSecret {
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// Also revoke every access token the client holds now (for a leaked secret)
        #[arg(long)]
        revoke_tokens: bool,
        #[arg(long)]
        json: bool,
    },
    /// Initial access tokens for dynamic client registration (RFC 7591)
    #[command(subcommand)]
    RegistrationToken(super::registration_token::RegistrationTokenCommand),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Display name, shown on the login and consent pages
    #[arg(long)]
    name: String,
    /// Client id (default: generated)
    #[arg(long, allow_hyphen_values = true)]
    id: Option<String>,
    /// A public client (SPA, native app): no secret, PKCE required
    #[arg(long)]
    public: bool,
    /// authorization_code, refresh_token or client_credentials (repeatable)
    #[arg(long = "grant-type", value_name = "G", required = true, num_args = 1..)]
    grant_types: Vec<String>,
    /// Exact redirect URI (repeatable)
    #[arg(long = "redirect-uri", value_name = "U", num_args = 1..)]
    redirect_uris: Vec<String>,
    /// Allowed scope (repeatable, or space-separated)
    #[arg(long = "scope", value_name = "S", num_args = 1..)]
    scopes: Vec<String>,
    /// Default audience of its access tokens (an absolute URI, RFC 8707)
    #[arg(long, value_name = "A")]
    audience: Option<String>,
    /// Another audience the client may request with `resource` (repeatable)
    #[arg(long = "allowed-audience", value_name = "A", num_args = 1..)]
    allowed_audiences: Vec<String>,
    /// Token endpoint authentication: client_secret_basic, client_secret_post,
    /// private_key_jwt or none (default: client_secret_basic, or none with --public)
    #[arg(long, value_name = "METHOD")]
    auth_method: Option<String>,
    /// private_key_jwt: a file holding the client's public JWK set
    #[arg(long, value_name = "FILE")]
    jwks: Option<std::path::PathBuf>,
    /// private_key_jwt: where to fetch the client's public JWK set
    #[arg(long, value_name = "URL")]
    jwks_uri: Option<String>,
    /// Where RP-initiated logout may return (repeatable)
    #[arg(long = "post-logout-redirect-uri", value_name = "U", num_args = 1..)]
    post_logout_redirect_uris: Vec<String>,
    /// Back-channel logout endpoint of the client
    #[arg(long = "backchannel-logout-uri", value_name = "U")]
    backchannel_logout_uri: Option<String>,
    /// Do not ask users for consent (first-party clients)
    #[arg(long)]
    skip_consent: bool,
    /// May introspect any token (resource servers)
    #[arg(long)]
    introspect: bool,
    /// Algorithm of its access tokens (RS256, PS256, ES256, EdDSA; default:
    /// tokens.access_token_alg)
    #[arg(long, value_name = "A")]
    access_token_alg: Option<String>,
    /// Algorithm of its ID tokens (`id_token_signed_response_alg`; default: the first of
    /// keys.algorithms)
    #[arg(long, value_name = "A")]
    id_token_alg: Option<String>,
    /// Its access tokens must be DPoP-bound (RFC 9449 `dpop_bound_access_tokens`)
    #[arg(long)]
    require_dpop: bool,
    /// It must push authorization requests to /par first (RFC 9126)
    #[arg(long)]
    require_par: bool,
    /// A security profile: `fapi2` (FAPI 2.0: PAR, PKCE S256, private_key_jwt, DPoP,
    /// PS256/ES256/EdDSA)
    #[arg(long, value_name = "P")]
    profile: Option<String>,
    /// The authentication level its sign-ins must reach: 2 (two factors) or 3
    /// (phishing-resistant: a passkey with user verification)
    #[arg(long, value_name = "LEVEL")]
    require_acr: Option<String>,
    /// Token exchange (RFC 8693): an audience it may obtain (repeatable; with the
    /// urn:ietf:params:oauth:grant-type:token-exchange grant type)
    #[arg(long = "exchange-audience", value_name = "A", num_args = 1..)]
    exchange_audiences: Vec<String>,
    /// Token exchange may issue impersonation tokens (no `act` claim) to it
    #[arg(long)]
    exchange_impersonate: bool,
    /// Print {"client_id":…,"client_secret":…} as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: ClientCommand, settings: &Settings) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        ClientCommand::Create(a) => {
            let json = a.json;
            let jwks = match &a.jwks {
                Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the JWK set {}: {e}", path.display())
                })?),
                None => None,
            };
            let spec = ClientSpec {
                id: a.id,
                name: a.name,
                public: a.public,
                grant_types: a.grant_types,
                redirect_uris: a.redirect_uris,
                post_logout_redirect_uris: a.post_logout_redirect_uris,
                backchannel_logout_uri: a.backchannel_logout_uri,
                scopes: a.scopes,
                audience: a.audience,
                allowed_audiences: a.allowed_audiences,
                skip_consent: a.skip_consent,
                auth_method: a.auth_method,
                jwks,
                jwks_uri: a.jwks_uri,
                allow_private_destinations: settings.http.allow_private_destinations,
                permissions: if a.introspect {
                    vec!["introspect".into()]
                } else {
                    Vec::new()
                },
                access_token_alg: a.access_token_alg,
                id_token_alg: a.id_token_alg,
                require_dpop: a.require_dpop,
                require_par: a.require_par,
                profile: a.profile,
                require_acr: a.require_acr,
                exchange_audiences: a.exchange_audiences,
                exchange_impersonate: a.exchange_impersonate,
                algorithms: settings.keys.algorithms.clone(),
            };
            let (client, secret) = with_conn(settings, |c| {
                Ok(manage::create_client(c, manage::CLI_ACTOR, spec, now)?)
            })?;
            let secret = secret.as_ref().map(|s| s.expose().as_str());
            for uri in client.redirect_uris.iter().filter(|u| u.is_localhost()) {
                eprintln!(
                    "warning: redirect URI {uri} names `localhost`; RFC 8252 §8.3 recommends the loopback IP literal (127.0.0.1 or [::1]), which no local resolver or firewall rule can redirect"
                );
            }
            if json {
                print_json(&json!({ "client_id": client.id, "client_secret": secret }))?;
            } else {
                println!("client_id:     {}", client.id);
                match secret {
                    Some(s) => {
                        println!("client_secret: {s}");
                        println!("(the secret is shown only now; store it safely)");
                    }
                    None if client.public => println!("(public client: no secret)"),
                    None => println!(
                        "(authenticates with {}: no secret)",
                        client.token_endpoint_auth_method
                    ),
                }
            }
        }
        ClientCommand::RegistrationToken(cmd) => super::registration_token::run(cmd, settings)?,
        ClientCommand::List { json } => {
            let list = with_conn(settings, |c| Ok(clients::list(c)?))?;
            if json {
                print_json(&list)?;
            } else {
                println!("{:<28} {:<12} {:<44} NAME", "ID", "TYPE", "GRANTS");
                for c in &list {
                    let grants: Vec<_> = c.grant_types.iter().map(|g| g.as_str()).collect();
                    println!(
                        "{:<28} {:<12} {:<44} {}",
                        c.id,
                        kind(c),
                        grants.join(","),
                        c.name
                    );
                }
            }
        }
        ClientCommand::Show { id, json } => {
            let client = with_conn(settings, |c| {
                clients::find(c, &id)?
                    .ok_or_else(|| manage::ManageError::ClientNotFound(id.clone()).into())
            })?;
            if json {
                print_json(&client)?;
            } else {
                show(&client);
            }
        }
        ClientCommand::Delete { id } => {
            with_conn(settings, |c| {
                Ok(manage::delete_client(c, manage::CLI_ACTOR, &id, now)?)
            })?;
            println!("deleted client {id}");
        }
        ClientCommand::RotateSecret {
            id,
            revoke_tokens,
            json,
        } => {
            let secret = with_conn(settings, |c| {
                Ok(manage::rotate_client_secret(
                    c,
                    manage::CLI_ACTOR,
                    &id,
                    revoke_tokens,
                    now,
                )?)
            })?;
            if json {
                print_json(&json!({ "client_id": id, "client_secret": secret.expose() }))?;
            } else {
                println!("client_id:     {id}");
                println!("client_secret: {}", secret.expose());
                println!("(the previous secret no longer works)");
                if revoke_tokens {
                    println!("(the client's access tokens issued until now are revoked)");
                }
            }
        }
    }
    Ok(())
}

fn kind(c: &Client) -> &'static str {
    if c.public { "public" } else { "confidential" }
}

fn show(c: &Client) {
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(" ")
        }
    };
    let grants: Vec<String> = c.grant_types.iter().map(|g| g.to_string()).collect();
    println!("id:                        {}", c.id);
    println!("name:                      {}", c.name);
    println!("type:                      {}", kind(c));
    println!(
        "token endpoint auth:       {}",
        c.token_endpoint_auth_method
    );
    println!("grant types:               {}", list(&grants));
    println!(
        "redirect URIs:             {}",
        list(
            &c.redirect_uris
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        )
    );
    println!(
        "post-logout redirect URIs: {}",
        list(
            &c.post_logout_redirect_uris
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        )
    );
    println!(
        "back-channel logout URI:   {}",
        c.backchannel_logout_uri.as_deref().unwrap_or("-")
    );
    println!("scopes:                    {}", list(&c.scopes.to_vec()));
    println!(
        "default audience:          {}",
        c.default_audience.as_ref().map_or("-", |a| a.as_str())
    );
    println!(
        "allowed audiences:         {}",
        list(
            &c.audiences
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        )
    );
    if let Some(u) = &c.jwks_uri {
        println!("JWKS URI:                  {u}");
    }
    if c.jwks.is_some() {
        println!("JWK set:                   registered");
    }
    println!("skip consent:              {}", c.skip_consent);
    println!("require PKCE:              {}", c.require_pkce);
    let alg =
        |a: Option<crate::keys::SigningAlg>| a.map_or("default".to_string(), |a| a.to_string());
    println!("access token algorithm:    {}", alg(c.access_token_alg));
    println!("ID token algorithm:        {}", alg(c.id_token_alg));
    println!("require DPoP:              {}", c.must_use_dpop());
    println!("require PAR:               {}", c.must_use_par(false));
    if let Some(p) = c.profile {
        println!("profile:                   {p}");
    }
    if !c.exchange_audiences.is_empty() {
        let list: Vec<&str> = c.exchange_audiences.iter().map(|a| a.as_str()).collect();
        println!("exchange audiences:        {}", list.join(" "));
        println!("exchange impersonation:    {}", c.exchange_impersonate);
    }
    if let Some(l) = c.require_acr {
        println!("required acr:              {}", l.as_acr());
    }
    println!("created:                   {}", rfc3339(c.created_at));
    println!("updated:                   {}", rfc3339(c.updated_at));
}
