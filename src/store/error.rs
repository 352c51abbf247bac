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
        matches!(
            self,
            Self::Connect(_)
                | Self::Unavailable(_)
                | Self::Query(DieselError::DatabaseError(
                    DatabaseErrorKind::ClosedConnection,
                    _
                ))
        )
    }
}
