use clap::{Args, Subcommand};

use super::stdin::read_password;
use super::{print_json, with_conn};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::password::Passwords;
use crate::domain::user::UserSpec;
use crate::manage;
use crate::store::users;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input
    Create(CreateArgs),
    /// Invite someone: creates the user (no password yet) and mails a single-use link to
    /// choose one (a running server sends it through smtp.url)
    Invite(InviteArgs),
    /// List users
    List {
        #[arg(long)]
        json: bool,
    },
    /// One user: profile, roles, status and linked identities (upstream providers)
    Show {
        username: String,
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password from standard input (ends their sessions)
    SetPassword {
        username: String,
        /// Read the new password from standard input
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable a user: no sign-in, sessions ended, refresh tokens revoked
    Disable { username: String },
    /// Enable a disabled user
    Enable { username: String },
    /// Delete a user and everything that belongs to them
    Delete { username: String },
    /// A user's second factors: list them, or remove them all
    #[command(subcommand)]
    Mfa(MfaCommand),
}

#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// What the user has enrolled (authenticator app, passkeys, recovery codes left)
    List {
        username: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove every second factor and end the user's sessions (back-channel logout);
    /// audited. For a user who lost their devices and recovery codes.
    Reset { username: String },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    username: String,
    #[arg(long)]
    email: Option<String>,
    /// Display name
    #[arg(long)]
    name: Option<String>,
    /// Role (repeatable)
    #[arg(long = "role", value_name = "R", num_args = 1..)]
    roles: Vec<String>,
    /// Read the password from standard input
    #[arg(long, required = true)]
    password_stdin: bool,
    /// The address is known to be the user's: it counts as verified (no confirmation mail)
    #[arg(long, requires = "email")]
    email_verified: bool,
}

#[derive(Debug, Args)]
pub struct InviteArgs {
    #[arg(long)]
    email: String,
    /// Role (repeatable)
    #[arg(long = "role", value_name = "R", num_args = 1..)]
    roles: Vec<String>,
    /// Username (default: the email address)
    #[arg(long)]
    username: Option<String>,
    /// Display name
    #[arg(long)]
    name: Option<String>,
    /// How long the link works: `30m`, `2d`… (default 7 days, at most 30)
    #[arg(long, value_name = "D", default_value = "7d")]
    expires_in: String,
    /// The mail's language (`en`, `de`, `fr`; default `i18n.default_locale`)
    #[arg(long, value_name = "L")]
    locale: Option<crate::i18n::Locale>,
}

fn invite(a: InviteArgs, settings: &Settings, now: i64) -> anyhow::Result<()> {
    let ttl = super::duration::parse_secs(&a.expires_in)
        .filter(|s| (300..=30 * 86_400).contains(s))
        .ok_or_else(|| anyhow::anyhow!("--expires-in must be a duration between 5m and 30d"))?;
    let spec = UserSpec {
        username: a.username.unwrap_or_else(|| a.email.clone()),
        email: Some(a.email.clone()),
        display_name: a.name,
        roles: a.roles,
    };
    spec.clone().validate()?;
    let passwords = Passwords::new(&settings.passwords)?;
    // Nobody knows this password: the invitation's link sets the real one.
    let placeholder = crate::domain::opaque::generate(32);
    let issuer = settings.issuer.clone();
    let voice = crate::mail::Voice::of_settings(settings, a.locale);
    let user = with_conn(settings, |c| {
        let user = manage::create_user(c, manage::CLI_ACTOR, &passwords, spec, &placeholder, now)?;
        crate::session::recovery::invite(
            c,
            &user,
            &voice,
            &issuer,
            now + ttl,
            manage::CLI_ACTOR,
            now,
        )?;
        Ok(user)
    })?;
    println!(
        "invited {} ({}); a running server mails the link, which works until {}",
        user.username,
        a.email,
        crate::clock::rfc3339(now + ttl)
    );
    if settings.smtp.url.is_none() {
        println!("note: smtp.url is not set, so no server will send it yet");
    }
    Ok(())
}

pub fn run(cmd: UserCommand, settings: &Settings) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let passwords = || Passwords::new(&settings.passwords);
    match cmd {
        UserCommand::Invite(a) => invite(a, settings, now)?,
        UserCommand::Create(a) => {
            let spec = UserSpec {
                username: a.username,
                email: a.email,
                display_name: a.name,
                roles: a.roles,
            };
            // Validate before reading stdin so a typo fails without waiting for input.
            spec.clone().validate()?;
            let password = read_password()?;
            Passwords::check_policy(&password)?;
            let user = with_conn(settings, |c| {
                Ok(manage::create_user(
                    c,
                    manage::CLI_ACTOR,
                    &passwords()?,
                    spec,
                    &password,
                    now,
                )?)
            })?;
            if a.email_verified {
                with_conn(settings, |c| {
                    Ok(manage::vouch_for_email(
                        c,
                        manage::CLI_ACTOR,
                        &user.id,
                        now,
                    )?)
                })?;
            }
            println!("created user {} (id {})", user.username, user.id);
        }
        UserCommand::List { json } => {
            let list = with_conn(settings, |c| Ok(users::list(c)?))?;
            if json {
                print_json(&list)?;
            } else {
                println!(
                    "{:<24} {:<24} {:<9} {:<30} ROLES",
                    "USERNAME", "ID", "STATUS", "EMAIL"
                );
                for u in &list {
                    println!(
                        "{:<24} {:<24} {:<9} {:<30} {}",
                        u.username,
                        u.id,
                        if u.disabled { "disabled" } else { "active" },
                        u.email.as_deref().unwrap_or("-"),
                        u.roles.join(",")
                    );
                }
            }
        }
        UserCommand::Show { username, json } => {
            let found = with_conn(settings, |c| {
                let Some(u) = users::find_by_username(c, &username)? else {
                    return Ok(None);
                };
                let links = crate::store::upstreams::links_of(c, &u.id)?;
                Ok(Some((u, links)))
            })?;
            let Some((u, links)) = found else {
                anyhow::bail!("no user named `{username}`");
            };
            let linked: Vec<serde_json::Value> = links
                .iter()
                .map(|(upstream, subject, at, used)| {
                    serde_json::json!({
                        "upstream": upstream,
                        "subject": subject,
                        "linked_at": crate::clock::rfc3339(*at),
                        "last_used_at": crate::clock::rfc3339(*used),
                    })
                })
                .collect();
            if json {
                let mut v = serde_json::to_value(&u)?;
                v["linked_identities"] = serde_json::Value::Array(linked);
                print_json(&v)?;
            } else {
                println!("username:       {}", u.username);
                println!("id (sub):       {}", u.id);
                println!(
                    "email:          {}{}",
                    u.email.as_deref().unwrap_or("-"),
                    if u.email_verified { " (verified)" } else { "" }
                );
                println!(
                    "name:           {}",
                    u.display_name.as_deref().unwrap_or("-")
                );
                println!("roles:          {}", u.roles.join(","));
                println!(
                    "status:         {}",
                    if u.disabled { "disabled" } else { "active" }
                );
                println!("created:        {}", crate::clock::rfc3339(u.created_at));
                if links.is_empty() {
                    println!("linked:         none");
                }
                for (upstream, subject, at, _) in &links {
                    println!(
                        "linked:         {upstream} (sub {subject}, since {})",
                        crate::clock::rfc3339(*at)
                    );
                }
            }
        }
        UserCommand::SetPassword { username, .. } => {
            let password = read_password()?;
            Passwords::check_policy(&password)?;
            with_conn(settings, |c| {
                Ok(manage::set_password(
                    c,
                    manage::CLI_ACTOR,
                    &passwords()?,
                    &username,
                    &password,
                    now,
                )?)
            })?;
            println!("password set for {username}; their sessions were ended");
        }
        UserCommand::Disable { username } => {
            with_conn(settings, |c| {
                Ok(manage::set_user_disabled(
                    c,
                    manage::CLI_ACTOR,
                    &username,
                    true,
                    now,
                )?)
            })?;
            println!("disabled {username}");
        }
        UserCommand::Enable { username } => {
            with_conn(settings, |c| {
                Ok(manage::set_user_disabled(
                    c,
                    manage::CLI_ACTOR,
                    &username,
                    false,
                    now,
                )?)
            })?;
            println!("enabled {username}");
        }
        UserCommand::Delete { username } => {
            with_conn(settings, |c| {
                Ok(manage::delete_user(c, manage::CLI_ACTOR, &username, now)?)
            })?;
            println!("deleted {username}");
        }
        UserCommand::Mfa(MfaCommand::List { username, json }) => {
            let f = with_conn(settings, |c| Ok(manage::mfa::list(c, &username)?))?;
            if json {
                print_json(&f)?;
            } else {
                println!("user:             {}", f.username);
                println!("authenticator app: {}", if f.totp { "on" } else { "off" });
                println!("recovery codes:    {} unused", f.recovery_codes_left);
                println!("passkeys:          {}", f.passkeys.len());
                for p in &f.passkeys {
                    println!(
                        "  - {} (user verification: {}, synced: {})",
                        p.name,
                        if p.user_verified { "yes" } else { "no" },
                        if p.synced { "yes" } else { "no" }
                    );
                }
            }
        }
        UserCommand::Mfa(MfaCommand::Reset { username }) => {
            let r = with_conn(settings, |c| {
                Ok(manage::mfa::reset(c, manage::CLI_ACTOR, &username, now)?)
            })?;
            println!(
                "reset {username}: removed {} authenticator app(s), {} passkey(s), {} recovery code(s); ended {} session(s)",
                r.totp, r.passkeys, r.recovery_codes, r.sessions_ended
            );
        }
    }
    Ok(())
}
