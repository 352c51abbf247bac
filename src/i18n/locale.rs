//! The languages we ship, and choosing one from what a request asks for.

use std::fmt;

/// A language with a complete catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    De,
    Fr,
}

impl Locale {
    /// Every shipped language, English (the fallback) first; `ui_locales_supported` in
    /// discovery lists these tags.
    pub const ALL: [Locale; 3] = [Locale::En, Locale::De, Locale::Fr];

    /// The BCP 47 tag (RFC 5646), as in `<html lang>` and discovery.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
            Locale::Fr => "fr",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The language a BCP 47 tag asks for: matched on its primary subtag, so `de-AT` and
    /// `fr-CA` get German and French (RFC 4647 §3.4 lookup, truncated to the language).
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Locale::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The first supported entry of `ui_locales`: space-separated tags, most preferred
    /// first (OpenID Connect Core §3.1.2.1). Unsupported tags are skipped, never an error.
    pub fn from_ui_locales(value: &str) -> Option<Locale> {
        value.split_ascii_whitespace().find_map(Locale::from_tag)
    }

    /// The most preferred supported language of an `Accept-Language` header (RFC 9110
    /// §12.5.4): by quality, then by order; `q=0` means "not this one"; `*` adds nothing we
    /// would not fall back to anyway.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut ranges: Vec<(u16, usize, Locale)> = Vec::new();
        for (pos, item) in header.split(',').enumerate().take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map_or(Some(1000), quality)
                .unwrap_or(0);
            if q == 0 {
                continue;
            }
            if let Some(locale) = Locale::from_tag(tag) {
                ranges.push((q, pos, locale));
            }
        }
        ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges.first().map(|r| r.2)
    }

    /// Choose in order: `ui_locales`, the remembered choice, `Accept-Language`, the default.
    pub fn negotiate(
        ui_locales: Option<&str>,
        remembered: Option<&str>,
        accept_language: Option<&str>,
        default: Locale,
    ) -> Locale {
        ui_locales
            .and_then(Locale::from_ui_locales)
            .or_else(|| remembered.and_then(Locale::from_tag))
            .or_else(|| accept_language.and_then(Locale::from_accept_language))
            .unwrap_or(default)
    }
}

/// A `qvalue` (RFC 9110 §12.4.2) in thousandths; `None` when malformed.
fn quality(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    if whole == 1000 && thousandths > 0 {
        return None;
    }
    Some(whole + thousandths)
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl std::str::FromStr for Locale {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Locale::from_tag(s)
            .filter(|l| l.tag().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let tags: Vec<&str> = Locale::ALL.iter().map(|l| l.tag()).collect();
                format!("must be one of {}", tags.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regional_tag_gets_its_language() {
        assert_eq!(Locale::from_tag("de-AT"), Some(Locale::De));
        assert_eq!(Locale::from_tag("FR_ca"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("es"), None);
        assert_eq!(Locale::from_tag(""), None);
    }

    #[test]
    fn ui_locales_takes_the_first_supported_tag_in_order() {
        assert_eq!(Locale::from_ui_locales("es-MX fr de"), Some(Locale::Fr));
        assert_eq!(Locale::from_ui_locales("  "), None);
    }

    #[test]
    fn accept_language_is_ranked_by_quality_then_order() {
        assert_eq!(
            Locale::from_accept_language("es, de;q=0.5, fr;q=0.8"),
            Some(Locale::Fr)
        );
        assert_eq!(
            Locale::from_accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
            Some(Locale::Fr)
        );
        assert_eq!(Locale::from_accept_language("de, en"), Some(Locale::De));
    }

    #[test]
    fn a_language_refused_with_q_zero_or_a_malformed_quality_is_not_chosen() {
        assert_eq!(
            Locale::from_accept_language("de;q=0, fr;q=0.1"),
            Some(Locale::Fr)
        );
        assert_eq!(
            Locale::from_accept_language("de;q=2, fr;q=0.1"),
            Some(Locale::Fr)
        );
        assert_eq!(Locale::from_accept_language("de;q=0.1234"), None);
        assert_eq!(Locale::from_accept_language(";;;,,,q="), None);
    }

    #[test]
    fn negotiation_prefers_ui_locales_then_the_remembered_choice_then_the_header() {
        let n = Locale::negotiate;
        assert_eq!(
            n(Some("fr"), Some("de"), Some("en"), Locale::En),
            Locale::Fr
        );
        assert_eq!(
            n(Some("xx"), Some("de"), Some("fr"), Locale::En),
            Locale::De
        );
        assert_eq!(n(None, None, Some("fr-FR"), Locale::En), Locale::Fr);
        assert_eq!(n(None, Some("zz"), Some("zz"), Locale::De), Locale::De);
    }

    #[test]
    fn a_setting_names_a_shipped_language_exactly() {
        assert_eq!("de".parse::<Locale>(), Ok(Locale::De));
        assert!("de-AT".parse::<Locale>().is_err());
        assert!("es".parse::<Locale>().is_err());
    }
}
