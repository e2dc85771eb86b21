//! The C2SP tlog-tiles read API under `/log/`: the latest checkpoint, hash tiles and entry
//! bundles, for any tlog client. Only what a signed checkpoint covers is served; full tiles never
//! change and are cached for a year.
//!
//! Spec: `protocol-spec/board.md` §8.1, `log.md` §3.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use saylau::log::tile::{encode_entry_bundle, EntryBundle, Tile, TILE_HEIGHT, TILE_WIDTH};
use saylau::log::tree::stored_hash_index;

use super::error::ApiError;
use super::Board;
use crate::store::{Store, StoreError};

/// Cache header of a full tile or bundle.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `GET /log/checkpoint`: the latest signed checkpoint.
#[utoipa::path(get, path = "/log/checkpoint",
    responses((status = 200, content_type = "text/plain", description = "signed note"), (status = 404, body = super::error::ErrorBody)))]
pub async fn checkpoint(State(board): State<Arc<Board>>) -> Result<Response, ApiError> {
    let latest = board
        .published
        .get()
        .ok_or_else(|| ApiError::not_found("the board has not signed a checkpoint yet"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        latest.to_bytes(),
    )
        .into_response())
}

/// `GET /log/tile/<L>/<N>[.p/<W>]` and `GET /log/tile/entries/<N>[.p/<W>]`.
#[utoipa::path(get, path = "/log/tile/{path}", params(("path" = String, Path, description = "<L>/<N>[.p/<W>] or entries/<N>[.p/<W>] (tlog-tiles)")),
    responses((status = 200, content_type = "application/octet-stream", description = "tile data"), (status = 404, body = super::error::ErrorBody)))]
pub async fn tile(
    State(board): State<Arc<Board>>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let size = board.published.get().map_or(0, |c| c.checkpoint().size());
    let full_path = format!("tile/{path}");
    let missing = || {
        ApiError::not_found(format!(
            "{full_path} is not in the latest signed tree (size {size})"
        ))
    };
    let (data, full) = if path.starts_with("entries/") {
        let bundle =
            EntryBundle::parse_path(&full_path).map_err(|e| ApiError::malformed(e.to_string()))?;
        let have = EntryBundle::in_tree(bundle.index(), size).ok_or_else(missing)?;
        if have.width() < bundle.width() {
            return Err(missing());
        }
        let data = board
            .readers
            .read_replica(
                size,
                move |store| bundle_data(store, &bundle).map_err(store_error),
                |_| true,
            )
            .await?;
        (data, bundle.width() == TILE_WIDTH)
    } else {
        let tile = Tile::parse_path(&full_path).map_err(|e| ApiError::malformed(e.to_string()))?;
        let have = Tile::in_tree(tile.level(), tile.index(), size).ok_or_else(missing)?;
        if have.width() < tile.width() {
            return Err(missing());
        }
        let data = board
            .readers
            .read_replica(
                size,
                move |store| hash_tile_data(store, &tile).map_err(store_error),
                |_| true,
            )
            .await?;
        (data, tile.is_full())
    };
    let cache = if full {
        IMMUTABLE
    } else {
        "public, max-age=60"
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, cache),
        ],
        data,
    )
        .into_response())
}

fn store_error(e: StoreError) -> ApiError {
    ApiError::unavailable(format!("the store: {e}"))
}

/// The bytes of a hash tile (log.md §3.3), read from `store`: what `GET /log/<tile path>` serves
/// and the tile mirror writes. The store must hold the tree the tile is part of.
pub fn hash_tile_data<S: Store + ?Sized>(store: &S, tile: &Tile) -> Result<Vec<u8>, StoreError> {
    // log.md §3.1: a level-L tile holds the hashes of tree level 8·L.
    let level = u32::from(tile.level()) * u32::from(TILE_HEIGHT);
    let level = u8::try_from(level).map_err(|_| StoreError::Corrupt {
        table: "hashes",
        index: tile.index(),
        reason: format!("no tree level {level}"),
    })?;
    let first = tile.index() * u64::from(TILE_WIDTH);
    let indexes: Vec<u64> = (0..u64::from(tile.width()))
        .map(|j| stored_hash_index(level, first + j))
        .collect();
    Ok(store.read_hashes(&indexes)?.concat())
}

/// The bytes of an entry bundle (log.md §3.4), read from `store`.
pub fn bundle_data<S: Store + ?Sized>(
    store: &S,
    bundle: &EntryBundle,
) -> Result<Vec<u8>, StoreError> {
    let start = bundle.index() * u64::from(TILE_WIDTH);
    let count = bundle.width() as usize;
    let leaves = store.leaves(start, count)?;
    if leaves.len() != count {
        return Err(StoreError::Corrupt {
            table: "leaves",
            index: start + leaves.len() as u64,
            reason: "missing (the store lacks signed leaves)".into(),
        });
    }
    let entries: Vec<_> = leaves.iter().map(|l| l.to_bytes()).collect();
    encode_entry_bundle(&entries).map_err(|e| StoreError::Corrupt {
        table: "leaves",
        index: start,
        reason: e.to_string(),
    })
}
