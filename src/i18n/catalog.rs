//! The compiled-in Fluent catalogues and the one way to read them.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use super::Locale;

/// The catalogue sources, in [`Locale::ALL`] order.
const SOURCES: [&str; 3] = [
    include_str!("../../locales/en.ftl"),
    include_str!("../../locales/de.ftl"),
    include_str!("../../locales/fr.ftl"),
];

struct Catalog {
    bundles: Vec<FluentBundle<FluentResource>>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::load);

impl Catalog {
    fn load() -> Catalog {
        let bundles = Locale::ALL
            .iter()
            .zip(SOURCES)
            .map(|(locale, source)| {
                let id: unic_langid::LanguageIdentifier = locale.tag().parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // No Unicode isolation marks: our texts go into HTML and plain-text mail,
                // whose own direction handling is enough for these languages.
                bundle.set_use_isolating(false);
                // A syntax error leaves the rest of the file usable; the tests refuse it.
                let resource = FluentResource::try_new(source.to_string())
                    .unwrap_or_else(|(partial, _)| partial);
                if let Err(errors) = bundle.add_resource(resource) {
                    tracing::error!(locale = %locale, ?errors, "translation catalogue has errors");
                }
                bundle
            })
            .collect();
        Catalog { bundles }
    }

    fn format(&self, locale: Locale, key: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
        let bundle = self.bundles.get(locale.index())?;
        let pattern = bundle.get_message(key)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(locale = %locale, key, ?errors, "translation formatted with errors");
        }
        Some(text.into_owned())
    }
}

/// Texts in one language. Copy, so every page and mail carries its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Localizer {
    pub locale: Locale,
}

impl Localizer {
    pub fn new(locale: Locale) -> Self {
        Self { locale }
    }

    /// The `<html lang>` of the page.
    pub fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The message `key` with one variable.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(value.to_string()));
        self.lookup(key, Some(&args))
    }

    /// The message `key` with two variables.
    pub fn t2(
        &self,
        key: &str,
        a: &str,
        a_value: impl std::fmt::Display,
        b: &str,
        b_value: impl std::fmt::Display,
    ) -> String {
        let mut args = FluentArgs::new();
        args.set(a.to_string(), FluentValue::from(a_value.to_string()));
        args.set(b.to_string(), FluentValue::from(b_value.to_string()));
        self.lookup(key, Some(&args))
    }

    /// The message `key` with a number, for plural forms.
    pub fn tn(&self, key: &str, name: &str, n: impl std::borrow::Borrow<i64>) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(*n.borrow()));
        self.lookup(key, Some(&args))
    }

    fn lookup(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        if let Some(text) = CATALOG.format(self.locale, key, args) {
            return text;
        }
        tracing::warn!(locale = %self.locale, key, "translation missing; English shown");
        CATALOG
            .format(Locale::En, key, args)
            .unwrap_or_else(|| key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use fluent_bundle::FluentResource;
    use fluent_syntax::ast;

    use super::*;

    fn keys_of(source: &str) -> BTreeSet<String> {
        let resource = match FluentResource::try_new(source.to_string()) {
            Ok(r) => r,
            Err((_, errors)) => panic!("catalogue does not parse: {errors:?}"),
        };
        resource
            .entries()
            .filter_map(|e| match e {
                ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Every `t("…")`, `t1("…"`, `t2("…"` and `tn("…"` call in the templates and sources.
    fn used_keys() -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut keys = BTreeSet::new();
        let mut stack = vec![root.join("templates"), root.join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                // This file's own tests name keys that do not exist on purpose.
                if path.ends_with("i18n/catalog.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for call in [".t(\"", ".t1(\"", ".t2(\"", ".tn(\""] {
                    for (at, _) in text.match_indices(call) {
                        let rest = &text[at + call.len()..];
                        if let Some(end) = rest.find('"') {
                            keys.insert(rest[..end].to_string());
                        }
                    }
                }
            }
        }
        keys.retain(|k| !k.is_empty());
        keys
    }

    #[test]
    fn every_catalogue_parses_and_has_exactly_the_english_keys() {
        let english = keys_of(SOURCES[0]);
        assert!(english.len() > 50, "the English catalogue is the reference");
        for (locale, source) in Locale::ALL.iter().zip(SOURCES).skip(1) {
            let keys = keys_of(source);
            let missing: Vec<_> = english.difference(&keys).collect();
            let extra: Vec<_> = keys.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{locale}: missing {missing:?}, not in English {extra:?}"
            );
        }
    }

    #[test]
    fn every_key_the_pages_and_mails_use_is_in_every_catalogue() {
        let used = used_keys();
        assert!(used.len() > 50, "found only {} keys", used.len());
        for (locale, source) in Locale::ALL.iter().zip(SOURCES) {
            let keys = keys_of(source);
            let missing: Vec<_> = used.difference(&keys).collect();
            assert!(missing.is_empty(), "{locale} lacks {missing:?}");
        }
    }

    #[test]
    fn every_message_formats_without_errors_in_every_language() {
        for (locale, source) in Locale::ALL.iter().zip(SOURCES) {
            let bundle = &CATALOG.bundles[locale.index()];
            for key in keys_of(source) {
                let message = bundle.get_message(&key).unwrap();
                let pattern = message
                    .value()
                    .unwrap_or_else(|| panic!("{locale} {key}: no value"));
                // Every variable our calls pass, so a misspelt one shows up as an error.
                let mut args = FluentArgs::new();
                for name in [
                    "name", "client", "minutes", "count", "product", "email", "username", "days",
                    "code", "url", "domains", "old", "new", "device", "when", "max", "host",
                ] {
                    args.set(name, FluentValue::from(1));
                }
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{locale} {key}: {errors:?}");
                assert!(!text.trim().is_empty(), "{locale} {key} is empty");
            }
        }
    }

    #[test]
    fn a_missing_key_falls_back_to_english_then_to_the_key() {
        let de = Localizer::new(Locale::De);
        assert_eq!(de.t("no-such-key"), "no-such-key");
        assert_ne!(
            de.t("sign-in-title"),
            Localizer::new(Locale::En).t("sign-in-title")
        );
    }
}
