//! `portcullis client registration-token …`: initial access tokens for dynamic client
//! registration (RFC 7591 §3). A token is printed once, at creation; `list` and `revoke`
//! never show one.

use clap::Subcommand;
use serde_json::json;

use super::{print_json, with_conn};
use crate::clock::{Clock, SystemClock, rfc3339};
use crate::config::Settings;
use crate::manage;
use crate::store::initial_access_tokens::{self, InitialAccessToken};

#[derive(Debug, Subcommand)]
pub enum RegistrationTokenCommand {
    /// Make an initial access token for POST /register; prints it once
    Create {
        /// Valid for this long (30s, 15m, 2h, 7d; default: until revoked)
        #[arg(long, value_name = "D")]
        expires_in: Option<String>,
        /// Good for this many registrations (default: unlimited)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
        max_uses: Option<i64>,
        /// Print {"id":…,"token":…,…} as JSON
        #[arg(long)]
        json: bool,
    },
    /// List initial access tokens (never the tokens themselves)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke an initial access token at once (clients it registered stay)
    Revoke {
        /// Ids are base64url, so one may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

fn status(t: &InitialAccessToken, now: i64) -> &'static str {
    if t.expires_at.is_some_and(|e| e <= now) {
        "expired"
    } else if !t.usable(now) {
        "used up"
    } else {
        "active"
    }
}

pub fn run(cmd: RegistrationTokenCommand, settings: &Settings) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        RegistrationTokenCommand::Create {
            expires_in,
            max_uses,
            json,
        } => {
            let expires_at = match expires_in.as_deref() {
                None => None,
                Some(d) => Some(
                    super::duration::parse_secs(d)
                        .filter(|s| *s > 0)
                        .and_then(|s| now.checked_add(s))
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "--expires-in `{d}` is not a duration (30s, 15m, 2h, 7d)"
                            )
                        })?,
                ),
            };
            let (row, token) = with_conn(settings, |c| {
                Ok(manage::create_registration_token(
                    c,
                    manage::CLI_ACTOR,
                    expires_at,
                    max_uses,
                    now,
                )?)
            })?;
            if json {
                print_json(&json!({
                    "id": row.id,
                    "token": token.expose(),
                    "expires_at": row.expires_at,
                    "max_uses": row.max_uses,
                }))?;
            } else {
                println!("id:         {}", row.id);
                println!("token:      {}", token.expose());
                println!(
                    "expires:    {}",
                    row.expires_at.map_or("never".to_string(), rfc3339)
                );
                println!(
                    "max uses:   {}",
                    row.max_uses
                        .map_or("unlimited".to_string(), |n| n.to_string())
                );
                println!(
                    "(the token is shown only now; clients send it as `Authorization: Bearer` to POST /register)"
                );
            }
        }
        RegistrationTokenCommand::List { json } => {
            let list = with_conn(settings, |c| Ok(initial_access_tokens::list(c)?))?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|t| {
                        json!({
                            "id": t.id,
                            "created_at": t.created_at,
                            "expires_at": t.expires_at,
                            "max_uses": t.max_uses,
                            "uses": t.uses,
                            "status": status(t, now),
                        })
                    })
                    .collect();
                print_json(&rows)?;
            } else {
                println!(
                    "{:<24} {:<22} {:<22} {:<10} STATUS",
                    "ID", "CREATED", "EXPIRES", "USES"
                );
                for t in &list {
                    let uses = match t.max_uses {
                        Some(m) => format!("{}/{m}", t.uses),
                        None => t.uses.to_string(),
                    };
                    println!(
                        "{:<24} {:<22} {:<22} {:<10} {}",
                        t.id,
                        rfc3339(t.created_at),
                        t.expires_at.map_or("never".to_string(), rfc3339),
                        uses,
                        status(t, now)
                    );
                }
            }
        }
        RegistrationTokenCommand::Revoke { id } => {
            with_conn(settings, |c| {
                Ok(manage::revoke_registration_token(
                    c,
                    manage::CLI_ACTOR,
                    &id,
                    now,
                )?)
            })?;
            println!("revoked registration token {id}");
        }
    }
    Ok(())
}
