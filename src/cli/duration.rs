//! Durations on the command line: `30s`, `15m`, `2h`, `7d` (used by `audit --since` and
//! `client registration-token create --expires-in`).

/// Seconds in a duration written as a whole number and one unit (`s`, `m`, `h`, `d`);
/// `None` when it is not one.
pub fn parse_secs(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let unit_secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    let number = &text[..text.len() - unit.len_utf8()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse::<i64>().ok()?.checked_mul(unit_secs)
}

#[cfg(test)]
mod tests {
    use super::parse_secs;

    #[test]
    fn durations_are_a_whole_number_and_a_unit() {
        assert_eq!(parse_secs("3600s"), Some(3_600));
        assert_eq!(parse_secs("15m"), Some(900));
        assert_eq!(parse_secs("1h"), Some(3_600));
        assert_eq!(parse_secs("7d"), Some(604_800));
        for bad in [
            "",
            "h",
            "1",
            "-1h",
            "+1h",
            "1.5h",
            "1w",
            "1 h",
            "1é",
            "é",
            "99999999999999999d",
        ] {
            assert_eq!(parse_secs(bad), None, "{bad:?}");
        }
    }
}
