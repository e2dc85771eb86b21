//! The board's store in one SQLite file (rusqlite, SQLite bundled), in WAL mode with
//! `synchronous=FULL`, so a committed group is on disk before [`Store::append`] returns.
//!
//! Spec: `protocol-spec/board.md` §7.4 (durability), §7.5 (one writer).
//!
//! Two guards keep a second writer from forking the log. The lock file next to the database
//! stops a second board from starting on it, with an error that names the file. The guarantee is
//! the conditional update of the head in every append (`... WHERE size = expected`): a writer
//! whose view of the head is stale writes nothing, whatever the lock file says.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use saylau::election::Leaf;
use saylau::log::tree::{stored_hash_count, Hash, HashReader};

use super::{BallotRow, Batch, Head, Store, StoreError, StoredCheckpoint};

/// The newest schema this program writes; `schema_version` holds the database's.
pub const SCHEMA_VERSION: i64 = 1;

/// Version 1: the log, the ballots' lines and the signed checkpoints.
const MIGRATION_1: &str = "
CREATE TABLE head (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    size INTEGER NOT NULL,
    cast_count INTEGER NOT NULL,
    last_tracking_code BLOB,
    closed_at INTEGER
);
INSERT INTO head (id, size, cast_count) VALUES (0, 0, 0);
CREATE TABLE leaves (idx INTEGER PRIMARY KEY, kind INTEGER NOT NULL, bytes BLOB NOT NULL);
CREATE TABLE hashes (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE ballots (
    leaf_idx INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    credential BLOB NOT NULL,
    position INTEGER UNIQUE,
    tracking_code BLOB UNIQUE,
    line BLOB NOT NULL
);
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, text TEXT NOT NULL);
";

/// How long a connection waits for another connection's write transaction (the checkpoint
/// signer's, a reader's WAL checkpoint) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The board's store in a SQLite database file. See the module documentation.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    // Held for the life of every connection this board opens; the OS releases it when the
    // process dies, so a crash never leaves a stale lock.
    _lock: Arc<File>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// The lock file of a database: its file name with `.lock` added.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Takes the lock file exclusively (`flock`), or says which file another board holds.
fn take_lock(database: &Path) -> Result<File, StoreError> {
    let path = lock_path(database);
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(StoreError::Locked { path }),
        Err(TryLockError::Error(e)) => return Err(io(&path)(e)),
    }
    // The holder's process id, for whoever finds the file; the lock is what counts.
    file.set_len(0).map_err(io(&path))?;
    writeln!(file, "{}", std::process::id()).map_err(io(&path))?;
    Ok(file)
}

pub(super) fn int(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::BadBatch {
        size: value,
        reason: format!("{what} {value} does not fit in a database integer"),
    })
}

pub(super) fn uint(value: i64, table: &'static str, index: u64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        table,
        index,
        reason: format!("negative integer {value}"),
    })
}

pub(super) fn hash32(
    bytes: Vec<u8>,
    table: &'static str,
    index: u64,
) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| StoreError::Corrupt {
        table,
        index,
        reason: format!("expected 32 bytes, found {}", bytes.len()),
    })
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` for the one board that may write it:
    /// takes the lock file [`lock_path`], sets and checks WAL and `synchronous=FULL`, and brings
    /// the schema up to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let lock = Arc::new(take_lock(path)?);
        let store = Self::connect(path, lock)?;
        store.migrate()?;
        Ok(store)
    }

    /// Another connection to the same database, under the same lock: for a second thread of the
    /// same board (the checkpoint signer, readers). Its appends are still guarded by the
    /// conditional update of the head.
    pub fn another(&self) -> Result<Self, StoreError> {
        Self::connect(&self.path, Arc::clone(&self._lock))
    }

    fn connect(path: &Path, lock: Arc<File>) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|e| backend(path, e))?;
        let store = Self {
            conn,
            path: path.to_path_buf(),
            _lock: lock,
        };
        store
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| store.db(e))?;
        // WAL + FULL fsyncs the WAL at every commit: a commit survives power loss, not only a
        // crash of this process (board.md §7.4).
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| store.db(e))?;
        store
            .conn
            .execute_batch("PRAGMA synchronous = FULL;")
            .map_err(|e| store.db(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(store.setting("journal_mode", mode, "wal"));
        }
        let sync = store.synchronous()?;
        if sync != 2 {
            return Err(store.setting("synchronous", sync.to_string(), "2 (FULL)"));
        }
        Ok(store)
    }

    fn setting(&self, setting: &'static str, found: String, expected: &'static str) -> StoreError {
        StoreError::Setting {
            path: self.path.clone(),
            setting,
            found,
            expected,
        }
    }

    fn db(&self, e: rusqlite::Error) -> StoreError {
        backend(&self.path, e)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.db(e))?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")
            .map_err(|e| self.db(e))?;
        let version: Option<i64> = tx
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .map_err(|e| self.db(e))?;
        let version = version.unwrap_or(0);
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: self.path.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version < 1 {
            tx.execute_batch(MIGRATION_1).map_err(|e| self.db(e))?;
            tx.execute("INSERT INTO schema_version (version) VALUES (1)", [])
                .map_err(|e| self.db(e))?;
        }
        tx.commit().map_err(|e| self.db(e))
    }

    /// Lets this connection keep up to `mib` MiB of database pages in memory (SQLite's
    /// `cache_size`; the default is 2 MiB). The bulk loader raises it: its inserts land at random
    /// places in the unique indexes of ballot hashes and tracking codes.
    pub fn set_cache_mib(&self, mib: u32) -> Result<(), StoreError> {
        self.conn
            .execute_batch(&format!("PRAGMA cache_size = -{};", u64::from(mib) * 1024))
            .map_err(|e| self.db(e))
    }

    /// Copies the WAL into the database file and truncates it (`wal_checkpoint(TRUNCATE)`), so
    /// the next open has no WAL to read back. Waits for readers; fails if one holds it too long.
    pub fn checkpoint_wal(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.db(e))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The live connection's `journal_mode` (`wal` once opened).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(|e| self.db(e))
    }

    /// The live connection's `synchronous` setting (2, FULL, once opened).
    pub fn synchronous(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .map_err(|e| self.db(e))
    }

    fn read_ballot(&self, sql: &str, key: &[u8]) -> Result<Option<BallotRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.db(e))?;
        let raw = stmt
            .query_row([key], raw_ballot)
            .optional()
            .map_err(|e| self.db(e))?;
        raw.map(ballot_row).transpose()
    }
}

fn backend(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Backend {
        database: path.display().to_string(),
        source: Box::new(e),
    }
}

const BALLOT_COLUMNS: &str = "leaf_idx, hash, credential, position, tracking_code, line";

type RawBallot = (i64, Vec<u8>, Vec<u8>, Option<i64>, Option<Vec<u8>>, Vec<u8>);

fn raw_ballot(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawBallot> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn ballot_row(raw: RawBallot) -> Result<BallotRow, StoreError> {
    let (leaf, hash, credential, position, code, line) = raw;
    let leaf_index = uint(leaf, "ballots", 0)?;
    Ok(BallotRow {
        ballot_hash: hash32(hash, "ballots", leaf_index)?,
        credential: hash32(credential, "ballots", leaf_index)?,
        leaf_index,
        position: position
            .map(|p| uint(p, "ballots", leaf_index))
            .transpose()?,
        tracking_code: code.map(|c| hash32(c, "ballots", leaf_index)).transpose()?,
        line,
    })
}

/// Checks that a batch fits the head it extends, before anything is written.
pub(super) fn check_batch(expected: u64, batch: &Batch) -> Result<(), StoreError> {
    let bad = |reason: String| StoreError::BadBatch {
        size: expected,
        reason,
    };
    let new_size = expected + batch.leaves.len() as u64;
    if batch.head.size != new_size {
        return Err(bad(format!(
            "head size {} after {} leaves",
            batch.head.size,
            batch.leaves.len()
        )));
    }
    let want = stored_hash_count(new_size) - stored_hash_count(expected);
    if batch.hashes.len() as u64 != want {
        return Err(bad(format!(
            "{} stored hashes, the leaves add {want}",
            batch.hashes.len()
        )));
    }
    for (i, new) in batch.leaves.iter().enumerate() {
        let index = expected + i as u64;
        if let Some(b) = &new.ballot {
            if b.leaf_index != index || &b.ballot_hash != new.leaf.ballot_hash() {
                return Err(bad(format!(
                    "ballot {} does not match leaf {index}",
                    hex::encode(b.ballot_hash)
                )));
            }
        }
    }
    Ok(())
}

impl HashReader for SqliteStore {
    type Error = StoreError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash FROM hashes WHERE idx = ?1")
            .map_err(|e| self.db(e))?;
        // Stored hashes are never rewritten, so point reads outside one snapshot agree.
        indexes
            .iter()
            .map(|&index| {
                let bytes: Option<Vec<u8>> = stmt
                    .query_row([int(index, "stored hash index")?], |r| r.get(0))
                    .optional()
                    .map_err(|e| self.db(e))?;
                let bytes = bytes.ok_or_else(|| StoreError::Corrupt {
                    table: "hashes",
                    index,
                    reason: "missing".into(),
                })?;
                hash32(bytes, "hashes", index)
            })
            .collect()
    }
}

impl Store for SqliteStore {
    fn head(&self) -> Result<Head, StoreError> {
        let (size, cast, last, closed): (i64, i64, Option<Vec<u8>>, Option<i64>) = self
            .conn
            .query_row(
                "SELECT size, cast_count, last_tracking_code, closed_at FROM head WHERE id = 0",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(|e| self.db(e))?;
        let size = uint(size, "head", 0)?;
        Ok(Head {
            size,
            cast: uint(cast, "head", size)?,
            last_tracking_code: last.map(|c| hash32(c, "head", size)).transpose()?,
            closed_at: closed.map(|c| uint(c, "head", size)).transpose()?,
        })
    }

    fn append(&mut self, expected_size: u64, batch: &Batch) -> Result<(), StoreError> {
        check_batch(expected_size, batch)?;
        let path = self.path.clone();
        let db = |e| backend(&path, e);
        // IMMEDIATE takes the write lock at BEGIN, so the head read below is the one we update.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let head = &batch.head;
        // board.md §7.5: the conditional update that keeps the log from forking.
        let changed = tx
            .execute(
                "UPDATE head SET size = ?1, cast_count = ?2, last_tracking_code = ?3, \
                 closed_at = ?4 WHERE id = 0 AND size = ?5",
                params![
                    int(head.size, "size")?,
                    int(head.cast, "cast count")?,
                    head.last_tracking_code.as_ref().map(|c| c.as_slice()),
                    head.closed_at.map(|c| int(c, "close index")).transpose()?,
                    int(expected_size, "size")?,
                ],
            )
            .map_err(db)?;
        if changed != 1 {
            let found: i64 = tx
                .query_row("SELECT size FROM head WHERE id = 0", [], |r| r.get(0))
                .map_err(db)?;
            // Dropping the transaction rolls it back: nothing of the group is written.
            return Err(StoreError::Conflict {
                expected: expected_size,
                found: uint(found, "head", 0)?,
            });
        }
        {
            let mut leaf_stmt = tx
                .prepare_cached("INSERT INTO leaves (idx, kind, bytes) VALUES (?1, ?2, ?3)")
                .map_err(db)?;
            let mut ballot_stmt = tx
                .prepare_cached(
                    "INSERT INTO ballots (leaf_idx, hash, credential, position, tracking_code, \
                     line) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(db)?;
            for (i, new) in batch.leaves.iter().enumerate() {
                let index = int(expected_size + i as u64, "leaf index")?;
                leaf_stmt
                    .execute(params![
                        index,
                        new.leaf.kind().byte(),
                        new.leaf.to_bytes().as_slice()
                    ])
                    .map_err(db)?;
                if let Some(b) = &new.ballot {
                    ballot_stmt
                        .execute(params![
                            index,
                            b.ballot_hash.as_slice(),
                            b.credential.as_slice(),
                            b.position.map(|p| int(p, "position")).transpose()?,
                            b.tracking_code.as_ref().map(|c| c.as_slice()),
                            b.line.as_slice(),
                        ])
                        .map_err(db)?;
                }
            }
            let mut hash_stmt = tx
                .prepare_cached("INSERT INTO hashes (idx, hash) VALUES (?1, ?2)")
                .map_err(db)?;
            let first = stored_hash_count(expected_size);
            for (i, h) in batch.hashes.iter().enumerate() {
                hash_stmt
                    .execute(params![
                        int(first + i as u64, "stored hash index")?,
                        h.as_slice()
                    ])
                    .map_err(db)?;
            }
        }
        // With WAL and synchronous=FULL, commit returns after the WAL is fsynced.
        tx.commit().map_err(db)
    }

    fn leaf(&self, index: u64) -> Result<Option<Leaf>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM leaves WHERE idx = ?1")
            .map_err(|e| self.db(e))?;
        let bytes: Option<Vec<u8>> = stmt
            .query_row([int(index, "leaf index")?], |r| r.get(0))
            .optional()
            .map_err(|e| self.db(e))?;
        bytes
            .map(|b| Leaf::decode(&b).map_err(|source| StoreError::BadLeaf { index, source }))
            .transpose()
    }

    fn ballot_by_hash(&self, ballot_hash: &Hash) -> Result<Option<BallotRow>, StoreError> {
        self.read_ballot(
            &format!("SELECT {BALLOT_COLUMNS} FROM ballots WHERE hash = ?1"),
            ballot_hash,
        )
    }

    fn ballot_by_tracking_code(
        &self,
        tracking_code: &Hash,
    ) -> Result<Option<BallotRow>, StoreError> {
        self.read_ballot(
            &format!("SELECT {BALLOT_COLUMNS} FROM ballots WHERE tracking_code = ?1"),
            tracking_code,
        )
    }

    fn receipt_row(&self, tracking_code: &Hash) -> Result<Option<BallotRow>, StoreError> {
        // The ballot's JSON is most of the row (about 14 KB, in overflow pages): not read.
        self.read_ballot(
            "SELECT leaf_idx, hash, credential, position, tracking_code, x'' \
             FROM ballots WHERE tracking_code = ?1",
            tracking_code,
        )
    }

    fn ballots_by_code_prefix(
        &self,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<BallotRow>, StoreError> {
        // A range on the UNIQUE index of tracking_code (blobs compare as bytes).
        let (low, high) = super::prefix_range(prefix);
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {BALLOT_COLUMNS} FROM ballots WHERE tracking_code BETWEEN ?1 AND ?2 \
                 ORDER BY tracking_code LIMIT ?3"
            ))
            .map_err(|e| self.db(e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![&low[..], &high[..], limit], raw_ballot)
            .map_err(|e| self.db(e))?;
        rows.map(|r| ballot_row(r.map_err(|e| self.db(e))?))
            .collect()
    }

    fn ballots_after(&self, position: u64, limit: usize) -> Result<Vec<BallotRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {BALLOT_COLUMNS} FROM ballots WHERE position > ?1 \
                 ORDER BY position LIMIT ?2"
            ))
            .map_err(|e| self.db(e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![int(position, "position")?, limit], raw_ballot)
            .map_err(|e| self.db(e))?;
        rows.map(|r| ballot_row(r.map_err(|e| self.db(e))?))
            .collect()
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        read_checkpoint(
            &self.conn,
            "SELECT size, text FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
        )
        .map_err(|e| self.db(e))?
        .map(|(s, text)| {
            Ok(StoredCheckpoint {
                size: uint(s, "checkpoints", 0)?,
                text,
            })
        })
        .transpose()
    }

    fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        read_checkpoint(
            &self.conn,
            "SELECT size, text FROM checkpoints WHERE size = ?1",
            [int(size, "size")?],
        )
        .map_err(|e| self.db(e))?
        .map(|(_, text)| Ok(StoredCheckpoint { size, text }))
        .transpose()
    }

    fn checkpoints_after(
        &self,
        size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT size, text FROM checkpoints WHERE size > ?1 ORDER BY size LIMIT ?2",
            )
            .map_err(|e| self.db(e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = i64::try_from(size).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![after, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.db(e))?;
        rows.map(|r| {
            let (s, text) = r.map_err(|e| self.db(e))?;
            Ok(StoredCheckpoint {
                size: uint(s, "checkpoints", 0)?,
                text,
            })
        })
        .collect()
    }

    fn leaves(&self, start: u64, count: usize) -> Result<Vec<Leaf>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT idx, bytes FROM leaves WHERE idx >= ?1 ORDER BY idx LIMIT ?2")
            .map_err(|e| self.db(e))?;
        let limit = i64::try_from(count).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![int(start, "leaf index")?, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(|e| self.db(e))?;
        let mut out = Vec::new();
        for (expected, row) in (start..).zip(rows) {
            let (index, bytes) = row.map_err(|e| self.db(e))?;
            let index = uint(index, "leaves", expected)?;
            if index != expected {
                return Err(StoreError::Corrupt {
                    table: "leaves",
                    index: expected,
                    reason: format!("missing (next stored leaf is {index})"),
                });
            }
            out.push(Leaf::decode(&bytes).map_err(|source| StoreError::BadLeaf { index, source })?);
        }
        Ok(out)
    }

    fn store_checkpoint(&mut self, size: u64, text: &str) -> Result<(), StoreError> {
        let path = self.path.clone();
        let db = |e| backend(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let log_size: i64 = tx
            .query_row("SELECT size FROM head WHERE id = 0", [], |r| r.get(0))
            .map_err(db)?;
        let log_size = uint(log_size, "head", 0)?;
        if size > log_size {
            return Err(StoreError::CheckpointBeyondLog { size, log_size });
        }
        let latest = read_checkpoint(
            &tx,
            "SELECT size, text FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
        )
        .map_err(db)?;
        if let Some((latest, latest_text)) = latest {
            let latest = uint(latest, "checkpoints", 0)?;
            if latest > size || (latest == size && latest_text != text) {
                return Err(StoreError::CheckpointRollback {
                    latest,
                    offered: size,
                    same_size: latest == size,
                });
            }
            if latest == size {
                return Ok(());
            }
        }
        tx.execute(
            "INSERT INTO checkpoints (size, text) VALUES (?1, ?2)",
            params![int(size, "size")?, text],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn add_cosignatures(&mut self, size: u64, text: &str) -> Result<(), StoreError> {
        let path = self.path.clone();
        let db = |e| backend(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let stored: Option<String> = tx
            .query_row(
                "SELECT text FROM checkpoints WHERE size = ?1",
                params![int(size, "size")?],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        let Some(stored) = stored else {
            return Err(StoreError::NotMoreSignatures {
                size,
                reason: "no checkpoint of that size".into(),
            });
        };
        super::check_more_signatures(size, &stored, text)?;
        tx.execute(
            "UPDATE checkpoints SET text = ?1 WHERE size = ?2",
            params![text, int(size, "size")?],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }
}

fn read_checkpoint<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<Option<(i64, String)>> {
    conn.prepare_cached(sql)?
        .query_row(params, |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}
