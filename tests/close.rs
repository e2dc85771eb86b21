//! The close of voting in the record (spec `board.md` §9, `record.md` §5.4, `verifier.md`
//! checks 19–22): the demo closes its board and passes all 22 checks; every tampering with the
//! close, the closing checkpoint or the tally's anchor to it fails its check, even when the
//! operator re-signs the checkpoints with the log key and recomputes `record.json`; and a
//! trustee refuses to decrypt a tally of a board truncated before the tally.

mod common;

use common::{
    assert_fails, assert_only_fails, assert_verified, check, checkpoint_line, reindex, verify,
    Template,
};
use saylau::election::{Leaf, LeafKind, LEAF_SIZE};
use saylau::log::note::SignerKey;
use saylau::log::tree::{leaf_hash, TreeBuilder};
use saylau::record::{self, close_message, CommissionSigningKey, ElectionInfo, Record};
use saylau::verify::{Report, Status, CHECKS};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::sync::OnceLock;

const SEED: u64 = 19;

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| Template::demo(24, SEED, 0))
}

fn info(dir: &Path) -> ElectionInfo {
    record::read_json(dir, record::ELECTION)
        .expect("election.json")
        .0
}

fn log_signer(dir: &Path) -> SignerKey {
    let keys = saylau::sim::demo::demo_keys(SEED);
    keys.log
        .signer(&saylau::election::log_origin(
            "localhost",
            &info(dir).fingerprint,
        ))
        .expect("a signer")
}

fn read_leaves(dir: &Path) -> Vec<Vec<u8>> {
    fs::read(dir.join(record::LOG_LEAVES))
        .expect("log/leaves")
        .chunks(LEAF_SIZE)
        .map(<[u8]>::to_vec)
        .collect()
}

fn root_of(leaves: &[Vec<u8>], size: usize) -> [u8; 32] {
    let mut tree = TreeBuilder::new();
    for leaf in &leaves[..size] {
        tree.push(leaf_hash(leaf)).expect("push");
    }
    tree.root()
}

fn set_tally(dir: &Path, change: impl Fn(&mut Value)) {
    let mut tally: Value =
        serde_json::from_slice(&fs::read(dir.join(record::TALLY)).expect("tally")).expect("JSON");
    change(&mut tally);
    let mut bytes = serde_json::to_vec_pretty(&tally).expect("JSON");
    bytes.push(b'\n');
    fs::write(dir.join(record::TALLY), bytes).expect("write tally");
}

/// Writes `leaves`, re-signs one checkpoint of the whole new log with the log key (as the
/// operator could), points `tally.json`'s `closing_checkpoint` at it, and recomputes
/// `record.json`: afterwards check 17 passes, and only the close checks can object.
fn rewrite_log(dir: &Path, leaves: &[Vec<u8>]) {
    fs::write(dir.join(record::LOG_LEAVES), leaves.concat()).expect("write leaves");
    let size = leaves.len();
    let root = root_of(leaves, size);
    let line = checkpoint_line(&log_signer(dir), size as u64, root);
    common::write_lines(dir, record::LOG_CHECKPOINTS, &[line]);
    set_tally(dir, |tally| {
        tally["closing_checkpoint"] = serde_json::json!({"size": size, "root": hex::encode(root)});
    });
    reindex(dir);
}

fn status(report: &Report, id: u32) -> Status {
    check(report, id).status
}

#[test]
fn the_demo_closes_its_board_and_passes_all_22_checks() {
    let dir = template().instantiate("close-honest");
    let report = verify(dir.path());
    assert_verified(&report);
    assert_eq!(CHECKS.len(), 22);
    assert_eq!(report.checks.len(), 22);
    // The log ends with the close leaf, which the closing checkpoint (the last line) covers.
    let leaves = read_leaves(dir.path());
    let last = Leaf::decode(leaves.last().expect("a leaf")).expect("decodes");
    assert_eq!(last.kind(), LeafKind::Close);
    let f = info(dir.path()).fingerprint;
    assert_eq!(last.ballot_hash(), &close_message(&f));
    // An empty witness policy holds trivially, and the report says so.
    let witnessed = check(&report, 22);
    assert_eq!(witnessed.items, 0);
    assert!(
        witnessed.notes.iter().any(|n| n.contains("quorum 0")),
        "{:?}",
        witnessed.notes
    );
    let json = serde_json::to_value(&report).expect("JSON");
    assert!(json["checks"][21]["notes"][0]
        .as_str()
        .is_some_and(|n| n.contains("quorum 0")));
    assert!(json["checks"][0].get("notes").is_none());
}

#[test]
fn a_board_that_was_not_closed_fails_19_and_21() {
    let dir = template().instantiate("close-missing");
    let mut leaves = read_leaves(dir.path());
    leaves.pop();
    rewrite_log(dir.path(), &leaves);
    let report = verify(dir.path());
    assert!(!report.verified);
    for id in [19, 21] {
        assert_fails(&report, id, Some("log/leaves"));
        assert!(
            check(&report, id)
                .failures
                .iter()
                .any(|f| f.detail.contains("the board was not closed")),
            "{id}: {}",
            common::summary(&report)
        );
    }
    // Without a closing checkpoint, the checks that need it do not run (a failure too).
    assert_eq!(status(&report, 20), Status::NotRun);
    assert_eq!(status(&report, 22), Status::NotRun);
    assert_eq!(common::failed_ids(&report), vec![19, 21]);
}

#[test]
fn the_tally_must_name_the_closing_checkpoint() {
    let dir = template().instantiate("close-tally-root");
    set_tally(dir.path(), |tally| {
        let root = tally["closing_checkpoint"]["root"].as_str().expect("root");
        let bent = format!(
            "{}{}",
            if &root[..1] == "0" { "1" } else { "0" },
            &root[1..]
        );
        tally["closing_checkpoint"]["root"] = bent.into();
    });
    reindex(dir.path());
    let report = verify(dir.path());
    assert_only_fails(&report, &[19]);
    assert_fails(&report, 19, Some("tally.json: closing_checkpoint"));

    let dir = template().instantiate("close-tally-size");
    set_tally(dir.path(), |tally| {
        let size = tally["closing_checkpoint"]["size"].as_u64().expect("size");
        tally["closing_checkpoint"]["size"] = (size - 1).into();
    });
    reindex(dir.path());
    assert_fails(
        &verify(dir.path()),
        19,
        Some("tally.json: closing_checkpoint"),
    );

    // `null` or a missing anchor does not decode: every check that reads tally.json fails.
    let dir = template().instantiate("close-tally-null");
    set_tally(dir.path(), |tally| {
        tally["closing_checkpoint"] = Value::Null
    });
    reindex(dir.path());
    assert_fails(&verify(dir.path()), 19, Some("tally.json"));
}

#[test]
fn the_last_checkpoint_must_be_the_closing_one() {
    // The closing checkpoint dropped: the last line no longer covers the close leaf.
    let dir = template().instantiate("close-last-dropped");
    let lines = common::read_lines(dir.path(), record::LOG_CHECKPOINTS);
    let leaves = read_leaves(dir.path());
    let before = checkpoint_line(
        &log_signer(dir.path()),
        (leaves.len() - 1) as u64,
        root_of(&leaves, leaves.len() - 1),
    );
    let mut kept: Vec<String> = lines[..lines.len() - 1].to_vec();
    kept.push(before);
    common::write_lines(dir.path(), record::LOG_CHECKPOINTS, &kept);
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 17, Some("log/checkpoints.jsonl"));
    assert_fails(&report, 19, Some("log/checkpoints.jsonl line"));
    assert_eq!(status(&report, 20), Status::NotRun);
    assert_eq!(status(&report, 22), Status::NotRun);

    // A last line that is not signed by the log key.
    let dir = template().instantiate("close-last-unsigned");
    let mut lines = common::read_lines(dir.path(), record::LOG_CHECKPOINTS);
    let other = SignerKey::from_seed(
        saylau::log::note::KeyType::Ed25519,
        log_signer(dir.path()).name(),
        [42; 32],
    )
    .expect("a key");
    let leaves = read_leaves(dir.path());
    *lines.last_mut().expect("a line") =
        checkpoint_line(&other, leaves.len() as u64, root_of(&leaves, leaves.len()));
    common::write_lines(dir.path(), record::LOG_CHECKPOINTS, &lines);
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 19, Some("log/checkpoints.jsonl"));
    assert!(check(&report, 19)
        .failures
        .iter()
        .any(|f| f.detail.contains("not a checkpoint signed by the log")));
}

#[test]
fn a_checkpoint_the_closing_one_does_not_extend_fails_20() {
    // A split view: a second checkpoint of an earlier size, signed by the log, with another
    // root (the tree a different board would have shown someone).
    let dir = template().instantiate("close-split");
    let mut lines = common::read_lines(dir.path(), record::LOG_CHECKPOINTS);
    let leaves = read_leaves(dir.path());
    let mut other = leaves.clone();
    other.swap(1, 2);
    let forked = checkpoint_line(&log_signer(dir.path()), 5, root_of(&other, 5));
    let honest = checkpoint_line(&log_signer(dir.path()), 5, root_of(&leaves, 5));
    lines.insert(0, forked);
    lines.insert(0, honest);
    common::write_lines(dir.path(), record::LOG_CHECKPOINTS, &lines);
    reindex(dir.path());
    let report = verify(dir.path());
    assert_only_fails(&report, &[17, 20]);
    assert_fails(&report, 20, Some("log/checkpoints.jsonl line 2 (size 5)"));
    assert!(check(&report, 20)
        .failures
        .iter()
        .all(|f| f.culprit.contains("line 2")));

    // A checkpoint of a larger tree than the closing one: the log grew after the close.
    let dir = template().instantiate("close-grew");
    let mut lines = common::read_lines(dir.path(), record::LOG_CHECKPOINTS);
    let mut longer = read_leaves(dir.path());
    longer.push(longer[0].clone());
    let grown = checkpoint_line(
        &log_signer(dir.path()),
        longer.len() as u64,
        root_of(&longer, longer.len()),
    );
    let last = lines.len() - 1;
    lines.insert(last, grown);
    common::write_lines(dir.path(), record::LOG_CHECKPOINTS, &lines);
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 20, Some("log/checkpoints.jsonl"));
    assert!(check(&report, 20)
        .failures
        .iter()
        .any(|f| f.detail.contains("grew after the close")));
    assert_eq!(status(&report, 19), Status::Passed);
}

#[test]
fn the_close_leaf_must_be_the_commissions_signed_close_of_this_election() {
    let dir0 = template().instantiate("close-probe");
    let f = info(dir0.path()).fingerprint;
    let real = saylau::sim::demo::demo_commission(&saylau::sim::demo::demo_keys(SEED));
    let stranger = CommissionSigningKey::from_seed([77; 32]);
    let cases: Vec<(&str, Leaf, &str)> = vec![
        (
            "another key",
            Leaf::close(
                &stranger.public(),
                close_message(&f),
                &stranger.sign_close(&f),
            ),
            "commission_key",
        ),
        (
            "another election's close",
            Leaf::close(
                &real.public(),
                close_message(&[9; 32]),
                &real.sign_close(&[9; 32]),
            ),
            "statement",
        ),
        (
            "a signature of another statement",
            Leaf::close(&real.public(), close_message(&f), &real.sign(&[5; 32])),
            "not signed by the commission",
        ),
    ];
    for (name, leaf, expected) in cases {
        let dir = template().instantiate("close-leaf");
        let mut leaves = read_leaves(dir.path());
        *leaves.last_mut().expect("a leaf") = leaf.to_bytes().to_vec();
        rewrite_log(dir.path(), &leaves);
        let report = verify(dir.path());
        assert_only_fails(&report, &[21]);
        let culprit = format!("log/leaves leaf {}", leaves.len() - 1);
        assert_fails(&report, 21, Some(&culprit));
        assert!(
            check(&report, 21)
                .failures
                .iter()
                .any(|f| f.detail.contains(expected)),
            "{name}: {}",
            common::summary(&report)
        );
    }

    // A ballot after the close: the close moved before the last cast leaf.
    let dir = template().instantiate("close-ballot-after");
    let mut leaves = read_leaves(dir.path());
    let close = leaves.pop().expect("the close leaf");
    let last_cast = leaves
        .iter()
        .rposition(|l| Leaf::decode(l).expect("a leaf").kind() == LeafKind::Cast)
        .expect("a cast leaf");
    leaves.insert(last_cast, close.clone());
    rewrite_log(dir.path(), &leaves);
    let report = verify(dir.path());
    assert_fails(
        &report,
        21,
        Some(&format!("log/leaves leaf {}", last_cast + 1)),
    );
    assert_fails(&report, 19, Some("log/checkpoints.jsonl line 1"));
    assert_fails(&report, 16, Some("log/leaves"));

    // Two close leaves.
    let dir = template().instantiate("close-twice");
    let mut leaves = read_leaves(dir.path());
    leaves.push(close);
    rewrite_log(dir.path(), &leaves);
    let report = verify(dir.path());
    assert_fails(
        &report,
        21,
        Some(&format!("log/leaves leaf {}", leaves.len() - 1)),
    );
    assert!(check(&report, 21)
        .failures
        .iter()
        .any(|f| f.detail.contains("a second close leaf")));
}

#[test]
fn truncation_before_the_tally_is_refused_by_the_trustees() {
    // The board drops its last cast ballot after the close (line and leaf), keeps the closing
    // checkpoint it signed (the witnesses cosigned it: it cannot be re-signed), and takes the
    // tally of what is left.
    let dir = template().instantiate("close-truncated");
    let lines = common::read_lines(dir.path(), record::BALLOTS);
    common::write_lines(dir.path(), record::BALLOTS, &lines[..lines.len() - 1]);
    let election = saylau::election::Election::open(&Record::at(dir.path())).expect("open");
    saylau::election::publish_tally(&Record::at(dir.path()), &election).expect("a tally");
    let refused =
        saylau::verify::verified_tally(&Record::at(dir.path())).expect_err("a trustee must refuse");
    let why = refused.to_string();
    assert!(why.contains("check 19"), "{why}");
    assert!(why.contains("tally.json: board_size"), "{why}");

    // The operator also re-signs a closing checkpoint of the truncated log: the checkpoint it
    // signed before (still published) is not a prefix of the new closing tree.
    let dir = template().instantiate("close-truncated-resigned");
    let lines = common::read_lines(dir.path(), record::BALLOTS);
    let mut leaves = read_leaves(dir.path());
    let close = leaves.pop().expect("close");
    let last_cast = leaves
        .iter()
        .rposition(|l| Leaf::decode(l).expect("a leaf").kind() == LeafKind::Cast)
        .expect("a cast leaf");
    let old_size = leaves.len() + 1;
    let old_root = root_of(&[leaves.clone(), vec![close.clone()]].concat(), old_size);
    leaves.remove(last_cast);
    leaves.push(close);
    common::write_lines(dir.path(), record::BALLOTS, &lines[..lines.len() - 1]);
    rewrite_log(dir.path(), &leaves);
    let signer = log_signer(dir.path());
    let mut checkpoints = vec![checkpoint_line(&signer, old_size as u64, old_root)];
    checkpoints.extend(common::read_lines(dir.path(), record::LOG_CHECKPOINTS));
    common::write_lines(dir.path(), record::LOG_CHECKPOINTS, &checkpoints);
    let election = saylau::election::Election::open(&Record::at(dir.path())).expect("open");
    saylau::election::publish_tally(&Record::at(dir.path()), &election).expect("a tally");
    let why = saylau::verify::verified_tally(&Record::at(dir.path()))
        .expect_err("a trustee must refuse")
        .to_string();
    assert!(why.contains("check 20"), "{why}");
}
