//! `saylau receipt --board`: a voter's check of a saved receipt against the live board, in a few
//! requests and some kilobytes (spec `device.md` §4): the receipt's signature, the ballot's
//! leaf and its inclusion proof in the latest signed checkpoint, and the consistency of that
//! checkpoint with the one the device saw when it cast.

use super::board::Board;
use super::proof::{check_consistency, check_inclusion, open_checkpoint};
use super::saved::{self, SavedReceipt};
use crate::cli::vote::{leaf_index, log_key_of};
use saylau::crypto::digest::Hash;
use saylau::election::{Leaf, LeafKind};
use saylau::record::{self, ElectionInfo};
use saylau::verify::receipt::{ReceiptCheck, Verdict};
use std::time::{Duration, Instant};

/// What the check found, and what it could not see.
#[derive(Debug)]
pub struct BoardReport {
    /// The checks in order; a failed one ends the list.
    pub checks: Vec<ReceiptCheck>,
    /// Bytes of answers received.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl BoardReport {
    /// True when no check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Failed)
    }
}

/// What a receipt check against the board cannot show, in the voter's words.
pub const NOT_CHECKED: &[&str] = &[
    "that your ballot's proofs are valid and that the tally counts it: `saylau verify` on the board's export does that, after the election",
    "that everyone sees the same log as you: no witness cosigns this board's checkpoints yet, so a board could show you a log that others do not see",
    "that the ballot hash is the one your device showed before you cast: compare it yourself",
    "that this is your last ballot: a later ballot with your credential replaces it",
];

fn check(name: &'static str, verdict: Verdict, detail: impl Into<String>) -> ReceiptCheck {
    ReceiptCheck {
        name,
        verdict,
        detail: detail.into(),
    }
}

/// Runs the checks; `expected` is the fingerprint the voter holds from outside the board, if
/// given. `wait` bounds the wait for a checkpoint covering the leaf.
pub fn check_on_board(
    board: &Board,
    saved: &SavedReceipt,
    expected: Option<&Hash>,
    wait: Duration,
) -> BoardReport {
    let start = Instant::now();
    let mut checks = Vec::new();
    let _ = run(board, saved, expected, wait, &mut checks);
    BoardReport {
        checks,
        bytes: board.bytes_received(),
        elapsed: start.elapsed(),
    }
}

/// Appends checks until one fails (`Err(())`).
fn run(
    board: &Board,
    saved: &SavedReceipt,
    expected: Option<&Hash>,
    wait: Duration,
    checks: &mut Vec<ReceiptCheck>,
) -> Result<(), ()> {
    let fail = |checks: &mut Vec<ReceiptCheck>, name, detail: String| {
        checks.push(check(name, Verdict::Failed, detail));
        Err(())
    };
    let receipt = &saved.receipt;
    let f = hex::encode(receipt.election);

    // The election: election.json must hash to the receipt's F, so the keys it names are F's.
    let info = match board
        .election_file(record::ELECTION)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            record::decode_json::<ElectionInfo>(record::ELECTION, None, &bytes)
                .map_err(|e| e.to_string())
        }) {
        Ok(info) => info,
        Err(e) => return fail(checks, "election", e),
    };
    if let Some(expected) = expected {
        if &receipt.election != expected {
            return fail(
                checks,
                "election",
                format!(
                    "the receipt is for election {f}, not {}",
                    hex::encode(expected)
                ),
            );
        }
    }
    if info.fingerprint != receipt.election || !self_consistent(&info) {
        return fail(
            checks,
            "election",
            format!(
                "the board's election.json is for {} (or does not hash to its fingerprint), the receipt for {f}",
                hex::encode(info.fingerprint)
            ),
        );
    }
    checks.push(check(
        "election",
        Verdict::Passed,
        format!("the board serves election {f}, whose fingerprint binds its receipt and log keys"),
    ));

    // The receipt's signature under B.
    if let Err(e) = receipt.verify(&info.board_key) {
        return fail(
            checks,
            "signature",
            format!("the board's signature does not verify: {e}"),
        );
    }
    checks.push(check(
        "signature",
        Verdict::Passed,
        format!(
            "signed by the board: position {}, leaf {}, ballot hash {}",
            receipt.position,
            leaf_index(receipt),
            hex::encode(receipt.ballot_hash)
        ),
    ));

    // The receipt again, by its tracking code, with the leaf, its inclusion proof and the
    // latest signed checkpoint covering it: one request (board.md §8.9).
    let index = leaf_index(receipt);
    let deadline = Instant::now() + wait;
    let (answer, proof) = loop {
        match board.receipt_with_proof(&receipt.tracking_code, None) {
            Ok(answer) => match answer.proof.clone() {
                Some(proof) => break (answer, proof),
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
                None => {
                    return fail(
                        checks,
                        "checkpoint",
                        format!(
                    "the board signed this receipt, but no signed checkpoint covers leaf {index}"
                ),
                    )
                }
            },
            Err(e) => return fail(checks, "checkpoint", e.to_string()),
        }
    };
    if answer.receipt != *receipt {
        return fail(
            checks,
            "checkpoint",
            format!(
                "the board's receipt for tracking code {} is not yours (position {}, leaf {})",
                hex::encode(receipt.tracking_code),
                answer.receipt.position,
                answer.receipt.leaf_index
            ),
        );
    }
    let log_key = match log_key_of(&info) {
        Ok(key) => key,
        Err(e) => return fail(checks, "checkpoint", e),
    };
    let latest = match open_checkpoint(&proof.checkpoint, &receipt.election, &log_key) {
        Ok(signed) if signed.checkpoint().size() == proof.size => signed,
        Ok(signed) => {
            return fail(
                checks,
                "checkpoint",
                format!(
                    "the answer says size {}, its checkpoint signs size {}",
                    proof.size,
                    signed.checkpoint().size()
                ),
            )
        }
        Err(e) => return fail(checks, "checkpoint", e.to_string()),
    };
    checks.push(check(
        "checkpoint",
        Verdict::Passed,
        format!(
            "the latest checkpoint, of size {}, is signed by the log key F binds ({})",
            proof.size,
            latest.checkpoint().origin()
        ),
    ));

    // The leaf: the device's own if its file kept one (board.md §3.4), else the board's; either
    // way the inclusion proof below ties it to the signed root.
    let leaf = match saved.leaf {
        Some(leaf) => leaf,
        None => match Leaf::decode(&answer.leaf) {
            Ok(leaf) => leaf,
            Err(e) => return fail(checks, "leaf", format!("leaf {index}: {e}")),
        },
    };
    if leaf.kind() != LeafKind::Cast || leaf.ballot_hash() != &receipt.ballot_hash {
        return fail(
            checks,
            "leaf",
            format!(
                "leaf {index} is a {:?} leaf for ballot {}, not the cast ballot {}",
                leaf.kind(),
                hex::encode(leaf.ballot_hash()),
                hex::encode(receipt.ballot_hash)
            ),
        );
    }
    if let Err(e) = check_inclusion(latest.checkpoint(), index, &leaf, &proof.inclusion) {
        return fail(checks, "inclusion", e.to_string());
    }
    checks.push(check(
        "inclusion",
        Verdict::Passed,
        format!(
            "leaf {index} (cast, ballot {}) is in the tree of size {}: {} proof hashes",
            &hex::encode(receipt.ballot_hash)[..16],
            proof.size,
            proof.inclusion.len()
        ),
    ));

    // The checkpoint the device saw, and the consistency proof from it to the latest.
    let Some(seen_text) = &saved.checkpoint else {
        checks.push(check(
            "consistency",
            Verdict::Notice,
            "the device saved no checkpoint when it cast: nothing to compare the latest one with",
        ));
        return Ok(());
    };
    let seen = match open_checkpoint(seen_text, &receipt.election, &log_key) {
        Ok(seen) => seen,
        Err(e) => return fail(checks, "consistency", format!("the saved {e}")),
    };
    if seen.checkpoint().origin() != latest.checkpoint().origin() {
        return fail(
            checks,
            "consistency",
            format!(
                "the saved checkpoint's origin {:?} is not the board's {:?}",
                seen.checkpoint().origin(),
                latest.checkpoint().origin()
            ),
        );
    }
    if let Some(seen_proof) = saved::inclusion(saved) {
        if let Err(e) = check_inclusion(seen.checkpoint(), index, &leaf, &seen_proof) {
            return fail(checks, "consistency", format!("the saved {e}"));
        }
    }
    let (from, to) = (seen.checkpoint().size(), latest.checkpoint().size());
    if from > to {
        return fail(
            checks,
            "consistency",
            format!("the board's latest checkpoint (size {to}) is older than the one your device saw (size {from}): the log went back"),
        );
    }
    let answer = match board.consistency(from, to) {
        Ok(answer) => answer,
        Err(e) => return fail(checks, "consistency", e.to_string()),
    };
    if let Err(e) = check_consistency(seen.checkpoint(), latest.checkpoint(), &answer.consistency) {
        return fail(checks, "consistency", e.to_string());
    }
    checks.push(check(
        "consistency",
        Verdict::Passed,
        format!(
            "the tree of size {from} your device saw is a prefix of the latest, of size {to}: {} proof hashes",
            answer.consistency.len()
        ),
    ));
    Ok(())
}

/// The fingerprint of `election.json` recomputed from its own fields.
fn self_consistent(info: &ElectionInfo) -> bool {
    crate::client::election::recompute_from_fields(info) == *info
}
