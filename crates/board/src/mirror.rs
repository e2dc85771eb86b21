//! `--tile-dir DIR`: the board mirrors its full tiles and full entry bundles as files, in the
//! tlog-tiles layout of the URLs (`DIR/tile/<L>/<N>`, `DIR/tile/entries/<N>`, with `x`-prefixed
//! path segments), and the latest checkpoint as `DIR/checkpoint`, so that nginx or a CDN can
//! serve them without the board. Full tiles never change, so a file once written is final.
//!
//! Each file is written to a temporary name beside it, flushed, renamed into place, and its
//! directory flushed; a tile is written only once a signed checkpoint covering it is durable in
//! the store, and `DIR/checkpoint` only once every full tile it covers is in place.
//!
//! Spec: `protocol-spec/board.md` §8.11.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::tile::{EntryBundle, Tile, MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH};

use crate::service::tiles::{bundle_data, hash_tile_data};
use crate::store::{Store, StoreError};

/// The mirror's directory and how far it is known to be complete.
#[derive(Debug)]
pub struct TileMirror {
    dir: PathBuf,
    /// Every full tile and bundle of a tree of this size is on disk.
    done: u64,
    /// The bytes of `DIR/checkpoint` as last written.
    checkpoint: Vec<u8>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` and its missing parents, flushing each parent a directory was added to.
fn create_dirs(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(dir)(e)),
    }
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Writes `data` at `path` atomically and durably: a temporary file beside it, flushed, renamed
/// into place, then the directory flushed.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    create_dirs(parent)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = parent.join(format!(".{name}.tmp"));
    let mut file = File::create(&temp).map_err(io(&temp))?;
    file.write_all(data).map_err(io(&temp))?;
    file.sync_all().map_err(io(&temp))?;
    drop(file);
    fs::rename(&temp, path).map_err(io(path))?;
    sync_dir(parent)
}

impl TileMirror {
    /// Opens the mirror in `dir` (created if missing) for the log `origin`. A `DIR/checkpoint`
    /// already there must be this log's (its first line is the origin), and tells how far the
    /// mirror got: it is written only after the tiles it covers. It is trusted only up to
    /// `signed`, the size of the board's latest stored checkpoint.
    pub fn open(dir: &Path, origin: &str, signed: u64) -> Result<Self, StoreError> {
        create_dirs(&dir.join("tile"))?;
        let path = dir.join("checkpoint");
        let mut done = 0;
        let mut checkpoint = Vec::new();
        match fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let mut lines = text.lines();
                if lines.next() != Some(origin) {
                    return Err(io(&path)(std::io::Error::other(format!(
                        "the tile directory holds another log's checkpoint (its origin is not \
                         {origin}): give the board a tile directory of its own"
                    ))));
                }
                done = lines
                    .next()
                    .and_then(|l| l.parse::<u64>().ok())
                    .unwrap_or(0)
                    .min(signed);
                checkpoint = bytes;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            done,
            checkpoint,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Brings the mirror up to `signed`, a checkpoint already durable in `store`: writes each
    /// full tile and full bundle of its tree not yet on disk, then `DIR/checkpoint`. Returns the
    /// number of tile and bundle files written.
    pub fn sync<S: Store + ?Sized>(
        &mut self,
        store: &S,
        signed: &SignedCheckpoint,
    ) -> Result<usize, StoreError> {
        let size = signed.checkpoint().size();
        let bytes = signed.to_bytes();
        if size < self.done || (size == self.done && bytes == self.checkpoint) {
            return Ok(0);
        }
        let width = u64::from(TILE_WIDTH);
        let mut written = 0;
        // Entry bundles: one per full level-0 tile.
        for index in self.done / width..size / width {
            let bundle = EntryBundle::new(index, TILE_WIDTH).map_err(corrupt)?;
            let path = self.dir.join(bundle.path());
            if !path.exists() {
                write_atomic(&path, &bundle_data(store, &bundle)?)?;
                written += 1;
            }
        }
        for level in 0..=MAX_TILE_LEVEL {
            let shift = u32::from(level) * u32::from(TILE_HEIGHT);
            if shift >= 64 || (size >> shift) < width {
                break;
            }
            for index in (self.done >> shift) / width..(size >> shift) / width {
                let tile = Tile::new(level, index, TILE_WIDTH).map_err(corrupt)?;
                let path = self.dir.join(tile.path());
                if !path.exists() {
                    write_atomic(&path, &hash_tile_data(store, &tile)?)?;
                    written += 1;
                }
            }
        }
        write_atomic(&self.dir.join("checkpoint"), &bytes)?;
        self.done = size;
        self.checkpoint = bytes;
        Ok(written)
    }
}

fn corrupt(e: saylau::log::tile::TileError) -> StoreError {
    StoreError::Corrupt {
        table: "hashes",
        index: 0,
        reason: e.to_string(),
    }
}
