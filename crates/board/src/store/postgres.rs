//! The board's store in a PostgreSQL database, through the synchronous `postgres` client (the
//! [`Store`] trait is synchronous: the sequencer is a thread). Every connection runs with
//! `synchronous_commit=on`, and the server must run with `fsync=on` and `full_page_writes=on`, so
//! a committed group is flushed to the server's write-ahead log before [`Store::append`] returns.
//!
//! Spec: `protocol-spec/board.md` §7.4 (durability), §7.5 (one writer), §7.7 (PostgreSQL).
//!
//! The tables are those of the SQLite store (`head`, `leaves`, `hashes`, `ballots`,
//! `checkpoints`, `schema_version`). A group is one transaction: the conditional update of the head
//! (`... WHERE size = expected`), then one multi-row `INSERT ... SELECT FROM unnest(...)` per table
//! with the group's rows as binary array parameters. A session-level advisory lock, held by a
//! connection of its own for as long as any connection of the same board lives, stops a second
//! board from starting on the database; the conditional update is what keeps the log whole.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use postgres::config::{Host, SslMode};
use postgres::{Client, Config, NoTls, Row, Statement};
use saylau::election::Leaf;
use saylau::log::tree::{stored_hash_count, Hash, HashReader};

use super::sqlite::{check_batch, hash32, int, uint};
use super::{BallotRow, Batch, Head, Store, StoreError, StoredCheckpoint};

/// The newest schema this program writes; `schema_version` holds the database's.
pub const SCHEMA_VERSION: i32 = 1;

/// The advisory lock key a board holds on its database (board.md §7.7): the bytes
/// `saylaubd` as a big-endian signed 64-bit integer.
pub const ADVISORY_LOCK_KEY: i64 = i64::from_be_bytes(*b"saylaubd");

/// Version 1: the log, the ballots' lines and the signed checkpoints.
const MIGRATION_1: &str = "
CREATE TABLE head (
    id SMALLINT PRIMARY KEY CHECK (id = 0),
    size BIGINT NOT NULL CHECK (size >= 0),
    cast_count BIGINT NOT NULL CHECK (cast_count >= 0),
    last_tracking_code BYTEA,
    closed_at BIGINT
);
INSERT INTO head (id, size, cast_count) VALUES (0, 0, 0);
CREATE TABLE leaves (idx BIGINT PRIMARY KEY, kind SMALLINT NOT NULL, bytes BYTEA NOT NULL);
CREATE TABLE hashes (idx BIGINT PRIMARY KEY, hash BYTEA NOT NULL);
CREATE TABLE ballots (
    leaf_idx BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL UNIQUE,
    credential BYTEA NOT NULL,
    position BIGINT UNIQUE,
    tracking_code BYTEA UNIQUE,
    line BYTEA NOT NULL
);
-- Lines are mostly hex, and compressing each one on the sequencer's path took 3/4 of the time
-- of its inserts (14 KB lines, 64 per group, this machine): stored out of line, uncompressed.
ALTER TABLE ballots ALTER COLUMN line SET STORAGE EXTERNAL;
CREATE TABLE checkpoints (size BIGINT PRIMARY KEY, text TEXT NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
";

/// The durable settings this store requires of the live connection, and the value of each.
/// `synchronous_commit` is also set on every connection it opens; the others are the server's.
pub const REQUIRED_SETTINGS: [(&str, &str); 3] = [
    ("synchronous_commit", "on"),
    ("fsync", "on"),
    ("full_page_writes", "on"),
];

const BALLOT_COLUMNS: &str = "leaf_idx, hash, credential, position, tracking_code, line";

/// The read queries, shared with the read replica's connections ([`crate::replica`]).
pub(crate) mod sql {
    /// The head row.
    pub const HEAD: &str =
        "SELECT size, cast_count, last_tracking_code, closed_at FROM head WHERE id = 0";
    /// Stored hashes by index.
    pub const HASHES: &str = "SELECT idx, hash FROM hashes WHERE idx = ANY($1::int8[])";
    /// One leaf.
    pub const LEAF: &str = "SELECT bytes FROM leaves WHERE idx = $1";
    /// A run of leaves.
    pub const LEAVES: &str =
        "SELECT idx, bytes FROM leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx";
    /// A ballot by hash.
    pub const BALLOT_BY_HASH: &str = "SELECT leaf_idx, hash, credential, position, \
        tracking_code, line FROM ballots WHERE hash = $1";
    /// Ballots by hashes.
    pub const BALLOTS_BY_HASHES: &str = "SELECT leaf_idx, hash, credential, position, \
        tracking_code, line FROM ballots WHERE hash = ANY($1::bytea[])";
    /// A cast ballot by tracking code.
    pub const BALLOT_BY_CODE: &str = "SELECT leaf_idx, hash, credential, position, \
        tracking_code, line FROM ballots WHERE tracking_code = $1";
    /// Cast ballots whose tracking code lies in a range (a short code's 80-bit prefix,
    /// board.md §2.1): a range on the UNIQUE index of tracking_code (bytea compares as bytes).
    pub const BALLOTS_BY_CODE_RANGE: &str = "SELECT leaf_idx, hash, credential, position, \
        tracking_code, line FROM ballots WHERE tracking_code BETWEEN $1 AND $2 \
        ORDER BY tracking_code LIMIT $3";
    /// A page of cast ballots.
    pub const BALLOTS_AFTER: &str = "SELECT leaf_idx, hash, credential, position, \
        tracking_code, line FROM ballots WHERE position > $1 ORDER BY position LIMIT $2";
    /// The latest checkpoint.
    pub const LATEST_CHECKPOINT: &str =
        "SELECT size, text FROM checkpoints ORDER BY size DESC LIMIT 1";
    /// One checkpoint.
    pub const CHECKPOINT: &str = "SELECT size, text FROM checkpoints WHERE size = $1";
    /// A page of checkpoints.
    pub const CHECKPOINTS_AFTER: &str =
        "SELECT size, text FROM checkpoints WHERE size > $1 ORDER BY size LIMIT $2";
}

/// The statements one connection prepares once.
struct Statements {
    head: Statement,
    head_size: Statement,
    update_head: Statement,
    insert_leaves: Statement,
    insert_ballots: Statement,
    insert_hashes: Statement,
    hashes: Statement,
    leaf: Statement,
    leaves: Statement,
    ballot_by_hash: Statement,
    ballots_by_hashes: Statement,
    ballot_by_code: Statement,
    ballots_after: Statement,
    latest_checkpoint: Statement,
    checkpoint: Statement,
    checkpoints_after: Statement,
    insert_checkpoint: Statement,
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Self, postgres::Error> {
        Ok(Self {
            head: client.prepare(sql::HEAD)?,
            head_size: client.prepare("SELECT size FROM head WHERE id = 0")?,
            update_head: client.prepare(
                "UPDATE head SET size = $1, cast_count = $2, last_tracking_code = $3, \
                 closed_at = $4 WHERE id = 0 AND size = $5",
            )?,
            insert_leaves: client.prepare(
                "INSERT INTO leaves (idx, kind, bytes) \
                 SELECT * FROM unnest($1::int8[], $2::int2[], $3::bytea[])",
            )?,
            insert_ballots: client.prepare(&format!(
                "INSERT INTO ballots ({BALLOT_COLUMNS}) SELECT * FROM \
                 unnest($1::int8[], $2::bytea[], $3::bytea[], $4::int8[], $5::bytea[], $6::bytea[])"
            ))?,
            insert_hashes: client.prepare(
                "INSERT INTO hashes (idx, hash) SELECT * FROM unnest($1::int8[], $2::bytea[])",
            )?,
            hashes: client.prepare(sql::HASHES)?,
            leaf: client.prepare(sql::LEAF)?,
            leaves: client.prepare(sql::LEAVES)?,
            ballot_by_hash: client.prepare(sql::BALLOT_BY_HASH)?,
            ballots_by_hashes: client.prepare(sql::BALLOTS_BY_HASHES)?,
            ballot_by_code: client.prepare(sql::BALLOT_BY_CODE)?,
            ballots_after: client.prepare(sql::BALLOTS_AFTER)?,
            latest_checkpoint: client.prepare(sql::LATEST_CHECKPOINT)?,
            checkpoint: client.prepare(sql::CHECKPOINT)?,
            checkpoints_after: client.prepare(sql::CHECKPOINTS_AFTER)?,
            insert_checkpoint: client
                .prepare("INSERT INTO checkpoints (size, text) VALUES ($1, $2)")?,
        })
    }
}

/// The board's store in a PostgreSQL database. See the module documentation.
pub struct PostgresStore {
    client: Mutex<Client>,
    statements: Statements,
    config: Config,
    database: String,
    // The connection that holds the advisory lock, shared by every connection of this board.
    _lock: Arc<LockHolder>,
}

/// The connection holding the advisory lock. Dropping the last handle unlocks before closing, so
/// that a board restarted at once finds the lock free; if the board dies instead, the server
/// releases the lock when it notices the connection is gone.
struct LockHolder(Mutex<Client>);

impl Drop for LockHolder {
    fn drop(&mut self) {
        if let Ok(client) = self.0.get_mut() {
            // Best effort: on failure the server releases the lock with the connection.
            let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&ADVISORY_LOCK_KEY]);
        }
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("database", &self.database)
            .finish()
    }
}

/// Names a database for messages as `postgres://user@host:port/dbname` (a Unix socket directory
/// as `?host=DIR`), without its password.
pub fn describe(config: &Config) -> String {
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let mut hosts = Vec::new();
    let mut sockets = Vec::new();
    for (i, host) in config.get_hosts().iter().enumerate() {
        let name = match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) => {
                sockets.push(dir.display().to_string());
                "localhost".into()
            }
        };
        hosts.push(
            match config.get_ports().get(i).or(config.get_ports().first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            },
        );
    }
    let dbname = config.get_dbname().or(config.get_user()).unwrap_or("");
    let sockets = if sockets.is_empty() {
        String::new()
    } else {
        format!("?host={}", sockets.join(","))
    };
    format!("postgres://{user}{}/{dbname}{sockets}", hosts.join(","))
}

/// Parses a connection string (`postgres://…` URL or `key=value` pairs). The error never repeats
/// the string, which may hold a password.
pub fn parse_config(url: &str) -> Result<Config, StoreError> {
    let config = Config::from_str(url).map_err(|e| StoreError::Backend {
        database: "(unparsed connection string)".into(),
        // The parser's messages name the key or the problem, never a value.
        source: Box::new(e),
    })?;
    // board.md §7.7: no TLS client is built in. Refused here, with the way out, rather than by
    // the driver's bare "TLS is required" at the first connection.
    if config.get_ssl_mode() == SslMode::Require {
        return Err(StoreError::Backend {
            database: describe(&config),
            source: Box::new(DriverError(
                "sslmode=require: the board has no TLS client for PostgreSQL; reach the server \
                 over a Unix socket or loopback (or a tunnel that does TLS, such as stunnel or \
                 an SSH forward) and use sslmode=disable"
                    .into(),
            )),
        });
    }
    Ok(config)
}

/// A driver error with its causes in its message ("db error: ERROR: relation … does not exist",
/// "error connecting to server: Connection refused"): the driver's own message names only the
/// kind. Neither carries the connection string.
#[derive(Debug)]
struct DriverError(String);

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DriverError {}

pub(crate) fn backend(database: &str, e: postgres::Error) -> StoreError {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    StoreError::Backend {
        database: database.to_string(),
        source: Box::new(DriverError(message)),
    }
}

fn connect(config: &Config, database: &str) -> Result<Client, StoreError> {
    let mut client = config.connect(NoTls).map_err(|e| backend(database, e))?;
    // The board's acknowledgment waits for the WAL flush (board.md §7.4): set it on the session
    // whatever the server's or the role's default, then check all the durable settings.
    // Prepared statements are planned anew at each execution: a generic plan cached while the
    // tables were small (a sequential scan) would otherwise stay as they grow, and every lookup
    // by hash or index would read the whole table (seen here: the group's dedup query went from
    // 4 ms to 60 ms over 20,000 ballots).
    client
        .batch_execute("SET synchronous_commit = on; SET plan_cache_mode = force_custom_plan")
        .map_err(|e| backend(database, e))?;
    for (setting, expected) in REQUIRED_SETTINGS {
        let found = show(&mut client, setting).map_err(|e| backend(database, e))?;
        if found != expected {
            return Err(StoreError::Setting {
                path: PathBuf::from(database),
                setting,
                found,
                expected,
            });
        }
    }
    Ok(client)
}

/// The error for a connection whose mutex a panicking thread left poisoned.
fn poisoned<T>(_: T) -> StoreError {
    StoreError::Corrupt {
        table: "connection",
        index: 0,
        reason: "a thread panicked while using this connection".into(),
    }
}

fn show(client: &mut Client, setting: &str) -> Result<String, postgres::Error> {
    // `setting` is one of REQUIRED_SETTINGS (or a test's literal), never outside input.
    client
        .query_one(&format!("SHOW {setting}"), &[])
        .map(|r| r.get(0))
}

impl PostgresStore {
    /// Opens the database named by `url` (`postgres://…` or `key=value` pairs) for the one board
    /// that may write it: takes the advisory lock [`ADVISORY_LOCK_KEY`] (refusing with
    /// [`StoreError::DatabaseLocked`] if another board holds it), sets and checks
    /// `synchronous_commit=on` and checks `fsync` and `full_page_writes`, and brings the schema up
    /// to [`SCHEMA_VERSION`].
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let config = parse_config(url)?;
        let database = describe(&config);
        let mut lock = connect(&config, &database)?;
        let held: bool = lock
            .query_one("SELECT pg_try_advisory_lock($1)", &[&ADVISORY_LOCK_KEY])
            .map_err(|e| backend(&database, e))?
            .get(0);
        if !held {
            return Err(StoreError::DatabaseLocked { database });
        }
        migrate(&mut lock, &database)?;
        Self::connect(config, database, Arc::new(LockHolder(Mutex::new(lock))))
    }

    /// Another connection to the same database, under the same advisory lock: for a second thread
    /// of the same board (the checkpoint signer, readers). Its appends are still guarded by the
    /// conditional update of the head.
    pub fn another(&self) -> Result<Self, StoreError> {
        Self::connect(
            self.config.clone(),
            self.database.clone(),
            Arc::clone(&self._lock),
        )
    }

    fn connect(
        config: Config,
        database: String,
        lock: Arc<LockHolder>,
    ) -> Result<Self, StoreError> {
        let mut client = connect(&config, &database)?;
        let statements = Statements::prepare(&mut client).map_err(|e| backend(&database, e))?;
        Ok(Self {
            client: Mutex::new(client),
            statements,
            config,
            database,
            _lock: lock,
        })
    }

    /// The database, as `postgres://user@host:port/dbname` (no password).
    pub fn database(&self) -> &str {
        &self.database
    }

    /// A setting of the live connection, as `SHOW` gives it (e.g. `synchronous_commit`, `fsync`).
    /// `name` must be a setting name, not outside input.
    pub fn setting(&self, name: &str) -> Result<String, StoreError> {
        show(&mut *self.client()?, name).map_err(|e| self.db(e))
    }

    fn client(&self) -> Result<MutexGuard<'_, Client>, StoreError> {
        self.client.lock().map_err(poisoned)
    }

    fn db(&self, e: postgres::Error) -> StoreError {
        backend(&self.database, e)
    }

    fn read_ballot(&self, which: &Statement, key: &[u8]) -> Result<Option<BallotRow>, StoreError> {
        let row = self
            .client()?
            .query_opt(which, &[&key])
            .map_err(|e| self.db(e))?;
        row.as_ref().map(ballot_row).transpose()
    }
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction, under the advisory lock, and waits
/// for any transaction still writing the head.
fn migrate(client: &mut Client, database: &str) -> Result<(), StoreError> {
    let db = |e| backend(database, e);
    let mut tx = client.transaction().map_err(db)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(db)?;
    let version: Option<i32> = tx
        .query_one("SELECT MAX(version) FROM schema_version", &[])
        .map_err(db)?
        .get(0);
    let version = version.unwrap_or(0);
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: PathBuf::from(database),
            found: i64::from(version),
            known: i64::from(SCHEMA_VERSION),
        });
    }
    if version < 1 {
        tx.batch_execute(MIGRATION_1).map_err(db)?;
    }
    // A board that died may leave its last group's transaction running in its server process
    // (a COMMIT it sent just before dying), and that process may outlive the connection holding
    // the advisory lock. SHARE conflicts with the writers' ROW EXCLUSIVE: this waits until every
    // transaction that wrote the head has ended, so this board starts from the head it left.
    tx.batch_execute("LOCK TABLE head IN SHARE MODE")
        .map_err(db)?;
    tx.commit().map_err(db)
}

pub(crate) fn ballot_row(row: &Row) -> Result<BallotRow, StoreError> {
    let leaf_index = uint(row.get(0), "ballots", 0)?;
    let position: Option<i64> = row.get(3);
    let code: Option<Vec<u8>> = row.get(4);
    Ok(BallotRow {
        ballot_hash: hash32(row.get(1), "ballots", leaf_index)?,
        credential: hash32(row.get(2), "ballots", leaf_index)?,
        leaf_index,
        position: position
            .map(|p| uint(p, "ballots", leaf_index))
            .transpose()?,
        tracking_code: code.map(|c| hash32(c, "ballots", leaf_index)).transpose()?,
        line: row.get(5),
    })
}

pub(crate) fn head_row(row: &Row) -> Result<Head, StoreError> {
    let size = uint(row.get(0), "head", 0)?;
    let last: Option<Vec<u8>> = row.get(2);
    let closed: Option<i64> = row.get(3);
    Ok(Head {
        size,
        cast: uint(row.get(1), "head", size)?,
        last_tracking_code: last.map(|c| hash32(c, "head", size)).transpose()?,
        closed_at: closed.map(|c| uint(c, "head", size)).transpose()?,
    })
}

/// Leaves from `(idx, bytes)` rows, which must run from `start` without a gap.
pub(crate) fn leaf_rows(rows: &[Row], start: u64) -> Result<Vec<Leaf>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let index = start + i as u64;
        if uint(row.get(0), "leaves", index)? != index {
            return Err(StoreError::Corrupt {
                table: "leaves",
                index,
                reason: "missing".into(),
            });
        }
        let bytes: &[u8] = row.get(1);
        out.push(Leaf::decode(bytes).map_err(|source| StoreError::BadLeaf { index, source })?);
    }
    Ok(out)
}

/// A value as a `BIGINT` parameter, or the error naming `what`.
pub(crate) fn param(value: u64, what: &str) -> Result<i64, StoreError> {
    int(value, what)
}

/// Stored hashes from `(idx, hash)` rows, in the order of `indexes`; an index without a row is
/// an error.
pub(crate) fn hash_rows(rows: &[Row], indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let index = uint(row.get(0), "hashes", 0)?;
        found.insert(index, hash32(row.get(1), "hashes", index)?);
    }
    indexes
        .iter()
        .map(|index| {
            found.get(index).copied().ok_or(StoreError::Corrupt {
                table: "hashes",
                index: *index,
                reason: "missing".into(),
            })
        })
        .collect()
}

/// The bounds of a run of leaves as query parameters.
pub(crate) fn leaf_range(start: u64, count: usize) -> Result<(i64, i64), StoreError> {
    let end = start.saturating_add(count as u64);
    Ok((int(start, "leaf index")?, int(end, "leaf index")?))
}

pub(crate) fn checkpoint_row(row: &Row) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        size: uint(row.get(0), "checkpoints", 0)?,
        text: row.get(1),
    })
}

/// The columns of one group's rows, as the array parameters of the multi-row inserts.
#[derive(Default)]
struct Columns<'a> {
    leaf_idx: Vec<i64>,
    leaf_kind: Vec<i16>,
    leaf_bytes: Vec<Vec<u8>>,
    ballot_idx: Vec<i64>,
    ballot_hash: Vec<&'a [u8]>,
    ballot_credential: Vec<&'a [u8]>,
    ballot_position: Vec<Option<i64>>,
    ballot_code: Vec<Option<&'a [u8]>>,
    ballot_line: Vec<&'a [u8]>,
    hash_idx: Vec<i64>,
    hash: Vec<&'a [u8]>,
}

impl<'a> Columns<'a> {
    fn of(expected_size: u64, batch: &'a Batch) -> Result<Self, StoreError> {
        let mut c = Self::default();
        for (i, new) in batch.leaves.iter().enumerate() {
            let index = int(expected_size + i as u64, "leaf index")?;
            c.leaf_idx.push(index);
            c.leaf_kind.push(i16::from(new.leaf.kind().byte()));
            c.leaf_bytes.push(new.leaf.to_bytes().to_vec());
            if let Some(b) = &new.ballot {
                c.ballot_idx.push(index);
                c.ballot_hash.push(&b.ballot_hash);
                c.ballot_credential.push(&b.credential);
                c.ballot_position
                    .push(b.position.map(|p| int(p, "position")).transpose()?);
                c.ballot_code
                    .push(b.tracking_code.as_ref().map(|t| t.as_slice()));
                c.ballot_line.push(&b.line);
            }
        }
        let first = stored_hash_count(expected_size);
        for (i, h) in batch.hashes.iter().enumerate() {
            c.hash_idx.push(int(first + i as u64, "stored hash index")?);
            c.hash.push(h);
        }
        Ok(c)
    }
}

impl HashReader for PostgresStore {
    type Error = StoreError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let keys = indexes
            .iter()
            .map(|&i| int(i, "stored hash index"))
            .collect::<Result<Vec<_>, _>>()?;
        // One round trip for the whole list; stored hashes are never rewritten.
        let rows = self
            .client()?
            .query(&self.statements.hashes, &[&keys])
            .map_err(|e| self.db(e))?;
        hash_rows(&rows, indexes)
    }
}

impl Store for PostgresStore {
    fn head(&self) -> Result<Head, StoreError> {
        let row = self
            .client()?
            .query_one(&self.statements.head, &[])
            .map_err(|e| self.db(e))?;
        head_row(&row)
    }

    fn append(&mut self, expected_size: u64, batch: &Batch) -> Result<(), StoreError> {
        check_batch(expected_size, batch)?;
        let columns = Columns::of(expected_size, batch)?;
        let head = &batch.head;
        let new_size = int(head.size, "size")?;
        let cast = int(head.cast, "cast count")?;
        let last = head.last_tracking_code.as_ref().map(|c| c.as_slice());
        let closed = head.closed_at.map(|c| int(c, "close index")).transpose()?;
        let expected = int(expected_size, "size")?;
        let database = &self.database;
        let db = |e| backend(database, e);
        let s = &self.statements;
        let client = self.client.get_mut().map_err(poisoned)?;
        let mut tx = client.transaction().map_err(db)?;
        // board.md §7.5: the conditional update that keeps the log from forking. A concurrent
        // writer's update waits for this row's lock, then finds the size moved and changes nothing.
        let changed = tx
            .execute(
                &s.update_head,
                &[&new_size, &cast, &last, &closed, &expected],
            )
            .map_err(db)?;
        if changed != 1 {
            let found: i64 = tx.query_one(&s.head_size, &[]).map_err(db)?.get(0);
            // Dropping the transaction rolls it back: nothing of the group is written.
            return Err(StoreError::Conflict {
                expected: expected_size,
                found: uint(found, "head", 0)?,
            });
        }
        let c = &columns;
        tx.execute(
            &s.insert_leaves,
            &[&c.leaf_idx, &c.leaf_kind, &c.leaf_bytes],
        )
        .map_err(db)?;
        if !c.ballot_idx.is_empty() {
            tx.execute(
                &s.insert_ballots,
                &[
                    &c.ballot_idx,
                    &c.ballot_hash,
                    &c.ballot_credential,
                    &c.ballot_position,
                    &c.ballot_code,
                    &c.ballot_line,
                ],
            )
            .map_err(db)?;
        }
        if !c.hash_idx.is_empty() {
            tx.execute(&s.insert_hashes, &[&c.hash_idx, &c.hash])
                .map_err(db)?;
        }
        // With synchronous_commit=on, COMMIT returns after the server flushed its WAL.
        tx.commit().map_err(db)
    }

    fn leaf(&self, index: u64) -> Result<Option<Leaf>, StoreError> {
        let row = self
            .client()?
            .query_opt(&self.statements.leaf, &[&int(index, "leaf index")?])
            .map_err(|e| self.db(e))?;
        row.map(|r| {
            let bytes: Vec<u8> = r.get(0);
            Leaf::decode(&bytes).map_err(|source| StoreError::BadLeaf { index, source })
        })
        .transpose()
    }

    fn ballot_by_hash(&self, ballot_hash: &Hash) -> Result<Option<BallotRow>, StoreError> {
        self.read_ballot(&self.statements.ballot_by_hash, ballot_hash)
    }

    fn ballots_by_hashes(&self, ballot_hashes: &[Hash]) -> Result<Vec<BallotRow>, StoreError> {
        if ballot_hashes.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<&[u8]> = ballot_hashes.iter().map(|h| h.as_slice()).collect();
        let rows = self
            .client()?
            .query(&self.statements.ballots_by_hashes, &[&keys])
            .map_err(|e| self.db(e))?;
        rows.iter().map(ballot_row).collect()
    }

    fn ballot_by_tracking_code(
        &self,
        tracking_code: &Hash,
    ) -> Result<Option<BallotRow>, StoreError> {
        self.read_ballot(&self.statements.ballot_by_code, tracking_code)
    }

    fn ballots_by_code_prefix(
        &self,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<BallotRow>, StoreError> {
        let (low, high) = super::prefix_range(prefix);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client()?
            .query(sql::BALLOTS_BY_CODE_RANGE, &[&&low[..], &&high[..], &limit])
            .map_err(|e| self.db(e))?;
        rows.iter().map(ballot_row).collect()
    }

    fn ballots_after(&self, position: u64, limit: usize) -> Result<Vec<BallotRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client()?
            .query(
                &self.statements.ballots_after,
                &[&int(position, "position")?, &limit],
            )
            .map_err(|e| self.db(e))?;
        rows.iter().map(ballot_row).collect()
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = self
            .client()?
            .query_opt(&self.statements.latest_checkpoint, &[])
            .map_err(|e| self.db(e))?;
        row.as_ref().map(checkpoint_row).transpose()
    }

    fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = self
            .client()?
            .query_opt(&self.statements.checkpoint, &[&int(size, "size")?])
            .map_err(|e| self.db(e))?;
        row.as_ref().map(checkpoint_row).transpose()
    }

    fn checkpoints_after(
        &self,
        size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client()?
            .query(
                &self.statements.checkpoints_after,
                &[&int(size, "size")?, &limit],
            )
            .map_err(|e| self.db(e))?;
        rows.iter().map(checkpoint_row).collect()
    }

    fn leaves(&self, start: u64, count: usize) -> Result<Vec<Leaf>, StoreError> {
        let (from, to) = leaf_range(start, count)?;
        let rows = self
            .client()?
            .query(&self.statements.leaves, &[&from, &to])
            .map_err(|e| self.db(e))?;
        leaf_rows(&rows, start)
    }

    fn store_checkpoint(&mut self, size: u64, text: &str) -> Result<(), StoreError> {
        let key = int(size, "size")?;
        let database = &self.database;
        let db = |e| backend(database, e);
        let s = &self.statements;
        let client = self.client.get_mut().map_err(poisoned)?;
        let mut tx = client.transaction().map_err(db)?;
        // One checkpoint writer at a time (readers go on): the latest read below stays the latest
        // until this transaction ends. The head only grows, so its size read here stays a bound.
        tx.batch_execute("LOCK TABLE checkpoints IN SHARE ROW EXCLUSIVE MODE")
            .map_err(db)?;
        let log_size: i64 = tx.query_one(&s.head_size, &[]).map_err(db)?.get(0);
        let log_size = uint(log_size, "head", 0)?;
        if size > log_size {
            return Err(StoreError::CheckpointBeyondLog { size, log_size });
        }
        if let Some(row) = tx.query_opt(&s.latest_checkpoint, &[]).map_err(db)? {
            let latest = checkpoint_row(&row)?;
            if latest.size > size || (latest.size == size && latest.text != text) {
                return Err(StoreError::CheckpointRollback {
                    latest: latest.size,
                    offered: size,
                    same_size: latest.size == size,
                });
            }
            if latest.size == size {
                return Ok(());
            }
        }
        tx.execute(&s.insert_checkpoint, &[&key, &text])
            .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn add_cosignatures(&mut self, size: u64, text: &str) -> Result<(), StoreError> {
        let key = int(size, "size")?;
        let database = &self.database;
        let db = |e| backend(database, e);
        let client = self.client.get_mut().map_err(poisoned)?;
        let mut tx = client.transaction().map_err(db)?;
        let row = tx
            .query_opt(
                "SELECT text FROM checkpoints WHERE size = $1 FOR UPDATE",
                &[&key],
            )
            .map_err(db)?;
        let Some(row) = row else {
            return Err(StoreError::NotMoreSignatures {
                size,
                reason: "no checkpoint of that size".into(),
            });
        };
        let stored: String = row.get(0);
        super::check_more_signatures(size, &stored, text)?;
        tx.execute(
            "UPDATE checkpoints SET text = $1 WHERE size = $2",
            &[&text, &key],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }
}
