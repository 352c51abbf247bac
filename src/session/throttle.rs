//! Sign-in throttling that cannot be turned into a lockout (hardening findings 1 and 2).
//!
//! Three counters per attempt, each reserved *before* the password is hashed, so parallel
//! guesses are counted as they arrive, not after their argon2 checks:
//! - **(account, source)**: the real brute-force brake. After [`FREE_PER_PAIR`] failures
//!   the next attempt must wait for a delay that doubles per failure (up to
//!   [`MAX_PAIR_DELAY_SECS`]); earlier attempts are refused (429). It only ever affects
//!   that source trying that account.
//! - **account-wide**: past [`FREE_PER_ACCOUNT`] failures from all sources together,
//!   each attempt is slowed (answered after a pause, at most [`MAX_SLOWDOWN`]) but never
//!   refused, so an attacker elsewhere cannot keep the owner out.
//! - **source-wide** (a source failing across many accounts): past
//!   [`FREE_PER_SOURCE`] failures its attempts are slowed the same way.
//!
//! A source is the client address (`http::client_ip`: the one header the operator named,
//! believed only from `http.trusted_proxies`), an IPv6 address counted per /64. The counters live in the database, so every
//! instance on PostgreSQL shares them; a success clears the (account, source) counter.

use std::time::Duration;

use crate::clock::UnixTime;

pub const FREE_PER_PAIR: i64 = 5;
pub const MAX_PAIR_DELAY_SECS: i64 = 300;
pub const FREE_PER_ACCOUNT: i64 = 50;
pub const FREE_PER_SOURCE: i64 = 20;
/// The longest pause a slowed attempt waits before its password is checked.
pub const MAX_SLOWDOWN: Duration = Duration::from_secs(5);

/// A counter after reserving this attempt: the attempt's number and when the failure
/// before it happened (0 when none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reserved {
    pub attempt: i64,
    pub previous_failure: UnixTime,
}

/// The three counters of one attempt.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    pub pair: Reserved,
    pub account: Reserved,
    pub source: Reserved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Check the password after this pause (zero for most attempts).
    Proceed(Duration),
    /// Refuse without checking: this source must wait this many seconds for this account.
    Refuse(i64),
}

pub use crate::domain::source::source_key;

/// The keys of an attempt's counters (the source as [`source_key`] counts it).
pub fn keys(account: &str, source: &str) -> [String; 3] {
    let source = source_key(source);
    [
        format!("p:{account}|{source}"),
        format!("a:{account}"),
        format!("s:{source}"),
    ]
}

fn pair_delay(failures_before: i64) -> i64 {
    if failures_before < FREE_PER_PAIR {
        return 0;
    }
    let exp = (failures_before - FREE_PER_PAIR).min(16);
    (1i64 << exp).min(MAX_PAIR_DELAY_SECS)
}

fn slowdown(attempt: i64, free: i64) -> Duration {
    if attempt <= free {
        return Duration::ZERO;
    }
    let exp = ((attempt - free) as u32).min(10);
    Duration::from_millis(50u64 << exp).min(MAX_SLOWDOWN)
}

pub fn judge(c: &Counters, now: UnixTime) -> Verdict {
    let wait = c.pair.previous_failure + pair_delay(c.pair.attempt - 1) - now;
    if wait > 0 {
        return Verdict::Refuse(wait);
    }
    Verdict::Proceed(
        slowdown(c.account.attempt, FREE_PER_ACCOUNT)
            .max(slowdown(c.source.attempt, FREE_PER_SOURCE)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reserves attempts in memory as the store does: increment, and remember the last.
    #[derive(Default)]
    struct Memory(std::collections::HashMap<String, (i64, UnixTime)>);

    impl Memory {
        fn reserve(&mut self, key: &str, now: UnixTime) -> Reserved {
            let e = self.0.entry(key.to_string()).or_insert((0, 0));
            let r = Reserved {
                attempt: e.0 + 1,
                previous_failure: e.1,
            };
            *e = (e.0 + 1, now);
            r
        }

        fn attempt(&mut self, account: &str, source: &str, now: UnixTime) -> Verdict {
            let [p, a, s] = keys(account, source);
            judge(
                &Counters {
                    pair: self.reserve(&p, now),
                    account: self.reserve(&a, now),
                    source: self.reserve(&s, now),
                },
                now,
            )
        }

        fn succeed(&mut self, account: &str, source: &str) {
            let [p, _, _] = keys(account, source);
            self.0.remove(&p);
        }
    }

    #[test]
    fn an_ipv6_source_counts_as_its_slash_64() {
        assert_eq!(source_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            keys("bob", "2001:db8:1:2:aaaa::1"),
            keys("bob", "2001:db8:1:2:ffff:1:2:3"),
            "another address in the same /64 is the same source"
        );
        assert_ne!(
            keys("bob", "2001:db8:1:2::1"),
            keys("bob", "2001:db8:1:3::1")
        );
        assert_eq!(source_key("198.51.100.7"), "198.51.100.7");
        assert_eq!(source_key("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(source_key("reset:x"), "reset:x");
    }

    #[test]
    fn parallel_guesses_are_counted_before_any_password_is_checked() {
        let mut m = Memory::default();
        let checked = (0..40)
            .filter(|_| matches!(m.attempt("bob", "6.6.6.6", 100), Verdict::Proceed(_)))
            .count();
        assert_eq!(
            checked as i64, FREE_PER_PAIR,
            "the rest are refused at once"
        );
    }

    #[test]
    fn one_source_failing_never_refuses_the_account_from_another_source() {
        let mut m = Memory::default();
        for t in 0..1_000 {
            m.attempt("bob", "6.6.6.6", 100 + t);
        }
        match m.attempt("bob", "1.2.3.4", 1_100) {
            Verdict::Proceed(pause) => assert!(pause <= MAX_SLOWDOWN, "slowed, never locked"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_source_spraying_many_accounts_is_slowed_but_others_are_not() {
        let mut m = Memory::default();
        for n in 0..100 {
            m.attempt(&format!("user{n}"), "6.6.6.6", 100);
        }
        assert!(
            matches!(m.attempt("demo", "6.6.6.6", 100), Verdict::Proceed(p) if p > Duration::ZERO)
        );
        assert_eq!(
            m.attempt("demo", "7.7.7.7", 100),
            Verdict::Proceed(Duration::ZERO)
        );
    }

    #[test]
    fn the_pair_delay_doubles_and_a_success_clears_it() {
        let mut m = Memory::default();
        for _ in 0..FREE_PER_PAIR {
            assert!(matches!(
                m.attempt("alice", "1.1.1.1", 100),
                Verdict::Proceed(_)
            ));
        }
        assert_eq!(m.attempt("alice", "1.1.1.1", 100), Verdict::Refuse(1));
        assert_eq!(
            m.attempt("alice", "1.1.1.1", 101),
            Verdict::Refuse(1),
            "2 s after the last"
        );
        assert!(matches!(
            m.attempt("alice", "1.1.1.1", 110),
            Verdict::Proceed(_)
        ));
        m.succeed("alice", "1.1.1.1");
        assert!(matches!(
            m.attempt("alice", "1.1.1.1", 110),
            Verdict::Proceed(_)
        ));
    }
}
