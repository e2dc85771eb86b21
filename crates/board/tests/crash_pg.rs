//! Crash loop on PostgreSQL: a child board runs against a throwaway cluster, and at seeded random
//! times either the board or the postmaster is SIGKILLed (alternately); both are restarted, and
//! after each restart every acknowledged entry is there at its index with its tracking code, with
//! no holes and no checkpoint rolled back (tests/common/crash.rs). A killed postmaster restarts
//! with crash recovery from its write-ahead log, which holds every group the board acknowledged
//! (`synchronous_commit=on`). `SAYLAU_CRASH_KILLS` sets the kills of each kind (default 10);
//! `scripts/crash-pg.sh` runs many more.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use common::crash::{check_store, Board, Promises, CHILD_ENV};
use common::db::TestDb;
use common::pg::Cluster;

/// The child: runs only when re-executed by `crash_loop_pg` with the database in the env.
#[test]
fn crash_child() {
    if let Ok(db) = std::env::var(CHILD_ENV) {
        common::crash::child(&db);
    }
}

#[test]
fn crash_loop_pg() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let kills: usize = std::env::var("SAYLAU_CRASH_KILLS")
        .ok()
        .map(|k| k.parse().expect("SAYLAU_CRASH_KILLS is a number"))
        .unwrap_or(10);
    let seed: u64 = std::env::var("SAYLAU_CRASH_SEED")
        .ok()
        .map(|k| k.parse().expect("SAYLAU_CRASH_SEED is a number"))
        .unwrap_or(0x5eed);
    let cluster = Arc::new(Cluster::start_new(false, &[]));
    let test_db = TestDb::postgres_in(Arc::clone(&cluster));
    let db = test_db.arg();
    let exe = std::env::current_exe().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let promises = Arc::new(Mutex::new(Promises::default()));
    let mut last_checkpoint = 0;
    let mut size = 0;
    for round in 0..2 * kills {
        let board = Board::start(&exe, "crash_child", &db, &promises);
        thread::sleep(Duration::from_millis(rng.gen_range(30..400)));
        if round % 2 == 1 {
            // The database dies under the running board; the board then fails its group and
            // stops (or is killed here), and both come back.
            cluster.kill_postmaster();
            board.kill();
            cluster.start();
        } else {
            board.kill();
        }
        size = check_store(&db, &promises.lock().unwrap(), &mut last_checkpoint);
    }
    let p = promises.lock().unwrap();
    assert!(!p.acks.is_empty(), "the child never acknowledged anything");
    eprintln!(
        "crash loop (PostgreSQL): {kills} board kills, {kills} postmaster kills, {} acknowledged \
         entries kept, 0 lost, 0 holes, log size {size}, last checkpoint {last_checkpoint}",
        p.acks.len(),
    );
}
