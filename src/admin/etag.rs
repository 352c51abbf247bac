//! Entity tags for the admin API's resources (RFC 9110 §8.8.3) and the `If-Match`
//! precondition (RFC 9110 §13.1.1) that stops lost writes: an update names the version it
//! was based on, and is refused (412) if the resource changed since.
//!
//! The tag is a digest of the resource's representation, so every writer (CLI, console,
//! API, sign-in) changes it without having to remember to bump a counter.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The strong entity tag of a representation, quoted as it goes in the header.
pub fn of<T: Serialize>(representation: &T) -> String {
    let bytes = serde_json::to_vec(representation).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-Match` field value lets a write to the resource whose tag is `current`
/// go ahead: `*`, or a list naming it. `If-Match` uses the strong comparison, so a weak
/// tag (`W/"…"`) never matches.
pub fn matches(if_match: &str, current: &str) -> bool {
    let value = if_match.trim();
    if value == "*" {
        return true;
    }
    value
        .split(',')
        .map(str::trim)
        .any(|tag| !tag.starts_with("W/") && tag == current)
}

/// Whether an `If-Match` field value is well formed: `*`, or a list of entity tags
/// (`"…"` or `W/"…"`, RFC 9110 §8.8.3). A malformed one is a bad request, not a mismatch.
pub fn is_well_formed(if_match: &str) -> bool {
    let value = if_match.trim();
    if value == "*" {
        return true;
    }
    let tag_ok = |t: &str| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t.len() >= 2
            && t.starts_with('"')
            && t.ends_with('"')
            && t[1..t.len() - 1]
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
    };
    !value.is_empty() && value.split(',').map(str::trim).all(tag_ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_changed_representation_has_another_tag() {
        let a = of(&json!({"name": "a"}));
        assert_eq!(a, of(&json!({"name": "a"})));
        assert_ne!(a, of(&json!({"name": "b"})));
        assert!(a.starts_with('"') && a.ends_with('"'));
    }

    #[test]
    fn if_match_accepts_the_current_tag_a_list_naming_it_or_a_star() {
        let t = of(&json!(1));
        assert!(matches(&t, &t));
        assert!(matches(&format!("\"x\", {t}"), &t));
        assert!(matches("*", &t));
        assert!(!matches("\"x\"", &t));
        assert!(!matches(&format!("W/{t}"), &t), "weak tags never match");
        assert!(!matches("", &t));
    }

    #[test]
    fn only_a_star_or_a_list_of_quoted_tags_is_a_well_formed_if_match() {
        assert!(is_well_formed("*"));
        assert!(is_well_formed("\"a\", W/\"b\""));
        for bad in ["", " ", "abc", "\"a", "\"a\",", "*, \"a\"", "\"a\"b\""] {
            assert!(!is_well_formed(bad), "{bad:?}");
        }
    }
}
