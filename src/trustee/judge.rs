//! Judging a complete ceremony (spec `ceremony.md` §14): public faults, complaints, the
//! qualified set, `ceremony finish`, and the audit of a record's transcript.

use super::delivery::{complaint_statement, complaint_transcript, open_share};
use super::envelope::{Judged, Round2Body};
use super::error::{io_error, TrusteeError};
use super::rounds::round_one;
use super::setup::{CeremonyDir, PARAMETERS_FILE, TRANSCRIPT_DIR};
use super::stage::{Stage, STAGES};
use crate::ceremony::{round1, CeremonyRecord, DisqualificationCode as Code, DisqualifiedTrustee};
use crate::manifest::Manifest;
use crate::record::Record;
use crate::record::{self};
use std::fs;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Judging the ceremony (spec §14) and finishing it
// ---------------------------------------------------------------------------------------------

/// The judgement of a complete ceremony directory.
#[derive(Clone, Debug)]
pub struct Judgement {
    /// The public record: qualified trustees, disqualified trustees with reasons, joint key.
    pub record: CeremonyRecord,
    /// Complaints that were judged, as `(complainer, accused, upheld)`.
    pub complaints: Vec<(u32, u32, bool)>,
}

/// Judges a ceremony directory whose three rounds are complete (spec §14): finds every public
/// fault, judges every complaint, and builds the record from the qualified trustees. Fails
/// clearly when a round is incomplete or fewer than `t` trustees remain.
pub fn judge(context: &CeremonyDir) -> Result<Judgement, TrusteeError> {
    context.check_all()?;
    let setup = &context.setup;
    let round = round_one(context, "ceremony finish")?;
    let faulty: Vec<u32> = (1..)
        .zip(&round.faults)
        .filter(|(_, f)| f.is_some())
        .map(|(i, _)| i)
        .collect();
    let round2 = context.all::<Round2Body>(Stage::Round2, "ceremony finish", &faulty)?;
    let n = setup.count();
    let mut reasons: Vec<Option<(Code, String)>> = round
        .faults
        .iter()
        .map(|fault| fault.clone().map(|why| (Code::PublicFault, why)))
        .collect();
    let mut judged = Vec::new();
    let blame = |reasons: &mut Vec<Option<(Code, String)>>, who: u32, code: Code, why: String| {
        let slot = &mut reasons[who as usize - 1];
        if slot.is_none() {
            *slot = Some((code, why));
        }
    };
    // Spec §14.1: a round-2 message carries the round-1 messages its author judged, with their
    // authors' signatures. A validly signed one that is not the one in the directory means its
    // author signed two different messages for one slot: that author is disqualified, never the
    // trustees who judged the first.
    let mut current = Vec::new();
    for (author, (commit, reveal)) in (1..).zip(round.commits.iter().zip(&round.reveals)) {
        current.push(Judged::of(author, commit, reveal)?);
    }
    for (complainer, message) in (1..).zip(&round2) {
        for entry in message.iter().flat_map(|m| &m.body.judged) {
            let Some(now) = current.get((entry.author as usize).wrapping_sub(1)) else {
                continue;
            };
            let changed = if entry.commit != now.commit {
                Stage::Commit
            } else if entry.reveal != now.reveal {
                Stage::Reveal
            } else {
                continue;
            };
            let signed = setup
                .trustee(entry.author)
                .is_some_and(|t| entry.verifies(&setup.ceremony_id, &t.signing_key));
            if signed {
                blame(
                    &mut reasons,
                    entry.author,
                    Code::Equivocation,
                    format!(
                        "equivocated: it signed two different {changed} messages, the one trustee {complainer} judged in round 2 and {}",
                        changed.file(entry.author)
                    ),
                );
            }
        }
    }
    for complainer in 1..=n {
        if round.faults[complainer as usize - 1].is_some() {
            continue;
        }
        let Some(message) = &round2[complainer as usize - 1] else {
            continue;
        };
        // Spec §12.3: one entry per other trustee, in order, each signed by that trustee.
        let authors: Vec<u32> = message.body.judged.iter().map(|e| e.author).collect();
        let others: Vec<u32> = (1..=n).filter(|&i| i != complainer).collect();
        let signed = message.body.judged.iter().all(|e| {
            setup
                .trustee(e.author)
                .is_some_and(|t| e.verifies(&setup.ceremony_id, &t.signing_key))
        });
        if authors != others || !signed {
            blame(
                &mut reasons,
                complainer,
                Code::MalformedRound2,
                "invalid round-2 message: it must carry every other trustee's signed round-1 messages exactly once, in order".into(),
            );
            continue;
        }
        // The trustees whose round-1 messages this author read differ from the directory's: its
        // verdicts on them are about messages that are no longer there, and are not judged.
        let elsewhere: Vec<u32> = message
            .body
            .judged
            .iter()
            .filter(|e| {
                let now = &current[e.author as usize - 1];
                e.commit != now.commit || e.reveal != now.reveal
            })
            .map(|e| e.author)
            .collect();
        // Spec §14.2: every other trustee without a public fault appears exactly once.
        let expected: Vec<u32> = (1..=n)
            .filter(|&i| i != complainer && round.faults[i as usize - 1].is_none())
            .filter(|i| !elsewhere.contains(i))
            .collect();
        let mut listed: Vec<u32> = message
            .body
            .accepted
            .iter()
            .copied()
            .chain(message.body.complaints.iter().map(|c| c.accused))
            .filter(|i| !elsewhere.contains(i))
            .collect();
        listed.sort_unstable();
        if listed != expected {
            blame(
                &mut reasons,
                complainer,
                Code::MalformedRound2,
                "invalid round-2 message: it must accept or accuse every other trustee exactly once".into(),
            );
            continue;
        }
        for complaint in &message.body.complaints {
            let accused = complaint.accused;
            if elsewhere.contains(&accused) {
                continue;
            }
            let reveal = &round.reveals[accused as usize - 1];
            let Some(encrypted) = reveal.body.shares.iter().find(|s| s.to == complainer) else {
                continue;
            };
            let Some(complainer_identity) = setup.trustee(complainer) else {
                continue;
            };
            let statement = complaint_statement(
                &encrypted.ephemeral_key,
                &complainer_identity.encryption_key,
                &complaint.shared_secret,
            );
            let proof_ok = complaint
                .proof
                .verify(
                    &mut complaint_transcript(&setup.ceremony_id, complainer, accused),
                    &statement,
                )
                .is_ok();
            if !proof_ok {
                blame(
                    &mut reasons,
                    complainer,
                    Code::FalseComplaint,
                    format!(
                        "false complaint against trustee {accused}: its Diffie-Hellman proof does not verify"
                    ),
                );
                judged.push((complainer, accused, false));
                continue;
            }
            match open_share(
                setup,
                accused,
                encrypted,
                &complaint.shared_secret,
                &reveal.body.commitments,
            ) {
                Ok(_) => {
                    blame(
                        &mut reasons,
                        complainer,
                        Code::FalseComplaint,
                        format!("false complaint against trustee {accused}: the share is valid"),
                    );
                    judged.push((complainer, accused, false));
                }
                Err(fault) => {
                    blame(
                        &mut reasons,
                        accused,
                        Code::ComplaintUpheld,
                        format!("complaint by trustee {complainer} upheld: {fault}"),
                    );
                    judged.push((complainer, accused, true));
                }
            }
        }
    }
    let mut packages = Vec::new();
    let mut disqualified = Vec::new();
    for (index, (reveal, reason)) in (1..).zip(round.reveals.iter().zip(reasons)) {
        let name = setup
            .trustee(index)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        match reason {
            Some((code, reason)) => disqualified.push(DisqualifiedTrustee {
                index,
                name,
                code,
                reason,
            }),
            None => packages.push(round1::Package {
                index,
                commitments: reveal.body.commitments.clone(),
                proof: reveal.body.proof,
            }),
        }
    }
    if packages.len() < setup.threshold as usize {
        let named: Vec<String> = disqualified
            .iter()
            .map(|d| format!("{} ({}): {}", d.index, d.name, d.reason))
            .collect();
        return Err(TrusteeError::Usage(format!(
            "the ceremony failed: only {} qualified trustees remain, fewer than the threshold {}. Disqualified: {}",
            packages.len(),
            setup.threshold,
            named.join("; ")
        )));
    }
    let record = CeremonyRecord::assemble_qualified(
        &setup.manifest_hash,
        &setup.names(),
        setup.threshold,
        &packages,
        disqualified,
    )?;
    Ok(Judgement {
        record,
        complaints: judged,
    })
}

/// The transcript files in chain order: `parameters.json`, then each stage's files by index.
/// Only files that exist are listed (a disqualified trustee may have no round-2 file).
pub fn transcript_files(dir: &Path, n: u32) -> Vec<String> {
    let mut files = vec![PARAMETERS_FILE.to_string()];
    for stage in STAGES {
        for i in 1..=n {
            let name = stage.file(i);
            if dir.join(&name).is_file() {
                files.push(name);
            }
        }
    }
    files
}

/// `ceremony finish` (spec §14.4): judge the ceremony and start the election record with
/// `manifest.json`, `ceremony.json` and the whole transcript under `ceremony/`.
pub fn finish(
    ceremony_dir: &Path,
    manifest_bytes: &[u8],
    out: &Path,
) -> Result<Judgement, TrusteeError> {
    let context = CeremonyDir::open(ceremony_dir)?;
    if Manifest::hash_bytes(manifest_bytes) != context.setup.manifest_hash {
        return Err(TrusteeError::usage(
            "this manifest is not the one the ceremony was created for (its hash differs from parameters.json)",
        ));
    }
    let manifest: Manifest = record::decode_json(record::MANIFEST, None, manifest_bytes)?;
    let problems = manifest.check();
    if !problems.is_empty() {
        return Err(TrusteeError::usage(format!(
            "the manifest has problems: {}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let judgement = judge(&context)?;
    if out.exists()
        && fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(TrusteeError::usage(format!(
            "{} already exists and is not empty; choose a new --out for the election record",
            out.display()
        )));
    }
    fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
    record::write_atomically(out, record::MANIFEST, manifest_bytes)?;
    for name in transcript_files(ceremony_dir, context.setup.count()) {
        let bytes = record::read_file(ceremony_dir, &name)?;
        record::write_atomically(out, &format!("{TRANSCRIPT_DIR}/{name}"), &bytes)?;
    }
    record::write_json(out, record::CEREMONY, &judgement.record)?;
    Ok(judgement)
}

/// Re-judges the transcript under `record_dir/ceremony/` and checks that it gives exactly
/// `ceremony.json` (spec §14.5). `Ok(false)` when the record has no transcript (an in-process
/// demo record).
pub fn audit_record(record: &Record, ceremony: &CeremonyRecord) -> Result<bool, TrusteeError> {
    // The same test as `election.json`'s `trustee_identities` (record.md §3.4).
    if !crate::election::trustee_identities(record) {
        return Ok(false);
    }
    let transcript = record.path(TRANSCRIPT_DIR);
    let context = CeremonyDir::open(&transcript)?;
    let judgement = judge(&context)?;
    // The disqualifications first, by index and code, so the culprit is named; their reasons
    // are words for readers and are not compared (spec §7).
    let expected = &judgement.record.disqualified;
    for (found, wanted) in ceremony.disqualified.iter().zip(expected) {
        if (found.index, &found.name, found.code) != (wanted.index, &wanted.name, wanted.code) {
            return Err(TrusteeError::invalid(
                record::CEREMONY,
                format!(
                    "disqualified entry for trustee {} ({:?}, {:?}) is not what the ceremony transcript gives: trustee {} ({:?}, {:?})",
                    found.index, found.name, found.code, wanted.index, wanted.name, wanted.code
                ),
            ));
        }
    }
    if ceremony.disqualified.len() != expected.len() {
        let listed = |list: &[DisqualifiedTrustee]| {
            list.iter()
                .map(|d| d.index.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(TrusteeError::invalid(
            record::CEREMONY,
            format!(
                "disqualifies trustees [{}], the ceremony transcript disqualifies [{}]",
                listed(&ceremony.disqualified),
                listed(expected)
            ),
        ));
    }
    let mut without_reasons = ceremony.clone();
    for (mine, theirs) in without_reasons.disqualified.iter_mut().zip(expected) {
        mine.reason.clone_from(&theirs.reason);
    }
    if without_reasons != judgement.record {
        return Err(TrusteeError::invalid(
            record::CEREMONY,
            "does not match the judgement of the ceremony transcript under ceremony/",
        ));
    }
    Ok(true)
}
