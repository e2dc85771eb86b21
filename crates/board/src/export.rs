//! The export: the record in the layout `saylau verify` reads, plus `log/` (the leaves in log
//! order and every signed checkpoint), cut at the latest signed checkpoint so that the last
//! checkpoint covers every exported leaf.
//!
//! Spec: `protocol-spec/record.md` (the export), `board.md` §8.8.

use std::fs;
use std::io::{Read, Write};
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

/// The sizes of the files the store contributes, cut at checkpoint size `size`: a first pass
/// over the rows, so that each tar header can name its file's size before the file streams.
fn log_sizes<S: Store + ?Sized>(store: &S, size: u64) -> Result<(u64, u64), ExportError> {
    let mut ballots = BallotLines::new(store, size);
    let mut challenged = ChallengedLines::new(store, size);
    let count = |r: &mut dyn Read| -> Result<u64, std::io::Error> {
        std::io::copy(r, &mut std::io::sink())
    };
    let ballots = count(&mut ballots).map_err(|e| unwrap_store(e, record::BALLOTS))?;
    let challenged = count(&mut challenged).map_err(|e| unwrap_store(e, record::CHALLENGED))?;
    Ok((ballots, challenged))
}

/// A store error carried through `std::io::Read`, back out.
fn unwrap_store(e: std::io::Error, file: &str) -> ExportError {
    match e.downcast::<ExportError>() {
        Ok(inner) => inner,
        Err(e) => ExportError::Io {
            file: file.to_string(),
            source: e,
        },
    }
}

fn into_io(e: impl Into<ExportError>) -> std::io::Error {
    std::io::Error::other(e.into())
}

/// `ballots.jsonl` up to the tree size, read page by page.
struct BallotLines<'a, S: ?Sized> {
    store: &'a S,
    size: u64,
    position: u64,
    buf: Vec<u8>,
    at: usize,
    done: bool,
}

impl<'a, S: Store + ?Sized> BallotLines<'a, S> {
    fn new(store: &'a S, size: u64) -> Self {
        Self {
            store,
            size,
            position: 0,
            buf: Vec::new(),
            at: 0,
            done: false,
        }
    }
}

impl<S: Store + ?Sized> Read for BallotLines<'_, S> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.buf.len() && !self.done {
            self.buf.clear();
            self.at = 0;
            let page = self
                .store
                .ballots_after(self.position, 1000)
                .map_err(into_io)?;
            if page.is_empty() {
                self.done = true;
            }
            for row in page {
                if row.leaf_index >= self.size {
                    self.done = true;
                    break;
                }
                self.position = row.position.unwrap_or(self.position + 1);
                self.buf.extend_from_slice(&row.line);
            }
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// `log/leaves` up to the tree size, read a chunk at a time.
struct LeafBytes<'a, S: ?Sized> {
    store: &'a S,
    size: u64,
    next: u64,
    buf: Vec<u8>,
    at: usize,
}

impl<S: Store + ?Sized> LeafBytes<'_, S> {
    /// The next chunk of leaves, checked to be all there.
    fn chunk(&mut self) -> Result<Vec<saylau::election::Leaf>, ExportError> {
        let count = usize::try_from(self.size - self.next)
            .unwrap_or(CHUNK)
            .min(CHUNK);
        let chunk = self.store.leaves(self.next, count)?;
        if chunk.len() != count {
            return Err(StoreError::Corrupt {
                table: "leaves",
                index: self.next + chunk.len() as u64,
                reason: format!("missing, but checkpoint {} covers it", self.size),
            }
            .into());
        }
        Ok(chunk)
    }
}

impl<S: Store + ?Sized> Read for LeafBytes<'_, S> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buf.len() && self.next < self.size {
            let chunk = self.chunk().map_err(into_io)?;
            self.buf.clear();
            self.at = 0;
            for leaf in &chunk {
                self.buf.extend_from_slice(&leaf.to_bytes());
            }
            self.next += chunk.len() as u64;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// `challenged.jsonl` up to the tree size: the lines of the challenged leaves, in log order.
struct ChallengedLines<'a, S: ?Sized> {
    leaves: LeafBytes<'a, S>,
}

impl<'a, S: Store + ?Sized> ChallengedLines<'a, S> {
    fn new(store: &'a S, size: u64) -> Self {
        Self {
            leaves: LeafBytes {
                store,
                size,
                next: 0,
                buf: Vec::new(),
                at: 0,
            },
        }
    }
}

impl<S: Store + ?Sized> Read for ChallengedLines<'_, S> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let l = &mut self.leaves;
        while l.at == l.buf.len() && l.next < l.size {
            let chunk = l.chunk().map_err(into_io)?;
            l.buf.clear();
            l.at = 0;
            for (i, leaf) in chunk.iter().enumerate() {
                if leaf.kind() == LeafKind::Challenged {
                    let index = l.next + i as u64;
                    let row = l
                        .store
                        .ballot_by_hash(leaf.ballot_hash())
                        .map_err(into_io)?
                        .ok_or_else(|| {
                            into_io(ExportError::MissingBallot {
                                index,
                                ballot_hash: hex::encode(leaf.ballot_hash()),
                            })
                        })?;
                    l.buf.extend_from_slice(&row.line);
                }
            }
            l.next += chunk.len() as u64;
        }
        let n = out.len().min(l.buf.len() - l.at);
        out[..n].copy_from_slice(&l.buf[l.at..l.at + n]);
        l.at += n;
        Ok(n)
    }
}

/// Reads exactly `len` bytes from `reader` (refusing a shorter or longer stream: the rows
/// changed between the two passes, which an append-only log below a checkpoint never does).
struct Exactly<R> {
    inner: R,
    left: u64,
    file: &'static str,
}

impl<R: Read> Read for Exactly<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "{}: longer than its first pass",
                    self.file
                ))),
            };
        }
        let want = out
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut out[..want])?;
        if n == 0 {
            return Err(std::io::Error::other(format!(
                "{}: shorter than its first pass",
                self.file
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn tar_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header
}

/// Writes the whole export as an uncompressed tar to `out`, streaming the store's files: at no
/// time is more than a page of rows in memory (`GET /v1/export`, board.md §8.8). The same
/// bytes as [`export_tar`].
pub fn write_tar<S: Store + ?Sized, W: Write>(
    store: &S,
    dir: &Path,
    out: W,
) -> Result<(), ExportError> {
    let io = |file: &str| {
        let file = file.to_string();
        move |e: std::io::Error| unwrap_store(e, &file)
    };
    let files = record_files(dir)?;
    let checkpoints = store.checkpoints_after(0, usize::MAX)?;
    let size = checkpoints.last().map_or(0, |c| c.size);
    let (ballots_len, challenged_len) = log_sizes(store, size)?;
    let mut builder = tar::Builder::new(out);
    for (name, bytes) in &files {
        builder
            .append_data(&mut tar_header(bytes.len() as u64), name, bytes.as_slice())
            .map_err(io(name))?;
    }
    let streams: [(&'static str, u64, Box<dyn Read + '_>); 3] = [
        (
            record::BALLOTS,
            ballots_len,
            Box::new(BallotLines::new(store, size)),
        ),
        (
            record::CHALLENGED,
            challenged_len,
            Box::new(ChallengedLines::new(store, size)),
        ),
        (
            LEAVES,
            size * saylau::election::LEAF_SIZE as u64,
            Box::new(LeafBytes {
                store,
                size,
                next: 0,
                buf: Vec::new(),
                at: 0,
            }),
        ),
    ];
    for (name, len, reader) in streams {
        let reader = Exactly {
            inner: reader,
            left: len,
            file: name,
        };
        builder
            .append_data(&mut tar_header(len), name, reader)
            .map_err(io(name))?;
    }
    let lines = checkpoint_lines(&checkpoints);
    builder
        .append_data(
            &mut tar_header(lines.len() as u64),
            CHECKPOINTS,
            lines.as_slice(),
        )
        .map_err(io(CHECKPOINTS))?;
    builder
        .into_inner()
        .and_then(|mut w| w.flush())
        .map_err(io("export.tar"))
}

/// The whole export as an uncompressed tar, in memory (tests; the service streams it with
/// [`write_tar`]). Entries have mode 0644 and
/// time 0, so the same board gives the same bytes.
pub fn export_tar<S: Store + ?Sized>(store: &S, dir: &Path) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    write_tar(store, dir, &mut out)?;
    Ok(out)
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
    // The advisory decoding hints, computed once here for every later verifier (record.md §8).
    saylau::record::hints::write_hint_sidecar(dir)?;
    Ok(leaves)
}
