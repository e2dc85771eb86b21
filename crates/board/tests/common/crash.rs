//! The crash loop's two halves, for either store (`--db`: `sqlite:PATH` or a PostgreSQL
//! connection string). The child appends through the sequencer (and signs checkpoints) and prints
//! each acknowledged `(index, hash)` after its reply; the parent kills it (or the database server)
//! at seeded random times, restarts it, and checks that every acknowledgment survived at its
//! index, that the log is a prefix with no holes, that no checkpoint rolled back, and that the
//! stored hashes give the stored checkpoints' roots. SIGKILL keeps the page cache, so this tests
//! the ordering of acknowledgments and commits, not power loss (board.md §7.4).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::tree::{tree_hash, Hash};
use saylau::record::tracking_link;
use saylau_board::checkpoints::Checkpointer;
use saylau_board::sequencer::{Grouping, Recorded, Sequencer};
use saylau_board::store::{Store, StoreError};

use super::db::AnyStore;
use super::{log_key, test_origin, FINGERPRINT};

/// The environment variable that makes a test binary's `crash_child` test the child, naming
/// its database.
pub const CHILD_ENV: &str = "SAYLAU_BOARD_CRASH_CHILD";

/// The child: the board, appending from 8 submitters and signing checkpoints, printing what it
/// promised. Runs at most 20 s even if nobody kills it.
pub fn child(db: &str) {
    let store = AnyStore::open(db).unwrap();
    let mut signer_store = store.another().unwrap();
    let mut signer = Checkpointer::open(&signer_store, test_origin(), log_key()).unwrap();
    let seq = Sequencer::start(store, FINGERPRINT, Grouping::default()).unwrap();
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let until = Instant::now() + Duration::from_secs(20);
    let seed = u64::from(std::process::id());
    thread::scope(|s| {
        for t in 0..8u64 {
            let sub = seq.submitter();
            let stdout = Arc::clone(&stdout);
            s.spawn(move || {
                let mut rng = ChaCha20Rng::seed_from_u64(seed * 1000 + t);
                while Instant::now() < until {
                    let entry = super::any_entry(&mut rng, 2000);
                    let ack = sub.submit(entry).unwrap();
                    let hash = hex::encode(ack.ballot_hash.unwrap());
                    // A cast ballot's receipt also promises its position and tracking code.
                    let cast = match ack.recorded {
                        Recorded::Cast {
                            position,
                            tracking_code,
                        } => format!(" {position} {}", hex::encode(tracking_code)),
                        _ => String::new(),
                    };
                    let mut out = stdout.lock().unwrap();
                    writeln!(out, "ACK {} {hash}{cast}", ack.index).unwrap();
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
pub struct Promises {
    /// Acknowledged leaves: index to ballot hash.
    pub acks: HashMap<u64, Hash>,
    /// Acknowledged cast ballots: ballot hash to position and tracking code.
    pub receipts: HashMap<Hash, (u64, Hash)>,
    /// The largest checkpoint size the child reported stored.
    pub checkpoint: u64,
}

fn read_promises(stdout: impl std::io::Read, promises: Arc<Mutex<Promises>>) {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    // A line cut short by the kill has no newline and promised nothing.
    while reader.read_line(&mut line).unwrap_or(0) > 0 && line.ends_with('\n') {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut p = promises.lock().unwrap();
        match words.as_slice() {
            ["ACK", index, hash, rest @ ..] => {
                let hash: Hash = hex::decode(hash).unwrap().try_into().unwrap();
                let index: u64 = index.parse().unwrap();
                if let Some(old) = p.acks.insert(index, hash) {
                    assert_eq!(old, hash, "index {index} acknowledged for two hashes");
                }
                if let [position, code] = rest {
                    let receipt = (
                        position.parse().unwrap(),
                        hex::decode(code).unwrap().try_into().unwrap(),
                    );
                    if let Some(old) = p.receipts.insert(hash, receipt) {
                        assert_eq!(old, receipt, "two receipts for {}", hex::encode(hash));
                    }
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

/// A running child board, and the thread collecting its promises.
pub struct Board {
    child: Child,
    reader: Option<JoinHandle<()>>,
}

impl Board {
    /// Starts `exe` (this test binary) as the child on database `db`; its test named `test` must
    /// call [`child`].
    pub fn start(exe: &Path, test: &str, db: &str, promises: &Arc<Mutex<Promises>>) -> Board {
        let mut child = Command::new(exe)
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let promises = Arc::clone(promises);
        let reader = Some(thread::spawn(move || read_promises(stdout, promises)));
        Board { child, reader }
    }

    /// SIGKILLs it (if still running) and waits until everything it printed is read.
    pub fn kill(mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix; an error if it already exited
        self.child.wait().unwrap();
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens the store for checking. After a SIGKILL, PostgreSQL keeps the dead board's advisory
/// lock until its backend notices the closed connection: wait for that (bounded).
fn open_after_crash(db: &str) -> AnyStore {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        match AnyStore::open(db) {
            Ok(s) => return s,
            Err(StoreError::DatabaseLocked { .. }) if Instant::now() < until => {
                thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("cannot reopen the store after a crash: {e}"),
        }
    }
}

/// Everything the store must satisfy after a kill, given what was promised before it. Returns
/// the number of leaves.
pub fn check_store(db: &str, promises: &Promises, last_checkpoint: &mut u64) -> u64 {
    let store = open_after_crash(db);
    let head = store.head().unwrap();
    // A prefix with no holes: every index below the size, nothing at or above it.
    let leaves: Vec<_> = (0..head.size)
        .map(|index| {
            store
                .leaf(index)
                .unwrap()
                .unwrap_or_else(|| panic!("hole at {index}"))
        })
        .collect();
    assert!(store.leaf(head.size).unwrap().is_none());
    // Every acknowledged entry is there, at its index, with its hash.
    for (&index, hash) in &promises.acks {
        assert!(
            index < head.size,
            "acknowledged index {index} lost (size {})",
            head.size
        );
        assert_eq!(
            leaves[index as usize].ballot_hash(),
            hash,
            "index {index} holds another ballot"
        );
    }
    // The tracking-code chain over the cast ballots is unbroken, and each cast ballot's row
    // points at its leaf.
    let rows = store.ballots_after(0, usize::MAX).unwrap();
    assert_eq!(rows.len() as u64, head.cast);
    let mut by_hash: HashMap<Hash, u64> = HashMap::with_capacity(rows.len());
    let mut previous = FINGERPRINT;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.position, Some(i as u64 + 1));
        let leaf = &leaves[row.leaf_index as usize];
        assert_eq!(leaf.ballot_hash(), &row.ballot_hash);
        let t = tracking_link(
            &previous,
            &row.ballot_hash,
            leaf.commitment(),
            leaf.response(),
        );
        assert_eq!(row.tracking_code, Some(t));
        previous = t;
        by_hash.insert(row.ballot_hash, row.leaf_index);
    }
    assert_eq!(head.last_tracking_code.unwrap_or(FINGERPRINT), previous);
    for (&index, hash) in &promises.acks {
        let found = match by_hash.get(hash) {
            Some(&i) => i,
            // Challenged ballots are not in ballots.jsonl.
            None => store.ballot_by_hash(hash).unwrap().unwrap().leaf_index,
        };
        assert_eq!(found, index, "ballot {} row", hex::encode(hash));
    }
    // Every receipt handed out still holds: the same position and tracking code.
    let stored: HashMap<Hash, (Option<u64>, Option<Hash>)> = rows
        .iter()
        .map(|r| (r.ballot_hash, (r.position, r.tracking_code)))
        .collect();
    for (hash, &(position, code)) in &promises.receipts {
        assert_eq!(
            stored.get(hash).copied(),
            Some((Some(position), Some(code))),
            "receipt of ballot {} changed",
            hex::encode(hash)
        );
    }
    // No checkpoint rolled back, and the stored hashes give its root.
    let latest = store.latest_checkpoint().unwrap();
    let latest_size = latest.as_ref().map(|c| c.size).unwrap_or(0);
    assert!(
        latest_size >= *last_checkpoint && latest_size >= promises.checkpoint,
        "checkpoint rolled back to {latest_size} (had {last_checkpoint}, promised {})",
        promises.checkpoint
    );
    assert!(latest_size <= head.size);
    *last_checkpoint = latest_size;
    if let Some(stored) = latest {
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
    head.size
}
