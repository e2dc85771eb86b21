//! The board over HTTP, on 127.0.0.1: ballots made by the library's simulated voters are cast,
//! acknowledged with a signed receipt, retried, revoted, proved in the log and read back.

mod http_common;

use http_common::TestBoard;
use saylau::election::{Leaf, Receipt};
use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::tile::decode_entry_bundle;
use saylau::log::tree::{check_record, check_tree, leaf_hash, Hash};

fn hash(text: &str) -> Hash {
    let mut h = [0u8; 32];
    hex::decode_to_slice(text, &mut h).unwrap();
    h
}

fn open_checkpoint(board: &TestBoard, text: &str) -> SignedCheckpoint {
    // Under the log key election.json publishes.
    let key = board
        .election
        .info
        .log_key
        .verifier(&board.origin())
        .unwrap();
    SignedCheckpoint::open(text.as_bytes(), &key, &board.origin()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cast_retry_revote_and_prove() {
    cast_retry_revote_and_prove_on(TestBoard::start(3, 0).await).await;
}

/// The same through `--db postgres://…` on a throwaway cluster (board.md §7.7).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cast_retry_revote_and_prove_on_postgres() {
    let test_db = tokio::task::spawn_blocking(synthetic::db::TestDb::postgres)
        .await
        .unwrap();
    // `--db` takes a URL: the cluster's socket folder, port and database as URL parameters.
    let dsn: std::collections::HashMap<_, _> = test_db
        .arg()
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = format!(
        "postgres://postgres@/{}?host={}&port={}",
        dsn["dbname"], dsn["host"], dsn["port"]
    );
    let database = saylau_board::database::Database::parse(&url).unwrap();
    cast_retry_revote_and_prove_on(TestBoard::start_on(3, 0, Some(database)).await).await;
    drop(test_db);
}

async fn cast_retry_revote_and_prove_on(mut board: TestBoard) {
    let ballot = board.ballot(0);
    let body = serde_json::to_vec(&ballot).unwrap();

    // New ballot: 201 and a receipt signed by the board key in election.json.
    let first = board.post("/v1/ballots", &body).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let answer = first.json();
    let receipt: Receipt = serde_json::from_value(answer["receipt"].clone()).unwrap();
    receipt.verify(&board.election.info.board_key).unwrap();
    assert_eq!(receipt.election, *board.election.fingerprint());
    assert_eq!(receipt.position, 1);
    assert_eq!(receipt.ballot_hash, ballot.body.hash());
    let leaf_index = answer["receipt"]["leaf_index"].as_u64().unwrap();
    assert_eq!(leaf_index, 0);

    // The same ballot again: 200 and the very same receipt, nothing appended.
    let again = board.post("/v1/ballots", &body).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json(), answer);
    assert_eq!(board.head().await.size, 1);

    // Another voter, then voter 1 revotes with a different ballot.
    let second = board.ballot(1);
    let r2 = board
        .post("/v1/ballots", &serde_json::to_vec(&second).unwrap())
        .await;
    assert_eq!(r2.status, 201, "{}", r2.text());
    let revote = board.ballot(0);
    let r3 = board
        .post("/v1/ballots", &serde_json::to_vec(&revote).unwrap())
        .await;
    assert_eq!(r3.status, 201, "{}", r3.text());
    let r3: Receipt = serde_json::from_value(r3.json()["receipt"].clone()).unwrap();
    assert_eq!(r3.position, 3);
    assert_eq!(board.head().await.size, 3);

    // Inclusion proof of the first ballot against a signed checkpoint.
    let text = board.wait_for_checkpoint(3).await;
    let signed = open_checkpoint(&board, &text);
    let proof = board.get(&format!("/v1/proof/{leaf_index}")).await;
    assert_eq!(proof.status, 200, "{}", proof.text());
    let proof = proof.json();
    let size = proof["size"].as_u64().unwrap();
    assert_eq!(size, signed.checkpoint().size());
    let served = open_checkpoint(&board, proof["checkpoint"].as_str().unwrap());
    let inclusion: Vec<Hash> = proof["inclusion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect();
    let leaf = Leaf::cast(
        &ballot.body.credential,
        ballot.body.hash(),
        &ballot.signature,
    );
    check_record(
        &inclusion,
        size,
        served.checkpoint().root(),
        leaf_index,
        &leaf.hash(),
    )
    .unwrap();
    // A wrong leaf does not verify with the same proof.
    let other = Leaf::cast(
        &second.body.credential,
        second.body.hash(),
        &second.signature,
    );
    assert!(check_record(
        &inclusion,
        size,
        served.checkpoint().root(),
        leaf_index,
        &other.hash()
    )
    .is_err());
    // A leaf beyond every signed checkpoint: 404 not_in_checkpoint.
    let beyond = board.get("/v1/proof/99").await;
    assert_eq!(
        (beyond.status, beyond.code().as_str()),
        (404, "not_in_checkpoint")
    );

    // Consistency from an earlier checkpoint to the latest.
    let lines = board.get("/v1/checkpoints?after=0").await;
    assert_eq!(lines.status, 200);
    assert_eq!(lines.header("content-type"), Some("application/x-ndjson"));
    let checkpoints: Vec<serde_json::Value> = lines
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first_cp = open_checkpoint(&board, checkpoints[0]["checkpoint"].as_str().unwrap());
    let old = first_cp.checkpoint().size();
    let answer = board
        .get(&format!("/v1/consistency?from={old}&to={size}"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let proof: Vec<Hash> = answer.json()["consistency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect();
    check_tree(
        &proof,
        size,
        served.checkpoint().root(),
        old,
        first_cp.checkpoint().root(),
    )
    .unwrap();

    // Receipt by tracking code, ballot by hash, the page of ballots.
    let by_code = board
        .get(&format!(
            "/v1/receipts/{}",
            hex::encode(receipt.tracking_code)
        ))
        .await;
    assert_eq!(by_code.status, 200);
    assert_eq!(by_code.json()["receipt"], answer_receipt(&first));
    let by_hash = board
        .get(&format!("/v1/ballots/{}", hex::encode(ballot.body.hash())))
        .await;
    assert_eq!(by_hash.json()["kind"], "cast");
    assert_eq!(by_hash.json()["receipt"], answer_receipt(&first));
    let page = board.get("/v1/ballots?after=1&limit=5").await;
    let page = page.text();
    assert_eq!(page.lines().count(), 2);
    let line: saylau::record::BallotLine =
        serde_json::from_str(page.lines().next().unwrap()).unwrap();
    assert_eq!(line.ballot, second);

    // tlog-tiles: the entry bundle holds the leaves; the level-0 tile their hashes.
    let entries = board.get(&format!("/log/tile/entries/000.p/{size}")).await;
    assert_eq!(entries.status, 200);
    let entries = decode_entry_bundle(&entries.body).unwrap();
    assert_eq!(entries[0], leaf.to_bytes().to_vec());
    let tile = board.get(&format!("/log/tile/0/000.p/{size}")).await;
    assert_eq!(tile.status, 200);
    let expected: Vec<u8> = entries.iter().flat_map(|e| leaf_hash(e)).collect();
    assert_eq!(tile.body, expected);
    assert_eq!(board.get("/log/tile/0/000").await.status, 404);
    assert_eq!(board.get("/log/tile/0/000.p/200").await.status, 404);

    // The record's files, byte for byte; the OpenAPI description; health.
    let election = board.get("/v1/election/election.json").await;
    assert_eq!(
        election.body,
        std::fs::read(board.record.join("election.json")).unwrap()
    );
    let api = board.get("/v1/openapi.json").await.json();
    assert!(api["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(api["paths"]["/v1/ballots"]["post"].is_object());
    assert_eq!(board.get("/healthz").await.text(), "ok");
    board.stop().await;
}

fn answer_receipt(answer: &http_common::Answer) -> serde_json::Value {
    answer.json()["receipt"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_the_log_and_the_receipts() {
    let mut board = TestBoard::start(2, 0).await;
    let ballot = board.ballot(0);
    let body = serde_json::to_vec(&ballot).unwrap();
    assert_eq!(board.post("/v1/ballots", &body).await.status, 201);
    let before = board.wait_for_checkpoint(1).await;
    board.stop().await;
    board.serve(0).await;
    // The same log after a restart: the retry gets its receipt back, the checkpoint is there.
    let again = board.post("/v1/ballots", &body).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(board.get("/log/checkpoint").await.text(), before);
    board.stop().await;
}

#[path = "common/mod.rs"]
mod synthetic;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_tiles_are_served_immutable() {
    use rand::SeedableRng;
    use saylau::log::tree::TreeBuilder;
    use saylau_board::sequencer::Entry;

    let mut board = TestBoard::start(1, 0).await;
    // 300 entries straight to the sequencer (it does not look inside them): a full first tile.
    let submitter = board.running.as_ref().unwrap().board().submitter.clone();
    let leaves = tokio::task::spawn_blocking(move || {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        (0..300)
            .map(|_| {
                let entry = synthetic::cast_entry(&mut rng, 200);
                let leaf = Leaf::cast(&entry.credential, entry.ballot_hash, &entry.signature);
                submitter.submit(Entry::Cast(entry)).unwrap();
                leaf
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    board.wait_for_checkpoint(300).await;

    let tile = board.get("/log/tile/0/000").await;
    assert_eq!(tile.status, 200);
    assert_eq!(
        tile.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let expected: Vec<u8> = leaves[..256].iter().flat_map(|l| l.hash()).collect();
    assert_eq!(tile.body, expected);
    let bundle = board.get("/log/tile/entries/000").await;
    assert_eq!(
        bundle.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let entries = decode_entry_bundle(&bundle.body).unwrap();
    assert_eq!(entries.len(), 256);
    assert_eq!(entries[255], leaves[255].to_bytes().to_vec());
    // The partial tile at the edge is not immutable; level 1 holds the first subtree's root.
    let edge = board.get("/log/tile/0/001.p/44").await;
    assert_eq!(edge.status, 200);
    assert_ne!(
        edge.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let mut first = TreeBuilder::new();
    for leaf in &leaves[..256] {
        first.push(leaf.hash()).unwrap();
    }
    let level1 = board.get("/log/tile/1/000.p/1").await;
    assert_eq!(level1.body, first.root().to_vec());
    board.stop().await;
}
