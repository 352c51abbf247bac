//! `portcullis audit list`: the audit log, newest first, filtered by time, event, user and
//! client. `--json` prints one object per line (JSON Lines), for `jq` and log shippers.

use clap::Subcommand;
use serde_json::{Value, json};

use super::with_conn;
use crate::clock::{Clock, SystemClock, UnixTime, rfc3339};
use crate::config::Settings;
use crate::domain::user::normalize_username;
use crate::store::audit::{self, AuditEntry, AuditQuery};
use crate::store::users;

/// The most entries one listing prints.
pub const MAX_LIMIT: i64 = 10_000;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List audit entries, newest first
    List {
        /// Only entries since a duration ago (`30s`, `15m`, `2h`, `7d`) or a time (RFC 3339,
        /// e.g. `2026-11-30T07:00:00Z`, or Unix seconds)
        #[arg(long, value_name = "DURATION|TIMESTAMP")]
        since: Option<String>,
        /// Only these events (repeatable), e.g. `login.failed`
        #[arg(long = "event", value_name = "E")]
        events: Vec<String>,
        /// Only entries about this user (username or user id)
        #[arg(long, value_name = "U")]
        user: Option<String>,
        /// Only entries about this client
        #[arg(long, value_name = "C")]
        client: Option<String>,
        /// At most this many entries (1-10000)
        #[arg(long, default_value_t = 100, value_name = "N")]
        limit: i64,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
}

/// `--since`: a duration before `now`, an RFC 3339 time, or Unix seconds.
pub fn parse_since(text: &str, now: UnixTime) -> Result<UnixTime, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(secs);
    }
    if let Ok(t) = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Ok(t.unix_timestamp());
    }
    super::duration::parse_secs(text)
        .map(|secs| now - secs)
        .ok_or_else(|| bad_since(text))
}

fn bad_since(text: &str) -> String {
    format!(
        "--since `{text}` is neither a duration (30s, 15m, 2h, 7d) nor a time (RFC 3339 or Unix seconds)"
    )
}

/// One entry as a JSON object: `details` as the object it is, `time` for people.
pub fn entry_json(e: &AuditEntry) -> Value {
    json!({
        "id": e.id,
        "at": e.at,
        "time": rfc3339(e.at),
        "event": e.event,
        "actor": e.actor,
        "user_id": e.user_id,
        "client_id": e.client_id,
        "ip": e.ip,
        "trace_id": e.trace_id,
        "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null),
    })
}

pub fn run(cmd: AuditCommand, settings: &Settings) -> anyhow::Result<()> {
    let AuditCommand::List {
        since,
        events,
        user,
        client,
        limit,
        json,
    } = cmd;
    if !(1..=MAX_LIMIT).contains(&limit) {
        anyhow::bail!("--limit must be between 1 and {MAX_LIMIT}");
    }
    let now = SystemClock.now();
    let since = since
        .map(|s| parse_since(&s, now))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let entries = with_conn(settings, |c| {
        // A username is looked up; anything else is taken as a user id.
        let user_id = match &user {
            Some(u) => match normalize_username(u)
                .ok()
                .map(|name| users::find_by_username(c, &name))
                .transpose()?
                .flatten()
            {
                Some(found) => Some(found.id),
                None => Some(u.clone()),
            },
            None => None,
        };
        Ok(audit::list(
            c,
            &AuditQuery {
                since,
                events,
                user_id,
                client_id: client,
                limit,
                ..Default::default()
            },
        )?)
    })?;
    if json {
        for e in &entries {
            println!("{}", entry_json(e));
        }
    } else {
        println!(
            "{:<20} {:<36} {:<10} {:<24} {:<20} {:<32} DETAILS",
            "TIME", "EVENT", "ACTOR", "USER", "CLIENT", "TRACE"
        );
        for e in &entries {
            println!(
                "{:<20} {:<36} {:<10} {:<24} {:<20} {:<32} {}",
                rfc3339(e.at),
                e.event,
                e.actor,
                e.user_id.as_deref().unwrap_or("-"),
                e.client_id.as_deref().unwrap_or("-"),
                e.trace_id.as_deref().unwrap_or("-"),
                e.details
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_times_and_unix_seconds() {
        let now = 1_800_000_000;
        assert_eq!(parse_since("30s", now), Ok(now - 30));
        assert_eq!(parse_since("15m", now), Ok(now - 900));
        assert_eq!(parse_since("2h", now), Ok(now - 7_200));
        assert_eq!(parse_since("7d", now), Ok(now - 604_800));
        assert_eq!(parse_since("1700000000", now), Ok(1_700_000_000));
        assert_eq!(parse_since("2026-11-30T07:00:00Z", now), Ok(1_796_022_000));
        for bad in ["", "h", "-5m", "5w", "yesterday", "2026-13-01T00:00:00Z"] {
            assert!(parse_since(bad, now).is_err(), "{bad:?}");
        }
    }
}
