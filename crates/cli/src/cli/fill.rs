//! `saylau board load --bulk N --out DIR`: fills the SQLite store of a synthetic election with
//! N synthetic leaves (the bulk loader, `saylau_board::fill`), for the large-board measurements
//! of issue 15 (board.md §7.8). The board must be stopped: the store's lock file says so.

use super::load::LoadArgs;
use rand_core::OsRng;
use saylau::election::Election;
use saylau::record::Record;
use saylau_board::checkpoints::{origin, Checkpointer};
use saylau_board::fill::{create_election, fill, FillConfig};
use saylau_board::keys::{default_keys_path, BoardKeys};
use saylau_board::store::sqlite::SqliteStore;
use std::time::Instant;

/// Voters listed by a synthetic election when --voters is not given.
const DEFAULT_VOTERS: u64 = 1000;
/// Page cache of the bulk connection, in MiB.
const CACHE_MIB: u32 = 2048;

/// Runs the fill; true when every leaf was appended.
pub fn bulk(args: &LoadArgs, leaves: u64) -> Result<bool, String> {
    let Some(out) = &args.out else {
        return Err("--bulk needs --out DIR".into());
    };
    let record_dir = out.join("record");
    let start = Instant::now();
    if !record_dir.join(saylau::record::ELECTION).exists() {
        let voters = args.voters.unwrap_or(DEFAULT_VOTERS);
        let created =
            create_election(out, voters, "localhost", &mut OsRng).map_err(|e| e.to_string())?;
        if !args.json {
            outln!(
                "synthetic election {} ({voters} credentials) in {} ({:.1} s)",
                hex::encode(created.opened.fingerprint),
                out.display(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    let election = Election::open(&Record::at(&record_dir)).map_err(|e| e.to_string())?;
    let keys = BoardKeys::read(&default_keys_path(&record_dir)).map_err(|e| e.to_string())?;
    let fingerprint = *election.fingerprint();
    let signer = keys.log_signer(&fingerprint).map_err(|e| e.to_string())?;
    let mut store = SqliteStore::open(&out.join("board.db")).map_err(|e| e.to_string())?;
    store.set_cache_mib(CACHE_MIB).map_err(|e| e.to_string())?;
    let mut checkpointer = Checkpointer::open(&store, origin(keys.host(), &fingerprint), signer)
        .map_err(|e| e.to_string())?;
    let json = args.json;
    let filled = fill(
        &mut store,
        &election,
        &mut checkpointer,
        FillConfig {
            leaves,
            ..FillConfig::default()
        },
        |size| {
            if !json {
                eprint!("\r{size} leaves");
            }
        },
    )
    .map_err(|e| e.to_string())?;
    store.checkpoint_wal().map_err(|e| e.to_string())?;
    let secs = filled.elapsed.as_secs_f64();
    let rate = filled.leaves as f64 / secs;
    if json {
        outln!(
            "{{\"bulk_leaves\":{},\"size\":{},\"checkpoints\":{},\"seconds\":{secs:.1},\"leaves_per_s\":{rate:.0}}}",
            filled.leaves,
            filled.size,
            filled.checkpoints
        );
    } else {
        eprintln!();
        outln!(
            "appended {} synthetic leaves in {secs:.1} s ({rate:.0}/s): the tree has {} leaves, {} new checkpoints",
            filled.leaves,
            filled.size,
            filled.checkpoints
        );
        outln!(
            "serve it with: saylau board serve --record {} --db sqlite:{}",
            record_dir.display(),
            out.join("board.db").display()
        );
    }
    Ok(filled.size >= filled.leaves)
}
