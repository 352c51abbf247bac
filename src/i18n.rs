//! Translations of our pages and mails (Project Fluent).
//!
//! Every text a person reads is a message in `locales/<tag>.ftl`, looked up by key from
//! the templates (`ui.t("sign-in-title")`) and from the few handlers that word a notice.
//! The catalogues are compiled in, so a running server cannot lack one; a key missing from
//! a catalogue falls back to English on the page, and fails the tests
//! (`catalog::tests`, which read every key the templates and sources use).
//!
//! Which language a page is in: the `ui_locales` parameter (OpenID Connect Core §3.1.2.1),
//! then the language the person chose before (a cookie set from `ui_locales`), then the
//! browser's `Accept-Language` (RFC 9110 §12.5.4), then `i18n.default_locale`.

pub mod catalog;
pub mod locale;

pub use catalog::Localizer;
pub use locale::Locale;
