//! `saylau board monitor URL --state DIR`: the observer's monitor (spec `board.md` §11.5). It
//! fetches the election the board serves and recomputes `F`, then, round after round, checks
//! that the board's latest signed checkpoint extends the last one it verified, and re-verifies
//! every new ballot line with the batch verifier. Its state (the last verified checkpoint, the
//! last ballot position and tracking code) is kept in `DIR/state.json`, so a restart resumes.
//! On an inconsistency or an invalid ballot it writes the evidence to `DIR/evidence-<n>.txt` and
//! exits 1; when it cannot run (the board unreachable, a bad state file), 2.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use saylau::ballot::BallotError;
use saylau::crypto::batch::EquationBatch;
use saylau::crypto::digest::Hash;
use saylau::crypto::error::ProofError;
use saylau::log::SignedCheckpoint;
use saylau::record::{self as record, decode_ballot_line, tracking_code};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

use super::progress;
use crate::client::proof::{check_consistency, open_checkpoint};
use crate::client::{Board, TrustedElection};

/// Ballot lines asked for per request (the API's largest page).
const PAGE: u64 = 1000;
/// Ballots per batch equation.
const GROUP: usize = 256;
/// The state file in `--state`.
const STATE_FILE: &str = "state.json";

/// Arguments of `saylau board monitor`.
#[derive(clap::Args, Debug)]
pub struct MonitorArgs {
    /// The board's URL.
    pub url: String,
    /// The monitor's folder: its state (state.json) and any evidence it finds.
    #[arg(long)]
    pub state: PathBuf,
    /// The election fingerprint F (64 hex digits) the observer expects; the board's is refused
    /// if it differs. Without it, the first run trusts the board's F and later runs the saved one.
    #[arg(long)]
    pub election: Option<String>,
    /// One round, then exit (0 when everything verified).
    #[arg(long)]
    pub once: bool,
    /// Pause between rounds.
    #[arg(long, default_value_t = 1000)]
    pub interval_ms: u64,
    /// Do not draw the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// What the monitor keeps between rounds and runs (`DIR/state.json`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    version: u32,
    /// The election fingerprint, hex.
    election: String,
    /// The last checkpoint verified, as the board signed it; empty before the first.
    checkpoint: String,
    /// Ballot lines verified so far.
    position: u64,
    /// The tracking code of the last line verified (hex; F before the first).
    tracking_code: String,
}

/// Why a round stopped.
enum Stop {
    /// Evidence against the board, written to this file.
    Evidence(PathBuf, String),
    /// The monitor could not run.
    Error(String),
}

impl<E: std::fmt::Display> From<E> for Stop {
    fn from(error: E) -> Self {
        Stop::Error(error.to_string())
    }
}

/// Runs `saylau board monitor`.
pub fn run(args: MonitorArgs) -> i32 {
    match monitor(&args) {
        Ok(()) => 0,
        Err(Stop::Evidence(path, what)) => {
            eprintln!(
                "saylau board monitor: {what}; evidence in {}",
                path.display()
            );
            1
        }
        Err(Stop::Error(error)) => {
            eprintln!("saylau board monitor: {error}");
            2
        }
    }
}

fn monitor(args: &MonitorArgs) -> Result<(), Stop> {
    std::fs::create_dir_all(&args.state)
        .map_err(|e| format!("--state {}: {e}", args.state.display()))?;
    let saved = read_state(&args.state)?;
    let expected = match (&args.election, &saved) {
        (Some(hex), _) => Some(parse_hash(hex).map_err(|e| format!("--election: {e}"))?),
        (None, Some(state)) => {
            Some(parse_hash(&state.election).map_err(|e| format!("state: {e}"))?)
        }
        (None, None) => None,
    };
    let board = Board::new(&args.url, None)?;
    let election = TrustedElection::fetch(&board, expected.as_ref())?;
    let f = *election.fingerprint();
    let mut state = match saved {
        Some(state) => {
            if parse_hash(&state.election)? != f {
                return Err(Stop::Error(format!(
                    "{} is the state of election {}, not of {}",
                    args.state.join(STATE_FILE).display(),
                    state.election,
                    hex::encode(f)
                )));
            }
            state
        }
        None => State {
            version: 1,
            election: hex::encode(f),
            checkpoint: String::new(),
            position: 0,
            tracking_code: hex::encode(f),
        },
    };
    let listed = listed_credentials(&board, &election, &args.state)?;
    let progress = progress::terminal(!args.quiet);
    loop {
        let verified = round(
            &board,
            &election,
            &listed,
            &args.state,
            &mut state,
            &progress,
        )?;
        if args.once {
            println!(
                "monitor: checkpoint of size {} verified; {verified} new ballots verified, {} in all",
                checkpoint_size(&state),
                state.position
            );
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(args.interval_ms));
    }
}

/// One round: the checkpoint, then the ballots; returns how many ballots it verified.
fn round(
    board: &Board,
    election: &TrustedElection,
    listed: &HashSet<[u8; 32]>,
    dir: &Path,
    state: &mut State,
    progress: &saylau::progress::Progress,
) -> Result<u64, Stop> {
    let f = *election.fingerprint();
    let log_key = *election.info.log_key.verifying_key();
    let text = board.latest_checkpoint()?;
    let new = open_checkpoint(&text, &f, &log_key)
        .map_err(|e| format!("the board's latest checkpoint: {e}"))?;
    if !state.checkpoint.is_empty() {
        let old = open_checkpoint(&state.checkpoint, &f, &log_key).map_err(|e| {
            format!(
                "{}: the saved checkpoint: {e}",
                dir.join(STATE_FILE).display()
            )
        })?;
        check_extends(board, dir, state, &old, &new, &text)?;
    }
    state.checkpoint = text;
    save_state(dir, state)?;
    let verified = ballots(board, election, listed, dir, state, progress)?;
    Ok(verified)
}

/// Checks that `new` extends `old`; writes the evidence otherwise.
fn check_extends(
    board: &Board,
    dir: &Path,
    state: &State,
    old: &SignedCheckpoint,
    new: &SignedCheckpoint,
    new_text: &str,
) -> Result<(), Stop> {
    let (old_c, new_c) = (old.checkpoint(), new.checkpoint());
    let (problem, proof) = if new_c.size() < old_c.size() {
        (
            format!(
                "the board's latest checkpoint (size {}) is smaller than one it signed before (size {})",
                new_c.size(),
                old_c.size()
            ),
            String::new(),
        )
    } else if new_c.size() == old_c.size() {
        if new_c.root() == old_c.root() {
            return Ok(());
        }
        (
            format!(
                "two signed checkpoints of size {} with different roots",
                new_c.size()
            ),
            String::new(),
        )
    } else {
        let answer = board.consistency(old_c.size(), new_c.size())?;
        let proof: String = answer
            .consistency
            .iter()
            .map(|h| format!("{}\n", hex::encode(h.0)))
            .collect();
        match check_consistency(old_c, new_c, &answer.consistency) {
            Ok(()) => return Ok(()),
            Err(e) => (e.to_string(), proof),
        }
    };
    let body = format!(
        "saylau board monitor: inconsistent log\n{problem}\n\n\
         -- the checkpoint verified before --\n{}\n\
         -- the board's latest checkpoint --\n{new_text}\n\
         -- the consistency proof from size {} to size {} (hex, one hash a line) --\n{proof}",
        state.checkpoint,
        old_c.size(),
        new_c.size()
    );
    let path = write_evidence(dir, &body)?;
    Err(Stop::Evidence(path, problem))
}

/// Fetches and verifies the ballot lines after the saved position, page by page; returns how
/// many it verified.
fn ballots(
    board: &Board,
    election: &TrustedElection,
    listed: &HashSet<[u8; 32]>,
    dir: &Path,
    state: &mut State,
    progress: &saylau::progress::Progress,
) -> Result<u64, Stop> {
    let f = *election.fingerprint();
    let key = election.ceremony.joint_key;
    let mut previous = parse_hash(&state.tracking_code)?;
    let mut verified = 0;
    let started = Instant::now();
    progress.start("verifying ballots", None);
    loop {
        let page = board.ballot_lines(state.position, PAGE)?;
        let lines: Vec<&[u8]> = page
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .collect();
        if lines.is_empty() {
            break;
        }
        for group in lines.chunks(GROUP) {
            let first = state.position + 1;
            if let Some((offset, reason)) =
                check_group(group, first, &mut previous, &f, election, listed, &key)
            {
                progress.finish();
                let position = first + offset as u64;
                let line = group[offset];
                let hash = decode_ballot_line(position, line)
                    .map(|entry| hex::encode(entry.ballot_hash))
                    .unwrap_or_else(|_| "(the line does not decode)".into());
                let what = format!("invalid ballot {hash} at position {position}: {reason}");
                let body = format!(
                    "saylau board monitor: invalid ballot\nballot hash: {hash}\nposition: {position}\nreason: {reason}\n\n\
                     -- the ballots.jsonl line --\n{}\n",
                    String::from_utf8_lossy(line)
                );
                let path = write_evidence(dir, &body)?;
                return Err(Stop::Evidence(path, what));
            }
            state.position += group.len() as u64;
            state.tracking_code = hex::encode(previous);
            verified += group.len() as u64;
            progress.advance(group.len() as u64);
            save_state(dir, state)?;
        }
        if (lines.len() as u64) < PAGE {
            break;
        }
    }
    progress.finish();
    if verified > 0 {
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        eprintln!(
            "monitor: {verified} ballots verified ({:.0} ballots/s)",
            verified as f64 / seconds
        );
    }
    Ok(verified)
}

/// Checks one group of ballot lines (the first at position `first`): each decodes strictly,
/// its ballot hash is its body's, its tracking code links to the previous line's, and every
/// proof and signature holds, the proofs of the group in one batch equation (culprits verified
/// alone). Returns the first failing line's offset in the group and why.
fn check_group(
    group: &[&[u8]],
    first: u64,
    previous: &mut Hash,
    f: &Hash,
    election: &TrustedElection,
    listed: &HashSet<[u8; 32]>,
    key: &saylau::crypto::elgamal::PublicKey,
) -> Option<(usize, String)> {
    let manifest = &election.manifest;
    let mut batch = EquationBatch::with_capacity(Some(*key.element()), group.len() * 104);
    let mut entries = Vec::with_capacity(group.len());
    let mut items = Vec::with_capacity(group.len());
    let mut buffer = Vec::new();
    for (offset, line) in group.iter().enumerate() {
        let entry = match decode_ballot_line(first + offset as u64, line) {
            Ok(entry) => entry,
            Err(e) => return Some((offset, e.to_string())),
        };
        let body_hash = entry.ballot.body.hash_with(&mut buffer);
        if body_hash != entry.ballot_hash {
            return Some((
                offset,
                "ballot_hash is not the hash of the ballot body".into(),
            ));
        }
        let code = tracking_code(previous, &body_hash, &entry.ballot.signature);
        if code != entry.tracking_code {
            return Some((
                offset,
                "tracking code is not H(previous code, ballot hash, signature): a ballot was changed, removed or reordered".into(),
            ));
        }
        *previous = code;
        let credential = entry.ballot.body.credential.as_bytes();
        if !listed.contains(credential) {
            return Some((
                offset,
                format!("credential {} is not listed", hex::encode(credential)),
            ));
        }
        match entry
            .ballot
            .equations(manifest, f, key, &body_hash, &mut batch)
        {
            Ok(()) => {
                batch.finish_item();
                items.push(offset);
            }
            Err(e) => return Some((offset, e.to_string())),
        }
        entries.push((entry, body_hash));
    }
    if items.is_empty() || batch.holds() {
        return None;
    }
    let failing = batch.failing_items();
    let suspects: Vec<usize> = if failing.is_empty() {
        items.clone()
    } else {
        failing
            .iter()
            .filter_map(|&i| items.get(i).copied())
            .collect()
    };
    for offset in suspects {
        let (entry, body_hash) = &entries[offset];
        let alone = entry.ballot.verify_each(manifest, f, key, body_hash);
        match alone {
            Err(e) => return Some((offset, e.to_string())),
            // Each proof holds alone while the group said otherwise (probability ≤ 2^-128):
            // fail closed.
            Ok(()) if !failing.is_empty() => {
                return Some((
                    offset,
                    BallotError::Equations(ProofError::EquationsFail).to_string(),
                ))
            }
            Ok(()) => {}
        }
    }
    None
}

/// The encodings of `credentials.json`, fetched from the board into `DIR/credentials.json` and
/// accepted only if its hash is the one `F` binds.
fn listed_credentials(
    board: &Board,
    election: &TrustedElection,
    dir: &Path,
) -> Result<HashSet<[u8; 32]>, String> {
    let bytes = board
        .election_file(record::CREDENTIALS)
        .map_err(|e| e.to_string())?;
    let path = dir.join(record::CREDENTIALS);
    std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let (encodings, hash) = record::read_credential_encodings(dir).map_err(|e| e.to_string())?;
    if hash != election.info.credentials_hash {
        return Err(format!(
            "the board's {} is not the credential list election.json binds (its hash differs)",
            record::CREDENTIALS
        ));
    }
    Ok(encodings.into_iter().collect())
}

fn checkpoint_size(state: &State) -> u64 {
    state
        .checkpoint
        .lines()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn parse_hash(text: &str) -> Result<Hash, String> {
    let bytes = hex::decode(text).map_err(|_| format!("{text:?} is not hex"))?;
    bytes
        .try_into()
        .map_err(|_| format!("{text:?} is not 64 hex digits"))
}

fn read_state(dir: &Path) -> Result<Option<State>, String> {
    let path = dir.join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes the state to a temporary file, flushes it, and renames it into place.
fn save_state(dir: &Path, state: &State) -> Result<(), String> {
    let path = dir.join(STATE_FILE);
    let temporary = dir.join(".state.json.tmp");
    let bytes = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&bytes)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)?;
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `DIR/evidence-<n>.txt` with the first `n` not taken; returns its path.
fn write_evidence(dir: &Path, body: &str) -> Result<PathBuf, String> {
    for n in 1.. {
        let path = dir.join(format!("evidence-{n}.txt"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(body.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    unreachable!("an unbounded range")
}
