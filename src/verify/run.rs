//! The order of the checks: what each stage hands to the next, and the two entry points (the
//! whole record, and the board as a trustee checks it before decrypting).

use super::ballots::{check_and_hash_ballots, check_ballots};
use super::close::check_close;
use super::decryption::check_decryption;
use super::election::{check_election, check_index, FileHashResult};
use super::log::check_log;
use super::report::{Options, Report, Status};
use super::tally::{check_challenged, check_tally};
use crate::crypto::digest::Hash;
use crate::election::VerifiedTally;
use crate::record::{Record, BALLOTS, CREDENTIALS};
use crate::tally::EncryptedTally;

/// The checks a trustee runs on the board before decrypting (2–12, and 16–18 when the record
/// holds the board's log): the encrypted tally they recompute, or the report when any of
/// those checks failed; the trustee then refuses to decrypt.
pub fn verify_for_decryption(record: &Record, options: Options) -> Result<EncryptedTally, Report> {
    board_for_decryption(record, options).map(|(tally, _)| tally)
}

/// [`verify_for_decryption`], with the fingerprint of the election whose board passed.
fn board_for_decryption(
    record: &Record,
    options: Options,
) -> Result<(EncryptedTally, Hash), Report> {
    let mut report = Report::new();
    let Some(context) = check_election(record, &mut report) else {
        return Err(report);
    };
    let cast_hashes = check_ballots(record, &context, options, &mut report);
    check_challenged(record, &context, cast_hashes.as_ref(), &mut report);
    let tally = cast_hashes
        .and_then(|(_, accumulator)| check_tally(record, &context, accumulator, &mut report));
    // A v2 record always holds the board's log: without it checks 16–22 fail, and the trustee
    // refuses (a board must not escape its log checks by publishing none).
    check_log(record, &context, &mut report);
    check_close(record, &context, &mut report);
    let board_verified = report
        .checks
        .iter()
        .filter(|c| for_decryption(c.id))
        .all(|c| c.status == Status::Passed);
    match tally {
        Some(tally) if board_verified => Ok((tally, context.fingerprint)),
        _ => Err(report),
    }
}

/// The checks a trustee's decryption needs (spec `ceremony.md` §14.6): the board, 2–12; its log,
/// 16–18; and its close, 19–22, so that no tally of a board whose log does not verify, or that
/// was cut short before its signed close, is decrypted.
fn for_decryption(id: u32) -> bool {
    (2..=12).contains(&id) || (16..=22).contains(&id)
}

/// Verifies the record in `dir`.
pub fn verify_record(record: &Record, options: Options) -> Report {
    // Check 1 hashes every file. The two files that grow with the election are hashed by the
    // checks that stream them (credentials by check 4, ballots by checks 6–10), so each is read
    // once and check 1 covers the very bytes that were checked; the other files are hashed on a
    // thread of their own meanwhile.
    let (mut report, mut index) = std::thread::scope(|scope| {
        let others = scope.spawn(|| hash_indexed_files(record, STREAMED));
        let (report, streamed) = verify_after_index(record, options);
        let others = others
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut index = Report::new();
        check_index(record, others, streamed, &mut index);
        (report, index)
    });
    *report.check(1) = index.check(1).clone();
    report.record_root = index.record_root;
    report.verified = report.checks.iter().all(|c| c.status == Status::Passed);
    report
}

/// The files whose hashes check 1 takes from the checks that stream them.
const STREAMED: [&str; 2] = [CREDENTIALS, BALLOTS];

/// The record's indexed files in chain order, each hashed unless it is one of `skip`.
fn hash_indexed_files(
    record: &Record,
    skip: [&str; 2],
) -> Result<Vec<(String, Option<FileHashResult>)>, String> {
    let names = record.indexed_files().map_err(|e| e.to_string())?;
    Ok(names
        .into_iter()
        .map(|name| {
            let hash = (!skip.contains(&name.as_str()))
                .then(|| record.file_hash(&name).map_err(|e| e.to_string()));
            (name, hash)
        })
        .collect())
}

/// Checks 2–18, and the file hashes computed on the way (`credentials.json`, `ballots.jsonl`)
/// for check 1.
fn verify_after_index(
    record: &Record,
    options: Options,
) -> (Report, Vec<(&'static str, FileHashResult)>) {
    let mut report = Report::new();
    let mut streamed = Vec::new();
    let Some(context) = check_election(record, &mut report) else {
        return (report, streamed);
    };
    streamed.push((CREDENTIALS, Ok(context.credentials_hash)));
    let (cast_hashes, ballots_hash) =
        check_and_hash_ballots(record, &context, options, &mut report);
    if let Some(hash) = ballots_hash {
        streamed.push((BALLOTS, hash));
    }
    check_challenged(record, &context, cast_hashes.as_ref(), &mut report);
    let tally = cast_hashes
        .and_then(|(_, accumulator)| check_tally(record, &context, accumulator, &mut report));
    if let Some(tally) = tally {
        check_decryption(record, &context, &tally, &mut report);
    }
    check_log(record, &context, &mut report);
    check_close(record, &context, &mut report);
    (report, streamed)
}

/// Why a trustee refuses to decrypt: the verifier's checks 2–12 and 16–22 that failed, each with
/// its first culprit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("refusing to decrypt: the board does not verify: {0}")]
pub struct BoardRejected(pub String);

/// The board as a trustee must see it before decrypting: checks 2–12 of the verifier pass, and
/// the tally they recompute equals `tally.json`; checks 16–18 pass too (the log's leaves are the
/// published lines, its signed checkpoints are their tree, the tally covers every cast leaf), and
/// checks 19–22 (the log ends with the commission's signed close, which the tally names) (spec
/// `ceremony.md` §14.6).
pub fn verified_tally(record: &Record) -> Result<VerifiedTally, BoardRejected> {
    board_for_decryption(record, Options::default())
        .map(|(tally, fingerprint)| VerifiedTally::vouched_by_verifier(tally, fingerprint))
        .map_err(|report| {
            let failed: Vec<String> = report
                .failed()
                .filter(|c| for_decryption(c.id))
                .map(|c| match c.failures.first() {
                    Some(f) => format!("check {} ({}): {}: {}", c.id, c.name, f.culprit, f.detail),
                    None => format!("check {} ({}) could not run", c.id, c.name),
                })
                .collect();
            BoardRejected(failed.join("; "))
        })
}
