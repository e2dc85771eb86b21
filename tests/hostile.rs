//! Hostile input: malformed, truncated, empty, oversized, missing and garbage record files, and
//! files that are not regular files. Each must give a clear error that names the file (and the
//! line or field where there is one), never a panic, a hang or unbounded memory (issue "An
//! election end to end": "Hostile input"; the verifier "must never panic on any input").
//!
//! Every verification here runs on its own thread under `catch_unwind` with a time limit
//! ([`common::verify_bounded`]). The command lines of `saylau verify` and `saylau manifest
//! check` are tested in `crates/cli/tests/hostile.rs`.

mod common;

use common::*;
use saylau::record;
use saylau::verify::{Report, Status};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// Generous: a verification of this record takes a few tens of milliseconds, but the machine
/// may be loaded. A hang is what this catches.
const LIMIT: Duration = Duration::from_secs(20);

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| Template::demo(16, 11, 0))
}

/// Each record file and the check that reads it.
const FILES: &[(&str, u32)] = &[
    (record::MANIFEST, 2),
    (record::CEREMONY, 3),
    (record::CREDENTIALS, 4),
    (record::ELECTION, 5),
    (record::BALLOTS, 6),
    (record::CHALLENGED, 11),
    (record::TALLY, 12),
    ("decryption/trustee-1.json", 13),
    (record::RESULTS, 14),
    (record::INDEX, 1),
];

fn is_lines(file: &str) -> bool {
    file.ends_with(".jsonl")
}

/// Verifies `dir` with no panic and no hang, and returns the report.
#[track_caller]
fn verify_safely(dir: &Path) -> Report {
    match verify_bounded(dir, LIMIT) {
        Ok(report) => report,
        Err(problem) => panic!("{}: {problem}", dir.display()),
    }
}

/// Why check `id` does not have a failure whose culprit or detail contains every one of
/// `needles`, if it does not.
fn naming_problem(report: &Report, id: u32, needles: &[&str]) -> Option<String> {
    if report.verified {
        return Some("the record verified".into());
    }
    let entry = check(report, id);
    if entry.status != Status::Failed {
        return Some(format!(
            "check {id} is {:?}, expected failed ({})",
            entry.status,
            summary(report)
        ));
    }
    let named = entry.failures.iter().any(|f| {
        let text = format!("{} {}", f.culprit, f.detail);
        needles.iter().all(|n| text.contains(n))
    });
    (!named).then(|| {
        format!(
            "no failure of check {id} names all of {needles:?} ({})",
            summary(report)
        )
    })
}

#[track_caller]
fn assert_names(report: &Report, id: u32, needles: &[&str]) {
    if let Some(problem) = naming_problem(report, id, needles) {
        panic!("{problem}");
    }
}

/// Applies `transform` to each record file in turn (a fresh copy each time) and checks that
/// the check reading the file fails and names it, plus `extra(file)` (e.g. "line"). Files for
/// which `skip` is true are left out. Collects every problem before failing.
fn each_file(
    tag: &str,
    transform: &dyn Fn(&str, &[u8]) -> Vec<u8>,
    extra: &dyn Fn(&str) -> Vec<String>,
    skip: &dyn Fn(&str) -> bool,
) {
    let mut problems = Vec::new();
    for &(file, id) in FILES {
        if skip(file) {
            continue;
        }
        let dir = template().instantiate(tag);
        let original = template().file(file);
        fs::write(dir.path().join(file), transform(file, original)).expect("write");
        let report = match verify_bounded(dir.path(), LIMIT) {
            Ok(report) => report,
            Err(problem) => {
                problems.push(format!("{tag} {file}: {problem}"));
                continue;
            }
        };
        let extra = extra(file);
        let mut needles: Vec<&str> = vec![file];
        needles.extend(extra.iter().map(String::as_str));
        if let Some(problem) = naming_problem(&report, id, &needles) {
            problems.push(format!("{tag} {file}: {problem}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn no_skip(_: &str) -> bool {
    false
}

/// serde_json names the line and column of a syntax error; JSON-lines errors name the line.
fn line_of_error(file: &str) -> Vec<String> {
    if file == record::BALLOTS || file == record::CHALLENGED {
        vec!["line 2".into()]
    } else {
        vec!["line".into()]
    }
}

/// Breaks the JSON of line 2 (JSON-lines) or of the document: a stray comma after the first
/// opening brace.
fn malform(file: &str, bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    if is_lines(file) {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        while lines.len() < 2 {
            lines.push(lines[0].clone());
        }
        lines[1] = lines[1].replacen('{', "{,", 1);
        lines.join("\n") + "\n"
    } else {
        text.replacen('{', "{,", 1)
    }
    .into_bytes()
}

#[test]
fn malformed_json_in_each_file() {
    each_file("malformed", &malform, &line_of_error, &no_skip);
}

/// Cut in the middle: a JSON document ends early; a JSON-lines file's last line has no
/// newline.
#[test]
fn truncated_files() {
    let cut = |_: &str, bytes: &[u8]| {
        // Not just after a newline: that would leave a shorter but complete JSON-lines file.
        let mut at = bytes.len() / 2;
        while bytes[at - 1] == b'\n' {
            at += 1;
        }
        bytes[..at].to_vec()
    };
    let extra = |file: &str| {
        if is_lines(file) {
            vec!["truncated".to_string()]
        } else {
            vec!["EOF".to_string()]
        }
    };
    each_file("truncated", &cut, &extra, &no_skip);
}

/// An empty JSON file does not parse. (An empty JSON-lines file is a valid empty board or
/// challenge list; see `empty_ballot_and_challenge_files`.)
#[test]
fn empty_json_files() {
    let empty = |_: &str, _: &[u8]| Vec::new();
    let extra = |_: &str| vec!["EOF".to_string()];
    each_file("empty", &empty, &extra, &is_lines);
}

#[test]
fn empty_ballot_and_challenge_files() {
    // An empty board: the published tally counted 14 voters.
    let dir = template().instantiate("empty-board");
    fs::write(dir.path().join(record::BALLOTS), b"").expect("write");
    let report = verify_safely(dir.path());
    assert_names(&report, 1, &[record::BALLOTS]);
    assert_names(&report, 12, &["tally.json: participants"]);
    // No challenged ballots: the record index notices, and so does the log, whose challenged
    // leaves now have no line (challenged ballots are not in the chain of tracking codes, but
    // they are leaves of the board's log, board.md §7.1).
    let dir = template().instantiate("empty-challenged");
    fs::write(dir.path().join(record::CHALLENGED), b"").expect("write");
    let report = verify_safely(dir.path());
    assert_names(&report, 1, &[record::CHALLENGED]);
    assert_names(&report, 16, &[record::LOG_LEAVES]);
    assert_eq!(failed_ids(&report), [1, 16], "{}", summary(&report));
}

/// Random bytes, with NULs and invalid UTF-8.
#[test]
fn binary_garbage_in_each_file() {
    let garbage = |file: &str, _: &[u8]| {
        let mut state = (file.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut bytes: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        bytes[0] = 0xff;
        bytes.push(b'\n');
        bytes
    };
    let extra = |file: &str| {
        if is_lines(file) {
            vec!["line 1".to_string()]
        } else {
            vec!["line".to_string()]
        }
    };
    each_file("garbage", &garbage, &extra, &no_skip);
}

/// A missing file fails check 1 (named in the detail) and the check that reads it.
#[test]
fn each_missing_file() {
    let mut problems = Vec::new();
    for &(file, id) in FILES {
        let dir = template().instantiate("missing");
        fs::remove_file(dir.path().join(file)).expect("remove");
        let report = match verify_bounded(dir.path(), LIMIT) {
            Ok(report) => report,
            Err(problem) => {
                problems.push(format!("missing {file}: {problem}"));
                continue;
            }
        };
        let (id, needles): (u32, Vec<&str>) = match file {
            // Decryption shares are found by listing the directory, so a missing share is not
            // a read error: the results then combine a share that is not there.
            "decryption/trustee-1.json" => (14, vec!["trustees_used (trustee 1)"]),
            _ => (id, vec![file]),
        };
        for (check_id, needles) in [(1, vec![file]), (id, needles)] {
            if let Some(problem) = naming_problem(&report, check_id, &needles) {
                problems.push(format!("missing {file}: {problem}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn missing_decryption_directory() {
    let dir = template().instantiate("no-decryption");
    fs::remove_dir_all(dir.path().join(record::DECRYPTION_DIR)).expect("remove");
    let report = verify_safely(dir.path());
    assert_names(&report, 1, &["decryption/trustee-1.json"]);
    assert_names(&report, 14, &["results.json: trustees_used"]);
}

#[test]
fn a_directory_that_does_not_exist() {
    let dir = TempDir::new("nowhere");
    let missing = dir.path().join("no-such-record");
    let report = verify_safely(&missing);
    assert!(!report.verified);
    assert_names(&report, 1, &[record::INDEX]);
    assert_names(&report, 2, &[record::MANIFEST]);
    assert!(report.checks.iter().all(|c| c.status != Status::Passed));
}

#[test]
fn a_file_instead_of_a_directory() {
    let dir = TempDir::new("file-not-dir");
    let file = dir.path().join("record");
    fs::write(&file, b"not a directory").expect("write");
    let report = verify_safely(&file);
    assert!(!report.verified);
    assert!(report.checks.iter().all(|c| c.status != Status::Passed));
}

/// Numbers beyond their type (u32 or u64): a decoding error naming the file and field.
#[test]
fn oversized_numbers() {
    let huge = "99999999999999999999999";
    let cases: &[(&str, &str, &str, u32)] = &[
        (record::CEREMONY, "\"threshold\": 3", "threshold", 3),
        (record::MANIFEST, "\"version\": 1", "version", 2),
        (record::ELECTION, "\"version\": 2", "version", 5),
        (record::ELECTION, "\"quorum\": 0", "quorum", 5),
        (record::TALLY, "\"participants\": 14", "participants", 12),
        ("decryption/trustee-1.json", "\"trustee\": 1", "trustee", 13),
        (record::RESULTS, "\"eligible\": 16", "eligible", 14),
    ];
    for &(file, from, field, id) in cases {
        for number in [huge, "1e999", "-1", "3.5"] {
            let dir = template().instantiate("oversized");
            let path = dir.path().join(file);
            let text = fs::read_to_string(&path).expect("read");
            assert!(text.contains(from), "{file} has no {from}");
            let to = format!("\"{field}\": {number}");
            fs::write(&path, text.replacen(from, &to, 1)).expect("write");
            let report = verify_safely(dir.path());
            assert_names(&report, id, &[file, field]);
        }
    }
    // A count in results.json, and a plaintext in a challenged ballot.
    let dir = template().instantiate("oversized-count");
    let path = dir.path().join(record::RESULTS);
    let text = fs::read_to_string(&path).expect("read");
    let changed = text.replacen("\"counts\": [\n", &format!("\"counts\": [\n{huge},\n"), 1);
    assert_ne!(changed, text);
    fs::write(&path, changed).expect("write");
    assert_names(
        &verify_safely(dir.path()),
        14,
        &[record::RESULTS, "contests[0].counts[0]"],
    );
    let dir = template().instantiate("oversized-plaintext");
    let mut lines = read_lines(dir.path(), record::CHALLENGED);
    lines[0] = lines[0].replacen("\"plaintexts\":[[", &format!("\"plaintexts\":[[{huge},"), 1);
    write_lines(dir.path(), record::CHALLENGED, &lines);
    assert_names(
        &verify_safely(dir.path()),
        11,
        &["challenged.jsonl line 1", "plaintexts"],
    );
}

/// A ballot line longer than the reader's limit is refused without reading it all into memory.
#[test]
fn a_huge_ballot_line() {
    let dir = template().instantiate("huge-line");
    let mut lines = read_lines(dir.path(), record::BALLOTS);
    lines[1] = format!(
        "{{\"tracking_code\":\"{}\"}}",
        "a".repeat(record::MAX_LINE_BYTES + 10)
    );
    write_lines(dir.path(), record::BALLOTS, &lines);
    let report = verify_safely(dir.path());
    assert_names(&report, 6, &["ballots.jsonl", "line 2", "longer than"]);
}

/// A JSON file over the size limit is refused before it is read (a sparse file: no disk used).
#[test]
fn a_file_over_the_size_limit() {
    let dir = template().instantiate("huge-file");
    let file = fs::File::create(dir.path().join(record::TALLY)).expect("create");
    file.set_len(record::MAX_FILE_BYTES + 1).expect("grow");
    drop(file);
    let report = verify_safely(dir.path());
    assert_names(&report, 12, &[record::TALLY, "limit"]);
}

/// Nesting far beyond serde_json's recursion limit: an error, not a stack overflow. (The
/// record's types are closed, so decoding stops at the first unexpected value; serde_json's
/// recursion limit of 128 is the backstop.)
#[test]
fn deeply_nested_json() {
    for (file, id) in [(record::RESULTS, 14), (record::MANIFEST, 2)] {
        for (open, close) in [("[", "]"), ("{\"contests\":", "}")] {
            let dir = template().instantiate("nested");
            let text = format!("{}{}", open.repeat(100_000), close.repeat(100_000));
            fs::write(dir.path().join(file), text).expect("write");
            assert_names(&verify_safely(dir.path()), id, &[file, "line 1"]);
        }
    }
    let dir = template().instantiate("nested-line");
    let mut lines = read_lines(dir.path(), record::BALLOTS);
    lines[0] = "[".repeat(100_000);
    write_lines(dir.path(), record::BALLOTS, &lines);
    assert_names(&verify_safely(dir.path()), 6, &["ballots.jsonl line 1"]);
}

/// Well-formed JSON with the wrong content: unknown fields, duplicate keys, trailing data,
/// wrong types. Each names the file and the field.
#[test]
fn wrong_json_content_names_the_field() {
    let cases: &[(&str, &str, &str, u32, &str)] = &[
        (record::ELECTION, "{", "{\"extra\": 1,", 5, "extra"),
        (
            record::CEREMONY,
            "\"threshold\": 3",
            "\"threshold\": 3, \"threshold\": 3",
            3,
            "threshold",
        ),
        (
            record::TALLY,
            "\"participants\": 14",
            "\"participants\": \"14\"",
            12,
            "participants",
        ),
        (
            record::RESULTS,
            "\"trustees_used\": [",
            "\"trustees_used\": [\"one\",",
            14,
            "trustees_used",
        ),
        (record::CREDENTIALS, "[", "[\"00\",", 4, "credentials[0]"),
    ];
    for &(file, from, to, id, field) in cases {
        let dir = template().instantiate("content");
        let path = dir.path().join(file);
        let text = fs::read_to_string(&path).expect("read");
        fs::write(&path, text.replacen(from, to, 1)).expect("write");
        assert_names(&verify_safely(dir.path()), id, &[file, field]);
    }
    let dir = template().instantiate("trailing");
    let path = dir.path().join(record::RESULTS);
    let mut text = fs::read_to_string(&path).expect("read");
    text.push_str("{}\n");
    fs::write(&path, text).expect("write");
    assert_names(
        &verify_safely(dir.path()),
        14,
        &[record::RESULTS, "trailing"],
    );
}

/// Non-canonical encodings in a ballot: a point that does not decode, a scalar not reduced
/// mod ℓ, upper-case hex, a wrong length, and the identity as a ciphertext's α. Each fails
/// check 6 naming the line and the field.
#[test]
fn non_canonical_encodings_in_a_ballot() {
    let lines: Vec<String> = String::from_utf8(template().file(record::BALLOTS).to_vec())
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect();
    let line = &lines[2];
    let leaves = leaves(line);
    let find = |pattern: &str| {
        leaves
            .iter()
            .find(|l| l.pointer.ends_with(pattern))
            .unwrap_or_else(|| panic!("no {pattern}"))
            .clone()
    };
    let alpha = find("/ciphertext/alpha");
    let response = find("/signature/response");
    // ℓ itself (little-endian), and 2^256 − 1: not canonical scalars.
    let ell = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
    let cases: Vec<(Leaf, String, &str)> = vec![
        (alpha.clone(), "ff".repeat(32), "ciphertext.alpha"),
        (alpha.clone(), "00".repeat(32), "alpha is the identity"),
        (
            alpha.clone(),
            alpha.value.as_str().unwrap().to_uppercase(),
            "ciphertext.alpha",
        ),
        (alpha.clone(), "abcd".into(), "ciphertext.alpha"),
        (response.clone(), ell.into(), "signature.response"),
        (response.clone(), "ff".repeat(32), "signature.response"),
    ];
    for (leaf, replacement, needle) in cases {
        let dir = template().instantiate("encoding");
        let mut copy = lines.clone();
        copy[2] = splice(line, &leaf, &serde_json::Value::String(replacement.clone()));
        write_lines(dir.path(), record::BALLOTS, &copy);
        let report = verify_safely(dir.path());
        if let Some(problem) = naming_problem(&report, 6, &["ballots.jsonl line 3", needle]) {
            panic!("{} = {replacement}: {problem}", leaf.pointer);
        }
    }
}

/// Invalid UTF-8 inside a JSON string.
#[test]
fn invalid_utf8_in_a_label() {
    let dir = template().instantiate("utf8");
    let path = dir.path().join(record::MANIFEST);
    let mut bytes = fs::read(&path).expect("read");
    let at = bytes
        .windows(5)
        .position(|w| w == b"Bolat")
        .expect("a label");
    bytes[at] = 0xc3;
    bytes[at + 1] = 0x28;
    fs::write(&path, bytes).expect("write");
    assert_names(&verify_safely(dir.path()), 2, &[record::MANIFEST, "line"]);
}

/// A record file that is a directory.
#[test]
fn a_directory_in_place_of_a_file() {
    for &(file, id) in FILES {
        if file.starts_with("decryption/") {
            continue; // not a share file name the reader lists as a file; see below
        }
        let dir = template().instantiate("dir-as-file");
        let path = dir.path().join(file);
        fs::remove_file(&path).expect("remove");
        fs::create_dir(&path).expect("mkdir");
        assert_names(&verify_safely(dir.path()), id, &[file]);
    }
    let dir = template().instantiate("dir-as-share");
    let path = dir.path().join("decryption/trustee-1.json");
    fs::remove_file(&path).expect("remove");
    fs::create_dir(&path).expect("mkdir");
    assert_names(
        &verify_safely(dir.path()),
        13,
        &["decryption/trustee-1.json"],
    );
}

/// A named pipe in place of a record file: opening it for reading would block forever.
#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_a_file_does_not_hang() {
    for &(file, id) in &[
        (record::BALLOTS, 6),
        (record::MANIFEST, 2),
        (record::CHALLENGED, 11),
    ] {
        let dir = template().instantiate("fifo");
        let path = dir.path().join(file);
        fs::remove_file(&path).expect("remove");
        let made = Command::new("mkfifo").arg(&path).status().expect("mkfifo");
        assert!(made.success());
        let report = verify_safely(dir.path());
        assert_names(&report, id, &[file, "not a regular file"]);
        assert_names(&report, 1, &[file]);
    }
}

/// A symbolic link to an endless device: reading it whole would never end and would exhaust
/// memory.
#[cfg(unix)]
#[test]
fn a_link_to_an_endless_device_is_refused() {
    for &(file, id) in &[
        (record::MANIFEST, 2),
        (record::BALLOTS, 6),
        (record::TALLY, 12),
    ] {
        let dir = template().instantiate("dev-zero");
        let path = dir.path().join(file);
        fs::remove_file(&path).expect("remove");
        std::os::unix::fs::symlink("/dev/zero", &path).expect("symlink");
        let report = verify_safely(dir.path());
        assert_names(&report, id, &[file, "not a regular file"]);
        assert_names(&report, 1, &[file]);
    }
}
