//! What only the PostgreSQL store has: durable settings checked on the live connection, the
//! advisory lock that stops a second board, the schema version, and errors that never show a
//! password. Each test runs on a throwaway cluster (tests/common/pg.rs).

mod common;

use saylau_board::store::postgres::{PostgresStore, ADVISORY_LOCK_KEY, SCHEMA_VERSION};
use saylau_board::store::{Store, StoreError};

use common::pg::{self, Cluster};

fn fresh() -> (std::sync::Arc<Cluster>, String) {
    let cluster = pg::shared();
    let name = cluster.create_database();
    (cluster, name)
}

fn open_err(url: &str) -> StoreError {
    match PostgresStore::open(url) {
        Ok(store) => panic!("expected an error, opened {store:?}"),
        Err(e) => e,
    }
}

#[test]
fn live_connection_is_durable() {
    let (cluster, name) = fresh();
    // Even where the database's default says otherwise, the board's sessions commit durably.
    cluster.sql(
        "postgres",
        &format!("ALTER DATABASE {name} SET synchronous_commit = off"),
    );
    let store = PostgresStore::open(&cluster.url(&name)).unwrap();
    let other = store.another().unwrap();
    for s in [&store, &other] {
        assert_eq!(s.setting("synchronous_commit").unwrap(), "on");
        assert_eq!(s.setting("fsync").unwrap(), "on");
        assert_eq!(s.setting("full_page_writes").unwrap(), "on");
        // Lookups are planned with the tables' sizes of the moment, not those of the first use.
        assert_eq!(s.setting("plan_cache_mode").unwrap(), "force_custom_plan");
    }
    // A connection that does not take the store's settings sees the database's default: the
    // setting above is in force, and the store overrode it.
    let mut plain = postgres::Client::connect(&cluster.url(&name), postgres::NoTls).unwrap();
    let default: String = plain
        .query_one("SHOW synchronous_commit", &[])
        .unwrap()
        .get(0);
    assert_eq!(default, "off");
}

#[test]
fn refuses_a_server_without_fsync() {
    let cluster = Cluster::start_new(false, &["fsync = off"]);
    let name = cluster.create_database();
    let err = open_err(&cluster.url(&name));
    match &err {
        StoreError::Setting {
            setting: "fsync",
            found,
            expected: "on",
            ..
        } => assert_eq!(found, "off"),
        other => panic!("expected the fsync setting refused, got {other:?}"),
    }
    assert!(err.to_string().contains(&name), "{err}");
}

#[test]
fn advisory_lock_stops_a_second_board() {
    let (cluster, name) = fresh();
    let url = cluster.url(&name);
    let first = PostgresStore::open(&url).unwrap();
    let reader = first.another().unwrap();
    let err = open_err(&url);
    match &err {
        StoreError::DatabaseLocked { database } => {
            assert!(database.contains(&format!("/{name}?")), "{database}")
        }
        other => panic!("expected DatabaseLocked, got {other:?}"),
    }
    assert!(err.to_string().contains(&name), "{err}");
    // The lock is held as long as any connection of the first board lives.
    drop(first);
    assert!(matches!(
        PostgresStore::open(&url),
        Err(StoreError::DatabaseLocked { .. })
    ));
    drop(reader);
    // Dropping the last connection unlocks: a board restarted at once starts.
    drop(PostgresStore::open(&url).unwrap());
    // The lock is per database: a board on another database of the same server starts.
    let other = cluster.create_database();
    let _a = PostgresStore::open(&url).unwrap();
    let _b = PostgresStore::open(&cluster.url(&other)).unwrap();
    // And it is the key board.md §7.7 documents.
    assert_eq!(ADVISORY_LOCK_KEY, 8314059893501157988);
    let mut plain = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let held: bool = plain
        .query_one("SELECT pg_try_advisory_lock($1)", &[&ADVISORY_LOCK_KEY])
        .unwrap()
        .get(0);
    assert!(
        !held,
        "the board does not hold the documented advisory lock key"
    );
}

#[test]
fn refuses_a_newer_schema() {
    let (cluster, name) = fresh();
    let url = cluster.url(&name);
    drop(PostgresStore::open(&url).unwrap());
    cluster.sql(
        &name,
        &format!(
            "INSERT INTO schema_version (version) VALUES ({})",
            SCHEMA_VERSION + 1
        ),
    );
    let err = open_err(&url);
    match &err {
        StoreError::SchemaTooNew { found, known, .. } => {
            assert_eq!(*found, i64::from(SCHEMA_VERSION) + 1);
            assert_eq!(*known, i64::from(SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert!(err.to_string().contains(&name), "{err}");
}

#[test]
fn migrations_run_once() {
    let (cluster, name) = fresh();
    let url = cluster.url(&name);
    drop(PostgresStore::open(&url).unwrap());
    drop(PostgresStore::open(&url).unwrap());
    let mut plain = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let versions: Vec<i32> = plain
        .query("SELECT version FROM schema_version ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, vec![SCHEMA_VERSION]);
}

#[test]
fn errors_never_show_the_password() {
    let (cluster, name) = fresh();
    const SECRET: &str = "s3cret-pw-do-not-show";
    let urls = [
        // Nothing listens on port 1.
        format!("postgres://postgres:{SECRET}@127.0.0.1:1/{name}"),
        // A database that does not exist, over the socket.
        format!("{} password={SECRET}", cluster.url("no_such_db")),
        // Not a connection string at all.
        format!("postgres://postgres:{SECRET}@127.0.0.1:notaport/{name}"),
    ];
    for url in &urls {
        let err = open_err(url);
        let shown = format!("{err} / {err:?}");
        assert!(!shown.contains(SECRET), "password shown: {shown}");
    }
    // The errors that reached a server name the database.
    let err = open_err(&urls[1]);
    assert!(err.to_string().contains("no_such_db"), "{err}");
    let err = open_err(&urls[0]);
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}

#[test]
fn start_waits_for_a_transaction_still_writing_the_head() {
    let (cluster, name) = fresh();
    let url = cluster.url(&name);
    drop(PostgresStore::open(&url).unwrap());
    // A dead board's last group, still running in its server process: it has updated the head
    // and not yet committed.
    let mut old = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut tx = old.transaction().unwrap();
    tx.execute("UPDATE head SET cast_count = 7 WHERE id = 0", &[])
        .unwrap();
    std::thread::scope(|s| {
        let opening = s.spawn(|| PostgresStore::open(&url));
        // The new board waits on a lock (polled, bounded; a board that did not wait would be
        // done, and no lock would ever be waited on).
        let mut watch = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let waiting: i64 = watch
                .query_one(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON l.database = d.oid \
                     WHERE NOT l.granted AND d.datname = current_database()",
                    &[],
                )
                .unwrap()
                .get(0);
            if waiting > 0 {
                break;
            }
            assert!(!opening.is_finished(), "the store opened without waiting");
            assert!(std::time::Instant::now() < until, "no one waits on a lock");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        tx.commit().unwrap();
        let store = opening.join().unwrap().unwrap();
        assert_eq!(store.head().unwrap().cast, 7);
    });
}

/// board.md §7.7 item 7: no TLS client; `sslmode=require` is refused by name before any
/// connection is tried (the host here does not exist), and the password is not repeated.
#[test]
fn sslmode_require_is_refused_clearly() {
    let url = "postgres://board:s3cret@db.invalid:5432/board?sslmode=require";
    let err = open_err(url);
    let text = err.to_string();
    assert!(text.contains("sslmode=require"), "{text}");
    assert!(text.contains("no TLS client"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    // The same through the replica's pool.
    let err = saylau_board::replica::Replica::new(url)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sslmode=require") && !err.contains("s3cret"),
        "{err}"
    );
}
