//! The SMTP transport from `smtp.url`, and one delivery.
//!
//! - `smtp://[user:pass@]host[:port]` — STARTTLS when the server offers it (port 587 by
//!   default); `?tls=required` refuses to go on without it, `?tls=none` never upgrades
//!   (a local relay).
//! - `smtps://[user:pass@]host[:port]` — TLS from the first byte (port 465).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use crate::store::mail_outbox::OutboxRow;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SmtpUrlError {
    #[error("smtp.url is not a URL")]
    NotAUrl,
    #[error("smtp.url must start with smtp:// or smtps://")]
    Scheme,
    #[error("smtp.url names no host")]
    NoHost,
    #[error("smtp.url: tls must be required, opportunistic or none")]
    TlsMode,
    #[error("smtp.url: TLS cannot be set up: {0}")]
    Tls(String),
}

/// How to reach the server, read from the URL (no secret in `Debug`).
pub struct Relay {
    transport: SmtpTransport,
    /// `host:port`, for logs.
    pub address: String,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("address", &self.address)
            .finish()
    }
}

impl Relay {
    pub fn from_url(raw: &str, timeout: Duration) -> Result<Relay, SmtpUrlError> {
        let url = url::Url::parse(raw).map_err(|_| SmtpUrlError::NotAUrl)?;
        let host = url.host_str().ok_or(SmtpUrlError::NoHost)?.to_string();
        let tls_params =
            || TlsParameters::new(host.clone()).map_err(|e| SmtpUrlError::Tls(e.to_string()));
        let mode = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (port, tls) = match url.scheme() {
            "smtps" => (url.port().unwrap_or(465), Tls::Wrapper(tls_params()?)),
            "smtp" => {
                let tls = match mode.as_deref() {
                    None | Some("opportunistic") => Tls::Opportunistic(tls_params()?),
                    Some("required") => Tls::Required(tls_params()?),
                    Some("none") => Tls::None,
                    Some(_) => return Err(SmtpUrlError::TlsMode),
                };
                (url.port().unwrap_or(587), tls)
            }
            _ => return Err(SmtpUrlError::Scheme),
        };
        let mut builder = SmtpTransport::builder_dangerous(host.as_str())
            .port(port)
            .tls(tls)
            .timeout(Some(timeout));
        if !url.username().is_empty() {
            builder = builder.credentials(Credentials::new(
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or("")),
            ));
        }
        Ok(Relay {
            transport: builder.build(),
            address: format!("{host}:{port}"),
        })
    }

    /// Sends one queued message (blocking: call it from a worker thread). The error text
    /// is stored with the row, so it never includes the message.
    pub fn send(&self, from: &str, row: &OutboxRow) -> Result<(), String> {
        let from: Mailbox = from.parse().map_err(|e| format!("smtp.from: {e}"))?;
        let to: Mailbox = row
            .to_address
            .parse()
            .map_err(|e| format!("recipient: {e}"))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(row.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                row.text_body.clone(),
                row.html_body.clone(),
            ))
            .map_err(|e| format!("message: {e}"))?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// The user name and password in a URL are percent-encoded (RFC 3986 §3.2.1).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(url: &str) -> Result<Relay, SmtpUrlError> {
        Relay::from_url(url, Duration::from_secs(5))
    }

    #[test]
    fn the_url_names_the_port_and_tls_mode_and_defaults_sensibly() {
        assert_eq!(
            relay("smtp://mail.example").unwrap().address,
            "mail.example:587"
        );
        assert_eq!(
            relay("smtps://u:p@mail.example").unwrap().address,
            "mail.example:465"
        );
        assert_eq!(
            relay("smtp://127.0.0.1:2525?tls=none").unwrap().address,
            "127.0.0.1:2525"
        );
        assert!(relay("smtp://mail.example?tls=required").is_ok());
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        assert_eq!(relay("nonsense").unwrap_err(), SmtpUrlError::NotAUrl);
        assert_eq!(
            relay("http://mail.example").unwrap_err(),
            SmtpUrlError::Scheme
        );
        assert_eq!(
            relay("smtp://mail.example?tls=maybe").unwrap_err(),
            SmtpUrlError::TlsMode
        );
    }

    #[test]
    fn the_password_never_shows_in_debug() {
        let r = relay("smtp://user:hunter2@mail.example").unwrap();
        assert!(!format!("{r:?}").contains("hunter2"));
        assert_eq!(percent_decode("p%40ss"), "p@ss");
        assert_eq!(percent_decode("a+b%2"), "a+b%2");
    }
}
