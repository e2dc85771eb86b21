//! Every refusal as the API writes it: a 4xx (or 5xx) with a JSON body that names the culprit.
//!
//! Spec: `protocol-spec/board.md` §8.2.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use saylau::ballot::BallotError;
use saylau::log::tree::Hash;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer: its status and its body.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong, and with what.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code (board.md §8.2).
    pub code: &'static str,
    /// A plain sentence naming the culprit.
    pub message: String,
    /// The ballot concerned, when there is one (hex).
    pub ballot_hash: Option<String>,
    /// The JSON path of the culprit field, when there is one.
    pub field: Option<String>,
}

impl ApiError {
    /// An error with no ballot and no field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: ErrorDetail {
                    code,
                    message: message.into(),
                    ballot_hash: None,
                    field: None,
                },
            },
        }
    }

    /// Names the ballot concerned.
    pub fn ballot(mut self, ballot_hash: &Hash) -> Self {
        self.body.error.ballot_hash = Some(hex::encode(ballot_hash));
        self
    }

    /// Names the culprit field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.body.error.field = Some(field.into());
        self
    }

    /// 400 `malformed`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 503 `unavailable`: the board cannot answer now (its store failed); nothing was accepted.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The JSON path, in a submitted ballot, of the proof or value a [`BallotError`] names.
pub fn ballot_error_field(error: &BallotError, prefix: &str) -> Option<String> {
    match error {
        BallotError::OptionProof {
            contest, option, ..
        } => Some(format!(
            "{prefix}body.contests[{contest}].options[{option}].proof"
        )),
        BallotError::IdentityAlpha { contest, option } => Some(format!(
            "{prefix}body.contests[{contest}].options[{option}].ciphertext.alpha"
        )),
        BallotError::TotalProof { contest, .. } => {
            Some(format!("{prefix}body.contests[{contest}].total_proof"))
        }
        BallotError::Shape(_) => Some(format!("{prefix}body.contests")),
        BallotError::Signature(_) => Some(format!("{prefix}signature")),
        BallotError::Equations(_) | BallotError::InvalidChoices(_) => None,
    }
}

/// A 64-character lowercase hex hash from a path segment, or 400 `malformed` naming it.
pub fn parse_hash(text: &str, what: &str) -> Result<Hash, ApiError> {
    let bad = || {
        ApiError::malformed(format!(
            "{what} {text:?} is not 64 lowercase hexadecimal characters"
        ))
        .field(what.to_string())
    };
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| bad())?;
    Ok(out)
}
