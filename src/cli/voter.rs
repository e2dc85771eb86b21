//! `saylau receipt`: a voter's checks on the published record (spec `board.md` §3.3).

use saylau::digest::Hash;
use saylau::receipt::{self, ReceiptCheck, Verdict};
use std::path::PathBuf;

/// Arguments of `saylau receipt`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("ballot").required(true).args(["tracking_code", "challenged"])))]
pub struct ReceiptArgs {
    /// The election record directory.
    pub dir: PathBuf,
    /// A cast ballot: the tracking code on your receipt (64 hex characters).
    #[arg(long, value_parser = parse_hash)]
    pub tracking_code: Option<Hash>,
    /// With --tracking-code: the ballot hash the device showed before you cast.
    #[arg(long, value_parser = parse_hash, requires = "tracking_code")]
    pub ballot_hash: Option<Hash>,
    /// A challenged ballot: the ballot hash the device showed before you challenged it.
    #[arg(long, value_parser = parse_hash)]
    pub challenged: Option<Hash>,
    /// Language of the labels of a challenged ballot's choices: kk, ru or en (else the
    /// manifest's first language).
    #[arg(long)]
    pub lang: Option<String>,
    /// Print a machine-readable report.
    #[arg(long)]
    pub json: bool,
}

fn parse_hash(text: &str) -> Result<Hash, String> {
    let bytes = hex::decode(text.trim()).map_err(|_| "expected 64 hex characters".to_string())?;
    bytes
        .try_into()
        .map_err(|_| "expected 64 hex characters (32 bytes)".to_string())
}

/// Runs `saylau receipt`: 0 when no check failed, 1 when one did, 2 when the record cannot be
/// read.
pub fn receipt(args: ReceiptArgs) -> i32 {
    let (passed, json, checks, extra) = match (&args.tracking_code, &args.challenged) {
        (Some(code), _) => match receipt::check_cast(&args.dir, code, args.ballot_hash.as_ref()) {
            Ok(report) => {
                let header = match report.line {
                    Some(line) => format!(
                        "receipt {}: ballots.jsonl line {line}, {} ballots on the board",
                        report.tracking_code, report.board_size
                    ),
                    None => format!("receipt {}: not found", report.tracking_code),
                };
                (
                    report.passed(),
                    serde_json::to_string_pretty(&report),
                    report.checks,
                    vec![header],
                )
            }
            Err(error) => return unreadable(&error),
        },
        (None, Some(hash)) => {
            match receipt::check_challenged(&args.dir, hash, args.lang.as_deref()) {
                Ok(report) => {
                    let mut lines = vec![format!("challenged ballot {}", report.ballot_hash)];
                    for contest in &report.choices {
                        let chosen: Vec<String> = contest
                            .chosen
                            .iter()
                            .map(|choice| match choice.value {
                                1 => choice.label.clone(),
                                value => format!("{} ({value})", choice.label),
                            })
                            .collect();
                        let chosen = if chosen.is_empty() {
                            "(nothing)".to_string()
                        } else {
                            chosen.join(", ")
                        };
                        lines.push(format!("  {}: {chosen}", contest.contest));
                    }
                    (
                        report.passed(),
                        serde_json::to_string_pretty(&report),
                        report.checks,
                        lines,
                    )
                }
                Err(error) => return unreadable(&error),
            }
        }
        // clap requires one of --tracking-code and --challenged.
        (None, None) => return unreadable(&"give --tracking-code or --challenged"),
    };
    if args.json {
        match json {
            Ok(text) => outln!("{text}"),
            Err(error) => return unreadable(&error),
        }
    } else {
        outln!("{}", extra[0]);
        print_checks(&checks);
        if extra.len() > 1 {
            outln!("what the device encrypted:");
            for line in &extra[1..] {
                outln!("{line}");
            }
        }
        outln!("{}", verdict_line(passed, &checks));
    }
    if passed {
        0
    } else {
        1
    }
}

fn print_checks(checks: &[ReceiptCheck]) {
    for check in checks {
        let mark = match check.verdict {
            Verdict::Passed => "ok  ",
            Verdict::Failed => "FAIL",
            Verdict::Notice => "NOTE",
        };
        outln!("{mark} {:<12} {}", check.name, check.detail);
    }
}

/// The one-line outcome: what failed, or whether notes need reading.
fn verdict_line(passed: bool, checks: &[ReceiptCheck]) -> String {
    let named = |verdict: Verdict| -> Vec<&str> {
        checks
            .iter()
            .filter(|check| check.verdict == verdict)
            .map(|check| check.name)
            .collect()
    };
    let failed = named(Verdict::Failed);
    let notes = named(Verdict::Notice);
    if !passed {
        format!(
            "result: FAILED ({}): keep this output and your receipt, and report it",
            failed.join(", ")
        )
    } else if notes.is_empty() {
        "result: ok".to_string()
    } else {
        format!("result: ok, read the notes ({})", notes.join(", "))
    }
}

fn unreadable(error: &dyn std::fmt::Display) -> i32 {
    eprintln!("saylau receipt: {error}");
    2
}
