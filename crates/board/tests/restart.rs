//! A large board restarts after SIGKILL and serves again (issue 15's restart target, at CI
//! size): a demo election's store is filled with 50,000 synthetic leaves by the bulk loader
//! (`saylau_board::fill`), a child board serves it and is SIGKILLed, a second child serves it
//! again. Each time, receipts with their inclusion proofs verify against the signed checkpoint;
//! the restarted board then sequences a real ballot right after the synthetic leaves, chaining its
//! tracking code from the last one, and proves it. At the end the stored hashes give the root of
//! the tree rebuilt from every stored leaf. Nothing here measures time (the 1,000,000-leaf figure
//! is `scripts/restart-1m.sh`'s).

mod http_common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use http_common::{request, test_config, TestBoard};
use saylau::election::{Leaf, Receipt};
use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::tree::{check_record, tree_hash, Hash, TreeBuilder};
use saylau::record::tracking_code;
use saylau_board::checkpoints::{origin, Checkpointer};
use saylau_board::database::Database;
use saylau_board::fill::{fill, synthetic_ballot_hash, FillConfig};
use saylau_board::keys::BoardKeys;
use saylau_board::service;
use saylau_board::store::sqlite::SqliteStore;
use saylau_board::store::Store;

/// The environment variable that makes this binary's `restart_child` test the child board: the
/// record folder, the key file and the database, one a line.
const CHILD_ENV: &str = "SAYLAU_BOARD_RESTART_CHILD";
/// Synthetic leaves in the store.
const LEAVES: u64 = 50_000;

/// The child: serves the board on 127.0.0.1, says where, and waits (at most 60 s) to be killed.
#[test]
fn restart_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.lines().collect();
    let [record, keys, db] = parts[..] else {
        panic!("{CHILD_ENV}: three lines")
    };
    let keys = BoardKeys::read(&PathBuf::from(keys)).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = service::start(
            &PathBuf::from(record),
            &Database::Sqlite(PathBuf::from(db)),
            &keys,
            test_config(0),
            listener,
        )
        .await
        .unwrap();
        println!("SERVING {}", running.addr);
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
}

/// A child board process.
struct ChildBoard {
    child: Child,
    addr: std::net::SocketAddr,
}

impl ChildBoard {
    fn start(board: &TestBoard, db: &std::path::Path) -> Self {
        let spec = format!(
            "{}\n{}\n{}",
            board.record.display(),
            board.keys.display(),
            db.display()
        );
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "restart_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, spec)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the child board exited before serving")
                .unwrap();
            // The harness may print "test restart_child ... " on the same line.
            if let Some((_, addr)) = line.split_once("SERVING ") {
                break addr.trim().parse().unwrap();
            }
        };
        Self { child, addr }
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ChildBoard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hash(hex_text: &str) -> Hash {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

/// The signed checkpoint in `text`, opened under the election's log key.
fn open_checkpoint(board: &TestBoard, origin: &str, text: &str) -> SignedCheckpoint {
    let key = board.election.info.log_key.verifier(origin).unwrap();
    SignedCheckpoint::open(text.as_bytes(), &key, origin).unwrap()
}

/// Looks up the receipt of the cast ballot at 1-based `position` with its proof, in one
/// request, and checks everything the answer says. Returns the receipt.
async fn check_receipt(
    board: &TestBoard,
    addr: std::net::SocketAddr,
    origin: &str,
    position: u64,
    size: u64,
) -> Receipt {
    let page = request(
        addr,
        "GET",
        &format!("/v1/ballots?after={}&limit=1", position - 1),
        &[],
        &[],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let line: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
    let code = line["tracking_code"].as_str().unwrap().to_string();
    let answer = request(
        addr,
        "GET",
        &format!("/v1/receipts/{code}?proof=true"),
        &[],
        &[],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let json = answer.json();
    let receipt: Receipt = serde_json::from_value(json["receipt"].clone()).unwrap();
    receipt.verify(&board.election.info.board_key).unwrap();
    assert_eq!(receipt.position, position);
    assert_eq!(receipt.tracking_code, hash(&code));
    let leaf = Leaf::decode(&hex::decode(json["leaf"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(leaf.ballot_hash(), &receipt.ballot_hash);
    let proof = &json["proof"];
    assert_eq!(proof["index"].as_u64().unwrap(), receipt.leaf_index);
    let signed = open_checkpoint(board, origin, proof["checkpoint"].as_str().unwrap());
    assert_eq!(signed.checkpoint().size(), size);
    assert_eq!(proof["size"].as_u64().unwrap(), size);
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
        receipt.leaf_index,
        &leaf.hash(),
    )
    .unwrap();
    receipt
}

/// The board serves the filled log: health, and receipts with proofs at both ends and inside.
async fn check_serving(board: &TestBoard, addr: std::net::SocketAddr, origin: &str, size: u64) {
    let health = request(addr, "GET", "/healthz", &[], &[]).await;
    assert_eq!(health.status, 200);
    let f = board.election.fingerprint();
    for position in [1, 31_337, size] {
        let receipt = check_receipt(board, addr, origin, position, size).await;
        // Every filled leaf is the synthetic ballot of its index (one cast leaf each).
        assert_eq!(receipt.leaf_index, position - 1);
        assert_eq!(receipt.ballot_hash, synthetic_ballot_hash(f, position - 1));
    }
}

/// Waits (at most 10 s) until the board's checkpoint covers `size` leaves.
async fn wait_for_checkpoint(addr: std::net::SocketAddr, size: u64) {
    for _ in 0..500 {
        let answer = request(addr, "GET", "/log/checkpoint", &[], &[]).await;
        if answer.status == 200 {
            let signed: u64 = answer.text().lines().nth(1).unwrap().parse().unwrap();
            if signed >= size {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no checkpoint of size {size} within 10 s");
}

/// Opens the store once the last board has let go of its lock file (a stopped board closes its
/// read connections on a thread of their own; a killed one's lock goes with the process).
fn open_when_free(db: &std::path::Path) -> SqliteStore {
    for _ in 0..500 {
        match SqliteStore::open(db) {
            Ok(store) => return store,
            Err(saylau_board::store::StoreError::Locked { .. }) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the lock file of {} is still held after 10 s", db.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filled_board_serves_again_after_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let mut board = TestBoard::start(2, 0).await;
    let origin_line = board.origin();
    board.stop().await;
    let Database::Sqlite(db) = board.database.clone() else {
        panic!("the demo board is on SQLite")
    };
    let f = *board.election.fingerprint();

    // The bulk loader, in groups of 20,000: three checkpoints, the last of size LEAVES.
    {
        let keys = BoardKeys::read(&board.keys).unwrap();
        let mut store = open_when_free(&db);
        let mut signer = Checkpointer::open(
            &store,
            origin(keys.host(), &f),
            keys.log_signer(&f).unwrap(),
        )
        .unwrap();
        let config = FillConfig {
            leaves: LEAVES,
            group: 20_000,
        };
        let filled = fill(&mut store, &board.election, &mut signer, config, |_| {}).unwrap();
        assert_eq!((filled.size, filled.checkpoints), (LEAVES, 3));
        assert_eq!(store.latest_checkpoint().unwrap().unwrap().size, LEAVES);
    }

    // Serve, SIGKILL, serve again.
    let first = ChildBoard::start(&board, &db);
    check_serving(&board, first.addr, &origin_line, LEAVES).await;
    first.kill();
    let second = ChildBoard::start(&board, &db);
    check_serving(&board, second.addr, &origin_line, LEAVES).await;

    // A real ballot after the synthetic ones: next leaf, next position, chained tracking code.
    let last_code = check_receipt(&board, second.addr, &origin_line, LEAVES, LEAVES)
        .await
        .tracking_code;
    let ballot = board.ballot(0);
    let body = serde_json::to_vec(&ballot).unwrap();
    let cast = request(second.addr, "POST", "/v1/ballots", &[], &body).await;
    assert_eq!(cast.status, 201, "{}", cast.text());
    let receipt: Receipt = serde_json::from_value(cast.json()["receipt"].clone()).unwrap();
    assert_eq!((receipt.leaf_index, receipt.position), (LEAVES, LEAVES + 1));
    assert_eq!(
        receipt.tracking_code,
        tracking_code(&last_code, &ballot.body.hash(), &ballot.signature)
    );
    wait_for_checkpoint(second.addr, LEAVES + 1).await;
    let proved = check_receipt(&board, second.addr, &origin_line, LEAVES + 1, LEAVES + 1).await;
    assert_eq!(proved, receipt);
    second.kill();

    // The stored hashes are the tree of the stored leaves.
    let store = open_when_free(&db);
    let size = store.head().unwrap().size;
    assert_eq!(size, LEAVES + 1);
    let mut tree = TreeBuilder::new();
    for leaf in store.leaves(0, size as usize).unwrap() {
        tree.push(leaf.hash()).unwrap();
    }
    assert_eq!(tree.size(), size);
    assert_eq!(tree.root(), tree_hash(size, &store).unwrap());
}
