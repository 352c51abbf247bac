use diesel::prelude::*;
use diesel::sql_types::Text;
use portcullis::store::{Store, clients, run_migrations};

use crate::helpers::TestDb;
use crate::helpers::internals::{ClientSpec, manage};

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[actix_web::test]
async fn concurrent_writers_on_sqlite_wait_instead_of_failing_with_database_locked() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.database.pool_size = 8;
    let store = Store::connect(&settings.database).unwrap();
    run_migrations(&mut store.conn().unwrap()).unwrap();

    let mode = store
        .run(|c| {
            Ok::<_, portcullis::store::StoreError>(
                diesel::sql_query("PRAGMA journal_mode")
                    .get_result::<JournalMode>(c)?
                    .journal_mode,
            )
        })
        .await
        .unwrap();
    assert_eq!(mode, "wal");

    let handles: Vec<_> = (0..64)
        .map(|i| {
            let store = store.clone();
            actix_web::rt::spawn(async move {
                store
                    .run(move |c| {
                        let spec = ClientSpec {
                            id: Some(format!("svc-{i}")),
                            name: format!("Service {i}"),
                            grant_types: vec!["client_credentials".into()],
                            ..Default::default()
                        };
                        manage::create_client(c, manage::CLI_ACTOR, spec, 1_800_000_000).map(|_| ())
                    })
                    .await
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap().expect("no write fails under concurrency");
    }
    let n = store
        .run(|c| clients::list(c).map(|l| l.len()))
        .await
        .unwrap();
    assert_eq!(n, 64);
}
