//! The export: the record in the layout `saylau verify` reads, plus `log/` (the leaves in log
//! order and every signed checkpoint), cut at the latest signed checkpoint so that the last
//! checkpoint covers every exported leaf.
//!
//! Spec: `protocol-spec/record.md` (the export), `board.md` §8.8.

use std::fs;
use std::path::Path;

use saylau::election::LeafKind;
use saylau::record::{self, RecordError};
use thiserror::Error;

use crate::service::reads::checkpoint_lines;
use crate::store::{Store, StoreError};

/// `log/leaves` in the export.
pub const LEAVES: &str = "log/leaves";
/// `log/checkpoints.jsonl` in the export.
pub const CHECKPOINTS: &str = "log/checkpoints.jsonl";

/// Why the export failed.
#[derive(Debug, Error)]
pub enum ExportError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record file.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A file of the export.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The store misses a ballot its log names.
    #[error("leaf {index} names ballot {ballot_hash}, which the store does not hold")]
    MissingBallot {
        /// The leaf.
        index: u64,
        /// The ballot hash.
        ballot_hash: String,
    },
}

/// Leaves read per query.
const CHUNK: usize = 4096;

/// The files the store contributes, cut at the latest signed checkpoint: `ballots.jsonl`,
/// `challenged.jsonl`, `log/leaves`, `log/checkpoints.jsonl`, in that order.
pub fn log_files<S: Store + ?Sized>(store: &S) -> Result<Vec<(String, Vec<u8>)>, ExportError> {
    let checkpoints = store.checkpoints_after(0, usize::MAX)?;
    let size = checkpoints.last().map_or(0, |c| c.size);
    let mut leaves = Vec::new();
    let mut challenged = Vec::new();
    let mut next = 0u64;
    while next < size {
        let count = usize::try_from(size - next).unwrap_or(CHUNK).min(CHUNK);
        let chunk = store.leaves(next, count)?;
        if chunk.len() != count {
            return Err(StoreError::Corrupt {
                table: "leaves",
                index: next + chunk.len() as u64,
                reason: format!("missing, but checkpoint {size} covers it"),
            }
            .into());
        }
        for (i, leaf) in chunk.iter().enumerate() {
            leaves.extend_from_slice(&leaf.to_bytes());
            if leaf.kind() == LeafKind::Challenged {
                let index = next + i as u64;
                let row = store.ballot_by_hash(leaf.ballot_hash())?.ok_or_else(|| {
                    ExportError::MissingBallot {
                        index,
                        ballot_hash: hex::encode(leaf.ballot_hash()),
                    }
                })?;
                challenged.extend_from_slice(&row.line);
            }
        }
        next += count as u64;
    }
    let mut ballots = Vec::new();
    let mut position = 0;
    'pages: loop {
        let page = store.ballots_after(position, 1000)?;
        if page.is_empty() {
            break;
        }
        for row in page {
            if row.leaf_index >= size {
                break 'pages;
            }
            position = row.position.unwrap_or(position + 1);
            ballots.extend_from_slice(&row.line);
        }
    }
    Ok(vec![
        (record::BALLOTS.to_string(), ballots),
        (record::CHALLENGED.to_string(), challenged),
        (LEAVES.to_string(), leaves),
        (CHECKPOINTS.to_string(), checkpoint_lines(&checkpoints)),
    ])
}

/// The record's own files that the export carries: the four JSON files and the ceremony
/// transcript folder, if any (names relative to the record).
pub fn record_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, ExportError> {
    let mut out = Vec::new();
    for name in [
        record::MANIFEST,
        record::CEREMONY,
        record::CREDENTIALS,
        record::ELECTION,
    ] {
        out.push((name.to_string(), record::read_file(dir, name)?));
    }
    let transcript = dir.join(record::TRANSCRIPT_DIR);
    if transcript.is_dir() {
        let mut names = Vec::new();
        walk(&transcript, record::TRANSCRIPT_DIR, &mut names).map_err(|source| {
            ExportError::Io {
                file: record::TRANSCRIPT_DIR.into(),
                source,
            }
        })?;
        names.sort();
        for name in names {
            let bytes = record::read_file(dir, &name)?;
            out.push((name, bytes));
        }
    }
    // What the commission published after voting (board.md §9.3): the tally, the shares, the
    // results and the index, once stored.
    for name in record::indexed_files(dir)? {
        let published = name == record::TALLY
            || name == record::RESULTS
            || name.starts_with(record::DECRYPTION_DIR);
        if published && dir.join(&name).is_file() {
            let bytes = record::read_file(dir, &name)?;
            out.push((name, bytes));
        }
    }
    if dir.join(record::INDEX).is_file() {
        out.push((record::INDEX.into(), record::read_file(dir, record::INDEX)?));
    }
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), &name, out)?;
        } else if kind.is_file() {
            out.push(name);
        }
    }
    Ok(())
}

/// The whole export as an uncompressed tar (`GET /v1/export`). Entries have mode 0644 and
/// time 0, so the same board gives the same bytes.
pub fn export_tar<S: Store + ?Sized>(store: &S, dir: &Path) -> Result<Vec<u8>, ExportError> {
    let mut files = record_files(dir)?;
    files.extend(log_files(store)?);
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in &files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .map_err(|source| ExportError::Io {
                file: name.clone(),
                source,
            })?;
    }
    builder.into_inner().map_err(|source| ExportError::Io {
        file: "export.tar".into(),
        source,
    })
}

/// Writes the store's files into the record folder `dir`, each atomically (`board export`).
/// Returns the number of leaves exported.
pub fn export_to_dir<S: Store + ?Sized>(store: &S, dir: &Path) -> Result<u64, ExportError> {
    record_files(dir)?;
    let files = log_files(store)?;
    let mut leaves = 0;
    for (name, bytes) in &files {
        if name == LEAVES {
            leaves = bytes.len() as u64 / saylau::election::LEAF_SIZE as u64;
        }
        record::write_atomically(dir, name, bytes)?;
    }
    Ok(leaves)
}
