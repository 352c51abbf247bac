//! `portcullis mail test --to E`: queues a test message, which a running server sends
//! through `smtp.url` (the way every other message goes); `mail status`: what waits.

use clap::Subcommand;

use super::with_conn;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::mail::{self, Mail};
use crate::store::mail_outbox;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Queue a test message to an address; a running server sends it
    Test {
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
    /// How many messages wait to be sent
    Status,
}

pub fn run(cmd: MailCommand, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        MailCommand::Test { to } => {
            if to.parse::<lettre::message::Mailbox>().is_err() {
                anyhow::bail!("`{to}` is not an email address");
            }
            let voice = mail::Voice::of_settings(settings, None);
            let message = Mail::test(&voice, &to, &settings.issuer)?;
            let now = SystemClock.now();
            let id = with_conn(settings, |c| Ok(mail::enqueue(c, &message, now)?))?;
            println!("queued test message {id} to {to}; a running server sends it");
            if settings.smtp.url.is_none() {
                println!("note: smtp.url is not set, so no server will send it yet");
            }
            Ok(())
        }
        MailCommand::Status => {
            let n = with_conn(settings, |c| Ok(mail_outbox::pending(c)?))?;
            println!("{n} message(s) waiting");
            Ok(())
        }
    }
}
