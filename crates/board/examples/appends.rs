//! Board alone, proofs pre-checked: how many durable appends per second the sequencer and a
//! store sustain. N synthetic entries with ~14 KB JSON lines, from C submitter threads, each
//! waiting for its acknowledgment (durable after its group's commit). Prints one JSON line per
//! store.
//!
//! usage: cargo run --release -p saylau-board --example appends -- [N] [C] [linger] [--db DB]
//! (`linger`: wait out the 10 ms window instead of closing a group when the queue is empty;
//! `DB`: `sqlite` (default, a temporary file), `postgres` (a throwaway PostgreSQL 15 cluster on a
//! 127.0.0.1 port, as the tests start it), `both` (SQLite, then PostgreSQL, in one run), or a
//! PostgreSQL connection string of an existing, empty database)

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use saylau_board::sequencer::{Entry, Grouping, Sequencer};
use saylau_board::store::postgres::PostgresStore;
use saylau_board::store::sqlite::SqliteStore;
use saylau_board::store::Store;

use common::pg::Cluster;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().collect();
    let db = match args.iter().position(|a| a == "--db") {
        Some(i) => {
            let value = args.get(i + 1).ok_or("--db needs a value")?.clone();
            args.drain(i..i + 2);
            value
        }
        None => "sqlite".into(),
    };
    let n: usize = args
        .get(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let c: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(64);
    let linger = args.get(3).is_some_and(|a| a == "linger");
    let sqlite = || -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = SqliteStore::open(&dir.path().join("board.db"))?;
        run("sqlite", store, n, c, linger)
    };
    let postgres = || -> Result<(), Box<dyn std::error::Error>> {
        let cluster = Cluster::start_new(true, &[]);
        let name = cluster.create_database();
        run(
            "postgres",
            PostgresStore::open(&cluster.tcp_url(&name))?,
            n,
            c,
            linger,
        )
    };
    match db.as_str() {
        "sqlite" => sqlite(),
        "postgres" => postgres(),
        "both" => sqlite().and_then(|()| postgres()),
        url => run("postgres", PostgresStore::open(url)?, n, c, linger),
    }
}

fn run<S: Store + Send + 'static>(
    name: &str,
    store: S,
    n: usize,
    c: usize,
    linger: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let grouping = Grouping {
        close_when_idle: !linger,
        ..Grouping::default()
    };
    let seq = Sequencer::start(store, common::FINGERPRINT, grouping)?;

    // Entries are made before the clock starts: this measures the board, not the generator.
    let c = c.clamp(1, n.max(1));
    let batches: Vec<Vec<Entry>> = (0..c)
        .map(|t| {
            let mut rng = ChaCha20Rng::seed_from_u64(t as u64);
            (0..n / c + usize::from(t < n % c))
                .map(|_| Entry::Cast(common::cast_entry(&mut rng, 14_000)))
                .collect()
        })
        .collect();

    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = batches
            .into_iter()
            .map(|entries| {
                let sub = seq.submitter();
                s.spawn(move || {
                    entries
                        .into_iter()
                        .map(|e| {
                            let t = Instant::now();
                            sub.submit(e).map(|_| t.elapsed())
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "submitter panicked"))
            .collect::<Result<Vec<_>, _>>()
    })?
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?
    .into_iter()
    .flatten()
    .collect();
    let elapsed = start.elapsed();
    seq.shutdown()?;

    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{{\"store\":\"{name}\",\"entries\":{},\"submitters\":{c},\"linger\":{linger},\"per_s\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}
