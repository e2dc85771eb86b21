//! The command line end to end, as README's first commands run it: `saylau demo` then
//! `saylau verify`, with all trustees and with `--absent 2`; the demo's refusal to overwrite
//! foreign files; `saylau manifest example` piped into `saylau manifest check`.

mod command;
#[path = "../../../tests/common/mod.rs"]
mod common;

use command::*;
use common::*;

use saylau::record::{self, ElectionInfo};
use saylau::tally::results::Results;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Runs the demo into `out` and returns its standard output.
#[track_caller]
fn demo(out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["demo", "--voters", "30", "--seed", "7", "--quiet", "--out"];
    args.push(path_str(out));
    args.extend_from_slice(extra);
    let output = saylau(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "demo failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Runs `saylau verify` and returns (exit code, stdout).
fn verify_cli(dir: &Path) -> (Option<i32>, String) {
    let output = saylau(&["verify", path_str(dir), "--quiet"]);
    (output.status.code(), text(&output.stdout))
}

fn printed_root(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("record root: "))
        .expect("the demo prints the record root")
        .trim()
        .to_string()
}

#[test]
fn demo_then_verify() {
    let dir = TempDir::new("cli-demo");
    let out = dir.path().join("record");
    let stdout = demo(&out, &[]);
    assert!(stdout.contains("30 registered"), "{stdout}");
    assert!(
        stdout.contains("5 of 5 decrypted (threshold 3)"),
        "{stdout}"
    );
    let (code, report) = verify_cli(&out);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("verified: every check passed"), "{report}");
    // The root the demo printed is the one the verifier checked.
    assert!(
        report.contains(&format!("record root: {}", printed_root(&stdout))),
        "{report}"
    );
    for check in 1..=18 {
        assert!(report.contains(&format!("ok   {check:>2}. ")), "{report}");
    }
    // Same seed, same record: the demo is reproducible, and it may replace its own record.
    let again = demo(&out, &[]);
    assert_eq!(printed_root(&again), printed_root(&stdout));
}

/// Only 3 of 5 trustees decrypt: the record still verifies.
#[test]
fn demo_with_two_absent_trustees_verifies() {
    let dir = TempDir::new("cli-absent");
    let out = dir.path().join("record");
    let stdout = demo(&out, &["--absent", "2"]);
    assert!(stdout.contains("3 of 5 decrypted"), "{stdout}");
    let shares = record::decryption_files(&out).expect("list shares");
    let indices: Vec<u32> = shares.iter().map(|(i, _)| *i).collect();
    assert_eq!(indices, [1, 2, 3]);
    let (results, _): (Results, _) = record::read_json(&out, record::RESULTS).expect("results");
    assert_eq!(results.trustees_used, [1, 2, 3]);
    let (code, report) = verify_cli(&out);
    assert_eq!(code, Some(0), "{report}");
}

/// `--absent 3` would leave 2 of 5 trustees, below the threshold: refused before anything is
/// written.
#[test]
fn demo_refuses_too_many_absent_trustees() {
    let dir = TempDir::new("cli-absent-3");
    let out = dir.path().join("record");
    let output = saylau(&[
        "demo",
        "--voters",
        "5",
        "--absent",
        "3",
        "--quiet",
        "--out",
        path_str(&out),
    ]);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        text(&output.stderr).contains("--absent 3"),
        "{}",
        text(&output.stderr)
    );
    assert!(!out.exists());
}

/// An `--out` directory holding anything that is not part of a record is left alone.
#[test]
fn demo_refuses_a_directory_with_foreign_files() {
    let dir = TempDir::new("cli-foreign");
    let out = dir.path().join("record");
    fs::create_dir_all(&out).expect("mkdir");
    fs::write(out.join("thesis.tex"), b"precious").expect("write");
    let output = saylau(&[
        "demo",
        "--voters",
        "5",
        "--seed",
        "1",
        "--quiet",
        "--out",
        path_str(&out),
    ]);
    assert_ne!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("thesis.tex") && stderr.contains("--out"),
        "{stderr}"
    );
    assert_eq!(fs::read(out.join("thesis.tex")).expect("kept"), b"precious");
    assert_eq!(
        fs::read_dir(&out).expect("list").count(),
        1,
        "nothing written"
    );
}

/// A tampered CLI-made record fails with exit code 1 and names the check.
#[test]
fn verify_fails_on_a_tampered_demo_record() {
    let dir = TempDir::new("cli-tamper");
    let out = dir.path().join("record");
    demo(&out, &[]);
    let mut lines = read_lines(&out, record::BALLOTS);
    lines.remove(4);
    write_lines(&out, record::BALLOTS, &lines);
    let (code, report) = verify_cli(&out);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("FAIL 10."), "{report}");
    assert!(report.contains("(ballots.jsonl line 5)"), "{report}");
    assert!(report.contains("NOT VERIFIED"), "{report}");
}

/// `saylau manifest example | saylau manifest check`: the example is valid, and its hash is the
/// manifest hash of a demo record (the demo publishes exactly the example's bytes).
#[test]
fn manifest_example_round_trips_through_check() {
    let example = saylau(&["manifest", "example"]);
    assert_eq!(example.status.code(), Some(0));
    let dir = TempDir::new("cli-manifest");
    let file = dir.path().join("manifest.json");
    fs::write(&file, &example.stdout).expect("write");
    let checked = saylau(&["manifest", "check", path_str(&file)]);
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stderr));
    let stdout = text(&checked.stdout);
    assert!(stdout.contains("valid (3 contests)"), "{stdout}");

    let out = dir.path().join("record");
    demo(&out, &[]);
    let (info, _): (ElectionInfo, _) = record::read_json(&out, record::ELECTION).expect("election");
    assert!(
        stdout.contains(&format!(
            "manifest hash {}",
            hex::encode(info.manifest_hash)
        )),
        "{stdout}"
    );

    // Through a pipe (the command takes a file; /dev/stdin is one).
    if cfg!(unix) {
        let mut child = Command::new(saylau_binary())
            .args(["manifest", "check", "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&example.stdout)
            .expect("pipe");
        let output = child.wait_with_output().expect("wait");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(text(&output.stdout).contains("valid (3 contests)"));
    }
}

/// Issue 18 item 11: counts that cannot fit in memory are refused with a message and exit 2,
/// before anything is allocated; before, `--ballots 18446744073709551615` panicked (capacity
/// overflow) and `--ballots 4294967296` or `--voters 1099511627776` aborted on allocation.
#[test]
fn counts_too_large_for_memory_are_refused_not_crashed() {
    for args in [
        &["bench", "verify", "--ballots", "18446744073709551615"][..],
        &["bench", "verify", "--ballots", "4294967296"][..],
        &[
            "demo",
            "--voters",
            "1099511627776",
            "--out",
            "/nonexistent/saylau-never",
        ][..],
    ] {
        let output = saylau(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is not in") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

/// Issue 18 item 12: an unknown language is refused, naming the ones there are, instead of
/// falling back to English (`kz` is a common slip for `kk`).
#[test]
fn an_unknown_language_is_refused_with_the_list() {
    for args in [
        &["demo", "--lang", "xx", "--out", "/nonexistent/saylau-never"][..],
        &[
            "receipt",
            "/nonexistent/saylau-never",
            "--challenged",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "--lang",
            "kz",
        ][..],
    ] {
        let output = saylau(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("kk, ru, en"), "{args:?}: {stderr}");
    }
}
