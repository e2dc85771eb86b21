//! The commission's two actions on the board, each signed with the commission key that
//! `election.json` names: `POST /v1/close` (the close leaf and the closing checkpoint) and
//! `POST /v1/publish` (the tally, the decryption shares and the results, stored into the record
//! folder once the record they complete verifies).
//!
//! Spec: `protocol-spec/board.md` §9.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use saylau::election::Leaf;
use saylau::log::tree::Hash;
use saylau::record::{self, close_message, CloseRequest, PublishRequest, RecordIndex};
use saylau::verify::{self, Options};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::submit::decode;
use super::Board;
use crate::sequencer::{Entry, SubmitError};

/// How long `POST /v1/close` waits for the checkpoint signer to sign the closing checkpoint
/// (it signs at least once a second while the tree grows, board.md §7.6).
const CLOSING_WAIT: Duration = Duration::from_secs(10);

/// Largest `POST /v1/publish` body: the shares of a large manifest and many trustees.
pub const MAX_PUBLISH_BODY: usize = 64 * 1024 * 1024;

/// The answer to `POST /v1/close`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloseAnswer {
    /// The close leaf's index in the log.
    pub close_index: u64,
    /// The closing checkpoint: the signed note of the tree that ends with the close leaf.
    pub checkpoint: String,
}

/// The answer to `POST /v1/publish`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishAnswer {
    /// The files stored into the record, with `record.json`, in record chain order.
    pub files: Vec<String>,
    /// The record root of the completed record (`record.md` §4).
    pub record_root: String,
}

fn wrong_election(board: &Board, named: &Hash) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "wrong_election",
        format!(
            "this board serves election {}, not {}",
            hex::encode(board.fingerprint()),
            hex::encode(named)
        ),
    )
    .field("election")
}

fn bad_signature(error: String) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "bad_commission_signature",
        format!("{error} under election.json's commission_key"),
    )
    .field("signature")
}

/// `POST /v1/close`: board.md §9.2.
#[utoipa::path(
    post, path = "/v1/close",
    request_body(content = Object, description = "{\"election\": F, \"signature\": the commission's Ed25519 signature of TH(\"saylau/v2/commission/close\", [F])}"),
    responses(
        (status = 201, description = "closed: the close leaf and the closing checkpoint", body = CloseAnswer),
        (status = 200, description = "closed before: the same answer", body = CloseAnswer),
        (status = 400, description = "malformed", body = super::error::ErrorBody),
        (status = 403, description = "bad_commission_signature", body = super::error::ErrorBody),
        (status = 422, description = "wrong_election", body = super::error::ErrorBody),
    )
)]
pub async fn post_close(
    State(board): State<Arc<Board>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CloseAnswer>), ApiError> {
    let request: CloseRequest = decode(body)?;
    if &request.election != board.fingerprint() {
        return Err(wrong_election(&board, &request.election));
    }
    let key = board.election.info.commission_key;
    let statement = close_message(board.fingerprint());
    key.verify(&statement, &request.signature)
        .map_err(bad_signature)?;
    let leaf = Leaf::close(&key, statement, &request.signature);
    let submitter = board.submitter.clone();
    let ack = tokio::task::spawn_blocking(move || submitter.submit(Entry::Close(leaf)))
        .await
        .map_err(|_| ApiError::unavailable("the sequencer failed"))?
        .map_err(|e| match e {
            SubmitError::Store(_) | SubmitError::Stopped => {
                ApiError::unavailable(format!("the close was not recorded: {e}"))
            }
            other => ApiError::unavailable(other.to_string()),
        })?;
    // The closing checkpoint: the signer signs the tree that ends with the close leaf.
    let size = ack.index + 1;
    let started = Instant::now();
    let checkpoint = loop {
        if let Some(latest) = board.published.get() {
            if latest.checkpoint().size() >= size {
                break latest.to_string();
            }
        }
        if started.elapsed() > CLOSING_WAIT {
            return Err(ApiError::unavailable(format!(
                "voting is closed (close leaf {}), but the closing checkpoint is not signed yet; ask GET /log/checkpoint",
                ack.index
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let status = if ack.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(CloseAnswer {
            close_index: ack.index,
            checkpoint,
        }),
    ))
}

/// `POST /v1/publish`: board.md §9.3.
#[utoipa::path(
    post, path = "/v1/publish",
    request_body(content = Object, description = "{\"election\": F, \"files\": [{\"name\", \"bytes\" (base64)}], \"signature\": the commission's signature of TH(\"saylau/v2/commission/publish\", [F, name_1, file_hash_1, …])}"),
    responses(
        (status = 201, description = "stored: the record verifies with them", body = PublishAnswer),
        (status = 200, description = "the very same files were published before", body = PublishAnswer),
        (status = 400, description = "malformed", body = super::error::ErrorBody),
        (status = 403, description = "bad_commission_signature", body = super::error::ErrorBody),
        (status = 409, description = "not_closed, already_published", body = super::error::ErrorBody),
        (status = 422, description = "wrong_election, does_not_verify", body = super::error::ErrorBody),
    )
)]
pub async fn post_publish(
    State(board): State<Arc<Board>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<PublishAnswer>), ApiError> {
    let request: PublishRequest = decode(body)?;
    if &request.election != board.fingerprint() {
        return Err(wrong_election(&board, &request.election));
    }
    request
        .check_names()
        .map_err(|e| ApiError::malformed(e).field("files"))?;
    board
        .election
        .info
        .commission_key
        .verify(&request.message(), &request.signature)
        .map_err(bad_signature)?;
    let dir = board.record_dir.clone();
    // A publication is made once: the same files again are answered as before.
    if dir.join(record::RESULTS).exists() {
        return already_published(&dir, &request);
    }
    let closed = board
        .readers
        .read(|store| {
            store
                .head()
                .map_err(|e| ApiError::unavailable(format!("the store: {e}")))
        })
        .await?
        .closed_at;
    if closed.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_closed",
            "voting is not closed: the results of an open board cannot be published (POST /v1/close first)",
        ));
    }
    let stored = board
        .readers
        .read(move |store| {
            let mut files = crate::export::record_files(&dir)
                .map_err(|e| ApiError::unavailable(format!("the export: {e}")))?;
            files.extend(
                crate::export::log_files(store)
                    .map_err(|e| ApiError::unavailable(format!("the export: {e}")))?,
            );
            store_if_verified(&dir, files, &request)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// The answer to a publication when `results.json` is already in the record: the same one
/// again (200), or `409 already_published`.
fn already_published(
    dir: &Path,
    request: &PublishRequest,
) -> Result<(StatusCode, Json<PublishAnswer>), ApiError> {
    let same = request
        .files
        .iter()
        .all(|f| record::read_file(dir, &f.name).is_ok_and(|bytes| bytes == f.bytes));
    if !same {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_published",
            "other results are already published in this record; a publication is final",
        ));
    }
    // The index stored with the publication (the record folder holds no ballots: they are in
    // the store, so the index is not recomputed here).
    let (index, _): (RecordIndex, _) = record::read_json(dir, record::INDEX)
        .map_err(|e| ApiError::unavailable(format!("the record index: {e}")))?;
    let mut files: Vec<String> = request.files.iter().map(|f| f.name.clone()).collect();
    files.push(record::INDEX.to_string());
    Ok((
        StatusCode::OK,
        Json(PublishAnswer {
            files,
            record_root: hex::encode(index.root),
        }),
    ))
}

/// Writes the export and the uploaded files into a fresh folder beside the record, adds
/// `record.json`, runs the verifier, and only if every check passes stores the uploaded files
/// and `record.json` into the record folder, each atomically.
fn store_if_verified(
    dir: &Path,
    export: Vec<(String, Vec<u8>)>,
    request: &PublishRequest,
) -> Result<PublishAnswer, ApiError> {
    let scratch = Scratch::new(dir)?;
    let write = |name: &str, bytes: &[u8]| {
        record::write_atomically(&scratch.0, name, bytes)
            .map_err(|e| ApiError::unavailable(format!("the check's copy of the record: {e}")))
    };
    for (name, bytes) in &export {
        write(name, bytes)?;
    }
    for file in &request.files {
        write(&file.name, &file.bytes)?;
    }
    let index = RecordIndex::compute(&scratch.0)
        .map_err(|e| ApiError::unavailable(format!("the record index: {e}")))?;
    let index_bytes = record::write_json(&scratch.0, record::INDEX, &index)
        .map_err(|e| ApiError::unavailable(format!("the record index: {e}")))?;
    let report = verify::verify_record(&record::Record::at(&scratch.0), Options::default());
    if !report.verified {
        let failed: Vec<String> = report
            .failed()
            .map(|c| match c.failures.first() {
                Some(f) => format!("check {}: {}: {}", c.id, f.culprit, f.detail),
                None => format!("check {} could not run", c.id),
            })
            .collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "does_not_verify",
            format!(
                "the record with these files does not verify, nothing was stored: {}",
                failed.join("; ")
            ),
        ));
    }
    let mut files = Vec::new();
    for file in &request.files {
        record::write_atomically(dir, &file.name, &file.bytes)
            .map_err(|e| ApiError::unavailable(format!("storing {}: {e}", file.name)))?;
        files.push(file.name.clone());
    }
    record::write_atomically(dir, record::INDEX, &index_bytes)
        .map_err(|e| ApiError::unavailable(format!("storing {}: {e}", record::INDEX)))?;
    files.push(record::INDEX.to_string());
    Ok(PublishAnswer {
        files,
        record_root: hex::encode(index.root),
    })
}

/// A folder beside the record for the verifier's copy, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(dir: &Path) -> Result<Self, ApiError> {
        let mut random = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut random);
        let mut name = dir.as_os_str().to_owned();
        name.push(format!(".publish-{}", hex::encode(random)));
        let path = PathBuf::from(name);
        std::fs::create_dir(&path)
            .map_err(|e| ApiError::unavailable(format!("{}: {e}", path.display())))?;
        Ok(Self(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
