//! Hostile input at the command line: `saylau verify` and `saylau manifest check` (exit codes,
//! messages, the `--json` report's shape).

mod command;
#[path = "../../../tests/common/mod.rs"]
mod common;

use command::*;
use common::*;
use saylau::record;
use std::fs;

use std::sync::OnceLock;

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| Template::demo(16, 11, 0))
}

// ---------------------------------------------------------------------------------------------
// The command line.
// ---------------------------------------------------------------------------------------------

#[test]
fn cli_verify_exit_codes_and_messages() {
    let good = template().instantiate("cli-good");
    let path = good.path().to_str().expect("utf-8 path");
    let output = saylau(&["verify", path, "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("verified: every check passed"));

    let bad = template().instantiate("cli-bad");
    let results = bad.path().join(record::RESULTS);
    let original = fs::read_to_string(&results).expect("read");
    // The first count of the presidential contest, 5 → 6.
    let changed = original.replacen("\"counts\": [\n        5,", "\"counts\": [\n        6,", 1);
    assert_ne!(changed, original);
    fs::write(&results, changed).expect("write");
    let path = bad.path().to_str().expect("utf-8 path");
    let output = saylau(&["verify", path, "--quiet"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL 14."), "{stdout}");
    assert!(
        stdout.contains("results.json: contests[0].counts[0] (aigerim-nurlanova)"),
        "{stdout}"
    );
    assert!(stdout.contains("NOT VERIFIED: checks 1, 14"), "{stdout}");

    let nowhere = TempDir::new("cli-nowhere");
    let missing = nowhere.path().join("missing");
    let output = saylau(&["verify", missing.to_str().expect("utf-8"), "--quiet"]);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        text(&output.stderr).contains("is not a directory"),
        "{}",
        text(&output.stderr)
    );
}

/// `--json`: one entry per numbered check with `id`, `status` and `failures[].culprit`.
#[test]
fn cli_verify_json_report_shape() {
    let good = template().instantiate("cli-json-good");
    let output = saylau(&["verify", good.path().to_str().expect("utf-8"), "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["verified"], true);
    assert_json_shape(&report);

    let bad = template().instantiate("cli-json-bad");
    let mut lines = read_lines(bad.path(), record::BALLOTS);
    lines.swap(1, 2);
    write_lines(bad.path(), record::BALLOTS, &lines);
    let output = saylau(&["verify", bad.path().to_str().expect("utf-8"), "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["verified"], false);
    assert_json_shape(&report);
    let chain = &report["checks"][9];
    assert_eq!(chain["id"], 10);
    assert_eq!(chain["status"], "failed");
    let culprits: Vec<&str> = chain["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["culprit"].as_str().expect("culprit"))
        .collect();
    assert!(
        culprits
            .iter()
            .any(|c| c.contains("(ballots.jsonl line 2)")),
        "{culprits:?}"
    );
}

fn assert_json_shape(report: &serde_json::Value) {
    let checks = report["checks"].as_array().expect("checks");
    let ids: Vec<u64> = checks
        .iter()
        .map(|c| c["id"].as_u64().expect("id"))
        .collect();
    assert_eq!(ids, (1..=22).collect::<Vec<u64>>());
    for entry in checks {
        let status = entry["status"].as_str().expect("status");
        assert!(
            ["passed", "failed", "not_run"].contains(&status),
            "{status}"
        );
        assert!(entry["name"].is_string());
        // `notes` is absent, or a list of sentences (verifier.md §1.6).
        if let Some(notes) = entry.get("notes") {
            let notes = notes.as_array().expect("notes is a list");
            assert!(notes.iter().all(|n| n.is_string()), "{notes:?}");
        }
        for failure in entry["failures"].as_array().expect("failures") {
            assert!(failure["culprit"].is_string() && failure["detail"].is_string());
        }
    }
}

#[test]
fn cli_manifest_check() {
    let dir = TempDir::new("cli-manifest");
    let good = dir.path().join("good.json");
    fs::write(&good, template().file(record::MANIFEST)).expect("write");
    let output = saylau(&["manifest", "check", good.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("valid (3 contests)"));

    // A rule broken: a referendum with one option; and a label missing.
    let broken = dir.path().join("broken.json");
    let manifest = String::from_utf8(template().file(record::MANIFEST).to_vec()).expect("utf-8");
    let manifest = manifest.replacen("\"en\": \"Bolat Sadykov\",", "", 1);
    fs::write(&broken, manifest).expect("write");
    let output = saylau(&["manifest", "check", broken.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("contests[0].options[1].label.en"),
        "{stderr}"
    );
    assert!(stderr.contains("1 problem(s)"), "{stderr}");

    // Not JSON at all: the file, line and field are named.
    let malformed = dir.path().join("malformed.json");
    let manifest = String::from_utf8(template().file(record::MANIFEST).to_vec()).expect("utf-8");
    fs::write(
        &malformed,
        manifest.replacen("\"version\": 1", "\"version\": \"one\"", 1),
    )
    .expect("write");
    let output = saylau(&["manifest", "check", malformed.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("malformed.json") && stderr.contains("version") && stderr.contains("line"),
        "{stderr}"
    );

    let output = saylau(&[
        "manifest",
        "check",
        dir.path().join("absent.json").to_str().expect("utf-8"),
    ]);
    assert_ne!(output.status.code(), Some(0));
    assert!(text(&output.stderr).contains("absent.json"));
}

/// Runs `saylau` with a time limit: a command that reads an endless input must be refused, and a
/// regression must fail this test rather than hang it.
#[cfg(unix)]
fn saylau_within(args: &[&str], limit: std::time::Duration) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(saylau_binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run saylau");
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("saylau {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Issue 18 item 8: every file a command reads goes through the bounded reader, so `/dev/zero`
/// (or a FIFO, or a file that never ends) given as a receipt, a manifest, counts or a trustee's
/// public identity is refused at once, naming the file, instead of reading until memory runs out.
#[cfg(unix)]
#[test]
fn an_endless_input_file_is_refused_by_every_command() {
    let dir = template().instantiate("cli-endless");
    let endless = dir.path().join("endless.json");
    std::os::unix::fs::symlink("/dev/zero", &endless).expect("symlink");
    let endless = endless.to_str().expect("utf-8 path");
    let record = dir.path().to_str().expect("utf-8 path");
    let manifest = dir.path().join(record::MANIFEST);
    let manifest = manifest.to_str().expect("utf-8 path");
    let out = dir.path().join("new-ceremony");
    let out = out.to_str().expect("utf-8 path");
    let cases: [&[&str]; 6] = [
        &["receipt", record, "--receipt", endless],
        &["manifest", "check", endless],
        &["seats", "--seats", "3", "--threshold-percent", "5", endless],
        &["winner", endless],
        &[
            "ceremony",
            "new",
            "--trustee",
            endless,
            "--threshold",
            "1",
            "--manifest",
            manifest,
            "--out",
            out,
        ],
        &[
            "ceremony",
            "new",
            "--trustee",
            endless,
            "--threshold",
            "1",
            "--manifest",
            endless,
            "--out",
            out,
        ],
    ];
    for args in cases {
        let output = saylau_within(args, std::time::Duration::from_secs(30));
        let stderr = text(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.contains("not a regular file") && stderr.contains("endless.json"),
            "{args:?}: {stderr}"
        );
    }
}
