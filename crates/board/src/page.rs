//! The voter's receipt page (board.md §10): server-rendered HTML in Kazakh, Russian and English,
//! no JavaScript, nothing loaded from elsewhere.
//!
//! - `GET /`: the form, the tracking codes (paginated), and the results once published;
//! - `GET /r?code=…` and `GET /r/{code}`: what the board holds for a code;
//! - `GET /results.svg`: the results chart in the page's language.
//!
//! Every route takes `?lang=kk|ru|en`, else `Accept-Language`, else the manifest's first
//! language the page speaks.
//!
//! - [`messages`]: the words, in one catalogue;
//! - [`lookup`]: what the page says, computed from a [`crate::store::Store`] and the record
//!   folder only, so an observer's copy of the board can serve the same page;
//! - [`view`]: the templates' data, and rendering.

pub mod lookup;
pub mod messages;
pub mod view;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::service::Board;
use lookup::{PageContext, PageError};
use messages::Lang;

pub use lookup::Revotes;

/// Ballots listed per page.
pub const CODES_PER_PAGE: usize = 50;

/// `?lang=&after=&code=`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// The language asked for.
    pub lang: Option<String>,
    /// List positions after this one.
    #[serde(default)]
    pub after: u64,
    /// The typed code.
    pub code: Option<String>,
}

/// The page's language for a request.
pub fn language(board: &Board, query: &PageQuery, headers: &HeaderMap) -> Lang {
    let fallback = board
        .election
        .manifest
        .languages
        .iter()
        .find_map(|l| Lang::from_tag(l))
        .unwrap_or(Lang::Kk);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::choose(query.lang.as_deref(), accept, fallback)
}

fn html(status: StatusCode, lang: Lang, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_LANGUAGE, lang.tag()),
            (header::VARY, "Accept-Language"),
            // No script, no frame, nothing from elsewhere.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

fn failed(lang: Lang, error: &PageError) -> Response {
    // The page says the board failed, in the voter's language; the detail is the operator's.
    eprintln!("board: receipt page: {error}");
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        lang,
        view::error_page(lang, error),
    )
}

/// Runs a page's store reads on a read connection.
async fn with_store<R, F>(board: &Arc<Board>, f: F) -> Result<R, PageError>
where
    R: Send + 'static,
    F: FnOnce(&Board, &(dyn crate::store::Store + Send)) -> Result<R, PageError> + Send + 'static,
{
    let inner = Arc::clone(board);
    board
        .readers
        .read(move |store| Ok(f(&inner, store)))
        .await
        .map_err(|e| PageError::Unavailable(e.body.error.message))?
}

fn context(board: &Board) -> PageContext<'_> {
    PageContext {
        election: &board.election,
        record_dir: &board.record_dir,
    }
}

/// `GET /`.
pub async fn index(
    State(board): State<Arc<Board>>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = language(&board, &query, &headers);
    let after = query.after;
    let answer = with_store(&board, move |board, store| {
        view::index(context(board), store, lang, after)
    })
    .await;
    match answer {
        Ok(body) => html(StatusCode::OK, lang, body),
        Err(e) => failed(lang, &e),
    }
}

/// `GET /r?code=…`.
pub async fn check_query(
    State(board): State<Arc<Board>>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let code = query.code.clone().unwrap_or_default();
    check(board, query, headers, code).await
}

/// `GET /r/{code}`.
pub async fn check_path(
    State(board): State<Arc<Board>>,
    Path(code): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    check(board, query, headers, code).await
}

async fn check(board: Arc<Board>, query: PageQuery, headers: HeaderMap, code: String) -> Response {
    let lang = language(&board, &query, &headers);
    let answer = with_store(&board, move |board, store| {
        let found = lookup::lookup(context(board), store, &board.revotes, &code, lang.tag())?;
        Ok(view::lookup_page(lang, &code, &found))
    })
    .await;
    match answer {
        Ok((status, body)) => html(status, lang, body),
        Err(e) => failed(lang, &e),
    }
}

/// `GET /results.svg`: the chart, labelled in the page's language; 404 until published.
pub async fn results_svg(
    State(board): State<Arc<Board>>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = language(&board, &query, &headers);
    match lookup::results(context(&board)) {
        Ok(Some(results)) => {
            let svg =
                saylau::tally::results::chart(&board.election.manifest, &results, Some(lang.tag()));
            (
                [
                    (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
                    (header::VARY, "Accept-Language"),
                ],
                svg,
            )
                .into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "the results are not published yet").into_response(),
        Err(e) => failed(lang, &e),
    }
}
