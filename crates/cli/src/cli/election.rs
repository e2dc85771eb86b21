//! `saylau demo`, `saylau verify` and `saylau manifest`: the main job (its flags and what it
//! prints; the election itself is run by [`super::demo`]), the researcher's verifier, and the
//! commission's election definition.

use super::progress;
use saylau::manifest::Manifest;
use saylau::record::{self, Record};
use saylau::rules::{Decision, Outcome};
use saylau::sim::demo::DemoConfig;
use saylau::verify::{self, Mode, Status};
use std::path::PathBuf;

/// The languages of saylau's texts; any other `--lang` is refused rather than silently shown in
/// English.
pub const LANGUAGES: [&str; 3] = ["kk", "ru", "en"];

/// Arguments of `saylau demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Registered voters (about 92% of them vote); at most 20,000,000, since the simulated
    /// voters' credentials are held in memory.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=20_000_000))]
    pub voters: u64,
    /// Trustees in the key ceremony.
    #[arg(long, default_value_t = 5)]
    pub trustees: u32,
    /// Trustees needed to decrypt.
    #[arg(long, default_value_t = 3)]
    pub threshold: u32,
    /// Trustees who do not take part in decryption.
    #[arg(long, default_value_t = 0)]
    pub absent: u32,
    /// Seed for a reproducible run.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where to write the election record.
    #[arg(long, default_value = "election-record")]
    pub out: PathBuf,
    /// Language of the printed results and the chart: kk, ru or en.
    #[arg(long, default_value = "en", value_parser = LANGUAGES)]
    pub lang: String,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Cast the simulated voters into this record, started by `saylau ceremony finish`, and
    /// publish tally.json for the trustees, instead of running a whole election.
    #[arg(long, conflicts_with_all = ["trustees", "threshold", "absent", "out"])]
    pub record: Option<PathBuf>,
}

/// Arguments of `saylau verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The election record directory.
    pub dir: PathBuf,
    /// Print a machine-readable report with one entry per numbered check.
    #[arg(long)]
    pub json: bool,
    /// Check every equation of every ballot proof on its own, with no batching and no random
    /// weights: the textbook reference verifier (slower; same outcome).
    #[arg(long)]
    pub one_by_one: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `saylau manifest` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum ManifestCommand {
    /// Print the default manifest as JSON, to edit for a real election.
    Example,
    /// Validate a manifest file and explain every problem.
    Check {
        /// The manifest JSON file.
        file: PathBuf,
    },
}

/// Runs `saylau demo`.
pub fn demo(args: DemoArgs) -> i32 {
    if let Some(dir) = &args.record {
        return match super::demo::run_on_record(
            dir,
            args.voters,
            args.seed,
            &progress::terminal(!args.quiet),
        ) {
            Ok(voting) => {
                outln!(
                    "{} ballots cast ({} voters took part, {} abstained, {} revotes, {} challenged); seed {}.",
                    voting.cast.cast,
                    voting.participants,
                    voting.cast.abstained,
                    voting.cast.revoted,
                    voting.cast.challenged,
                    voting.seed
                );
                outln!(
                    "tally.json published. Next: t trustees run `saylau trustee decrypt --key DIR --record {}`, then `saylau tally finish --record {}`.",
                    dir.display(),
                    dir.display()
                );
                0
            }
            Err(error) => {
                eprintln!("saylau demo: {error}");
                1
            }
        };
    }
    let config = DemoConfig {
        voters: args.voters,
        trustees: args.trustees,
        threshold: args.threshold,
        absent: args.absent,
        seed: args.seed,
        out: args.out,
        progress: progress::terminal(!args.quiet),
    };
    let started = std::time::Instant::now();
    let outcome = match super::demo::run(&config) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("saylau demo: {error}");
            return 1;
        }
    };
    let manifest = &outcome.manifest;
    let lang = Some(args.lang.as_str());
    outln!("{}", manifest.label_in(&manifest.title, lang));
    outln!(
        "  voters: {} registered, {} took part ({} abstained); {} ballots cast, {} revotes, {} challenged",
        outcome.results.eligible, outcome.results.participants, outcome.cast.abstained, outcome.cast.cast, outcome.cast.revoted, outcome.cast.challenged
    );
    outln!(
        "  trustees: {} of {} decrypted (threshold {}); shares used: {:?}",
        config.trustees - config.absent,
        config.trustees,
        config.threshold,
        outcome.results.trustees_used
    );
    for (contest, result) in manifest.contests.iter().zip(&outcome.results.contests) {
        outln!();
        outln!("{}", manifest.label_in(&contest.title, lang));
        let seats = match &result.outcome {
            Some(Outcome::Proportional(p)) => Some(p),
            _ => None,
        };
        for (option, count) in contest.options.iter().zip(&result.counts) {
            let share = if outcome.results.participants > 0 {
                100.0 * *count as f64 / outcome.results.participants as f64
            } else {
                0.0
            };
            let seat_text = seats
                .and_then(|s| s.seats_of(&option.id))
                .map(|n| format!("  {n:>3} seats"))
                .unwrap_or_default();
            outln!(
                "  {:<44} {:>8} {:>6.2}%{}",
                manifest.label_in(&option.label, lang),
                count,
                share,
                seat_text
            );
        }
        let label_of = |id: &str| {
            contest
                .options
                .iter()
                .find(|o| o.id == id)
                .map(|o| manifest.label_in(&o.label, lang).to_string())
                .unwrap_or_else(|| id.to_string())
        };
        match &result.outcome {
            Some(Outcome::Majoritarian(m)) => match &m.decision {
                Decision::Elected(id) => outln!("  → elected: {}", label_of(id)),
                Decision::Runoff([a, b]) => outln!(
                    "  → no majority: runoff between {} and {}",
                    label_of(a),
                    label_of(b)
                ),
                Decision::NoWinner => outln!("  → no winner"),
            },
            Some(Outcome::Proportional(p)) => outln!(
                "  → {} seats, quota {}, admitted: {}",
                p.seats,
                p.quota,
                p.admitted().map(label_of).collect::<Vec<_>>().join(", ")
            ),
            Some(Outcome::Referendum(r)) => outln!(
                "  → {} ({})",
                if r.approved {
                    "approved"
                } else {
                    "not approved"
                },
                if r.valid {
                    "turnout above the quorum"
                } else {
                    "turnout below the quorum: invalid"
                }
            ),
            None => {}
        }
    }
    let svg = saylau::tally::results::chart(manifest, &outcome.results, lang);
    if let Err(error) = record::write_atomically(&outcome.dir, "results.svg", svg.as_bytes()) {
        eprintln!("saylau demo: {error}");
        return 1;
    }
    outln!();
    outln!(
        "record: {} (seed {}, {:.1} s)",
        outcome.dir.display(),
        outcome.seed,
        started.elapsed().as_secs_f64()
    );
    outln!("record root: {}", hex::encode(outcome.root));
    outln!("verify it:   saylau verify {}", outcome.dir.display());
    // A voter's signed receipt to try the voter's check with (spec board.md §3.1, §3.3).
    if outcome.cast.first_receipt.is_some() {
        outln!(
            "a voter's receipt: saylau receipt {} --receipt {}",
            outcome.dir.display(),
            outcome
                .dir
                .join(saylau::sim::demo::EXAMPLE_RECEIPT)
                .display()
        );
    }
    0
}

/// Runs `saylau verify`.
pub fn verify(args: VerifyArgs) -> i32 {
    if !args.dir.is_dir() {
        eprintln!("saylau verify: {} is not a directory", args.dir.display());
        return 2;
    }
    let options = verify::Options {
        mode: if args.one_by_one {
            Mode::OneByOne
        } else {
            Mode::Batch
        },
        progress: progress::terminal(!args.quiet && !args.json),
    };
    let started = std::time::Instant::now();
    let report = verify::verify_record(&Record::at(&args.dir), options);
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => outln!("{text}"),
            Err(error) => {
                eprintln!("saylau verify: {error}");
                return 2;
            }
        }
    } else {
        for check in &report.checks {
            let mark = match check.status {
                Status::Passed => "ok  ",
                Status::Failed => "FAIL",
                Status::NotRun => "SKIP",
            };
            outln!(
                "{mark} {:>2}. {} ({} checked)",
                check.id,
                check.name,
                check.items
            );
            for failure in &check.failures {
                outln!("       {}: {}", failure.culprit, failure.detail);
            }
            if check.more_failures > 0 {
                outln!("       ... and {} more", check.more_failures);
            }
            for note in &check.notes {
                outln!("       note: {note}");
            }
        }
        if let Some(root) = &report.record_root {
            outln!("record root: {root}");
        }
        // Spec batch.md §8.3: hints change the speed, never a verdict.
        outln!(
            "fast path: {} points decoded with hints/ballots.bin",
            report.hinted_points
        );
        let failed: Vec<String> = report.failed().map(|c| c.id.to_string()).collect();
        if report.verified {
            outln!(
                "verified: every check passed ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        } else {
            outln!("NOT VERIFIED: checks {} did not pass", failed.join(", "));
        }
    }
    if report.verified {
        0
    } else {
        1
    }
}

/// Runs `saylau manifest`.
pub fn manifest(command: ManifestCommand) -> i32 {
    match command {
        ManifestCommand::Example => match serde_json::to_string_pretty(&Manifest::example()) {
            Ok(text) => {
                outln!("{text}");
                0
            }
            Err(error) => {
                eprintln!("saylau manifest example: {error}");
                2
            }
        },
        ManifestCommand::Check { file } => {
            let bytes = match saylau::record::read_bounded(&file) {
                Ok(bytes) => bytes,
                Err(error) => {
                    eprintln!("saylau manifest check: {}: {error}", file.display());
                    return 2;
                }
            };
            let name = file.display().to_string();
            let manifest: Manifest = match record::decode_json(&name, None, &bytes) {
                Ok(manifest) => manifest,
                Err(error) => {
                    eprintln!("{error}");
                    return 1;
                }
            };
            let problems = manifest.check();
            if problems.is_empty() {
                outln!(
                    "{name}: valid ({} contests); manifest hash {}",
                    manifest.contests.len(),
                    hex::encode(Manifest::hash_bytes(&bytes))
                );
                0
            } else {
                for problem in &problems {
                    eprintln!("{name}: {problem}");
                }
                eprintln!("{name}: {} problem(s)", problems.len());
                1
            }
        }
    }
}
