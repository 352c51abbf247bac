//! Data outlives the process, and migrations run once.

use portcullis::store::{clients, users};

use crate::helpers::db::migration_dirs;
use crate::helpers::{TestDb, spawn_app_on};

async fn data_survives_restarts_and_migrations_run_once(db: TestDb, backend: &str) {
    let out = db.cli().migrate();
    assert!(out.stdout.contains("applied"), "{}", out.stdout);
    db.cli()
        .client("svc")
        .name("Svc")
        .grant("client_credentials")
        .create()
        .await;
    db.cli()
        .user("dana")
        .password("a long enough password")
        .create();

    // Start the server twice on the same database, as a restart would.
    let first = spawn_app_on(db).await;
    assert_eq!(first.readyz().await.status, 200);
    let second = spawn_app_on(first.db).await;
    assert_eq!(second.readyz().await.status, 200);
    let db = second.db;

    let mut conn = db.conn();
    assert!(clients::find(&mut conn, "svc").unwrap().is_some());
    assert!(
        users::find_by_username(&mut conn, "dana")
            .unwrap()
            .is_some()
    );
    drop(conn);

    assert_eq!(
        db.migration_rows(),
        migration_dirs(backend),
        "each migration recorded once"
    );
    let out = db.cli().migrate();
    assert!(
        out.stdout.contains("database is up to date"),
        "{}",
        out.stdout
    );
    assert_eq!(db.migration_rows(), migration_dirs(backend));
}

#[actix_web::test]
async fn data_survives_restarts_and_migrations_run_once_on_sqlite() {
    data_survives_restarts_and_migrations_run_once(TestDb::sqlite(), "sqlite").await;
}

#[actix_web::test]
async fn data_survives_restarts_and_migrations_run_once_on_postgres() {
    if let Some(db) = TestDb::postgres("data_survives_restarts_and_migrations_run_once_on_postgres")
    {
        data_survives_restarts_and_migrations_run_once(db, "postgres").await;
    }
}
