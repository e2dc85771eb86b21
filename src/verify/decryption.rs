//! Checks 13–15 (spec `verifier.md` §2): decryption shares, counts and outcomes.

use super::election::Context;
use super::report::Report;
use crate::crypto::batch::EquationBatch;
use crate::crypto::error::ProofError;
use crate::crypto::group::GroupElement;
use crate::record::{Record, DECRYPTION_DIR, REJECTED_DIR, RESULTS, TALLY, TRANSCRIPT_DIR};
use crate::tally::results::Results;
use crate::tally::{DecryptionShare, EncryptedTally};
use crate::trustee::{tally_file_hash, ShareFiles};
use std::collections::HashMap;

/// Checks 13–15: decryption shares, counts, outcomes.
pub(crate) fn check_decryption(
    record: &Record,
    context: &Context,
    tally: &EncryptedTally,
    report: &mut Report,
) {
    let files = match record.decryption_files() {
        Ok(files) => files,
        Err(error) => return report.fail(13, DECRYPTION_DIR, error.to_string()),
    };
    // verifier.md check 13: in a record of separate trustees, each share file must be signed by
    // its trustee for this election and this tally.json (ceremony.md §14.6).
    let tally_hash = match tally_file_hash(record, tally) {
        Ok(hash) => hash,
        Err(error) => return report.fail(13, TALLY, error.to_string()),
    };
    let share_files = match ShareFiles::for_record(
        record,
        &context.fingerprint,
        &tally_hash,
        tally.closing_checkpoint,
    ) {
        Ok(share_files) => share_files,
        Err(error) => {
            return report.fail(13, TRANSCRIPT_DIR, error.to_string());
        }
    };
    // Spec batch.md §4.7: every share's proofs go into one batch equation, one item per share.
    let mut candidates: Vec<(u32, String, DecryptionShare, GroupElement)> = Vec::new();
    report.item(13, 0);
    for (index, name) in &files {
        let share = match share_files.read(record, name, *index) {
            Ok(share) => share,
            Err(error) => {
                report.fail(13, name, error.to_string());
                continue;
            }
        };
        report.item(13, 1);
        let culprit = format!("trustee {index} ({name})");
        if share.trustee != *index {
            report.fail(
                13,
                &culprit,
                format!(
                    "file names trustee {index} but the share is from trustee {}",
                    share.trustee
                ),
            );
            continue;
        }
        let Some(verification_key) = context.ceremony.verification_key(*index) else {
            report.fail(13, &culprit, "no such trustee in the ceremony");
            continue;
        };
        candidates.push((*index, culprit, share, *verification_key));
    }
    let mut batch = EquationBatch::new(None);
    let mut verdicts: Vec<Option<Result<(), String>>> = Vec::with_capacity(candidates.len());
    let mut items = Vec::with_capacity(candidates.len());
    for (i, (_, _, share, verification_key)) in candidates.iter().enumerate() {
        match share.equations(&context.fingerprint, verification_key, tally, &mut batch) {
            Ok(()) => {
                batch.finish_item();
                items.push(i);
                verdicts.push(Some(Ok(())));
            }
            Err(error) => {
                batch.discard_item();
                verdicts.push(Some(Err(error.to_string())));
            }
        }
    }
    if !batch.holds() {
        for item in batch.failing_items() {
            let i = items[item];
            let (_, _, share, verification_key) = &candidates[i];
            // The share's own verifier names the failing proof.
            let verdict = match share.verify(&context.fingerprint, verification_key, tally) {
                Err(error) => error.to_string(),
                Ok(()) => ProofError::EquationsFail.to_string(),
            };
            verdicts[i] = Some(Err(verdict));
        }
    }
    let mut shares: Vec<DecryptionShare> = Vec::with_capacity(candidates.len());
    let mut valid: HashMap<u32, usize> = HashMap::new();
    for ((index, culprit, share, _), verdict) in candidates.into_iter().zip(verdicts) {
        match verdict {
            Some(Ok(())) => {
                valid.insert(index, shares.len());
            }
            Some(Err(detail)) => report.fail(13, &culprit, detail),
            None => {}
        }
        shares.push(share);
    }
    // Shares set aside by the tally (spec verifier.md check 13): each must really fail its
    // proofs, or the record accuses an honest trustee. Check 14 then requires each to be listed
    // in results.json's rejected_shares.
    match record.numbered_files(REJECTED_DIR) {
        Err(error) => report.fail(13, REJECTED_DIR, error.to_string()),
        Ok(set_aside) => {
            for (index, name) in set_aside {
                let culprit = format!("trustee {index} ({name})");
                report.item(13, 1);
                if valid.contains_key(&index) || shares.iter().any(|s| s.trustee == index) {
                    report.fail(
                        13,
                        &culprit,
                        "this trustee also has a share in decryption/: one share per trustee",
                    );
                    continue;
                }
                // An undecodable share, or one naming another trustee, is invalid as published:
                // it stands in as an empty share, which check 14 requires to be listed. In a
                // signed record, a file its trustee did not sign is evidence against nobody.
                let share = match share_files.read(record, &name, index) {
                    Err(error) if share_files.signed() => {
                        report.fail(
                            13,
                            &culprit,
                            format!("set aside as this trustee's, but {error}"),
                        );
                        continue;
                    }
                    Ok(share) if share.trustee == index => share,
                    _ => DecryptionShare {
                        trustee: index,
                        contests: Vec::new(),
                    },
                };
                let verdict = context
                    .ceremony
                    .verification_key(index)
                    .map(|key| share.verify(&context.fingerprint, key, tally));
                if let Some(Ok(())) = verdict {
                    report.fail(
                        13,
                        &culprit,
                        "this share verifies: setting it aside accuses its trustee falsely",
                    );
                }
                shares.push(share);
            }
        }
    }
    let results: Results = match record.json(RESULTS) {
        Ok((results, _)) => results,
        Err(error) => {
            report.fail(14, RESULTS, error.to_string());
            return;
        }
    };
    let view = crate::tally::results::ResultsContext {
        manifest: &context.manifest,
        fingerprint: &context.fingerprint,
        ceremony: &context.ceremony,
        eligible: context.listed.len() as u64,
    };
    let outcomes_checked = crate::tally::results::check_results(
        &results,
        view,
        tally,
        &shares,
        &valid,
        &mut |id, culprit, detail| report.fail(id, culprit, detail),
    );
    report.item(14, 1);
    if outcomes_checked {
        report.item(15, results.contests.len() as u64);
    }
}
