//! The database URL picks the backend at run time. It may carry a password, so its `Debug`
//! and [`DatabaseUrl::redacted`] forms hide it.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, invalid};

#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite { path: PathBuf },
    Postgres,
}

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL as given, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `postgres://` or `postgresql://` selects PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or
    /// a bare path selects SQLite. Any other scheme is a configuration error.
    pub fn kind(&self) -> Result<DatabaseKind, ConfigError> {
        let url = self.0.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseKind::Postgres);
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(invalid(
                "database.url",
                &format!("unsupported scheme `{scheme}`; use sqlite://PATH or postgres://…"),
            ));
        }
        if path.is_empty() || path == ":memory:" || path.starts_with("file:") {
            return Err(invalid(
                "database.url",
                "needs a SQLite file path (an in-memory database would not be shared by the pool)",
            ));
        }
        Ok(DatabaseKind::Sqlite { path: path.into() })
    }

    /// The URL with any password replaced, safe for logs and error messages.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_selects_the_backend() {
        assert_eq!(
            DatabaseUrl::new("postgres://u@h/db").kind().unwrap(),
            DatabaseKind::Postgres
        );
        assert_eq!(
            DatabaseUrl::new("sqlite://data/p.db").kind().unwrap(),
            DatabaseKind::Sqlite {
                path: "data/p.db".into()
            }
        );
        assert_eq!(
            DatabaseUrl::new("/tmp/p.db").kind().unwrap(),
            DatabaseKind::Sqlite {
                path: "/tmp/p.db".into()
            }
        );
        assert!(DatabaseUrl::new("mysql://h/db").kind().is_err());
        assert!(DatabaseUrl::new("sqlite://:memory:").kind().is_err());
    }

    #[test]
    fn passwords_never_show() {
        let url = DatabaseUrl::new("postgres://app:hunter2@db.internal:5432/portcullis");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert!(!url.redacted().contains("hunter2"));
        assert!(url.redacted().contains("app:***@db.internal"));
    }
}
