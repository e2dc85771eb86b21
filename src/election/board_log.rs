//! The in-process board's log (spec `board.md` §7, `record.md` §7): the 129-byte leaves of every
//! cast and challenged ballot, appended to `log/leaves`, the Merkle tree over them, and the
//! checkpoints it signs into `log/checkpoints.jsonl`. The networked board keeps the same log in
//! a database (`crates/board`); both export the same files.

use super::leaf::Leaf;
use crate::crypto::digest::Hash;
use crate::log::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
use crate::log::note::{Note, SignerKey};
use crate::log::tree::{prove_record, TreeBuilder};
use crate::record::{LinesWriter, Record, RecordError, LOG_CHECKPOINTS, LOG_DIR, LOG_LEAVES};
use crate::tally::ClosingCheckpoint;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;

/// The in-process board signs a checkpoint each time the log reaches a multiple of this size,
/// and one of the whole log when it syncs (spec `board.md` §7.6). Fixed sizes, not a clock, so
/// a seeded demo writes the same record byte for byte.
pub const CHECKPOINT_EVERY: u64 = 256;

/// One line of `log/checkpoints.jsonl` (spec `record.md` §7.2): a signed checkpoint and its
/// size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointLine {
    /// The checkpoint's tree size, as its body states it.
    pub size: u64,
    /// The signed note text of the checkpoint (`log.md` §5.2).
    pub checkpoint: String,
}

/// The log's origin line, `<host>/saylau/<hex F>` (spec `board.md` §7.6).
pub fn log_origin(host: &str, fingerprint: &Hash) -> String {
    format!("{host}/saylau/{}", hex::encode(fingerprint))
}

/// Checks that `origin` is `<host>/saylau/<hex F>` for this election, with a host that is
/// non-empty and holds no `/`, white space or control character (spec `board.md` §7.6).
pub fn check_log_origin(origin: &str, fingerprint: &Hash) -> Result<(), String> {
    let suffix = format!("/saylau/{}", hex::encode(fingerprint));
    let Some(host) = origin.strip_suffix(&suffix) else {
        return Err(format!(
            "origin {origin:?} is not <host>{suffix} (another election, or not a saylau log)"
        ));
    };
    if host.is_empty()
        || host
            .chars()
            .any(|c| c == '/' || c == '+' || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "origin {origin:?}: the host {host:?} must be non-empty, without '/', '+' or white space"
        ));
    }
    Ok(())
}

/// Why the board's log could not be written or resumed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Reading or writing `log/`.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Signing a checkpoint failed.
    #[error("signing a checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The log signing key's name is not this election's origin.
    #[error("the log signing key: {0}")]
    Origin(String),
    /// The files of a board being resumed do not agree with each other.
    #[error("{file}: {reason}")]
    Resume {
        /// The file.
        file: &'static str,
        /// What does not agree.
        reason: String,
    },
}

/// The closing checkpoint of a record's log (spec `record.md` §5.4): the last line of
/// `log/checkpoints.jsonl`, which must cover every leaf of `log/leaves`, the last of them the
/// close leaf. Its signature is not checked here (the verifier's checks 17 and 19 do); this is
/// what whoever takes the tally names in `tally.json`.
pub fn closing_checkpoint(record: &Record) -> Result<ClosingCheckpoint, LogError> {
    let resume = |file: &'static str, reason: String| LogError::Resume { file, reason };
    let leaves = fs::read(record.path(LOG_LEAVES)).map_err(|e| RecordError::io(LOG_LEAVES, e))?;
    let size = (leaves.len() / super::leaf::LEAF_SIZE) as u64;
    let last = leaves
        .len()
        .checked_sub(super::leaf::LEAF_SIZE)
        .filter(|_| leaves.len() % super::leaf::LEAF_SIZE == 0)
        .and_then(|start| Leaf::decode(&leaves[start..]).ok());
    if last.map(|leaf| leaf.kind()) != Some(super::leaf::LeafKind::Close) {
        return Err(resume(
            LOG_LEAVES,
            "the log does not end with the close leaf: voting was not closed".into(),
        ));
    }
    let mut latest = None;
    if let Some(mut reader) = record.lines(LOG_CHECKPOINTS, true)? {
        while let Some((_, line)) = reader.next_json::<CheckpointLine>()? {
            latest = Some(line);
        }
    }
    let line = latest.ok_or_else(|| resume(LOG_CHECKPOINTS, "no checkpoint is signed".into()))?;
    let checkpoint = Note::parse(line.checkpoint.as_bytes())
        .map_err(|e| e.to_string())
        .and_then(|note| Checkpoint::parse(note.text()).map_err(|e| e.to_string()))
        .map_err(|e| resume(LOG_CHECKPOINTS, format!("the last line: {e}")))?;
    if checkpoint.size() != size {
        return Err(resume(
            LOG_CHECKPOINTS,
            format!(
                "the last checkpoint covers {} leaves, the log holds {size}: the closing checkpoint is not signed yet",
                checkpoint.size()
            ),
        ));
    }
    Ok(ClosingCheckpoint {
        size,
        root: *checkpoint.root(),
    })
}

/// The board's log: leaves on disk, the tree in memory, and the checkpoints signed so far.
pub(crate) struct BoardLog {
    leaves: fs::File,
    checkpoints: LinesWriter,
    builder: TreeBuilder,
    stored: Vec<Hash>,
    signer: SignerKey,
    latest: Option<(u64, String)>,
}

impl BoardLog {
    /// Opens the log of a record for appending, resuming after the leaves already in
    /// `log/leaves`. Returns the log and the leaves it holds.
    pub(crate) fn open(
        record: &Record,
        fingerprint: &Hash,
        signer: SignerKey,
    ) -> Result<(Self, Vec<Leaf>), LogError> {
        check_log_origin(signer.name(), fingerprint).map_err(LogError::Origin)?;
        let dir = record.path(LOG_DIR);
        fs::create_dir_all(&dir).map_err(|e| RecordError::io(LOG_DIR, e))?;
        let existing = match fs::read(record.path(LOG_LEAVES)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(RecordError::io(LOG_LEAVES, e).into()),
        };
        if existing.len() % super::leaf::LEAF_SIZE != 0 {
            return Err(LogError::Resume {
                file: LOG_LEAVES,
                reason: format!(
                    "{} bytes is not a whole number of {}-byte leaves",
                    existing.len(),
                    super::leaf::LEAF_SIZE
                ),
            });
        }
        let mut builder = TreeBuilder::new();
        let mut stored = Vec::new();
        let mut leaves = Vec::new();
        for (index, bytes) in existing.chunks(super::leaf::LEAF_SIZE).enumerate() {
            let leaf = Leaf::decode(bytes).map_err(|e| LogError::Resume {
                file: LOG_LEAVES,
                reason: format!("leaf {index}: {e}"),
            })?;
            builder
                .push_stored(leaf.hash(), &mut stored)
                .map_err(|e| LogError::Resume {
                    file: LOG_LEAVES,
                    reason: e.to_string(),
                })?;
            leaves.push(leaf);
        }
        let mut latest = None;
        if let Some(mut reader) = record.lines(LOG_CHECKPOINTS, true)? {
            while let Some((_, line)) = reader.next_json::<CheckpointLine>()? {
                latest = Some((line.size, line.checkpoint));
            }
        }
        if let Some((size, _)) = latest.as_ref().filter(|(size, _)| *size > builder.size()) {
            return Err(LogError::Resume {
                file: LOG_CHECKPOINTS,
                reason: format!(
                    "a checkpoint of size {size} was signed, but log/leaves holds {} leaves",
                    builder.size()
                ),
            });
        }
        let leaves_file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(record.path(LOG_LEAVES))
            .map_err(|e| RecordError::io(LOG_LEAVES, e))?;
        let log = Self {
            leaves: leaves_file,
            checkpoints: record.appender(LOG_CHECKPOINTS)?,
            builder,
            stored,
            signer,
            latest,
        };
        Ok((log, leaves))
    }

    /// The number of leaves.
    pub(crate) fn size(&self) -> u64 {
        self.builder.size()
    }

    /// Appends a leaf and returns its index; signs a checkpoint when the log reaches a multiple
    /// of [`CHECKPOINT_EVERY`].
    pub(crate) fn append(&mut self, leaf: &Leaf, sync: bool) -> Result<u64, LogError> {
        let index = self.builder.size();
        self.leaves
            .write_all(&leaf.to_bytes())
            .map_err(|e| RecordError::io(LOG_LEAVES, e))?;
        if sync {
            self.leaves
                .sync_data()
                .map_err(|e| RecordError::io(LOG_LEAVES, e))?;
        }
        self.builder
            .push_stored(leaf.hash(), &mut self.stored)
            .map_err(|e| LogError::Resume {
                file: LOG_LEAVES,
                reason: e.to_string(),
            })?;
        if self.builder.size() % CHECKPOINT_EVERY == 0 {
            self.checkpoint(sync)?;
        }
        Ok(index)
    }

    /// Signs a checkpoint of the whole log, unless one of this size is already signed, and
    /// appends it to `log/checkpoints.jsonl`. Returns the signed checkpoint's note text.
    pub(crate) fn checkpoint(&mut self, sync: bool) -> Result<Option<String>, LogError> {
        let size = self.builder.size();
        if self
            .latest
            .as_ref()
            .is_some_and(|(signed, _)| *signed == size)
        {
            return Ok(None);
        }
        let body = Checkpoint::new(self.signer.name(), size, self.builder.root(), Vec::new())?;
        let text = SignedCheckpoint::sign(body, &self.signer)?.to_string();
        // The leaves a checkpoint covers reach the disk before the checkpoint does.
        if sync {
            self.leaves
                .sync_data()
                .map_err(|e| RecordError::io(LOG_LEAVES, e))?;
        }
        self.checkpoints.push(
            &CheckpointLine {
                size,
                checkpoint: text.clone(),
            },
            sync,
        )?;
        self.latest = Some((size, text.clone()));
        Ok(Some(text))
    }

    /// The latest signed checkpoint: its size and note text.
    pub(crate) fn latest(&self) -> Option<(u64, &str)> {
        self.latest
            .as_ref()
            .map(|(size, text)| (*size, text.as_str()))
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (`log.md` §2.4).
    pub(crate) fn inclusion(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if size > self.builder.size() {
            return None;
        }
        prove_record(size, index, self.stored.as_slice()).ok()
    }

    /// Waits until every leaf and checkpoint is on disk.
    pub(crate) fn sync(&mut self) -> Result<(), RecordError> {
        self.leaves
            .sync_data()
            .map_err(|e| RecordError::io(LOG_LEAVES, e))?;
        self.checkpoints.sync()
    }
}
