use std::io::Read;

use anyhow::{Context, bail};

use crate::domain::secret::Secret;

/// Reads a password from standard input (`--password-stdin`): everything up to EOF, minus
/// one trailing newline, so both `echo pw |` and a file work. Never echoed or logged.
pub fn read_password() -> anyhow::Result<Secret<String>> {
    read_secret("password")
}

/// Reads a secret (`what`: "password", "client secret") from standard input, as
/// [`read_password`] does.
pub fn read_secret(what: &str) -> anyhow::Result<Secret<String>> {
    let mut buf = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut buf)
        .with_context(|| format!("cannot read the {what} from standard input"))?;
    let trimmed = buf
        .strip_suffix("\r\n")
        .or_else(|| buf.strip_suffix('\n'))
        .unwrap_or(&buf);
    if trimmed.is_empty() {
        bail!("no {what} on standard input");
    }
    Ok(Secret::new(trimmed.to_string()))
}
