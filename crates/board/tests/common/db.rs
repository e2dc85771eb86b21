//! One store test, two databases: [`TestDb`] makes a fresh SQLite file or a fresh PostgreSQL
//! database (in the shared throwaway cluster), and [`AnyStore`] is either store behind the
//! `Store` trait, so a test body is written once and run on both.

use std::path::PathBuf;
use std::sync::Arc;

use saylau::election::Leaf;
use saylau::log::tree::{Hash, HashReader};
use saylau_board::store::postgres::PostgresStore;
use saylau_board::store::sqlite::SqliteStore;
use saylau_board::store::{BallotRow, Batch, Head, Store, StoreError, StoredCheckpoint};

use super::pg::{self, Cluster};

/// Either store.
#[derive(Debug)]
pub enum AnyStore {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(Box<PostgresStore>),
}

macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $e,
            AnyStore::Postgres($s) => $e,
        }
    };
}

impl AnyStore {
    /// Opens the store a `--db` argument names: `sqlite:PATH` or a PostgreSQL connection string
    /// (`postgres://…`, or `key=value` pairs).
    pub fn open(db: &str) -> Result<Self, StoreError> {
        match db.strip_prefix("sqlite:") {
            Some(path) => SqliteStore::open(path.as_ref()).map(Self::Sqlite),
            None => PostgresStore::open(db).map(|s| Self::Postgres(Box::new(s))),
        }
    }

    /// Another connection of the same board.
    pub fn another(&self) -> Result<Self, StoreError> {
        match self {
            Self::Sqlite(s) => s.another().map(Self::Sqlite),
            Self::Postgres(s) => s.another().map(|s| Self::Postgres(Box::new(s))),
        }
    }
}

impl HashReader for AnyStore {
    type Error = StoreError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        each!(self, s => s.read_hashes(indexes))
    }
}

impl Store for AnyStore {
    fn head(&self) -> Result<Head, StoreError> {
        each!(self, s => s.head())
    }
    fn append(&mut self, expected_size: u64, batch: &Batch) -> Result<(), StoreError> {
        each!(self, s => s.append(expected_size, batch))
    }
    fn leaf(&self, index: u64) -> Result<Option<Leaf>, StoreError> {
        each!(self, s => s.leaf(index))
    }
    fn ballot_by_hash(&self, ballot_hash: &Hash) -> Result<Option<BallotRow>, StoreError> {
        each!(self, s => s.ballot_by_hash(ballot_hash))
    }
    fn ballot_by_tracking_code(&self, code: &Hash) -> Result<Option<BallotRow>, StoreError> {
        each!(self, s => s.ballot_by_tracking_code(code))
    }
    fn ballots_by_code_prefix(
        &self,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<BallotRow>, StoreError> {
        each!(self, s => s.ballots_by_code_prefix(prefix, limit))
    }
    fn ballots_after(&self, position: u64, limit: usize) -> Result<Vec<BallotRow>, StoreError> {
        each!(self, s => s.ballots_after(position, limit))
    }
    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        each!(self, s => s.latest_checkpoint())
    }
    fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        each!(self, s => s.checkpoint(size))
    }
    fn store_checkpoint(&mut self, size: u64, text: &str) -> Result<(), StoreError> {
        each!(self, s => s.store_checkpoint(size, text))
    }
    fn add_cosignatures(&mut self, size: u64, text: &str) -> Result<(), StoreError> {
        each!(self, s => s.add_cosignatures(size, text))
    }
    // Forwarded, not defaulted, so that each store's own query is what the tests run.
    fn ballots_by_hashes(&self, hashes: &[Hash]) -> Result<Vec<BallotRow>, StoreError> {
        each!(self, s => s.ballots_by_hashes(hashes))
    }
    fn checkpoints_after(
        &self,
        size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        each!(self, s => s.checkpoints_after(size, limit))
    }
    fn leaves(&self, start: u64, count: usize) -> Result<Vec<Leaf>, StoreError> {
        each!(self, s => s.leaves(start, count))
    }
}

/// A fresh, empty database of one kind, removed when dropped.
pub enum TestDb {
    /// A SQLite file in a temporary directory.
    Sqlite {
        /// The directory (removed on drop).
        dir: tempfile::TempDir,
        /// The database file.
        path: PathBuf,
    },
    /// A database of a throwaway PostgreSQL cluster.
    Postgres {
        /// The cluster (stopped when its last user is dropped).
        cluster: Arc<Cluster>,
        /// The database's name.
        name: String,
    },
}

impl TestDb {
    /// A fresh SQLite file.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("board.db");
        Self::Sqlite { dir, path }
    }

    /// A fresh database in the test binary's shared PostgreSQL cluster.
    pub fn postgres() -> Self {
        Self::postgres_in(pg::shared())
    }

    /// A fresh database in `cluster`.
    pub fn postgres_in(cluster: Arc<Cluster>) -> Self {
        let name = cluster.create_database();
        Self::Postgres { cluster, name }
    }

    /// The `--db` argument naming it (see [`AnyStore::open`]).
    pub fn arg(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
            Self::Postgres { cluster, name } => cluster.url(name),
        }
    }

    /// Opens it as the board does.
    pub fn open(&self) -> Result<AnyStore, StoreError> {
        AnyStore::open(&self.arg())
    }

    /// It as the board's `--db` names it.
    pub fn database(&self) -> saylau_board::database::Database {
        use saylau_board::database::Database;
        match self {
            Self::Sqlite { path, .. } => Database::Sqlite(path.clone()),
            Self::Postgres { cluster, name } => Database::parse(&cluster.uri(name)).unwrap(),
        }
    }

    /// Runs SQL on it directly, as an operator would (not through the store).
    pub fn sql(&self, sql: &str) {
        match self {
            Self::Sqlite { path, .. } => rusqlite::Connection::open(path)
                .and_then(|c| c.execute_batch(sql))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Self::Postgres { cluster, name } => cluster.sql(name, sql),
        }
    }

    /// The versions in its `schema_version` table, in order.
    pub fn schema_versions(&self) -> Vec<i64> {
        let sql = "SELECT version FROM schema_version ORDER BY version";
        match self {
            Self::Sqlite { path, .. } => {
                let c = rusqlite::Connection::open(path).unwrap();
                let mut s = c.prepare(sql).unwrap();
                let rows = s.query_map([], |r| r.get(0)).unwrap();
                rows.map(|r| r.unwrap()).collect()
            }
            Self::Postgres { cluster, name } => {
                let mut c = postgres::Client::connect(&cluster.url(name), postgres::NoTls).unwrap();
                c.query(sql, &[])
                    .unwrap()
                    .iter()
                    .map(|r| i64::from(r.get::<_, i32>(0)))
                    .collect()
            }
        }
    }
}

/// Runs a test body on a fresh SQLite file and on a fresh PostgreSQL database: `both!(name,
/// body)` makes `name::sqlite` and `name::postgres`, each calling `body(TestDb)`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$body($crate::common::db::TestDb::sqlite())
            }
            #[test]
            fn postgres() {
                super::$body($crate::common::db::TestDb::postgres())
            }
        }
    };
}
