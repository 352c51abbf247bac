//! The in-memory revocation state of one instance, kept up to date incrementally: changes
//! arrive in sequence order (the database's `cache_versions.revocations`, bumped under a
//! row lock by every revoking transaction, so commit order is sequence order) and are
//! applied one by one; expired entries are dropped as time passes. Nothing here reloads
//! or rebuilds the whole set.
//!
//! Memory per revoked token is what a resource server's follower needs: our own `jti`s
//! (22 base64url characters of 16 random bytes) are kept as the 16 bytes, with their
//! expiry, in one hash map slot.

use std::collections::{HashMap, VecDeque};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use crate::domain::revocation::Entry;

/// Changes kept for deltas; a follower further behind gets the whole list.
pub const RETAINED_CHANGES: usize = 16_384;

/// A `jti` as stored: the 16 bytes of one of ours, or the text of anything else.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum JtiKey {
    Ours([u8; 16]),
    Other(Box<str>),
}

impl JtiKey {
    pub fn of(jti: &str) -> Self {
        if jti.len() == 22 {
            let mut b = [0u8; 16];
            if URL_SAFE_NO_PAD.decode_slice(jti, &mut b) == Ok(16)
                && URL_SAFE_NO_PAD.encode(b) == jti
            {
                return Self::Ours(b);
            }
        }
        Self::Other(jti.into())
    }

    pub fn text(&self) -> String {
        match self {
            Self::Ours(b) => URL_SAFE_NO_PAD.encode(b),
            Self::Other(s) => s.to_string(),
        }
    }
}

/// A change as retained for deltas: like [`Entry`], with our `jti`s as their 16 bytes and
/// no separate allocation (the ring holds [`RETAINED_CHANGES`] of them at all times).
#[derive(Debug, Clone)]
enum Retained {
    Jti(JtiKey, i64),
    Sid(Box<str>, i64),
    Client(Box<str>, i64, i64),
}

impl Retained {
    fn of(e: &Entry) -> Self {
        match e {
            Entry::Jti { jti, exp } => Self::Jti(JtiKey::of(jti), *exp),
            Entry::Sid { sid, exp } => Self::Sid(sid.as_str().into(), *exp),
            Entry::Client {
                client_id,
                nbf,
                exp,
            } => Self::Client(client_id.as_str().into(), *nbf, *exp),
        }
    }

    fn entry(&self) -> Entry {
        match self {
            Self::Jti(jti, exp) => Entry::Jti {
                jti: jti.text(),
                exp: *exp,
            },
            Self::Sid(sid, exp) => Entry::Sid {
                sid: sid.to_string(),
                exp: *exp,
            },
            Self::Client(client_id, nbf, exp) => Entry::Client {
                client_id: client_id.to_string(),
                nbf: *nbf,
                exp: *exp,
            },
        }
    }
}

/// What an access token is revoked by: its `jti`, its session, and its client with the
/// time it was issued.
#[derive(Debug, Clone, Copy)]
pub struct TokenRef<'a> {
    pub jti: &'a str,
    pub sid: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub iat: Option<i64>,
}

/// The answer to "what changed since version V?".
#[derive(Debug, PartialEq, Eq)]
pub enum Since {
    /// V is the current version.
    Current,
    /// The changes after V, oldest first (V is retained).
    Delta(Vec<Entry>),
    /// V is older than the retained changes, or not a version of this list.
    Snapshot(&'static str),
}

#[derive(Debug, Default)]
pub struct State {
    /// The sequence number of the last change applied.
    pub version: i64,
    /// Our own `jti`s, as their 16 bytes (a 24-byte slot each).
    ours: HashMap<[u8; 16], i64>,
    /// Any other `jti`.
    other_jtis: HashMap<Box<str>, i64>,
    sids: HashMap<Box<str>, i64>,
    clients: HashMap<Box<str>, (i64, i64)>,
    /// The latest changes, oldest first, with their sequence numbers (allocated once, at
    /// its full size: growing by doubling would leave half of it unused).
    recent: VecDeque<(i64, Retained)>,
    /// Deltas can be answered for any `since` at or after this version.
    floor: i64,
}

impl State {
    /// A state holding `entries` (the live list at `version`), with no changes retained.
    pub fn loaded(version: i64, entries: impl IntoIterator<Item = Entry>, now: i64) -> Self {
        let mut s = Self {
            version,
            floor: version,
            recent: VecDeque::with_capacity(RETAINED_CHANGES + 1),
            ..Self::default()
        };
        for e in entries {
            s.insert(&e, now);
        }
        s
    }

    fn insert(&mut self, e: &Entry, now: i64) {
        if e.exp() <= now {
            return;
        }
        match e {
            Entry::Jti { jti, exp } => match JtiKey::of(jti) {
                JtiKey::Ours(b) => {
                    self.ours.insert(b, *exp);
                }
                JtiKey::Other(s) => {
                    self.other_jtis.insert(s, *exp);
                }
            },
            Entry::Sid { sid, exp } => {
                self.sids.insert(sid.as_str().into(), *exp);
            }
            Entry::Client {
                client_id,
                nbf,
                exp,
            } => {
                self.clients.insert(client_id.as_str().into(), (*nbf, *exp));
            }
        }
    }

    /// Applies one change. Sequence numbers only grow: an older or repeated one is ignored
    /// (the version never goes back). Returns whether it was applied.
    pub fn apply(&mut self, seq: i64, e: &Entry, now: i64) -> bool {
        if seq <= self.version {
            return false;
        }
        self.insert(e, now);
        self.version = seq;
        self.recent.push_back((seq, Retained::of(e)));
        while self.recent.len() > RETAINED_CHANGES {
            if let Some((dropped, _)) = self.recent.pop_front() {
                self.floor = dropped;
            }
        }
        true
    }

    /// Moves the version forward without a change (a revocation that turned out to be a
    /// repeat still consumed its number).
    pub fn advance(&mut self, version: i64) {
        if version > self.version {
            self.version = version;
        }
    }

    /// Drops every entry that has expired.
    pub fn prune(&mut self, now: i64) {
        self.ours.retain(|_, exp| *exp > now);
        self.other_jtis.retain(|_, exp| *exp > now);
        self.sids.retain(|_, exp| *exp > now);
        self.clients.retain(|_, (_, exp)| *exp > now);
    }

    pub fn revokes(&self, t: &TokenRef<'_>, now: i64) -> bool {
        let by_jti = match JtiKey::of(t.jti) {
            JtiKey::Ours(b) => self.ours.get(&b),
            JtiKey::Other(s) => self.other_jtis.get(&s),
        };
        by_jti.is_some_and(|exp| *exp > now)
            || t.sid
                .is_some_and(|s| self.sids.get(s).is_some_and(|exp| *exp > now))
            || t.client_id.is_some_and(|c| {
                self.clients
                    .get(c)
                    .is_some_and(|(nbf, exp)| *exp > now && t.iat.unwrap_or(0) < *nbf)
            })
    }

    pub fn len(&self) -> usize {
        self.ours.len() + self.other_jtis.len() + self.sids.len() + self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What a follower at `since` is missing.
    pub fn since(&self, since: i64) -> Since {
        if since == self.version {
            return Since::Current;
        }
        if since > self.version {
            return Since::Snapshot("since is not a version of this list");
        }
        if since < self.floor {
            return Since::Snapshot("since is older than the retained changes");
        }
        let start = self.recent.partition_point(|(seq, _)| *seq <= since);
        Since::Delta(self.recent.range(start..).map(|(_, e)| e.entry()).collect())
    }

    /// Every live entry (for the full list).
    pub fn entries(&self, now: i64) -> Vec<Entry> {
        let mut out = Vec::with_capacity(self.len());
        out.extend(
            self.ours
                .iter()
                .filter(|(_, exp)| **exp > now)
                .map(|(k, exp)| Entry::Jti {
                    jti: JtiKey::Ours(*k).text(),
                    exp: *exp,
                }),
        );
        out.extend(
            self.other_jtis
                .iter()
                .filter(|(_, exp)| **exp > now)
                .map(|(k, exp)| Entry::Jti {
                    jti: k.to_string(),
                    exp: *exp,
                }),
        );
        out.extend(
            self.sids
                .iter()
                .filter(|(_, exp)| **exp > now)
                .map(|(s, exp)| Entry::Sid {
                    sid: s.to_string(),
                    exp: *exp,
                }),
        );
        out.extend(self.clients.iter().filter(|(_, (_, exp))| *exp > now).map(
            |(c, (nbf, exp))| Entry::Client {
                client_id: c.to_string(),
                nbf: *nbf,
                exp: *exp,
            },
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000;

    fn jti() -> Entry {
        Entry::Jti {
            jti: crate::domain::opaque::identifier(),
            exp: NOW + 600,
        }
    }

    fn token(jti: &str) -> TokenRef<'_> {
        TokenRef {
            jti,
            sid: None,
            client_id: None,
            iat: Some(NOW),
        }
    }

    #[test]
    fn a_delta_after_n_changes_holds_exactly_those_n_in_order() {
        let mut s = State::loaded(10, [], NOW);
        let changes: Vec<Entry> = (0..5).map(|_| jti()).collect();
        for (i, e) in changes.iter().enumerate() {
            assert!(s.apply(11 + i as i64, e, NOW));
        }
        assert_eq!(s.since(12), Since::Delta(changes[2..].to_vec()));
        assert_eq!(s.since(10), Since::Delta(changes.clone()));
        assert_eq!(s.since(15), Since::Current);
    }

    #[test]
    fn a_delta_gives_back_every_kind_of_change_as_it_was_applied() {
        let mut s = State::loaded(0, [], NOW);
        let changes = vec![
            jti(),
            Entry::Jti {
                jti: "someone-elses-token-id".into(),
                exp: NOW + 5,
            },
            Entry::Sid {
                sid: "session-1".into(),
                exp: NOW + 6,
            },
            Entry::Client {
                client_id: "svc".into(),
                nbf: NOW,
                exp: NOW + 7,
            },
        ];
        for (i, e) in changes.iter().enumerate() {
            assert!(s.apply(1 + i as i64, e, NOW));
        }
        assert_eq!(s.since(0), Since::Delta(changes));
    }

    #[test]
    fn a_stale_or_unknown_since_gets_the_snapshot() {
        let mut s = State::loaded(10, [], NOW);
        assert!(matches!(s.since(9), Since::Snapshot(_)), "before the load");
        assert!(matches!(s.since(11), Since::Snapshot(_)), "from the future");
        for i in 0..(RETAINED_CHANGES as i64 + 5) {
            s.apply(11 + i, &jti(), NOW);
        }
        assert!(matches!(s.since(12), Since::Snapshot(m) if m.contains("older")));
        match s.since(s.version - 3) {
            Since::Delta(d) => assert_eq!(d.len(), 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_version_never_goes_back() {
        let mut s = State::loaded(10, [], NOW);
        assert!(s.apply(12, &jti(), NOW));
        assert!(!s.apply(11, &jti(), NOW), "an older change");
        assert!(!s.apply(12, &jti(), NOW), "a repeat");
        s.advance(5);
        assert_eq!(s.version, 12);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn entries_hold_until_they_expire_then_are_pruned() {
        let ours = crate::domain::opaque::identifier();
        let mut s = State::loaded(
            1,
            [
                Entry::Jti {
                    jti: ours.clone(),
                    exp: NOW + 10,
                },
                Entry::Jti {
                    jti: "not-one-of-ours".into(),
                    exp: NOW + 10,
                },
                Entry::Sid {
                    sid: "s".into(),
                    exp: NOW + 10,
                },
                Entry::Client {
                    client_id: "svc".into(),
                    nbf: NOW,
                    exp: NOW + 10,
                },
            ],
            NOW,
        );
        assert!(s.revokes(&token(&ours), NOW));
        assert!(s.revokes(&token("not-one-of-ours"), NOW));
        let by_sid = TokenRef {
            sid: Some("s"),
            ..token("x")
        };
        assert!(s.revokes(&by_sid, NOW));
        let early = TokenRef {
            client_id: Some("svc"),
            iat: Some(NOW - 1),
            ..token("y")
        };
        let later = TokenRef {
            iat: Some(NOW),
            ..early
        };
        assert!(s.revokes(&early, NOW) && !s.revokes(&later, NOW));
        assert!(!s.revokes(&token(&ours), NOW + 10), "expired");
        s.prune(NOW + 10);
        assert!(s.is_empty());
    }

    #[test]
    fn our_jtis_are_kept_as_their_sixteen_bytes_and_written_back_unchanged() {
        let id = crate::domain::opaque::identifier();
        let key = JtiKey::of(&id);
        assert!(matches!(key, JtiKey::Ours(_)));
        assert_eq!(key.text(), id);
        assert!(matches!(JtiKey::of("short"), JtiKey::Other(_)));
    }
}
