//! Aggregation of repeated failures before they reach the audit log (hardening finding 7):
//! anyone can fail client authentication as fast as they can send requests, and one audit
//! row per failure would let them fill the disk. The first failure from a source (IPv6 per
//! /64, whatever client id it names) in a window is recorded as it happens; the others in
//! that window are counted and recorded as one summary row (with the count) when the source
//! fails again after the window. Memory is bounded: past [`MAX_KEYS`] pairs, new pairs share one overflow key.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::UnixTime;

/// How long one audit row stands for a (client, source) pair's failures.
pub const WINDOW_SECS: i64 = 60;
/// Pairs tracked at once; beyond this, failures of new pairs are aggregated together.
pub const MAX_KEYS: usize = 10_000;
const OVERFLOW: &str = "\u{0}overflow";

#[derive(Debug, Clone, Copy)]
struct Window {
    started: UnixTime,
    suppressed: u64,
}

/// What to write for one failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admit {
    /// Write this failure's own row.
    pub record: bool,
    /// Also write a summary of this many failures of the previous window, left out then.
    pub summary: u64,
}

#[derive(Default)]
pub struct FailureWindows {
    windows: Mutex<HashMap<String, Window>>,
}

impl FailureWindows {
    /// Decides for one failure of `key` (e.g. client id and source address) at `now`.
    pub fn admit(&self, key: &str, now: UnixTime) -> Admit {
        let mut map = match self.windows.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, w| now - w.started < WINDOW_SECS || w.suppressed > 0);
        }
        // The overflow key takes the last place, so the map never holds more than MAX_KEYS.
        let key = if map.len() >= MAX_KEYS - 1 && !map.contains_key(key) {
            OVERFLOW
        } else {
            key
        };
        match map.get_mut(key) {
            Some(w) if now - w.started < WINDOW_SECS => {
                w.suppressed += 1;
                Admit {
                    record: false,
                    summary: 0,
                }
            }
            Some(w) => {
                let summary = w.suppressed;
                *w = Window {
                    started: now,
                    suppressed: 0,
                };
                Admit {
                    record: true,
                    summary,
                }
            }
            None => {
                map.insert(
                    key.to_string(),
                    Window {
                        started: now,
                        suppressed: 0,
                    },
                );
                Admit {
                    record: true,
                    summary: 0,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_failures_in_a_window_write_one_row_and_a_summary_later() {
        let w = FailureWindows::default();
        assert_eq!(
            w.admit("svc|1.2.3.4", 100),
            Admit {
                record: true,
                summary: 0
            }
        );
        for t in 101..160 {
            assert_eq!(
                w.admit("svc|1.2.3.4", t),
                Admit {
                    record: false,
                    summary: 0
                }
            );
        }
        assert_eq!(
            w.admit("svc|1.2.3.4", 160),
            Admit {
                record: true,
                summary: 59
            },
            "the next window starts with the count of the last"
        );
        assert_eq!(
            w.admit("other|1.2.3.4", 160),
            Admit {
                record: true,
                summary: 0
            },
            "pairs are counted apart"
        );
    }

    #[test]
    fn memory_stays_bounded_under_many_sources() {
        let w = FailureWindows::default();
        let mut recorded = 0;
        for i in 0..(MAX_KEYS + 5_000) {
            if w.admit(&format!("svc|{i}"), 100).record {
                recorded += 1;
            }
        }
        assert!(w.windows.lock().unwrap().len() <= MAX_KEYS);
        assert_eq!(
            recorded, MAX_KEYS,
            "past the bound, new pairs share one window"
        );
    }
}
