//! Checks 11 and 12 (spec `verifier.md` §2): challenged ballots, and the encrypted tally.

use super::election::Context;
use super::report::{Report, Status};
use crate::ballot::BallotError;
use crate::crypto::digest::Hash;
use crate::election::TallyAccumulator;
use crate::record::{
    decode_json, read_ahead, ChallengedLine, RawLine, Record, RecordError, BALLOTS, CHALLENGED,
    TALLY,
};

use crate::tally::EncryptedTally;
use rayon::prelude::*;
use std::collections::HashSet;

/// Challenged lines decoded and checked in parallel at a time.
const CHALLENGED_CHUNK: usize = 256;

/// A challenged line after the parallel stage: its number, the published and the recomputed
/// ballot hash, and the outcome of `ballot.md` §8.3.
type ChallengedOutcome = (u64, Hash, Hash, Result<(), BallotError>);

/// Check 11: challenged ballots. Lines are read in chunks; each chunk is decoded and checked in
/// parallel, then reported in line order.
pub(crate) fn check_challenged(
    record: &Record,
    context: &Context,
    cast: Option<&(HashSet<Hash>, TallyAccumulator)>,
    report: &mut Report,
) {
    report.item(11, 0);
    let reader = match record.lines(CHALLENGED, false) {
        Ok(Some(reader)) => reader,
        Ok(None) => return,
        Err(error) => return report.fail(11, CHALLENGED, error.to_string()),
    };
    let mut seen = HashSet::new();
    read_ahead(reader, CHALLENGED_CHUNK, |raw, read_error| {
        let outcomes: Vec<Result<ChallengedOutcome, RecordError>> = raw
            .into_par_iter()
            .map(
                |RawLine {
                     number: line,
                     bytes,
                     ..
                 }| {
                    let entry: ChallengedLine = decode_json(CHALLENGED, Some(line), &bytes)?;
                    let hash = entry.challenged.body.hash();
                    let proofs = entry.challenged.check(
                        &context.manifest,
                        &context.fingerprint,
                        &context.key,
                    );
                    Ok((line, entry.ballot_hash, hash, proofs))
                },
            )
            .collect();
        for outcome in outcomes {
            let (line, published, hash, proofs) = match outcome {
                Ok(outcome) => outcome,
                Err(error) => {
                    report.fail(11, CHALLENGED, error.to_string());
                    return false;
                }
            };
            let culprit = format!(
                "challenged ballot {} (challenged.jsonl line {line})",
                hex::encode(published)
            );
            if hash != published {
                report.fail(
                    11,
                    &culprit,
                    "ballot_hash is not the hash of the ballot body",
                );
            }
            if cast.is_some_and(|(hashes, _)| hashes.contains(&hash)) {
                report.fail(11, &culprit, "a challenged ballot was cast");
            }
            if !seen.insert(hash) {
                report.fail(11, &culprit, "challenged twice");
            }
            if let Err(error) = proofs {
                report.fail(11, &culprit, error.to_string());
            }
            report.item(11, 1);
        }
        if let Some(error) = read_error {
            report.fail(11, CHALLENGED, error.to_string());
        }
        true
    });
}

/// Check 12: the published encrypted tally equals the recomputed one.
pub(crate) fn check_tally(
    record: &Record,
    context: &Context,
    accumulator: TallyAccumulator,
    report: &mut Report,
) -> Option<EncryptedTally> {
    let published: EncryptedTally = match record.json(TALLY) {
        Ok((tally, _)) => tally,
        Err(error) => {
            report.fail(12, TALLY, error.to_string());
            return None;
        }
    };
    let recomputed = match accumulator.finish(record) {
        // The ballots do not say where the log ended: the published closing checkpoint is
        // carried over, and checks 19–21 compare it with the log.
        Ok(tally) => EncryptedTally {
            closing_checkpoint: published.closing_checkpoint,
            ..tally
        },
        Err(error) => {
            report.fail(12, BALLOTS, error.to_string());
            return None;
        }
    };
    report.item(12, 1);
    // Spec board.md §4.2: the tally fixes where the board ended, so a board cut short after the
    // trustees decrypted no longer matches.
    if published.board_size != recomputed.board_size {
        report.fail(
            12,
            "tally.json: board_size",
            format!(
                "the tally was taken over {} board lines, the board has {}",
                published.board_size, recomputed.board_size
            ),
        );
    }
    if published.last_tracking_code != recomputed.last_tracking_code {
        report.fail(
            12,
            "tally.json: last_tracking_code",
            "is not the last link of the board's chain",
        );
    }
    if published.participants != recomputed.participants {
        report.fail(
            12,
            "tally.json: participants",
            format!(
                "published {}, the board has {} voters",
                published.participants, recomputed.participants
            ),
        );
    }
    if published.contests.len() != recomputed.contests.len() {
        report.fail(
            12,
            "tally.json: contests",
            "shape differs from the manifest",
        );
        return None;
    }
    for (c, (mine, theirs)) in recomputed
        .contests
        .iter()
        .zip(&published.contests)
        .enumerate()
    {
        if mine.len() != theirs.len() {
            report.fail(
                12,
                format!("tally.json: contests[{c}]"),
                "shape differs from the manifest",
            );
            continue;
        }
        for (o, (a, b)) in mine.iter().zip(theirs).enumerate() {
            if a != b {
                report.fail(
                    12,
                    format!(
                        "tally.json: contests[{c}][{o}] ({})",
                        context.manifest.contests[c].options[o].id
                    ),
                    "not the sum of the counted ballots",
                );
            }
        }
    }
    (report.check(12).status == Status::Passed).then_some(recomputed)
}
