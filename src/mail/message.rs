//! Messages: a subject, a plain-text part and an HTML part, in the recipient's language,
//! rendered from `templates/mail/message.{txt,html}` with texts from the catalogue.

use askama::Template;

use crate::i18n::Localizer;

/// A rendered message for one recipient.
#[derive(Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Mail {
    /// Bodies may carry single-use links.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a mail template failed to render: {0}")]
pub struct RenderError(#[from] askama::Error);

/// Who speaks, and in which language: the product's name and colour (`branding.*`) and
/// the recipient's language.
#[derive(Debug, Clone)]
pub struct Voice {
    pub loc: Localizer,
    pub product: String,
    pub color: String,
}

impl Voice {
    pub fn new(loc: Localizer, product: &str, color: Option<&str>) -> Voice {
        Voice {
            loc,
            product: product.to_string(),
            color: color.unwrap_or("#1a4d8f").to_string(),
        }
    }

    /// Outside a request (the CLI): the configured product and colour, in `locale`.
    pub fn of_settings(
        settings: &crate::config::Settings,
        locale: Option<crate::i18n::Locale>,
    ) -> Voice {
        Voice::new(
            Localizer::new(locale.unwrap_or_else(|| settings.i18n.locale())),
            &settings.branding.product_name,
            settings.branding.primary_color.as_deref(),
        )
    }

    /// A link into our pages that keeps the recipient's language.
    pub fn link(&self, issuer: &str, path: &str, token: &str) -> String {
        format!(
            "{issuer}{path}?token={token}&ui_locales={}",
            self.loc.lang()
        )
    }
}

/// The button of a message.
struct Action<'a> {
    label: String,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/message.txt")]
struct Text<'a> {
    product: &'a str,
    intro: &'a [String],
    action: &'a Option<Action<'a>>,
    outro: &'a [String],
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct Html<'a> {
    lang: &'a str,
    product: &'a str,
    color: &'a str,
    intro: &'a [String],
    action: &'a Option<Action<'a>>,
    outro: &'a [String],
}

impl Mail {
    fn compose(
        voice: &Voice,
        to: &str,
        subject: String,
        intro: Vec<String>,
        action: Option<Action<'_>>,
        outro: Vec<String>,
    ) -> Result<Mail, RenderError> {
        Ok(Mail {
            to: to.to_string(),
            subject,
            text: Text {
                product: &voice.product,
                intro: &intro,
                action: &action,
                outro: &outro,
            }
            .render()?,
            html: Html {
                lang: voice.loc.lang(),
                product: &voice.product,
                color: &voice.color,
                intro: &intro,
                action: &action,
                outro: &outro,
            }
            .render()?,
        })
    }

    /// Confirm an address (a new one, or the current one not yet verified).
    pub fn verify(
        voice: &Voice,
        to: &str,
        username: &str,
        link: &str,
        ttl_secs: i64,
    ) -> Result<Mail, RenderError> {
        let t = &voice.loc;
        Mail::compose(
            voice,
            to,
            t.t1("mail-verify-subject", "product", &voice.product),
            vec![t.t2("mail-verify-intro", "email", to, "username", username)],
            Some(Action {
                label: t.t("mail-verify-action"),
                link,
            }),
            vec![
                t.tn("mail-link-once", "minutes", ttl_secs / 60),
                t.t("mail-verify-ignore"),
            ],
        )
    }

    /// To the old address, once a change took effect.
    pub fn email_changed(
        voice: &Voice,
        to: &str,
        username: &str,
        new_email: &str,
    ) -> Result<Mail, RenderError> {
        let t = &voice.loc;
        Mail::compose(
            voice,
            to,
            t.t1("mail-changed-subject", "product", &voice.product),
            vec![t.t2(
                "mail-changed-intro",
                "username",
                username,
                "email",
                new_email,
            )],
            None,
            vec![t.t("mail-changed-not-you")],
        )
    }

    /// An invitation: a link to choose a password (`portcullis user invite`).
    pub fn invitation(
        voice: &Voice,
        to: &str,
        username: &str,
        link: &str,
        until: &str,
    ) -> Result<Mail, RenderError> {
        let t = &voice.loc;
        Mail::compose(
            voice,
            to,
            t.t1("mail-invite-subject", "product", &voice.product),
            vec![t.t2(
                "mail-invite-intro",
                "product",
                &voice.product,
                "username",
                username,
            )],
            Some(Action {
                label: t.t("mail-invite-action"),
                link,
            }),
            vec![t.t1("mail-invite-until", "when", until)],
        )
    }

    /// To the owner of an account whose password was used, followed by failed
    /// second-factor attempts past the budget: someone else may know the password.
    pub fn second_factor_failures(
        voice: &Voice,
        to: &str,
        username: &str,
        link: &str,
    ) -> Result<Mail, RenderError> {
        let t = &voice.loc;
        Mail::compose(
            voice,
            to,
            t.t1("mail-mfa-failures-subject", "product", &voice.product),
            vec![t.t1("mail-mfa-failures-intro", "username", username)],
            Some(Action {
                label: t.t("mail-mfa-failures-action"),
                link,
            }),
            vec![t.t("mail-mfa-failures-outro")],
        )
    }

    /// The password reset link (forgot password).
    pub fn reset(
        voice: &Voice,
        to: &str,
        username: &str,
        link: &str,
        ttl_secs: i64,
    ) -> Result<Mail, RenderError> {
        let t = &voice.loc;
        Mail::compose(
            voice,
            to,
            t.t1("mail-reset-subject", "product", &voice.product),
            vec![t.t1("mail-reset-intro", "username", username)],
            Some(Action {
                label: t.t("mail-reset-action"),
                link,
            }),
            vec![
                t.tn("mail-link-once", "minutes", ttl_secs / 60),
                t.t("mail-reset-ignore"),
            ],
        )
    }

    /// Self-service sign-up: the link that creates the account.
    pub fn sign_up(
        voice: &Voice,
        to: &str,
        username: &str,
        link: &str,
        ttl_secs: i64,
    ) -> Result<Mail, RenderError> {
        let t = &voice.loc;
        Mail::compose(
            voice,
            to,
            t.t1("mail-signup-subject", "product", &voice.product),
            vec![t.t2(
                "mail-signup-intro",
                "product",
                &voice.product,
                "username",
                username,
            )],
            Some(Action {
                label: t.t("mail-signup-action"),
                link,
            }),
            vec![
                t.tn("mail-link-once", "minutes", ttl_secs / 60),
                t.t("mail-signup-ignore"),
            ],
        )
    }

    /// Sign-up with an address that has an account already: told to that address only,
    /// so the sign-up page cannot reveal who has an account.
    pub fn sign_up_existing(voice: &Voice, to: &str, link: &str) -> Result<Mail, RenderError> {
        let t = &voice.loc;
        Mail::compose(
            voice,
            to,
            t.t1("mail-signup-subject", "product", &voice.product),
            vec![t.t1("mail-signup-existing", "product", &voice.product)],
            Some(Action {
                label: t.t("mail-signup-existing-action"),
                link,
            }),
            vec![t.t("mail-signup-ignore")],
        )
    }

    /// `portcullis mail test`: proves the SMTP settings work end to end.
    pub fn test(voice: &Voice, to: &str, issuer: &str) -> Result<Mail, RenderError> {
        let t = &voice.loc;
        Mail::compose(
            voice,
            to,
            t.t1("mail-test-subject", "product", &voice.product),
            vec![
                t.t1("mail-test-intro", "url", issuer),
                t.t("mail-test-works"),
            ],
            None,
            vec![],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    fn voice(locale: Locale) -> Voice {
        Voice::new(Localizer::new(locale), "Acme <ID>", Some("#c00"))
    }

    #[test]
    fn the_test_message_has_both_parts_and_escapes_html() {
        let m = Mail::test(
            &voice(Locale::En),
            "a@example.com",
            "https://id.example/<x>",
        )
        .unwrap();
        assert!(m.text.contains("https://id.example/<x>"));
        assert!(m.html.contains("&#60;x&#62;") || m.html.contains("&lt;x&gt;"));
        assert!(m.html.contains("Acme &#60;ID&#62;") || m.html.contains("Acme &lt;ID&gt;"));
        assert!(!format!("{m:?}").contains("id.example"));
    }

    #[test]
    fn a_reset_mail_speaks_the_recipients_language_and_carries_the_link() {
        let v = voice(Locale::De);
        let link = v.link("https://id.example", "/password/reset", "tok");
        assert!(link.ends_with("?token=tok&ui_locales=de"));
        let de = Mail::reset(&v, "a@example.com", "alice", &link, 1800).unwrap();
        let en = Mail::reset(&voice(Locale::En), "a@example.com", "alice", &link, 1800).unwrap();
        assert_ne!(de.subject, en.subject);
        assert!(de.text.contains(&link) && de.html.contains("ui_locales=de"));
        assert!(de.text.contains("30") && de.html.contains("lang=\"de\""));
    }
}
