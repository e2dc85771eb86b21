//! `tally finish` (spec `tally.md` §4, `ceremony.md` §14.7): the commission combines the
//! published decryption shares, sets aside and names the invalid ones, applies the rules, and
//! writes `results.json`, `results.svg` and `record.json`.

use super::error::TrusteeError;
use super::shares::{check_decryption_folder, ShareFiles};
use crate::election::Election;
use crate::record::file_hash;
use crate::record::{decryption_file_name, Record, RecordError, REJECTED_DIR, RESULTS, TALLY};

use crate::tally::results::{self, ContestResult, RejectedShare, Results};
use crate::tally::{self, EncryptedTally};

/// Combines the published shares, applies the rules, and writes `results.json`,
/// `results.svg` and `record.json`.
pub fn finish_tally(record: &Record, election: &Election) -> Result<Results, TrusteeError> {
    let (tally, tally_bytes): (EncryptedTally, _) = record.json(TALLY)?;
    let bounds: Vec<Vec<u64>> = election
        .manifest
        .contests
        .iter()
        .map(|c| {
            vec![
                tally
                    .participants
                    .saturating_mul(c.kind.limits().option_max);
                c.options.len()
            ]
        })
        .collect();
    // `combine` judges every share (spec `tally.md` §4). A file whose share names another
    // trustee is invalid as published and never reaches it. A file that is not its trustee's
    // share at all (it does not decode, or in a signed record its signature is not the
    // trustee's) is evidence against nobody: it stops the tally (spec `ceremony.md` §14.7).
    check_decryption_folder(record)?;
    let share_files = ShareFiles::for_record(
        record,
        election.fingerprint(),
        &file_hash(&tally_bytes),
        tally.closing_checkpoint,
    )?;
    let unattributed = |name: &str, error: TrusteeError| {
        TrusteeError::Usage(format!(
            "{name} is not a decryption share of its trustee ({error}); it can be neither counted nor held against anyone: keep a copy as evidence, remove it, and run `saylau tally finish` again"
        ))
    };
    let mut shares = Vec::new();
    let mut set_aside = Vec::new();
    for (index, name) in record.decryption_files()? {
        let share = share_files
            .read(record, &name, index)
            .map_err(|error| unattributed(&name, error))?;
        if share.trustee == index {
            shares.push(share);
        } else {
            let reason = format!(
                "the file names trustee {index} but the share is from trustee {}",
                share.trustee
            );
            set_aside.push(RejectedShare {
                trustee: index,
                reason,
            });
        }
    }
    let decryption = tally::combine(
        election.fingerprint(),
        &election.ceremony,
        &tally,
        &shares,
        &bounds,
    )?;
    set_aside.extend(
        decryption
            .rejected
            .iter()
            .map(|(trustee, reason)| RejectedShare {
                trustee: *trustee,
                reason: reason.clone(),
            }),
    );
    // Rejected shares are named in results.json and moved to decryption/rejected/, so the
    // shares left in decryption/ are exactly the valid ones (spec `ceremony.md` §14.7).
    for rejected in &set_aside {
        let name = decryption_file_name(rejected.trustee);
        let target = format!("{}/trustee-{}.json", REJECTED_DIR, rejected.trustee);
        if record.path(&target).exists() {
            return Err(TrusteeError::Usage(format!(
                "{name} is invalid ({}) and {target} already exists; remove one of them",
                rejected.reason
            )));
        }
        std::fs::create_dir_all(record.path(REJECTED_DIR)).map_err(|error| RecordError::Io {
            file: REJECTED_DIR.into(),
            error,
        })?;
        std::fs::rename(record.path(&name), record.path(&target))
            .map_err(|error| RecordError::Io { file: name, error })?;
    }
    // Shares set aside by an earlier run stay named; a valid one is never named (that would
    // accuse its trustee falsely).
    for (index, name) in record.numbered_files(REJECTED_DIR)? {
        if set_aside.iter().any(|r| r.trustee == index) {
            continue;
        }
        let reason = match share_files.read(record, &name, index) {
            Err(error) if share_files.signed() => return Err(unattributed(&name, error)),
            Err(error) => error.to_string(),
            Ok(share) if share.trustee != index => "the share names another trustee".to_string(),
            Ok(share) => match election.ceremony.verification_key(index) {
                None => format!("trustee {index} holds no key share of this ceremony"),
                Some(key) => match share.verify(election.fingerprint(), key, &tally) {
                    Ok(()) => continue,
                    Err(error) => error.to_string(),
                },
            },
        };
        set_aside.push(RejectedShare {
            trustee: index,
            reason,
        });
    }
    set_aside.sort_by_key(|r| r.trustee);
    let eligible = election.credentials.len() as u64;
    let outcomes = results::outcomes(
        &election.manifest,
        tally.participants,
        eligible,
        &decryption.counts,
    )
    .map_err(|(c, e)| TrusteeError::Rules(c, e))?;
    let results = Results {
        participants: tally.participants,
        eligible,
        trustees_used: decryption.used.clone(),
        rejected_shares: set_aside,
        contests: election
            .manifest
            .contests
            .iter()
            .zip(decryption.counts)
            .zip(outcomes)
            .map(|((contest, counts), outcome)| ContestResult {
                id: contest.id.clone(),
                counts,
                outcome,
            })
            .collect(),
    };
    record.write_json(RESULTS, &results)?;
    let svg = results::chart(&election.manifest, &results, None);
    record.write_bytes("results.svg", svg.as_bytes())?;
    record.reindex()?;
    Ok(results)
}
