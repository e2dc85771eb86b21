//! `saylau vote` and `saylau receipt --board` against a real board on 127.0.0.1
//! (`saylau board serve --demo`): a scripted cast with its receipt and proof, a challenge then a
//! cast (by flags and at the prompt), a wrong fingerprint refused with nothing cast, and the
//! board-side receipt check failing on a tampered receipt file.

mod command;
mod vote_board;

use command::*;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use vote_board::DemoBoard;
use vote_board::TempDir;

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `saylau vote` with `extra` flags; returns (exit code, stdout, stderr).
fn vote(
    board: &DemoBoard,
    voter: u64,
    election: &str,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    let credential = board.voter(voter);
    let mut args = vec![
        "vote",
        "--board",
        &board.url,
        "--credential",
        &credential,
        "--election",
        election,
        "--wait",
        "30",
    ];
    args.extend_from_slice(extra);
    let output = saylau(&args);
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// `saylau vote --choices … --cast --out OUT` for this election; asserts that it succeeded.
fn cast(board: &DemoBoard, voter: u64, choices: [&str; 3], out: &Path) {
    let mut extra = vec!["--choices"];
    extra.extend_from_slice(&choices);
    extra.extend_from_slice(&["--cast", "--out", path_str(out)]);
    let (code, _, stderr) = vote(board, voter, &board.fingerprint, &extra);
    assert_eq!(code, Some(0), "{stderr}");
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// `saylau receipt --board` on a saved file; returns (exit code, stdout).
fn check(board: &DemoBoard, receipt: &Path, json: bool) -> (Option<i32>, String) {
    let mut args = vec![
        "receipt",
        "--board",
        &board.url,
        "--receipt",
        path_str(receipt),
        "--election",
        &board.fingerprint,
    ];
    if json {
        args.push("--json");
    }
    let output = saylau(&args);
    (
        output.status.code(),
        text(&output.stdout) + &text(&output.stderr),
    )
}

#[test]
fn scripted_cast_then_receipt_check_on_the_board() {
    let dir = TempDir::new("vote-cast");
    let board = DemoBoard::start(dir.path(), 4);
    let out = dir.path().join("receipt.json");
    let (code, stdout, stderr) = vote(
        &board,
        1,
        &board.fingerprint,
        &[
            "--lang",
            "en",
            "--choices",
            "2",
            "1",
            "1",
            "--cast",
            "--out",
            path_str(&out),
        ],
    );
    assert_eq!(code, Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("Bolat Sadykov"),
        "the ballot is shown in English: {stdout}"
    );
    let shown_hash = stdout
        .lines()
        .find_map(|l| l.strip_prefix("ballot hash: "))
        .expect("the device shows the ballot hash")
        .to_string();

    let saved = read_json(&out);
    assert_eq!(saved["receipt"]["ballot_hash"], shown_hash.as_str());
    assert_eq!(saved["receipt"]["election"], board.fingerprint.as_str());
    assert_eq!(saved["receipt"]["leaf_index"], 0);
    assert_eq!(saved["board"], board.url.as_str());
    assert!(
        saved["checkpoint"]
            .as_str()
            .is_some_and(|c| c.contains("/saylau/")),
        "{saved}"
    );
    assert!(saved["inclusion"].is_array(), "{saved}");
    // The short form (board.md §2.1): in the file and on the screen.
    let mut code_bytes = [0u8; 32];
    hex::decode_to_slice(
        saved["receipt"]["tracking_code"].as_str().expect("code"),
        &mut code_bytes,
    )
    .expect("hex");
    let short = saylau::election::ShortCode::of(&code_bytes).to_string();
    assert_eq!(saved["short_code"], short.as_str(), "{saved}");
    assert!(
        stdout.contains(&format!("tracking code {short}")),
        "{stdout}"
    );

    let (code, report) = check(&board, &out, false);
    assert_eq!(code, Some(0), "{report}");
    for line in [
        "ok   election",
        "ok   signature",
        "ok   checkpoint",
        "ok   inclusion",
        "ok   consistency",
        "not checked here",
        "result: ok",
    ] {
        assert!(report.contains(line), "expected {line:?} in:\n{report}");
    }
    let (code, report) = check(&board, &out, true);
    assert_eq!(code, Some(0), "{report}");
    let report: Value = serde_json::from_str(report.trim()).expect("one JSON report");
    assert_eq!(report["passed"], true);
    assert!(
        report["bytes"]
            .as_u64()
            .is_some_and(|b| b > 0 && b < 64 * 1024),
        "{report}"
    );

    // The same credential again: a revote gets the next position, and its own proof.
    let again = dir.path().join("receipt-2.json");
    cast(&board, 1, ["1", "2", "2"], &again);
    assert_eq!(read_json(&again)["receipt"]["position"], 2);
    // The first receipt still checks, now with a consistency proof to a larger tree.
    let (code, report) = check(&board, &out, false);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn a_tampered_receipt_file_fails_on_the_board() {
    let dir = TempDir::new("vote-tamper");
    let board = DemoBoard::start(dir.path(), 2);
    let out = dir.path().join("receipt.json");
    cast(&board, 1, ["3", "3", "2"], &out);
    let saved = read_json(&out);

    let write = |name: &str, value: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(value).expect("json")).expect("write");
        path
    };
    // The position the board signed.
    let mut moved = saved.clone();
    moved["receipt"]["position"] = Value::from(7);
    let (code, report) = check(&board, &write("moved.json", &moved), false);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("FAIL signature"), "{report}");
    // The checkpoint the device saw: its root altered, so the log key's signature fails.
    let mut seen = saved.clone();
    let text = saved["checkpoint"]
        .as_str()
        .expect("checkpoint")
        .to_string();
    let lines: Vec<&str> = text.split('\n').collect();
    let root = lines[2];
    let flipped = if root.starts_with('A') {
        root.replacen('A', "B", 1)
    } else {
        format!("A{}", &root[1..])
    };
    seen["checkpoint"] = Value::from(text.replacen(root, &flipped, 1));
    let (code, report) = check(&board, &write("seen.json", &seen), false);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("FAIL consistency"), "{report}");
    // A short code that is not the receipt's: the file is refused as it is read.
    let mut short = saved.clone();
    short["short_code"] = Value::from("0000-0000-0000-0000");
    let (code, report) = check(&board, &write("short.json", &short), false);
    assert_ne!(code, Some(0), "{report}");
    assert!(report.contains("short_code"), "{report}");
    // The receipt of another election.
    let mut other = saved.clone();
    other["receipt"]["election"] = Value::from("11".repeat(32));
    let (code, report) = check(&board, &write("other.json", &other), false);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("FAIL election"), "{report}");
}

#[test]
fn challenge_then_cast() {
    let dir = TempDir::new("vote-challenge");
    let board = DemoBoard::start(dir.path(), 3);
    // By flags: a challenge publishes the opening and stops; the next run casts.
    let (code, stdout, stderr) = vote(
        &board,
        1,
        &board.fingerprint,
        &["--choices", "4", "2", "1", "--challenge"],
    );
    assert_eq!(code, Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("challenged: the board published ballot"),
        "{stdout}"
    );
    let out = dir.path().join("receipt.json");
    cast(&board, 1, ["4", "2", "1"], &out);
    let saved = read_json(&out);
    // The challenged ballot took leaf 0: the cast one is leaf 1 but the first cast position.
    assert_eq!(saved["receipt"]["leaf_index"], 1);
    assert_eq!(saved["receipt"]["position"], 1);
    let (code, report) = check(&board, &out, false);
    assert_eq!(code, Some(0), "{report}");

    // At the prompt: an invalid answer, a challenge, the device starts over, then a cast.
    let out = dir.path().join("receipt-prompt.json");
    let credential = board.voter(2);
    let mut child = Command::new(saylau_binary())
        .args(["vote", "--board", &board.url, "--credential", &credential])
        .args([
            "--election",
            &board.fingerprint,
            "--lang",
            "ru",
            "--out",
            path_str(&out),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run saylau vote");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"9\n1\n1\n2\nchallenge\n1\n1\n2\ncast\n")
        .expect("answers");
    let output = child.wait_with_output().expect("vote ends");
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("there is no option 9"), "{stdout}");
    assert!(
        stdout.contains("Айгерим Нурланова"),
        "the ballot is shown in Russian: {stdout}"
    );
    assert!(stdout.contains("starting over"), "{stdout}");
    assert_eq!(stdout.matches("ballot hash: ").count(), 2, "{stdout}");
    assert_eq!(read_json(&out)["receipt"]["position"], 2);
}

#[test]
fn a_wrong_fingerprint_is_refused_and_nothing_is_cast() {
    let dir = TempDir::new("vote-wrong-f-board");
    let board = DemoBoard::start(dir.path(), 2);
    let mut wrong = hex::decode(&board.fingerprint).expect("hex");
    wrong[31] ^= 0x80;
    let out = dir.path().join("receipt.json");
    let (code, stdout, stderr) = vote(
        &board,
        1,
        &hex::encode(wrong),
        &[
            "--choices",
            "1",
            "1",
            "1",
            "--cast",
            "--out",
            path_str(&out),
        ],
    );
    assert_eq!(code, Some(1), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("refusing to encrypt"), "{stderr}");
    assert!(!stdout.contains("ballot hash"), "{stdout}");
    assert!(!out.exists());
    // Nothing reached the board: the next ballot is the first.
    cast(&board, 2, ["1", "1", "1"], &out);
    assert_eq!(read_json(&out)["receipt"]["leaf_index"], 0);
}
