//! The verifier: numbered checks over a published election record.
//!
//! Spec: `protocol-spec/verifier.md`, which lists every check by number. The verifier fails
//! closed: a check that cannot run (a missing or malformed file) fails, and the record verifies
//! only when every check passed. It never panics on any input.

use crate::ballot::{Ballot, BallotError};
use crate::batch::EquationBatch;
use crate::ceremony::CeremonyRecord;
use crate::digest::Hash;
use crate::election::TallyAccumulator;
use crate::elgamal::PublicKey;
use crate::manifest::Manifest;
use crate::record::{
    self, BallotLine, ChallengedLine, CredentialList, ElectionInfo, LinesReader, RecordIndex,
};
use crate::results::Results;
use crate::tally::{DecryptionShare, EncryptedTally};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The numbered checks (spec `verifier.md` §2).
pub const CHECKS: &[(u32, &str)] = &[
    (1, "record index: every file's hash and the record root"),
    (2, "manifest: well-formed and valid"),
    (
        3,
        "key ceremony: proofs of possession, verification keys, joint key",
    ),
    (4, "credentials: well-formed and distinct"),
    (
        5,
        "election fingerprint: matches the manifest, ceremony, credentials and key",
    ),
    (6, "ballots: well-formed and shaped like the manifest"),
    (
        7,
        "ballots: range and selection-limit proofs, credential signatures",
    ),
    (8, "ballots: cast under listed credentials"),
    (9, "ballots: no duplicates"),
    (10, "board: tracking codes form an unbroken hash chain"),
    (
        11,
        "challenged ballots: re-encrypt to what the device showed, never counted",
    ),
    (
        12,
        "encrypted tally: the sum of the last ballot of each credential",
    ),
    (13, "decryption shares: proofs of correct decryption"),
    (14, "counts: combined from at least t valid shares"),
    (
        15,
        "outcomes: follow from the counts by the manifest's rules",
    ),
];

/// How ballot proofs are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every ballot on its own.
    OneByOne,
    /// Chunks of ballots in one multiscalar multiplication each, culprits found on failure.
    Batch,
}

/// Options of a verification run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How ballot proofs are checked.
    pub mode: Mode,
    /// Show a progress bar on the terminal.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mode: Mode::Batch,
            progress: false,
        }
    }
}

/// One failure: which check, who or what is at fault, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The culprit: a file and field, a ballot's tracking code and line, a trustee.
    pub culprit: String,
    /// What is wrong.
    pub detail: String,
}

/// The result of one numbered check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// The check's number.
    pub id: u32,
    /// What it checks.
    pub name: &'static str,
    /// `passed`, `failed`, or `not_run` (a check that could not run counts as failed).
    pub status: Status,
    /// How many items it checked.
    pub items: u64,
    /// The failures (at most [`MAX_FAILURES_PER_CHECK`] listed; `more_failures` counts the rest).
    pub failures: Vec<Failure>,
    /// Failures beyond those listed.
    pub more_failures: u64,
}

/// Listed failures per check; the rest are counted.
pub const MAX_FAILURES_PER_CHECK: usize = 100;

/// A check's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every item passed.
    Passed,
    /// At least one failure.
    Failed,
    /// Could not run because an input it needs is missing or broken.
    NotRun,
}

/// The verifier's report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// True only when every check passed.
    pub verified: bool,
    /// The record root, when `record.json` could be read.
    pub record_root: Option<String>,
    /// One entry per numbered check, in order.
    pub checks: Vec<CheckReport>,
}

impl Report {
    fn new() -> Self {
        Self {
            verified: false,
            record_root: None,
            checks: CHECKS
                .iter()
                .map(|&(id, name)| CheckReport {
                    id,
                    name,
                    status: Status::NotRun,
                    items: 0,
                    failures: Vec::new(),
                    more_failures: 0,
                })
                .collect(),
        }
    }

    fn check(&mut self, id: u32) -> &mut CheckReport {
        let position = CHECKS.iter().position(|&(i, _)| i == id).unwrap_or(0);
        &mut self.checks[position]
    }

    fn fail(&mut self, id: u32, culprit: impl Into<String>, detail: impl Into<String>) {
        let check = self.check(id);
        check.status = Status::Failed;
        if check.failures.len() < MAX_FAILURES_PER_CHECK {
            check.failures.push(Failure {
                culprit: culprit.into(),
                detail: detail.into(),
            });
        } else {
            check.more_failures += 1;
        }
    }

    fn item(&mut self, id: u32, count: u64) {
        let check = self.check(id);
        check.items += count;
        if check.status == Status::NotRun {
            check.status = Status::Passed;
        }
    }

    /// The failed (or not run) checks.
    pub fn failed(&self) -> impl Iterator<Item = &CheckReport> {
        self.checks.iter().filter(|c| c.status != Status::Passed)
    }
}

/// What the checks of one stage hand to the next.
struct Context {
    manifest: Manifest,
    fingerprint: Hash,
    key: PublicKey,
    ceremony: CeremonyRecord,
    listed: HashSet<[u8; 32]>,
}

/// Verifies the record in `dir`.
pub fn verify_record(dir: &Path, options: Options) -> Report {
    let mut report = Report::new();
    check_index(dir, &mut report);
    let Some(context) = check_election(dir, &mut report) else {
        report.verified = false;
        return report;
    };
    let cast_hashes = check_ballots(dir, &context, options, &mut report);
    check_challenged(dir, &context, cast_hashes.as_ref(), &mut report);
    let tally = cast_hashes
        .and_then(|(_, accumulator)| check_tally(dir, &context, accumulator, &mut report));
    if let Some(tally) = tally {
        check_decryption(dir, &context, &tally, &mut report);
    }
    report.verified = report.checks.iter().all(|c| c.status == Status::Passed);
    report
}

/// Check 1: `record.json` lists exactly the record's files with their hashes and root.
fn check_index(dir: &Path, report: &mut Report) {
    let published: RecordIndex = match record::read_json(dir, record::INDEX) {
        Ok((index, _)) => index,
        Err(error) => return report.fail(1, record::INDEX, error.to_string()),
    };
    report.record_root = Some(hex::encode(published.root));
    match RecordIndex::compute(dir) {
        Err(error) => report.fail(1, "record", error.to_string()),
        Ok(actual) => {
            for entry in &actual.files {
                match published.files.iter().find(|f| f.name == entry.name) {
                    None => report.fail(1, &entry.name, "file is not listed in record.json"),
                    Some(listed) if listed.hash != entry.hash => {
                        report.fail(1, &entry.name, "file hash differs from record.json")
                    }
                    Some(_) => {}
                }
            }
            for listed in &published.files {
                if !actual.files.iter().any(|f| f.name == listed.name) {
                    report.fail(1, &listed.name, "listed in record.json but missing");
                }
            }
            // Each indexed file once, in chain order: one record, one index file.
            let same_list = published.files.len() == actual.files.len()
                && published
                    .files
                    .iter()
                    .zip(&actual.files)
                    .all(|(listed, entry)| listed.name == entry.name);
            if !same_list && report.check(1).status != Status::Failed {
                report.fail(
                    1,
                    "record.json: files",
                    "must list each indexed file once, in chain order",
                );
            }
            if actual.root != published.root && report.check(1).status != Status::Failed {
                report.fail(
                    1,
                    "record.json: root",
                    "the root is not the chain of the listed hashes",
                );
            }
            report.item(1, actual.files.len() as u64);
        }
    }
}

/// Checks 2–5: manifest, ceremony, credentials, fingerprint.
fn check_election(dir: &Path, report: &mut Report) -> Option<Context> {
    let manifest = match record::read_json::<Manifest>(dir, record::MANIFEST) {
        Err(error) => {
            report.fail(2, record::MANIFEST, error.to_string());
            None
        }
        Ok((manifest, bytes)) => {
            let problems = manifest.check();
            for problem in &problems {
                report.fail(
                    2,
                    format!("manifest.json: {}", problem.path),
                    &problem.message,
                );
            }
            report.item(2, 1);
            problems
                .is_empty()
                .then(|| (manifest, Manifest::hash_bytes(&bytes)))
        }
    };
    let ceremony = match record::read_json::<CeremonyRecord>(dir, record::CEREMONY) {
        Err(error) => {
            report.fail(3, record::CEREMONY, error.to_string());
            None
        }
        Ok((ceremony, bytes)) => {
            report.item(3, ceremony.trustees.len() as u64);
            let mut ok = true;
            if let Err(error) = ceremony.verify() {
                report.fail(3, record::CEREMONY, error.to_string());
                ok = false;
            }
            if let Some((_, manifest_hash)) = &manifest {
                if &ceremony.manifest_hash != manifest_hash {
                    report.fail(
                        3,
                        "ceremony.json: manifest_hash",
                        "the ceremony was run for another manifest",
                    );
                    ok = false;
                }
            }
            ok.then(|| (ceremony, record::file_hash(&bytes)))
        }
    };
    let credentials = match record::read_json::<CredentialList>(dir, record::CREDENTIALS) {
        Err(error) => {
            report.fail(4, record::CREDENTIALS, error.to_string());
            None
        }
        Ok((list, bytes)) => {
            let mut listed = HashSet::with_capacity(list.credentials.len());
            for (i, credential) in list.credentials.iter().enumerate() {
                if credential.is_identity() {
                    report.fail(
                        4,
                        format!("credentials.json: credentials[{i}]"),
                        "the identity is not a credential",
                    );
                }
                if !listed.insert(*credential.as_bytes()) {
                    report.fail(
                        4,
                        format!("credentials.json: credentials[{i}]"),
                        "listed twice",
                    );
                }
            }
            report.item(4, list.credentials.len() as u64);
            Some((listed, record::file_hash(&bytes)))
        }
    };
    let info = match record::read_json::<ElectionInfo>(dir, record::ELECTION) {
        Err(error) => {
            report.fail(5, record::ELECTION, error.to_string());
            None
        }
        Ok((info, _)) => Some(info),
    };
    let ((manifest, manifest_hash), (ceremony, ceremony_hash), (listed, credentials_hash), info) =
        (manifest?, ceremony?, credentials?, info?);
    let expected = ElectionInfo::new(
        manifest_hash,
        ceremony_hash,
        credentials_hash,
        ceremony.joint_key,
    );
    let fields: [(&str, bool); 6] = [
        ("version", info.version == expected.version),
        (
            "manifest_hash",
            info.manifest_hash == expected.manifest_hash,
        ),
        (
            "ceremony_hash",
            info.ceremony_hash == expected.ceremony_hash,
        ),
        (
            "credentials_hash",
            info.credentials_hash == expected.credentials_hash,
        ),
        ("joint_key", info.joint_key == expected.joint_key),
        ("fingerprint", info.fingerprint == expected.fingerprint),
    ];
    for (field, matches) in fields {
        if !matches {
            report.fail(
                5,
                format!("election.json: {field}"),
                "does not match the value recomputed from the record",
            );
        }
    }
    report.item(5, 1);
    if report.checks[..5]
        .iter()
        .any(|c| c.status != Status::Passed && c.id != 1)
    {
        return None;
    }
    Some(Context {
        manifest,
        fingerprint: expected.fingerprint,
        key: ceremony.joint_key,
        ceremony,
        listed,
    })
}

/// A ballot line after decoding and hashing, ready for the proof checks.
struct DecodedLine {
    line: u64,
    entry: BallotLine,
    body_hash: Hash,
    computed_code: Hash,
}

/// Ballots per chunk: read, decoded and checked together; bounds memory.
const CHUNK: usize = 2048;
/// Ballots per batch equation inside a chunk (one multiscalar multiplication each).
const BATCH: usize = 64;

/// Checks 6–10 over `ballots.jsonl`, streamed in chunks; returns every cast ballot hash and the
/// tally accumulator (None if the file could not be read to the end).
fn check_ballots(
    dir: &Path,
    context: &Context,
    options: Options,
    report: &mut Report,
) -> Option<(HashSet<Hash>, TallyAccumulator)> {
    let mut reader = match LinesReader::open(dir, record::BALLOTS, false) {
        Ok(Some(reader)) => reader,
        Ok(None) => {
            report.fail(6, record::BALLOTS, "missing");
            return None;
        }
        Err(error) => {
            report.fail(6, record::BALLOTS, error.to_string());
            return None;
        }
    };
    let progress = options.progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} verifying ballots: {pos} [{elapsed}] {per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let mut hashes = HashSet::new();
    let mut accumulator = TallyAccumulator::new(&context.manifest);
    let mut previous = context.fingerprint;
    let mut complete = true;
    for id in 6..=10 {
        report.item(id, 0);
    }
    loop {
        let mut raw: Vec<(u64, Vec<u8>)> = Vec::with_capacity(CHUNK);
        let mut read_error = None;
        while raw.len() < CHUNK {
            match reader.next_line() {
                Ok(Some((line, bytes))) => raw.push((line, bytes.to_vec())),
                Ok(None) => break,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            }
        }
        if raw.is_empty() && read_error.is_none() {
            break;
        }
        // Decode and hash in parallel.
        #[allow(clippy::type_complexity)]
        let decoded: Vec<Result<(u64, BallotLine, Hash, Vec<u8>), (u64, String)>> = raw
            .par_iter()
            .map(|(line, bytes)| {
                let entry: BallotLine = record::decode_json(record::BALLOTS, Some(*line), bytes)
                    .map_err(|e| (*line, e.to_string()))?;
                let body_hash = entry.ballot.body.hash();
                let ballot_bytes = entry.ballot.to_bytes();
                Ok((*line, entry, body_hash, ballot_bytes))
            })
            .collect();
        let mut lines = Vec::with_capacity(decoded.len());
        for item in decoded {
            match item {
                Err((line, message)) => {
                    report.fail(6, format!("ballots.jsonl line {line}"), message);
                    complete = false;
                }
                Ok((line, entry, body_hash, ballot_bytes)) => {
                    // Each link must be H(the previous line's published code, this ballot).
                    let previous_code = std::mem::replace(&mut previous, entry.tracking_code);
                    lines.push((
                        DecodedLine {
                            line,
                            body_hash,
                            computed_code: [0; 32],
                            entry,
                        },
                        previous_code,
                        ballot_bytes,
                    ));
                }
            }
        }
        let lines: Vec<DecodedLine> = lines
            .into_par_iter()
            .map(|(mut decoded, previous_code, ballot_bytes)| {
                decoded.computed_code = record::tracking_code(&previous_code, &ballot_bytes);
                decoded
            })
            .collect();
        // Sequential checks: chain, duplicates, eligibility, shape.
        let mut to_prove = Vec::with_capacity(lines.len());
        for decoded in lines {
            let culprit = format!(
                "ballot {} (ballots.jsonl line {})",
                hex::encode(decoded.entry.tracking_code),
                decoded.line
            );
            let mut counted = true;
            if decoded.computed_code != decoded.entry.tracking_code {
                report.fail(10, &culprit, "tracking code is not H(previous code, ballot bytes): a ballot was changed, removed or reordered");
            }
            if decoded.body_hash != decoded.entry.ballot_hash {
                report.fail(
                    6,
                    &culprit,
                    "ballot_hash is not the hash of the ballot body",
                );
            }
            if !hashes.insert(decoded.body_hash) {
                report.fail(9, &culprit, "the same ballot appears twice");
                counted = false;
            }
            if !context
                .listed
                .contains(decoded.entry.ballot.body.credential.as_bytes())
            {
                report.fail(
                    8,
                    &culprit,
                    format!(
                        "credential {} is not listed",
                        hex::encode(decoded.entry.ballot.body.credential.as_bytes())
                    ),
                );
                counted = false;
            }
            if let Err(error) = check_shape(&decoded.entry.ballot, &context.manifest) {
                report.fail(6, &culprit, error.to_string());
                continue;
            }
            if counted {
                accumulator.add(decoded.line, &decoded.entry.ballot);
            }
            to_prove.push((culprit, decoded));
        }
        // Proofs and signatures (check 7), in parallel.
        let failures: Vec<(String, String)> = match options.mode {
            Mode::OneByOne => to_prove
                .par_iter()
                .filter_map(|(culprit, d)| {
                    d.entry
                        .ballot
                        .verify(&context.manifest, &context.fingerprint, &context.key)
                        .err()
                        .map(|e| (culprit.clone(), e.to_string()))
                })
                .collect(),
            Mode::Batch => to_prove
                .par_chunks(BATCH)
                .flat_map_iter(|group| batch_failures(group, context))
                .collect(),
        };
        for (culprit, detail) in failures {
            report.fail(7, culprit, detail);
        }
        for id in 6..=10 {
            report.item(id, to_prove.len() as u64);
        }
        if let Some(bar) = &progress {
            bar.inc(raw.len() as u64);
        }
        if let Some(error) = read_error {
            report.fail(6, record::BALLOTS, error.to_string());
            complete = false;
            break;
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    complete.then_some((hashes, accumulator))
}

/// Checks the ballot's shape against the manifest (contest and option counts, α ≠ identity).
fn check_shape(ballot: &Ballot, manifest: &Manifest) -> Result<(), BallotError> {
    let body = &ballot.body;
    if body.contests.len() != manifest.contests.len() {
        return Err(BallotError::Shape(format!(
            "{} contests, the manifest has {}",
            body.contests.len(),
            manifest.contests.len()
        )));
    }
    for (c, (encrypted, contest)) in body.contests.iter().zip(&manifest.contests).enumerate() {
        if encrypted.options.len() != contest.options.len() {
            return Err(BallotError::Shape(format!(
                "contest {c}: {} options, the manifest has {}",
                encrypted.options.len(),
                contest.options.len()
            )));
        }
        for (o, option) in encrypted.options.iter().enumerate() {
            if option.ciphertext.has_identity_alpha() {
                return Err(BallotError::IdentityAlpha {
                    contest: c,
                    option: o,
                });
            }
        }
    }
    Ok(())
}

/// Verifies a group of ballots as one batch; on failure, finds every culprit one by one.
/// Spec `batch.md` §3: the outcome equals one-by-one verification.
fn batch_failures(group: &[(String, DecodedLine)], context: &Context) -> Vec<(String, String)> {
    let mut batch = EquationBatch::with_capacity(Some(*context.key.point()), group.len() * 110);
    let mut failures = Vec::new();
    for (culprit, decoded) in group {
        if let Err(error) = decoded.entry.ballot.equations(
            &context.manifest,
            &context.fingerprint,
            &context.key,
            &decoded.body_hash,
            &mut batch,
        ) {
            failures.push((culprit.clone(), error.to_string()));
        }
    }
    if failures.is_empty() && batch.holds() {
        return failures;
    }
    // Some equation failed: verify each ballot on its own to name them all.
    group
        .iter()
        .filter_map(|(culprit, decoded)| {
            decoded
                .entry
                .ballot
                .verify(&context.manifest, &context.fingerprint, &context.key)
                .err()
                .map(|e| (culprit.clone(), e.to_string()))
        })
        .collect()
}

/// Check 11: challenged ballots.
fn check_challenged(
    dir: &Path,
    context: &Context,
    cast: Option<&(HashSet<Hash>, TallyAccumulator)>,
    report: &mut Report,
) {
    report.item(11, 0);
    let mut reader = match LinesReader::open(dir, record::CHALLENGED, false) {
        Ok(Some(reader)) => reader,
        Ok(None) => return,
        Err(error) => return report.fail(11, record::CHALLENGED, error.to_string()),
    };
    let mut seen = HashSet::new();
    loop {
        match reader.next_json::<ChallengedLine>() {
            Ok(None) => break,
            Err(error) => return report.fail(11, record::CHALLENGED, error.to_string()),
            Ok(Some((line, entry))) => {
                let culprit = format!(
                    "challenged ballot {} (challenged.jsonl line {line})",
                    hex::encode(entry.ballot_hash)
                );
                let hash = entry.challenged.body.hash();
                if hash != entry.ballot_hash {
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
                if let Err(error) =
                    entry
                        .challenged
                        .check(&context.manifest, &context.fingerprint, &context.key)
                {
                    report.fail(11, &culprit, error.to_string());
                }
                report.item(11, 1);
            }
        }
    }
}

/// Check 12: the published encrypted tally equals the recomputed one.
fn check_tally(
    dir: &Path,
    context: &Context,
    accumulator: TallyAccumulator,
    report: &mut Report,
) -> Option<EncryptedTally> {
    let published: EncryptedTally = match record::read_json(dir, record::TALLY) {
        Ok((tally, _)) => tally,
        Err(error) => {
            report.fail(12, record::TALLY, error.to_string());
            return None;
        }
    };
    let recomputed = match accumulator.finish(dir) {
        Ok(tally) => tally,
        Err(error) => {
            report.fail(12, record::BALLOTS, error.to_string());
            return None;
        }
    };
    report.item(12, 1);
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

/// Checks 13–15: decryption shares, counts, outcomes.
fn check_decryption(dir: &Path, context: &Context, tally: &EncryptedTally, report: &mut Report) {
    let files = match record::decryption_files(dir) {
        Ok(files) => files,
        Err(error) => return report.fail(13, record::DECRYPTION_DIR, error.to_string()),
    };
    let mut shares: Vec<DecryptionShare> = Vec::new();
    let mut valid: HashMap<u32, usize> = HashMap::new();
    report.item(13, 0);
    for (index, name) in &files {
        let share: DecryptionShare = match record::read_json(dir, name) {
            Ok((share, _)) => share,
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
        match share.verify(&context.fingerprint, verification_key, tally) {
            Ok(()) => {
                valid.insert(*index, shares.len());
            }
            Err(error) => report.fail(13, &culprit, error.to_string()),
        }
        shares.push(share);
    }
    let results: Results = match record::read_json(dir, record::RESULTS) {
        Ok((results, _)) => results,
        Err(error) => {
            report.fail(14, record::RESULTS, error.to_string());
            return;
        }
    };
    let view = crate::results::ResultsContext {
        manifest: &context.manifest,
        fingerprint: &context.fingerprint,
        ceremony: &context.ceremony,
        eligible: context.listed.len() as u64,
    };
    let outcomes_checked = crate::results::check_results(
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
