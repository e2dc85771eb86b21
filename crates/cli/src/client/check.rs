//! `saylau receipt --board`: a voter's check of a saved receipt against the live board, in a few
//! requests and some kilobytes (spec `device.md` §4): the receipt's signature, the ballot's
//! leaf and its inclusion proof in the latest signed checkpoint, and the consistency of that
//! checkpoint with the one the device saw when it cast.

use super::board::{Board, HexHash};
use super::proof::{check_consistency, check_inclusion, open_checkpoint};
use super::saved::{self, SavedReceipt};
use crate::cli::vote::{leaf_index, log_key_of};
use saylau::crypto::digest::Hash;
use saylau::election::{Leaf, LeafKind};
use saylau::log::note::VerifierKey;
use saylau::log::proof::{check_quorum, TlogProof};
use saylau::log::EntryBundle;
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
    /// True when every check passed but the checkpoint lacks the witness policy's quorum:
    /// "proof pending", not a failure (board.md §11.4).
    pub pending: bool,
}

impl BoardReport {
    /// True when no check failed (the proof may still be pending).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Failed)
    }
}

/// What a receipt check against the board cannot show, in the voter's words.
pub const NOT_CHECKED: &[&str] = &[
    "that your ballot's proofs are valid and that the tally counts it: `saylau verify` on the board's export does that, after the election",
    "that everyone sees the same log as you beyond what the witnesses vouch for: a board could show you a log others do not see only with the help of as many witnesses as the policy's quorum",
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
    let mut pending = false;
    let _ = run(board, saved, expected, wait, &mut checks, &mut pending);
    BoardReport {
        pending,
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
    pending: &mut bool,
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

    // The tlog-proof (board.md §11.4): wait, up to `wait`, for one whose checkpoint carries the
    // witness policy's quorum; the board's promise is 10 s after the receipt.
    let index = leaf_index(receipt);
    let log_key = match log_key_of(&info) {
        Ok(key) => key,
        Err(e) => return fail(checks, "checkpoint", e),
    };
    let policy = &info.witness_policy;
    let witnesses: Vec<VerifierKey> = policy.witnesses.iter().map(|w| w.vkey.clone()).collect();
    let deadline = Instant::now() + wait;
    let (proof, latest, quorum) = loop {
        let text = match board.tlog_proof(index) {
            Ok(Some(text)) => text,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            Ok(None) => {
                return fail(
                    checks,
                    "checkpoint",
                    format!(
                    "the board signed this receipt, but no signed checkpoint covers leaf {index}"
                ),
                )
            }
            Err(e) => return fail(checks, "checkpoint", e.to_string()),
        };
        let proof = match TlogProof::parse(&text) {
            Ok(proof) if proof.index == index => proof,
            Ok(proof) => {
                return fail(
                    checks,
                    "checkpoint",
                    format!(
                        "asked for the proof of leaf {index}, got leaf {}",
                        proof.index
                    ),
                )
            }
            Err(e) => return fail(checks, "checkpoint", e.to_string()),
        };
        let note = String::from_utf8_lossy(&proof.checkpoint).into_owned();
        let latest = match open_checkpoint(&note, &receipt.election, &log_key) {
            Ok(signed) => signed,
            Err(e) => return fail(checks, "checkpoint", e.to_string()),
        };
        let quorum = match check_quorum(&latest, &witnesses, policy.quorum) {
            Ok(quorum) => quorum,
            Err(e) => return fail(checks, "witnesses", e.to_string()),
        };
        if quorum.met() || Instant::now() >= deadline {
            break (proof, latest, quorum);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let size = latest.checkpoint().size();
    checks.push(check(
        "checkpoint",
        Verdict::Passed,
        format!(
            "a checkpoint of size {size}, signed by the log key F binds ({})",
            latest.checkpoint().origin()
        ),
    ));

    // The leaf: from the device's file if it kept one, else from the board's entries.
    // The device's own leaf if its file kept one (board.md §3.4): no entry bundle to fetch.
    let leaf = match saved
        .leaf
        .map(Ok)
        .unwrap_or_else(|| fetch_leaf(board, index, size))
    {
        Ok(leaf) => leaf,
        Err(e) => return fail(checks, "leaf", e),
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
    if let Err(e) = check_inclusion(
        latest.checkpoint(),
        index,
        &leaf,
        &proof
            .inclusion
            .iter()
            .map(|h| HexHash(*h))
            .collect::<Vec<_>>(),
    ) {
        return fail(checks, "inclusion", e.to_string());
    }
    checks.push(check(
        "inclusion",
        Verdict::Passed,
        format!(
            "leaf {index} (cast, ballot {}) is in the tree of size {}: {} proof hashes",
            &hex::encode(receipt.ballot_hash)[..16],
            size,
            proof.inclusion.len()
        ),
    ));

    // The witness policy (board.md §11.4): k valid cosignatures by distinct policy witnesses.
    let names: Vec<&str> = quorum.cosigned_by.iter().map(|v| v.name.as_str()).collect();
    if policy.quorum == 0 {
        checks.push(check(
            "witnesses",
            Verdict::Notice,
            "election.json names no witness (quorum 0): only the board vouches that others see this log",
        ));
    } else if quorum.met() {
        checks.push(check(
            "witnesses",
            Verdict::Passed,
            format!(
                "checkpoint {size} is cosigned by {} of the {} witnesses election.json lists ({} needed): {}",
                names.len(),
                policy.witnesses.len(),
                policy.quorum,
                names.join(", ")
            ),
        ));
    } else {
        *pending = true;
        checks.push(check(
            "witnesses",
            Verdict::Notice,
            format!(
                "proof pending: checkpoint {size} carries {} of the {} cosignatures the witness policy needs{}; the board promises a cosigned checkpoint within 10 s of a receipt, so ask again later",
                names.len(),
                policy.quorum,
                if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) }
            ),
        ));
        return Ok(());
    }

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
    // The cosigned checkpoint may be older than the one the device saw: prove whichever way.
    let (from, to) = (seen.checkpoint().size(), latest.checkpoint().size());
    let (small, large) = if from <= to {
        (seen.checkpoint(), latest.checkpoint())
    } else {
        (latest.checkpoint(), seen.checkpoint())
    };
    let answer = match board.consistency(small.size(), large.size()) {
        Ok(answer) => answer,
        Err(e) => return fail(checks, "consistency", e.to_string()),
    };
    if let Err(e) = check_consistency(small, large, &answer.consistency) {
        return fail(checks, "consistency", e.to_string());
    }
    checks.push(check(
        "consistency",
        Verdict::Passed,
        format!(
            "the tree of size {from} your device saw and the cosigned one of size {to} are one log: {} proof hashes",
            answer.consistency.len()
        ),
    ));
    Ok(())
}

/// The fingerprint of `election.json` recomputed from its own fields.
fn self_consistent(info: &ElectionInfo) -> bool {
    crate::client::election::recompute_from_fields(info) == *info
}

/// Leaf `index` from the board's entry bundle in the tree of `size` leaves.
fn fetch_leaf(board: &Board, index: u64, size: u64) -> Result<Leaf, String> {
    let bundle = EntryBundle::in_tree(index / 256, size)
        .ok_or_else(|| format!("leaf {index} is not in a tree of size {size}"))?;
    let entries = board.entry_bundle(&bundle).map_err(|e| e.to_string())?;
    let entry = entries
        .get((index % 256) as usize)
        .ok_or_else(|| format!("the entry bundle has no leaf {index}"))?;
    Leaf::decode(entry).map_err(|e| format!("leaf {index}: {e}"))
}
