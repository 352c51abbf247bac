use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConnection, StoreError};

/// Migrations are compiled into the binary, one set per backend.
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Arbitrary but fixed: the PostgreSQL advisory lock that lets one of several instances
/// starting together run the migrations while the others wait. Never change it, or old and
/// new versions would migrate concurrently during a rolling upgrade.
const MIGRATION_LOCK_KEY: i64 = 0x706f_7274_6d69_6772; // "portmigr"

/// Applies pending migrations; returns the versions applied (empty when up to date).
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map(|v| v.iter().map(|m| m.to_string()).collect())
            .map_err(|e| StoreError::Migration(e.to_string())),
        DbConnection::Postgres(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            let result = c
                .run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(|m| m.to_string()).collect())
                .map_err(|e| StoreError::Migration(e.to_string()));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            result
        }
    }?;
    Ok(applied)
}
