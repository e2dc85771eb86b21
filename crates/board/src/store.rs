//! What the board keeps on disk, said without naming a database: the [`Store`] trait, the rows
//! it reads and writes, and its errors. [`sqlite::SqliteStore`] and
//! [`postgres::PostgresStore`] implement it.
//!
//! Spec: `protocol-spec/board.md` §7 (the log), `log.md` §2.3 (stored hashes).

pub mod postgres;
pub mod sqlite;

use std::path::PathBuf;

use saylau::election::{Leaf, LeafError};
use saylau::log::note::Note;
use saylau::log::tree::{Hash, HashReader};
use thiserror::Error;

/// The single row that says how far the log goes; the sequencer extends it group by group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// Number of leaves in the log (the tree size).
    pub size: u64,
    /// Number of cast ballots: the position of the last one (board.md §3.1).
    pub cast: u64,
    /// Tracking code of the last cast ballot; `None` on a board with no cast ballot, where the
    /// chain starts from the election fingerprint (board.md §2).
    pub last_tracking_code: Option<Hash>,
    /// Index of the close leaf, once voting is closed.
    pub closed_at: Option<u64>,
}

/// A ballot as the board publishes it: one line of `ballots.jsonl` or `challenged.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BallotRow {
    /// The ballot hash `h` (board.md §1.2).
    pub ballot_hash: Hash,
    /// The credential encoding.
    pub credential: [u8; 32],
    /// The index of its leaf in the log.
    pub leaf_index: u64,
    /// Its 1-based position among cast ballots; `None` for a challenged ballot.
    pub position: Option<u64>,
    /// Its tracking code; `None` for a challenged ballot.
    pub tracking_code: Option<Hash>,
    /// The exact JSON line as exported, ending with `\n`.
    pub line: Vec<u8>,
}

/// One leaf to append, and the ballot it records (none for a close leaf).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLeaf {
    /// The leaf.
    pub leaf: Leaf,
    /// The ballot row, whose `leaf_index` must be the leaf's index.
    pub ballot: Option<BallotRow>,
}

/// A group of leaves appended in one transaction, with the stored hashes they add and the head
/// after them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The leaves, at indexes `expected_size ..`.
    pub leaves: Vec<NewLeaf>,
    /// The stored hashes the leaves add (log.md §2.3), in stored-hash order from
    /// `stored_hash_count(expected_size)` on.
    pub hashes: Vec<Hash>,
    /// The head after the group; its `size` is `expected_size + leaves.len()`.
    pub head: Head,
}

/// A signed checkpoint as stored: its tree size and its signed-note text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree size it commits to.
    pub size: u64,
    /// The signed note (log.md §5.2).
    pub text: String,
}

/// Why the store refused or failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The head was not at the expected size: another writer extended the log, and appending
    /// would fork it. Nothing was written.
    #[error("log head is at size {found}, not the expected {expected}: another writer appended; nothing was written")]
    Conflict {
        /// The size the writer expected.
        expected: u64,
        /// The size the store holds.
        found: u64,
    },
    /// Another board holds the lock file of this database.
    #[error("another board holds the lock file {path}: refusing to start a second writer on the same log")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// Another board holds the advisory lock of this PostgreSQL database.
    #[error("another board holds the advisory lock of database {database}: refusing to start a second writer on the same log")]
    DatabaseLocked {
        /// The database (server and name; never a password).
        database: String,
    },
    /// A checkpoint smaller than the latest stored one, or a different one of the same size.
    #[error("refusing checkpoint of size {offered}: the latest stored checkpoint has size {latest}{}", if *same_size { " and different text" } else { "" })]
    CheckpointRollback {
        /// The latest stored size.
        latest: u64,
        /// The size offered.
        offered: u64,
        /// True when the sizes are equal but the texts differ.
        same_size: bool,
    },
    /// A batch that does not fit the head it is appended to.
    #[error("malformed batch at size {size}: {reason}")]
    BadBatch {
        /// The expected size.
        size: u64,
        /// What is wrong.
        reason: String,
    },
    /// Stored data that does not decode or is missing.
    #[error("corrupt store: {table} row {index}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row's index (leaf, stored hash, position).
        index: u64,
        /// What is wrong.
        reason: String,
    },
    /// A stored leaf that does not decode.
    #[error("corrupt store: leaf {index}: {source}")]
    BadLeaf {
        /// The leaf index.
        index: u64,
        /// The decoder's reason.
        #[source]
        source: LeafError,
    },
    /// The database's settings are not the durable ones this store requires.
    #[error("database {path}: {setting} is {found}, need {expected}")]
    Setting {
        /// The database file.
        path: PathBuf,
        /// The pragma.
        setting: &'static str,
        /// What it is.
        found: String,
        /// What it must be.
        expected: &'static str,
    },
    /// The database's schema is newer than this program.
    #[error("database {path} has schema version {found}; this program knows up to {known}")]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest version this program knows.
        known: i64,
    },
    /// A file-system error on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Cosignatures that are not an extension of the stored checkpoint: another body, another
    /// log signature, or a signature of the stored note missing.
    #[error("refusing cosignatures for checkpoint {size}: {reason}")]
    NotMoreSignatures {
        /// The checkpoint's size.
        size: u64,
        /// What differs.
        reason: String,
    },
    /// A checkpoint for a tree larger than the stored log.
    #[error("refusing checkpoint of size {size}: the stored log has only {log_size} leaves")]
    CheckpointBeyondLog {
        /// The size offered.
        size: u64,
        /// The stored tree size.
        log_size: u64,
    },
    /// The database failed.
    #[error("database {database}: {source}")]
    Backend {
        /// Which database (a file path, or a server and database name; never a password).
        database: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// The board's durable state: the log's leaves and stored hashes, the ballots' published lines,
/// the head, and every signed checkpoint.
///
/// Reads see committed data only. Writes are atomic: [`Store::append`] writes a whole group or
/// nothing, and returns only once the group is durable.
pub trait Store: HashReader<Error = StoreError> {
    /// The head (size 0 and nothing else on a new store).
    fn head(&self) -> Result<Head, StoreError>;

    /// Appends a group in one transaction, if and only if the log is still at `expected_size`
    /// ([`StoreError::Conflict`] otherwise, with nothing written). Returns once committed and
    /// durable.
    fn append(&mut self, expected_size: u64, batch: &Batch) -> Result<(), StoreError>;

    /// The leaf at `index`, if the log has it.
    fn leaf(&self, index: u64) -> Result<Option<Leaf>, StoreError>;

    /// The ballot (cast or challenged) with ballot hash `ballot_hash`.
    fn ballot_by_hash(&self, ballot_hash: &Hash) -> Result<Option<BallotRow>, StoreError>;

    /// The ballots (cast or challenged) with these hashes, those on the log only, in no
    /// particular order: the sequencer's dedup of a whole group in one call. The default asks
    /// [`Store::ballot_by_hash`] for each; a store across a network answers in one round trip.
    fn ballots_by_hashes(&self, ballot_hashes: &[Hash]) -> Result<Vec<BallotRow>, StoreError> {
        let mut found = Vec::new();
        for h in ballot_hashes {
            found.extend(self.ballot_by_hash(h)?);
        }
        Ok(found)
    }

    /// The cast ballot with tracking code `tracking_code`.
    fn ballot_by_tracking_code(
        &self,
        tracking_code: &Hash,
    ) -> Result<Option<BallotRow>, StoreError>;

    /// The cast ballot with tracking code `tracking_code`, with an empty `line`: what a receipt
    /// lookup needs, without reading the ballot's JSON (board.md §8.9). The default reads the
    /// whole row; a store should read only the small columns.
    fn receipt_row(&self, tracking_code: &Hash) -> Result<Option<BallotRow>, StoreError> {
        Ok(self.ballot_by_tracking_code(tracking_code)?.map(|mut row| {
            row.line = Vec::new();
            row
        }))
    }
    /// Up to `limit` cast ballots whose tracking code begins with `prefix` (at most 32 bytes),
    /// in tracking-code order: the lookup by short tracking code (board.md §2.1). Two rows mean
    /// two codes share the prefix. A range query on the tracking code's index, between
    /// [`prefix_range`]'s bounds.
    fn ballots_by_code_prefix(
        &self,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<BallotRow>, StoreError>;

    /// Up to `limit` cast ballots at positions after `position`, in order: a page of
    /// `ballots.jsonl`.
    fn ballots_after(&self, position: u64, limit: usize) -> Result<Vec<BallotRow>, StoreError>;

    /// The signed checkpoint with the largest size.
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// The signed checkpoint of tree size `size`.
    fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// Stores a signed checkpoint, durably. Refuses a size below the latest stored one, and a
    /// different text for the latest size ([`StoreError::CheckpointRollback`]); storing the
    /// latest one again is a no-op.
    fn store_checkpoint(&mut self, size: u64, text: &str) -> Result<(), StoreError>;

    /// Replaces the stored checkpoint of size `size` by `text`, the same note with more
    /// signatures (witnesses' cosignatures, board.md §9.3), durably. Refuses
    /// ([`StoreError::NotMoreSignatures`]) a note with another body or another first (log)
    /// signature, one that drops a stored signature, or a size with no checkpoint.
    fn add_cosignatures(&mut self, size: u64, text: &str) -> Result<(), StoreError>;

    /// Up to `limit` signed checkpoints of sizes above `size`, in increasing size. The default
    /// asks for each size in turn up to the latest; a store should answer with one query.
    fn checkpoints_after(
        &self,
        size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let mut out = Vec::new();
        let Some(latest) = self.latest_checkpoint()? else {
            return Ok(out);
        };
        let mut next = size.saturating_add(1);
        while next <= latest.size && out.len() < limit {
            if let Some(c) = self.checkpoint(next)? {
                out.push(c);
            }
            next += 1;
        }
        Ok(out)
    }

    /// The leaves at indexes `start ..` (at most `count`, fewer at the end of the log), in
    /// order. The default reads them one by one; a store should answer with one query.
    fn leaves(&self, start: u64, count: usize) -> Result<Vec<Leaf>, StoreError> {
        let mut out = Vec::with_capacity(count.min(1 << 16));
        for index in start..start.saturating_add(count as u64) {
            match self.leaf(index)? {
                Some(leaf) => out.push(leaf),
                None => break,
            }
        }
        Ok(out)
    }
}

/// The smallest and largest tracking codes that begin with `prefix` (its first 32 bytes):
/// the bounds, both included, of [`Store::ballots_by_code_prefix`]'s range query.
pub fn prefix_range(prefix: &[u8]) -> (Hash, Hash) {
    let n = prefix.len().min(32);
    let (mut low, mut high) = ([0u8; 32], [0xffu8; 32]);
    low[..n].copy_from_slice(&prefix[..n]);
    high[..n].copy_from_slice(&prefix[..n]);
    (low, high)
}

impl HashReader for Box<dyn Store + Send> {
    type Error = StoreError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        (**self).read_hashes(indexes)
    }
}

/// A store chosen at run time (`--db`), used through the trait.
impl Store for Box<dyn Store + Send> {
    fn head(&self) -> Result<Head, StoreError> {
        (**self).head()
    }
    fn append(&mut self, expected_size: u64, batch: &Batch) -> Result<(), StoreError> {
        (**self).append(expected_size, batch)
    }
    fn leaf(&self, index: u64) -> Result<Option<Leaf>, StoreError> {
        (**self).leaf(index)
    }
    fn ballot_by_hash(&self, ballot_hash: &Hash) -> Result<Option<BallotRow>, StoreError> {
        (**self).ballot_by_hash(ballot_hash)
    }
    fn ballots_by_hashes(&self, ballot_hashes: &[Hash]) -> Result<Vec<BallotRow>, StoreError> {
        // Forwarded, not defaulted: PostgreSQL answers a whole group in one round trip.
        (**self).ballots_by_hashes(ballot_hashes)
    }
    fn ballot_by_tracking_code(
        &self,
        tracking_code: &Hash,
    ) -> Result<Option<BallotRow>, StoreError> {
        (**self).ballot_by_tracking_code(tracking_code)
    }
    fn receipt_row(&self, tracking_code: &Hash) -> Result<Option<BallotRow>, StoreError> {
        (**self).receipt_row(tracking_code)
    }
    fn ballots_by_code_prefix(
        &self,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<BallotRow>, StoreError> {
        (**self).ballots_by_code_prefix(prefix, limit)
    }
    fn ballots_after(&self, position: u64, limit: usize) -> Result<Vec<BallotRow>, StoreError> {
        (**self).ballots_after(position, limit)
    }
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        (**self).latest_checkpoint()
    }
    fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        (**self).checkpoint(size)
    }
    fn store_checkpoint(&mut self, size: u64, text: &str) -> Result<(), StoreError> {
        (**self).store_checkpoint(size, text)
    }
    fn add_cosignatures(&mut self, size: u64, text: &str) -> Result<(), StoreError> {
        (**self).add_cosignatures(size, text)
    }
    fn checkpoints_after(
        &self,
        size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        (**self).checkpoints_after(size, limit)
    }
    fn leaves(&self, start: u64, count: usize) -> Result<Vec<Leaf>, StoreError> {
        (**self).leaves(start, count)
    }
}

/// Checks that the note `new` is the stored note `old` with more signatures: the same text, the
/// same first (log) signature, and every signature of `old` still there (board.md §9.3). Both
/// stores call it inside the transaction that replaces the note.
pub fn check_more_signatures(size: u64, old: &str, new: &str) -> Result<(), StoreError> {
    let refuse = |reason: String| StoreError::NotMoreSignatures { size, reason };
    let old = Note::parse(old.as_bytes()).map_err(|e| refuse(format!("stored note: {e}")))?;
    let new = Note::parse(new.as_bytes()).map_err(|e| refuse(format!("new note: {e}")))?;
    if old.text() != new.text() {
        return Err(refuse("the checkpoint body differs".into()));
    }
    if old.signatures().first() != new.signatures().first() {
        return Err(refuse("the log's signature differs".into()));
    }
    if let Some(missing) = old
        .signatures()
        .iter()
        .find(|s| !new.signatures().contains(s))
    {
        return Err(refuse(format!(
            "the signature by {} is missing",
            missing.name()
        )));
    }
    Ok(())
}
