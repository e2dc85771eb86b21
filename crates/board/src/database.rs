//! `--db`: which store the board runs on, parsed in one place so another database is one more
//! arm of [`Database`].
//!
//! Spec: `protocol-spec/board.md` §7 (the store), §8.7 (the command line).

use std::path::PathBuf;
use std::sync::Mutex;

use thiserror::Error;

use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, StoreError};

/// A database named by `--db`.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// `sqlite:PATH`: one SQLite file (created if missing).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`: a PostgreSQL database (board.md §7.7). The string
    /// is kept as given, password included, and never printed: errors name the database
    /// without it.
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            // The URL may carry a password.
            Self::Postgres(_) => f.write_str("Postgres(<connection string redacted>)"),
        }
    }
}

/// Why `--db` was refused.
#[derive(Debug, Error)]
#[error("--db {given:?}: {reason}")]
pub struct DatabaseSpecError {
    /// What was given.
    pub given: String,
    /// What is wrong.
    pub reason: String,
}

impl Database {
    /// Parses `--db`: `sqlite:PATH`, or a PostgreSQL connection URL.
    pub fn parse(spec: &str) -> Result<Self, DatabaseSpecError> {
        let bad = |reason: &str| DatabaseSpecError {
            given: spec.to_string(),
            reason: reason.to_string(),
        };
        match spec.split_once(':') {
            Some(("sqlite", path)) if !path.is_empty() => Ok(Self::Sqlite(PathBuf::from(
                path.strip_prefix("//").unwrap_or(path),
            ))),
            Some(("sqlite", _)) => Err(bad("sqlite: needs a file path, as in sqlite:board.db")),
            Some(("postgres" | "postgresql", rest)) if rest.starts_with("//") => {
                Ok(Self::Postgres(spec.to_string()))
            }
            _ => Err(bad(
                "expected sqlite:PATH or postgres://USER@HOST[:PORT]/DATABASE",
            )),
        }
    }

    /// Opens the database for the one board that may write it, and returns what makes its
    /// connections.
    pub fn open(&self) -> Result<Box<dyn Connector>, StoreError> {
        match self {
            Self::Sqlite(path) => Ok(Box::new(SqliteConnector(Mutex::new(SqliteStore::open(
                path,
            )?)))),
            Self::Postgres(url) => Ok(Box::new(PostgresConnector(Mutex::new(
                PostgresStore::open(url)?,
            )))),
        }
    }
}

/// Makes connections to one opened database: one for the sequencer, one for the checkpoint
/// signer, and one per concurrent reader.
pub trait Connector: Send + Sync {
    /// A new connection.
    fn connect(&self) -> Result<Box<dyn Store + Send>, StoreError>;
}

struct SqliteConnector(Mutex<SqliteStore>);

/// The first connection holds the advisory lock (board.md §7.7); each further one is opened
/// under it.
struct PostgresConnector(Mutex<PostgresStore>);

impl Connector for PostgresConnector {
    fn connect(&self) -> Result<Box<dyn Store + Send>, StoreError> {
        let first = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        Ok(Box::new(first.another()?))
    }
}

impl Connector for SqliteConnector {
    fn connect(&self) -> Result<Box<dyn Store + Send>, StoreError> {
        let first = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        Ok(Box::new(first.another()?))
    }
}
