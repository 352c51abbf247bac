use diesel::prelude::*;
use diesel::sql_types::BigInt;
use portcullis::store::{clients, users};

use crate::helpers::{TestDb, spawn_app_on};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn migration_rows(db: &TestDb) -> i64 {
    let mut conn = db.conn();
    diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
}

fn migration_dirs(backend: &str) -> i64 {
    std::fs::read_dir(format!(
        "{}/migrations/{backend}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count() as i64
}

async fn data_survives_restarts_and_migrations_run_once(db: TestDb, backend: &str) {
    let out = db.cli().run(&["migrate"]).ok();
    assert!(out.stdout.contains("applied"), "{}", out.stdout);
    db.cli()
        .run(&[
            "client",
            "create",
            "--name",
            "Svc",
            "--id",
            "svc",
            "--grant-type",
            "client_credentials",
        ])
        .ok();
    db.cli()
        .run_with_stdin(
            &["user", "create", "--username", "dana", "--password-stdin"],
            "a long enough password",
        )
        .ok();

    // Start the server twice on the same database, as a restart would.
    let first = spawn_app_on(db).await;
    assert_eq!(first.get("/readyz").await.0, 200);
    let db = first.db;
    let second = spawn_app_on(db).await;
    assert_eq!(second.get("/readyz").await.0, 200);
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
        migration_rows(&db),
        migration_dirs(backend),
        "each migration recorded once"
    );
    let out = db.cli().run(&["migrate"]).ok();
    assert!(
        out.stdout.contains("database is up to date"),
        "{}",
        out.stdout
    );
    assert_eq!(migration_rows(&db), migration_dirs(backend));
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
