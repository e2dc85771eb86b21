//! The verifier: numbered checks over a published election record.
//!
//! Spec: `protocol-spec/verifier.md`, which lists every check by number. The verifier fails
//! closed: a check that cannot run (a missing or malformed file) fails, and the record verifies
//! only when every check passed. It never panics on any input.

use crate::ballot::{check_shape, BallotError};
use crate::ceremony::CeremonyRecord;
use crate::crypto::batch::EquationBatch;
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::{Ciphertext, PublicKey};
use crate::crypto::error::ProofError;
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::SchnorrProof;
use crate::election::TallyAccumulator;
use crate::manifest::Manifest;
use crate::progress::Progress;
use crate::record::{
    self, BallotLine, ChallengedLine, ElectionInfo, FileEntry, LinesReader, RawLine, RecordError,
    RecordIndex,
};
use crate::tally::results::Results;
use crate::tally::{DecryptionShare, EncryptedTally};
use crate::trustee::ShareFiles;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
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
#[derive(Clone, Debug)]
pub struct Options {
    /// How ballot proofs are checked.
    pub mode: Mode,
    /// Where the ballot checks report their progress.
    pub progress: Progress,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mode: Mode::Batch,
            progress: Progress::none(),
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
    /// The file hash of `credentials.json`, computed as check 4 streamed it.
    credentials_hash: Hash,
}

/// What a trustee runs before decrypting (spec `ceremony.md` §14.6): checks 2–12 over the record as it
/// stands before decryption. Returns the verified encrypted tally, or the report if any of
/// those checks failed; the trustee then refuses to decrypt.
pub fn verify_for_decryption(dir: &Path, options: Options) -> Result<EncryptedTally, Report> {
    let mut report = Report::new();
    let Some(context) = check_election(dir, &mut report) else {
        return Err(report);
    };
    let cast_hashes = check_ballots(dir, &context, options, &mut report);
    check_challenged(dir, &context, cast_hashes.as_ref(), &mut report);
    let tally = cast_hashes
        .and_then(|(_, accumulator)| check_tally(dir, &context, accumulator, &mut report));
    let board_verified = report
        .checks
        .iter()
        .filter(|c| (2..=12).contains(&c.id))
        .all(|c| c.status == Status::Passed);
    match tally {
        Some(tally) if board_verified => Ok(tally),
        _ => Err(report),
    }
}

/// Verifies the record in `dir`.
pub fn verify_record(dir: &Path, options: Options) -> Report {
    // Check 1 hashes every file. The two files that grow with the election are hashed by the
    // checks that stream them (credentials by check 4, ballots by checks 6–10), so each is read
    // once and check 1 covers the very bytes that were checked; the other files are hashed on a
    // thread of their own meanwhile.
    let (mut report, mut index) = std::thread::scope(|scope| {
        let others = scope.spawn(|| hash_indexed_files(dir, STREAMED));
        let (report, streamed) = verify_after_index(dir, options);
        let others = others
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut index = Report::new();
        check_index(dir, others, streamed, &mut index);
        (report, index)
    });
    *report.check(1) = index.check(1).clone();
    report.record_root = index.record_root;
    report.verified = report.checks.iter().all(|c| c.status == Status::Passed);
    report
}

/// The files whose hashes check 1 takes from the checks that stream them.
const STREAMED: [&str; 2] = [record::CREDENTIALS, record::BALLOTS];

/// A file hash as check 1 gets it, or why it could not be computed.
type FileHashResult = Result<Hash, String>;

/// The record's indexed files in chain order, each hashed unless it is one of `skip`.
fn hash_indexed_files(
    dir: &Path,
    skip: [&str; 2],
) -> Result<Vec<(String, Option<FileHashResult>)>, String> {
    let names = record::indexed_files(dir).map_err(|e| e.to_string())?;
    Ok(names
        .into_iter()
        .map(|name| {
            let hash = (!skip.contains(&name.as_str()))
                .then(|| record::hash_file(dir, &name).map_err(|e| e.to_string()));
            (name, hash)
        })
        .collect())
}

/// Checks 2–15, and the file hashes computed on the way (`credentials.json`, `ballots.jsonl`)
/// for check 1.
fn verify_after_index(
    dir: &Path,
    options: Options,
) -> (Report, Vec<(&'static str, FileHashResult)>) {
    let mut report = Report::new();
    let mut streamed = Vec::new();
    let Some(context) = check_election(dir, &mut report) else {
        return (report, streamed);
    };
    streamed.push((record::CREDENTIALS, Ok(context.credentials_hash)));
    let (cast_hashes, ballots_hash) = check_and_hash_ballots(dir, &context, options, &mut report);
    if let Some(hash) = ballots_hash {
        streamed.push((record::BALLOTS, hash));
    }
    check_challenged(dir, &context, cast_hashes.as_ref(), &mut report);
    let tally = cast_hashes
        .and_then(|(_, accumulator)| check_tally(dir, &context, accumulator, &mut report));
    if let Some(tally) = tally {
        check_decryption(dir, &context, &tally, &mut report);
    }
    (report, streamed)
}

/// Check 1: `record.json` lists exactly the record's files with their hashes and root. `files`
/// are the indexed files with their hashes, except those in `streamed` (hashed by the checks that
/// read them) and any that were not streamed after all, which are hashed here.
fn check_index(
    dir: &Path,
    files: Result<Vec<(String, Option<FileHashResult>)>, String>,
    streamed: Vec<(&'static str, FileHashResult)>,
    report: &mut Report,
) {
    let published: RecordIndex = match record::read_json(dir, record::INDEX) {
        Ok((index, _)) => index,
        Err(error) => return report.fail(1, record::INDEX, error.to_string()),
    };
    report.record_root = Some(hex::encode(published.root));
    let files = match files {
        Ok(files) => files,
        Err(error) => return report.fail(1, "record", error),
    };
    let mut entries = Vec::with_capacity(files.len());
    for (name, hash) in files {
        let hash =
            hash.unwrap_or_else(
                || match streamed.iter().find(|(streamed, _)| *streamed == name) {
                    Some((_, hash)) => hash.clone(),
                    None => record::hash_file(dir, &name).map_err(|e| e.to_string()),
                },
            );
        match hash {
            Ok(hash) => entries.push(FileEntry { name, hash }),
            Err(error) => return report.fail(1, name, error),
        }
    }
    let actual = RecordIndex::chain(entries);
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

/// Check 4 on the encodings of `credentials.json`: each a credential
/// ([`record::invalid_credentials`]), none listed twice. Returns the listed set.
fn check_credentials(encodings: &[[u8; 32]], report: &mut Report) -> HashSet<[u8; 32]> {
    let culprit = |i: usize| format!("{}: credentials[{i}]", record::CREDENTIALS);
    for (i, error) in record::invalid_credentials(encodings) {
        report.fail(4, culprit(i), error.to_string());
    }
    let mut listed = HashSet::with_capacity(encodings.len());
    for (i, encoding) in encodings.iter().enumerate() {
        if !listed.insert(*encoding) {
            report.fail(4, culprit(i), "listed twice");
        }
    }
    report.item(4, encodings.len() as u64);
    listed
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
            // Spec ceremony.md §14.5: a ceremony run by separate trustees leaves its signed
            // transcript in the record; the qualified set must follow from it.
            match crate::trustee::audit_record(dir, &ceremony) {
                Ok(true) => {}
                Ok(false) if ceremony.disqualified.is_empty() => {}
                Ok(false) => {
                    report.fail(3, "ceremony.json: disqualified", "trustees are disqualified but the record has no ceremony transcript to justify it");
                    ok = false;
                }
                Err(error) => {
                    report.fail(3, "ceremony/ (transcript)", error.to_string());
                    ok = false;
                }
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
    let credentials = match record::read_credential_encodings(dir) {
        Err(error) => {
            report.fail(4, record::CREDENTIALS, error.to_string());
            None
        }
        Ok((encodings, hash)) => Some((check_credentials(&encodings, report), hash)),
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
        info.board_key,
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
                if field == "fingerprint" {
                    "does not match the value recomputed from the record and board_key"
                } else {
                    "does not match the value recomputed from the record"
                },
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
        credentials_hash,
    })
}

/// What the ballot stage hands on: every cast ballot hash and the tally accumulator.
type CastBallots = (HashSet<Hash>, TallyAccumulator);

/// Checks 6–10 over `ballots.jsonl`, streamed in chunks; returns every cast ballot hash and the
/// tally accumulator (None if the file could not be read to the end).
fn check_ballots(
    dir: &Path,
    context: &Context,
    options: Options,
    report: &mut Report,
) -> Option<CastBallots> {
    match LinesReader::open(dir, record::BALLOTS, false) {
        Ok(reader) => check_ballot_lines(reader, context, options, report).0,
        Err(error) => {
            report.fail(6, record::BALLOTS, error.to_string());
            None
        }
    }
}

/// [`check_ballots`], hashing `ballots.jsonl` as it is read: also returns its file hash for
/// check 1 if the file was read to its end, so that the file is read once and check 1 covers
/// exactly the bytes checks 6–10 checked (spec `verifier.md` §2, check 1).
fn check_and_hash_ballots(
    dir: &Path,
    context: &Context,
    options: Options,
    report: &mut Report,
) -> (Option<CastBallots>, Option<Result<Hash, String>>) {
    match LinesReader::open_hashed(dir, record::BALLOTS) {
        Ok(reader) => {
            let (cast, reader) = check_ballot_lines(Some(reader), context, options, report);
            let hash = reader.map(|reader| reader.file_hash().map_err(|e| e.to_string()));
            (cast, hash)
        }
        Err(error) => {
            report.fail(6, record::BALLOTS, error.to_string());
            (None, None)
        }
    }
}

/// Checks 6–10 over the lines of `reader`; returns what [`check_ballots`] returns, and the reader
/// if it was read to its end.
fn check_ballot_lines<R: BufRead + Send>(
    reader: Option<LinesReader<R>>,
    context: &Context,
    options: Options,
    report: &mut Report,
) -> (Option<CastBallots>, Option<LinesReader<R>>) {
    let Some(reader) = reader else {
        report.fail(6, record::BALLOTS, "missing");
        return (None, None);
    };
    let progress = &options.progress;
    progress.start("verifying ballots", None);
    let election = BallotContext {
        manifest: &context.manifest,
        fingerprint: context.fingerprint,
        key: context.key,
        listed: &context.listed,
    };
    let mut pipeline = BallotPipeline::new(election, options.mode);
    let chunk = chunk_lines();
    let mut complete = true;
    for id in 6..=10 {
        report.item(id, 0);
    }
    let (reader, read_to_end) = record::read_ahead(reader, chunk, |raw, read_error| {
        let read = raw.len() as u64;
        let checked = pipeline.push_chunk(raw);
        for (id, culprit, detail) in pipeline.take_failures() {
            report.fail(id, culprit, detail);
        }
        for id in 6..=10 {
            report.item(id, checked);
        }
        progress.advance(read);
        if let Some(error) = read_error {
            report.fail(6, record::BALLOTS, error.to_string());
            complete = false;
        }
        true
    });
    let checked = pipeline.flush();
    for (id, culprit, detail) in pipeline.take_failures() {
        report.fail(id, culprit, detail);
    }
    for id in 6..=10 {
        report.item(id, checked);
    }
    if pipeline.malformed_lines() > 0 {
        complete = false;
    }
    progress.finish();
    let cast = complete.then(|| {
        let totals = pipeline.finish();
        (totals.hashes, totals.accumulator)
    });
    (cast, read_to_end.then_some(reader))
}

/// Ballot lines per batch equation (one multiscalar multiplication each, about 104 terms per
/// default ballot). Spec `batch.md` §4.6.
pub const BATCH: usize = 256;

/// Ballot lines read, decoded and checked together: two batches per thread keep every thread
/// busy (the next chunk is read meanwhile), and memory does not depend on the size of the record.
pub fn chunk_lines() -> usize {
    rayon::current_num_threads().max(1) * 2 * BATCH
}

/// What the ballot checks need from the election (verified by checks 2–5).
#[derive(Clone, Copy)]
pub struct BallotContext<'a> {
    /// The manifest.
    pub manifest: &'a Manifest,
    /// The election fingerprint (also the first link of the tracking-code chain).
    pub fingerprint: Hash,
    /// The joint election key.
    pub key: PublicKey,
    /// The listed credentials' encodings.
    pub listed: &'a HashSet<[u8; 32]>,
}

/// Checks 6–10 over ballot lines fed in board order, chunk by chunk: decoding, hashing and
/// proofs in parallel (one batch equation per [`BATCH`] lines), then the order-dependent
/// checks (hash chain, duplicates, eligibility) and the tally sum in one sequential pass. The
/// sequential pass of a chunk runs while the next chunk is being verified.
///
/// Memory holds two chunks of lines at a time plus what grows with the record: one ballot hash
/// per ballot and one entry per credential in the tally accumulator.
pub struct BallotPipeline<'a> {
    context: BallotContext<'a>,
    mode: Mode,
    /// The published code on the last line pushed (the guess for the next chunk's first link).
    next_guess: Hash,
    /// Outcomes of the last chunk pushed, waiting for the sequential pass.
    pending: Vec<Vec<Result<CheckedLine, (u64, String)>>>,
    state: Sequential<'a>,
}

/// The order-dependent state of the ballot checks.
struct Sequential<'a> {
    context: BallotContext<'a>,
    previous: Hash,
    hashes: HashSet<Hash>,
    accumulator: TallyAccumulator,
    failures: Vec<(u32, String, String)>,
    malformed_lines: u64,
}

/// What the ballot checks found, once every line was pushed.
pub struct BallotTotals {
    /// The hash of every decoded ballot.
    pub hashes: HashSet<Hash>,
    /// The tally of the counted ballots.
    pub accumulator: TallyAccumulator,
}

/// One decoded line after the parallel stage.
struct LineOutcome {
    line: u64,
    /// Where the line starts in `ballots.jsonl`.
    offset: u64,
    entry: BallotLine,
    body_hash: Hash,
    /// `tracking_code(guess, ballot hash, signature)`.
    computed_code: Hash,
    /// The previous code assumed by the parallel stage; recomputed if it was wrong.
    guess: Hash,
    shape: Result<(), BallotError>,
    proof: Option<BallotError>,
}

impl LineOutcome {
    /// What the sequential pass needs, once the proofs are checked.
    fn checked(self) -> CheckedLine {
        let BallotLine {
            tracking_code,
            ballot_hash,
            ballot,
        } = self.entry;
        CheckedLine {
            line: self.line,
            offset: self.offset,
            tracking_code,
            ballot_hash,
            credential: *ballot.body.credential.as_bytes(),
            ciphertexts: ballot.body.ciphertexts().copied().collect(),
            signature: ballot.signature,
            body_hash: self.body_hash,
            computed_code: self.computed_code,
            guess: self.guess,
            shape: self.shape,
            proof: self.proof,
        }
    }
}

/// One line after the parallel stage, as the sequential pass sees it: the decoded ballot
/// without its proofs, which are checked by then. A chunk's lines wait in this form for the
/// sequential pass, so it is kept small (about a quarter of a decoded default ballot).
struct CheckedLine {
    line: u64,
    offset: u64,
    tracking_code: Hash,
    ballot_hash: Hash,
    credential: [u8; 32],
    /// Every option's ciphertext, in manifest order.
    ciphertexts: Vec<Ciphertext>,
    signature: SchnorrProof,
    body_hash: Hash,
    computed_code: Hash,
    guess: Hash,
    shape: Result<(), BallotError>,
    proof: Option<BallotError>,
}

impl<'a> BallotPipeline<'a> {
    /// A pipeline at the start of `ballots.jsonl`.
    pub fn new(context: BallotContext<'a>, mode: Mode) -> Self {
        Self {
            context,
            mode,
            next_guess: context.fingerprint,
            pending: Vec::new(),
            state: Sequential {
                previous: context.fingerprint,
                accumulator: TallyAccumulator::new(context.manifest, &context.fingerprint),
                context,
                hashes: HashSet::new(),
                failures: Vec::new(),
                malformed_lines: 0,
            },
        }
    }

    /// Verifies the next lines (`(line number, bytes)`, in board order) in parallel, while
    /// running the sequential pass of the previous chunk. Returns how many ballots that pass
    /// completed; its failures are then in [`take_failures`](Self::take_failures).
    pub fn push_chunk(&mut self, lines: Vec<RawLine>) -> u64 {
        let first = self.next_guess;
        if let Some(last) = lines.last() {
            self.next_guess = published_code(&last.bytes).unwrap_or([0; 32]);
        }
        let pending = std::mem::take(&mut self.pending);
        let (context, mode, state) = (self.context, self.mode, &mut self.state);
        let (outcomes, checked) = rayon::join(
            || check_chunk(lines, first, &context, mode),
            || state.run(pending),
        );
        self.pending = outcomes;
        checked
    }

    /// Runs the sequential pass of the last chunk pushed; returns how many ballots it completed.
    pub fn flush(&mut self) -> u64 {
        let pending = std::mem::take(&mut self.pending);
        self.state.run(pending)
    }

    /// The failures found so far, `(check, culprit, detail)`, in line order within each check.
    pub fn take_failures(&mut self) -> Vec<(u32, String, String)> {
        std::mem::take(&mut self.state.failures)
    }

    /// Lines that did not decode so far (the tally cannot be recomputed without them).
    pub fn malformed_lines(&self) -> u64 {
        self.state.malformed_lines
    }

    /// The ballot hashes and the tally. Call [`flush`](Self::flush) and
    /// [`take_failures`](Self::take_failures) first.
    pub fn finish(self) -> BallotTotals {
        BallotTotals {
            hashes: self.state.hashes,
            accumulator: self.state.accumulator,
        }
    }
}

/// The parallel stage of one chunk: one task per group of [`BATCH`] lines. Each task owns its
/// raw lines and frees each one once decoded.
fn check_chunk(
    lines: Vec<RawLine>,
    first: Hash,
    context: &BallotContext<'_>,
    mode: Mode,
) -> Vec<Vec<Result<CheckedLine, (u64, String)>>> {
    let mut groups = Vec::with_capacity(lines.len().div_ceil(BATCH));
    let mut guess = first;
    let mut lines = lines.into_iter().peekable();
    while lines.peek().is_some() {
        let group: Vec<RawLine> = lines.by_ref().take(BATCH).collect();
        // The previous published code, read from the raw line before the next group; the
        // sequential pass recomputes the link when the guess was wrong.
        let next_guess = group
            .last()
            .and_then(|last| published_code(&last.bytes))
            .unwrap_or([0; 32]);
        groups.push((std::mem::replace(&mut guess, next_guess), group));
    }
    groups
        .into_par_iter()
        .map(|(guess, group)| check_group(group, guess, context, mode))
        .collect()
}

impl Sequential<'_> {
    fn run(&mut self, outcomes: Vec<Vec<Result<CheckedLine, (u64, String)>>>) -> u64 {
        let mut checked = 0;
        for outcome in outcomes.into_iter().flatten() {
            match outcome {
                Ok(decoded) => checked += self.line(decoded),
                Err((line, message)) => {
                    self.malformed_lines += 1;
                    self.failures
                        .push((6, format!("ballots.jsonl line {line}"), message));
                }
            }
        }
        checked
    }

    /// The order-dependent checks of one decoded line; returns 1 if its proofs were checked.
    fn line(&mut self, decoded: CheckedLine) -> u64 {
        self.accumulator.note_line(&decoded.tracking_code);
        // Each link must be H(the previous line's published code, this ballot).
        let previous = std::mem::replace(&mut self.previous, decoded.tracking_code);
        let computed = if previous == decoded.guess {
            decoded.computed_code
        } else {
            record::tracking_code(&previous, &decoded.body_hash, &decoded.signature)
        };
        let culprit = || {
            format!(
                "ballot {} (ballots.jsonl line {})",
                hex::encode(decoded.tracking_code),
                decoded.line
            )
        };
        if computed != decoded.tracking_code {
            self.failures.push((10, culprit(), "tracking code is not H(previous code, ballot hash, signature): a ballot was changed, removed or reordered".into()));
        }
        if decoded.body_hash != decoded.ballot_hash {
            self.failures.push((
                6,
                culprit(),
                "ballot_hash is not the hash of the ballot body".into(),
            ));
        }
        let mut counted = true;
        if !self.hashes.insert(decoded.body_hash) {
            self.failures
                .push((9, culprit(), "the same ballot appears twice".into()));
            counted = false;
        }
        let credential = &decoded.credential;
        if !self.context.listed.contains(credential) {
            self.failures.push((
                8,
                culprit(),
                format!("credential {} is not listed", hex::encode(credential)),
            ));
            counted = false;
        }
        if let Err(error) = &decoded.shape {
            self.failures.push((6, culprit(), error.to_string()));
            return 0;
        }
        if counted {
            self.accumulator.add(
                decoded.line,
                decoded.offset,
                credential,
                &decoded.ciphertexts,
            );
        }
        if let Some(error) = &decoded.proof {
            self.failures.push((7, culprit(), error.to_string()));
        }
        1
    }
}

/// Reads `"tracking_code":"<hex>"` from a raw ballot line without decoding it.
fn published_code(bytes: &[u8]) -> Option<Hash> {
    const KEY: &[u8] = b"\"tracking_code\":\"";
    let start = bytes.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    crate::crypto::group::decode_hex32(bytes.get(start..start + 64)?).ok()
}

thread_local! {
    /// Each thread's batch, kept between groups.
    static SCRATCH: std::cell::Cell<Option<EquationBatch>> = const { std::cell::Cell::new(None) };
}

/// The parallel stage for one group of lines: decode, encode once (ballot hash and tracking
/// code), shape, and the proofs of every well-shaped ballot as one batch equation; on failure,
/// a culprit search names every failing ballot, and each is verified proof by proof so that its
/// failure reads exactly as in one-by-one mode (spec `batch.md` §5).
fn check_group(
    group: Vec<RawLine>,
    guess: Hash,
    context: &BallotContext<'_>,
    mode: Mode,
) -> Vec<Result<CheckedLine, (u64, String)>> {
    let mut outcomes = Vec::with_capacity(group.len());
    let mut bytes = Vec::new();
    let mut previous = guess;
    // The batch's term vectors (about 5 MB for a group) are reused from task to task: fresh
    // allocations of that size cost page faults and zeroing on every group.
    let mut batch = match mode {
        Mode::Batch => Some(SCRATCH.with(|scratch| match scratch.take() {
            Some(mut batch) => {
                batch.clear_for(Some(*context.key.element()));
                batch
            }
            None => EquationBatch::with_capacity(Some(*context.key.element()), group.len() * 104),
        })),
        Mode::OneByOne => None,
    };
    // For each batch item, its outcome's index; ballots whose checks failed before the
    // equations are marked at once.
    let mut items = Vec::with_capacity(group.len());
    let mut suspects = Vec::new();
    for raw in group {
        let (line, offset) = (raw.number, raw.offset);
        let decoded =
            record::decode_ballot_line(line, &raw.bytes).map_err(|error| error.to_string());
        drop(raw);
        let entry = match decoded {
            Ok(entry) => entry,
            Err(message) => {
                outcomes.push(Err((line, message)));
                continue;
            }
        };
        let body_hash = entry.ballot.body.hash_with(&mut bytes);
        let computed_code = record::tracking_code(&previous, &body_hash, &entry.ballot.signature);
        let guess = std::mem::replace(&mut previous, entry.tracking_code);
        let shape = check_shape(&entry.ballot.body, context.manifest);
        let index = outcomes.len();
        let mut proof = None;
        if shape.is_ok() {
            match &mut batch {
                Some(batch) => {
                    let emitted = entry.ballot.equations(
                        context.manifest,
                        &context.fingerprint,
                        &context.key,
                        &body_hash,
                        batch,
                    );
                    if emitted.is_ok() {
                        batch.finish_item();
                        items.push(index);
                    } else {
                        batch.discard_item();
                        suspects.push(index);
                    }
                }
                None => {
                    proof = entry
                        .ballot
                        .verify_each(
                            context.manifest,
                            &context.fingerprint,
                            &context.key,
                            &body_hash,
                        )
                        .err();
                }
            }
        }
        outcomes.push(Ok(LineOutcome {
            line,
            offset,
            entry,
            body_hash,
            computed_code,
            guess,
            shape,
            proof,
        }));
    }
    if let Some(batch) = batch {
        if !batch.holds() {
            suspects.extend(batch.failing_items().into_iter().map(|item| items[item]));
        }
        SCRATCH.with(|scratch| scratch.set(Some(batch)));
    }
    for index in suspects {
        if let Some(Ok(outcome)) = outcomes.get_mut(index) {
            let verdict = outcome.entry.ballot.verify_each(
                context.manifest,
                &context.fingerprint,
                &context.key,
                &outcome.body_hash,
            );
            // A ballot the batch rejects but whose proofs each hold alone can only come from a
            // 2^-128 event (spec batch.md §3); fail closed.
            outcome.proof = Some(
                verdict
                    .err()
                    .unwrap_or(BallotError::Equations(ProofError::EquationsFail)),
            );
        }
    }
    outcomes
        .into_iter()
        .map(|outcome| outcome.map(LineOutcome::checked))
        .collect()
}

/// Challenged lines decoded and checked in parallel at a time.
const CHALLENGED_CHUNK: usize = 256;

/// A challenged line after the parallel stage: its number, the published and the recomputed
/// ballot hash, and the outcome of `ballot.md` §8.3.
type ChallengedOutcome = (u64, Hash, Hash, Result<(), BallotError>);

/// Check 11: challenged ballots. Lines are read in chunks; each chunk is decoded and checked in
/// parallel, then reported in line order.
fn check_challenged(
    dir: &Path,
    context: &Context,
    cast: Option<&(HashSet<Hash>, TallyAccumulator)>,
    report: &mut Report,
) {
    report.item(11, 0);
    let reader = match LinesReader::open(dir, record::CHALLENGED, false) {
        Ok(Some(reader)) => reader,
        Ok(None) => return,
        Err(error) => return report.fail(11, record::CHALLENGED, error.to_string()),
    };
    let mut seen = HashSet::new();
    record::read_ahead(reader, CHALLENGED_CHUNK, |raw, read_error| {
        let outcomes: Vec<Result<ChallengedOutcome, RecordError>> = raw
            .into_par_iter()
            .map(
                |RawLine {
                     number: line,
                     bytes,
                     ..
                 }| {
                    let entry: ChallengedLine =
                        record::decode_json(record::CHALLENGED, Some(line), &bytes)?;
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
                    report.fail(11, record::CHALLENGED, error.to_string());
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
            report.fail(11, record::CHALLENGED, error.to_string());
        }
        true
    });
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

/// Checks 13–15: decryption shares, counts, outcomes.
fn check_decryption(dir: &Path, context: &Context, tally: &EncryptedTally, report: &mut Report) {
    let files = match record::decryption_files(dir) {
        Ok(files) => files,
        Err(error) => return report.fail(13, record::DECRYPTION_DIR, error.to_string()),
    };
    // verifier.md check 13: in a record of separate trustees, each share file must be signed by
    // its trustee (ceremony.md §14.6).
    let share_files = match ShareFiles::for_record(dir) {
        Ok(share_files) => share_files,
        Err(error) => {
            return report.fail(13, record::TRANSCRIPT_DIR, error.to_string());
        }
    };
    // Spec batch.md §4.7: every share's proofs go into one batch equation, one item per share.
    let mut candidates: Vec<(u32, String, DecryptionShare, GroupElement)> = Vec::new();
    report.item(13, 0);
    for (index, name) in &files {
        let share = match share_files.read(dir, name, *index) {
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
    match record::numbered_files(dir, record::REJECTED_DIR) {
        Err(error) => report.fail(13, record::REJECTED_DIR, error.to_string()),
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
                let share = match share_files.read(dir, &name, index) {
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
    let results: Results = match record::read_json(dir, record::RESULTS) {
        Ok((results, _)) => results,
        Err(error) => {
            report.fail(14, record::RESULTS, error.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Check 1 compares the hashes of the bytes the other checks streamed, and hashes a file
    /// itself only when no check streamed it to the end.
    #[test]
    fn check_one_uses_the_hash_of_the_bytes_that_were_checked() {
        let dir = std::env::temp_dir().join(format!("saylau-check-one-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ballots = b"{}\n".to_vec();
        std::fs::write(dir.join(record::BALLOTS), &ballots).unwrap();
        let manifest_hash = [1u8; 32];
        let on_disk = record::file_hash(&ballots);
        let published = RecordIndex::chain(vec![
            FileEntry {
                name: record::MANIFEST.into(),
                hash: manifest_hash,
            },
            FileEntry {
                name: record::BALLOTS.into(),
                hash: on_disk,
            },
        ]);
        record::write_json(&dir, record::INDEX, &published).unwrap();
        let run = |streamed: Vec<(&'static str, FileHashResult)>| {
            let files = vec![
                (record::MANIFEST.to_string(), Some(Ok(manifest_hash))),
                (record::BALLOTS.to_string(), None),
            ];
            let mut report = Report::new();
            check_index(&dir, Ok(files), streamed, &mut report);
            report.check(1).clone()
        };
        let culprits = |check: &CheckReport| -> Vec<(String, String)> {
            check
                .failures
                .iter()
                .map(|f| (f.culprit.clone(), f.detail.clone()))
                .collect()
        };

        // Streamed bytes that match the index pass; so does hashing the file when not streamed.
        assert_eq!(
            run(vec![(record::BALLOTS, Ok(on_disk))]).status,
            Status::Passed
        );
        assert_eq!(run(vec![]).status, Status::Passed);
        // The checks saw other bytes than the file holds now: check 1 fails on what was checked.
        let other = record::file_hash(b"{\"x\":1}\n");
        let check = run(vec![(record::BALLOTS, Ok(other))]);
        assert_eq!(check.status, Status::Failed);
        assert_eq!(
            culprits(&check),
            [(
                record::BALLOTS.to_string(),
                "file hash differs from record.json".to_string()
            )]
        );
        // A file that changed while it was streamed is named with why.
        let check = run(vec![(record::BALLOTS, Err("changed".into()))]);
        assert_eq!(
            culprits(&check),
            [(record::BALLOTS.to_string(), "changed".to_string())]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

pub mod receipt;
