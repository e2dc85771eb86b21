//! Checks 19–22: the close of voting (spec `verifier.md` §2, `board.md` §9, `record.md` §5.4).
//!
//! The board's log ends with the commission's close leaf, and the last signed checkpoint, the
//! closing checkpoint, covers it (check 19), so the end of the board is fixed by the log and not
//! by whoever takes the tally, which must name that checkpoint. Every checkpoint the log signed
//! is a prefix of the closing tree (check 20). Exactly one close leaf, signed by the commission,
//! and no ballot after it (check 21). The closing checkpoint carries the cosignatures the
//! witness policy asks for (check 22).
//!
//! One pass over `log/leaves` rebuilds the tree, keeping the root at every size a signed
//! checkpoint states; nothing else of the log is kept in memory.

use super::election::Context;
use super::log::read_leaf;
use super::report::Report;
use crate::crypto::digest::Hash;
use crate::election::{check_log_origin, CheckpointLine, Leaf, LeafKind, LEAF_SIZE};
use crate::log::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::log::note::{KeyType, Note, VerifierKey};
use crate::log::tree::{leaf_hash, TreeBuilder};
use crate::record::{
    close_message, ElectionInfo, Record, RecordError, ELECTION, LOG_CHECKPOINTS, LOG_LEAVES, TALLY,
};
use crate::tally::{ClosingCheckpoint, EncryptedTally};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::BufReader;

const CLOSING: u32 = 19;
const CONSISTENT: u32 = 20;
const CLOSED: u32 = 21;
const WITNESSED: u32 = 22;

const NOT_CLOSED: &str = "the board was not closed: log/leaves holds no close leaf";

/// A line of `log/checkpoints.jsonl` that is a checkpoint signed by the log key.
struct Signed {
    line: u64,
    size: u64,
    root: Hash,
    text: String,
}

impl Signed {
    fn culprit(&self) -> String {
        format!("{LOG_CHECKPOINTS} line {} (size {})", self.line, self.size)
    }
}

/// What the pass over `log/leaves` found.
#[derive(Default)]
struct Leaves {
    /// Whole leaves.
    count: u64,
    /// Bytes after the last whole leaf.
    trailing: usize,
    /// The indices of the close leaves, in order, with the leaves.
    closes: Vec<(u64, Leaf)>,
    /// Cast leaves before the first close leaf.
    cast_before_close: u64,
    /// Ballot leaves after the first close leaf: index and kind.
    after_close: Vec<(u64, LeafKind)>,
    /// The root of the first `size` leaves, for every size asked for that the log reaches.
    roots: BTreeMap<u64, Hash>,
    /// The root of the whole log.
    root: Hash,
}

/// Checks 19–22 (spec `verifier.md` §2).
pub(crate) fn check_close(record: &Record, context: &Context, report: &mut Report) {
    let info = match record.json::<ElectionInfo>(ELECTION) {
        Ok((info, _)) => info,
        Err(error) => {
            for id in [CLOSING, CONSISTENT, CLOSED, WITNESSED] {
                report.fail(id, ELECTION, error.to_string());
            }
            return;
        }
    };
    let (signed, last) = read_signed(record, &info, &context.fingerprint);
    let sizes: BTreeSet<u64> = signed.iter().map(|s| s.size).collect();
    let leaves = match read_leaves(record, &sizes) {
        Ok(leaves) => leaves,
        Err(error) => {
            for id in [CLOSING, CONSISTENT, CLOSED] {
                report.fail(id, LOG_LEAVES, error.clone());
            }
            return;
        }
    };
    check_close_leaf(&leaves, &info, &context.fingerprint, report);
    let closing = check_closing(record, &leaves, &signed, last, report);
    let Some(closing) = closing else {
        // Checks 20 and 22 need the closing checkpoint: they are not run.
        return;
    };
    check_consistent(&leaves, &signed, closing, report);
    check_witnessed(&info, closing, report);
}

/// Every line of `log/checkpoints.jsonl` that is a checkpoint of this election's log signed by
/// `log_key` (check 17 reports the others), and what became of the last line: the closing
/// checkpoint must be the last line, so an unsigned or broken last line is not skipped.
fn read_signed(
    record: &Record,
    info: &ElectionInfo,
    fingerprint: &Hash,
) -> (Vec<Signed>, Option<Result<usize, String>>) {
    let mut signed = Vec::new();
    let mut last = None;
    let mut reader = match record.lines(LOG_CHECKPOINTS, false) {
        Ok(Some(reader)) => reader,
        Ok(None) => return (signed, None),
        Err(error) => return (signed, Some(Err(error.to_string()))),
    };
    loop {
        let (line, entry) = match reader.next_json::<CheckpointLine>() {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(error) => {
                last = Some(Err(format!("{error}: the file cannot be read to its end")));
                break;
            }
        };
        let opened = Note::parse(entry.checkpoint.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|note| Checkpoint::parse(note.text()).map_err(|e| e.to_string()))
            .and_then(|body| {
                check_log_origin(body.origin(), fingerprint)?;
                let key = info
                    .log_key
                    .verifier(body.origin())
                    .map_err(|e| e.to_string())?;
                SignedCheckpoint::open(entry.checkpoint.as_bytes(), &key, body.origin())
                    .map_err(|e| format!("not signed by election.json's log_key: {e}"))
            })
            .and_then(|checkpoint| {
                let body = checkpoint.checkpoint();
                if body.size() == entry.size {
                    Ok((body.size(), *body.root()))
                } else {
                    Err(format!(
                        "the line says size {}, the signed checkpoint {}",
                        entry.size,
                        body.size()
                    ))
                }
            });
        last = Some(match opened {
            Ok((size, root)) => {
                signed.push(Signed {
                    line,
                    size,
                    root,
                    text: entry.checkpoint,
                });
                Ok(signed.len() - 1)
            }
            Err(error) => Err(format!("{LOG_CHECKPOINTS} line {line}: {error}")),
        });
    }
    (signed, last)
}

/// One pass over `log/leaves`: the tree (over the bytes as published), its root at each of
/// `sizes`, and where the close leaves and ballot leaves are.
fn read_leaves(record: &Record, sizes: &BTreeSet<u64>) -> Result<Leaves, String> {
    let path = record.path(LOG_LEAVES);
    let file = std::fs::metadata(&path)
        .and_then(|metadata| {
            if metadata.is_file() {
                std::fs::File::open(&path)
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a regular file",
                ))
            }
        })
        .map_err(|e| RecordError::io(LOG_LEAVES, e).to_string())?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut tree = TreeBuilder::new();
    let mut found = Leaves::default();
    let mut wanted = sizes.iter().copied().peekable();
    let mut bytes = [0u8; LEAF_SIZE];
    loop {
        while let Some(size) = wanted.next_if(|size| *size <= tree.size()) {
            if size == tree.size() {
                found.roots.insert(size, tree.root());
            }
        }
        let read = read_leaf(&mut reader, &mut bytes)
            .map_err(|e| RecordError::io(LOG_LEAVES, e).to_string())?;
        if read < LEAF_SIZE {
            found.trailing = read;
            break;
        }
        let index = tree.size();
        tree.push(leaf_hash(&bytes))
            .map_err(|_| "more leaves than a tree can hold".to_string())?;
        // Leaves that do not decode are check 16's; here only their place in the tree counts.
        let Ok(leaf) = Leaf::decode(&bytes) else {
            continue;
        };
        match (leaf.kind(), found.closes.is_empty()) {
            (LeafKind::Close, _) => found.closes.push((index, leaf)),
            (LeafKind::Cast, true) => found.cast_before_close += 1,
            (kind, false) => found.after_close.push((index, kind)),
            (LeafKind::Challenged, true) => {}
        }
    }
    found.count = tree.size();
    found.root = tree.root();
    Ok(found)
}

/// Check 21: exactly one close leaf, the commission's signed close of this election, and no
/// cast or challenged leaf after it.
fn check_close_leaf(leaves: &Leaves, info: &ElectionInfo, fingerprint: &Hash, report: &mut Report) {
    let Some((index, leaf)) = leaves.closes.first() else {
        report.fail(CLOSED, LOG_LEAVES, NOT_CLOSED);
        return;
    };
    report.item(CLOSED, 1);
    let culprit = format!("{LOG_LEAVES} leaf {index}");
    if leaf.credential() != info.commission_key.as_bytes() {
        report.fail(
            CLOSED,
            culprit.clone(),
            "the close leaf's key is not election.json's commission_key",
        );
    }
    let statement = close_message(fingerprint);
    if leaf.ballot_hash() != &statement {
        report.fail(
            CLOSED,
            culprit.clone(),
            "the close leaf's statement is not this election's close statement TH(\"saylau/v2/commission/close\", [F])",
        );
    }
    match leaf.close_signature() {
        Some(signature) => {
            if let Err(error) = info.commission_key.verify(&statement, &signature) {
                report.fail(
                    CLOSED,
                    culprit,
                    format!("{error}: the close was not signed by the commission"),
                );
            }
        }
        None => report.fail(CLOSED, culprit, "not a close leaf"),
    }
    for (second, _) in &leaves.closes[1..] {
        report.fail(
            CLOSED,
            format!("{LOG_LEAVES} leaf {second}"),
            format!("a second close leaf (the first is leaf {index})"),
        );
    }
    for (after, kind) in &leaves.after_close {
        report.fail(
            CLOSED,
            format!("{LOG_LEAVES} leaf {after}"),
            format!("a {kind:?} leaf after the close of voting (leaf {index})"),
        );
    }
}

/// Check 19: the last line of `log/checkpoints.jsonl` is the closing checkpoint: signed by the
/// log, covering the whole log, which ends with the close leaf, with the log's root; and
/// `tally.json` names it, with a `board_size` equal to the cast leaves before the close.
/// Returns the closing checkpoint when the log part holds.
fn check_closing<'s>(
    record: &Record,
    leaves: &Leaves,
    signed: &'s [Signed],
    last: Option<Result<usize, String>>,
    report: &mut Report,
) -> Option<&'s Signed> {
    report.item(CLOSING, 1);
    let mut closing = None;
    if leaves.trailing > 0 {
        report.fail(
            CLOSING,
            LOG_LEAVES,
            format!(
                "ends with {} bytes that are not a whole leaf: the tree is not determined",
                leaves.trailing
            ),
        );
    }
    let close = leaves.closes.first().map(|(index, _)| *index);
    match (close, last) {
        (None, _) => report.fail(CLOSING, LOG_LEAVES, NOT_CLOSED),
        (Some(_), None) => report.fail(
            CLOSING,
            LOG_CHECKPOINTS,
            "no signed checkpoint: the closing checkpoint is missing",
        ),
        (Some(_), Some(Err(error))) => report.fail(
            CLOSING,
            LOG_CHECKPOINTS,
            format!("the last line is not a checkpoint signed by the log: {error}"),
        ),
        (Some(close), Some(Ok(position))) => {
            let candidate = &signed[position];
            let before = report.check(CLOSING).failures.len();
            if candidate.size != leaves.count {
                report.fail(
                    CLOSING,
                    candidate.culprit(),
                    format!(
                        "the last checkpoint covers {} leaves, log/leaves holds {}: the closing checkpoint must cover the whole log",
                        candidate.size, leaves.count
                    ),
                );
            } else if close + 1 != candidate.size {
                report.fail(
                    CLOSING,
                    candidate.culprit(),
                    format!("does not end with the close leaf (leaf {close})"),
                );
            } else if candidate.root != leaves.root {
                report.fail(
                    CLOSING,
                    candidate.culprit(),
                    "its root is not the tree of log/leaves",
                );
            }
            if report.check(CLOSING).failures.len() == before && leaves.trailing == 0 {
                closing = Some(candidate);
            }
        }
    }
    let tally: EncryptedTally = match record.json(TALLY) {
        Ok((tally, _)) => tally,
        Err(error) => {
            report.fail(CLOSING, TALLY, error.to_string());
            return closing;
        }
    };
    if let Some(close) = leaves.closes.first() {
        if tally.board_size != leaves.cast_before_close {
            report.fail(
                CLOSING,
                "tally.json: board_size",
                format!(
                    "the tally was taken over {} ballots, the log has {} cast leaves before its close leaf {}",
                    tally.board_size, leaves.cast_before_close, close.0
                ),
            );
        }
    }
    if let Some(closing) = closing {
        let expected = ClosingCheckpoint {
            size: closing.size,
            root: closing.root,
        };
        if tally.closing_checkpoint != Some(expected) {
            report.fail(
                CLOSING,
                "tally.json: closing_checkpoint",
                format!(
                    "is not the log's closing checkpoint ({}), size {} and root {}",
                    closing.culprit(),
                    closing.size,
                    hex::encode(closing.root)
                ),
            );
        }
    }
    closing
}

/// Check 20: every checkpoint the log signed is consistent with the closing one: it is no
/// larger, and its root is the root of that many first leaves of the closing tree (`log.md`
/// §2.5; the leaves are at hand, so the prefix is rebuilt rather than proved).
fn check_consistent(leaves: &Leaves, signed: &[Signed], closing: &Signed, report: &mut Report) {
    report.item(CONSISTENT, 0);
    for checkpoint in signed {
        report.item(CONSISTENT, 1);
        if checkpoint.size > closing.size {
            report.fail(
                CONSISTENT,
                checkpoint.culprit(),
                format!(
                    "signs a tree of {} leaves, larger than the closing checkpoint's {}: the log grew after the close",
                    checkpoint.size, closing.size
                ),
            );
        } else if leaves.roots.get(&checkpoint.size) != Some(&checkpoint.root) {
            report.fail(
                CONSISTENT,
                checkpoint.culprit(),
                format!(
                    "its root is not the root of the first {} leaves of the closing tree: the log signed a tree the closing checkpoint does not extend (a split view)",
                    checkpoint.size
                ),
            );
        }
    }
}

/// Check 22: the closing checkpoint carries valid tlog-cosignature v1 lines from at least
/// `quorum` distinct witnesses of `election.json`'s witness policy (`record.md` §3.3).
fn check_witnessed(info: &ElectionInfo, closing: &Signed, report: &mut Report) {
    let policy = &info.witness_policy;
    let witnesses: Vec<VerifierKey> = policy.witnesses.iter().map(|w| w.vkey.clone()).collect();
    let note = match Note::parse(closing.text.as_bytes()) {
        Ok(note) => note,
        Err(error) => {
            report.fail(WITNESSED, closing.culprit(), error.to_string());
            return;
        }
    };
    let cosigned = match note.verify_known(&witnesses) {
        Ok(verified) => verified,
        Err(error) => {
            report.fail(
                WITNESSED,
                closing.culprit(),
                format!("a witness's cosignature does not verify: {error}"),
            );
            return;
        }
    };
    let distinct: HashSet<&str> = cosigned
        .iter()
        .filter(|v| v.key_type == KeyType::CosignatureV1)
        .map(|v| v.name.as_str())
        .collect();
    report.item(WITNESSED, distinct.len() as u64);
    if policy.quorum == 0 {
        report.note(
            WITNESSED,
            "the witness policy is empty (quorum 0): no cosignature is required, so the closing checkpoint is the board's word alone",
        );
        return;
    }
    if (distinct.len() as u64) < policy.quorum {
        let mut names: Vec<&str> = distinct.into_iter().collect();
        names.sort_unstable();
        report.fail(
            WITNESSED,
            "election.json: witness_policy",
            format!(
                "the closing checkpoint ({}) is cosigned by {} of the {} listed witnesses ({}); the policy needs {}",
                closing.culprit(),
                names.len(),
                policy.witnesses.len(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                },
                policy.quorum
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::elgamal::{PublicKey, Secret};
    use crate::log::checkpoint::LogSigningKey;
    use crate::log::note::SignerKey;
    use crate::record::{CommissionSigningKey, Witness, WitnessPolicy};
    use curve25519_dalek::scalar::Scalar;

    fn witness(seed: u8) -> SignerKey {
        SignerKey::from_seed(
            KeyType::CosignatureV1,
            &format!("witness-{seed}.example"),
            [seed; 32],
        )
        .expect("a witness key")
    }

    fn info(quorum: u64, witnesses: &[&SignerKey]) -> ElectionInfo {
        let key = |n: u64| {
            PublicKey::new(Secret::from_scalar(Scalar::from(n)).public_element()).expect("a key")
        };
        ElectionInfo::new(
            [1; 32],
            [2; 32],
            [3; 32],
            key(5),
            key(6),
            LogSigningKey::from_seed([7; 32]).public(),
            CommissionSigningKey::from_seed([8; 32]).public(),
            WitnessPolicy {
                quorum,
                witnesses: witnesses
                    .iter()
                    .map(|w| Witness { vkey: w.verifier() })
                    .collect(),
            },
            false,
        )
    }

    /// The closing checkpoint, signed by the log and cosigned by `cosigners`.
    fn closing(cosigners: &[&SignerKey]) -> Signed {
        let log = LogSigningKey::from_seed([7; 32])
            .signer("localhost/saylau/00")
            .expect("a signer");
        let body = Checkpoint::new(log.name(), 4, [9; 32], Vec::new()).expect("a body");
        let mut signed = SignedCheckpoint::sign(body, &log).expect("signed");
        for (i, w) in cosigners.iter().enumerate() {
            signed
                .cosign(w, 1_700_000_000 + i as u64)
                .expect("cosigned");
        }
        Signed {
            line: 1,
            size: 4,
            root: [9; 32],
            text: signed.to_string(),
        }
    }

    fn run(info: &ElectionInfo, closing: &Signed) -> Report {
        let mut report = Report::new();
        check_witnessed(info, closing, &mut report);
        report
    }

    #[test]
    fn check_22_counts_distinct_valid_cosignatures_of_the_policy() {
        let (a, b, c, stranger) = (witness(1), witness(2), witness(3), witness(4));
        let policy = info(2, &[&a, &b, &c]);
        // Two of three: holds, and the items say how many cosigned.
        let mut report = run(&policy, &closing(&[&a, &c]));
        assert_eq!(
            report.check(WITNESSED).status,
            crate::verify::Status::Passed
        );
        assert_eq!(report.check(WITNESSED).items, 2);
        // One of three, and a stranger's cosignature does not count.
        let mut report = run(&policy, &closing(&[&b, &stranger]));
        let check = report.check(WITNESSED).clone();
        assert_eq!(check.status, crate::verify::Status::Failed);
        assert_eq!(check.failures[0].culprit, "election.json: witness_policy");
        assert!(check.failures[0].detail.contains("witness-2.example"));
        // A listed witness's cosignature that does not verify fails, naming the checkpoint.
        let mut text = closing(&[&a, &b]);
        let line = text
            .text
            .lines()
            .find(|l| l.contains("witness-1.example"))
            .expect("a cosignature line")
            .to_string();
        let at = line.len() - 4;
        let mut bent = line.clone().into_bytes();
        bent[at] = if bent[at] == b'A' { b'B' } else { b'A' };
        text.text = text
            .text
            .replace(&line, &String::from_utf8(bent).expect("utf-8"));
        let mut report = run(&policy, &text);
        let check = report.check(WITNESSED).clone();
        assert_eq!(check.status, crate::verify::Status::Failed);
        assert!(check.failures[0]
            .culprit
            .contains("log/checkpoints.jsonl line 1"));
        // Quorum 0 holds trivially, and says so.
        let mut report = run(&info(0, &[]), &closing(&[]));
        let check = report.check(WITNESSED).clone();
        assert_eq!(check.status, crate::verify::Status::Passed);
        assert!(check.notes[0].contains("quorum 0"));
    }
}
