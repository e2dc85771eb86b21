//! The API's description, OpenAPI 3.1, generated from the handlers' annotations (utoipa) and
//! served as JSON at `/v1/openapi.json`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use super::{commission, reads, submit, tiles};

/// The board's API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "saylau bulletin board",
        description = "Cast ballots and check receipts against the board's transparency log (protocol-spec/board.md §8)."
    ),
    paths(
        submit::post_ballot,
        submit::post_challenged,
        commission::post_close,
        commission::post_publish,
        reads::proof,
        reads::consistency,
        reads::receipt_by_code,
        reads::ballot_by_hash,
        reads::ballots_page,
        reads::checkpoints,
        reads::export,
        reads::record_file,
        tiles::checkpoint,
        tiles::tile,
    ),
    components(schemas(super::error::ErrorBody, super::error::ErrorDetail))
)]
pub struct ApiDoc;

/// The description as JSON.
pub fn openapi_text() -> String {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// `GET /v1/openapi.json`.
pub async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_text()).into_response()
}
