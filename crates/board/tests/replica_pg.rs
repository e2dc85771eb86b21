//! `--read-db` on a real streaming replica (board.md §7.8): a throwaway primary, a hot standby
//! made from it with `pg_basebackup -R`, and a board writing to the primary and reading from the
//! standby. Receipts and proofs served from the standby verify; while the standby's replay is
//! paused, what it has not replayed is answered by the primary, and right.

mod http_common;

#[path = "common/mod.rs"]
mod synthetic;

use std::sync::Arc;
use std::time::Duration;

use http_common::TestBoard;
use saylau::election::{Leaf, Receipt};
use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::tree::{check_record, Hash};
use saylau_board::database::Database;
use saylau_board::keys::BoardKeys;
use saylau_board::service::{self, ServeConfig};
use synthetic::pg::Cluster;

fn hash(text: &str) -> Hash {
    let mut h = [0u8; 32];
    hex::decode_to_slice(text, &mut h).unwrap();
    h
}

/// The standby's head size, read directly (not through the board).
fn standby_size(standby: &Cluster, name: &str) -> i64 {
    let mut c = postgres::Client::connect(&standby.url(name), postgres::NoTls).unwrap();
    c.query_opt("SELECT size FROM head WHERE id = 0", &[])
        .ok()
        .flatten()
        .map_or(-1, |r| r.get(0))
}

async fn wait_replayed(standby: &Arc<Cluster>, name: &str, size: i64) {
    for _ in 0..500 {
        let (s, n) = (Arc::clone(standby), name.to_string());
        if tokio::task::spawn_blocking(move || standby_size(&s, &n))
            .await
            .unwrap()
            >= size
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the standby did not replay size {size} within 10 s");
}

/// Runs SQL on a cluster off the async threads (the sync client runs a runtime of its own).
async fn run_sql(cluster: &Arc<Cluster>, name: &str, sql: &'static str) {
    let (c, n) = (Arc::clone(cluster), name.to_string());
    tokio::task::spawn_blocking(move || c.sql(&n, sql))
        .await
        .unwrap();
}

/// The replica's (answered, passed on) counts.
fn counts(board: &TestBoard) -> (u64, u64) {
    let running = board.running.as_ref().unwrap();
    running.board().readers.replica().unwrap().counts()
}

/// Casts voter `i`'s ballot; returns the answer's receipt and the leaf.
async fn cast(board: &mut TestBoard, i: usize) -> (serde_json::Value, Leaf) {
    let ballot = board.ballot(i);
    let answer = board
        .post("/v1/ballots", &serde_json::to_vec(&ballot).unwrap())
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    let leaf = Leaf::cast(
        &ballot.body.credential,
        ballot.body.hash(),
        &ballot.signature,
    );
    (answer.json()["receipt"].clone(), leaf)
}

/// Looks the receipt up by tracking code and checks it is the one the cast answered, signed.
async fn check_lookup(board: &TestBoard, receipt: &serde_json::Value) {
    let parsed: Receipt = serde_json::from_value(receipt.clone()).unwrap();
    let code = hex::encode(parsed.tracking_code);
    let found = board.get(&format!("/v1/receipts/{code}")).await;
    assert_eq!(found.status, 200, "{}", found.text());
    assert_eq!(&found.json()["receipt"], receipt);
    let served: Receipt = serde_json::from_value(found.json()["receipt"].clone()).unwrap();
    served.verify(&board.election.info.board_key).unwrap();
}

/// Fetches the latest proof of `leaf` at `index` and checks it against the signed checkpoint.
async fn check_proof(board: &TestBoard, index: u64, leaf: &Leaf, size: u64) {
    let proof = board.get(&format!("/v1/proof/{index}")).await;
    assert_eq!(proof.status, 200, "{}", proof.text());
    let proof = proof.json();
    assert_eq!(proof["size"].as_u64(), Some(size));
    let key = board
        .election
        .info
        .log_key
        .verifier(&board.origin())
        .unwrap();
    let text = proof["checkpoint"].as_str().unwrap();
    let signed = SignedCheckpoint::open(text.as_bytes(), &key, &board.origin()).unwrap();
    let inclusion: Vec<Hash> = proof["inclusion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect();
    check_record(
        &inclusion,
        size,
        signed.checkpoint().root(),
        index,
        &leaf.hash(),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_come_from_a_streaming_replica_and_never_answer_wrong() {
    let (primary, standby, name) = tokio::task::spawn_blocking(|| {
        let primary = Cluster::start_new(false, &[]);
        let name = primary.create_database();
        let standby = Cluster::standby_of(&primary);
        (Arc::new(primary), Arc::new(standby), name)
    })
    .await
    .unwrap();
    let db = Database::parse(&primary.uri(&name)).unwrap();
    let read_db = Database::parse(&standby.uri(&name)).unwrap();
    let mut board = TestBoard::start_configured(6, 0, Some(db), Some(read_db), None).await;

    // Three ballots, replayed by the standby: lookups, proofs and a tile come from it.
    let mut cast_ones = Vec::new();
    for i in 0..3 {
        cast_ones.push(cast(&mut board, i).await);
    }
    board.wait_for_checkpoint(3).await;
    wait_replayed(&standby, &name, 3).await;
    let before = counts(&board);
    for (receipt, _) in &cast_ones {
        check_lookup(&board, receipt).await;
    }
    for (index, (_, leaf)) in cast_ones.iter().enumerate() {
        check_proof(&board, index as u64, leaf, 3).await;
    }
    let tile = board.get("/log/tile/0/000.p/3").await;
    assert_eq!(tile.status, 200);
    let expected: Vec<u8> = cast_ones.iter().flat_map(|(_, l)| l.hash()).collect();
    assert_eq!(tile.body, expected);
    let after = counts(&board);
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (7, 0),
        "3 lookups, 3 proofs and a tile should all have come from the replica"
    );

    // Replay paused: the standby stops at size 3 while the primary goes on.
    run_sql(&standby, &name, "SELECT pg_wal_replay_pause()").await;
    let mut late = Vec::new();
    for i in 3..5 {
        late.push(cast(&mut board, i).await);
    }
    board.wait_for_checkpoint(5).await;
    {
        let (s, n) = (Arc::clone(&standby), name.clone());
        let size = tokio::task::spawn_blocking(move || standby_size(&s, &n))
            .await
            .unwrap();
        assert_eq!(size, 3, "the standby's replay was not paused");
    }
    // What the standby lacks is asked of the primary: found, and right.
    let before = counts(&board);
    for (receipt, _) in &late {
        check_lookup(&board, receipt).await;
    }
    check_proof(&board, 4, &late[1].1, 5).await;
    check_proof(&board, 0, &cast_ones[0].1, 5).await;
    let page = board.get("/v1/ballots?after=0&limit=1000").await;
    assert_eq!(page.text().lines().count(), 5);
    let after = counts(&board);
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (0, 5),
        "2 lookups, 2 proofs at size 5 and a short page should have gone to the primary"
    );

    // Replay resumed: the standby answers again, for the late ballots too.
    run_sql(&standby, &name, "SELECT pg_wal_replay_resume()").await;
    wait_replayed(&standby, &name, 5).await;
    let before = counts(&board);
    check_lookup(&board, &late[0].0).await;
    check_proof(&board, 4, &late[1].1, 5).await;
    let after = counts(&board);
    assert_eq!((after.0 - before.0, after.1 - before.1), (2, 0));
    board.stop().await;

    // A --read-db that is not a copy of --db is refused at start: another database whose
    // latest checkpoint is not the board's.
    let other = {
        let p = Arc::clone(&primary);
        tokio::task::spawn_blocking(move || {
            let other = p.create_database();
            drop(saylau_board::store::postgres::PostgresStore::open(&p.url(&other)).unwrap());
            p.sql(
                &other,
                "INSERT INTO checkpoints (size, text) VALUES (1, 'another log')",
            );
            other
        })
        .await
        .unwrap()
    };
    let keys = BoardKeys::read(&board.keys).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = service::start(
        &board.record,
        &board.database,
        &keys,
        ServeConfig {
            read_db: Some(Database::parse(&primary.uri(&other)).unwrap()),
            ..http_common::test_config(0)
        },
        listener,
    )
    .await;
    let err = refused
        .err()
        .expect("a board reading another database started");
    assert!(
        err.to_string().contains("is not a replica of --db"),
        "{err}"
    );
    drop(board);
    drop((standby, primary));
}
