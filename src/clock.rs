//! Time is injected so tests can move through code expiry, key rotation and token
//! lifetimes without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch: the unit of every timestamp we store and every JWT
/// `iat`/`exp` we write (whole seconds, as RFC 7519 NumericDate is usually read).
pub type UnixTime = i64;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> UnixTime;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to; shared between a test and the server it drives.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(now: UnixTime) -> Self {
        Self(Arc::new(AtomicI64::new(now)))
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    pub fn set(&self, now: UnixTime) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        self.0.load(Ordering::SeqCst)
    }
}

/// Formats a timestamp as RFC 3339 UTC for people (CLI output); never used on the wire.
pub fn rfc3339(ts: UnixTime) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ts.to_string())
}

/// A timestamp of ours as the `chrono` value oxide-auth's primitives carry.
pub fn to_chrono(ts: UnixTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(ts, 0).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// The `until` of a grant handed to an oxide-auth machine. oxide-auth compares `until`
/// with the wall clock, but whether a code or refresh token is still live is decided
/// against the injected [`Clock`] before the machine runs (so tests can move time); the
/// grant the machine sees therefore carries no expiry of its own.
pub fn machine_grant_until() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::<chrono::Utc>::MAX_UTC
}
