//! Messages: a subject, a plain-text part and an HTML part, rendered from templates under
//! `templates/mail/`.

use askama::Template;

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

#[derive(Template)]
#[template(path = "mail/test.txt")]
struct TestText<'a> {
    issuer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/test.html")]
struct TestHtml<'a> {
    issuer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reset.txt")]
struct ResetText<'a> {
    username: &'a str,
    issuer: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/reset.html")]
struct ResetHtml<'a> {
    username: &'a str,
    issuer: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/invite.txt")]
struct InviteText<'a> {
    username: &'a str,
    issuer: &'a str,
    link: &'a str,
    until: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invite.html")]
struct InviteHtml<'a> {
    username: &'a str,
    issuer: &'a str,
    link: &'a str,
    until: &'a str,
}

#[derive(Template)]
#[template(path = "mail/verify.txt")]
struct VerifyText<'a> {
    username: &'a str,
    email: &'a str,
    issuer: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/verify.html")]
struct VerifyHtml<'a> {
    username: &'a str,
    email: &'a str,
    issuer: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/email_changed.txt")]
struct ChangedText<'a> {
    username: &'a str,
    issuer: &'a str,
    new_email: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_changed.html")]
struct ChangedHtml<'a> {
    username: &'a str,
    issuer: &'a str,
    new_email: &'a str,
}

impl Mail {
    /// Confirm an address (a new one, or the current one not yet verified).
    pub fn verify(
        to: &str,
        username: &str,
        issuer: &str,
        link: &str,
        ttl_secs: i64,
    ) -> Result<Mail, RenderError> {
        let minutes = ttl_secs / 60;
        Ok(Mail {
            to: to.to_string(),
            subject: "Confirm your email address".into(),
            text: VerifyText {
                username,
                email: to,
                issuer,
                link,
                minutes,
            }
            .render()?,
            html: VerifyHtml {
                username,
                email: to,
                issuer,
                link,
                minutes,
            }
            .render()?,
        })
    }

    /// To the old address, once a change took effect.
    pub fn email_changed(
        to: &str,
        username: &str,
        issuer: &str,
        new_email: &str,
    ) -> Result<Mail, RenderError> {
        Ok(Mail {
            to: to.to_string(),
            subject: "Your email address was changed".into(),
            text: ChangedText {
                username,
                issuer,
                new_email,
            }
            .render()?,
            html: ChangedHtml {
                username,
                issuer,
                new_email,
            }
            .render()?,
        })
    }

    /// An invitation: a link to choose a password (`portcullis user invite`).
    pub fn invitation(
        to: &str,
        username: &str,
        issuer: &str,
        link: &str,
        until: &str,
    ) -> Result<Mail, RenderError> {
        Ok(Mail {
            to: to.to_string(),
            subject: format!("You are invited to {issuer}"),
            text: InviteText {
                username,
                issuer,
                link,
                until,
            }
            .render()?,
            html: InviteHtml {
                username,
                issuer,
                link,
                until,
            }
            .render()?,
        })
    }

    /// The password reset link (forgot password).
    pub fn reset(
        to: &str,
        username: &str,
        issuer: &str,
        link: &str,
        ttl_secs: i64,
    ) -> Result<Mail, RenderError> {
        let minutes = ttl_secs / 60;
        Ok(Mail {
            to: to.to_string(),
            subject: "Reset your password".into(),
            text: ResetText {
                username,
                issuer,
                link,
                minutes,
            }
            .render()?,
            html: ResetHtml {
                username,
                issuer,
                link,
                minutes,
            }
            .render()?,
        })
    }

    /// `portcullis mail test`: proves the SMTP settings work end to end.
    pub fn test(to: &str, issuer: &str) -> Result<Mail, RenderError> {
        Ok(Mail {
            to: to.to_string(),
            subject: "Portcullis: test message".into(),
            text: TestText { issuer }.render()?,
            html: TestHtml { issuer }.render()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_message_has_both_parts_and_escapes_html() {
        let m = Mail::test("a@example.com", "https://id.example/<x>").unwrap();
        assert!(m.text.contains("https://id.example/<x>"));
        assert!(m.html.contains("https://id.example/&#60;x&#62;") || m.html.contains("&lt;x&gt;"));
        assert!(!format!("{m:?}").contains("id.example"));
    }
}
