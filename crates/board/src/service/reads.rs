//! The read endpoints: inclusion and consistency proofs, receipts, pages of ballots, the signed
//! checkpoints, the export and the record's public files.
//!
//! Spec: `protocol-spec/board.md` §8.1, §8.8.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use saylau::log::tree::{prove_record, prove_tree, ProveError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{parse_hash, ApiError};
use super::submit::{receipt_for, ReceiptAnswer};
use super::Board;
use crate::store::StoreError;

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
                None => {
                    return Err(ApiError::new(
                        StatusCode::NOT_FOUND,
                        "no_checkpoint",
                        format!("the board signed no checkpoint of size {size}"),
                    ))
                }
            }
        }
    };
    let inclusion = board
        .readers
        .read_replica(
            size,
            move |store| prove_record(size, index, store).map_err(prove_error),
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

/// `GET /v1/receipts/{tracking_code}`.
#[utoipa::path(get, path = "/v1/receipts/{code}", params(("code" = String, Path, description = "tracking code (hex)")),
    responses((status = 200, body = ReceiptAnswer), (status = 404, body = super::error::ErrorBody)))]
pub async fn receipt_by_code(
    State(board): State<Arc<Board>>,
    Path(code): Path<String>,
) -> Result<Json<ReceiptAnswer>, ApiError> {
    let code = parse_hash(&code, "tracking_code")?;
    let row = board
        .readers
        .read_replica(
            0,
            move |store| store.ballot_by_tracking_code(&code).map_err(store_error),
            Option::is_some,
        )
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no cast ballot has tracking code {}",
                hex::encode(code)
            ))
        })?;
    let position = row
        .position
        .ok_or_else(|| ApiError::not_found("not a cast ballot"))?;
    receipt_for(&board, position, row.ballot_hash, code, row.leaf_index).map(Json)
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

/// `GET /v1/export`: the record and `log/` as an uncompressed tar, up to the latest signed
/// checkpoint.
#[utoipa::path(get, path = "/v1/export",
    responses((status = 200, content_type = "application/x-tar", description = "the export (record.md)")))]
pub async fn export(State(board): State<Arc<Board>>) -> Result<Response, ApiError> {
    let dir = board.record_dir.clone();
    let tar = board
        .readers
        .read(move |store| {
            crate::export::export_tar(store, &dir)
                .map_err(|e| ApiError::unavailable(format!("the export: {e}")))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"saylau-export.tar\"",
            ),
        ],
        tar,
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
