//! `portcullis upstream …`: the OpenID providers people may sign in with.

use clap::{Args, Subcommand};
use serde_json::json;

use super::{print_json, with_conn};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::federation::mapping::ClaimMapping;
use crate::federation::provider;
use crate::federation::upstream::{self, Upstream, UpstreamError};
use crate::keys::sealed::resolve_kek;
use crate::net::client::Outbound;
use crate::store::audit::{self, AuditEvent};
use crate::store::{StoreError, signing_keys, upstreams};

#[derive(Debug, Subcommand)]
pub enum UpstreamCommand {
    /// Add an upstream OpenID provider (its discovery document is read now)
    Add(AddArgs),
    /// List the upstreams
    List,
    /// Show one upstream (never its secret)
    Show { name: String },
    /// Delete an upstream and its links (the local users stay)
    Delete { name: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Names its button and URLs: a-z 0-9 -
    #[arg(long)]
    name: String,
    /// Its issuer identifier (discovery at <issuer>/.well-known/openid-configuration)
    #[arg(long)]
    issuer: String,
    /// Our client id there
    #[arg(long)]
    client_id: String,
    /// Read our client secret there from standard input
    #[arg(long, required = true)]
    client_secret_stdin: bool,
    /// Scopes to ask for (repeatable; `openid` always; default openid profile email)
    #[arg(long = "scope", value_name = "S", num_args = 1..)]
    scopes: Vec<String>,
    /// Which claims hold the profile: username=CLAIM, email=CLAIM, name=CLAIM
    /// (repeatable or comma-separated; default preferred_username, email, name)
    #[arg(long = "claim-mapping", value_name = "FIELD=CLAIM", num_args = 1..)]
    claim_mapping: Vec<String>,
    /// A claim (e.g. groups) whose values become the user's roles at each sign-in
    #[arg(long, value_name = "C")]
    role_from_claim: Option<String>,
    /// A first sign-in may use the local account with the same address, when the
    /// upstream says the address is verified
    #[arg(long)]
    link_by_verified_email: bool,
    /// Also read the upstream's UserInfo endpoint at sign-in
    #[arg(long)]
    userinfo: bool,
}

pub fn run(cmd: UpstreamCommand, settings: &Settings) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        UpstreamCommand::Add(a) => add(a, settings, now),
        UpstreamCommand::List => {
            let all = with_conn(settings, |c| Ok(upstreams::list(c)?))?;
            if all.is_empty() {
                println!("no upstreams");
            }
            for u in all {
                println!("{}\t{}\t{}", u.name, u.issuer, u.client_id);
            }
            Ok(())
        }
        UpstreamCommand::Show { name } => {
            let found = with_conn(settings, |c| Ok(upstreams::find(c, &name)?))?;
            let Some((u, _)) = found else {
                anyhow::bail!("no upstream named `{name}`");
            };
            print_json(&json!({
                "upstream": u,
                "redirect_uri": callback_url(&settings.issuer, &u.name),
                "backchannel_logout_uri": backchannel_url(&settings.issuer, &u.name),
            }))
        }
        UpstreamCommand::Delete { name } => {
            let deleted = with_conn(settings, |c| {
                let deleted = upstreams::delete(c, &name)?;
                if deleted {
                    record(c, "upstream.deleted", &name, now)?;
                }
                Ok(deleted)
            })?;
            if !deleted {
                anyhow::bail!("no upstream named `{name}`");
            }
            println!("deleted upstream {name}");
            Ok(())
        }
    }
}

/// What to register at the upstream as our redirect URI.
pub fn callback_url(issuer: &str, name: &str) -> String {
    format!("{issuer}/upstream/{name}/callback")
}

/// Where the upstream sends its back-channel logout tokens.
pub fn backchannel_url(issuer: &str, name: &str) -> String {
    format!("{issuer}/upstream/{name}/backchannel")
}

fn record(
    c: &mut crate::store::DbConnection,
    event: &'static str,
    name: &str,
    now: i64,
) -> Result<(), StoreError> {
    audit::record(
        c,
        &AuditEvent {
            event,
            actor: crate::manage::CLI_ACTOR,
            details: json!({ "upstream": name }),
            ..Default::default()
        },
        now,
    )
}

fn add(a: AddArgs, settings: &Settings, now: i64) -> anyhow::Result<()> {
    if !upstream::valid_name(&a.name) {
        anyhow::bail!(UpstreamError::Name);
    }
    if a.client_id.trim().is_empty() {
        anyhow::bail!(UpstreamError::ClientId);
    }
    let scopes = upstream::scopes(&a.scopes)?;
    let claim_mapping = ClaimMapping::with(&a.claim_mapping)?;
    let secret = super::stdin::read_secret("client secret")?;
    // Through the one outgoing-request policy, like every request we make.
    let outbound = Outbound::new(&settings.http);
    let url = provider::discovery_url(&a.issuer);
    let body = actix_web::rt::System::new()
        .block_on(outbound.get(&url, "application/json"))
        .map_err(|e| anyhow::anyhow!("cannot read {url}: {e}"))?;
    let metadata = provider::parse(&a.issuer, &body)?;
    let u = Upstream {
        name: a.name.clone(),
        issuer: a.issuer.clone(),
        client_id: a.client_id.trim().to_string(),
        scopes,
        claim_mapping,
        role_from_claim: a.role_from_claim.filter(|c| !c.trim().is_empty()),
        link_by_verified_email: a.link_by_verified_email,
        userinfo: a.userinfo,
        metadata,
    };
    with_conn(settings, |c| {
        let may_create = signing_keys::list(c)?
            .iter()
            .all(|r| r.private_key_sealed.is_none())
            && upstreams::list(c)?.is_empty();
        let kek = resolve_kek(&settings.keys, may_create)?;
        let sealed = kek.seal(&secret_context(&u.name), secret.expose().as_bytes())?;
        upstreams::insert(c, &u, &sealed, now).map_err(|e| match e {
            StoreError::Duplicate => anyhow::anyhow!("an upstream named `{}` exists", u.name),
            other => other.into(),
        })?;
        record(c, "upstream.added", &u.name, now)?;
        Ok(())
    })?;
    println!("added upstream {} ({})", u.name, u.issuer);
    println!(
        "register this redirect URI there: {}",
        callback_url(&settings.issuer, &u.name)
    );
    println!(
        "and, for its back-channel logout: {}",
        backchannel_url(&settings.issuer, &u.name)
    );
    Ok(())
}

/// The KEK context an upstream's client secret is sealed under.
pub fn secret_context(name: &str) -> String {
    format!("upstream-secret:{name}")
}
