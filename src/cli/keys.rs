use clap::Subcommand;

use super::{print_json, with_conn};
use crate::clock::{Clock, SystemClock, rfc3339};
use crate::config::Settings;
use crate::keys::SigningAlg;
use crate::keys::manager::policy;
use crate::keys::rotation::{Rotated, Rotator};
use crate::keys::sealed::resolve_kek;
use crate::store::signing_keys;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys and their lifecycle
    List {
        #[arg(long)]
        json: bool,
    },
    /// Schedule a new signing key (published first, active after the pre-publication window)
    /// for one algorithm, or for each of keys.algorithms
    Rotate {
        /// The algorithm whose key to rotate (RS256, PS256, ES256, EdDSA); default: every
        /// configured one
        #[arg(long, value_name = "A")]
        alg: Option<SigningAlg>,
        /// Activate the new key at once (for a compromised key)
        #[arg(long)]
        now: bool,
        /// With --now: remove the previous key from JWKS immediately; its tokens stop verifying
        #[arg(long, requires = "now")]
        revoke_previous: bool,
    },
}

pub fn run(cmd: KeysCommand, settings: &Settings) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        KeysCommand::List { json } => {
            let rows = with_conn(settings, |c| Ok(signing_keys::list(c)?))?;
            let list = crate::keys::listing::summaries(&rows, now);
            if json {
                return print_json(&list);
            }
            let opt = |t: Option<i64>| t.map(rfc3339).unwrap_or_else(|| "-".into());
            println!(
                "{:<44} {:<6} {:<8} {:<21} {:<21} {:<21} EXPIRES",
                "KID", "ALG", "STATE", "CREATED", "ACTIVATES", "RETIRES"
            );
            for k in &list {
                println!(
                    "{:<44} {:<6} {:<8} {:<21} {:<21} {:<21} {}",
                    k.kid,
                    k.alg,
                    k.state.as_str(),
                    rfc3339(k.created_at),
                    rfc3339(k.activates_at),
                    opt(k.retires_at),
                    opt(k.expires_at)
                );
            }
            Ok(())
        }
        KeysCommand::Rotate {
            alg,
            now: immediately,
            revoke_previous,
        } => {
            let algs: Vec<SigningAlg> = match alg {
                Some(a) if !settings.keys.algorithms.contains(&a) => anyhow::bail!(
                    "{a} is not in keys.algorithms ({}); add it there first",
                    settings
                        .keys
                        .algorithms
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Some(a) => vec![a],
                None => settings.keys.algorithms.clone(),
            };
            for alg in algs {
                rotate(settings, alg, now, immediately, revoke_previous)?;
            }
            Ok(())
        }
    }
}

fn rotate(
    settings: &Settings,
    alg: SigningAlg,
    now: i64,
    immediately: bool,
    revoke_previous: bool,
) -> anyhow::Result<()> {
    let outcome = with_conn(settings, |c| {
        let rows = signing_keys::list(c)?;
        let may_create = rows.iter().all(|r| r.private_key_sealed.is_none());
        let kek = resolve_kek(&settings.keys, may_create)?;
        let rotator = Rotator {
            kek: &kek,
            rsa_bits: settings.keys.rsa_bits,
            policy: policy(settings),
            actor: crate::manage::CLI_ACTOR,
        };
        Ok(if immediately {
            rotator.rotate_now(c, alg, now, revoke_previous)?
        } else {
            rotator.rotate_scheduled(c, alg, now)?
        })
    })?;
    match outcome {
        Rotated::Created { kid, activates_at } if activates_at <= now => {
            println!("new {alg} signing key {kid} is active now");
            if revoke_previous {
                println!(
                    "the previous key was removed from JWKS; tokens it signed no longer verify"
                );
            }
        }
        Rotated::Created { kid, activates_at } => println!(
            "new {alg} signing key {kid} is published now and becomes active at {}",
            rfc3339(activates_at)
        ),
        Rotated::AlreadyPending { kid, activates_at } => println!(
            "{alg} key {kid} is already scheduled to become active at {}; nothing to do",
            rfc3339(activates_at)
        ),
        Rotated::LostRace => {
            println!("another instance rotated at the same moment; nothing to do")
        }
    }
    println!(
        "running servers pick the change up within {} s",
        settings.keys.refresh_interval_secs
    );
    Ok(())
}
