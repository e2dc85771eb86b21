//! The board as an HTTP service (axum on tokio): the state every handler shares, starting and
//! stopping the board, and its routes.
//!
//! Spec: `protocol-spec/board.md` §8 (the API), §7 (the log under it).
//!
//! - [`error`]: every refusal as JSON;
//! - [`submit`]: `POST /v1/ballots` and `POST /v1/challenged`;
//! - [`commission`]: the commission's signed `POST /v1/close` and `POST /v1/publish`;
//! - [`reads`]: proofs, receipts, pages, checkpoints, the export, the record's files;
//! - [`tiles`]: the tlog-tiles read API under `/log/`;
//! - [`limits`]: per-address rate limit, request timeout, one ballot in flight per credential;
//! - [`openapi`]: the API's OpenAPI 3.1 description.

pub mod commission;
pub mod error;
pub mod limits;
pub mod openapi;
pub mod reads;
pub mod submit;
pub mod tiles;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use saylau::election::{BoardKey, Election, ElectionError};
use saylau::log::tree::Hash;
use saylau::record::{self, Record, RecordError};
use thiserror::Error;
use tokio::net::TcpListener;

use crate::checkpoints::{origin, Checkpointer, CheckpointerError, Published};
use crate::database::{Connector, Database};
use crate::keys::{BoardKeys, KeysError};
use crate::mirror::TileMirror;
use crate::replica::Replica;
use crate::sequencer::{Grouping, Sequencer, Submitter};
use crate::store::{Store, StoreError};
use crate::verify::{BatchPolicy, ProofContext, Verifier};
use crate::witnesses::{Cosigned, Witnesses};
use error::ApiError;
use limits::{InFlight, RateLimiter};

/// Largest request body the board reads (board.md §8.5): a ballot of the largest manifests is
/// well under it.
pub const MAX_BODY: usize = 256 * 1024;

/// How the board serves.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Requests per second allowed per client address (board.md §8.5); 0 turns the limit off.
    pub per_ip_rps: u32,
    /// A new checkpoint is signed this often while the tree grows (at most 1 s).
    pub checkpoint_every: Duration,
    /// How ballots' proofs are grouped for the batch verifier.
    pub batch: BatchPolicy,
    /// How the sequencer groups appends.
    pub grouping: Grouping,
    /// A request that takes longer is answered 503 `timeout` (nothing of it is acknowledged).
    pub request_timeout: Duration,
    /// A client that has not sent a request's whole header within this time is disconnected.
    pub header_timeout: Duration,
    /// The witnesses' URLs (their `add-checkpoint` is under each), board.md §11.3.
    pub witness_urls: Vec<String>,
    /// `--read-db`: a PostgreSQL read replica of the store that serves lookups, proofs, tiles
    /// and pages (board.md §7.8).
    pub read_db: Option<Database>,
    /// `--tile-dir`: where full tiles, bundles and the checkpoint are mirrored as files
    /// (board.md §8.11).
    pub tile_dir: Option<PathBuf>,
    /// Sign checkpoints on the timer (`checkpoint_every`, board.md §7.6). When false, the board
    /// signs only when [`RunningBoard::sign_checkpoint`] is called, at sizes its caller chooses
    /// (`saylau demo --seed`, whose record is reproducible byte for byte, board.md §8.12).
    pub timed_checkpoints: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            per_ip_rps: 20,
            checkpoint_every: Duration::from_millis(500),
            batch: BatchPolicy::default(),
            grouping: Grouping::default(),
            request_timeout: Duration::from_secs(30),
            header_timeout: limits::HEADER_TIMEOUT,
            witness_urls: Vec::new(),
            read_db: None,
            tile_dir: None,
            timed_checkpoints: true,
        }
    }
}

/// Why the board did not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// The record.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The election on the record.
    #[error(transparent)]
    Election(#[from] ElectionError),
    /// The key file.
    #[error(transparent)]
    Keys(#[from] KeysError),
    /// The key file is another election's.
    #[error(
        "the key file's receipt key is not the board key in {0}: it belongs to another election"
    )]
    WrongKeys(PathBuf),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The checkpoint signer refused the store.
    #[error(transparent)]
    Checkpoints(#[from] CheckpointerError),
    /// The listening socket.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The record's four public files, served byte for byte.
#[derive(Debug)]
pub struct RecordFiles {
    /// `manifest.json`.
    pub manifest: Vec<u8>,
    /// `ceremony.json`.
    pub ceremony: Vec<u8>,
    /// `credentials.json`.
    pub credentials: Vec<u8>,
    /// `election.json`.
    pub election: Vec<u8>,
}

/// Read connections, reused across requests: to the store, and to its read replica if any.
pub struct Readers {
    // Both hold database connections, and closing one blocks (PostgreSQL's client even runs a
    // runtime of its own, which panics on an async thread): `Drop` closes them on a plain thread.
    connector: Option<Arc<dyn Connector>>,
    idle: Mutex<Vec<Box<dyn Store + Send>>>,
    replica: Option<Arc<Replica>>,
}

impl Drop for Readers {
    fn drop(&mut self) {
        let connector = self.connector.take();
        let idle = std::mem::take(match self.idle.get_mut() {
            Ok(idle) => idle,
            Err(poisoned) => poisoned.into_inner(),
        });
        // Closed on a plain thread (PostgreSQL's client cannot close inside a runtime), and
        // waited for: once the board is dropped its database, and SQLite's lock file, are free
        // for a restart in the same process.
        if let Ok(closing) = std::thread::Builder::new()
            .name("board-readers-close".into())
            .spawn(move || drop((connector, idle)))
        {
            let _ = closing.join();
        }
    }
}

/// Idle read connections kept.
const IDLE_READERS: usize = 16;

impl Readers {
    /// Readers of the store `connector` opens, and of `replica` if given.
    pub fn new(connector: Arc<dyn Connector>, replica: Option<Arc<Replica>>) -> Self {
        Self {
            connector: Some(connector),
            idle: Mutex::new(Vec::new()),
            replica,
        }
    }

    /// The read replica, if the board has one.
    pub fn replica(&self) -> Option<&Arc<Replica>> {
        self.replica.as_ref()
    }

    /// Runs `f` on the read replica if there is one and it has replayed the log up to
    /// `covering` leaves, and keeps its answer if `complete` says a copy that lags could not have
    /// answered otherwise (a row found, a full page). If there is no replica, if it lags, fails,
    /// or its answer may be cut short ("no such ballot", a short page), runs `f` on the store
    /// (board.md §7.8). What the replica holds is a prefix of the store, so an answer it gives
    /// in full is the store's answer too.
    pub async fn read_replica<R, F, C>(
        self: &Arc<Self>,
        covering: u64,
        f: F,
        complete: C,
    ) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: Fn(&(dyn Store + Send)) -> Result<R, ApiError> + Send + Sync + 'static,
        C: Fn(&R) -> bool + Send + 'static,
    {
        let f = Arc::new(f);
        if let Some(replica) = &self.replica {
            let answer = match replica.connect(tokio::runtime::Handle::current()).await {
                Ok(conn) => {
                    let on_replica = Arc::clone(&f);
                    tokio::task::spawn_blocking(move || match conn.covers(covering) {
                        Ok(true) => on_replica(&conn).ok().filter(|r| complete(r)),
                        _ => None,
                    })
                    .await
                    .ok()
                    .flatten()
                }
                Err(_) => None,
            };
            replica.count(answer.is_some());
            if let Some(answer) = answer {
                return Ok(answer);
            }
        }
        self.read(move |store| f(store)).await
    }

    /// Runs `f` on a read connection to the store, on a blocking thread.
    pub async fn read<R, F>(self: &Arc<Self>, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&(dyn Store + Send)) -> Result<R, ApiError> + Send + 'static,
    {
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let taken = match readers.idle.lock() {
                Ok(mut idle) => idle.pop(),
                Err(poisoned) => poisoned.into_inner().pop(),
            };
            let conn = match taken {
                Some(conn) => conn,
                None => match &readers.connector {
                    Some(connector) => connector
                        .connect()
                        .map_err(|e| ApiError::unavailable(format!("the store: {e}")))?,
                    None => return Err(ApiError::unavailable("the board is closing")),
                },
            };
            let result = f(conn.as_ref());
            if let Ok(mut idle) = readers.idle.lock() {
                if idle.len() < IDLE_READERS {
                    idle.push(conn);
                }
            }
            result
        })
        .await
        .map_err(|_| ApiError::unavailable("a read failed"))?
    }
}

/// What every handler shares.
pub struct Board {
    /// The election (manifest, credentials, `election.json`).
    pub election: Election,
    /// The listed credentials.
    pub listed: HashSet<[u8; 32]>,
    /// The record's public files.
    pub files: RecordFiles,
    /// The record folder (for the export).
    pub record_dir: PathBuf,
    /// The receipt key `B`.
    pub receipt_key: BoardKey,
    /// The sequencer's queue.
    pub submitter: Submitter,
    /// The batch verifier.
    pub verifier: Verifier,
    /// Read connections.
    pub readers: Arc<Readers>,
    /// The latest signed checkpoint.
    pub published: Published,
    /// The latest checkpoint with the witness policy's quorum (board.md §11.3).
    pub cosigned: Cosigned,
    /// Credentials with a ballot being processed.
    pub in_flight: InFlight,
    /// The tree's upper stored hashes, kept for the proofs.
    pub hash_cache: reads::HashCache,
    /// The receipt page's index of revotes.
    pub revotes: crate::page::Revotes,
}

impl Board {
    /// The election fingerprint `F`.
    pub fn fingerprint(&self) -> &Hash {
        self.election.fingerprint()
    }
}

/// A board that is serving. Stop it with [`RunningBoard::shutdown`].
pub struct RunningBoard {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The log's origin.
    pub origin: String,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    checkpoints: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
    // Holds a store connection: stopped and dropped on a blocking thread (see `Readers`).
    witnesses: Option<Arc<Witnesses>>,
    mirror: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
    signer: Arc<Signer>,
    board: Arc<Board>,
    sequencer: Option<Sequencer>,
}

/// The checkpoint signer and its store connection, shared by the timer and
/// [`RunningBoard::sign_checkpoint`]. Closing the connection blocks (PostgreSQL's client even
/// runs a runtime of its own): `Drop` closes it on a plain thread, as [`Readers`] does.
struct Signer(Option<Mutex<(Checkpointer, Box<dyn Store + Send>)>>);

impl Signer {
    /// Runs `f` on the signer and its store.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut Checkpointer, &mut Box<dyn Store + Send>) -> R,
    ) -> Option<R> {
        let mut guard = match self.0.as_ref()?.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (checkpointer, store) = &mut *guard;
        Some(f(checkpointer, store))
    }
}

impl Drop for Signer {
    fn drop(&mut self) {
        if let Some(inner) = self.0.take() {
            if let Ok(closing) = std::thread::Builder::new()
                .name("board-signer-close".into())
                .spawn(move || drop(inner))
            {
                let _ = closing.join();
            }
        }
    }
}

impl RunningBoard {
    /// Stops taking requests, lets those in progress finish, stops the checkpoint signer and
    /// the sequencer.
    pub async fn shutdown(mut self) -> Result<(), StoreError> {
        let _ = self.stop.send(true);
        let _ = (&mut self.server).await;
        // The signer first (it signs what was acknowledged), then the mirror (it mirrors that).
        for (flag, thread) in [self.checkpoints.take(), self.mirror.take()]
            .into_iter()
            .flatten()
        {
            flag.store(true, Ordering::SeqCst);
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        if let Some(witnesses) = self.witnesses.take() {
            let _ = tokio::task::spawn_blocking(move || {
                witnesses.stop();
                drop(witnesses);
            })
            .await;
        }
        // The signer's connection is closed before this returns (the timer's thread, which
        // shared it, has ended), so that a restart finds the database's lock free.
        let signer = self.signer;
        let _ = tokio::task::spawn_blocking(move || {
            if let Ok(mut signer) = Arc::try_unwrap(signer) {
                drop(signer.0.take());
            }
        })
        .await;
        drop(self.board);
        match self.sequencer.take() {
            Some(sequencer) => tokio::task::spawn_blocking(move || sequencer.shutdown())
                .await
                .unwrap_or(Ok(())),
            None => Ok(()),
        }
    }

    /// Waits until the server stops (on its own only after an I/O error).
    pub async fn wait(mut self) -> std::io::Result<()> {
        match (&mut self.server).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Signs a checkpoint now if the tree grew since the last one (board.md §7.6), and returns
    /// the size of the latest signed checkpoint. It blocks on the store: call it from a plain
    /// thread (or `spawn_blocking`), not from an async task.
    pub fn sign_checkpoint(&self) -> Result<Option<u64>, CheckpointerError> {
        let signed = self.signer.with(|checkpointer, store| {
            let new = checkpointer.tick(store)?;
            Ok::<_, CheckpointerError>((new, checkpointer.latest().map(|c| c.checkpoint().size())))
        });
        let (new, size) = signed.unwrap_or(Ok((None, None)))?;
        // Offered to the witnesses as the timer's are (board.md §11.3).
        if let (Some(new), Some(witnesses)) = (new, &self.witnesses) {
            witnesses.offer(new);
        }
        Ok(size)
    }

    /// The shared state (for tests and the in-repo measurement).
    pub fn board(&self) -> &Arc<Board> {
        &self.board
    }
}

/// Reads the record's public files and the election they define.
fn read_record(dir: &Path) -> Result<(Election, RecordFiles), StartError> {
    let record = Record::at(dir);
    // The points were decoded when the election was opened, and a listed encoding that does
    // not decode never matches a ballot's strictly decoded credential: a restart does not pay
    // for a million decompressions (board.md §7.8).
    let election = Election::open_without_checking_credential_points(&record)?;
    let files = RecordFiles {
        manifest: record.bytes(record::MANIFEST)?,
        ceremony: record.bytes(record::CEREMONY)?,
        credentials: record.bytes(record::CREDENTIALS)?,
        election: record.bytes(record::ELECTION)?,
    };
    Ok((election, files))
}

/// Starts the board on `listener`: opens the record and the store, checks the keys are this
/// election's, starts the sequencer, the checkpoint signer and the verifier, then serves.
/// Must be called inside a tokio runtime.
pub async fn start(
    record_dir: &Path,
    database: &Database,
    keys: &BoardKeys,
    config: ServeConfig,
    listener: TcpListener,
) -> Result<RunningBoard, StartError> {
    let (election, files) = read_record(record_dir)?;
    let receipt_key = keys.receipt_key();
    if receipt_key.public() != election.info.board_key
        || keys.log_key().public() != election.info.log_key
    {
        return Err(StartError::WrongKeys(record_dir.join(record::ELECTION)));
    }
    let fingerprint = *election.fingerprint();
    let log_origin = origin(keys.host(), &fingerprint);
    let log_key = keys.log_signer(&fingerprint)?;

    // Every store call blocks (PostgreSQL's client even runs a runtime of its own, which
    // cannot start inside this one): open, read back and start off the async threads.
    let database = database.clone();
    let origin_for_signer = log_origin.clone();
    let grouping = config.grouping;
    let policy = election.info.witness_policy.clone();
    let witness_urls = config.witness_urls.clone();
    let log_verifier = log_key.verifier();
    let read_db = config.read_db.clone();
    let handle = tokio::runtime::Handle::current();
    let tile_dir = config.tile_dir.clone();
    let (connector, signer_store, checkpointer, sequencer, witnesses, replica, mirror) =
        tokio::task::spawn_blocking(move || -> Result<_, StartError> {
            // Everything here is dropped on this thread if a step fails: a connection must not
            // be closed on an async thread.
            let connector: Arc<dyn Connector> = Arc::from(database.open()?);
            let signer_store = connector.connect()?;
            let checkpointer =
                Checkpointer::open(&*signer_store, origin_for_signer.clone(), log_key)?;
            let mirror = match tile_dir {
                None => None,
                Some(dir) => {
                    let signed = checkpointer.latest().map_or(0, |c| c.checkpoint().size());
                    let mirror = TileMirror::open(&dir, &origin_for_signer, signed)?;
                    Some((mirror, connector.connect()?))
                }
            };
            let replica = match read_db {
                None => None,
                Some(Database::Postgres(url)) => {
                    let replica = Arc::new(Replica::new(&url)?);
                    replica.check(handle, &*signer_store)?;
                    Some(replica)
                }
                Some(Database::Sqlite(path)) => {
                    return Err(StartError::Store(StoreError::Backend {
                        database: path.display().to_string(),
                        source: "--read-db takes a PostgreSQL replica (postgres://…); a SQLite \
                                 board reads its own file"
                            .into(),
                    }))
                }
            };
            let sequencer = Sequencer::start(connector.connect()?, fingerprint, grouping)?;
            let witnesses = Witnesses::start(
                &policy,
                &witness_urls,
                &connector,
                log_verifier,
                origin_for_signer,
                checkpointer.latest().cloned(),
            )?;
            Ok((
                connector,
                signer_store,
                checkpointer,
                sequencer,
                witnesses,
                replica,
                mirror,
            ))
        })
        .await
        .map_err(|e| StoreError::Io {
            path: "open".into(),
            source: std::io::Error::other(e),
        })??;
    let published = checkpointer.published();
    let witnesses = Arc::new(witnesses);

    let context = Arc::new(ProofContext {
        manifest: election.manifest.clone(),
        fingerprint,
        key: *election.key(),
    });
    let board = Arc::new(Board {
        listed: election.credentials.iter().copied().collect(),
        election,
        files,
        record_dir: record_dir.to_path_buf(),
        receipt_key,
        submitter: sequencer.submitter(),
        verifier: Verifier::start(context, config.batch),
        readers: Arc::new(Readers::new(Arc::clone(&connector), replica)),
        published,
        cosigned: witnesses.cosigned(),
        in_flight: InFlight::default(),
        hash_cache: reads::HashCache::default(),
        revotes: crate::page::Revotes::default(),
    });
    let signer = Arc::new(Signer(Some(Mutex::new((checkpointer, signer_store)))));
    let checkpoints = match config.timed_checkpoints {
        true => Some(spawn_checkpoints(
            Arc::clone(&signer),
            config.checkpoint_every,
            Arc::clone(&witnesses),
        )?),
        false => None,
    };
    let mirror = match mirror {
        None => None,
        Some((mirror, store)) => Some(spawn_mirror(
            mirror,
            store,
            board.published.clone(),
            config.checkpoint_every,
        )?),
    };

    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: "the listener".into(),
        source,
    })?;
    let app = router(Arc::clone(&board), &config);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // Not axum::serve: its connections have no header read timeout (limits.rs).
    let server = tokio::spawn(limits::serve(listener, app, stopped, config.header_timeout));
    Ok(RunningBoard {
        addr,
        origin: log_origin,
        stop,
        server,
        checkpoints,
        signer,
        witnesses: Some(witnesses),
        mirror,
        board,
        sequencer: Some(sequencer),
    })
}

/// The checkpoint signer's thread: signs when the tree grew, every `every`
/// (board.md §7.6), and offers each new one to the witnesses (§11.3). A failed attempt is
/// reported and retried; nothing unsigned is served.
fn spawn_checkpoints(
    signer: Arc<Signer>,
    every: Duration,
    witnesses: Arc<Witnesses>,
) -> Result<(Arc<AtomicBool>, JoinHandle<()>), StartError> {
    let tick = move || {
        signer
            .with(|checkpointer, store| checkpointer.tick(store))
            .unwrap_or(Ok(None))
            .map(|signed| {
                if let Some(signed) = signed {
                    witnesses.offer(signed);
                }
            })
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let every = every.min(Duration::from_secs(1));
    let thread = std::thread::Builder::new()
        .name("board-checkpoints".into())
        .spawn(move || {
            let mut last_error = String::new();
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(every);
                match tick() {
                    Ok(()) => last_error.clear(),
                    Err(e) => {
                        // Said once per distinct failure; it names no client.
                        let text = e.to_string();
                        if text != last_error {
                            eprintln!("board: checkpoint not signed: {text}");
                            last_error = text;
                        }
                    }
                }
            }
            // A last checkpoint on the way out, so what was acknowledged is signed.
            let _ = tick();
        })
        .map_err(|source| StartError::Listen {
            addr: "board-checkpoints thread".into(),
            source,
        })?;
    Ok((stop, thread))
}

/// The tile mirror's thread (board.md §8.11): each time a new checkpoint is published (it is
/// stored before it is published), writes the full tiles it covers, then `DIR/checkpoint`.
fn spawn_mirror(
    mut mirror: TileMirror,
    store: Box<dyn Store + Send>,
    published: Published,
    every: Duration,
) -> Result<(Arc<AtomicBool>, JoinHandle<()>), StartError> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let every = every.min(Duration::from_secs(1));
    let thread = std::thread::Builder::new()
        .name("board-tile-mirror".into())
        .spawn(move || {
            let mut last_error = String::new();
            let mut sync = |last_error: &mut String| {
                let Some(signed) = published.get() else {
                    return;
                };
                match mirror.sync(&*store, &signed) {
                    Ok(_) => last_error.clear(),
                    Err(e) => {
                        let text = e.to_string();
                        if text != *last_error {
                            eprintln!("board: tile mirror {}: {text}", mirror.dir().display());
                            *last_error = text;
                        }
                    }
                }
            };
            while !flag.load(Ordering::SeqCst) {
                sync(&mut last_error);
                std::thread::sleep(every);
            }
            sync(&mut last_error);
        })
        .map_err(|source| StartError::Listen {
            addr: "board-tile-mirror thread".into(),
            source,
        })?;
    Ok((stop, thread))
}

/// The board's routes (board.md §8.1).
pub fn router(board: Arc<Board>, config: &ServeConfig) -> Router {
    let limiter = Arc::new(RateLimiter::new(config.per_ip_rps));
    Router::new()
        .route(
            "/v1/ballots",
            post(submit::post_ballot).get(reads::ballots_page),
        )
        .route("/v1/challenged", post(submit::post_challenged))
        .route("/v1/close", post(commission::post_close))
        .route(
            "/v1/publish",
            post(commission::post_publish)
                .layer(DefaultBodyLimit::max(commission::MAX_PUBLISH_BODY)),
        )
        .route("/v1/ballots/{hash}", get(reads::ballot_by_hash))
        .route("/v1/receipts/{code}", get(reads::receipt_by_code))
        .route("/v1/proof/{index}", get(reads::proof))
        .route("/v1/consistency", get(reads::consistency))
        .route("/v1/checkpoints", get(reads::checkpoints))
        .route("/v1/tlog-proof/{index}", get(crate::witnesses::tlog_proof))
        .route("/v1/export", get(reads::export))
        .route("/v1/election/{file}", get(reads::record_file))
        .route("/v1/openapi.json", get(openapi::openapi_json))
        .route("/log/checkpoint", get(tiles::checkpoint))
        .route("/log/tile/{*path}", get(tiles::tile))
        .route("/healthz", get(|| async { "ok" }))
        // The receipt page (board.md §10).
        .route("/", get(crate::page::index))
        .route("/r", get(crate::page::check_query))
        .route("/r/{code}", get(crate::page::check_path))
        .route("/results.svg", get(crate::page::results_svg))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            limits::Limits {
                rate: limiter,
                timeout: config.request_timeout,
            },
            limits::limit,
        ))
        .with_state(board)
}
