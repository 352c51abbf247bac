//! The operator command line. Every command works against either backend; the database
//! comes from the settings (`PORTCULLIS_DATABASE_URL`, `--config`).

mod audit;
mod client;
pub mod demo;
mod duration;
mod keys;
mod mail;
mod registration_token;
mod serve;
mod session;
mod stdin;
pub mod upstream;
mod user;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::store::{DbConnection, connect_once, run_migrations};

#[derive(Debug, Parser)]
#[command(
    name = "portcullis",
    version,
    about = "OAuth 2.0 / OpenID Connect authorization server"
)]
pub struct Cli {
    /// TOML configuration file (environment variables override it)
    #[arg(long, global = true, env = "PORTCULLIS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server
    Serve(serve::ServeArgs),
    /// Apply pending database migrations and exit
    Migrate,
    /// Manage OAuth clients
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage users
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage SSO sessions
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// Manage signing keys
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Read the audit log
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Outgoing mail
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Upstream OpenID providers people sign in with
    #[command(subcommand)]
    Upstream(upstream::UpstreamCommand),
}

/// Runs a parsed command. `serve` blocks until the server stops.
pub fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(args, settings),
        Command::Migrate => {
            let (_conn, applied) = open(&settings)?;
            if applied.is_empty() {
                println!("database is up to date");
            } else {
                for m in applied {
                    println!("applied {m}");
                }
            }
            Ok(())
        }
        Command::Client(cmd) => client::run(cmd, &settings),
        Command::User(cmd) => user::run(cmd, &settings),
        Command::Keys(cmd) => keys::run(cmd, &settings),
        Command::Session(cmd) => session::run(cmd, &settings),
        Command::Audit(cmd) => audit::run(cmd, &settings),
        Command::Mail(cmd) => mail::run(cmd, &settings),
        Command::Upstream(cmd) => upstream::run(cmd, &settings),
    }
}

/// Opens one connection for a one-shot command, applying pending migrations first so a
/// command works on a fresh database.
fn open(settings: &Settings) -> anyhow::Result<(DbConnection, Vec<String>)> {
    let mut conn = connect_once(&settings.database).with_context(|| {
        format!(
            "cannot open the database {}",
            settings.database.url.redacted()
        )
    })?;
    let applied = run_migrations(&mut conn)?;
    Ok((conn, applied))
}

fn with_conn<T>(
    settings: &Settings,
    f: impl FnOnce(&mut DbConnection) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let (mut conn, _) = open(settings)?;
    f(&mut conn)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
