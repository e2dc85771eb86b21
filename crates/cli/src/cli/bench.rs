//! `saylau bench verify`: a researcher's speed test of ballot verification, in the spirit of
//! `openssl speed`.
//!
//! It generates ballots in memory and times, in one run:
//! - (a) `naive_s`: one-by-one verification on one thread: every equation of every proof checked
//!   alone, with no weights (the textbook verifier);
//! - (b) `batch_s_1thread`: batch verification on one thread;
//! - (c) `floor_s`: decompressing every point of the same ballots, plus one multiscalar
//!   multiplication over every term of their batch equation, on one thread;
//! - (d) `batch_s`: batch verification on all threads;
//! - (e), (f), (g): `floor_hinted_s`, `batch_hinted_s_1thread`, `batch_hinted_s`: (c), (b) and (d)
//!   with every point decoded with its inverse-square-root hint (spec `batch.md` §8), computed
//!   untimed beforehand as the board computes them.
//!
//! With `--repeat R`, each figure is the fastest of `R` runs, taken round the four figures in turn.
//!
//! (a), (b) and (d) run the verifier's ballot pipeline (`saylau verify` checks 6–10) on the
//! ballots' JSON lines held in memory: JSON decoding with point decompression, ballot hash and
//! tracking-code chain, duplicate and eligibility checks, proofs and signatures, and the tally
//! sum. Not included: reading the file from disk and generating the ballots. (c) includes no
//! JSON decoding, hashing or transcript work; its terms are computed untimed.

use curve25519_dalek::traits::IsIdentity;
use saylau::crypto::batch::EquationBatch;
use saylau::sim::workload::{encoded_points, Shape, Workload};
use saylau::verify::{BallotPipeline, Mode};
use std::time::Instant;

/// `saylau bench` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Time ballot verification: one by one, batched, the floor, and on all cores, without and
    /// with hints.
    Verify(VerifyBenchArgs),
    /// Write a record's hint sidecar, hints/ballots.bin, as the board does, and time it.
    Hints {
        /// The record directory (holding ballots.jsonl).
        record: std::path::PathBuf,
    },
}

/// The most ballots `bench verify` generates: the workload lives in memory.
const MAX_BENCH_BALLOTS: u64 = 200_000;

/// Arguments of `saylau bench verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyBenchArgs {
    /// Ballots to generate and verify (at most 200,000: they are held in memory, about 14 KB
    /// each).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(0..=MAX_BENCH_BALLOTS))]
    pub ballots: u64,
    /// Print one JSON line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Ballot shape: the default manifest, or 7 + 2 single-choice answers like Belenios'.
    #[arg(long, value_enum, default_value_t = BallotShape::Default)]
    pub shape: BallotShape,
    /// Seed for the generated election.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Time each figure this many times, round the figures in turn, and keep the fastest (on a
    /// shared machine).
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// Time only this figure and print its seconds (for profiling one stage).
    #[arg(long, value_enum)]
    pub only: Option<Figure>,
}

/// The shape of the generated ballots ([`Shape`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BallotShape {
    /// The default manifest: 7 + 7 + 2 options (16 option proofs, 3 total proofs, a signature).
    Default,
    /// Two single-choice contests of 7 and 2 options: 9 option proofs, 2 total proofs and a
    /// signature (11 proofs and a signature, the ballot Belenios measures).
    Belenios,
}

impl From<BallotShape> for Shape {
    fn from(shape: BallotShape) -> Self {
        match shape {
            BallotShape::Default => Shape::Default,
            BallotShape::Belenios => Shape::Belenios,
        }
    }
}

/// One of the four figures of `saylau bench verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Figure {
    /// (a) one by one, one thread.
    Naive,
    /// (b) batch, one thread.
    Batch1,
    /// (c) the floor, one thread.
    Floor,
    /// (d) batch, all threads.
    Batch,
    /// (e) the floor with hints, one thread.
    FloorHinted,
    /// (f) batch with hints, one thread.
    Batch1Hinted,
    /// (g) batch with hints, all threads.
    BatchHinted,
}

/// Runs a `saylau bench` subcommand.
pub fn run(command: BenchCommand) -> i32 {
    match command {
        BenchCommand::Verify(args) => verify(args),
        BenchCommand::Hints { record } => hints(&record),
    }
}

/// `saylau bench hints RECORD`.
fn hints(record: &std::path::Path) -> i32 {
    let started = Instant::now();
    match saylau::record::hints::write_hint_sidecar(record) {
        Ok(lines) => {
            outln!(
                "{}: hints for {lines} lines in {:.2} s",
                record.join(saylau::record::hints::BALLOT_HINTS).display(),
                started.elapsed().as_secs_f64()
            );
            0
        }
        Err(error) => {
            eprintln!("saylau bench hints: {error}");
            1
        }
    }
}

fn verify(args: VerifyBenchArgs) -> i32 {
    if args.ballots == 0 {
        eprintln!("saylau bench verify: --ballots must be at least 1");
        return 2;
    }
    if !args.json {
        eprintln!("generating {} {:?} ballots...", args.ballots, args.shape);
    }
    let workload = match Workload::generate(args.shape.into(), args.ballots as usize, args.seed) {
        Ok(workload) => workload,
        Err(error) => {
            eprintln!("saylau bench verify: {error}");
            return 1;
        }
    };
    let one = match rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|_| "saylau-timed".into())
        .build()
    {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!("saylau bench verify: {error}");
            return 1;
        }
    };
    let threads = rayon::current_num_threads();
    // The hints of every line, as the board writes them (untimed).
    let hints: Vec<Vec<u8>> = workload
        .numbered_lines()
        .iter()
        .map(|line| saylau::record::hints::line_hints(&line.bytes))
        .collect();
    let run = |figure: Figure| match figure {
        Figure::Naive => one.install(|| pipeline(&workload, Mode::OneByOne, None)),
        Figure::Batch1 => one.install(|| pipeline(&workload, Mode::Batch, None)),
        Figure::Floor => one.install(|| floor(&workload, false)),
        Figure::Batch => pipeline(&workload, Mode::Batch, None),
        Figure::FloorHinted => one.install(|| floor(&workload, true)),
        Figure::Batch1Hinted => one.install(|| pipeline(&workload, Mode::Batch, Some(&hints))),
        Figure::BatchHinted => pipeline(&workload, Mode::Batch, Some(&hints)),
    };
    // Each figure is the fastest of its runs, and the runs go round the figures in turn, so a
    // slow spell of a shared machine falls on every figure alike, not on one (batch.md §7).
    let fastest = |figures: &[Figure]| -> Result<Vec<f64>, ()> {
        let mut best = vec![f64::INFINITY; figures.len()];
        for _ in 0..args.repeat.max(1) {
            for (best, &figure) in best.iter_mut().zip(figures) {
                *best = best.min(run(figure)?);
            }
        }
        Ok(best)
    };
    let rejected = || {
        eprintln!("saylau bench verify: an honest ballot was rejected (a bug)");
        1
    };
    if let Some(figure) = args.only {
        return match fastest(&[figure]) {
            Ok(seconds) => {
                outln!("{figure:?}: {:.4} s", seconds[0]);
                0
            }
            Err(()) => rejected(),
        };
    }
    let all = [
        Figure::Naive,
        Figure::Batch1,
        Figure::Floor,
        Figure::Batch,
        Figure::FloorHinted,
        Figure::Batch1Hinted,
        Figure::BatchHinted,
    ];
    let [naive, batch_1, floor, batch, floor_h, batch_1h, batch_h] = match fastest(&all).as_deref()
    {
        Ok(&[a, b, c, d, e, f, g]) => [a, b, c, d, e, f, g],
        _ => return rejected(),
    };
    let n = args.ballots;
    if args.json {
        outln!(
            "{{\"ballots\":{n},\"threads\":{threads},\"naive_s\":{naive:.4},\"batch_s_1thread\":{batch_1:.4},\"floor_s\":{floor:.4},\"batch_s\":{batch:.4},\"floor_hinted_s\":{floor_h:.4},\"batch_hinted_s_1thread\":{batch_1h:.4},\"batch_hinted_s\":{batch_h:.4}}}"
        );
    } else {
        let per = |s: f64| 1e3 * s / n as f64;
        outln!("{n} ballots ({:?} shape), {threads} threads", args.shape);
        outln!(
            "  (a) one by one, 1 thread   {naive:>9.3} s  {:>8.3} ms/ballot",
            per(naive)
        );
        outln!(
            "  (b) batch, 1 thread        {batch_1:>9.3} s  {:>8.3} ms/ballot",
            per(batch_1)
        );
        outln!(
            "  (c) floor, 1 thread        {floor:>9.3} s  {:>8.3} ms/ballot",
            per(floor)
        );
        outln!(
            "  (d) batch, {threads} threads       {batch:>9.3} s  {:>8.3} ms/ballot",
            per(batch)
        );
        outln!(
            "  (e) floor, hints, 1 thread {floor_h:>9.3} s  {:>8.3} ms/ballot",
            per(floor_h)
        );
        outln!(
            "  (f) batch, hints, 1 thread {batch_1h:>9.3} s  {:>8.3} ms/ballot",
            per(batch_1h)
        );
        outln!(
            "  (g) batch, hints, {threads} threads{batch_h:>9.3} s  {:>8.3} ms/ballot",
            per(batch_h)
        );
        outln!(
            "  c/e = {:.2}   b/f = {:.2}",
            floor / floor_h,
            batch_1 / batch_1h
        );
        outln!(
            "  a/b = {:.2}   b/c = {:.3}   d/b = {:.3}",
            naive / batch_1,
            batch_1 / floor,
            batch / batch_1
        );
        // No batch verifier is faster than the floor, so a/c bounds a/b (spec batch.md §7).
        outln!(
            "  a/c = {:.2}: the most a/b can be, for a batch verifier at the floor",
            naive / floor
        );
    }
    0
}

/// Runs the verifier's ballot pipeline over the workload's lines; seconds, or an error if
/// any check failed.
/// With `hints` (one line's hints per line), the hints of each chunk are assembled untimed.
fn pipeline(workload: &Workload, mode: Mode, hints: Option<&[Vec<u8>]>) -> Result<f64, ()> {
    let chunk = saylau::verify::chunk_lines();
    let stride = hints.and_then(|h| h.first()).map_or(0, |h| h.len() / 32);
    let mut chunks = Vec::new();
    let mut lines = workload.numbered_lines();
    let mut first = 0;
    while !lines.is_empty() {
        let rest = lines.split_off(chunk.min(lines.len()));
        let hinted = hints.map(|hints| {
            let end = first + lines.len();
            (hints[first..end].concat(), stride)
        });
        first += lines.len();
        chunks.push((std::mem::replace(&mut lines, rest), hinted));
    }
    let started = Instant::now();
    let mut pipeline = BallotPipeline::new(workload.context(), mode);
    let mut checked = 0;
    let mut failures = 0;
    for (chunk, hints) in chunks {
        checked += pipeline.push_hinted_chunk(chunk, hints);
        failures += pipeline.take_failures().len();
    }
    checked += pipeline.flush();
    failures += pipeline.take_failures().len();
    let totals = pipeline.finish();
    let seconds = started.elapsed().as_secs_f64();
    drop(totals);
    let accepted = failures == 0 && checked == workload.ballots.len() as u64;
    if accepted {
        Ok(seconds)
    } else {
        Err(())
    }
}

/// (c): decompress every encoded point, then one multiscalar multiplication over every term
/// of the ballots' batch equation (the batch's own multiscalar multiplication code). (e) with
/// `hinted`: each point decoded with its hint, computed untimed.
fn floor(workload: &Workload, hinted: bool) -> Result<f64, ()> {
    use saylau::crypto::group::{decompress, decompress_with_hint, invsqrt_hint};
    let mut encoded = Vec::new();
    for ballot in &workload.ballots {
        encoded_points(ballot, &mut encoded);
    }
    let hints: Vec<[u8; 32]> = match hinted {
        true => encoded
            .iter()
            .map(|p| invsqrt_hint(p).unwrap_or([0; 32]))
            .collect(),
        false => Vec::new(),
    };
    let mut batch = EquationBatch::new(Some(*workload.key.element()));
    workload.equations(&mut batch).map_err(|_| ())?;
    let started = Instant::now();
    let mut decoded = 0usize;
    if hinted {
        for (compressed, hint) in encoded.iter().zip(&hints) {
            if let (Some(_), true) = decompress_with_hint(compressed, hint) {
                decoded += 1;
            }
        }
    } else {
        for compressed in &encoded {
            if decompress(compressed).is_some() {
                decoded += 1;
            }
        }
    }
    let sum = batch.weighted_sum();
    let seconds = started.elapsed().as_secs_f64();
    if decoded == encoded.len() && sum.is_some_and(|sum| sum.is_identity()) {
        Ok(seconds)
    } else {
        Err(())
    }
}
