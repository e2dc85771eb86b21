//! Crash loop on SQLite: a child board is SIGKILLed at seeded random times and restarted; after
//! each kill every acknowledged entry is there, with no holes and no checkpoint rolled back
//! (tests/common/crash.rs says what is checked; `crash_pg.rs` runs it against PostgreSQL).

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use common::crash::{check_store, Board, Promises, CHILD_ENV};
use common::db::TestDb;

/// Kills in CI; `SAYLAU_CRASH_KILLS` sets another count and `SAYLAU_CRASH_SEED` another seed
/// (`scripts/crash.sh` runs 500).
const KILLS: usize = 24;

/// The child: runs only when re-executed by `crash_loop` with the database in the env.
#[test]
fn crash_child() {
    if let Ok(db) = std::env::var(CHILD_ENV) {
        common::crash::child(&db);
    }
}

#[test]
fn crash_loop() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let test_db = TestDb::sqlite();
    let db = test_db.arg();
    let exe = std::env::current_exe().unwrap();
    let kills: usize = std::env::var("SAYLAU_CRASH_KILLS")
        .map(|k| k.parse().expect("SAYLAU_CRASH_KILLS is a number"))
        .unwrap_or(KILLS);
    let seed: u64 = std::env::var("SAYLAU_CRASH_SEED")
        .map(|s| s.parse().expect("SAYLAU_CRASH_SEED is a number"))
        .unwrap_or(0x5eed);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let promises = Arc::new(Mutex::new(Promises::default()));
    let mut last_checkpoint = 0;
    for _ in 0..kills {
        let board = Board::start(&exe, "crash_child", &db, &promises);
        thread::sleep(Duration::from_millis(rng.gen_range(30..400)));
        board.kill();
        check_store(&db, &promises.lock().unwrap(), &mut last_checkpoint);
    }
    let p = promises.lock().unwrap();
    assert!(!p.acks.is_empty(), "the child never acknowledged anything");
    eprintln!(
        "crash loop: {kills} kills, {} acknowledged entries kept, last checkpoint {}",
        p.acks.len(),
        last_checkpoint
    );
}
