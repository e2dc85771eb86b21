//! `saylau board monitor` (board.md §11.5) against a real demo board on loopback: it verifies
//! the cast ballots, resumes from its state, and exits 1 with evidence on an invalid ballot
//! line and on a checkpoint that does not extend the one it verified.

mod command;
mod vote_board;

use command::*;
use saylau::log::{Checkpoint, SignedCheckpoint};
use serde_json::Value;
use std::path::Path;
use vote_board::{DemoBoard, TempDir};

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `saylau vote … --cast` for voter `voter`; asserts that it succeeded.
fn cast(board: &DemoBoard, voter: u64, choices: [&str; 3], out: &Path) {
    let credential = board.voter(voter);
    let mut args = vec![
        "vote",
        "--board",
        &board.url,
        "--credential",
        &credential,
        "--election",
        &board.fingerprint,
        "--wait",
        "30",
        "--choices",
    ];
    args.extend_from_slice(&choices);
    args.extend_from_slice(&["--cast", "--out", path_str(out)]);
    let output = saylau(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

/// `saylau board monitor URL --state DIR --election F --once --quiet`: (exit code, stdout, stderr).
fn monitor(board: &DemoBoard, state: &Path) -> (Option<i32>, String, String) {
    let output = saylau(&[
        "board",
        "monitor",
        &board.url,
        "--state",
        path_str(state),
        "--election",
        &board.fingerprint,
        "--once",
        "--quiet",
    ]);
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

fn read_state(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("state.json")).expect("state.json"))
        .expect("json")
}

fn write_state(dir: &Path, state: &Value) {
    std::fs::create_dir_all(dir).expect("state folder");
    std::fs::write(dir.join("state.json"), state.to_string()).expect("write state");
}

#[test]
fn the_monitor_verifies_resumes_and_keeps_evidence() {
    let dir = TempDir::new("monitor");
    let board = DemoBoard::start(dir.path(), 3);
    cast(&board, 1, ["1", "2", "2"], &dir.path().join("r1.json"));
    cast(&board, 2, ["3", "3", "2"], &dir.path().join("r2.json"));

    // First run: both ballots verified, the state saved.
    let state = dir.path().join("state");
    let (code, out, err) = monitor(&board, &state);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("2 new ballots verified, 2 in all"), "{out}");
    let saved = read_state(&state);
    assert_eq!(saved["position"], 2);
    assert_eq!(saved["election"], board.fingerprint.as_str());

    // Second run resumes: nothing new to verify, the checkpoint still consistent.
    let (code, out, err) = monitor(&board, &state);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("0 new ballots verified, 2 in all"), "{out}");

    // A third ballot: only it is verified, and the new checkpoint is checked against the old.
    cast(&board, 3, ["4", "2", "1"], &dir.path().join("r3.json"));
    let (code, out, err) = monitor(&board, &state);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("1 new ballots verified, 3 in all"), "{out}");
    let saved = read_state(&state);
    assert!(!dir.path().join("state/evidence-1.txt").exists());

    // A chain link that does not follow: the state says one ballot was verified, with F as its
    // code, so ballot 2's tracking code does not link. Exit 1, evidence naming ballot and position.
    let broken = dir.path().join("broken-chain");
    let mut tampered = saved.clone();
    tampered["position"] = 1.into();
    tampered["tracking_code"] = board.fingerprint.as_str().into();
    write_state(&broken, &tampered);
    let (code, out, err) = monitor(&board, &broken);
    assert_eq!(code, Some(1), "{out}{err}");
    let evidence = std::fs::read_to_string(broken.join("evidence-1.txt")).expect("evidence");
    assert!(evidence.contains("invalid ballot"), "{evidence}");
    assert!(evidence.contains("position: 2"), "{evidence}");
    assert!(evidence.contains("\"tracking_code\""), "{evidence}");
    assert!(
        err.contains("invalid ballot") && err.contains("at position 2"),
        "{err}"
    );

    // A forked log: a checkpoint of the same size signed by the log key over another root (as
    // a board showing another view would sign). Exit 1, evidence with both checkpoints.
    let real_text = saved["checkpoint"]
        .as_str()
        .expect("checkpoint")
        .to_string();
    let origin = real_text.lines().next().expect("origin").to_string();
    let size: u64 = real_text
        .lines()
        .nth(1)
        .expect("size")
        .parse()
        .expect("size");
    let keys = saylau_board::keys::BoardKeys::read(&saylau_board::keys::default_keys_path(
        &dir.path().join("demo/record"),
    ))
    .expect("the demo board's key file");
    let f: [u8; 32] = hex::decode(&board.fingerprint)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let signer = keys.log_signer(&f).expect("log signer");
    let forged = SignedCheckpoint::sign(
        Checkpoint::new(&origin, size, [0xab; 32], Vec::new()).expect("checkpoint"),
        &signer,
    )
    .expect("sign");
    let forged_text = String::from_utf8(forged.note().to_bytes()).expect("utf-8");
    let forked = dir.path().join("forked");
    let mut tampered = saved.clone();
    tampered["checkpoint"] = forged_text.as_str().into();
    write_state(&forked, &tampered);
    let (code, out, err) = monitor(&board, &forked);
    assert_eq!(code, Some(1), "{out}{err}");
    let evidence = std::fs::read_to_string(forked.join("evidence-1.txt")).expect("evidence");
    assert!(evidence.contains("inconsistent log"), "{evidence}");
    assert!(evidence.contains(&forged_text), "{evidence}");
    assert!(evidence.contains(&origin), "{evidence}");
    // Evidence is never overwritten: a second run writes evidence-2.txt.
    let (code, _, _) = monitor(&board, &forked);
    assert_eq!(code, Some(1));
    assert!(forked.join("evidence-2.txt").exists());

    // Another election's fingerprint is refused before anything is verified (exit 2).
    let other = "00".repeat(32);
    let output = saylau(&[
        "board",
        "monitor",
        &board.url,
        "--state",
        path_str(&dir.path().join("other")),
        "--election",
        &other,
        "--once",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}
