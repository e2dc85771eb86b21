//! `saylau receipt`: a voter's checks on the published record (spec `board.md` §3.3), or on
//! the live board with `--board` (spec `device.md` §4).

use saylau::crypto::digest::Hash;
use saylau::election::SavedReceipt;
use saylau::record::{Record, RecordError};
use saylau::verify::receipt::{self, CastReport, ChallengedReport, ReceiptCheck, Verdict};
use std::path::PathBuf;

/// Arguments of `saylau receipt`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("ballot").required(true).args(["receipt", "tracking_code", "challenged"])))]
pub struct ReceiptArgs {
    /// The election record directory (the offline checks; give it or --board).
    #[arg(required_unless_present = "board")]
    pub dir: Option<PathBuf>,
    /// Check a cast ballot's receipt file (written by `saylau vote`) on the live board at this
    /// URL instead: signature, inclusion proof, consistency with what the device saw.
    #[arg(long, conflicts_with_all = ["dir", "tracking_code", "challenged"], requires = "receipt")]
    pub board: Option<String>,
    /// With --board: the election fingerprint you hold from outside the board (your credential
    /// letter), compared with the receipt's.
    #[arg(long, requires = "board", value_parser = parse_hash)]
    pub election: Option<Hash>,
    /// With --board: a PEM file of certificates to trust for an https board with its own CA.
    #[arg(long, requires = "board")]
    pub ca: Option<PathBuf>,
    /// A cast ballot: the receipt file your device saved (JSON, board.md §3.4), or the bare
    /// receipt the board signed (board.md §3.1).
    #[arg(long)]
    pub receipt: Option<PathBuf>,
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
    #[arg(long, value_parser = super::election::LANGUAGES)]
    pub lang: Option<String>,
    /// Print a machine-readable report.
    #[arg(long)]
    pub json: bool,
}

pub fn parse_hash(text: &str) -> Result<Hash, String> {
    let bytes = hex::decode(text.trim()).map_err(|_| "expected 64 hex characters".to_string())?;
    bytes
        .try_into()
        .map_err(|_| "expected 64 hex characters (32 bytes)".to_string())
}

/// What `saylau receipt` prints of a report.
struct Shown {
    passed: bool,
    json: serde_json::Result<String>,
    header: String,
    checks: Vec<ReceiptCheck>,
    /// A challenged ballot's choices, a line per contest (empty for a cast ballot).
    choices: Vec<String>,
}

fn shown_cast(report: CastReport) -> Shown {
    let header = match report.line {
        Some(line) => format!(
            "receipt {}: ballots.jsonl line {line}, {} ballots on the board",
            report.tracking_code, report.board_size
        ),
        None => format!("receipt {}: not found", report.tracking_code),
    };
    Shown {
        passed: report.passed(),
        json: serde_json::to_string_pretty(&report),
        header,
        checks: report.checks,
        choices: Vec::new(),
    }
}

fn shown_challenged(report: ChallengedReport) -> Shown {
    let choices = report
        .choices
        .iter()
        .map(|contest| {
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
            format!("  {}: {chosen}", contest.contest)
        })
        .collect();
    Shown {
        passed: report.passed(),
        json: serde_json::to_string_pretty(&report),
        header: format!("challenged ballot {}", report.ballot_hash),
        checks: report.checks,
        choices,
    }
}

/// Runs `saylau receipt`: 0 when no check failed, 1 when one did, 2 when the record cannot be
/// read.
pub fn receipt(args: ReceiptArgs) -> i32 {
    if let (Some(url), Some(path)) = (&args.board, &args.receipt) {
        return on_board(&args, url, path);
    }
    let Some(dir) = args.dir.clone() else {
        return unreadable(&"give the record directory, or --board URL --receipt FILE");
    };
    if let Some(path) = &args.receipt {
        let receipt = match saylau::record::read_bounded(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| SavedReceipt::from_json(&bytes).map_err(|e| e.to_string()))
        {
            Ok(receipt) => receipt,
            Err(error) => {
                return unreadable(&format!(
                    "{}: not a readable receipt: {error}",
                    path.display()
                ))
            }
        };
        return show(
            &args,
            receipt::check_saved_receipt(&Record::at(&dir), &receipt).map(shown_cast),
        );
    }
    let shown = match (&args.tracking_code, &args.challenged) {
        (Some(code), _) => {
            receipt::check_cast(&Record::at(&dir), code, args.ballot_hash.as_ref()).map(shown_cast)
        }
        (None, Some(hash)) => {
            receipt::check_challenged(&Record::at(&dir), hash, args.lang.as_deref())
                .map(shown_challenged)
        }
        // clap requires one of the three.
        (None, None) => return unreadable(&"give --receipt, --tracking-code or --challenged"),
    };
    show(&args, shown)
}

/// Prints a report; the exit code of `saylau receipt`.
fn show(args: &ReceiptArgs, shown: Result<Shown, RecordError>) -> i32 {
    let shown = match shown {
        Ok(shown) => shown,
        Err(error) => return unreadable(&error),
    };
    if args.json {
        match &shown.json {
            Ok(text) => outln!("{text}"),
            Err(error) => return unreadable(error),
        }
    } else {
        outln!("{}", shown.header);
        print_checks(&shown.checks);
        if !shown.choices.is_empty() {
            outln!("what the device encrypted:");
            for line in &shown.choices {
                outln!("{line}");
            }
        }
        outln!("{}", verdict_line(shown.passed, &shown.checks));
    }
    if shown.passed {
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

/// `saylau receipt --board URL --receipt FILE`: 0 when every check passed, 1 when one failed, 2
/// when the file or the board could not be read at all, 3 when every check passed but the
/// proof is pending (no checkpoint with the witness policy's quorum yet: ask again later).
fn on_board(args: &ReceiptArgs, url: &str, path: &std::path::Path) -> i32 {
    let saved = match crate::client::saved::read(path) {
        Ok(saved) => saved,
        Err(error) => return unreadable(&format!("not a readable receipt file: {error}")),
    };
    let board = match crate::client::Board::new(url, args.ca.as_deref()) {
        Ok(board) => board,
        Err(error) => return unreadable(&error),
    };
    let report = crate::client::check::check_on_board(
        &board,
        &saved,
        args.election.as_ref(),
        std::time::Duration::from_secs(10),
    );
    let passed = report.passed();
    if args.json {
        let value = serde_json::json!({
            "board": board.url(),
            "passed": passed,
            "pending": report.pending,
            "checks": report.checks,
            "not_checked": crate::client::check::NOT_CHECKED,
            "bytes": report.bytes,
            "ms": report.elapsed.as_secs_f64() * 1000.0,
        });
        outln!("{value}");
    } else {
        outln!(
            "receipt {} on {}",
            hex::encode(saved.receipt.tracking_code),
            board.url()
        );
        if let Some(cast_to) = &saved.board {
            if cast_to.trim_end_matches('/') != board.url() {
                outln!(
                    "NOTE your device cast to {cast_to}, this check asks {}",
                    board.url()
                );
            }
        }
        print_checks(&report.checks);
        outln!("not checked here:");
        for line in crate::client::check::NOT_CHECKED {
            outln!("  - {line}");
        }
        outln!(
            "{} bytes from the board in {:.0} ms",
            report.bytes,
            report.elapsed.as_secs_f64() * 1000.0
        );
        if passed && report.pending {
            outln!("result: proof pending: your ballot is on the board's signed log, but not yet in a checkpoint cosigned by enough witnesses; ask again in a minute");
        } else {
            outln!("{}", verdict_line(passed, &report.checks));
        }
    }
    match (passed, report.pending) {
        (true, false) => 0,
        (true, true) => 3,
        (false, _) => 1,
    }
}
