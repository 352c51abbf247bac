//! Settings of how our pages look and speak: `branding`, `templates`, `i18n`.

use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;
use super::validate::invalid;
use crate::i18n::Locale;

/// The organisation's name, logo and colours on every page and mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrandingSettings {
    /// Shown in page titles, headings and mails.
    pub product_name: String,
    /// A file (served by us at `/branding/logo`) or an `https://` URL.
    pub logo: Option<String>,
    /// The colour of buttons and links, `#rgb` or `#rrggbb`.
    pub primary_color: Option<String>,
    /// An extra stylesheet (a file), served at `/branding/style.css` after ours.
    pub css: Option<PathBuf>,
}

impl Default for BrandingSettings {
    fn default() -> Self {
        Self {
            product_name: "Portcullis".into(),
            logo: None,
            primary_color: None,
            css: None,
        }
    }
}

/// Operators' own page templates.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemplatesSettings {
    /// A directory whose `<page>.html` files (Jinja2 syntax) replace our pages of the same
    /// name; read and checked at start.
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct I18nSettings {
    /// The language of a page when neither `ui_locales` nor the browser names one we have.
    pub default_locale: String,
}

impl Default for I18nSettings {
    fn default() -> Self {
        Self {
            default_locale: "en".into(),
        }
    }
}

impl I18nSettings {
    pub fn locale(&self) -> Locale {
        self.default_locale.parse().unwrap_or_default()
    }
}

/// Checks what can be checked without reading files (that happens at start).
pub fn validate(branding: &BrandingSettings, i18n: &I18nSettings) -> Result<(), ConfigError> {
    if branding.product_name.trim().is_empty() || branding.product_name.chars().count() > 64 {
        return Err(invalid(
            "branding.product_name",
            "must be 1 to 64 characters",
        ));
    }
    if let Some(c) = &branding.primary_color {
        if !is_hex_color(c) {
            return Err(invalid(
                "branding.primary_color",
                "must be a hex colour such as #1a4d8f or #15f",
            ));
        }
    }
    if let Some(logo) = &branding.logo {
        if logo.contains("://") && !logo.starts_with("https://") {
            return Err(invalid(
                "branding.logo",
                "must be a file path or an https:// URL",
            ));
        }
        if logo.starts_with("https://") && url::Url::parse(logo).is_err() {
            return Err(invalid("branding.logo", "is not a valid URL"));
        }
    }
    i18n.default_locale
        .parse::<Locale>()
        .map_err(|e| invalid("i18n.default_locale", &e))?;
    Ok(())
}

/// `#rgb` or `#rrggbb`: nothing else can reach our stylesheet, so no CSS can be injected.
pub fn is_hex_color(c: &str) -> bool {
    let Some(hex) = c.strip_prefix('#') else {
        return false;
    };
    matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_hex_colour_is_a_primary_colour() {
        assert!(is_hex_color("#1a4d8f"));
        assert!(is_hex_color("#FFF"));
        assert!(!is_hex_color("red"));
        assert!(!is_hex_color("#12345"));
        assert!(!is_hex_color("#fff;}body{display:none"));
    }

    #[test]
    fn a_logo_url_must_be_https_and_the_locale_one_we_ship() {
        let mut b = BrandingSettings {
            logo: Some("http://example.com/logo.png".into()),
            ..Default::default()
        };
        assert!(validate(&b, &I18nSettings::default()).is_err());
        b.logo = Some("/etc/portcullis/logo.svg".into());
        assert!(validate(&b, &I18nSettings::default()).is_ok());
        let i18n = I18nSettings {
            default_locale: "es".into(),
        };
        assert!(validate(&b, &i18n).is_err());
    }
}
