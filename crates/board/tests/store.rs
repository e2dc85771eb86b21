//! The stores on real databases: SQLite's durable settings and lock file (PostgreSQL's are in
//! `store_pg.rs`), and, on both SQLite and PostgreSQL, the fork guard, checkpoint rules and reads.

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use saylau::election::Leaf;
use saylau::log::tree::{HashReader, TreeBuilder};
use saylau_board::store::sqlite::{lock_path, SqliteStore};
use saylau_board::store::{BallotRow, Batch, Head, NewLeaf, Store, StoreError};

use common::db::TestDb;

/// A batch of `n` challenged leaves on top of `head`, built by hand (the sequencer is not used).
fn batch(rng: &mut ChaCha20Rng, head: Head, tree: &mut TreeBuilder, n: usize) -> Batch {
    let mut out = Batch {
        leaves: Vec::new(),
        hashes: Vec::new(),
        head,
    };
    for _ in 0..n {
        let c = common::challenged_entry(rng);
        let leaf = Leaf::challenged(&c.credential, c.ballot_hash);
        tree.push_stored(leaf.hash(), &mut out.hashes).unwrap();
        out.leaves.push(NewLeaf {
            leaf,
            ballot: Some(BallotRow {
                ballot_hash: c.ballot_hash,
                credential: *c.credential.as_bytes(),
                leaf_index: out.head.size,
                position: None,
                tracking_code: None,
                line: c.challenged_json.clone(),
            }),
        });
        out.head.size += 1;
    }
    out
}

#[test]
fn live_connection_is_wal_and_full() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("board.db")).unwrap();
    assert_eq!(store.journal_mode().unwrap(), "wal");
    assert_eq!(store.synchronous().unwrap(), 2);
    let other = store.another().unwrap();
    assert_eq!(other.journal_mode().unwrap(), "wal");
    assert_eq!(other.synchronous().unwrap(), 2);
}

#[test]
fn lock_file_stops_a_second_board() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.db");
    let first = SqliteStore::open(&path).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    match &err {
        StoreError::Locked { path: locked } => assert_eq!(locked, &lock_path(&path)),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(err.to_string().contains("board.db.lock"), "{err}");
    drop(first);
    // The lock goes with the board that held it (a crashed board's goes with its process).
    SqliteStore::open(&path).unwrap();
}

both!(
    stale_writer_conflicts_and_writes_nothing,
    stale_writer_conflicts
);
fn stale_writer_conflicts(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut first = db.open().unwrap();
    // A second writer on the same log, past the lock: only the head's condition holds it.
    let mut second = first.another().unwrap();

    let head = first.head().unwrap();
    let mut tree_a = TreeBuilder::new();
    let mut tree_b = TreeBuilder::new();
    let a = batch(&mut rng, head, &mut tree_a, 5);
    let b = batch(&mut rng, second.head().unwrap(), &mut tree_b, 3);
    first.append(0, &a).unwrap();

    match second.append(0, &b) {
        Err(StoreError::Conflict {
            expected: 0,
            found: 5,
        }) => {}
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(second.head().unwrap().size, 5);
    for (i, new) in a.leaves.iter().enumerate() {
        assert_eq!(second.leaf(i as u64).unwrap(), Some(new.leaf));
    }
    assert_eq!(second.leaf(5).unwrap(), None);
    for new in &b.leaves {
        assert_eq!(second.ballot_by_hash(new.leaf.ballot_hash()).unwrap(), None);
    }
    // The stored hashes are still exactly those of the first writer's five leaves.
    let stored = saylau::log::tree::stored_hash_count(5);
    assert!(second.read_hashes(&[stored]).is_err());
    assert_eq!(
        saylau::log::tree::tree_hash(5, &second).unwrap(),
        tree_a.root()
    );
}

both!(batch_must_fit_its_head, batch_fits);
fn batch_fits(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut store = db.open().unwrap();
    let mut tree = TreeBuilder::new();
    let mut b = batch(&mut rng, Head::default(), &mut tree, 4);
    b.hashes.pop();
    assert!(matches!(
        store.append(0, &b),
        Err(StoreError::BadBatch { .. })
    ));
    assert_eq!(store.head().unwrap().size, 0);
}

both!(checkpoints_only_move_forward, checkpoints_forward);
fn checkpoints_forward(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut store = db.open().unwrap();
    assert!(matches!(
        store.store_checkpoint(1, "one"),
        Err(StoreError::CheckpointBeyondLog {
            size: 1,
            log_size: 0
        })
    ));
    let mut tree = TreeBuilder::new();
    let b = batch(&mut rng, Head::default(), &mut tree, 10);
    store.append(0, &b).unwrap();
    store.store_checkpoint(5, "five").unwrap();
    store.store_checkpoint(5, "five").unwrap();
    assert!(matches!(
        store.store_checkpoint(5, "other five"),
        Err(StoreError::CheckpointRollback {
            latest: 5,
            offered: 5,
            same_size: true
        })
    ));
    assert!(matches!(
        store.store_checkpoint(3, "three"),
        Err(StoreError::CheckpointRollback {
            latest: 5,
            offered: 3,
            same_size: false
        })
    ));
    store.store_checkpoint(8, "eight").unwrap();
    assert_eq!(store.latest_checkpoint().unwrap().unwrap().text, "eight");
    assert_eq!(store.checkpoint(5).unwrap().unwrap().text, "five");
    assert_eq!(store.checkpoint(3).unwrap(), None);
}

both!(racing_writers_one_wins, racing_writers);
fn racing_writers(db: TestDb) {
    let first = db.open().unwrap();
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<Result<(), StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2u64)
            .map(|t| {
                let mut store = first.another().unwrap();
                let barrier = &barrier;
                s.spawn(move || {
                    let mut rng = ChaCha20Rng::seed_from_u64(40 + t);
                    let mut tree = TreeBuilder::new();
                    let b = batch(&mut rng, Head::default(), &mut tree, 3 + t as usize);
                    barrier.wait();
                    store.append(0, &b)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<usize> = (0..2).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    let lost = 1 - won[0];
    match &results[lost] {
        Err(StoreError::Conflict { expected: 0, found }) => {
            assert_eq!(*found, 3 + won[0] as u64)
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    // Only the winner's leaves are there.
    let size = first.head().unwrap().size;
    assert_eq!(size, 3 + won[0] as u64);
    assert!(first.leaf(size - 1).unwrap().is_some());
    assert!(first.leaf(size).unwrap().is_none());
}

both!(ballots_by_hashes_finds_those_on_the_log, by_hashes);
fn by_hashes(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut store = db.open().unwrap();
    let mut tree = TreeBuilder::new();
    let b = batch(&mut rng, Head::default(), &mut tree, 5);
    store.append(0, &b).unwrap();
    let absent = batch(&mut rng, b.head, &mut tree, 2);
    let mut asked: Vec<_> = [4, 1, 2]
        .iter()
        .map(|&i| *b.leaves[i].leaf.ballot_hash())
        .collect();
    asked.extend(absent.leaves.iter().map(|l| *l.leaf.ballot_hash()));
    let mut found = store.ballots_by_hashes(&asked).unwrap();
    found.sort_by_key(|r| r.leaf_index);
    let want: Vec<BallotRow> = [1, 2, 4]
        .iter()
        .map(|&i| b.leaves[i].ballot.clone().unwrap())
        .collect();
    assert_eq!(found, want);
    assert!(store.ballots_by_hashes(&[]).unwrap().is_empty());
}

both!(migrations_run_once_and_are_recorded, migrations_once);
fn migrations_once(db: TestDb) {
    drop(db.open().unwrap());
    drop(db.open().unwrap());
    assert_eq!(db.schema_versions(), vec![1]);
}

both!(a_newer_schema_is_refused, newer_schema);
fn newer_schema(db: TestDb) {
    drop(db.open().unwrap());
    db.sql("INSERT INTO schema_version (version) VALUES (2)");
    match db.open() {
        Err(StoreError::SchemaTooNew { found, known, .. }) => assert_eq!((found, known), (2, 1)),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

both!(runs_of_leaves_and_pages_of_checkpoints, runs_and_pages);
fn runs_and_pages(db: TestDb) {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let mut store = db.open().unwrap();
    let mut tree = TreeBuilder::new();
    let b = batch(&mut rng, Head::default(), &mut tree, 20);
    store.append(0, &b).unwrap();
    let all: Vec<Leaf> = b.leaves.iter().map(|l| l.leaf).collect();
    assert_eq!(store.leaves(0, 20).unwrap(), all);
    assert_eq!(store.leaves(5, 3).unwrap(), all[5..8].to_vec());
    // Fewer at the end of the log, none beyond it.
    assert_eq!(store.leaves(18, 10).unwrap(), all[18..].to_vec());
    assert_eq!(store.leaves(20, 5).unwrap(), Vec::<Leaf>::new());
    for size in [2, 4, 9, 15] {
        store.store_checkpoint(size, &format!("cp{size}")).unwrap();
    }
    let sizes = |after, limit| -> Vec<u64> {
        store
            .checkpoints_after(after, limit)
            .unwrap()
            .iter()
            .map(|c| c.size)
            .collect()
    };
    assert_eq!(sizes(0, 10), vec![2, 4, 9, 15]);
    assert_eq!(sizes(2, 2), vec![4, 9]);
    assert_eq!(sizes(15, 10), Vec::<u64>::new());
    assert_eq!(store.checkpoints_after(3, 1).unwrap()[0].text, "cp4");
}
