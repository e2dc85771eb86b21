//! The witness's state and its one decision: cosign a checkpoint or refuse it, with the status
//! the C2SP tlog-witness spec gives each refusal (`log.md` §7, `board.md` §11.2).
//!
//! The latest cosigned checkpoint of each log is one row in SQLite (WAL, `synchronous=FULL`).
//! The checks that depend on it and the update run in one `BEGIN IMMEDIATE` transaction, and
//! the update is conditional on the size it was checked against, so two concurrent requests can
//! never roll the witness back (the race of tlog-witness's `add-checkpoint`). A refused
//! checkpoint that the log did sign (a fork, a bad proof) is kept as evidence.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use saylau::log::checkpoint::{Checkpoint, LogKey, SignedCheckpoint};
use saylau::log::note::{Note, SignerKey};
use saylau::log::tree::{check_tree, Hash, TreeBuilder};
use saylau::log::witness::AddCheckpoint;
use thiserror::Error;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS witnessed (
    fingerprint TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    checkpoint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    at INTEGER NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request BLOB NOT NULL
);
";

/// A log the witness follows: one election's.
#[derive(Clone, Debug)]
pub struct WitnessedLog {
    /// The election fingerprint `F`; the origin is `<host>/saylau/<hex F>`.
    pub fingerprint: Hash,
    /// The log key `election.json` names.
    pub log_key: LogKey,
}

/// Why a checkpoint was not cosigned; each maps to one HTTP status (`board.md` §11.2).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 400: the body does not parse.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 400: the old size is above the checkpoint's.
    #[error("old size {old} is above the checkpoint's size {new}")]
    OldAboveNew {
        /// The request's old size.
        old: u64,
        /// The checkpoint's size.
        new: u64,
    },
    /// 403: no signature by the log's key verifies.
    #[error("the checkpoint is not signed by the log key of {origin}: {reason}")]
    BadSignature {
        /// The origin.
        origin: String,
        /// The verifier's reason.
        reason: String,
    },
    /// 404: the witness does not follow this origin.
    #[error("unknown origin {0:?}")]
    UnknownOrigin(String),
    /// 409: the old size is not the size the witness last cosigned, which is `current`.
    #[error("old size {old} is not the size {current} this witness last cosigned")]
    SizeMismatch {
        /// The request's old size.
        old: u64,
        /// The size the witness last cosigned.
        current: u64,
    },
    /// 409: a checkpoint of the size the witness last cosigned, with another root: a fork.
    #[error("the log already signed a checkpoint of size {size} with another root: refusing a second one")]
    RootMismatch {
        /// The size.
        size: u64,
    },
    /// 422: the consistency proof does not verify.
    #[error("the consistency proof from size {old} to {new} does not verify: {reason}")]
    BadProof {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
        /// The reason.
        reason: String,
    },
    /// 500: the witness's own storage failed; nothing was cosigned.
    #[error("witness storage: {0}")]
    Storage(String),
}

impl Refusal {
    /// The HTTP status (tlog-witness).
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(_) | Refusal::OldAboveNew { .. } => 400,
            Refusal::BadSignature { .. } => 403,
            Refusal::UnknownOrigin(_) => 404,
            Refusal::SizeMismatch { .. } | Refusal::RootMismatch { .. } => 409,
            Refusal::BadProof { .. } => 422,
            Refusal::Storage(_) => 500,
        }
    }
}

/// Why the witness's database could not be opened.
#[derive(Debug, Error)]
#[error("witness database {path}: {reason}")]
pub struct OpenError {
    /// The file.
    pub path: PathBuf,
    /// What failed.
    pub reason: String,
}

/// The latest checkpoint cosigned for one log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witnessed {
    /// Its origin.
    pub origin: String,
    /// Its size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The signed note as received.
    pub checkpoint: String,
}

/// A witness: its key, the logs it follows, and its database.
pub struct Witness {
    key: SignerKey,
    logs: Vec<WitnessedLog>,
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("key", &self.key.verifier().to_string())
            .field("logs", &self.logs.len())
            .field("path", &self.path)
            .finish()
    }
}

fn connect(path: &Path) -> Result<Connection, OpenError> {
    let fail = |e: rusqlite::Error| OpenError {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let conn = Connection::open(path).map_err(fail)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(fail)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(fail)?;
    conn.execute_batch("PRAGMA synchronous = FULL;")
        .map_err(fail)?;
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .map_err(fail)?;
    if !mode.eq_ignore_ascii_case("wal") || sync != 2 {
        return Err(OpenError {
            path: path.to_path_buf(),
            reason: format!("journal_mode {mode}, synchronous {sync}: need wal and FULL (2)"),
        });
    }
    Ok(conn)
}

/// The root of the empty tree: what a witness that never cosigned holds.
fn empty_root() -> Hash {
    TreeBuilder::new().root()
}

impl Witness {
    /// Opens (creating if needed) the database at `path` for a witness with `key` following
    /// `logs`.
    pub fn open(path: &Path, key: SignerKey, logs: Vec<WitnessedLog>) -> Result<Self, OpenError> {
        let conn = connect(path)?;
        conn.execute_batch(SCHEMA).map_err(|e| OpenError {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            key,
            logs,
            path: path.to_path_buf(),
            pool: Mutex::new(vec![conn]),
        })
    }

    /// The witness's verifier key.
    pub fn verifier(&self) -> saylau::log::note::VerifierKey {
        self.key.verifier()
    }

    fn take(&self) -> Result<Connection, Refusal> {
        let taken = match self.pool.lock() {
            Ok(mut pool) => pool.pop(),
            Err(poisoned) => poisoned.into_inner().pop(),
        };
        match taken {
            Some(conn) => Ok(conn),
            None => connect(&self.path).map_err(|e| Refusal::Storage(e.to_string())),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut pool) = self.pool.lock() {
            if pool.len() < 16 {
                pool.push(conn);
            }
        }
    }

    /// The latest checkpoint cosigned for the log of fingerprint `f`.
    pub fn latest(&self, f: &Hash) -> Result<Option<Witnessed>, Refusal> {
        let conn = self.take()?;
        let row = read_row(&conn, f);
        self.give_back(conn);
        row
    }

    /// Refused requests kept as evidence: `(status, reason, request body)`, oldest first.
    pub fn evidence(&self, f: &Hash) -> Result<Vec<(u16, String, Vec<u8>)>, Refusal> {
        let conn = self.take()?;
        let rows = (|| {
            let mut stmt = conn.prepare(
                "SELECT status, reason, request FROM refused WHERE fingerprint = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([hex::encode(f)], |r| {
                Ok((r.get::<_, i64>(0)? as u16, r.get(1)?, r.get(2)?))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })()
        .map_err(storage);
        self.give_back(conn);
        rows
    }

    /// `add-checkpoint` (`board.md` §11.2): checks the request, and if every check passes,
    /// records the checkpoint as the latest for its log and returns the cosignature line,
    /// timestamped `now` (seconds since the Unix epoch).
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<String, Refusal> {
        let request = AddCheckpoint::parse(body).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let note =
            Note::parse(&request.checkpoint).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let body = Checkpoint::parse(note.text()).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let origin = body.origin().to_string();
        let log = self
            .log_for(&origin)
            .ok_or_else(|| Refusal::UnknownOrigin(origin.clone()))?;
        let verifier = log
            .log_key
            .verifier(&origin)
            .map_err(|_| Refusal::UnknownOrigin(origin.clone()))?;
        let signed =
            SignedCheckpoint::open(&request.checkpoint, &verifier, &origin).map_err(|e| {
                Refusal::BadSignature {
                    origin: origin.clone(),
                    reason: e.to_string(),
                }
            })?;
        let (old, new) = (request.old_size, signed.checkpoint().size());
        if old > new {
            return Err(Refusal::OldAboveNew { old, new });
        }
        if new > i64::MAX as u64 {
            return Err(Refusal::Malformed(format!("size {new} is above 2^63-1")));
        }
        let mut conn = self.take()?;
        let result = record(&mut conn, &log.fingerprint, &origin, &request, &signed);
        if let Err(refusal @ (Refusal::RootMismatch { .. } | Refusal::BadProof { .. })) = &result {
            // Signed by the log and still refused: evidence of a fork or a broken log.
            let _ = conn.execute(
                "INSERT INTO refused (fingerprint, at, status, reason, request) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    hex::encode(log.fingerprint),
                    now as i64,
                    refusal.status(),
                    refusal.to_string(),
                    body_bytes(&request)
                ],
            );
        }
        self.give_back(conn);
        result?;
        // Cosigned only after the state is durable.
        let line = self
            .key
            .cosign_text(note.text(), now)
            .map_err(|e| Refusal::Storage(e.to_string()))?
            .line();
        Ok(line)
    }

    /// The followed log whose origin this is: `<host>/saylau/<hex F>` with a host name.
    fn log_for(&self, origin: &str) -> Option<&WitnessedLog> {
        let (host, f) = origin.rsplit_once("/saylau/")?;
        if host.is_empty() || host.contains('/') || host.chars().any(char::is_whitespace) {
            return None;
        }
        self.logs.iter().find(|l| hex::encode(l.fingerprint) == f)
    }
}

fn body_bytes(request: &AddCheckpoint) -> Vec<u8> {
    request.encode()
}

fn storage(e: rusqlite::Error) -> Refusal {
    Refusal::Storage(e.to_string())
}

fn read_row(conn: &Connection, f: &Hash) -> Result<Option<Witnessed>, Refusal> {
    let row = conn
        .query_row(
            "SELECT origin, size, root, checkpoint FROM witnessed WHERE fingerprint = ?1",
            [hex::encode(f)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()
        .map_err(storage)?;
    let Some((origin, size, root, checkpoint)) = row else {
        return Ok(None);
    };
    let size = u64::try_from(size).map_err(|_| Refusal::Storage("negative size".into()))?;
    let root: Hash = root
        .try_into()
        .map_err(|_| Refusal::Storage("root is not 32 bytes".into()))?;
    Ok(Some(Witnessed {
        origin,
        size,
        root,
        checkpoint,
    }))
}

/// The checks that depend on the stored state, and the update, in one transaction.
fn record(
    conn: &mut Connection,
    f: &Hash,
    origin: &str,
    request: &AddCheckpoint,
    signed: &SignedCheckpoint,
) -> Result<(), Refusal> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(storage)?;
    let stored = read_row(&tx, f)?;
    if let Some(stored) = &stored {
        if stored.origin != origin {
            // One election, one origin: a second host for the same log would be a second view.
            return Err(Refusal::UnknownOrigin(format!(
                "{origin} (this witness follows election {} at {})",
                hex::encode(f),
                stored.origin
            )));
        }
    }
    let (current, current_root) = stored
        .as_ref()
        .map_or((0, empty_root()), |s| (s.size, s.root));
    let (old, new, root) = (
        request.old_size,
        signed.checkpoint().size(),
        *signed.checkpoint().root(),
    );
    if old != current {
        return Err(Refusal::SizeMismatch { old, current });
    }
    if old == new {
        if root != current_root {
            return Err(Refusal::RootMismatch { size: new });
        }
        if !request.proof.is_empty() {
            return Err(Refusal::BadProof {
                old,
                new,
                reason: "a proof between equal sizes must be empty".into(),
            });
        }
    } else if old > 0 {
        check_tree(&request.proof, new, &root, old, &current_root).map_err(|e| {
            Refusal::BadProof {
                old,
                new,
                reason: e.to_string(),
            }
        })?;
    }
    let text = signed.to_string();
    let changed = match stored {
        Some(_) => tx.execute(
            "UPDATE witnessed SET size = ?1, root = ?2, checkpoint = ?3 WHERE fingerprint = ?4 AND size = ?5",
            params![new as i64, root.as_slice(), text, hex::encode(f), old as i64],
        ),
        None => tx.execute(
            "INSERT INTO witnessed (fingerprint, origin, size, root, checkpoint) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hex::encode(f), origin, new as i64, root.as_slice(), text],
        ),
    }
    .map_err(storage)?;
    if changed != 1 {
        return Err(Refusal::Storage(format!(
            "the update of size {old} changed {changed} rows"
        )));
    }
    tx.commit().map_err(storage)
}
