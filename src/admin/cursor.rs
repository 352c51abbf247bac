//! Paging by cursor: a page ends at the key of its last item, and the next page starts
//! strictly after it. Keys are unique and never change, so rows inserted or deleted
//! while a caller pages never make another row appear twice or go missing (offsets
//! would shift under concurrent inserts).
//!
//! The cursor is opaque to callers (base64url of a tagged key) so its form can change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Page sizes: the default when none is asked for, and the most one page holds.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this server issued")]
pub struct BadCursor;

/// The cursor that continues after `key`, for the list named `kind` (a cursor from one
/// list is refused by another).
pub fn after(kind: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

/// The key a cursor continues after.
pub fn key(kind: &str, cursor: &str) -> Result<String, BadCursor> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| BadCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| BadCursor)?;
    let (tag, key) = text.split_once(':').ok_or(BadCursor)?;
    if tag != kind || key.is_empty() || key.len() > 512 {
        return Err(BadCursor);
    }
    Ok(key.to_string())
}

/// A requested page size, checked.
pub fn limit(asked: Option<i64>) -> Result<i64, BadLimit> {
    match asked {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(BadLimit),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("limit must be between 1 and {MAX_LIMIT}")]
pub struct BadLimit;

/// Splits one extra row off a page fetched with `limit + 1`: its presence says another
/// page follows, whose cursor is the last kept item's key.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    key_of: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(key_of);
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_gives_back_its_key_for_its_own_list_only() {
        let c = after("users", "u-123");
        assert_eq!(key("users", &c).unwrap(), "u-123");
        assert_eq!(key("clients", &c), Err(BadCursor));
    }

    #[test]
    fn garbage_cursors_are_refused() {
        for bad in ["", "!!!", "dXNlcnM", &after("users", "")] {
            assert_eq!(key("users", bad), Err(BadCursor), "{bad}");
        }
    }

    #[test]
    fn limits_outside_one_to_the_maximum_are_refused() {
        assert_eq!(limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(limit(Some(1)), Ok(1));
        assert_eq!(limit(Some(MAX_LIMIT)), Ok(MAX_LIMIT));
        assert_eq!(limit(Some(0)), Err(BadLimit));
        assert_eq!(limit(Some(MAX_LIMIT + 1)), Err(BadLimit));
    }

    #[test]
    fn a_page_with_one_row_too_many_has_a_next_cursor_at_its_last_kept_row() {
        let (rows, next) = page(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(next.as_deref(), Some("2"));
        let (rows, next) = page(vec![1, 2], 2, |n| n.to_string());
        assert_eq!((rows.len(), next), (2, None));
    }
}
