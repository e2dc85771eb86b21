//! `--read-db`: reads served from a PostgreSQL read replica (a hot standby fed by streaming
//! replication from the board's database), through a `deadpool-postgres` pool. The writer and the
//! checkpoint signer keep their own connections to the primary.
//!
//! A replica lags: it may not have replayed the group a voter was just acknowledged for, nor the
//! checkpoint just published. So a replica answers only what it can answer right (board.md §7.8):
//! a read that needs the tree up to size `n` goes to the replica only once the replica's own head
//! has reached `n`, and an answer of "not there" (no ballot, no checkpoint, a short page) is asked
//! again of the primary. Whatever the replica has replayed is a prefix of the primary's log, so
//! everything it does return is the primary's answer too.
//!
//! Spec: `protocol-spec/board.md` §7.8.

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use deadpool_postgres::{
    Hook, HookError, Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime,
};
use saylau::election::Leaf;
use saylau::log::tree::{Hash, HashReader};
use std::time::Duration;
use tokio::runtime::Handle;

use crate::store::postgres::{
    backend, ballot_row, checkpoint_row, describe, hash_rows, head_row, leaf_range, leaf_rows,
    param as int, parse_config, sql, SCHEMA_VERSION,
};
use crate::store::{BallotRow, Batch, Head, Store, StoreError, StoredCheckpoint};

/// Connections kept to the replica at most.
pub const POOL_SIZE: usize = 16;

/// A read replica: its pool, and how far it is known to have replayed the log.
pub struct Replica {
    pool: Pool,
    database: String,
    replayed: AtomicU64,
    answered: AtomicU64,
    passed_on: AtomicU64,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("database", &self.database)
            .field("replayed", &self.replayed())
            .finish()
    }
}

impl Replica {
    /// A pool for the replica named by `url` (`postgres://…` or `key=value` pairs). Connects
    /// lazily; call [`Replica::check`] to fail early.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let database = describe(&parse_config(url)?);
        // The same string, checked above, as the async client's configuration.
        let config = tokio_postgres::Config::from_str(url).map_err(|e| StoreError::Backend {
            database: database.clone(),
            source: Box::new(e),
        })?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            // A replica that cannot be reached is passed over at once, not waited for.
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(2)))
            // As on the primary (board.md §7.7): plans made for small tables are not reused.
            .post_create(Hook::async_fn(|client, _| {
                Box::pin(async move {
                    client
                        .batch_execute("SET plan_cache_mode = force_custom_plan")
                        .await
                        .map_err(HookError::Backend)
                })
            }))
            .build()
            .map_err(|e| StoreError::Backend {
                database: database.clone(),
                source: Box::new(e),
            })?;
        Ok(Self {
            pool,
            database,
            replayed: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            passed_on: AtomicU64::new(0),
        })
    }

    /// The replica, as `postgres://user@host:port/dbname` (no password).
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Checks at start that the replica can be reached, that its schema is not newer than this
    /// program's, and that it is a copy of `primary`: its latest checkpoint, if it has one, is
    /// the primary's checkpoint of the same size (a replica of another election's database would
    /// otherwise answer for this one). Call on a blocking thread: it waits on `handle`.
    pub fn check(self: &Arc<Self>, handle: Handle, primary: &dyn Store) -> Result<(), StoreError> {
        let conn = handle.block_on(self.connect(handle.clone()))?;
        // No table yet means the replica has not replayed the schema: reads go to the primary
        // until it has.
        let version: Option<i32> = conn
            .rows("SELECT MAX(version) FROM schema_version", &[])
            .ok()
            .and_then(|rows| rows.first().and_then(|r| r.get(0)));
        if let Some(found) = version.filter(|v| *v > SCHEMA_VERSION) {
            return Err(StoreError::SchemaTooNew {
                path: self.database.clone().into(),
                found: i64::from(found),
                known: i64::from(SCHEMA_VERSION),
            });
        }
        if let Some(latest) = conn.latest_checkpoint().ok().flatten() {
            let ours = primary.checkpoint(latest.size)?;
            if ours.as_ref().map(|c| &c.text) != Some(&latest.text) {
                return Err(StoreError::Backend {
                    database: self.database.clone(),
                    source: format!(
                        "--read-db is not a replica of --db: its checkpoint of size {} is not the \
                         board's",
                        latest.size
                    )
                    .into(),
                });
            }
        }
        Ok(())
    }

    /// A connection from the pool, for use on a blocking thread (its calls run on `handle`).
    pub async fn connect(self: &Arc<Self>, handle: Handle) -> Result<ReplicaConn, StoreError> {
        let client = self.pool.get().await.map_err(|e| StoreError::Backend {
            database: self.database.clone(),
            source: Box::new(e),
        })?;
        Ok(ReplicaConn {
            client,
            handle,
            replica: Arc::clone(self),
        })
    }

    /// The largest log size the replica is known to have replayed.
    pub fn replayed(&self) -> u64 {
        self.replayed.load(Ordering::Relaxed)
    }

    /// Reads answered by the replica, and reads it passed on to the primary (it lagged, did not
    /// have the row, or failed).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.answered.load(Ordering::Relaxed),
            self.passed_on.load(Ordering::Relaxed),
        )
    }

    /// Counts one read as answered (`true`) or passed on to the primary.
    pub fn count(&self, answered: bool) {
        let counter = if answered {
            &self.answered
        } else {
            &self.passed_on
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One pooled connection to the replica, read only, used through the [`Store`] trait from a
/// blocking thread.
pub struct ReplicaConn {
    client: Object,
    handle: Handle,
    replica: Arc<Replica>,
}

impl ReplicaConn {
    fn run<T>(
        &self,
        query: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        self.handle
            .block_on(query)
            .map_err(|e| backend(&self.replica.database, e))
    }

    fn rows(
        &self,
        text: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        self.run(async {
            let statement = self.client.prepare_cached(text).await?;
            self.client.query(&statement, params).await
        })
    }

    /// Whether the replica has replayed the log up to `size`: known from an earlier read, or
    /// read now from its head (the head and the rows it covers are written in one transaction).
    pub fn covers(&self, size: u64) -> Result<bool, StoreError> {
        if self.replica.replayed() >= size {
            return Ok(true);
        }
        let head = self.head()?;
        self.replica
            .replayed
            .fetch_max(head.size, Ordering::Relaxed);
        Ok(head.size >= size)
    }

    fn read_only(&self) -> StoreError {
        StoreError::Backend {
            database: self.replica.database.clone(),
            source: "the read replica is read only".into(),
        }
    }
}

impl HashReader for ReplicaConn {
    type Error = StoreError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let keys = indexes
            .iter()
            .map(|&i| int(i, "stored hash index"))
            .collect::<Result<Vec<_>, _>>()?;
        hash_rows(&self.rows(sql::HASHES, &[&keys])?, indexes)
    }
}

impl Store for ReplicaConn {
    fn head(&self) -> Result<Head, StoreError> {
        let rows = self.rows(sql::HEAD, &[])?;
        rows.first().map_or(
            Err(StoreError::Corrupt {
                table: "head",
                index: 0,
                reason: "missing".into(),
            }),
            head_row,
        )
    }

    fn append(&mut self, _expected_size: u64, _batch: &Batch) -> Result<(), StoreError> {
        Err(self.read_only())
    }

    fn leaf(&self, index: u64) -> Result<Option<Leaf>, StoreError> {
        Ok(self.leaves(index, 1)?.pop())
    }

    fn leaves(&self, start: u64, count: usize) -> Result<Vec<Leaf>, StoreError> {
        let (from, to) = leaf_range(start, count)?;
        leaf_rows(&self.rows(sql::LEAVES, &[&from, &to])?, start)
    }

    fn ballot_by_hash(&self, ballot_hash: &Hash) -> Result<Option<BallotRow>, StoreError> {
        let key: &[u8] = ballot_hash;
        self.rows(sql::BALLOT_BY_HASH, &[&key])?
            .first()
            .map(ballot_row)
            .transpose()
    }

    fn ballots_by_hashes(&self, ballot_hashes: &[Hash]) -> Result<Vec<BallotRow>, StoreError> {
        let keys: Vec<&[u8]> = ballot_hashes.iter().map(|h| h.as_slice()).collect();
        self.rows(sql::BALLOTS_BY_HASHES, &[&keys])?
            .iter()
            .map(ballot_row)
            .collect()
    }

    fn ballot_by_tracking_code(
        &self,
        tracking_code: &Hash,
    ) -> Result<Option<BallotRow>, StoreError> {
        let key: &[u8] = tracking_code;
        self.rows(sql::BALLOT_BY_CODE, &[&key])?
            .first()
            .map(ballot_row)
            .transpose()
    }

    fn ballots_after(&self, position: u64, limit: usize) -> Result<Vec<BallotRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(sql::BALLOTS_AFTER, &[&int(position, "position")?, &limit])?
            .iter()
            .map(ballot_row)
            .collect()
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.rows(sql::LATEST_CHECKPOINT, &[])?
            .first()
            .map(checkpoint_row)
            .transpose()
    }

    fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.rows(sql::CHECKPOINT, &[&int(size, "size")?])?
            .first()
            .map(checkpoint_row)
            .transpose()
    }

    fn checkpoints_after(
        &self,
        size: u64,
        limit: usize,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(sql::CHECKPOINTS_AFTER, &[&int(size, "size")?, &limit])?
            .iter()
            .map(checkpoint_row)
            .collect()
    }

    fn store_checkpoint(&mut self, _size: u64, _text: &str) -> Result<(), StoreError> {
        Err(self.read_only())
    }

    fn add_cosignatures(&mut self, _size: u64, _text: &str) -> Result<(), StoreError> {
        Err(self.read_only())
    }

    fn ballots_by_code_prefix(
        &self,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<BallotRow>, StoreError> {
        let (low, high) = crate::store::prefix_range(prefix);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(sql::BALLOTS_BY_CODE_RANGE, &[&&low[..], &&high[..], &limit])?
            .iter()
            .map(ballot_row)
            .collect()
    }
}
