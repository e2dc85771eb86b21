//! The read endpoints: inclusion and consistency proofs, receipts, pages of ballots, the signed
//! checkpoints, the export and the record's public files.
//!
//! Spec: `protocol-spec/board.md` §8.1, §8.8.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use saylau::log::tree::{
    prove_record, prove_tree, split_stored_hash_index, Hash, HashReader, ProveError,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{parse_hash, ApiError};
use super::submit::receipt_for;
use super::Board;
use crate::store::{Store, StoreError};

/// Stored hashes at this level and above (subtrees of 256 leaves or more) are kept in memory
/// once read: they are never rewritten (log.md §2.3), every proof reads the top ones, and there
/// are at most one for every 128 leaves (about 100,000 hashes, 3 MB, at 12 million leaves).
const CACHED_LEVEL: u8 = 8;
/// The most hashes the cache keeps; past it, nothing more is added.
const CACHE_MAX: usize = 1 << 20;

/// The upper stored hashes of the tree, shared by every proof the board serves.
#[derive(Debug, Default)]
pub struct HashCache(RwLock<HashMap<u64, Hash>>);

/// A store read through the cache of upper stored hashes.
struct Cached<'a> {
    store: &'a (dyn Store + Send),
    cache: &'a HashCache,
}

impl HashReader for Cached<'_> {
    type Error = StoreError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let mut out: Vec<Option<Hash>> = {
            let cache = match self.cache.0.read() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            indexes.iter().map(|i| cache.get(i).copied()).collect()
        };
        let missing: Vec<u64> = indexes
            .iter()
            .zip(&out)
            .filter(|(_, h)| h.is_none())
            .map(|(i, _)| *i)
            .collect();
        if missing.is_empty() {
            return Ok(out.into_iter().flatten().collect());
        }
        let read = self.store.read_hashes(&missing)?;
        if read.len() != missing.len() {
            return Err(StoreError::Corrupt {
                table: "hashes",
                index: missing[0],
                reason: format!("asked {} hashes, got {}", missing.len(), read.len()),
            });
        }
        let mut fresh = read.iter();
        for slot in out.iter_mut().filter(|h| h.is_none()) {
            *slot = fresh.next().copied();
        }
        let upper: Vec<(u64, Hash)> = missing
            .iter()
            .zip(&read)
            .filter(|(i, _)| split_stored_hash_index(**i).0 >= CACHED_LEVEL)
            .map(|(i, h)| (*i, *h))
            .collect();
        if !upper.is_empty() {
            let mut cache = match self.cache.0.write() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            if cache.len() < CACHE_MAX {
                cache.extend(upper);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves, the upper hashes from the
/// cache.
fn prove_cached(
    store: &(dyn Store + Send),
    cache: &HashCache,
    size: u64,
    index: u64,
) -> Result<Vec<Hash>, ApiError> {
    prove_record(size, index, &Cached { store, cache }).map_err(prove_error)
}

fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::malformed(format!("the query string: {}", e.body_text()))
}

fn store_error(e: StoreError) -> ApiError {
    ApiError::unavailable(format!("the store: {e}"))
}

fn prove_error(e: ProveError<StoreError>) -> ApiError {
    match e {
        ProveError::Read(e) => store_error(e),
        ProveError::Tree(e) => ApiError::malformed(e.to_string()),
    }
}

/// `?size=N`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SizeQuery {
    /// The size of a signed checkpoint; omitted, the latest.
    pub size: Option<u64>,
}

/// An inclusion proof with the checkpoint it leads to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProofAnswer {
    /// The leaf index.
    pub index: u64,
    /// The checkpoint's tree size.
    pub size: u64,
    /// The signed checkpoint (signed-note text).
    pub checkpoint: String,
    /// The inclusion proof, leaf side first (hex).
    pub inclusion: Vec<String>,
}

fn not_in_checkpoint(index: u64, size: u64) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_in_checkpoint",
        format!("leaf {index} is not in a signed checkpoint yet (latest signed size {size}); ask again in a second"),
    )
}

/// `GET /v1/proof/{index}?size=N`.
#[utoipa::path(get, path = "/v1/proof/{index}", params(("index" = u64, Path, description = "leaf index"), SizeQuery),
    responses((status = 200, body = ProofAnswer), (status = 404, description = "not_in_checkpoint, no_checkpoint", body = super::error::ErrorBody)))]
pub async fn proof(
    State(board): State<Arc<Board>>,
    Path(index): Path<String>,
    query: Result<Query<SizeQuery>, QueryRejection>,
) -> Result<Json<ProofAnswer>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::malformed(format!("leaf index {index:?} is not a number")))?;
    let latest = board.published.get();
    let latest_size = latest.as_ref().map_or(0, |c| c.checkpoint().size());
    let (size, text) = match query.size {
        None => match &latest {
            Some(c) if index < latest_size => (
                latest_size,
                String::from_utf8_lossy(&c.to_bytes()).into_owned(),
            ),
            _ => return Err(not_in_checkpoint(index, latest_size)),
        },
        Some(size) => {
            if index >= size {
                return Err(ApiError::malformed(format!(
                    "leaf {index} is not in a tree of size {size}"
                ))
                .field("size"));
            }
            // board.md §7.8: on a replica, a checkpoint not there yet is asked of the store.
            let stored = board
                .readers
                .read_replica(
                    0,
                    move |store| store.checkpoint(size).map_err(store_error),
                    Option::is_some,
                )
                .await?;
            match stored {
                Some(c) => (size, c.text),
                None => return Err(no_checkpoint(size)),
            }
        }
    };
    let cache = Arc::clone(&board);
    let inclusion = board
        .readers
        .read_replica(
            size,
            move |store| prove_cached(store, &cache.hash_cache, size, index),
            |_| true,
        )
        .await?;
    Ok(Json(ProofAnswer {
        index,
        size,
        checkpoint: text,
        inclusion: inclusion.iter().map(hex::encode).collect(),
    }))
}

/// `?from=M&to=N`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ConsistencyQuery {
    /// The older size.
    pub from: u64,
    /// The newer size.
    pub to: u64,
}

/// A consistency proof.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyAnswer {
    /// The older size.
    pub from: u64,
    /// The newer size.
    pub to: u64,
    /// The proof (hex).
    pub consistency: Vec<String>,
}

/// `GET /v1/consistency?from=M&to=N`.
#[utoipa::path(get, path = "/v1/consistency", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyAnswer), (status = 400, body = super::error::ErrorBody)))]
pub async fn consistency(
    State(board): State<Arc<Board>>,
    query: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<ConsistencyAnswer>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let latest = board.published.get().map_or(0, |c| c.checkpoint().size());
    let ConsistencyQuery { from, to } = query;
    if from > to || to > latest {
        return Err(ApiError::malformed(format!(
            "need from ≤ to ≤ {latest} (the latest signed size); got from={from}, to={to}"
        )));
    }
    let proof = board
        .readers
        .read_replica(
            to,
            move |store| prove_tree(to, from, store).map_err(prove_error),
            |_| true,
        )
        .await?;
    Ok(Json(ConsistencyAnswer {
        from,
        to,
        consistency: proof.iter().map(hex::encode).collect(),
    }))
}

/// `?proof=true&size=N`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReceiptQuery {
    /// Also answer the ballot's leaf and its inclusion proof with the signed checkpoint it is
    /// proved against.
    #[serde(default)]
    pub proof: bool,
    /// With `proof=true`: the size of a signed checkpoint to prove against; omitted, the latest.
    pub size: Option<u64>,
}

/// A receipt looked up by tracking code; with `?proof=true`, also the ballot's leaf and its
/// inclusion proof (board.md §8.9).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptLookup {
    /// The board's signed receipt.
    #[schema(value_type = Object)]
    pub receipt: saylau::election::Receipt,
    /// With `proof=true`: the ballot's leaf (board.md §1.3), 129 bytes in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf: Option<String>,
    /// With `proof=true`: the leaf's inclusion proof and the signed checkpoint it leads to;
    /// absent while no signed checkpoint covers the leaf (ask again in a second).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofAnswer>,
}

/// `GET /v1/receipts/{tracking_code}[?proof=true[&size=N]]`.
#[utoipa::path(get, path = "/v1/receipts/{code}", params(("code" = String, Path, description = "tracking code (hex)"), ReceiptQuery),
    responses((status = 200, body = ReceiptLookup), (status = 404, description = "not_found, no_checkpoint", body = super::error::ErrorBody)))]
pub async fn receipt_by_code(
    State(board): State<Arc<Board>>,
    Path(code): Path<String>,
    query: Result<Query<ReceiptQuery>, QueryRejection>,
) -> Result<Json<ReceiptLookup>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let code = parse_hash(&code, "tracking_code")?;
    if !query.proof {
        if query.size.is_some() {
            return Err(ApiError::malformed("size is only read with proof=true").field("size"));
        }
        let row = board
            .readers
            .read_replica(
                0,
                move |store| store.receipt_row(&code).map_err(store_error),
                Option::is_some,
            )
            .await?
            .ok_or_else(|| no_code(&code))?;
        let position = row
            .position
            .ok_or_else(|| ApiError::not_found("not a cast ballot"))?;
        let answer = receipt_for(&board, position, row.ballot_hash, code, row.leaf_index)?;
        return Ok(Json(ReceiptLookup {
            receipt: answer.receipt,
            leaf: None,
            proof: None,
        }));
    }
    // One read connection for the row, the leaf, the checkpoint and the proof; on a replica
    // only once it holds the tree the proof is in (board.md §7.8).
    let latest = board.published.get();
    let covering = query
        .size
        .or(latest.as_ref().map(|c| c.checkpoint().size()))
        .unwrap_or(0);
    let shared = Arc::clone(&board);
    let (row, leaf, proof) = board
        .readers
        .read_replica(
            covering,
            move |store| {
                let Some(row) = store.receipt_row(&code).map_err(store_error)? else {
                    return Err(no_code(&code));
                };
                let index = row.leaf_index;
                let leaf = store
                    .leaf(index)
                    .map_err(store_error)?
                    .ok_or_else(|| ApiError::unavailable(format!("leaf {index} is missing")))?;
                let checkpoint = match query.size {
                    None => latest
                        .as_ref()
                        .filter(|c| index < c.checkpoint().size())
                        .map(|c| {
                            let text = String::from_utf8_lossy(&c.to_bytes()).into_owned();
                            (c.checkpoint().size(), text)
                        }),
                    Some(size) if index >= size => {
                        return Err(ApiError::malformed(format!(
                            "leaf {index} is not in a tree of size {size}"
                        ))
                        .field("size"))
                    }
                    Some(size) => match store.checkpoint(size).map_err(store_error)? {
                        Some(c) => Some((size, c.text)),
                        None => return Err(no_checkpoint(size)),
                    },
                };
                let proof = match checkpoint {
                    None => None,
                    Some((size, text)) => Some(ProofAnswer {
                        index,
                        size,
                        checkpoint: text,
                        inclusion: prove_cached(store, &shared.hash_cache, size, index)?
                            .iter()
                            .map(hex::encode)
                            .collect(),
                    }),
                };
                Ok((row, leaf, proof))
            },
            |_| true,
        )
        .await?;
    let position = row
        .position
        .ok_or_else(|| ApiError::not_found("not a cast ballot"))?;
    let answer = receipt_for(&board, position, row.ballot_hash, code, row.leaf_index)?;
    Ok(Json(ReceiptLookup {
        receipt: answer.receipt,
        leaf: Some(hex::encode(leaf.to_bytes())),
        proof,
    }))
}

fn no_code(code: &Hash) -> ApiError {
    ApiError::not_found(format!(
        "no cast ballot has tracking code {}",
        hex::encode(code)
    ))
}

fn no_checkpoint(size: u64) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_checkpoint",
        format!("the board signed no checkpoint of size {size}"),
    )
}

/// What the board holds under a ballot hash.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // built once per answer and serialized at once
pub enum BallotAnswer {
    /// A cast ballot, with its receipt.
    Cast {
        /// Its receipt.
        #[schema(value_type = Object)]
        receipt: saylau::election::Receipt,
    },
    /// A challenged ballot.
    Challenged {
        /// Its leaf index.
        leaf_index: u64,
    },
}

/// `GET /v1/ballots/{ballot_hash}`.
#[utoipa::path(get, path = "/v1/ballots/{hash}", params(("hash" = String, Path, description = "ballot hash (hex)")),
    responses((status = 200, body = BallotAnswer), (status = 404, body = super::error::ErrorBody)))]
pub async fn ballot_by_hash(
    State(board): State<Arc<Board>>,
    Path(hash): Path<String>,
) -> Result<Json<BallotAnswer>, ApiError> {
    let hash = parse_hash(&hash, "ballot_hash")?;
    let row = board
        .readers
        .read_replica(
            0,
            move |store| store.ballot_by_hash(&hash).map_err(store_error),
            Option::is_some,
        )
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("no ballot {} on the board", hex::encode(hash)))
        })?;
    Ok(Json(match (row.position, row.tracking_code) {
        (Some(position), Some(code)) => {
            let answer = receipt_for(&board, position, hash, code, row.leaf_index)?;
            BallotAnswer::Cast {
                receipt: answer.receipt,
            }
        }
        _ => BallotAnswer::Challenged {
            leaf_index: row.leaf_index,
        },
    }))
}

/// Largest page of `GET /v1/ballots` and `GET /v1/checkpoints`.
pub const MAX_PAGE: usize = 1000;

/// `?after=P&limit=L`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Positions (or sizes) after this one; 0 from the start.
    #[serde(default)]
    pub after: u64,
    /// At most this many lines (≤ 1000, the default).
    pub limit: Option<usize>,
}

fn ndjson(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response()
}

/// `GET /v1/ballots?after=P&limit=L`: `ballots.jsonl` lines at positions after P.
#[utoipa::path(get, path = "/v1/ballots", params(PageQuery),
    responses((status = 200, content_type = "application/x-ndjson", description = "ballots.jsonl lines")))]
pub async fn ballots_page(
    State(board): State<Arc<Board>>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let limit = query.limit.unwrap_or(MAX_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::malformed(format!("limit must be 1 to {MAX_PAGE}")).field("limit"));
    }
    let after = query.after;
    // board.md §7.8: a full page from a replica is the store's page; a short one (the end of
    // the list, which a lagging replica may cut early) is asked of the store.
    let rows = board
        .readers
        .read_replica(
            0,
            move |store| store.ballots_after(after, limit).map_err(store_error),
            move |rows| rows.len() == limit,
        )
        .await?;
    Ok(ndjson(rows.into_iter().flat_map(|r| r.line).collect()))
}

/// One line of `log/checkpoints.jsonl`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointLine<'a> {
    /// Its tree size.
    pub size: u64,
    /// The signed note.
    pub checkpoint: &'a str,
}

/// Lines of `log/checkpoints.jsonl` for these checkpoints.
pub fn checkpoint_lines(checkpoints: &[crate::store::StoredCheckpoint]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in checkpoints {
        let line = CheckpointLine {
            size: c.size,
            checkpoint: &c.text,
        };
        if serde_json::to_writer(&mut out, &line).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

/// `GET /v1/checkpoints?after=N`: signed checkpoints of sizes above N (at most 1000).
#[utoipa::path(get, path = "/v1/checkpoints", params(PageQuery),
    responses((status = 200, content_type = "application/x-ndjson", description = "lines of log/checkpoints.jsonl")))]
pub async fn checkpoints(
    State(board): State<Arc<Board>>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let after = query.after;
    let limit = query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let rows = board
        .readers
        .read_replica(
            0,
            move |store| store.checkpoints_after(after, limit).map_err(store_error),
            move |rows| rows.len() == limit,
        )
        .await?;
    Ok(ndjson(checkpoint_lines(&rows)))
}

/// Bytes of the export sent per chunk.
const EXPORT_CHUNK: usize = 64 * 1024;
/// Chunks queued between the store thread and the connection.
const EXPORT_QUEUE: usize = 16;

/// Sends what is written to it to the connection, a chunk at a time, from a blocking thread; a
/// client that hung up makes the next write fail, which ends the export.
struct ChunkSender {
    chunk: Vec<u8>,
    queue: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
}

impl ChunkSender {
    fn send(&mut self) -> std::io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(EXPORT_CHUNK));
        self.queue
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::other("the client hung up"))
    }
}

impl std::io::Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len().min(EXPORT_CHUNK - self.chunk.len());
        self.chunk.extend_from_slice(&data[..n]);
        if self.chunk.len() == EXPORT_CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `GET /v1/export`: the record and `log/` as an uncompressed tar, up to the latest signed
/// checkpoint, streamed as it is read from the store (board.md §8.8).
#[utoipa::path(get, path = "/v1/export",
    responses((status = 200, content_type = "application/x-tar", description = "the export (record.md)")))]
pub async fn export(State(board): State<Arc<Board>>) -> Result<Response, ApiError> {
    let dir = board.record_dir.clone();
    let (queue, chunks) = tokio::sync::mpsc::channel(EXPORT_QUEUE);
    let failed = queue.clone();
    let readers = Arc::clone(&board.readers);
    tokio::spawn(async move {
        let result = readers
            .read(move |store| {
                let out = ChunkSender {
                    chunk: Vec::with_capacity(EXPORT_CHUNK),
                    queue,
                };
                crate::export::write_tar(store, &dir, out)
                    .map_err(|e| ApiError::unavailable(format!("the export: {e}")))
            })
            .await;
        if let Err(e) = result {
            // The status line is gone already: cutting the stream short is what is left, and a
            // tar cut short does not end with its two zero blocks.
            let _ = failed
                .send(Err(std::io::Error::other(e.body.error.message)))
                .await;
        }
    });
    let stream = futures_util::stream::unfold(chunks, |mut chunks| async move {
        chunks.recv().await.map(|chunk| (chunk, chunks))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"saylau-export.tar\"",
            ),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

/// `GET /v1/election/{file}`: one of the record's public files, byte for byte.
#[utoipa::path(get, path = "/v1/election/{file}", params(("file" = String, Path, description = "manifest.json, ceremony.json, credentials.json or election.json")),
    responses((status = 200, content_type = "application/json", description = "the file's bytes"), (status = 404, body = super::error::ErrorBody)))]
pub async fn record_file(
    State(board): State<Arc<Board>>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let files = &board.files;
    let bytes = match file.as_str() {
        "manifest.json" => &files.manifest,
        "ceremony.json" => &files.ceremony,
        "credentials.json" => &files.credentials,
        "election.json" => &files.election,
        _ => {
            return Err(ApiError::not_found(format!(
                "no record file {file:?}: manifest.json, ceremony.json, credentials.json, election.json"
            )))
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes.clone()).into_response())
}
