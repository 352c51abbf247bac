//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>): the `traceparent` and
//! `tracestate` headers, parsed once at the edge and written on outgoing requests.
//! Anything malformed is ignored (§3.2.2.x: "the vendor MUST ... start a new trace"), never
//! an error answer: tracing must not change what a request does.

use std::fmt;

use rand::RngCore;

/// A 16-byte trace id, never all zeros (§3.2.2.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id, never all zeros (§3.2.2.4).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId(pub [u8; 8]);

/// `trace-flags` bit 0 (§3.2.2.5).
pub const SAMPLED: u8 = 0x01;

impl TraceId {
    pub fn random() -> Self {
        let mut b = [0u8; 16];
        while b == [0; 16] {
            rand::thread_rng().fill_bytes(&mut b);
        }
        Self(b)
    }
}

impl SpanId {
    pub fn random() -> Self {
        let mut b = [0u8; 8];
        while b == [0; 8] {
            rand::thread_rng().fill_bytes(&mut b);
        }
        Self(b)
    }
}

fn hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(f, &self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(f, &self.0)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(f, &self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex(f, &self.0)
    }
}

/// Lowercase hex only (§3.2.2: "HEXDIGLC").
fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A caller's position in its trace: the parent of the span we start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    pub trace_id: TraceId,
    pub parent_id: SpanId,
    pub flags: u8,
    /// `tracestate`, kept as received (vendors' entries, propagated unchanged).
    pub state: Option<String>,
}

impl Remote {
    /// Parses `traceparent` (and `tracestate`, only when the parent is valid, §3.3.1.1).
    /// Version `00` must be exactly four fields; a later version may append fields, and
    /// we read the first four (§3.2.4). Version `ff` is invalid.
    pub fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<Self> {
        let value = traceparent.trim_matches(|c| c == ' ' || c == '\t');
        let mut fields = value.split('-');
        let version = parse_hex::<1>(fields.next()?)?[0];
        let trace_id = parse_hex::<16>(fields.next()?)?;
        let parent_id = parse_hex::<8>(fields.next()?)?;
        let flags = parse_hex::<1>(fields.next()?)?[0];
        let rest = fields.next();
        if version == 0xff
            || (version == 0 && rest.is_some())
            || (version != 0 && value.len() > 55 && value.as_bytes()[55] != b'-')
            || trace_id == [0; 16]
            || parent_id == [0; 8]
        {
            return None;
        }
        Some(Self {
            trace_id: TraceId(trace_id),
            parent_id: SpanId(parent_id),
            // Only the flags version 00 defines are passed on (§3.2.2.5).
            flags: flags & SAMPLED,
            state: tracestate.and_then(valid_state).map(str::to_string),
        })
    }
}

/// `tracestate` as received when it is well-formed: at most 32 `key=value` members, at
/// most 512 characters (§3.3.1.5 lets us drop it rather than truncate when it is not).
fn valid_state(s: &str) -> Option<&str> {
    let s = s.trim_matches(|c| c == ' ' || c == '\t');
    let members: Vec<&str> = s
        .split(',')
        .map(|m| m.trim_matches(|c| c == ' ' || c == '\t'))
        .filter(|m| !m.is_empty())
        .collect();
    let ok = !members.is_empty()
        && members.len() <= 32
        && s.len() <= 512
        && members.iter().all(|m| {
            m.split_once('=').is_some_and(|(k, v)| {
                !k.is_empty()
                    && k.len() <= 256
                    && k.bytes().all(|b| {
                        b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || matches!(b, b'_' | b'-' | b'*' | b'/' | b'@')
                    })
                    && !v.is_empty()
                    && v.len() <= 256
                    && v.bytes()
                        .all(|b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
            })
        });
    ok.then_some(s)
}

/// The `traceparent` we send for a span of ours (version 00).
pub fn traceparent(trace_id: TraceId, span_id: SpanId, flags: u8) -> String {
    format!("00-{trace_id}-{span_id}-{:02x}", flags & SAMPLED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_specifications_example_is_read_and_written_back_unchanged() {
        let r = Remote::parse(EXAMPLE, Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")).unwrap();
        assert_eq!(r.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(r.parent_id.to_string(), "00f067aa0ba902b7");
        assert_eq!(r.flags, SAMPLED);
        assert_eq!(
            r.state.as_deref(),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        );
        assert_eq!(traceparent(r.trace_id, r.parent_id, r.flags), EXAMPLE);
    }

    #[test]
    fn malformed_parents_start_a_new_trace() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert!(Remote::parse(bad, None).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_later_version_may_append_fields() {
        let r = Remote::parse(&format!("cc{}-what-ever", &EXAMPLE[2..]), None).unwrap();
        assert_eq!(r.parent_id.to_string(), "00f067aa0ba902b7");
    }

    #[test]
    fn an_invalid_tracestate_is_dropped_and_the_parent_kept() {
        for bad in ["", "=x", "Upper=1", "a=b=c", &"k=v,".repeat(33)] {
            let r = Remote::parse(EXAMPLE, Some(bad)).unwrap();
            assert_eq!(r.state, None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn any_header_value_parses_or_is_ignored_without_panicking(p in ".{0,80}", s in ".{0,80}") {
            let _ = Remote::parse(&p, Some(&s));
        }

        #[test]
        fn every_written_traceparent_reads_back(t in any::<[u8; 16]>(), s in any::<[u8; 8]>(), sampled in any::<bool>()) {
            prop_assume!(t != [0; 16] && s != [0; 8]);
            let flags = if sampled { SAMPLED } else { 0 };
            let r = Remote::parse(&traceparent(TraceId(t), SpanId(s), flags), None).unwrap();
            prop_assert_eq!((r.trace_id, r.parent_id, r.flags), (TraceId(t), SpanId(s), flags));
        }
    }
}
