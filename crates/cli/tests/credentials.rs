//! `saylau credentials issue`: one private file per voter (mode 0600, `X = x·G`), the public
//! list in the record's own format, zero-padded names, and no overwriting.

mod command;
mod vote_board;

use command::*;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::Scalar;
use saylau::record::{self, CredentialList};
use serde_json::Value;
use std::fs;
use std::path::Path;
use vote_board::TempDir;

fn issue(voters: &str, out: &Path) -> std::process::Output {
    saylau(&[
        "credentials",
        "issue",
        "--voters",
        voters,
        "--out",
        out.to_str().expect("utf-8 path"),
    ])
}

fn hex32(value: &Value) -> [u8; 32] {
    hex::decode(value.as_str().expect("hex string"))
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

#[test]
fn issues_private_files_and_the_public_list() {
    let dir = TempDir::new("credentials");
    let out = dir.path().join("issued");
    let output = issue("12", &out);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let (list, bytes): (CredentialList, _) = record::read_json(&out, record::CREDENTIALS)
        .expect("credentials.json reads as the record's credential list");
    assert_eq!(list.credentials.len(), 12);
    // Exactly the bytes the record writes for this list.
    let mut expected = serde_json::to_vec_pretty(&list).expect("serializes");
    expected.push(b'\n');
    assert_eq!(bytes, expected);

    let mut names: Vec<String> = fs::read_dir(out.join("voters"))
        .expect("voters folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected_names: Vec<String> = (1..=12).map(|n| format!("voter-{n:02}.json")).collect();
    assert_eq!(names, expected_names);

    for (n, name) in names.iter().enumerate() {
        let path = out.join("voters").join(name);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name} is readable by others");
        }
        let file: Value = serde_json::from_slice(&fs::read(&path).expect("read")).expect("json");
        assert_eq!(file["version"], 1);
        assert_eq!(file["voter"], n as u64 + 1);
        let x = Scalar::from_canonical_bytes(hex32(&file["secret"])).expect("canonical secret");
        let public = hex32(&file["credential"]);
        assert_eq!(
            (x * G).compress(),
            CompressedRistretto(public),
            "{name}: X = x·G"
        );
        assert_eq!(
            list.credentials[n].as_bytes(),
            &public,
            "{name} is listed in order"
        );
    }
    let distinct: std::collections::BTreeSet<_> =
        list.credentials.iter().map(|c| *c.as_bytes()).collect();
    assert_eq!(distinct.len(), 12);
}

#[test]
fn never_overwrites() {
    let dir = TempDir::new("credentials-again");
    let out = dir.path().join("issued");
    assert_eq!(issue("2", &out).status.code(), Some(0));
    let before = fs::read(out.join(record::CREDENTIALS)).expect("list");
    let again = issue("2", &out);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        fs::read(out.join(record::CREDENTIALS)).expect("list"),
        before
    );
    assert_eq!(issue("0", &dir.path().join("none")).status.code(), Some(2));
}

#[test]
fn a_credential_whose_secret_does_not_match_is_refused() {
    let dir = TempDir::new("credentials-bad");
    let out = dir.path().join("issued");
    assert_eq!(issue("2", &out).status.code(), Some(0));
    let one = out.join("voters/voter-1.json");
    let two = out.join("voters/voter-2.json");
    let mut first: Value = serde_json::from_slice(&fs::read(&one).expect("read")).expect("json");
    let second: Value = serde_json::from_slice(&fs::read(&two).expect("read")).expect("json");
    first["secret"] = second["secret"].clone();
    let swapped = dir.path().join("swapped.json");
    fs::write(&swapped, serde_json::to_vec(&first).expect("json")).expect("write");
    // Read before anything is fetched: the board URL is never contacted.
    let output = saylau(&[
        "vote",
        "--board",
        "http://127.0.0.1:9",
        "--credential",
        swapped.to_str().expect("utf-8"),
        "--election",
        &"00".repeat(32),
        "--cast",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("X = x·G"),
        "{}",
        text(&output.stderr)
    );
}
