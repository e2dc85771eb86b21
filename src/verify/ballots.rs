//! Checks 6–10 (spec `verifier.md` §2, `batch.md` §4): every ballot line decoded, its proofs
//! checked in batches, and the board's order-dependent checks (hash chain, duplicates,
//! eligibility) in one sequential pass that also sums the tally.

use super::election::Context;
use super::report::{Mode, Options, Report};
use crate::ballot::{check_shape, BallotError};
use crate::crypto::batch::EquationBatch;
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::{Ciphertext, PublicKey};
use crate::crypto::error::ProofError;
use crate::crypto::group;
use crate::crypto::proofs::SchnorrProof;
use crate::election::TallyAccumulator;
use crate::manifest::Manifest;
use crate::record::hints::HintReader;
use crate::record::{
    decode_ballot_line, read_ahead, tracking_code, BallotLine, LinesReader, RawLine, Record,
    BALLOTS,
};

use rayon::prelude::*;
use std::collections::HashSet;
use std::io::BufRead;

/// What the ballot stage hands on: every cast ballot hash and the tally accumulator.
type CastBallots = (HashSet<Hash>, TallyAccumulator);

/// One line after the parallel stage, or its line number and why it did not decode.
type LineResult = Result<CheckedLine, (u64, String)>;

/// Checks 6–10 over `ballots.jsonl`, streamed in chunks; returns every cast ballot hash and the
/// tally accumulator (None if the file could not be read to the end).
pub(crate) fn check_ballots(
    record: &Record,
    context: &Context,
    options: Options,
    report: &mut Report,
) -> Option<CastBallots> {
    match record.lines(BALLOTS, false) {
        Ok(reader) => check_ballot_lines(reader, hints(record), context, options, report).0,
        Err(error) => {
            report.fail(6, BALLOTS, error.to_string());
            None
        }
    }
}

/// [`check_ballots`], hashing `ballots.jsonl` as it is read: also returns its file hash for
/// check 1 if the file was read to its end, so that the file is read once and check 1 covers
/// exactly the bytes checks 6–10 checked (spec `verifier.md` §2, check 1).
pub(crate) fn check_and_hash_ballots(
    record: &Record,
    context: &Context,
    options: Options,
    report: &mut Report,
) -> (Option<CastBallots>, Option<Result<Hash, String>>) {
    match record.hashed_lines(BALLOTS) {
        Ok(reader) => {
            let hints = hints(record);
            let (cast, reader) = check_ballot_lines(Some(reader), hints, context, options, report);
            let hash = reader.map(|reader| reader.file_hash().map_err(|e| e.to_string()));
            (cast, hash)
        }
        Err(error) => {
            report.fail(6, BALLOTS, error.to_string());
            (None, None)
        }
    }
}

/// The record's hint sidecar, if it has one whose header reads (spec `batch.md` §8.3): it is
/// advisory, so a missing or unreadable one means decoding without hints, and nothing else.
fn hints(record: &Record) -> Option<HintReader<std::io::BufReader<std::fs::File>>> {
    HintReader::open(record.dir()).ok().flatten()
}

/// Checks 6–10 over the lines of `reader`, with the hints of `hints` if given; returns what
/// [`check_ballots`] returns, and the reader if it was read to its end.
fn check_ballot_lines<R: BufRead + Send>(
    reader: Option<LinesReader<R>>,
    mut hints: Option<HintReader<impl std::io::Read>>,
    context: &Context,
    options: Options,
    report: &mut Report,
) -> (Option<CastBallots>, Option<LinesReader<R>>) {
    let Some(reader) = reader else {
        report.fail(6, BALLOTS, "missing");
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
    let (reader, read_to_end) = read_ahead(reader, chunk, |raw, read_error| {
        let read = raw.len() as u64;
        let bytes = raw.iter().map(|line| line.bytes.len()).sum();
        let hints = hints.as_mut().and_then(|hints| {
            let stride = hints.stride();
            hints
                .next_lines(raw.len(), bytes)
                .map(|hints| (hints, stride))
        });
        let checked = pipeline.push_hinted_chunk(raw, hints);
        for (id, culprit, detail) in pipeline.take_failures() {
            report.fail(id, culprit, detail);
        }
        for id in 6..=10 {
            report.item(id, checked);
        }
        progress.advance(read);
        if let Some(error) = read_error {
            report.fail(6, BALLOTS, error.to_string());
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
    report.hinted_points += pipeline.hinted_points();
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
    /// Points decoded on the fast path of a hint so far (spec `batch.md` §8.3).
    hinted: u64,
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
            hinted: 0,
        }
    }

    /// Verifies the next lines (`(line number, bytes)`, in board order) in parallel, while
    /// running the sequential pass of the previous chunk. Returns how many ballots that pass
    /// completed; its failures are then in [`take_failures`](Self::take_failures).
    pub fn push_chunk(&mut self, lines: Vec<RawLine>) -> u64 {
        self.push_hinted_chunk(lines, None)
    }

    /// [`push_chunk`](Self::push_chunk) with the lines' hints: `stride` hints per line, back to
    /// back, from the hint sidecar (spec `batch.md` §8.3). Hints only change the speed.
    pub fn push_hinted_chunk(
        &mut self,
        lines: Vec<RawLine>,
        hints: Option<(Vec<u8>, usize)>,
    ) -> u64 {
        let first = self.next_guess;
        if let Some(last) = lines.last() {
            self.next_guess = published_code(&last.bytes).unwrap_or([0; 32]);
        }
        let pending = std::mem::take(&mut self.pending);
        let (context, mode, state) = (self.context, self.mode, &mut self.state);
        let ((outcomes, hinted), checked) = rayon::join(
            || check_chunk(lines, hints, first, &context, mode),
            || state.run(pending),
        );
        self.pending = outcomes;
        self.hinted += hinted;
        checked
    }

    /// How many points were decoded on the fast path of their hint so far.
    pub fn hinted_points(&self) -> u64 {
        self.hinted
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
    hints: Option<(Vec<u8>, usize)>,
    first: Hash,
    context: &BallotContext<'_>,
    mode: Mode,
) -> (Vec<Vec<LineResult>>, u64) {
    let mut groups = Vec::with_capacity(lines.len().div_ceil(BATCH));
    let mut guess = first;
    let mut lines = lines.into_iter().peekable();
    // Each group's hints: `stride` per line, in line order.
    let mut group_hints = hints
        .as_ref()
        .map(|(bytes, stride)| (bytes.chunks(BATCH * stride * 32), *stride));
    while lines.peek().is_some() {
        let group: Vec<RawLine> = lines.by_ref().take(BATCH).collect();
        let hints = group_hints.as_mut().map(|(chunks, stride)| {
            let bytes = chunks.next().unwrap_or_default().to_vec();
            (bytes, *stride)
        });
        // The previous published code, read from the raw line before the next group; the
        // sequential pass recomputes the link when the guess was wrong.
        let next_guess = group
            .last()
            .and_then(|last| published_code(&last.bytes))
            .unwrap_or([0; 32]);
        groups.push((std::mem::replace(&mut guess, next_guess), group, hints));
    }
    let checked: Vec<_> = groups
        .into_par_iter()
        .map(|(guess, group, hints)| check_group(group, hints, guess, context, mode))
        .collect();
    let hinted = checked.iter().map(|(_, hinted)| hinted).sum();
    (
        checked.into_iter().map(|(group, _)| group).collect(),
        hinted,
    )
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
            tracking_code(&previous, &decoded.body_hash, &decoded.signature)
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
/// failure reads exactly as in one-by-one mode (spec `batch.md` §5). With `hints` (`stride`
/// per line), points are decoded with them (spec `batch.md` §8.3); also returns how many took
/// the fast path.
fn check_group(
    group: Vec<RawLine>,
    hints: Option<(Vec<u8>, usize)>,
    guess: Hash,
    context: &BallotContext<'_>,
    mode: Mode,
) -> (Vec<LineResult>, u64) {
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
    let stride = hints.as_ref().map_or(0, |(_, stride)| *stride);
    if let Some((bytes, _)) = hints {
        group::lend_hints(bytes);
    }
    for (position, raw) in group.into_iter().enumerate() {
        let (line, offset) = (raw.number, raw.offset);
        if stride > 0 {
            group::hint_window(position * stride, stride);
        }
        let decoded = decode_ballot_line(line, &raw.bytes).map_err(|error| error.to_string());
        drop(raw);
        let entry = match decoded {
            Ok(entry) => entry,
            Err(message) => {
                outcomes.push(Err((line, message)));
                continue;
            }
        };
        let body_hash = entry.ballot.body.hash_with(&mut bytes);
        let computed_code = tracking_code(&previous, &body_hash, &entry.ballot.signature);
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
    // Always taken back, so that no hint outlives its group on this thread.
    let hinted = group::return_hints().1;
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
    let outcomes = outcomes
        .into_iter()
        .map(|outcome| outcome.map(LineOutcome::checked))
        .collect();
    (outcomes, hinted)
}
