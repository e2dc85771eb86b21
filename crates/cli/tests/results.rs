//! `saylau seats` and `saylau winner`: outcomes from plain counts at the command line.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn temp_file(contents: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // A file of its own, not a directory, so removing it after the run leaves nothing behind.
    let name = format!("saylau-rules-{}-{n}.json", std::process::id());
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn saylau(args: &[&str], input: &str) -> Output {
    let path = temp_file(input);
    let out = Command::new(env!("CARGO_BIN_EXE_saylau"))
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    out
}

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Exit code 2 and one line on stderr that contains `needle`.
fn refused(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
}

const SEATS: [&str; 5] = ["seats", "--seats", "10", "--threshold-percent", "5"];

#[test]
fn seats_prints_every_party_in_order() {
    let out = saylau(
        &SEATS,
        r#"{"participants": 1000, "votes": {"Zhol": 600, "Amanat": 300, "Auyl": 50, "Respublica": 49}}"#,
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let order: Vec<usize> = ["Zhol", "Amanat", "Auyl", "Respublica"]
        .iter()
        .map(|n| text.find(n).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(
        json(&out),
        serde_json::json!({
            "seats": {"Zhol": 6, "Amanat": 3, "Auyl": 1, "Respublica": 0},
            "admitted": ["Zhol", "Amanat", "Auyl"],
            "quota": "95/1"
        })
    );
}

#[test]
fn seats_with_a_fractional_threshold_and_cyrillic_names() {
    let out = saylau(
        &["seats", "--seats", "3", "--threshold-percent", "7.25"],
        r#"{"participants": 400, "votes": {"Аманат": 300, "Ақ жол": 29, "Ауыл": 28}}"#,
    );
    assert_eq!(
        json(&out),
        serde_json::json!({
            "seats": {"Аманат": 3, "Ақ жол": 0, "Ауыл": 0},
            "admitted": ["Аманат", "Ақ жол"],
            "quota": "329/3"
        })
    );
}

#[test]
fn winner_and_runoff() {
    let out = saylau(
        &["winner"],
        r#"{"participants": 1000, "votes": {"A": 501, "B": 499}}"#,
    );
    assert_eq!(
        json(&out),
        serde_json::json!({"winner": "A", "runoff": null})
    );
    let out = saylau(
        &["winner"],
        r#"{"participants": 1000, "votes": {"A": 300, "B": 200, "C": 200}, "against_all": 300}"#,
    );
    assert_eq!(
        json(&out),
        serde_json::json!({"winner": null, "runoff": ["A", "B"]})
    );
    let out = saylau(
        &["winner"],
        r#"{"participants": 10, "votes": {"A": 5}, "against_all": 5}"#,
    );
    assert_eq!(
        json(&out),
        serde_json::json!({"winner": null, "runoff": null})
    );
}

#[test]
fn bad_input_exits_with_2() {
    let w = ["winner"];
    refused(
        &saylau(&w, r#"{"participants": 10, "votes": {"A": 5"#),
        "EOF",
    );
    refused(&saylau(&w, "not json"), "expected");
    refused(
        &saylau(&w, r#"{"participants": 10, "votes": {"A": -5}}"#),
        "\"A\": -5 is negative",
    );
    refused(
        &saylau(&w, r#"{"participants": -10, "votes": {"A": 5}}"#),
        "-10 is negative",
    );
    refused(
        &saylau(&w, r#"{"participants": 10, "votes": {"A": 5.5}}"#),
        "not a whole number",
    );
    refused(
        &saylau(
            &w,
            r#"{"participants": 10, "votes": {"A": 5}, "against_all": -1}"#,
        ),
        "-1 is negative",
    );
    refused(
        &saylau(&w, r#"{"participants": 10, "votes": {"A": 11}}"#),
        "\"A\" has 11 votes",
    );
    refused(
        &saylau(&w, r#"{"participants": 10, "votes": {"A": 6, "B": 5}}"#),
        "add up to 11",
    );
    refused(
        &saylau(&w, r#"{"participants": 10, "votes": {}}"#),
        "votes is empty",
    );
    refused(
        &saylau(
            &w,
            r#"{"participants": 10, "votes": {"A": 1, "B": 1, "A": 2}}"#,
        ),
        "\"A\" is listed twice",
    );
    refused(
        &saylau(&w, r#"{"participants": 10, "votes": {"": 1}}"#),
        "empty name",
    );
    refused(
        &saylau(&w, r#"{"votes": {"A": 1}}"#),
        "missing field `participants`",
    );
    refused(
        &saylau(&w, r#"{"participants": 10, "votes": {"A": 1}, "extra": 1}"#),
        "unknown field `extra`",
    );
    refused(
        &saylau(
            &SEATS,
            r#"{"participants": 10, "votes": {"A": 1}, "against_all": 1}"#,
        ),
        "unknown field `against_all`",
    );
    let ok = r#"{"participants": 10, "votes": {"A": 5, "B": 5}}"#;
    refused(
        &saylau(&["seats", "--seats", "0", "--threshold-percent", "5"], ok),
        "seats is 0",
    );
    refused(
        &saylau(
            &["seats", "--seats", "4294967296", "--threshold-percent", "5"],
            ok,
        ),
        "--seats is 4294967296",
    );
    for t in ["101", "100.5"] {
        refused(
            &saylau(&["seats", "--seats", "3", "--threshold-percent", t], ok),
            "outside 0 to 100",
        );
    }
    for t in ["-5", "5%", "abc", "5,5"] {
        let out = saylau(
            &["seats", "--seats", "3", &format!("--threshold-percent={t}")],
            ok,
        );
        refused(&out, "is not a decimal number");
    }
    // Nobody voting for a party is a result, not bad input: no seat, nobody admitted
    // (rules.md §3.2).
    assert_eq!(
        json(&saylau(
            &SEATS,
            r#"{"participants": 10, "votes": {"A": 0, "B": 0}}"#
        )),
        serde_json::json!({"seats": {"A": 0, "B": 0}, "admitted": [], "quota": "0/1"})
    );
}

#[test]
fn missing_file_exits_with_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_saylau"))
        .args(["winner", "/nonexistent/saylau/votes.json"])
        .output()
        .unwrap();
    refused(&out, "cannot read /nonexistent/saylau/votes.json");
    let out = Command::new(env!("CARGO_BIN_EXE_saylau"))
        .args(SEATS)
        .arg("/nonexistent/saylau/votes.json")
        .output()
        .unwrap();
    refused(&out, "cannot read");
}
