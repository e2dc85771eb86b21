//! `saylau board load` on a small board on 127.0.0.1: every ballot accepted, every receipt's
//! inclusion proof verified, and the one JSON line the issue names.

mod command;
mod vote_board;

use command::*;
use serde_json::Value;
use vote_board::DemoBoard;
use vote_board::TempDir;

#[test]
fn load_casts_every_ballot_and_verifies_every_receipt() {
    let dir = TempDir::new("load");
    let board = DemoBoard::start(dir.path(), 24);
    let output = saylau(&[
        "board",
        "load",
        "--credentials",
        board.credentials.to_str().expect("utf-8"),
        "--voters",
        "24",
        "--concurrency",
        "4",
        "--json",
        "--lookups",
        &board.url,
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line: {stdout}");
    let report: Value = serde_json::from_str(lines[0]).expect("JSON");
    assert_eq!(report["ballots"], 24);
    assert_eq!(report["accepted"], 24);
    assert_eq!(report["receipts_verified"], 24);
    assert_eq!(report["lookups_ok"], 24);
    for key in ["per_s", "p50_ms", "p99_ms", "lookups_per_s"] {
        assert!(
            report[key].as_f64().is_some_and(|v| v > 0.0),
            "{key}: {report}"
        );
    }

    // More voters than credentials: refused before anything is prepared or cast.
    let output = saylau(&[
        "board",
        "load",
        "--credentials",
        board.credentials.to_str().expect("utf-8"),
        "--voters",
        "30",
        "--concurrency",
        "2",
        &board.url,
    ]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "only 24 credentials: {}",
        text(&output.stdout)
    );
    assert!(
        text(&output.stderr).contains("fewer than --voters 30"),
        "{}",
        text(&output.stderr)
    );
}
