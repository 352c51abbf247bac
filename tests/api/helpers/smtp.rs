//! A real SMTP server for the mail tests: aiosmtpd (from PyPI) on a free loopback port,
//! storing what it receives in a maildir.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::skip_unless_required;

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// Started and accepting, or `None` (skipped) when aiosmtpd is not installed.
    pub fn start(test: &str) -> Option<Self> {
        let installed = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            skip_unless_required(test, "aiosmtpd is not installed (pip install aiosmtpd)");
            return None;
        }
        let port = super::stubs::free_port();
        let maildir = tempfile::tempdir().expect("maildir");
        let mut child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Self {
                    child,
                    port,
                    maildir,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port}");
    }

    /// `smtp.url` for it: plain SMTP on loopback (it offers no STARTTLS, so the default
    /// opportunistic mode goes on without).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.path().join("mail").join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

/// The first link to `path` (e.g. `/password/reset`) in a raw message, as path and query,
/// with quoted-printable soft line breaks and `=3D` undone.
pub fn link_in(mail: &str, path: &str) -> Option<String> {
    let text = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find(&format!("{path}?"))?;
    Some(
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "/?=&_-".contains(*c))
            .collect(),
    )
}
