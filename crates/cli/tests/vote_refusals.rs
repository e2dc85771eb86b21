//! `saylau vote` step 1 against a board that lies: a fake board on 127.0.0.1 serves a demo
//! record's files, altered one way per test. The device must refuse before it encrypts or
//! sends anything; and when the board refuses a ballot, the device shows the board's words.

mod command;
mod vote_board;

use command::*;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use vote_board::TempDir;

/// The files a fake board serves, by name.
type Files = HashMap<String, Vec<u8>>;

/// A board that serves fixed files under `/v1/election/` and refuses every POST with the API's
/// JSON error, counting the POSTs.
struct FakeBoard {
    url: String,
    posts: Arc<AtomicUsize>,
}

fn fake_board(files: HashMap<String, Vec<u8>>) -> FakeBoard {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let posts = Arc::new(AtomicUsize::new(0));
    let counter = posts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let mut parts = request.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let (status, answer) = if method == "POST" {
                counter.fetch_add(1, Ordering::SeqCst);
                (
                    "403 Forbidden",
                    br#"{"error":{"code":"unknown_credential","message":"the credential is not on this election's list","ballot_hash":null,"field":"body.credential"}}"#.to_vec(),
                )
            } else if let Some(bytes) = path
                .strip_prefix("/v1/election/")
                .and_then(|name| files.get(name))
            {
                ("200 OK", bytes.clone())
            } else {
                (
                    "404 Not Found",
                    br#"{"error":{"code":"not_found","message":"no such path","ballot_hash":null,"field":null}}"#.to_vec(),
                )
            };
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                answer.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&answer);
        }
    });
    FakeBoard { url, posts }
}

/// A demo record's four election files.
fn demo_files(dir: &Path, seed: &str) -> HashMap<String, Vec<u8>> {
    let out = dir.join(format!("record-{seed}"));
    let output = saylau(&[
        "demo",
        "--voters",
        "3",
        "--seed",
        seed,
        "--quiet",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    [
        "manifest.json",
        "ceremony.json",
        "credentials.json",
        "election.json",
    ]
    .iter()
    .map(|name| {
        let bytes = std::fs::read(out.join(name)).expect("record file");
        (name.to_string(), bytes)
    })
    .collect()
}

fn fingerprint(files: &HashMap<String, Vec<u8>>) -> String {
    let info: Value = serde_json::from_slice(&files["election.json"]).expect("election.json");
    info["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string()
}

/// A credential file (any: these boards never get to check it).
fn credential(dir: &Path) -> String {
    let out = dir.join("credentials");
    let output = saylau(&[
        "credentials",
        "issue",
        "--voters",
        "1",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    out.join("voters/voter-1.json")
        .to_str()
        .expect("utf-8")
        .to_string()
}

/// Runs a scripted vote; returns (exit code, stdout, stderr).
fn vote(
    board: &FakeBoard,
    credential: &str,
    election: &str,
    out: &Path,
) -> (Option<i32>, String, String) {
    let output = saylau(&[
        "vote",
        "--board",
        &board.url,
        "--credential",
        credential,
        "--election",
        election,
        "--choices",
        "2",
        "1",
        "1",
        "--cast",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// The device refused: exit 1, the reason on stderr, nothing encrypted, sent or saved.
#[track_caller]
fn assert_refused(
    result: (Option<i32>, String, String),
    board: &FakeBoard,
    out: &Path,
    reason: &str,
) {
    let (code, stdout, stderr) = result;
    assert_eq!(code, Some(1), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains(reason), "expected {reason:?} in: {stderr}");
    assert!(stderr.contains("refusing to encrypt"), "{stderr}");
    assert!(
        !stdout.contains("ballot hash"),
        "the device encrypted: {stdout}"
    );
    assert_eq!(
        board.posts.load(Ordering::SeqCst),
        0,
        "the device sent something"
    );
    assert!(!out.exists(), "a receipt was saved");
}

#[test]
fn a_wrong_fingerprint_is_refused_before_anything_is_encrypted() {
    let dir = TempDir::new("vote-wrong-f");
    let files = demo_files(dir.path(), "5");
    let right = fingerprint(&files);
    let board = fake_board(files);
    let credential = credential(dir.path());
    let out = dir.path().join("receipt.json");
    let mut wrong = hex::decode(&right).expect("hex");
    wrong[0] ^= 1;
    let result = vote(&board, &credential, &hex::encode(wrong), &out);
    assert_refused(result, &board, &out, "not the expected");
}

#[test]
fn a_whole_other_election_is_refused() {
    let dir = TempDir::new("vote-other-election");
    let expected = fingerprint(&demo_files(dir.path(), "5"));
    // The board serves a consistent election of its own making: its own ceremony, its own key.
    let board = fake_board(demo_files(dir.path(), "6"));
    let credential = credential(dir.path());
    let out = dir.path().join("receipt.json");
    let result = vote(&board, &credential, &expected, &out);
    assert_refused(result, &board, &out, "not the expected");
}

#[test]
fn each_altered_file_is_refused_under_the_expected_fingerprint() {
    let dir = TempDir::new("vote-altered");
    let honest = demo_files(dir.path(), "5");
    let other = demo_files(dir.path(), "6");
    let f = fingerprint(&honest);
    let credential = credential(dir.path());
    let election: Value = serde_json::from_slice(&honest["election.json"]).expect("json");
    let other_election: Value = serde_json::from_slice(&other["election.json"]).expect("json");

    // election.json keeps F but names another key: F is not the hash of its fields.
    let mut cases: Vec<(&str, Files, &str)> = Vec::new();
    for field in ["joint_key", "board_key"] {
        let mut altered = election.clone();
        altered[field] = other_election[field].clone();
        let mut files = honest.clone();
        files.insert(
            "election.json".into(),
            serde_json::to_vec_pretty(&altered).expect("json"),
        );
        cases.push((field, files, "not the hash of its own fields"));
    }
    // Another ceremony (another joint key) under the same election.json.
    let mut files = honest.clone();
    files.insert("ceremony.json".into(), other["ceremony.json"].clone());
    cases.push(("ceremony.json", files, "ceremony.json is not the ceremony"));
    // A manifest with one byte more.
    let mut files = honest.clone();
    files
        .get_mut("manifest.json")
        .expect("manifest")
        .push(b'\n');
    cases.push(("manifest.json", files, "manifest.json is not the manifest"));

    for (what, files, reason) in cases {
        let board = fake_board(files);
        let out = dir.path().join(format!("receipt-{what}.json"));
        let result = vote(&board, &credential, &f, &out);
        assert_refused(result, &board, &out, reason);
    }
}

#[test]
fn the_boards_refusal_is_shown_with_its_culprit() {
    let dir = TempDir::new("vote-refused");
    let files = demo_files(dir.path(), "5");
    let f = fingerprint(&files);
    let board = fake_board(files);
    let credential = credential(dir.path());
    let out = dir.path().join("receipt.json");
    let (code, stdout, stderr) = vote(&board, &credential, &f, &out);
    assert_eq!(code, Some(1), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("ballot hash: "), "{stdout}");
    assert_eq!(board.posts.load(Ordering::SeqCst), 1);
    for part in [
        "403",
        "unknown_credential",
        "not on this election's list",
        "field body.credential",
    ] {
        assert!(stderr.contains(part), "expected {part:?} in: {stderr}");
    }
    assert!(!out.exists());
}
