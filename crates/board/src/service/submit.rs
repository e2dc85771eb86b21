//! `POST /v1/ballots` and `POST /v1/challenged`: the checks, cheapest first, then the sequencer,
//! and an answer only once the ballot is durably on the log.
//!
//! Spec: `protocol-spec/board.md` §8.3 (a cast ballot), §8.4 (a challenged ballot), §1.3
//! (revotes), §7.4 (what an acknowledgment promises).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use saylau::ballot::{Ballot, BallotError, ChallengedBallot};
use saylau::election::Receipt;
use saylau::log::tree::Hash;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ballot_error_field, parse_hash, ApiError};
use super::Board;
use crate::sequencer::{
    ballot_line, challenged_line, Ack, CastEntry, ChallengedEntry, Entry, Recorded, SubmitError,
};
use crate::store::BallotRow;

/// The optional request header by which a device says which election it made the ballot for.
pub const ELECTION_HEADER: &str = "saylau-election";

/// The answer to a cast ballot.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptAnswer {
    /// The board's signed receipt.
    #[schema(value_type = Object)]
    /// Its `leaf_index` is the leaf to ask `/v1/proof/{leaf_index}` about.
    pub receipt: Receipt,
}

/// The answer to a challenged ballot.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengedAnswer {
    /// Its ballot hash.
    pub ballot_hash: String,
    /// Its leaf in the log.
    pub leaf_index: u64,
}

/// Decodes a request body strictly: one JSON value of type `T`, nothing after it, and an error
/// that names the field.
pub(crate) fn decode<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {} KiB", super::MAX_BODY / 1024),
            )
        } else {
            ApiError::malformed(format!("the body could not be read: {rejection}"))
        }
    })?;
    let mut deserializer = serde_json::Deserializer::from_slice(&body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        ApiError::malformed(format!("not a valid request body: {}: {}", path, e.inner()))
            .field(path)
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::malformed(format!("data after the JSON value: {e}")))?;
    Ok(value)
}

/// 422 `wrong_election` if the device named another election in the `Saylau-Election` header.
fn check_election_header(board: &Board, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(ELECTION_HEADER) else {
        return Ok(());
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::malformed("the Saylau-Election header is not text"))?;
    let named = parse_hash(text, "Saylau-Election")?;
    if &named != board.fingerprint() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_election",
            format!(
                "this board serves election {}, not {text}",
                hex::encode(board.fingerprint())
            ),
        ));
    }
    Ok(())
}

fn unknown_credential(ballot_hash: &Hash, credential: &[u8; 32]) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "unknown_credential",
        format!(
            "credential {} is not on this election's list",
            hex::encode(credential)
        ),
    )
    .ballot(ballot_hash)
    .field("body.credential")
}

fn in_flight(ballot_hash: &Hash) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "in_flight",
        "another ballot of this credential is being processed; wait for its answer",
    )
    .ballot(ballot_hash)
}

fn already_other(ballot_hash: &Hash, row: &BallotRow) -> ApiError {
    let what = if row.position.is_some() {
        "this ballot body was already cast with another signature"
    } else {
        "this ballot was challenged (its opening is published); a challenged ballot cannot be cast"
    };
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "ballot_challenged_or_other_credential",
        what,
    )
    .ballot(ballot_hash)
}

fn submit_error(ballot_hash: &Hash, error: SubmitError) -> ApiError {
    match error {
        SubmitError::Closed { close_index, .. } => ApiError::new(
            StatusCode::CONFLICT,
            "board_closed",
            format!("voting is closed (close leaf {close_index}); the ballot was not recorded"),
        )
        .ballot(ballot_hash),
        SubmitError::Newline(_) => {
            ApiError::malformed("the ballot's JSON holds a newline").ballot(ballot_hash)
        }
        e @ (SubmitError::Store(_) | SubmitError::Stopped) => {
            ApiError::unavailable(format!("the ballot was not recorded: {e}")).ballot(ballot_hash)
        }
    }
}

/// Hands an entry to the sequencer and waits until it is durable.
async fn sequence(board: &Arc<Board>, ballot_hash: &Hash, entry: Entry) -> Result<Ack, ApiError> {
    let submitter = board.submitter.clone();
    tokio::task::spawn_blocking(move || submitter.submit(entry))
        .await
        .map_err(|_| ApiError::unavailable("the sequencer failed"))?
        .map_err(|e| submit_error(ballot_hash, e))
}

/// The receipt of a cast ballot at `position` with tracking code `code` (board.md §3.1).
pub fn receipt_for(
    board: &Board,
    position: u64,
    ballot_hash: Hash,
    code: Hash,
    leaf_index: u64,
) -> Result<ReceiptAnswer, ApiError> {
    let receipt = board
        .receipt_key
        // Receipt v2 signs the leaf index too (board.md §3.1).
        .sign(
            *board.fingerprint(),
            position,
            ballot_hash,
            code,
            leaf_index,
        )
        .map_err(|e| ApiError::unavailable(format!("signing the receipt: {e}")))?;
    Ok(ReceiptAnswer { receipt })
}

/// The answer for a ballot already on the log: the same receipt if it is this very ballot,
/// 422 otherwise.
fn existing_cast(
    board: &Board,
    row: &BallotRow,
    ballot_json: &[u8],
) -> Result<ReceiptAnswer, ApiError> {
    match (row.position, row.tracking_code) {
        (Some(position), Some(code))
            if row.line == ballot_line(&code, &row.ballot_hash, ballot_json) =>
        {
            receipt_for(board, position, row.ballot_hash, code, row.leaf_index)
        }
        _ => Err(already_other(&row.ballot_hash, row)),
    }
}

/// `POST /v1/ballots`: board.md §8.3.
#[utoipa::path(
    post, path = "/v1/ballots",
    request_body(content = Object, description = "A Ballot, exactly the `ballot` value of a ballots.jsonl line"),
    params(("Saylau-Election" = Option<String>, Header, description = "the election fingerprint the device encrypted for (hex); 422 wrong_election if it is not this board's")),
    responses(
        (status = 201, description = "recorded: the receipt", body = ReceiptAnswer),
        (status = 200, description = "this very ballot was recorded before: the same receipt", body = ReceiptAnswer),
        (status = 400, description = "malformed", body = super::error::ErrorBody),
        (status = 403, description = "unknown_credential", body = super::error::ErrorBody),
        (status = 409, description = "in_flight, board_closed", body = super::error::ErrorBody),
        (status = 413, description = "too_large", body = super::error::ErrorBody),
        (status = 422, description = "wrong_election, bad_signature, bad_proof, ballot_challenged_or_other_credential", body = super::error::ErrorBody),
        (status = 429, description = "rate_limited", body = super::error::ErrorBody),
    )
)]
pub async fn post_ballot(
    State(board): State<Arc<Board>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ReceiptAnswer>), ApiError> {
    check_election_header(&board, &headers)?;
    // 1. Strict decoding.
    let ballot: Ballot = decode(body)?;
    let ballot_hash = ballot.body.hash();
    let credential = *ballot.body.credential.as_bytes();
    // 2. The credential is listed.
    if !board.listed.contains(&credential) {
        return Err(unknown_credential(&ballot_hash, &credential));
    }
    let ballot_json = serde_json::to_vec(&ballot)
        .map_err(|e| ApiError::malformed(format!("the ballot does not re-encode: {e}")))?;
    // A retry of a recorded ballot gets its receipt back without any proof work.
    let json = ballot_json.clone();
    if let Some(answer) = board
        .readers
        .read(move |store| {
            store
                .ballot_by_hash(&ballot_hash)
                .map_err(|e| ApiError::unavailable(format!("the store: {e}")))
                .map(|row| row.map(|row| (row, json)))
        })
        .await?
        .map(|(row, json)| existing_cast(&board, &row, &json))
    {
        return answer.map(|a| (StatusCode::OK, Json(a)));
    }
    let Some(_slot) = board.in_flight.enter(credential) else {
        return Err(in_flight(&ballot_hash));
    };
    // 3. The signature.
    ballot
        .verify_signature(board.fingerprint(), &ballot_hash)
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_signature",
                format!(
                    "the credential signature does not verify for election {}: {e}",
                    hex::encode(board.fingerprint())
                ),
            )
            .ballot(&ballot_hash)
            .field("signature")
        })?;
    // 4. The proofs, batched with the ballots arriving at the same time.
    let ballot = Arc::new(ballot);
    board
        .verifier
        .verify(Arc::clone(&ballot))
        .await
        .map_err(|e| bad_proof(&ballot_hash, &e, ""))?;
    // 5. Dedup, append, commit: the sequencer answers once the group is durable.
    let entry = Entry::Cast(CastEntry {
        ballot_hash,
        credential: ballot.body.credential,
        signature: ballot.signature,
        ballot_json: ballot_json.clone(),
    });
    let ack = sequence(&board, &ballot_hash, entry).await?;
    match (ack.recorded, ack.new) {
        // 6. The receipt.
        (
            Recorded::Cast {
                position,
                tracking_code,
            },
            true,
        ) => receipt_for(&board, position, ballot_hash, tracking_code, ack.index)
            .map(|a| (StatusCode::CREATED, Json(a))),
        _ => {
            // Recorded meanwhile by another request: answer as for a retry.
            let row = board
                .readers
                .read(move |store| {
                    store
                        .ballot_by_hash(&ballot_hash)
                        .map_err(|e| ApiError::unavailable(format!("the store: {e}")))
                })
                .await?
                .ok_or_else(|| ApiError::unavailable("the recorded ballot is not readable yet"))?;
            existing_cast(&board, &row, &ballot_json).map(|a| (StatusCode::OK, Json(a)))
        }
    }
}

fn bad_proof(ballot_hash: &Hash, error: &BallotError, prefix: &str) -> ApiError {
    let field = ballot_error_field(error, prefix);
    let error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_proof",
        format!("ballot {}: {error}", hex::encode(ballot_hash)),
    )
    .ballot(ballot_hash);
    match field {
        Some(field) => error.field(field),
        None => error,
    }
}

/// `POST /v1/challenged`: board.md §8.4.
#[utoipa::path(
    post, path = "/v1/challenged",
    request_body(content = Object, description = "A ChallengedBallot, exactly the `challenged` value of a challenged.jsonl line"),
    responses(
        (status = 201, description = "published", body = ChallengedAnswer),
        (status = 200, description = "published before", body = ChallengedAnswer),
        (status = 400, description = "malformed", body = super::error::ErrorBody),
        (status = 403, description = "unknown_credential", body = super::error::ErrorBody),
        (status = 409, description = "in_flight, board_closed", body = super::error::ErrorBody),
        (status = 422, description = "bad_opening, ballot_challenged_or_other_credential", body = super::error::ErrorBody),
    )
)]
pub async fn post_challenged(
    State(board): State<Arc<Board>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ChallengedAnswer>), ApiError> {
    let challenged: ChallengedBallot = decode(body)?;
    let ballot_hash = challenged.body.hash();
    let credential = *challenged.body.credential.as_bytes();
    if !board.listed.contains(&credential) {
        return Err(unknown_credential(&ballot_hash, &credential));
    }
    let json = serde_json::to_vec(&challenged)
        .map_err(|e| ApiError::malformed(format!("the ballot does not re-encode: {e}")))?;
    let answer = |row: &BallotRow, json: &[u8]| {
        if row.position.is_none() && row.line == challenged_line(&row.ballot_hash, json) {
            Ok(Json(ChallengedAnswer {
                ballot_hash: hex::encode(row.ballot_hash),
                leaf_index: row.leaf_index,
            }))
        } else if row.position.is_some() {
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ballot_challenged_or_other_credential",
                "this ballot was cast; a cast ballot cannot be challenged",
            )
            .ballot(&row.ballot_hash))
        } else {
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ballot_challenged_or_other_credential",
                "this ballot was challenged before with another opening",
            )
            .ballot(&row.ballot_hash))
        }
    };
    let read = move |store: &(dyn crate::store::Store + Send)| {
        store
            .ballot_by_hash(&ballot_hash)
            .map_err(|e| ApiError::unavailable(format!("the store: {e}")))
    };
    if let Some(row) = board.readers.read(read).await? {
        return answer(&row, &json).map(|a| (StatusCode::OK, a));
    }
    let Some(_slot) = board.in_flight.enter(credential) else {
        return Err(in_flight(&ballot_hash));
    };
    // The opening must check before anything is published: one false opening must never make
    // verifier check 11 fail (board.md §6.1).
    let checked = {
        let board = Arc::clone(&board);
        let challenged = challenged.clone();
        tokio::task::spawn_blocking(move || {
            let e = &board.election;
            challenged.check(&e.manifest, e.fingerprint(), e.key())
        })
        .await
        .map_err(|_| ApiError::unavailable("the check failed"))?
    };
    checked.map_err(|e| {
        let field = ballot_error_field(&e, "");
        let error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_opening",
            format!("challenged ballot {}: {e}", hex::encode(ballot_hash)),
        )
        .ballot(&ballot_hash);
        match field {
            Some(f) => error.field(f),
            None => error,
        }
    })?;
    let entry = Entry::Challenged(ChallengedEntry {
        ballot_hash,
        credential: challenged.body.credential,
        challenged_json: json.clone(),
    });
    let ack = sequence(&board, &ballot_hash, entry).await?;
    if ack.new {
        return Ok((
            StatusCode::CREATED,
            Json(ChallengedAnswer {
                ballot_hash: hex::encode(ballot_hash),
                leaf_index: ack.index,
            }),
        ));
    }
    let row = board
        .readers
        .read(read)
        .await?
        .ok_or_else(|| ApiError::unavailable("the recorded ballot is not readable yet"))?;
    answer(&row, &json).map(|a| (StatusCode::OK, a))
}
