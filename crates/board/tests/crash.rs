//! Crash loop: a child process appends through the sequencer (and signs checkpoints) and prints
//! each acknowledged `(index, hash)` after its reply; the parent SIGKILLs it at seeded random
//! times, restarts it, and checks that every acknowledgment survived at its index, that the
//! log is a prefix with no holes, that no checkpoint rolled back, and that the stored hashes
//! give the stored checkpoints' roots. SIGKILL keeps the page cache, so this tests the
//! ordering of acknowledgments and commits, not power loss (board.md §7.4).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::tree::{tree_hash, Hash};
use saylau::record::tracking_link;
use saylau_board::checkpoints::Checkpointer;
use saylau_board::sequencer::{Grouping, Sequencer};
use saylau_board::store::sqlite::SqliteStore;
use saylau_board::store::Store;

use common::{log_key, test_origin, FINGERPRINT};

const CHILD_ENV: &str = "SAYLAU_BOARD_CRASH_CHILD";
const KILLS: usize = 24;

/// The child: runs only when re-executed by `crash_loop` with the database path in the env.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = SqliteStore::open(path.as_ref()).unwrap();
    let mut signer_store = store.another().unwrap();
    let mut signer = Checkpointer::open(&signer_store, test_origin(), log_key()).unwrap();
    let seq = Sequencer::start(store, FINGERPRINT, Grouping::default()).unwrap();
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    // Bounded even if the parent never kills it.
    let until = Instant::now() + Duration::from_secs(20);
    let seed = u64::from(std::process::id());
    thread::scope(|s| {
        for t in 0..8u64 {
            let sub = seq.submitter();
            let stdout = Arc::clone(&stdout);
            s.spawn(move || {
                let mut rng = ChaCha20Rng::seed_from_u64(seed * 1000 + t);
                while Instant::now() < until {
                    let entry = common::any_entry(&mut rng, 2000);
                    let ack = sub.submit(entry).unwrap();
                    let hash = hex::encode(ack.ballot_hash.unwrap());
                    let mut out = stdout.lock().unwrap();
                    writeln!(out, "ACK {} {hash}", ack.index).unwrap();
                    out.flush().unwrap();
                }
            });
        }
        s.spawn(|| {
            while Instant::now() < until {
                if let Some(c) = signer.tick(&mut signer_store).unwrap() {
                    let mut out = stdout.lock().unwrap();
                    writeln!(out, "CHECKPOINT {}", c.checkpoint().size()).unwrap();
                    out.flush().unwrap();
                }
                thread::sleep(Duration::from_millis(5));
            }
        });
    });
}

/// What the parent saw the child promise.
#[derive(Default)]
struct Promises {
    acks: HashMap<u64, Hash>,
    checkpoint: u64,
}

fn read_promises(stdout: impl std::io::Read, promises: Arc<Mutex<Promises>>) {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    // A line cut short by the kill has no newline and promised nothing.
    while reader.read_line(&mut line).unwrap_or(0) > 0 && line.ends_with('\n') {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut p = promises.lock().unwrap();
        match words.as_slice() {
            ["ACK", index, hash] => {
                let hash: Hash = hex::decode(hash).unwrap().try_into().unwrap();
                let index: u64 = index.parse().unwrap();
                if let Some(old) = p.acks.insert(index, hash) {
                    assert_eq!(old, hash, "index {index} acknowledged for two hashes");
                }
            }
            ["CHECKPOINT", size] => {
                p.checkpoint = p.checkpoint.max(size.parse().unwrap());
            }
            _ => {}
        }
        line.clear();
    }
}

/// Everything the store must satisfy after a kill, given what was promised before it.
fn check_store(path: &std::path::Path, promises: &Promises, last_checkpoint: &mut u64) {
    let store = SqliteStore::open(path).unwrap();
    let head = store.head().unwrap();
    // Every acknowledged entry is there, at its index, with its hash.
    for (&index, hash) in &promises.acks {
        assert!(
            index < head.size,
            "acknowledged index {index} lost (size {})",
            head.size
        );
        let leaf = store.leaf(index).unwrap().unwrap();
        assert_eq!(
            leaf.ballot_hash(),
            hash,
            "index {index} holds another ballot"
        );
        assert_eq!(
            store.ballot_by_hash(hash).unwrap().unwrap().leaf_index,
            index
        );
    }
    // A prefix with no holes: every index below the size, nothing at or above it.
    for index in 0..head.size {
        assert!(store.leaf(index).unwrap().is_some(), "hole at {index}");
    }
    assert!(store.leaf(head.size).unwrap().is_none());
    // The tracking-code chain over the cast ballots is unbroken.
    let rows = store.ballots_after(0, usize::MAX).unwrap();
    assert_eq!(rows.len() as u64, head.cast);
    let mut previous = FINGERPRINT;
    for row in &rows {
        let leaf = store.leaf(row.leaf_index).unwrap().unwrap();
        let t = tracking_link(
            &previous,
            &row.ballot_hash,
            leaf.commitment(),
            leaf.response(),
        );
        assert_eq!(row.tracking_code, Some(t));
        previous = t;
    }
    assert_eq!(head.last_tracking_code.unwrap_or(FINGERPRINT), previous);
    // No checkpoint rolled back, and the stored hashes give its root.
    let latest = store
        .latest_checkpoint()
        .unwrap()
        .map(|c| c.size)
        .unwrap_or(0);
    assert!(latest >= *last_checkpoint && latest >= promises.checkpoint);
    assert!(latest <= head.size);
    *last_checkpoint = latest;
    if let Some(stored) = store.latest_checkpoint().unwrap() {
        let signed = SignedCheckpoint::open(
            stored.text.as_bytes(),
            &log_key().verifier(),
            &test_origin(),
        )
        .unwrap();
        assert_eq!(
            &tree_hash(stored.size, &store).unwrap(),
            signed.checkpoint().root()
        );
    }
    // The signer opens too (it runs the same checks).
    Checkpointer::open(&store, test_origin(), log_key()).unwrap();
}

#[test]
fn crash_loop() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.db");
    let exe = std::env::current_exe().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    let promises = Arc::new(Mutex::new(Promises::default()));
    let mut last_checkpoint = 0;
    for _ in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = {
            let promises = Arc::clone(&promises);
            thread::spawn(move || read_promises(stdout, promises))
        };
        thread::sleep(Duration::from_millis(rng.gen_range(30..400)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        check_store(&path, &promises.lock().unwrap(), &mut last_checkpoint);
    }
    let p = promises.lock().unwrap();
    assert!(!p.acks.is_empty(), "the child never acknowledged anything");
    eprintln!(
        "crash loop: {KILLS} kills, {} acknowledged entries kept, last checkpoint {}",
        p.acks.len(),
        last_checkpoint
    );
}
