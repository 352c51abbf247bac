use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("no database connection available: {0}")]
    Unavailable(#[from] r2d2::Error),
    #[error("database query failed: {0}")]
    Query(#[source] DieselError),
    #[error("a row with this key already exists")]
    Duplicate,
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("a blocking database task failed to complete")]
    TaskFailed,
    /// The database answers but cannot be written, or the SQLite file the server opened
    /// was removed or replaced: nothing can be stored until an operator acts.
    #[error("the database cannot be written: {0}")]
    NotWritable(String),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::Duplicate,
            other => Self::Query(other),
        }
    }
}

impl StoreError {
    /// Whether the database itself is unreachable (as opposed to a bad query), so the
    /// HTTP layer can answer 503 and readiness can fail.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::Unavailable(_) | Self::NotWritable(_) => true,
            Self::Query(DieselError::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::ReadOnlyTransaction
                ) || is_storage_failure(info.message())
            }
            _ => false,
        }
    }
}

/// SQLite reports a storage that cannot take writes (read-only or immutable file, full or
/// failing disk, a file gone from under it) only as message text.
fn is_storage_failure(message: &str) -> bool {
    const STORAGE: [&str; 5] = [
        "readonly database",
        "disk I/O error",
        "database or disk is full",
        "unable to open database file",
        "database disk image is malformed",
    ];
    STORAGE.iter().any(|m| message.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(message: &str) -> StoreError {
        #[derive(Debug)]
        struct Info(String);
        impl diesel::result::DatabaseErrorInformation for Info {
            fn message(&self) -> &str {
                &self.0
            }
            fn details(&self) -> Option<&str> {
                None
            }
            fn hint(&self) -> Option<&str> {
                None
            }
            fn table_name(&self) -> Option<&str> {
                None
            }
            fn column_name(&self) -> Option<&str> {
                None
            }
            fn constraint_name(&self) -> Option<&str> {
                None
            }
            fn statement_position(&self) -> Option<i32> {
                None
            }
        }
        StoreError::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(Info(message.into())),
        ))
    }

    #[test]
    fn a_storage_that_cannot_take_writes_is_unavailable_not_a_server_bug() {
        for m in [
            "attempt to write a readonly database",
            "disk I/O error",
            "database or disk is full",
        ] {
            assert!(db_error(m).is_unavailable(), "{m}");
            let answer = crate::token::TokenError::from(db_error(m));
            assert_eq!(answer.status(), 503, "{m}");
            assert!(answer.description.contains("database is unavailable"));
        }
        assert!(!db_error("no such column: x").is_unavailable());
        let bug = crate::token::TokenError::from(db_error("no such column: x"));
        assert_eq!(bug.status(), 500);
        assert!(!bug.description.contains("issued"), "an honest message");
    }
}
