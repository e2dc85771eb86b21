//! `saylau board load`: the load tool of issue 15's Targets. It pre-generates distinct ballots
//! (outside the timed part, in parallel), casts them with concurrent clients, then checks every
//! receipt: the board's signature, and the ballot's leaf in one signed checkpoint through its
//! inclusion proof. `--lookups` then times receipt lookups with their proofs (spec `device.md` §5).

use super::credentials::VoterCredential;
use super::vote::{leaf_index, log_key};
use crate::client::proof::{check_inclusion, open_checkpoint};
use crate::client::{Board, ClientError, TrustedElection};
use rayon::prelude::*;
use saylau::ballot::BallotBody;
use saylau::crypto::digest::Hash;
use saylau::election::{Leaf, Receipt};
use saylau::sim::demo::simulated_choices;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most ballots one run casts (each is held in memory, about 14 KB).
pub const MAX_BALLOTS: u64 = 200_000;
/// The most concurrent clients.
pub const MAX_CONCURRENCY: u64 = 256;

/// Arguments of `saylau board load`.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// The board's URL.
    #[arg(required_unless_present = "bulk")]
    pub url: Option<String>,
    /// A folder written by `saylau credentials issue` whose list the board loaded.
    #[arg(long, required_unless_present = "bulk")]
    pub credentials: Option<PathBuf>,
    /// How many voters cast (one distinct ballot each; the first N credential files). With
    /// --bulk: how many credentials the synthetic election lists [default: 1000].
    #[arg(long, required_unless_present = "bulk", value_parser = clap::value_parser!(u64).range(1..=MAX_BULK))]
    pub voters: Option<u64>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=MAX_CONCURRENCY))]
    pub concurrency: u64,
    /// Offer ballots at this rate (ballots per second, paced, open loop) instead of as fast as
    /// the clients go; latency is then measured from each ballot's scheduled time.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Print one JSON line.
    #[arg(long)]
    pub json: bool,
    /// Then time receipt lookups with their inclusion proofs (one per cast ballot), in one
    /// request each (`GET /v1/receipts/{code}?proof=true`) and, side by side, in the two
    /// requests of before (the receipt, then `/v1/proof`).
    #[arg(long)]
    pub lookups: bool,
    /// A PEM file of certificates to trust for an https board with its own CA.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Instead of casting to a board: append this many synthetic leaves straight into the
    /// SQLite store of a synthetic election in --out (created there first if the folder is
    /// empty), for measurements on large boards (board.md §7.8). The board must be stopped.
    #[arg(long, requires = "out", conflicts_with_all = ["url", "credentials", "lookups", "rate"], value_parser = clap::value_parser!(u64).range(1..=MAX_BULK))]
    pub bulk: Option<u64>,
    /// With --bulk: the synthetic election's folder (record/, its key file, board.db).
    #[arg(long, requires = "bulk")]
    pub out: Option<PathBuf>,
}

/// The most leaves (or listed voters) one bulk fill writes.
pub const MAX_BULK: u64 = 100_000_000;

/// One pre-generated ballot.
struct Prepared {
    json: Vec<u8>,
    hash: Hash,
    leaf: Leaf,
}

/// One cast: the ballot's index, its latency, the board's answer.
type Outcome = (usize, Duration, Result<Receipt, ClientError>);

/// Runs `saylau board load`: 0 when every ballot was accepted and every receipt verified.
pub fn run(args: LoadArgs) -> i32 {
    match load(&args) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(error) => {
            eprintln!("saylau board load: {error}");
            2
        }
    }
}

fn load(args: &LoadArgs) -> Result<bool, String> {
    if let Some(leaves) = args.bulk {
        return super::fill::bulk(args, leaves);
    }
    let (Some(url), Some(credentials), Some(voters)) = (&args.url, &args.credentials, args.voters)
    else {
        return Err("the board's URL, --credentials and --voters are needed".into());
    };
    if voters > MAX_BALLOTS {
        return Err(format!(
            "--voters {voters}: at most {MAX_BALLOTS} ballots per run"
        ));
    }
    if let Some(rate) = args.rate {
        if !(rate > 0.0 && rate <= 1e6) {
            return Err("--rate must be between 0 and 1,000,000 ballots per second".into());
        }
    }
    let n = voters as usize;
    let board = Board::new(url, args.ca.as_deref()).map_err(|e| e.to_string())?;
    let election = TrustedElection::fetch(&board, None).map_err(|e| e.to_string())?;
    let log_key = log_key(&election)?;
    let credentials = read_credentials(credentials, n)?;

    // Not timed: the ballots, encrypted and signed in parallel.
    let prepare_start = Instant::now();
    let key = election.key();
    let prepared: Vec<Prepared> = credentials
        .par_iter()
        .map(|credential| {
            let mut rng = rand_core::OsRng;
            let choices = simulated_choices(&election.manifest, &mut rng);
            let (body, _) = BallotBody::encrypt(
                &election.manifest,
                election.fingerprint(),
                &key,
                &credential.public,
                &choices,
                &mut rng,
            )
            .map_err(|e| e.to_string())?;
            let hash = body.hash();
            let ballot = body
                .sign(election.fingerprint(), &credential.secret, &mut rng)
                .map_err(|e| e.to_string())?;
            Ok(Prepared {
                json: serde_json::to_vec(&ballot).map_err(|e| e.to_string())?,
                hash,
                leaf: Leaf::cast(&credential.public, hash, &ballot.signature),
            })
        })
        .collect::<Result<_, String>>()?;
    drop(credentials);
    let prepare_s = prepare_start.elapsed().as_secs_f64();
    if !args.json {
        outln!(
            "{n} ballots prepared in {prepare_s:.1} s; casting with {} clients",
            args.concurrency
        );
    }

    // Timed: the casts.
    let f = *election.fingerprint();
    let clients = clients(args, url)?;
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Outcome>> = Mutex::new(Vec::with_capacity(n));
    let start = Instant::now();
    std::thread::scope(|scope| {
        for client in &clients {
            let (next, outcomes, prepared) = (&next, &outcomes, &prepared);
            scope.spawn(move || {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= prepared.len() {
                        break;
                    }
                    let sent = match args.rate {
                        Some(rate) => {
                            let due = start + Duration::from_secs_f64(i as f64 / rate);
                            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                std::thread::sleep(wait);
                            }
                            due
                        }
                        None => Instant::now(),
                    };
                    let answer = client.cast(&f, &prepared[i].json).map(|a| a.receipt);
                    mine.push((i, sent.elapsed(), answer));
                }
                outcomes.lock().expect("no client panicked").extend(mine);
            });
        }
    });
    let cast_s = start.elapsed().as_secs_f64();
    let outcomes = outcomes.into_inner().expect("no client panicked");

    let mut latencies: Vec<Duration> = outcomes.iter().map(|(_, d, _)| *d).collect();
    latencies.sort();
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let mut receipts: Vec<(usize, Receipt)> = Vec::new();
    for (i, _, answer) in outcomes {
        match answer {
            Ok(receipt) => receipts.push((i, receipt)),
            Err(error) => {
                let key = error
                    .code()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{error}"));
                *refused.entry(key).or_default() += 1;
            }
        }
    }
    receipts.sort_by_key(|(i, _)| *i);
    let accepted = receipts.len();

    // The receipts: signature and fields, then inclusion in one signed checkpoint.
    let verify_start = Instant::now();
    let board_key = *election.board_key();
    let signed_ok: Vec<bool> = receipts
        .par_iter()
        .map(|(i, r)| {
            r.election == f && r.ballot_hash == prepared[*i].hash && r.verify(&board_key).is_ok()
        })
        .collect();
    let last = receipts.iter().map(|(_, r)| leaf_index(r)).max();
    let mut verified = 0;
    let mut checkpoint_size = 0;
    let mut checkpoint = None;
    if let Some(last) = last {
        let proof = wait_covering(&board, last)?;
        let signed = open_checkpoint(&proof.checkpoint, &f, &log_key)
            .map_err(|e| e.to_string())?
            .checkpoint()
            .clone();
        checkpoint_size = signed.size();
        let checkpoint = checkpoint.insert(signed);
        let included = in_parallel(&clients, &receipts, |client, (i, r)| {
            client
                .proof(leaf_index(r), Some(checkpoint.size()))
                .ok()
                .flatten()
                .is_some_and(|p| {
                    check_inclusion(checkpoint, leaf_index(r), &prepared[*i].leaf, &p.inclusion)
                        .is_ok()
                })
        });
        verified = included
            .iter()
            .zip(&signed_ok)
            .filter(|(a, b)| **a && **b)
            .count();
    }
    let verify_s = verify_start.elapsed().as_secs_f64();

    // Optional: receipt lookups with proofs, the two-request way and the one-request way, on
    // the same receipts, one after the other.
    let lookups = if args.lookups && accepted > 0 {
        let size = checkpoint_size;
        let checkpoint = checkpoint.as_ref();
        let proved = |i: usize, index: u64, leaf: &Leaf, p: &[crate::client::board::HexHash]| {
            checkpoint.is_some_and(|c| check_inclusion(c, index, leaf, p).is_ok())
                && *leaf == prepared[i].leaf
        };
        let two = time_lookups(&clients, &receipts, |client, (i, r)| {
            client
                .receipt(&r.tracking_code)
                .is_ok_and(|found| &found == r)
                && client
                    .proof(leaf_index(r), Some(size))
                    .ok()
                    .flatten()
                    .is_some_and(|p| proved(*i, p.index, &prepared[*i].leaf, &p.inclusion))
        });
        let one = time_lookups(&clients, &receipts, |client, (i, r)| {
            client
                .receipt_with_proof(&r.tracking_code, Some(size))
                .is_ok_and(|found| {
                    let leaf = Leaf::decode(&found.leaf);
                    &found.receipt == r
                        && found
                            .proof
                            .as_ref()
                            .zip(leaf.ok())
                            .is_some_and(|(p, leaf)| proved(*i, p.index, &leaf, &p.inclusion))
                })
        });
        Some((one, two))
    } else {
        None
    };

    let per_s = accepted as f64 / cast_s;
    let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
    if args.json {
        let mut line = format!(
            "{{\"ballots\":{n},\"accepted\":{accepted},\"per_s\":{per_s:.1},\"p50_ms\":{p50:.2},\"p99_ms\":{p99:.2},\"receipts_verified\":{verified}"
        );
        line.push_str(&format!(
            ",\"concurrency\":{},\"offered_per_s\":{},\"refused\":{},\"checkpoint_size\":{checkpoint_size},\"verify_s\":{verify_s:.2}",
            args.concurrency,
            args.rate.map(|r| format!("{r}")).unwrap_or_else(|| "null".into()),
            serde_json::to_string(&refused).unwrap_or_default()
        ));
        if let Some((one, two)) = &lookups {
            line.push_str(&format!(
                ",\"lookups_per_s\":{:.1},\"lookup_p50_ms\":{:.2},\"lookup_p99_ms\":{:.2},\"lookups_ok\":{}",
                one.per_s, one.p50, one.p99, one.ok
            ));
            line.push_str(&format!(
                ",\"two_request_lookups_per_s\":{:.1},\"two_request_p50_ms\":{:.2},\"two_request_p99_ms\":{:.2},\"two_request_ok\":{}",
                two.per_s, two.p50, two.p99, two.ok
            ));
        }
        line.push('}');
        outln!("{line}");
    } else {
        outln!(
            "cast: {accepted} of {n} accepted in {cast_s:.2} s: {per_s:.0} ballots/s, latency p50 {p50:.1} ms, p99 {p99:.1} ms"
        );
        for (code, count) in &refused {
            outln!("refused: {count} × {code}");
        }
        outln!(
            "receipts: {verified} of {accepted} verified (signature, leaf in the signed checkpoint of size {checkpoint_size}) in {verify_s:.2} s"
        );
        if let Some((one, two)) = &lookups {
            for (how, t) in [("one request ", one), ("two requests", two)] {
                outln!(
                    "lookups, {how}: {} receipts found with their proofs checked: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
                    t.ok, t.per_s, t.p50, t.p99
                );
            }
        }
    }
    Ok(accepted == n && verified == n)
}

/// How a run of lookups went.
struct Lookups {
    per_s: f64,
    p50: f64,
    p99: f64,
    ok: usize,
}

/// Times `lookup` on every receipt, one thread per client.
fn time_lookups(
    clients: &[Board],
    receipts: &[(usize, Receipt)],
    lookup: impl Fn(&Board, &(usize, Receipt)) -> bool + Sync,
) -> Lookups {
    let start = Instant::now();
    let timed = in_parallel(clients, receipts, |client, item| {
        let t0 = Instant::now();
        let ok = lookup(client, item);
        (t0.elapsed(), ok)
    });
    let elapsed = start.elapsed().as_secs_f64();
    let mut times: Vec<Duration> = timed.iter().map(|(d, _)| *d).collect();
    times.sort();
    Lookups {
        per_s: timed.len() as f64 / elapsed,
        p50: percentile(&times, 50.0),
        p99: percentile(&times, 99.0),
        ok: timed.iter().filter(|(_, ok)| *ok).count(),
    }
}

/// One client (its own connection pool) per concurrent worker.
fn clients(args: &LoadArgs, url: &str) -> Result<Vec<Board>, String> {
    (0..args.concurrency)
        .map(|_| Board::new(url, args.ca.as_deref()).map_err(|e| e.to_string()))
        .collect()
}

/// Runs `work` on every item with one thread per client; results in item order.
fn in_parallel<T: Sync, R: Send>(
    clients: &[Board],
    items: &[T],
    work: impl Fn(&Board, &T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for client in clients {
            let (next, results, work) = (&next, &results, &work);
            scope.spawn(move || {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    mine.push((i, work(client, item)));
                }
                results.lock().expect("no worker panicked").extend(mine);
            });
        }
    });
    let mut results = results.into_inner().expect("no worker panicked");
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Waits (at most 30 s) for a signed checkpoint that covers leaf `last`.
fn wait_covering(board: &Board, last: u64) -> Result<crate::client::board::ProofAnswer, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match board.proof(last, None).map_err(|e| e.to_string())? {
            Some(proof) => return Ok(proof),
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            None => {
                return Err(format!(
                    "no signed checkpoint covers leaf {last} after 30 s"
                ))
            }
        }
    }
}

/// The nearest-rank percentile of sorted durations, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// The first `n` credential files of a folder written by `saylau credentials issue`.
fn read_credentials(dir: &Path, n: usize) -> Result<Vec<VoterCredential>, String> {
    let voters = dir.join("voters");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&voters)
        .map_err(|e| format!("{}: {e}", voters.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("voter-") && name.ends_with(".json"))
        })
        .collect();
    if files.len() < n {
        return Err(format!(
            "{} holds {} credentials, fewer than --voters {n}",
            voters.display(),
            files.len()
        ));
    }
    files.sort();
    files.truncate(n);
    files
        .par_iter()
        .map(|path| VoterCredential::read(path))
        .collect()
}
