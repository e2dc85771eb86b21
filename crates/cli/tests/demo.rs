//! `saylau demo` casts through a real board (issue 15): the seeded demo is reproducible byte for
//! byte, file by file, its board's checkpoints are at the fixed sizes it chooses, and the
//! unseeded demo (voters casting at once) verifies too.

mod command;
#[path = "../../../tests/common/mod.rs"]
mod common;

use command::*;
use common::*;

use saylau::election::{CheckpointLine, Leaf, LeafKind, LEAF_SIZE};
use saylau::record;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The files of a seeded demo that are not compared: the board's SQLite database and the files
/// SQLite keeps beside it. The board closes its read connections on a thread of its own
/// (`Readers` in `crates/board/src/service.rs`: closing one blocks), so whether the write-ahead
/// log has been folded into `board.db` and removed when the demo ends depends on thread timing;
/// and the lock file holds the board's process id. The database's contents are the record's,
/// which is compared: the export is read from it. Everything else, the board's key file
/// included, is compared byte for byte.
fn not_reproducible(name: &Path) -> bool {
    name.to_str()
        .is_some_and(|name| name.starts_with("board.db"))
}

/// Runs `saylau demo` into `out` and returns its standard output.
#[track_caller]
fn demo(out: &Path, args: &[&str]) -> String {
    let mut all = vec!["demo", "--quiet", "--out", out.to_str().expect("utf-8")];
    all.extend_from_slice(args);
    let output = saylau(&all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "demo failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Every file under `dir`, by its path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(name, fs::read(&path).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn verify_ok(dir: &Path) {
    let output = saylau(&["verify", dir.to_str().expect("utf-8"), "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
}

fn checkpoint_sizes(dir: &Path) -> Vec<u64> {
    read_lines(dir, record::LOG_CHECKPOINTS)
        .iter()
        .map(|line| {
            serde_json::from_str::<CheckpointLine>(line)
                .expect("a checkpoint line")
                .size
        })
        .collect()
}

fn leaf_kinds(dir: &Path) -> Vec<LeafKind> {
    fs::read(dir.join(record::LOG_LEAVES))
        .expect("log/leaves")
        .chunks(LEAF_SIZE)
        .map(|bytes| Leaf::decode(bytes).expect("a leaf").kind())
        .collect()
}

#[test]
fn the_seeded_demo_is_reproducible_byte_for_byte() {
    let dir = TempDir::new("demo-twice");
    let (first, second) = (dir.path().join("a/record"), dir.path().join("b/record"));
    let args = ["--voters", "300", "--seed", "5"];
    let stdout = demo(&first, &args);
    demo(&second, &args);
    let (mut a, mut b) = (files(&first), files(&second));
    // The board ran: its database is there.
    assert!(a.contains_key(Path::new("board.db")), "{:?}", a.keys());
    a.retain(|name, _| !not_reproducible(name));
    b.retain(|name, _| !not_reproducible(name));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &a {
        assert!(&b[name] == bytes, "{} differs", name.display());
    }
    // The board's key file (beside the record, never in it, as `board open` writes it) is the
    // same too.
    let keys = |record: &Path| {
        fs::read(record.with_file_name("record.board-keys.json")).expect("the board's key file")
    };
    assert_eq!(keys(&first), keys(&second));
    verify_ok(&first);
    assert!(stdout.contains("300 registered"), "{stdout}");

    // Checkpoints at the sizes the demo chose: every 256 leaves, the whole of voting, then the
    // closing checkpoint, which ends with the commission's close leaf (board.md §9.2).
    let leaves = leaf_kinds(&first);
    let n = leaves.len() as u64;
    assert_eq!(
        leaves.last(),
        Some(&LeafKind::Close),
        "the log ends with the close"
    );
    let voting = n - 1;
    let expected: Vec<u64> = (1..=voting / 256)
        .map(|k| k * 256)
        .chain((voting % 256 != 0).then_some(voting))
        .chain([n])
        .collect();
    assert!(n > 256, "{n} leaves");
    assert_eq!(checkpoint_sizes(&first), expected);
    // The challenges went to the board too: they are leaves of its log.
    assert!(leaves.contains(&LeafKind::Challenged), "a challenged leaf");

    // The same seed into the same folder replaces the demo's own record and key file.
    demo(&first, &args);
    for (name, bytes) in files(&first) {
        if !not_reproducible(&name) {
            assert!(a[&name] == bytes, "{} differs on a rerun", name.display());
        }
    }
}

#[test]
fn voters_casting_at_once_make_a_record_that_verifies() {
    let dir = TempDir::new("demo-concurrent");
    let out = dir.path().join("record");
    let stdout = demo(&out, &["--voters", "60"]);
    assert!(stdout.contains("60 registered"), "{stdout}");
    verify_ok(&out);
    // The last checkpoint covers the whole log, and the example receipt's proof checks.
    let sizes = checkpoint_sizes(&out);
    assert_eq!(sizes.last().copied(), Some(leaf_kinds(&out).len() as u64));
    let receipt = out.join(saylau::sim::demo::EXAMPLE_RECEIPT);
    let output = saylau(&[
        "receipt",
        out.to_str().expect("utf-8"),
        "--receipt",
        receipt.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(
        text(&output.stdout).contains("includes this ballot's leaf"),
        "{}",
        text(&output.stdout)
    );
}
