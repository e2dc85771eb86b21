//! `saylau receipt` at the command line: exit codes follow the verdicts, and a receipt file is
//! checked.

mod command;
#[path = "../../../tests/common/mod.rs"]
mod common;

use command::*;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| Template::demo(60, 11, 0))
}

/// The last line `saylau receipt` printed starts with `expected`.
#[track_caller]
fn assert_result(output: &std::process::Output, expected: &str) {
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.lines()
            .last()
            .is_some_and(|line| line.starts_with(expected)),
        "{text}"
    );
}

#[test]
fn the_command_line_exit_codes_follow_the_verdicts() {
    let dir = template().instantiate("receipt-cli");
    let lines = board(dir.path());
    let (last, _) = last_and_superseded(&lines);
    let run = |args: &[&str]| {
        std::process::Command::new(saylau_binary())
            .arg("receipt")
            .arg(dir.path())
            .args(args)
            .output()
            .expect("run saylau receipt")
    };
    let code = lines[last]["tracking_code"].as_str().unwrap();
    let shown = lines[last]["ballot_hash"].as_str().unwrap();
    let output = run(&["--tracking-code", code, "--ballot-hash", shown]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(&format!("ballots.jsonl line {}", last + 1)),
        "{text}"
    );
    assert_eq!(text.lines().last(), Some("result: ok"), "{text}");
    let mut wrong = code.to_string();
    wrong.replace_range(0..2, if code.starts_with("00") { "11" } else { "00" });
    let output = run(&["--tracking-code", &wrong]);
    assert_eq!(output.status.code(), Some(1));
    assert_result(&output, "result: FAILED (on-board)");
    assert_eq!(run(&["--tracking-code", "xyz"]).status.code(), Some(2));
    let json = run(&["--tracking-code", code, "--json"]);
    let value: Value = serde_json::from_slice(&json.stdout).expect("JSON report");
    assert_eq!(value["line"], Value::from(last as u64 + 1));
}

#[test]
fn the_command_line_checks_a_receipt_file() {
    let dir = template().instantiate("receipt-file-cli");
    let file = dir.path().join(saylau::sim::demo::EXAMPLE_RECEIPT);
    let run = |file: &Path| {
        std::process::Command::new(saylau_binary())
            .arg("receipt")
            .arg(dir.path())
            .arg("--receipt")
            .arg(file)
            .output()
            .expect("run saylau receipt")
    };
    let output = run(&file);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("ok   signature"), "{text}");
    // The saved file carries a checkpoint and an inclusion proof (board.md §3.4).
    assert!(text.contains("ok   inclusion"), "{text}");
    assert!(text.contains("ok   log"), "{text}");
    let mut value: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    // The bare receipt is read too; without a proof, inclusion is a notice.
    let bare = dir.path().join("bare-receipt.json");
    std::fs::write(&bare, serde_json::to_vec(&value["receipt"]).unwrap()).unwrap();
    let output = run(&bare);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("ok   inclusion"),
        "{output:?}"
    );
    value["receipt"]["position"] = Value::from(7);
    std::fs::write(&file, serde_json::to_vec(&value).unwrap()).unwrap();
    let output = run(&file);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_result(&output, "result: FAILED (signature, position)");
    std::fs::write(&file, b"{\"version\":1}").unwrap();
    let output = run(&file);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not a readable receipt"),
        "{output:?}"
    );
}
