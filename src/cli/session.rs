use clap::Subcommand;
use serde_json::json;

use super::{print_json, with_conn};
use crate::clock::{Clock, SystemClock, rfc3339};
use crate::config::Settings;
use crate::domain::user::normalize_username;
use crate::manage::{CLI_ACTOR, ManageError};
use crate::store::audit::{self, AuditEvent};
use crate::store::{sessions, users};

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List a user's SSO sessions
    List {
        #[arg(long)]
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// End a session: its tokens stop working at resource servers that follow the
    /// revocation feed, and its clients get a back-channel logout
    Revoke {
        /// The session id (`sid`); random base64url, so it may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        sid: String,
    },
}

pub fn run(cmd: SessionCommand, settings: &Settings) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        SessionCommand::List { user, json } => {
            let username = normalize_username(&user).map_err(ManageError::from)?;
            let list = with_conn(settings, |c| {
                let u = users::find_by_username(c, &username)?
                    .ok_or_else(|| ManageError::UserNotFound(username.clone()))?;
                Ok(sessions::list_for_user(c, &u.id)?)
            })?;
            let live: Vec<_> = list.iter().filter(|s| s.expires_at > now).collect();
            if json {
                let v: Vec<_> = live
                    .iter()
                    .map(|s| json!({ "sid": s.sid, "auth_time": s.auth_time, "created_at": s.created_at, "expires_at": s.expires_at }))
                    .collect();
                return print_json(&v);
            }
            println!("{:<24} {:<21} EXPIRES", "SID", "SIGNED IN");
            for s in live {
                println!(
                    "{:<24} {:<21} {}",
                    s.sid,
                    rfc3339(s.auth_time),
                    rfc3339(s.expires_at)
                );
            }
            Ok(())
        }
        SessionCommand::Revoke { sid } => {
            let t = &settings.tokens;
            let block_until = now + t.access_token_ttl_secs + t.clock_skew_secs;
            let queued = with_conn(settings, |c| {
                let s = sessions::find_by_sid(c, &sid)?
                    .ok_or_else(|| anyhow::anyhow!("no session with id `{sid}`"))?;
                let queued = crate::store::session_end::end_session(c, &sid, now, block_until)?;
                audit::record(
                    c,
                    &AuditEvent {
                        event: "session.revoked",
                        actor: CLI_ACTOR,
                        user_id: Some(&s.user_id),
                        details: json!({ "sid": sid, "backchannel_deliveries": queued }),
                        ..Default::default()
                    },
                    now,
                )?;
                Ok(queued)
            })?;
            println!("ended session {sid}; {queued} back-channel logout(s) queued");
            Ok(())
        }
    }
}
