//! A database per test: a SQLite file in a temp dir, or a PostgreSQL database that is dropped
//! with its owning handle.

use diesel::{Connection, QueryableByName, RunQueryDsl, pg::PgConnection, sql_types::BigInt};
use portcullis::config::{DatabaseUrl, Settings};
use portcullis::store::{DbConnection, connect_once};
use rand::Rng;

use super::cli::Cli;
use super::skip_unless_required;

/// argon2 parameters that keep tests fast; production defaults are exercised by unit tests
/// of the settings and by the benchmarks.
pub const FAST_ARGON2_KIB: u32 = 1024;

pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    /// Set on the one handle that owns (and drops) a PostgreSQL database.
    pub pg_name: Option<String>,
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("portcullis.db").display());
        Self {
            url,
            dir,
            pg_name: None,
        }
    }

    /// A fresh PostgreSQL database on 127.0.0.1:5432, or `None` (test skipped) when the
    /// server is absent, unless `PORTCULLIS_TEST_REQUIRE_ALL=1`.
    pub fn postgres(test: &str) -> Option<Self> {
        let admin = admin_url();
        let mut conn = match PgConnection::establish(&admin) {
            Ok(c) => c,
            Err(e) => {
                skip_unless_required(test, &format!("PostgreSQL unreachable at {admin}: {e}"));
                return None;
            }
        };
        let name = format!("portcullis_test_{:016x}", rand::thread_rng().r#gen::<u64>());
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let url = admin
            .rsplit_once('/')
            .map(|(base, _)| format!("{base}/{name}"))
            .unwrap();
        Some(Self {
            url,
            dir: tempfile::tempdir().expect("temp dir"),
            pg_name: Some(name),
        })
    }

    /// Another handle on the same database with its own directory (its own key files), as a
    /// second instance would have. It does not drop the database.
    pub fn another_instance(&self) -> Self {
        Self {
            url: self.url.clone(),
            dir: tempfile::tempdir().expect("temp dir"),
            pg_name: None,
        }
    }

    /// The PostgreSQL database's name.
    pub fn name(&self) -> String {
        self.url.rsplit('/').next().unwrap().to_string()
    }

    pub fn settings(&self) -> Settings {
        let mut s = Settings {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        };
        s.database.url = DatabaseUrl::new(self.url.clone());
        s.database.pool_size = 4;
        s.passwords.argon2_memory_kib = FAST_ARGON2_KIB;
        s.passwords.argon2_iterations = 1;
        s.keys.directory = self.dir.path().join("keys");
        // Relying parties and key servers in tests live on loopback.
        s.http.allow_private_destinations = true;
        s
    }

    /// A direct connection (no pool, so no background threads in the test process).
    pub fn conn(&self) -> DbConnection {
        connect_once(&self.settings().database).expect("connect to test database")
    }

    /// Runs the CLI binary against this database.
    pub fn cli(&self) -> Cli {
        Cli::new(self.dir.path()).env("PORTCULLIS_DATABASE_URL", &self.url)
    }

    /// Rows in `table`.
    pub fn count(&self, table: &str) -> i64 {
        count(&mut self.conn(), table)
    }

    /// Applied migrations, as recorded by diesel.
    pub fn migration_rows(&self) -> i64 {
        self.count("__diesel_schema_migrations")
    }

    /// Settings that rotate keys every 1000 s with 200 s of pre-publication, and the token
    /// lifetimes that decide how long a retired key is kept.
    pub fn fast_rotation_settings(&self) -> Settings {
        let mut s = self.settings();
        s.keys.rotation_period_secs = 1000;
        s.keys.prepublish_secs = 200;
        s.keys.jwks_max_age_secs = 100;
        s.keys.refresh_interval_secs = 1;
        s.tokens.access_token_ttl_secs = 600;
        s.tokens.id_token_ttl_secs = 300;
        s.tokens.clock_skew_secs = 60;
        s
    }

    /// Stored signing keys in generation order: kid and sealed private key.
    pub fn sealed_keys(&self) -> Vec<(String, Option<Vec<u8>>)> {
        use diesel::prelude::*;
        use portcullis::store::schema::signing_keys;
        signing_keys::table
            .select((signing_keys::kid, signing_keys::private_key_sealed))
            .order(signing_keys::generation)
            .load(&mut self.conn())
            .unwrap()
    }

    /// Drops the PostgreSQL database under whatever still uses it.
    pub fn drop_now(&self) {
        let mut conn = PgConnection::establish(&admin_url()).unwrap();
        diesel::sql_query(format!("DROP DATABASE {} WITH (FORCE)", self.name()))
            .execute(&mut conn)
            .unwrap();
    }
}

/// Rows in `table`, through an open connection.
pub fn count(conn: &mut DbConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

/// Migration directories shipped for `backend` (`sqlite` or `postgres`).
pub fn migration_dirs(backend: &str) -> i64 {
    std::fs::read_dir(format!(
        "{}/migrations/{backend}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count() as i64
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut conn) = PgConnection::establish(&admin_url()) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

fn admin_url() -> String {
    std::env::var("PORTCULLIS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Makes each `scenario(db: &TestDb)` two tests, `scenario::on_sqlite` and
/// `scenario::on_postgres` (skipped, or failed under `PORTCULLIS_TEST_REQUIRE_ALL=1`,
/// without PostgreSQL).
#[macro_export]
macro_rules! on_each_backend {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[test]
            fn on_sqlite() {
                super::$scenario(&$crate::helpers::TestDb::sqlite());
            }

            #[test]
            fn on_postgres() {
                let test = concat!(stringify!($scenario), "::on_postgres");
                if let Some(db) = $crate::helpers::TestDb::postgres(test) {
                    super::$scenario(&db);
                }
            }
        }
    )+};
}
