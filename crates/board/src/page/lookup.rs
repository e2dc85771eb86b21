//! What the receipt page says about a tracking code, computed from a [`Store`] and the record
//! folder only, so the same code serves the board's page and an observer's copy of it
//! (board.md §10.3).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use saylau::election::{
    check_log_origin, Election, LeafKind, ShortCode, ShortCodeError, TrackingCodeInput,
};
use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::note::{Note, VerifierKey};
use saylau::log::tree::Hash;
use saylau::record::ChallengedLine;
use saylau::tally::results::Results;
use thiserror::Error;

use crate::store::{BallotRow, Store, StoreError};

/// The name of the results file the board keeps once they are published (board.md §10.3).
pub const RESULTS_FILE: &str = "results.json";

/// Why the page could not answer (the board's fault, never the voter's).
#[derive(Debug, Error)]
pub enum PageError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No read connection.
    #[error("{0}")]
    Unavailable(String),
    /// A stored checkpoint does not verify.
    #[error("stored checkpoint of size {size}: {reason}")]
    Checkpoint {
        /// Its size.
        size: u64,
        /// What is wrong.
        reason: String,
    },
    /// A stored ballot line or the results file does not decode.
    #[error("{what}: {reason}")]
    Decode {
        /// The line or file.
        what: String,
        /// What is wrong.
        reason: String,
    },
}

/// What the page reads besides the store: the election and the record folder.
#[derive(Clone, Copy, Debug)]
pub struct PageContext<'a> {
    /// The election (manifest, `election.json`).
    pub election: &'a Election,
    /// The folder that holds `election.json`, and `results.json` once published.
    pub record_dir: &'a Path,
}

/// The last position of each credential among cast ballots, caught up from the log's leaves
/// (129 bytes each, board.md §7.1) on each use: whether a later ballot replaced a voter's
/// (board.md §1.3).
#[derive(Debug, Default)]
pub struct Revotes(Mutex<RevoteState>);

#[derive(Debug, Default)]
struct RevoteState {
    /// The next leaf index to read.
    next_leaf: u64,
    /// Cast leaves read so far: the last one's position.
    cast: u64,
    last: HashMap<[u8; 32], u64>,
}

/// Leaves read per store call while catching up.
const LEAVES_PER_READ: usize = 4096;

impl Revotes {
    /// The position of the last cast ballot of `credential`, if it is after `position`.
    pub fn later(
        &self,
        store: &dyn Store,
        credential: &[u8; 32],
        position: u64,
    ) -> Result<Option<u64>, StoreError> {
        let mut state = match self.0.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        loop {
            let leaves = store.leaves(state.next_leaf, LEAVES_PER_READ)?;
            for leaf in &leaves {
                if leaf.kind() == LeafKind::Cast {
                    state.cast += 1;
                    let cast = state.cast;
                    state.last.insert(*leaf.credential(), cast);
                }
            }
            state.next_leaf += leaves.len() as u64;
            if leaves.len() < LEAVES_PER_READ {
                break;
            }
        }
        Ok(state
            .last
            .get(credential)
            .copied()
            .filter(|&p| p > position))
    }
}

/// Whether a cast ballot is in a checkpoint that meets the witness policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// In the signed checkpoint of this size, cosigned by these witnesses (none when the
    /// policy's quorum is 0).
    InCheckpoint {
        /// The checkpoint's tree size.
        size: u64,
        /// The witnesses whose cosignatures verified, by key name.
        cosigners: Vec<String>,
        /// How many the policy requires.
        quorum: u64,
        /// How many the policy lists.
        witnesses: usize,
    },
    /// Not yet in a checkpoint with enough cosignatures.
    Pending,
}

/// A cast ballot, as the page shows it.
#[derive(Clone, Debug)]
pub struct CastView {
    /// Its position among cast ballots.
    pub position: u64,
    /// Its tracking code.
    pub tracking_code: Hash,
    /// Whether it is in a (cosigned) checkpoint.
    pub proof: Proof,
    /// The position of a later ballot with the same credential.
    pub replaced_by: Option<u64>,
    /// Whether the results are published (the ballot counted unless replaced).
    pub published: bool,
}

/// One contest of a challenged ballot: its title and each option the device encrypted a
/// non-zero value for.
#[derive(Clone, Debug)]
pub struct OpenedContest {
    /// The contest's title in the page's language.
    pub title: String,
    /// Each chosen option's label and value.
    pub chosen: Vec<(String, u64)>,
}

/// What a code found.
#[derive(Clone, Debug)]
pub enum Found {
    /// A cast ballot.
    Cast(CastView),
    /// A challenged ballot (found by its ballot hash) and what the device encrypted.
    Challenged(Vec<OpenedContest>),
}

/// The answer to a typed code.
#[derive(Clone, Debug)]
pub enum Lookup {
    /// Not a tracking code.
    BadCode(ShortCodeError),
    /// No ballot has it; the code as the page shows it back.
    NotFound(String),
    /// One ballot, or two when two codes share the short form.
    Found(Vec<Found>),
}

/// Answers a typed code (board.md §10.3): a short code is looked up by its 80 bits, a long one as
/// a tracking code and then as a challenged ballot's hash. `language` labels a challenged
/// ballot's choices.
pub fn lookup(
    context: PageContext<'_>,
    store: &dyn Store,
    revotes: &Revotes,
    typed: &str,
    language: &str,
) -> Result<Lookup, PageError> {
    let input = match TrackingCodeInput::parse(typed) {
        Ok(input) => input,
        Err(e) => return Ok(Lookup::BadCode(e)),
    };
    let rows: Vec<BallotRow> = match input {
        TrackingCodeInput::Short(short) => store.ballots_by_code_prefix(short.bytes(), 2)?,
        TrackingCodeInput::Full(code) => match store.ballot_by_tracking_code(&code)? {
            Some(row) => vec![row],
            None => store
                .ballot_by_hash(&code)?
                .filter(|row| row.position.is_none())
                .into_iter()
                .collect(),
        },
    };
    if rows.is_empty() {
        let shown = match input {
            TrackingCodeInput::Short(short) => short.to_string(),
            TrackingCodeInput::Full(code) => hex::encode(code),
        };
        return Ok(Lookup::NotFound(shown));
    }
    let published = results(context)?.is_some();
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        found.push(match (row.position, row.tracking_code) {
            (Some(position), Some(tracking_code)) => Found::Cast(CastView {
                position,
                tracking_code,
                proof: proof(context, store, row.leaf_index)?,
                replaced_by: revotes.later(store, &row.credential, position)?,
                published,
            }),
            _ => Found::Challenged(opened(context, &row, language)?),
        });
    }
    Ok(Lookup::Found(found))
}

/// Checkpoints looked at, after the latest, for one that meets the policy.
const CHECKPOINTS_SCANNED: usize = 100;

/// Whether the leaf is in a signed checkpoint that meets the witness policy: the latest, or
/// failing that one of the first checkpoints that contain the leaf.
pub fn proof(
    context: PageContext<'_>,
    store: &dyn Store,
    leaf_index: u64,
) -> Result<Proof, PageError> {
    let Some(latest) = store.latest_checkpoint()? else {
        return Ok(Proof::Pending);
    };
    if latest.size <= leaf_index {
        return Ok(Proof::Pending);
    }
    if let Some(proof) = checkpoint_proof(context, latest.size, &latest.text)? {
        return Ok(proof);
    }
    for stored in store.checkpoints_after(leaf_index, CHECKPOINTS_SCANNED)? {
        if let Some(proof) = checkpoint_proof(context, stored.size, &stored.text)? {
            return Ok(proof);
        }
    }
    Ok(Proof::Pending)
}

/// Opens a stored checkpoint under the log key (its origin must be this election's) and counts
/// the witnesses of `election.json`'s policy whose cosignatures (tlog-cosignature v1) verify;
/// `Some` when they meet the quorum. A listed witness's bad cosignature is an error; signatures
/// by keys the policy does not list are ignored.
pub fn checkpoint_proof(
    context: PageContext<'_>,
    size: u64,
    text: &str,
) -> Result<Option<Proof>, PageError> {
    let bad = |reason: String| PageError::Checkpoint { size, reason };
    let info = &context.election.info;
    let note = Note::parse(text.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let origin = note.text().lines().next().unwrap_or_default().to_string();
    check_log_origin(&origin, &info.fingerprint).map_err(bad)?;
    let log_key = info
        .log_key
        .verifier(&origin)
        .map_err(|e| bad(e.to_string()))?;
    let signed = SignedCheckpoint::open(text.as_bytes(), &log_key, &origin)
        .map_err(|e| bad(e.to_string()))?;
    if signed.checkpoint().size() != size {
        return Err(bad(format!(
            "its text says size {}",
            signed.checkpoint().size()
        )));
    }
    let policy = &info.witness_policy;
    let keys: Vec<VerifierKey> = policy.witnesses.iter().map(|w| w.vkey.clone()).collect();
    let mut cosigners: Vec<String> = signed
        .verify_cosignatures(&keys)
        .map_err(|e| bad(e.to_string()))?
        .into_iter()
        .filter(|s| s.timestamp.is_some())
        .map(|s| s.name)
        .collect();
    cosigners.sort();
    cosigners.dedup();
    if (cosigners.len() as u64) < policy.quorum {
        return Ok(None);
    }
    Ok(Some(Proof::InCheckpoint {
        size,
        cosigners,
        quorum: policy.quorum,
        witnesses: policy.witnesses.len(),
    }))
}

/// What the device encrypted in a challenged ballot, labelled in `language`.
fn opened(
    context: PageContext<'_>,
    row: &BallotRow,
    language: &str,
) -> Result<Vec<OpenedContest>, PageError> {
    let line: ChallengedLine =
        serde_json::from_slice(&row.line).map_err(|e| PageError::Decode {
            what: format!("challenged ballot {}", hex::encode(row.ballot_hash)),
            reason: e.to_string(),
        })?;
    let manifest = &context.election.manifest;
    Ok(manifest
        .contests
        .iter()
        .zip(&line.challenged.plaintexts)
        .map(|(contest, values)| OpenedContest {
            title: manifest
                .label_in(&contest.title, Some(language))
                .to_string(),
            chosen: contest
                .options
                .iter()
                .zip(values)
                .filter(|(_, &v)| v > 0)
                .map(|(o, &v)| (manifest.label_in(&o.label, Some(language)).to_string(), v))
                .collect(),
        })
        .collect())
}

/// The published results, if `results.json` is in the record folder (board.md §10.3).
pub fn results(context: PageContext<'_>) -> Result<Option<Results>, PageError> {
    let path = context.record_dir.join(RESULTS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::Io { path, source: e }.into());
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| PageError::Decode {
            what: path.display().to_string(),
            reason: e.to_string(),
        })
}

/// A page of the list: each cast ballot's position and short code, after `after`.
pub fn codes(
    store: &dyn Store,
    after: u64,
    limit: usize,
) -> Result<Vec<(u64, ShortCode)>, StoreError> {
    Ok(store
        .ballots_after(after, limit)?
        .into_iter()
        .filter_map(|r| Some((r.position?, ShortCode::of(&r.tracking_code?))))
        .collect())
}
