//! The board's log in the published record (spec `record.md` §7, `verifier.md` checks 16–18,
//! `board.md` §3.4): the demo's log verifies, and every tampering with a leaf, a checkpoint or a
//! log file makes its check fail, even when the operator re-signs the checkpoints with the log
//! key and recomputes `record.json`. Also the voter's saved receipt with its inclusion proof,
//! and the receipt v2 vector.

mod common;
#[path = "common/receipt_vector.rs"]
mod receipt_vector;

use common::{
    assert_fails, assert_only_fails, assert_verified, checkpoint_line, reindex, verify, Template,
};
use saylau::election::{Leaf, LeafKind, SavedReceipt, LEAF_SIZE};
use saylau::log::checkpoint::{Checkpoint, SignedCheckpoint};
use saylau::log::note::SignerKey;
use saylau::log::tree::{leaf_hash, TreeBuilder};
use saylau::record::{self, ElectionInfo, Record};
use saylau::verify::receipt::{check_saved_receipt, Verdict};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

const SEED: u64 = 11;

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| Template::demo(30, SEED, 0))
}

/// The demo's log signing key under `origin`, checked against `election.json`'s `log_key`.
fn log_signer(dir: &Path, host: &str) -> SignerKey {
    let (info, _): (ElectionInfo, _) =
        record::read_json(dir, record::ELECTION).expect("election.json");
    let keys = saylau::sim::demo::demo_keys(SEED);
    assert_eq!(keys.log.public(), info.log_key, "the demo's log key");
    keys.log
        .signer(&saylau::election::log_origin(host, &info.fingerprint))
        .expect("a signer")
}

fn read_leaves(dir: &Path) -> Vec<Vec<u8>> {
    fs::read(dir.join(record::LOG_LEAVES))
        .expect("log/leaves")
        .chunks(LEAF_SIZE)
        .map(<[u8]>::to_vec)
        .collect()
}

fn write_leaves(dir: &Path, leaves: &[Vec<u8>]) {
    fs::write(dir.join(record::LOG_LEAVES), leaves.concat()).expect("write log/leaves");
}

fn kinds(dir: &Path) -> Vec<LeafKind> {
    read_leaves(dir)
        .iter()
        .map(|bytes| Leaf::decode(bytes).expect("a leaf").kind())
        .collect()
}

/// The root of the first `size` leaves of `log/leaves` as published.
fn root_of(dir: &Path, size: u64) -> [u8; 32] {
    let mut tree = TreeBuilder::new();
    for leaf in read_leaves(dir).iter().take(size as usize) {
        tree.push(leaf_hash(leaf)).expect("push");
    }
    tree.root()
}

/// Rewrites `log/checkpoints.jsonl` as the operator could, with the log key: checkpoints of the
/// leaves as they now are at `sizes`, then `tally.json`'s `closing_checkpoint` (the last of
/// them) and `record.json`.
fn resign(dir: &Path, sizes: &[u64]) {
    let signer = log_signer(dir, "localhost");
    let lines: Vec<String> = sizes
        .iter()
        .map(|&size| checkpoint_line(&signer, size, root_of(dir, size)))
        .collect();
    common::write_lines(dir, record::LOG_CHECKPOINTS, &lines);
    if let Some(&last) = sizes.last() {
        let path = dir.join(record::TALLY);
        let mut tally: Value =
            serde_json::from_slice(&fs::read(&path).expect("tally")).expect("JSON");
        tally["closing_checkpoint"] =
            serde_json::json!({"size": last, "root": hex::encode(root_of(dir, last))});
        let mut bytes = serde_json::to_vec_pretty(&tally).expect("JSON");
        bytes.push(b'\n');
        fs::write(&path, bytes).expect("write tally");
    }
    reindex(dir);
}

fn leaf_count(dir: &Path) -> u64 {
    read_leaves(dir).len() as u64
}

/// Re-signs at a few sizes and at the whole log: the operator's best effort after tampering.
fn resign_whole(dir: &Path) {
    let n = leaf_count(dir);
    let mut sizes: Vec<u64> = [3, 10].into_iter().filter(|&s| s < n).collect();
    sizes.push(n);
    resign(dir, &sizes);
}

#[test]
fn the_demo_log_verifies_and_holds_one_leaf_per_line() {
    let dir = template().instantiate("log-honest");
    let report = verify(dir.path());
    assert_verified(&report);
    let ballots = common::read_lines(dir.path(), record::BALLOTS).len();
    let challenged = common::read_lines(dir.path(), record::CHALLENGED).len();
    let kinds = kinds(dir.path());
    assert!(challenged > 0, "the template has a challenged ballot");
    // One leaf per line, and the commission's close last.
    assert_eq!(kinds.len(), ballots + challenged + 1);
    assert_eq!(kinds.last(), Some(&LeafKind::Close));
    assert_eq!(
        kinds.iter().filter(|k| **k == LeafKind::Cast).count(),
        ballots
    );
    assert_eq!(common::check(&report, 16).items, kinds.len() as u64);
    // Re-signed at other sizes by the same key, the log still verifies: the helper the tests
    // below use changes nothing by itself.
    resign_whole(dir.path());
    let report = verify(dir.path());
    assert_verified(&report);
    assert_eq!(common::check(&report, 17).items, 3);
}

/// The index of the first leaf of `kind`, and of another one of the same kind.
fn two_of(dir: &Path, kind: LeafKind) -> (usize, usize) {
    let found: Vec<usize> = kinds(dir)
        .iter()
        .enumerate()
        .filter(|(_, k)| **k == kind)
        .map(|(i, _)| i)
        .collect();
    (found[0], found[1])
}

#[test]
fn each_field_of_a_leaf_is_checked_even_when_re_signed() {
    let t = template();
    let probe = t.instantiate("log-probe");
    let (cast, other_cast) = two_of(probe.path(), LeafKind::Cast);
    let challenged = kinds(probe.path())
        .iter()
        .position(|k| *k == LeafKind::Challenged)
        .expect("a challenged leaf");
    // Each field replaced by another leaf's (so the leaf still decodes), or made undecodable.
    let fields = [
        ("credential", 1),
        ("ballot hash", 33),
        ("signature commitment", 65),
        ("signature response", 97),
    ];
    for (name, offset) in fields {
        let dir = t.instantiate("log-field");
        let mut leaves = read_leaves(dir.path());
        let donor = leaves[other_cast][offset..offset + 32].to_vec();
        leaves[cast][offset..offset + 32].copy_from_slice(&donor);
        write_leaves(dir.path(), &leaves);
        resign_whole(dir.path());
        let report = verify(dir.path());
        assert_only_fails(&report, &[16]);
        let failure = &common::check(&report, 16).failures[0];
        assert!(
            failure
                .culprit
                .starts_with(&format!("log/leaves leaf {cast} (ballots.jsonl line")),
            "{name}: {failure:?}"
        );
        assert!(failure.detail.contains(name), "{name}: {failure:?}");
    }
    for (name, offset) in [("credential", 1), ("ballot hash", 33)] {
        let dir = t.instantiate(&format!("log-field-challenged-{}", name.len()));
        let mut leaves = read_leaves(dir.path());
        let donor = leaves[cast][offset..offset + 32].to_vec();
        leaves[challenged][offset..offset + 32].copy_from_slice(&donor);
        write_leaves(dir.path(), &leaves);
        resign_whole(dir.path());
        let report = verify(dir.path());
        assert_only_fails(&report, &[16]);
        assert_fails(
            &report,
            16,
            Some(&format!(
                "log/leaves leaf {challenged} (challenged.jsonl line"
            )),
        );
    }
    // The kind byte: a cast leaf read as challenged no longer decodes (its signature is not
    // zero), and the tally no longer covers every cast leaf.
    let dir = t.instantiate("log-kind");
    let mut leaves = read_leaves(dir.path());
    leaves[cast][0] = LeafKind::Challenged.byte();
    write_leaves(dir.path(), &leaves);
    resign_whole(dir.path());
    let report = verify(dir.path());
    // The tally's board_size is no longer the cast leaves before the close (check 19 too).
    assert_only_fails(&report, &[16, 18, 19]);
    assert_fails(&report, 16, Some(&format!("log/leaves leaf {cast}")));
    // A non-canonical credential.
    let dir = t.instantiate("log-noncanonical");
    let mut leaves = read_leaves(dir.path());
    leaves[cast][1..33].copy_from_slice(&[0xff; 32]);
    write_leaves(dir.path(), &leaves);
    resign_whole(dir.path());
    assert_fails(
        &verify(dir.path()),
        16,
        Some(&format!("log/leaves leaf {cast}")),
    );
}

#[test]
fn dropped_reordered_and_extra_leaves_fail_check_16() {
    let t = template();
    let probe = t.instantiate("log-probe-order");
    let (cast, other_cast) = two_of(probe.path(), LeafKind::Cast);
    let challenged = kinds(probe.path())
        .iter()
        .position(|k| *k == LeafKind::Challenged)
        .expect("a challenged leaf");
    type Change = Box<dyn Fn(&mut Vec<Vec<u8>>)>;
    let cases: Vec<(&str, Change, &[u32])> = vec![
        (
            "dropped cast leaf",
            Box::new(move |l| {
                l.remove(cast);
            }),
            &[16, 18, 19],
        ),
        (
            "dropped challenged leaf",
            Box::new(move |l| {
                l.remove(challenged);
            }),
            &[16],
        ),
        (
            "two cast leaves swapped",
            Box::new(move |l| l.swap(cast, other_cast)),
            &[16],
        ),
        (
            "a cast leaf twice",
            Box::new(move |l| {
                let copy = l[cast].clone();
                l.push(copy);
            }),
            &[16, 18, 19, 21],
        ),
        (
            "a ballot after the close of voting",
            Box::new(move |l| {
                let close = l.last().expect("the close leaf").clone();
                l.insert(cast, close);
            }),
            &[16, 19, 21],
        ),
        (
            "two close leaves",
            Box::new(|l| {
                let close = l.last().expect("the close leaf").clone();
                l.push(close.clone());
                l.push(close);
            }),
            &[16, 19, 21],
        ),
    ];
    for (name, change, failing) in cases {
        let dir = t.instantiate("log-order");
        let mut leaves = read_leaves(dir.path());
        change(&mut leaves);
        write_leaves(dir.path(), &leaves);
        resign_whole(dir.path());
        let report = verify(dir.path());
        if common::failed_ids(&report) != failing {
            panic!("{name}: {}", common::summary(&report));
        }
        assert_fails(&report, 16, Some("log/leaves"));
    }
    // The interleaving of cast and challenged leaves is the log's own: a challenged leaf
    // moved after the last cast leaf still verifies (and check 18 still finds the last cast
    // leaf's line).
    let dir = t.instantiate("log-interleaving");
    let last_challenged = kinds(dir.path())
        .iter()
        .rposition(|k| *k == LeafKind::Challenged)
        .expect("a challenged leaf");
    assert!(
        last_challenged + 1 < kinds(dir.path()).len(),
        "a cast leaf follows it"
    );
    let mut leaves = read_leaves(dir.path());
    let moved = leaves.remove(last_challenged);
    // Still before the close leaf, which ends the log.
    let at = leaves.len() - 1;
    leaves.insert(at, moved);
    write_leaves(dir.path(), &leaves);
    resign_whole(dir.path());
    assert_verified(&verify(dir.path()));
    // The log ends with the close of voting.
    let dir = t.instantiate("log-closed");
    assert_eq!(kinds(dir.path()).last(), Some(&LeafKind::Close));
    // Bytes that are not a whole leaf.
    let dir = t.instantiate("log-partial");
    let mut bytes = fs::read(dir.path().join(record::LOG_LEAVES)).expect("leaves");
    bytes.extend_from_slice(&[1; 7]);
    fs::write(dir.path().join(record::LOG_LEAVES), bytes).expect("write");
    reindex(dir.path());
    let report = verify(dir.path());
    // The tree is not determined, so there is no closing checkpoint for checks 20 and 22.
    assert_eq!(common::failed_ids(&report), [16, 19]);
    assert_fails(&report, 16, Some("log/leaves"));
}

#[test]
fn tampered_leaves_without_re_signing_fail_the_checkpoint_roots() {
    let dir = template().instantiate("log-unsigned-change");
    let (cast, other) = two_of(dir.path(), LeafKind::Cast);
    let mut leaves = read_leaves(dir.path());
    leaves.swap(cast, other);
    write_leaves(dir.path(), &leaves);
    reindex(dir.path());
    let report = verify(dir.path());
    // The closing checkpoint's root is not the tree either (check 19); without a closing
    // checkpoint, checks 20 and 22 do not run.
    assert_eq!(common::failed_ids(&report), [16, 17, 19]);
    assert_fails(&report, 17, Some("log/checkpoints.jsonl line 1"));
}

/// Rewrites line `index` (0-based) of `log/checkpoints.jsonl` with `change`, then `record.json`.
fn change_checkpoint(dir: &Path, index: usize, change: impl Fn(&mut Value)) {
    let mut lines = common::read_lines(dir, record::LOG_CHECKPOINTS);
    let mut value: Value = serde_json::from_str(&lines[index]).expect("a line");
    change(&mut value);
    lines[index] = serde_json::to_string(&value).expect("JSON");
    common::write_lines(dir, record::LOG_CHECKPOINTS, &lines);
    reindex(dir);
}

#[test]
fn each_part_of_a_checkpoint_is_checked() {
    let t = template();
    let probe = t.instantiate("log-cp-probe");
    let n = leaf_count(probe.path());
    let other_key = SignerKey::from_seed(
        saylau::log::note::KeyType::Ed25519,
        log_signer(probe.path(), "localhost").name(),
        [9; 32],
    )
    .expect("a key");
    let other_election = saylau::election::log_origin("localhost", &[7; 32]);
    let other_origin = SignerKey::from_seed(
        saylau::log::note::KeyType::Ed25519,
        &other_election,
        *saylau::sim::demo::demo_keys(SEED).log.seed(),
    )
    .expect("a key");
    type Change = Box<dyn Fn(&Path)>;
    // The last line is the closing checkpoint: a change to it fails check 19 too; a wrong root
    // of an earlier checkpoint that the log key signed fails check 20.
    let cases: Vec<(&str, Change, &str, &[u32])> = vec![
        (
            "the line's size",
            Box::new(move |d| change_checkpoint(d, 2, |v| v["size"] = Value::from(n - 1))),
            "line 3",
            &[17, 19],
        ),
        (
            "the root, in the signed text",
            Box::new(|d| {
                change_checkpoint(d, 1, |v| {
                    let text = v["checkpoint"].as_str().expect("text").to_string();
                    let lines: Vec<&str> = text.split('\n').collect();
                    let changed = text.replacen(lines[2], &base64_of(&[5; 32]), 1);
                    v["checkpoint"] = Value::from(changed);
                })
            }),
            "line 2",
            &[17],
        ),
        (
            "the signature",
            Box::new(|d| {
                change_checkpoint(d, 0, |v| {
                    let text = v["checkpoint"].as_str().expect("text").to_string();
                    let at = text.trim_end().len() - 3;
                    let mut bytes = text.into_bytes();
                    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
                    v["checkpoint"] = Value::from(String::from_utf8(bytes).expect("utf-8"));
                })
            }),
            "line 1",
            &[17],
        ),
        (
            "a root signed for the wrong size",
            Box::new(move |d| {
                let signer = log_signer(d, "localhost");
                let line = checkpoint_line(&signer, 10, root_of(d, 9));
                let mut lines = common::read_lines(d, record::LOG_CHECKPOINTS);
                lines[1] = line;
                common::write_lines(d, record::LOG_CHECKPOINTS, &lines);
                reindex(d);
            }),
            "line 2",
            &[17, 20],
        ),
        (
            "a size beyond the log",
            Box::new(move |d| {
                let signer = log_signer(d, "localhost");
                let line = checkpoint_line(&signer, n + 1, root_of(d, n));
                let mut lines = common::read_lines(d, record::LOG_CHECKPOINTS);
                lines.push(line);
                common::write_lines(d, record::LOG_CHECKPOINTS, &lines);
                reindex(d);
            }),
            "log/checkpoints.jsonl",
            &[17, 19],
        ),
        (
            "another host for one checkpoint",
            Box::new(move |d| {
                let signer = log_signer(d, "other.example");
                let line = checkpoint_line(&signer, n, root_of(d, n));
                let mut lines = common::read_lines(d, record::LOG_CHECKPOINTS);
                lines[2] = line;
                common::write_lines(d, record::LOG_CHECKPOINTS, &lines);
                reindex(d);
            }),
            "line 3",
            &[17],
        ),
        (
            "another election's origin",
            Box::new(move |d| {
                let line = checkpoint_line(&other_origin, n, root_of(d, n));
                let mut lines = common::read_lines(d, record::LOG_CHECKPOINTS);
                lines[2] = line;
                common::write_lines(d, record::LOG_CHECKPOINTS, &lines);
                reindex(d);
            }),
            "line 3",
            &[17, 19],
        ),
        (
            "another key",
            Box::new(move |d| {
                let line = checkpoint_line(&other_key, n, root_of(d, n));
                let mut lines = common::read_lines(d, record::LOG_CHECKPOINTS);
                lines[2] = line;
                common::write_lines(d, record::LOG_CHECKPOINTS, &lines);
                reindex(d);
            }),
            "line 3",
            &[17, 19],
        ),
        (
            "sizes out of order",
            Box::new(|d| {
                let mut lines = common::read_lines(d, record::LOG_CHECKPOINTS);
                lines.swap(0, 1);
                common::write_lines(d, record::LOG_CHECKPOINTS, &lines);
                reindex(d);
            }),
            "line 2",
            &[17],
        ),
        (
            "the whole log unsigned",
            Box::new(|d| {
                let mut lines = common::read_lines(d, record::LOG_CHECKPOINTS);
                lines.pop();
                common::write_lines(d, record::LOG_CHECKPOINTS, &lines);
                reindex(d);
            }),
            "log/checkpoints.jsonl",
            &[17, 19],
        ),
        (
            "no checkpoint",
            Box::new(|d| {
                common::write_lines(d, record::LOG_CHECKPOINTS, &[]);
                reindex(d);
            }),
            "log/checkpoints.jsonl",
            &[17, 19],
        ),
        (
            "an unknown field",
            Box::new(|d| change_checkpoint(d, 0, |v| v["note"] = Value::from("x"))),
            "log/checkpoints.jsonl",
            &[17, 19],
        ),
    ];
    for (name, change, culprit, failing) in cases {
        let dir = t.instantiate("log-cp");
        resign(dir.path(), &[3, 10, n]);
        assert_verified(&verify(dir.path()));
        change(dir.path());
        let report = verify(dir.path());
        if common::failed_ids(&report) != failing {
            panic!("{name}: {}", common::summary(&report));
        }
        assert_fails(&report, 17, Some(culprit));
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_missing_log_file_fails_its_checks() {
    let dir = template().instantiate("log-missing-leaves");
    fs::remove_file(dir.path().join(record::LOG_LEAVES)).expect("remove");
    let report = verify(dir.path());
    assert_fails(&report, 1, Some(record::LOG_LEAVES));
    assert_fails(&report, 16, Some(record::LOG_LEAVES));
    assert_fails(&report, 17, Some(record::LOG_LEAVES));
    assert_fails(&report, 19, Some(record::LOG_LEAVES));
    assert_eq!(common::failed_ids(&report), [1, 16, 17, 19, 20, 21]);

    let dir = template().instantiate("log-missing-checkpoints");
    fs::remove_file(dir.path().join(record::LOG_CHECKPOINTS)).expect("remove");
    let report = verify(dir.path());
    assert_fails(&report, 1, Some(record::LOG_CHECKPOINTS));
    assert_fails(&report, 17, Some(record::LOG_CHECKPOINTS));
    assert_fails(&report, 19, Some(record::LOG_CHECKPOINTS));
    assert_eq!(common::failed_ids(&report), [1, 17, 19]);

    let dir = template().instantiate("log-missing-dir");
    fs::remove_dir_all(dir.path().join(record::LOG_DIR)).expect("remove");
    let report = verify(dir.path());
    assert_eq!(common::failed_ids(&report), [1, 16, 17, 19, 20, 21]);
}

#[test]
fn the_tally_must_cover_every_cast_leaf() {
    for (field, value) in [
        ("board_size", Value::from(3)),
        ("last_tracking_code", Value::from(hex::encode([4u8; 32]))),
    ] {
        let dir = template().instantiate("log-tally");
        let path = dir.path().join(record::TALLY);
        let mut tally: Value =
            serde_json::from_slice(&fs::read(&path).expect("tally")).expect("JSON");
        tally[field] = value;
        let mut bytes = serde_json::to_vec_pretty(&tally).expect("JSON");
        bytes.push(b'\n');
        fs::write(&path, bytes).expect("write");
        reindex(dir.path());
        let report = verify(dir.path());
        assert_fails(&report, 18, Some(&format!("tally.json: {field}")));
    }
}

fn saved_receipt(dir: &Path) -> SavedReceipt {
    SavedReceipt::from_json(
        &fs::read(dir.join(saylau::sim::demo::EXAMPLE_RECEIPT)).expect("the demo's receipt"),
    )
    .expect("a saved receipt")
}

fn verdict(report: &saylau::verify::receipt::CastReport, name: &str) -> Verdict {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check: {report:?}"))
        .verdict
}

#[test]
fn a_saved_receipt_proves_inclusion_in_the_signed_log() {
    let dir = template().instantiate("log-receipt");
    let saved = saved_receipt(dir.path());
    assert!(saved.checkpoint.is_some() && saved.inclusion.is_some());
    let record = Record::at(dir.path());
    let report = check_saved_receipt(&record, &saved).expect("reads");
    assert!(report.passed(), "{report:?}");
    assert_eq!(verdict(&report, "inclusion"), Verdict::Passed);
    assert_eq!(verdict(&report, "log"), Verdict::Passed);

    // Without a checkpoint: a notice says what was not checked.
    let bare = SavedReceipt::bare(saved.receipt);
    let report = check_saved_receipt(&record, &bare).expect("reads");
    assert_eq!(verdict(&report, "inclusion"), Verdict::Notice);
    assert!(report.passed());

    // A proof hash changed, a proof cut short, another leaf index (re-signed receipt would be
    // needed, so the signature fails too), a checkpoint of another key.
    let mut changed = saved.clone();
    changed.inclusion.as_mut().expect("a proof")[0][0] ^= 1;
    let report = check_saved_receipt(&record, &changed).expect("reads");
    assert_eq!(verdict(&report, "inclusion"), Verdict::Failed, "{report:?}");
    let mut changed = saved.clone();
    changed.inclusion.as_mut().expect("a proof").pop();
    let report = check_saved_receipt(&record, &changed).expect("reads");
    assert_eq!(verdict(&report, "inclusion"), Verdict::Failed, "{report:?}");
    let mut changed = saved.clone();
    changed.receipt.leaf_index += 1;
    let report = check_saved_receipt(&record, &changed).expect("reads");
    assert_eq!(verdict(&report, "signature"), Verdict::Failed, "{report:?}");
    assert_eq!(verdict(&report, "inclusion"), Verdict::Failed, "{report:?}");
    let n = leaf_count(dir.path());
    let stranger = SignerKey::from_seed(
        saylau::log::note::KeyType::Ed25519,
        log_signer(dir.path(), "localhost").name(),
        [3; 32],
    )
    .expect("a key");
    let mut changed = saved.clone();
    changed.checkpoint = Some(
        SignedCheckpoint::sign(
            Checkpoint::new(stranger.name(), n, root_of(dir.path(), n), Vec::new())
                .expect("a body"),
            &stranger,
        )
        .expect("signed")
        .to_string(),
    );
    let report = check_saved_receipt(&record, &changed).expect("reads");
    assert_eq!(verdict(&report, "inclusion"), Verdict::Failed, "{report:?}");

    // The board publishes another log than the one it signed for the device: `log` fails.
    let (cast, other) = two_of(dir.path(), LeafKind::Cast);
    let mut leaves = read_leaves(dir.path());
    leaves.swap(cast, other);
    write_leaves(dir.path(), &leaves);
    let report = check_saved_receipt(&record, &saved).expect("reads");
    assert_eq!(verdict(&report, "log"), Verdict::Failed, "{report:?}");
    // And a shorter one.
    let mut leaves = read_leaves(dir.path());
    leaves.truncate(1);
    write_leaves(dir.path(), &leaves);
    let report = check_saved_receipt(&record, &saved).expect("reads");
    assert_eq!(verdict(&report, "log"), Verdict::Failed, "{report:?}");
}

#[test]
fn the_receipt_v2_vector_is_reproduced_and_verifies() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("protocol-spec/vectors")
        .join(receipt_vector::RECEIPT_VECTOR);
    let committed = fs::read_to_string(&path).expect("the committed vector");
    assert_eq!(
        committed,
        receipt_vector::receipt_v2(),
        "receipt_v2.json no longer reproduces: regenerate with `cargo run --example receipt_vector`"
    );
    let value: Value = serde_json::from_str(&committed).expect("JSON");
    let receipt: saylau::election::Receipt =
        serde_json::from_value(value["receipt"].clone()).expect("a receipt");
    let key: saylau::crypto::elgamal::PublicKey =
        serde_json::from_value(value["board_key"].clone()).expect("a key");
    receipt.verify(&key).expect("the vector's receipt verifies");
    assert_eq!(
        value["message"].as_str(),
        Some(hex::encode(receipt.message()).as_str())
    );
    let mut other = receipt;
    other.leaf_index += 1;
    assert!(other.verify(&key).is_err(), "the leaf index is signed");
}

/// Issue 18, spec item 5: an election in which nobody votes finishes (no party-list seat is
/// awarded) and its empty log verifies, check 16 included: nothing to check is not "not run".
#[test]
fn an_election_nobody_voted_in_verifies() {
    let empty = (0..64)
        .map(|seed| (seed, Template::demo(1, seed, 0)))
        .find(|(_, t)| {
            t.files
                .iter()
                .any(|(name, bytes)| name == "ballots.jsonl" && bytes.is_empty())
        })
        .expect("one of 64 seeds leaves the single voter at home");
    let dir = empty.1.instantiate("nobody-voted");
    assert_verified(&verify(dir.path()));
    let results = fs::read_to_string(dir.path().join("results.json")).expect("results.json");
    assert!(
        results.contains("\"no_votes\""),
        "seed {}: {results}",
        empty.0
    );
}

/// Check 16's pass after the last leaf: a line of `ballots.jsonl` or `challenged.jsonl` that no
/// leaf holds fails, by its file and line, even when the log is re-signed without it.
#[test]
fn a_line_without_a_leaf_fails_check_16() {
    let t = template();
    let probe = t.instantiate("log-probe-unheld");
    let kinds = kinds(probe.path());
    for kind in [LeafKind::Cast, LeafKind::Challenged] {
        let dir = t.instantiate("log-unheld");
        let last = kinds.iter().rposition(|k| *k == kind).expect("a leaf");
        let mut leaves = read_leaves(dir.path());
        leaves.remove(last);
        write_leaves(dir.path(), &leaves);
        resign_whole(dir.path());
        let report = verify(dir.path());
        let file = match kind {
            LeafKind::Cast => record::BALLOTS,
            _ => record::CHALLENGED,
        };
        let lines = common::read_lines(dir.path(), file).len();
        let unheld = common::check(&report, 16)
            .failures
            .iter()
            .find(|f| f.culprit == format!("{file} line {lines}"))
            .unwrap_or_else(|| panic!("{kind:?}: {}", common::summary(&report)));
        assert!(
            unheld
                .detail
                .contains("no leaf of log/leaves holds this line"),
            "{unheld:?}"
        );
    }
}

/// A trustee checks the board's log before decrypting (`verify::verified_tally`, spec
/// `ceremony.md` §14.6): a log whose leaves are not the lines (check 16), whose checkpoints do
/// not sign it all (check 17), or whose cast leaves the tally does not cover (check 18) makes
/// the trustee refuse, naming the check.
#[test]
fn a_trustee_refuses_a_board_whose_log_does_not_verify() {
    let t = template();
    let honest = t.instantiate("log-trustee-honest");
    saylau::verify::verified_tally(&Record::at(honest.path())).expect("an honest board");
    let (cast, other) = two_of(honest.path(), LeafKind::Cast);
    type Change = Box<dyn Fn(&Path)>;
    let cases: Vec<(u32, Change)> = vec![
        (
            16,
            Box::new(move |dir| {
                let mut leaves = read_leaves(dir);
                leaves.swap(cast, other);
                write_leaves(dir, &leaves);
                resign_whole(dir);
            }),
        ),
        (
            17,
            Box::new(|dir| {
                // The last leaf is left unsigned.
                let n = leaf_count(dir);
                let lines = vec![checkpoint_line(
                    &log_signer(dir, "localhost"),
                    n - 1,
                    root_of(dir, n - 1),
                )];
                common::write_lines(dir, record::LOG_CHECKPOINTS, &lines);
                reindex(dir);
            }),
        ),
        (
            18,
            Box::new(move |dir| {
                let mut leaves = read_leaves(dir);
                let copy = leaves[cast].clone();
                leaves.push(copy);
                write_leaves(dir, &leaves);
                resign_whole(dir);
            }),
        ),
    ];
    for (check, change) in cases {
        let dir = t.instantiate("log-trustee");
        change(dir.path());
        assert_fails(&verify(dir.path()), check, None);
        let refusal = saylau::verify::verified_tally(&Record::at(dir.path()))
            .expect_err("the trustee refuses");
        assert!(
            refusal.to_string().contains(&format!("check {check} (")),
            "{check}: {refusal}"
        );
    }
}
