use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

use super::StoreError;
use crate::config::{DatabaseKind, DatabaseSettings, DatabaseUrl};

/// One connection type for both backends: queries written once run on either.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Opens connections by the URL's scheme. diesel's derived `establish` tries each backend
/// in turn and hides the real error (a wrong PostgreSQL password would read "invalid URL"),
/// and SQLite needs its PRAGMAs on every connection; hence our own manager.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    kind: DatabaseKind,
    busy_timeout_ms: u64,
    errors: ErrorTally,
}

/// Failed queries and connection attempts of one pool, for `portcullis_db_errors_total`.
/// A unique-key violation is an answer ("already exists"), not a failure: not counted.
#[derive(Debug, Clone, Default)]
pub struct ErrorTally(Arc<AtomicU64>);

impl ErrorTally {
    pub fn count(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn total(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Counts the failed queries of one connection (diesel's instrumentation hook).
    fn instrument(&self, conn: &mut impl Connection) {
        use diesel::connection::InstrumentationEvent;
        use diesel::result::{DatabaseErrorKind, Error};
        let tally = self.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::FinishQuery {
                error: Some(error), ..
            } = event
            {
                if !matches!(
                    error,
                    Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
                        | Error::NotFound
                        | Error::RollbackTransaction
                ) {
                    tally.count();
                }
            }
        });
    }
}

impl Manager {
    pub fn new(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let kind = settings
            .url
            .kind()
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(Self {
            url: settings.url.clone(),
            kind,
            busy_timeout_ms: settings.sqlite_busy_timeout_ms,
            errors: ErrorTally::default(),
        })
    }

    pub fn open(&self) -> Result<DbConnection, StoreError> {
        r2d2::ManageConnection::connect(self).map_err(|e| match e {
            diesel::r2d2::Error::ConnectionError(e) => StoreError::Connect(e.to_string()),
            diesel::r2d2::Error::QueryError(e) => StoreError::Connect(e.to_string()),
        })
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        self.establish().inspect_err(|_| self.errors.count())
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

impl Manager {
    fn establish(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        match &self.kind {
            DatabaseKind::Postgres => {
                let mut conn = PgConnection::establish(self.url.expose())
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                self.errors.instrument(&mut conn);
                Ok(DbConnection::Postgres(conn))
            }
            DatabaseKind::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        diesel::r2d2::Error::ConnectionError(ConnectionError::BadConnection(
                            format!("cannot create {}: {e}", dir.display()),
                        ))
                    })?;
                }
                let path = path.to_str().ok_or_else(|| {
                    diesel::r2d2::Error::ConnectionError(ConnectionError::InvalidConnectionUrl(
                        "the SQLite path is not UTF-8".into(),
                    ))
                })?;
                let mut conn = SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // Per-connection settings. WAL lets readers run beside the writer; the busy
                // timeout makes a second writer wait instead of failing "database is locked".
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;",
                    self.busy_timeout_ms
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                self.errors.instrument(&mut conn);
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// One connection without a pool, for one-shot commands: no background threads.
pub fn connect_once(settings: &DatabaseSettings) -> Result<DbConnection, StoreError> {
    Manager::new(settings)?.open()
}

/// The shared handle to the database: cheap to clone, one pool per process.
#[derive(Clone)]
pub struct Store {
    pool: r2d2::Pool<Manager>,
    backend: &'static str,
    errors: ErrorTally,
    /// SQLite: the file opened at start and its identity (device, inode), so readiness
    /// notices when it is deleted or replaced under the running server.
    sqlite_file: Option<(std::path::PathBuf, FileId)>,
}

type FileId = (u64, u64);

fn file_id(path: &std::path::Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Store {
    /// Opens one connection first, so a bad URL or password fails here with the driver's
    /// own message, then builds the pool around it.
    pub fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let manager = Manager::new(settings)?;
        let backend = match manager.kind {
            DatabaseKind::Postgres => "postgres",
            DatabaseKind::Sqlite { .. } => "sqlite",
        };
        let errors = manager.errors.clone();
        let first = manager.open()?;
        let sqlite_file = match &manager.kind {
            DatabaseKind::Sqlite { path } => file_id(path).map(|id| (path.clone(), id)),
            DatabaseKind::Postgres => None,
        };
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size)
            // No background connection attempts at start: a one-shot process could exit
            // while a pool thread is inside libpq's TLS set-up, which crashes in OpenSSL's
            // exit handlers. Connections open on first use and stay warm while used.
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(settings.connect_timeout_secs))
            // PostgreSQL connections can die under us (a restart, a failover): check each
            // one as it leaves the pool so a dead one is replaced instead of failing a
            // request. A local SQLite file cannot go away.
            .test_on_check_out(backend == "postgres")
            .error_handler(Box::new(LogErrors))
            .build_unchecked(manager);
        drop(first);
        Ok(Self {
            pool,
            backend,
            errors,
            sqlite_file,
        })
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Failed queries and connection attempts so far (`portcullis_db_errors_total`).
    pub fn error_total(&self) -> u64 {
        self.errors.total()
    }

    /// Pool connections: `(idle, in_use)`.
    pub fn connections(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.idle_connections, s.connections - s.idle_connections)
    }

    /// A pooled connection, for synchronous callers (the CLI, code already on a blocking
    /// thread).
    pub fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking database work on the blocking thread pool, never on the async
    /// executor's threads.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let (pool, errors) = (self.pool.clone(), self.errors.clone());
        // The caller's trace follows the work onto the blocking thread.
        let span = tracing::info_span!("store", db.system.name = self.backend);
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool
                .get()
                .inspect_err(|_| errors.count())
                .map_err(StoreError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|_| StoreError::TaskFailed)?
    }

    /// Whether the database can serve requests within `timeout`: a connection can be had,
    /// it answers, it takes writes, and (SQLite) it is still the file opened at start.
    pub async fn ping(&self, timeout: Duration) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let sqlite_file = self.sqlite_file.clone();
        tokio::task::spawn_blocking(move || {
            if let Some((path, id)) = &sqlite_file {
                if file_id(path).as_ref() != Some(id) {
                    return Err(StoreError::NotWritable(format!(
                        "{} was removed or replaced since start-up",
                        path.display()
                    )));
                }
            }
            let mut conn = pool.get_timeout(timeout)?;
            conn.ping().map_err(StoreError::from)?;
            check_writable(&mut conn)
        })
        .await
        .map_err(|_| StoreError::TaskFailed)?
    }
}

/// Takes the write lock, rewrites a row to itself and rolls back, so nothing changes:
/// SQLite refuses a read-only or immutable database here; PostgreSQL reports a read-only
/// server (a standby, or `default_transaction_read_only`).
pub fn check_writable(conn: &mut DbConnection) -> Result<(), StoreError> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;
    #[derive(diesel::QueryableByName)]
    struct ReadOnly {
        #[diesel(sql_type = Text)]
        transaction_read_only: String,
    }
    match conn {
        DbConnection::Sqlite(c) => {
            c.batch_execute("BEGIN IMMEDIATE")
                .map_err(|e| StoreError::NotWritable(e.to_string()))?;
            let probe = c.batch_execute("UPDATE cache_versions SET version = version");
            let _ = c.batch_execute("ROLLBACK");
            probe.map_err(|e| StoreError::NotWritable(e.to_string()))
        }
        DbConnection::Postgres(c) => {
            let ro: ReadOnly = diesel::sql_query("SHOW transaction_read_only").get_result(c)?;
            if ro.transaction_read_only == "on" {
                return Err(StoreError::NotWritable("the server is read-only".into()));
            }
            Ok(())
        }
    }
}

/// r2d2 reports background connection failures through `log`; route them to `tracing`.
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<diesel::r2d2::Error> for LogErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::warn!(error = %error, "database connection failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_queries_are_counted_but_a_duplicate_key_is_an_answer() {
        let tally = ErrorTally::default();
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        tally.instrument(&mut conn);
        conn.batch_execute("CREATE TABLE t (k TEXT PRIMARY KEY); INSERT INTO t VALUES ('a');")
            .unwrap();
        assert_eq!(tally.total(), 0);
        use diesel::RunQueryDsl;
        let dup = diesel::sql_query("INSERT INTO t VALUES ('a')").execute(&mut conn);
        assert!(matches!(
            StoreError::from(dup.unwrap_err()),
            StoreError::Duplicate
        ));
        assert_eq!(tally.total(), 0, "a duplicate key is not a failure");
        assert!(
            diesel::sql_query("SELECT nope FROM t")
                .execute(&mut conn)
                .is_err()
        );
        assert_eq!(tally.total(), 1);
    }

    #[test]
    fn a_read_only_sqlite_connection_is_not_writable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.db");
        let mut rw = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        rw.batch_execute(
            "CREATE TABLE cache_versions (name TEXT, version BIGINT);
             INSERT INTO cache_versions VALUES ('clients', 1);",
        )
        .unwrap();
        let mut rw = DbConnection::Sqlite(rw);
        assert!(check_writable(&mut rw).is_ok());
        let mut ro = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        ro.batch_execute("PRAGMA query_only = ON;").unwrap();
        let err = check_writable(&mut DbConnection::Sqlite(ro)).unwrap_err();
        assert!(err.is_unavailable(), "{err}");
        assert!(check_writable(&mut rw).is_ok(), "the probe changed nothing");
    }
}
