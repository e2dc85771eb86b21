//! The election record: a directory of JSON and JSON-lines files anyone can read, chained into
//! one root hash.
//!
//! Spec: `protocol-spec/record.md`. Files are written atomically (temporary file, then rename),
//! and ballots are appended one line at a time and flushed, so accepted data is never lost.

use crate::ballot::{Ballot, ChallengedBallot};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::PublicKey;
use crate::crypto::group::{hash_hex, GroupElement};
use crate::crypto::proofs::SchnorrProof;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// `manifest.json`: the election definition.
pub const MANIFEST: &str = "manifest.json";
/// `ceremony.json`: the key ceremony's public transcript.
pub const CEREMONY: &str = "ceremony.json";
/// `credentials.json`: the public credentials of eligible voters.
pub const CREDENTIALS: &str = "credentials.json";
/// `election.json`: the election fingerprint and what it hashes.
pub const ELECTION: &str = "election.json";
/// `ballots.jsonl`: cast ballots, one per line, in board order.
pub const BALLOTS: &str = "ballots.jsonl";
/// `challenged.jsonl`: challenged (spoiled) ballots with revealed nonces.
pub const CHALLENGED: &str = "challenged.jsonl";
/// `tally.json`: the encrypted tally.
pub const TALLY: &str = "tally.json";
/// `decryption/`: one decryption share per participating trustee, `trustee-<i>.json`.
pub const DECRYPTION_DIR: &str = "decryption";
/// `results.json`: counts and outcomes.
pub const RESULTS: &str = "results.json";
/// `record.json`: the hash of every file and the record root.
pub const INDEX: &str = "record.json";

/// Largest JSON file read whole (the ballot file is streamed line by line instead).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Largest single line of a JSON-lines file.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// A problem reading or writing the record, naming the file (and line, and JSON field).
#[derive(Debug, Error)]
pub enum RecordError {
    /// The file is missing or unreadable.
    #[error("{file}: {error}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file's content does not decode.
    #[error("{file}{}: field `{path}`: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Malformed {
        /// The file.
        file: String,
        /// The 1-based line for JSON-lines files.
        line: Option<u64>,
        /// The JSON path of the culprit field (`.` for the whole document).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The file is larger than the reader accepts.
    #[error("{file}: larger than the {limit}-byte limit")]
    TooLarge {
        /// The file.
        file: String,
        /// The limit.
        limit: u64,
    },
}

impl RecordError {
    pub(crate) fn io(file: &str, error: std::io::Error) -> Self {
        RecordError::Io {
            file: file.to_string(),
            error,
        }
    }
}

/// The metadata of a record file, refusing anything but a regular file (after following
/// symbolic links): opening a FIFO blocks forever, and a device such as `/dev/zero` never ends.
fn regular_file_metadata(path: &Path, name: &str) -> Result<fs::Metadata, RecordError> {
    let metadata = fs::metadata(path).map_err(|e| RecordError::io(name, e))?;
    if !metadata.is_file() {
        return Err(RecordError::io(
            name,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    Ok(metadata)
}

/// Files up to this many bytes are hashed as one message; larger files block by block, so
/// that their blocks can be hashed in parallel (spec `record.md` §2).
pub const FILE_BLOCK: usize = 1 << 20;

/// The hash of a record file's bytes (spec `record.md` §2).
pub fn file_hash(bytes: &[u8]) -> Hash {
    if bytes.len() <= FILE_BLOCK {
        return tagged_hash("saylau/v1/file", &[bytes]);
    }
    let blocks: Vec<Hash> = bytes.par_chunks(FILE_BLOCK).map(block_hash).collect();
    let mut outer = blocks_hasher(bytes.len() as u64);
    for block in &blocks {
        sha3::Digest::update(&mut outer, block);
    }
    sha3::Digest::finalize(outer).into()
}

/// `h_i`: the hash of one block of a large file (spec `record.md` §2).
fn block_hash(block: &[u8]) -> Hash {
    tagged_hash("saylau/v1/file-block", &[block])
}

/// The hash of a file of `length > FILE_BLOCK` bytes, ready for its block hashes in order:
/// `TH("saylau/v1/file-blocks", [LE64(length), h_0 ‖ … ‖ h_(n−1)])`, fed incrementally.
fn blocks_hasher(length: u64) -> sha3::Sha3_256 {
    use sha3::Digest;
    let tag = b"saylau/v1/file-blocks";
    let blocks = length.div_ceil(FILE_BLOCK as u64);
    let mut hasher = sha3::Sha3_256::new();
    hasher.update((tag.len() as u64).to_le_bytes());
    hasher.update(tag);
    hasher.update(8u64.to_le_bytes());
    hasher.update(length.to_le_bytes());
    hasher.update((32 * blocks).to_le_bytes());
    hasher
}

/// Decodes JSON, naming the culprit field on failure.
pub fn decode_json<T: DeserializeOwned>(
    file: &str,
    line: Option<u64>,
    bytes: &[u8],
) -> Result<T, RecordError> {
    decode_from(file, line, &mut serde_json::Deserializer::from_slice(bytes))
}

/// Decodes one JSON value and checks that only white space follows, naming the culprit field
/// on failure.
fn decode_from<'de, R: serde_json::de::Read<'de>, T: Deserialize<'de>>(
    file: &str,
    line: Option<u64>,
    deserializer: &mut serde_json::Deserializer<R>,
) -> Result<T, RecordError> {
    let value = serde_path_to_error::deserialize(&mut *deserializer).map_err(|error| {
        RecordError::Malformed {
            file: file.to_string(),
            line,
            path: error.path().to_string(),
            message: error.inner().to_string(),
        }
    })?;
    deserializer.end().map_err(|error| RecordError::Malformed {
        file: file.to_string(),
        line,
        path: ".".into(),
        message: error.to_string(),
    })?;
    Ok(value)
}

/// The encodings of the credentials in `credentials.json`, in order, and the file's hash. The
/// file grows with the electorate (about 70 bytes per voter), so it is read once, as a stream
/// with no size limit, hashed as it is parsed, and only the 32 bytes of each encoding are kept
/// (spec `record.md` §6.1). Whether each is a valid credential is the caller's check.
pub fn read_credential_encodings(dir: &Path) -> Result<(Vec<[u8; 32]>, Hash), RecordError> {
    /// One credential's encoding, not decoded as a point.
    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Encoding(#[serde(with = "hash_hex")] [u8; 32]);

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Encodings {
        credentials: Vec<Encoding>,
    }

    let mut file = HashedFile::open(dir, CREDENTIALS)?;
    let list: Encodings = decode_from(
        CREDENTIALS,
        None,
        &mut serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(
            1 << 20,
            &mut file,
        )),
    )?;
    // The decoder stops after trailing white space; anything it did not read is still hashed.
    std::io::copy(&mut file, &mut std::io::sink()).map_err(|e| RecordError::io(CREDENTIALS, e))?;
    let encodings = list.credentials.into_iter().map(|e| e.0).collect();
    Ok((encodings, file.finish()?))
}

/// The indices of the entries of `encodings` that are not credentials (a canonical encoding of a
/// point other than the identity), with why, in order. Decodes in parallel: one decompression
/// per voter (spec `verifier.md` check 4).
pub fn invalid_credentials(
    encodings: &[[u8; 32]],
) -> Vec<(usize, crate::crypto::error::DecodeError)> {
    use rayon::prelude::*;
    encodings
        .par_iter()
        .enumerate()
        .filter_map(|(i, encoding)| {
            GroupElement::decode_non_identity(encoding)
                .err()
                .map(|e| (i, e))
        })
        .collect()
}

/// Reads a whole file, refusing files over [`MAX_FILE_BYTES`].
pub fn read_file(dir: &Path, name: &str) -> Result<Vec<u8>, RecordError> {
    let path = dir.join(name);
    let metadata = regular_file_metadata(&path, name)?;
    if metadata.len() > MAX_FILE_BYTES {
        return Err(RecordError::TooLarge {
            file: name.into(),
            limit: MAX_FILE_BYTES,
        });
    }
    fs::read(&path).map_err(|e| RecordError::io(name, e))
}

/// Reads and decodes a JSON file; returns the value and the file's bytes.
pub fn read_json<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<(T, Vec<u8>), RecordError> {
    let bytes = read_file(dir, name)?;
    Ok((decode_json(name, None, &bytes)?, bytes))
}

/// Writes a value as pretty JSON, atomically; returns the bytes written.
pub fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<Vec<u8>, RecordError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| RecordError::io(name, std::io::Error::other(e)))?;
    bytes.push(b'\n');
    write_atomically(dir, name, &bytes)?;
    Ok(bytes)
}

/// Writes bytes to `dir/name` through a temporary file and a rename.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), RecordError> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| RecordError::io(name, e))?;
    }
    let temporary = temporary_path(&path);
    let mut file = fs::File::create(&temporary).map_err(|e| RecordError::io(name, e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| RecordError::io(name, e))?;
    fs::rename(&temporary, &path).map_err(|e| RecordError::io(name, e))
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// `credentials.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialList {
    /// Public credentials `X = x·G` of the eligible voters, in registration order.
    pub credentials: Vec<GroupElement>,
}

/// `election.json`: the election fingerprint and its inputs (spec `record.md` §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionInfo {
    /// Format version, 1.
    pub version: u32,
    /// Hash of `manifest.json`.
    #[serde(with = "hash_hex")]
    pub manifest_hash: Hash,
    /// Hash of `ceremony.json`.
    #[serde(with = "hash_hex")]
    pub ceremony_hash: Hash,
    /// Hash of `credentials.json`.
    #[serde(with = "hash_hex")]
    pub credentials_hash: Hash,
    /// The joint election key `K`.
    pub joint_key: PublicKey,
    /// The board's receipt-signing key `B` (spec `board.md` §3.1), never the identity. Bound
    /// into the fingerprint, so it is fixed before the first ballot and cannot be swapped
    /// afterwards.
    pub board_key: PublicKey,
    /// The fingerprint every proof binds.
    #[serde(with = "hash_hex")]
    pub fingerprint: Hash,
}

impl ElectionInfo {
    /// Computes the fingerprint from its inputs (spec `record.md` §3).
    pub fn new(
        manifest_hash: Hash,
        ceremony_hash: Hash,
        credentials_hash: Hash,
        joint_key: PublicKey,
        board_key: PublicKey,
    ) -> Self {
        let fingerprint = election_fingerprint(
            &manifest_hash,
            &ceremony_hash,
            &credentials_hash,
            &joint_key,
            &board_key,
        );
        Self {
            version: 1,
            manifest_hash,
            ceremony_hash,
            credentials_hash,
            joint_key,
            board_key,
            fingerprint,
        }
    }
}

/// `fingerprint = H("saylau/v1/election", manifest_hash, ceremony_hash, credentials_hash, K, B)`
/// (spec `record.md` §3.1).
pub fn election_fingerprint(
    manifest_hash: &Hash,
    ceremony_hash: &Hash,
    credentials_hash: &Hash,
    joint_key: &PublicKey,
    board_key: &PublicKey,
) -> Hash {
    tagged_hash(
        "saylau/v1/election",
        &[
            manifest_hash,
            ceremony_hash,
            credentials_hash,
            joint_key.element().as_bytes(),
            board_key.element().as_bytes(),
        ],
    )
}

/// The tracking code of a cast ballot:
/// `H("saylau/v1/tracking", previous, ballot hash, signature commitment, signature response)`,
/// with the election fingerprint as the first `previous` (spec `board.md` §2). The ballot hash
/// commits to the whole body, so the link commits to the whole ballot without rehashing it.
pub fn tracking_code(previous: &Hash, ballot_hash: &Hash, signature: &SchnorrProof) -> Hash {
    tracking_link(
        previous,
        ballot_hash,
        signature.commitment.as_bytes(),
        signature.response.as_bytes(),
    )
}

/// [`tracking_code`] over the signature's two encodings as published, for a reader that follows
/// the chain without decoding the ballots (spec `board.md` §2, §3.3).
pub fn tracking_link(
    previous: &Hash,
    ballot_hash: &Hash,
    commitment: &[u8; 32],
    response: &[u8; 32],
) -> Hash {
    tagged_hash(
        "saylau/v1/tracking",
        &[previous, ballot_hash, commitment, response],
    )
}

/// One line of `ballots.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotLine {
    /// The voter's receipt: this ballot's link in the board's hash chain.
    #[serde(with = "hash_hex")]
    pub tracking_code: Hash,
    /// The ballot hash the device showed before casting.
    #[serde(with = "hash_hex")]
    pub ballot_hash: Hash,
    /// The ballot.
    pub ballot: Ballot,
}

/// One line of `challenged.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengedLine {
    /// The ballot hash the device showed before the voter challenged.
    #[serde(with = "hash_hex")]
    pub ballot_hash: Hash,
    /// The ballot and its revealed secrets.
    pub challenged: ChallengedBallot,
}

/// A line of a JSON-lines file as read: its 1-based number, the byte offset where it starts,
/// and its bytes (with the line feed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLine {
    /// The 1-based line number.
    pub number: u64,
    /// Where the line starts in the file, in bytes.
    pub offset: u64,
    /// The line's bytes.
    pub bytes: Vec<u8>,
}

/// Reads a JSON-lines file one bounded line at a time.
pub struct LinesReader<R> {
    reader: R,
    file: String,
    line: u64,
    /// Bytes consumed so far, and where the line last returned starts.
    consumed: u64,
    line_start: u64,
    buffer: Vec<u8>,
}

impl LinesReader<std::io::BufReader<fs::File>> {
    /// Opens `dir/name`; a missing file reads as empty when `optional`.
    pub fn open(dir: &Path, name: &str, optional: bool) -> Result<Option<Self>, RecordError> {
        let path = dir.join(name);
        match regular_file_metadata(&path, name) {
            Err(RecordError::Io { error, .. })
                if optional && error.kind() == std::io::ErrorKind::NotFound =>
            {
                return Ok(None)
            }
            Err(error) => return Err(error),
            Ok(_) => {}
        }
        match fs::File::open(path) {
            Ok(file) => Ok(Some(Self::new(
                std::io::BufReader::with_capacity(1 << 20, file),
                name,
            ))),
            Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(RecordError::io(name, e)),
        }
    }
}

impl LinesReader<std::io::BufReader<HashedFile>> {
    /// Opens `dir/name`, hashing the file as its lines are read (spec `record.md` §2), so that
    /// the bytes checked line by line are the bytes hashed; the hash is [`Self::file_hash`].
    pub fn open_hashed(dir: &Path, name: &str) -> Result<Self, RecordError> {
        let file = HashedFile::open(dir, name)?;
        Ok(Self::new(
            std::io::BufReader::with_capacity(1 << 20, file),
            name,
        ))
    }

    /// The file hash of every byte read, once the last line was read: an error if the file
    /// changed length while it was read.
    pub fn file_hash(self) -> Result<Hash, RecordError> {
        self.reader.into_inner().finish()
    }
}

impl<R: BufRead> LinesReader<R> {
    /// Wraps a reader; `file` names it in errors.
    pub fn new(reader: R, file: &str) -> Self {
        Self {
            reader,
            file: file.to_string(),
            line: 0,
            consumed: 0,
            line_start: 0,
            buffer: Vec::new(),
        }
    }

    /// The next non-empty line with its 1-based number, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<(u64, &[u8])>, RecordError> {
        loop {
            self.buffer.clear();
            let limit = MAX_LINE_BYTES as u64 + 1;
            let read = std::io::Read::take(&mut self.reader, limit)
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| RecordError::io(&self.file, e))?;
            if read == 0 {
                return Ok(None);
            }
            self.line_start = self.consumed;
            self.consumed += read as u64;
            self.line += 1;
            if self.buffer.len() > MAX_LINE_BYTES {
                return Err(RecordError::Malformed {
                    file: self.file.clone(),
                    line: Some(self.line),
                    path: ".".into(),
                    message: format!("line longer than {MAX_LINE_BYTES} bytes"),
                });
            }
            if self.buffer.last() != Some(&b'\n') {
                return Err(RecordError::Malformed {
                    file: self.file.clone(),
                    line: Some(self.line),
                    path: ".".into(),
                    message: "truncated: the last line has no newline".into(),
                });
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some((self.line, &self.buffer)));
        }
    }

    /// The byte offset where the line last returned starts.
    pub fn line_offset(&self) -> u64 {
        self.line_start
    }

    /// The next non-empty line, owned.
    pub fn next_raw(&mut self) -> Result<Option<RawLine>, RecordError> {
        let Some((number, bytes)) = self.next_line()? else {
            return Ok(None);
        };
        let bytes = bytes.to_vec();
        Ok(Some(RawLine {
            number,
            offset: self.line_start,
            bytes,
        }))
    }

    /// The next line decoded as `T`.
    pub fn next_json<T: DeserializeOwned>(&mut self) -> Result<Option<(u64, T)>, RecordError> {
        let file = self.file.clone();
        match self.next_line()? {
            None => Ok(None),
            Some((line, bytes)) => Ok(Some((line, decode_json(&file, Some(line), bytes)?))),
        }
    }
}

/// The line of `ballots.jsonl` that starts at byte `offset` (with its line feed), bounded as
/// [`LinesReader`] bounds lines.
pub fn read_line_at(
    file: &mut std::io::BufReader<fs::File>,
    offset: u64,
) -> Result<Vec<u8>, RecordError> {
    use std::io::Seek;
    let truncated = |message: &str| RecordError::Malformed {
        file: BALLOTS.into(),
        line: None,
        path: ".".into(),
        message: format!("{message} at byte {offset}"),
    };
    file.seek(std::io::SeekFrom::Start(offset))
        .map_err(|e| RecordError::io(BALLOTS, e))?;
    let mut bytes = Vec::new();
    std::io::Read::take(&mut *file, MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', &mut bytes)
        .map_err(|e| RecordError::io(BALLOTS, e))?;
    if bytes.len() > MAX_LINE_BYTES || bytes.last() != Some(&b'\n') {
        return Err(truncated("the file changed: no whole line"));
    }
    Ok(bytes)
}

/// Up to `count` non-empty lines, and the read error that ended them
/// early, if any.
pub fn read_chunk<R: BufRead>(
    reader: &mut LinesReader<R>,
    count: usize,
) -> (Vec<RawLine>, Option<RecordError>) {
    let mut lines = Vec::with_capacity(count);
    while lines.len() < count {
        match reader.next_raw() {
            Ok(Some(line)) => lines.push(line),
            Ok(None) => break,
            Err(error) => return (lines, Some(error)),
        }
    }
    (lines, None)
}

/// Reads `reader` in chunks of `count` lines on a thread of its own, one chunk ahead of
/// `consume`, so that reading the next chunk overlaps checking this one. `consume` gets each
/// chunk with the read error that ended it, if any, and returns whether to go on; it is not
/// called again after an empty chunk or an error. Returns the reader, and whether it was read to
/// its end with no error.
pub fn read_ahead<R: BufRead + Send>(
    mut reader: LinesReader<R>,
    count: usize,
    mut consume: impl FnMut(Vec<RawLine>, Option<RecordError>) -> bool,
) -> (LinesReader<R>, bool) {
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel(0);
        let producer = scope.spawn(move || loop {
            let (lines, error) = read_chunk(&mut reader, count);
            let end = lines.is_empty() && error.is_none();
            let last = end || error.is_some();
            // A closed channel means the consumer stopped early.
            if sender.send((lines, error)).is_err() || last {
                return (reader, end);
            }
        });
        for (lines, error) in receiver.iter() {
            if lines.is_empty() && error.is_none() {
                break;
            }
            let last = error.is_some();
            if !consume(lines, error) || last {
                break;
            }
        }
        // Dropping the receiver stops a producer that is still reading.
        drop(receiver);
        producer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Decodes one line of `ballots.jsonl`. A line in saylau's own compact form takes the strict
/// decoder ([`crate::record::compact`]); any other takes serde_json's plain path; a line that fails both
/// is decoded again with field paths, for an error that names the culprit field.
pub fn decode_ballot_line(line: u64, bytes: &[u8]) -> Result<BallotLine, RecordError> {
    if let Some(decoded) = crate::record::compact::decode_ballot_line(bytes) {
        return Ok(decoded);
    }
    serde_json::from_slice::<BallotLine>(bytes)
        .or_else(|_| decode_json::<BallotLine>(BALLOTS, Some(line), bytes))
}

/// An append-only JSON-lines writer that flushes every line to disk before returning.
pub struct LinesWriter {
    file: fs::File,
    name: String,
}

impl LinesWriter {
    /// Opens `dir/name` for appending, creating it.
    pub fn append(dir: &Path, name: &str) -> Result<Self, RecordError> {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(name))
            .map_err(|e| RecordError::io(name, e))?;
        Ok(Self {
            file,
            name: name.to_string(),
        })
    }

    /// Appends one value as a line and flushes it to the OS; `sync` also waits for the disk.
    pub fn push<T: Serialize>(&mut self, value: &T, sync: bool) -> Result<(), RecordError> {
        let mut line = serde_json::to_vec(value)
            .map_err(|e| RecordError::io(&self.name, std::io::Error::other(e)))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|e| RecordError::io(&self.name, e))?;
        if sync {
            self.file
                .sync_data()
                .map_err(|e| RecordError::io(&self.name, e))?;
        }
        Ok(())
    }

    /// Waits until every appended line is on disk.
    pub fn sync(&mut self) -> Result<(), RecordError> {
        self.file
            .sync_data()
            .map_err(|e| RecordError::io(&self.name, e))
    }
}

/// Cuts a JSON-lines file back to its last complete line. A line without its newline was cut
/// short by a crash during the write, before the writer acknowledged it, so nothing accepted
/// is lost. Returns the number of bytes dropped.
pub fn drop_unacknowledged_tail(dir: &Path, name: &str) -> Result<u64, RecordError> {
    use std::io::{Read, Seek, SeekFrom};
    let path = dir.join(name);
    let mut file = match fs::OpenOptions::new().read(true).write(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(RecordError::io(name, e)),
    };
    let length = file.metadata().map_err(|e| RecordError::io(name, e))?.len();
    let mut keep = length;
    let mut buffer = [0u8; 4096];
    while keep > 0 {
        let start = keep.saturating_sub(buffer.len() as u64);
        let chunk = &mut buffer[..(keep - start) as usize];
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(chunk))
            .map_err(|e| RecordError::io(name, e))?;
        if let Some(position) = chunk.iter().rposition(|&b| b == b'\n') {
            keep = start + position as u64 + 1;
            break;
        }
        keep = start;
    }
    if keep < length {
        file.set_len(keep)
            .and_then(|_| file.sync_all())
            .map_err(|e| RecordError::io(name, e))?;
    }
    Ok(length - keep)
}

/// `record.json`: each file's hash, chained into the record root (spec `record.md` §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordIndex {
    /// The files, in chain order.
    pub files: Vec<FileEntry>,
    /// The root: the last link of the chain.
    #[serde(with = "hash_hex")]
    pub root: Hash,
}

/// One file of the record index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the record directory, `/`-separated.
    pub name: String,
    /// [`file_hash`] of its bytes.
    #[serde(with = "hash_hex")]
    pub hash: Hash,
}

/// The files the record root covers, in chain order: the fixed files, then every
/// `decryption/trustee-<i>.json` in increasing `i` (spec `record.md` §4).
pub fn indexed_files(dir: &Path) -> Result<Vec<String>, RecordError> {
    let mut names: Vec<String> = [
        MANIFEST,
        CEREMONY,
        CREDENTIALS,
        ELECTION,
        BALLOTS,
        CHALLENGED,
        TALLY,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // The ceremony transcript, when the ceremony was run by separate trustees, right after
    // ceremony.json (spec `ceremony.md` §14.4).
    let transcript = transcript_files(dir)?;
    names.splice(2..2, transcript);
    names.extend(decryption_files(dir)?.into_iter().map(|(_, name)| name));
    names.extend(
        numbered_files(dir, REJECTED_DIR)?
            .into_iter()
            .map(|(_, name)| name),
    );
    names.push(RESULTS.to_string());
    Ok(names)
}

/// `ceremony/`: the key ceremony's transcript, when it was run by separate trustees.
pub const TRANSCRIPT_DIR: &str = "ceremony";
/// `decryption/rejected/`: decryption shares that failed their proofs, set aside by the tally.
pub const REJECTED_DIR: &str = "decryption/rejected";

/// The ceremony transcript files present, in chain order: `ceremony/parameters.json`, then
/// `ceremony/commit/`, `ceremony/reveal/`, `ceremony/round2/`, each by increasing trustee index.
pub fn transcript_files(dir: &Path) -> Result<Vec<String>, RecordError> {
    let parameters = format!("{TRANSCRIPT_DIR}/parameters.json");
    if !dir.join(&parameters).is_file() {
        return Ok(Vec::new());
    }
    let mut names = vec![parameters];
    for stage in ["commit", "reveal", "round2"] {
        let sub = format!("{TRANSCRIPT_DIR}/{stage}");
        names.extend(numbered_files(dir, &sub)?.into_iter().map(|(_, name)| name));
    }
    Ok(names)
}

/// The `trustee-<i>.json` files of `dir/sub`, as `(i, "sub/trustee-<i>.json")`, sorted by `i`.
pub fn numbered_files(dir: &Path, sub: &str) -> Result<Vec<(u32, String)>, RecordError> {
    let mut found = Vec::new();
    let entries = match fs::read_dir(dir.join(sub)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(RecordError::io(sub, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| RecordError::io(sub, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let index = name
            .strip_prefix("trustee-")
            .and_then(|rest| rest.strip_suffix(".json"))
            .and_then(|digits| digits.parse::<u32>().ok())
            .filter(|i| name == format!("trustee-{i}.json"));
        if let Some(index) = index {
            found.push((index, format!("{sub}/{name}")));
        }
    }
    found.sort();
    Ok(found)
}

/// The decryption share files present, as `(trustee index, relative name)`, sorted by index.
pub fn decryption_files(dir: &Path) -> Result<Vec<(u32, String)>, RecordError> {
    numbered_files(dir, DECRYPTION_DIR)
}

/// `decryption/trustee-<i>.json`.
pub fn decryption_file_name(index: u32) -> String {
    format!("{DECRYPTION_DIR}/trustee-{index}.json")
}

/// A file opened for reading, hashed as it is read: the file hash of the bytes read, checked
/// against the length the file had when opened.
pub struct HashedFile {
    name: String,
    file: fs::File,
    hasher: FileHasher,
    length: u64,
    read: u64,
}

/// Blocks handed to the thread pool and not yet folded into the outer hash, at most: 8 MiB per
/// thread of the pool. The verifier's reader runs one chunk of `ballots.jsonl` ahead (about
/// 6.7 MB per thread, `batch.md §4.6`) while the pool is busy with the current one, so it never
/// waits for a block hash; memory stays bounded by the pool's size, not the file's.
fn pending_blocks() -> usize {
    8 * rayon::current_num_threads().max(1)
}

/// The file hash of `record.md` §2, fed incrementally. A large file's full blocks are hashed on
/// the rayon pool while the caller reads on, and their hashes are taken back in order.
enum FileHasher {
    /// A file of up to [`FILE_BLOCK`] bytes: `TH("saylau/v1/file", [bytes])`.
    Whole(sha3::Sha3_256),
    /// A larger file: the outer hash, the block being filled, and the hashes on their way.
    Blocks {
        outer: sha3::Sha3_256,
        block: Vec<u8>,
        pending: std::collections::VecDeque<std::sync::mpsc::Receiver<Hash>>,
    },
}

impl FileHasher {
    fn new(length: u64) -> Self {
        use sha3::Digest;
        if length > FILE_BLOCK as u64 {
            return Self::Blocks {
                outer: blocks_hasher(length),
                block: Vec::with_capacity(FILE_BLOCK),
                pending: Default::default(),
            };
        }
        // Same bytes as tagged_hash("saylau/v1/file", [content]).
        let tag = b"saylau/v1/file";
        let mut hasher = sha3::Sha3_256::new();
        hasher.update((tag.len() as u64).to_le_bytes());
        hasher.update(tag);
        hasher.update(length.to_le_bytes());
        Self::Whole(hasher)
    }

    fn update(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        use sha3::Digest;
        match self {
            Self::Whole(hasher) => hasher.update(bytes),
            Self::Blocks {
                outer,
                block,
                pending,
            } => {
                while !bytes.is_empty() {
                    let take = bytes.len().min(FILE_BLOCK - block.len());
                    block.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if block.len() == FILE_BLOCK {
                        let full = std::mem::replace(block, Vec::with_capacity(FILE_BLOCK));
                        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
                        let job = move || {
                            // The receiver is gone only if the hasher was dropped unfinished.
                            let _ = sender.send(block_hash(&full));
                        };
                        // On the global pool: its threads take these jobs when they run out
                        // of ballot batches, at the end of each chunk, where they would idle.
                        // A thread of a pool hashes the block itself: waiting for its pool's
                        // jobs could deadlock if every thread of the pool were waiting too.
                        if rayon::current_thread_index().is_some() {
                            job();
                        } else {
                            rayon::spawn(job);
                        }
                        pending.push_back(receiver);
                        while pending.len() > pending_blocks() {
                            take_block_hash(outer, pending)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> std::io::Result<Hash> {
        use sha3::Digest;
        match self {
            Self::Whole(hasher) => Ok(hasher.finalize().into()),
            Self::Blocks {
                mut outer,
                block,
                mut pending,
            } => {
                while !pending.is_empty() {
                    take_block_hash(&mut outer, &mut pending)?;
                }
                if !block.is_empty() {
                    outer.update(block_hash(&block));
                }
                Ok(outer.finalize().into())
            }
        }
    }
}

/// Folds the oldest pending block hash into the outer hash, waiting for it.
fn take_block_hash(
    outer: &mut sha3::Sha3_256,
    pending: &mut std::collections::VecDeque<std::sync::mpsc::Receiver<Hash>>,
) -> std::io::Result<()> {
    if let Some(receiver) = pending.pop_front() {
        // Only a job that ended without sending (a panic, which rayon turns into an abort)
        // leaves the channel empty.
        let hash = receiver
            .recv()
            .map_err(|_| std::io::Error::other("a block of the file was not hashed"))?;
        sha3::Digest::update(outer, hash);
    }
    Ok(())
}

impl HashedFile {
    /// Opens `dir/name` for hashed reading.
    pub fn open(dir: &Path, name: &str) -> Result<Self, RecordError> {
        let path = dir.join(name);
        let length = regular_file_metadata(&path, name)?.len();
        let file = fs::File::open(&path).map_err(|e| RecordError::io(name, e))?;
        Ok(Self {
            name: name.into(),
            file,
            hasher: FileHasher::new(length),
            length,
            read: 0,
        })
    }

    /// The file hash, once every byte was read: an error if the file's length changed since
    /// it was opened.
    pub fn finish(self) -> Result<Hash, RecordError> {
        if self.read != self.length {
            return Err(RecordError::io(
                &self.name,
                std::io::Error::other("file changed while being hashed"),
            ));
        }
        self.hasher
            .finish()
            .map_err(|error| RecordError::io(&self.name, error))
    }
}

impl std::io::Read for HashedFile {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.file.read(buffer)?;
        self.hasher.update(&buffer[..read])?;
        self.read += read as u64;
        Ok(read)
    }
}

/// Streams a file through the file hash without holding it in memory; a large file's blocks
/// are hashed in parallel.
pub fn hash_file(dir: &Path, name: &str) -> Result<Hash, RecordError> {
    let mut file = std::io::BufReader::with_capacity(FILE_BLOCK, HashedFile::open(dir, name)?);
    std::io::copy(&mut file, &mut std::io::sink()).map_err(|e| RecordError::io(name, e))?;
    file.into_inner().finish()
}

impl RecordIndex {
    /// Hashes the record's files and chains them (spec `record.md` §4):
    /// `root₀ = H("saylau/v1/record")`, `rootᵢ = H("saylau/v1/record-link", rootᵢ₋₁, nameᵢ, hashᵢ)`.
    pub fn compute(dir: &Path) -> Result<Self, RecordError> {
        let files = indexed_files(dir)?
            .into_iter()
            .map(|name| {
                Ok(FileEntry {
                    hash: hash_file(dir, &name)?,
                    name,
                })
            })
            .collect::<Result<_, RecordError>>()?;
        Ok(Self::chain(files))
    }

    /// Chains files already hashed, in chain order (spec `record.md` §4).
    pub fn chain(files: Vec<FileEntry>) -> Self {
        let mut root = tagged_hash("saylau/v1/record", &[]);
        for file in &files {
            root = tagged_hash(
                "saylau/v1/record-link",
                &[&root, file.name.as_bytes(), &file.hash],
            );
        }
        Self { files, root }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_file_hash_matches_tagged_hash() {
        let dir = std::env::temp_dir().join(format!("saylau-record-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let bytes = b"{\"a\": 1}\n".repeat(1000);
        fs::write(dir.join("x.json"), &bytes).unwrap();
        assert_eq!(hash_file(&dir, "x.json").unwrap(), file_hash(&bytes));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The file hash as `record.md` §2 writes it, computed naively.
    fn file_hash_by_the_spec(bytes: &[u8]) -> Hash {
        if bytes.len() <= FILE_BLOCK {
            return tagged_hash("saylau/v1/file", &[bytes]);
        }
        let blocks: Vec<u8> = bytes
            .chunks(FILE_BLOCK)
            .flat_map(|block| tagged_hash("saylau/v1/file-block", &[block]))
            .collect();
        let length = (bytes.len() as u64).to_le_bytes();
        tagged_hash("saylau/v1/file-blocks", &[&length, &blocks])
    }

    #[test]
    fn large_files_hash_block_by_block_in_every_reader() {
        let dir = std::env::temp_dir().join(format!("saylau-blocks-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let block = FILE_BLOCK;
        for length in [
            0,
            1,
            block - 1,
            block,
            block + 1,
            3 * block,
            8 * block + 5,
            9 * block,
            // More blocks than may wait for the pool at once.
            (pending_blocks() + 3) * block + 7,
        ] {
            let bytes: Vec<u8> = (0..length).map(|i| (i % 251) as u8).collect();
            let expected = file_hash_by_the_spec(&bytes);
            assert_eq!(file_hash(&bytes), expected, "in memory, {length} bytes");
            fs::write(dir.join("x.jsonl"), &bytes).unwrap();
            assert_eq!(
                hash_file(&dir, "x.jsonl").unwrap(),
                expected,
                "parallel stream, {length} bytes"
            );
            let mut streamed = HashedFile::open(&dir, "x.jsonl").unwrap();
            std::io::copy(&mut streamed, &mut std::io::sink()).unwrap();
            assert_eq!(
                streamed.finish().unwrap(),
                expected,
                "reader, {length} bytes"
            );
        }
        // A block of the large form is not a small file: the forms differ.
        let small = vec![7u8; block];
        let large = vec![7u8; block + 1];
        assert_ne!(file_hash(&large), tagged_hash("saylau/v1/file", &[&large]));
        assert_eq!(file_hash(&small), tagged_hash("saylau/v1/file", &[&small]));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hashing_inside_the_thread_pool_does_not_wait_for_the_pool() {
        // Every thread of a pool hashes a large file at once: none may wait for jobs that only
        // the pool's (busy) threads could run.
        let dir = std::env::temp_dir().join(format!("saylau-pool-hash-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let bytes: Vec<u8> = (0..3 * FILE_BLOCK + 1).map(|i| (i % 13) as u8).collect();
        fs::write(dir.join("x.jsonl"), &bytes).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let path = dir.clone();
        std::thread::spawn(move || {
            let hashes: Vec<Hash> = pool.install(|| {
                (0..8)
                    .into_par_iter()
                    .map(|_| hash_file(&path, "x.jsonl").unwrap())
                    .collect()
            });
            let _ = sender.send(hashes);
        });
        // A deadlock detector, not a speed test: the work takes well under a second.
        let hashes = receiver
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("hashing inside the pool deadlocked");
        assert!(hashes.iter().all(|hash| *hash == file_hash(&bytes)));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lines_reader_hashes_what_it_reads() {
        let dir = std::env::temp_dir().join(format!("saylau-lines-hash-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for length in [10, FILE_BLOCK - 3, 3 * FILE_BLOCK + 100] {
            // Lines of 100 bytes, the last one cut to fit, all ending in a line feed.
            let mut bytes: Vec<u8> = (0..length)
                .map(|i| {
                    if i % 100 == 99 {
                        b'\n'
                    } else {
                        b'a' + (i % 26) as u8
                    }
                })
                .collect();
            *bytes.last_mut().unwrap() = b'\n';
            fs::write(dir.join("x.jsonl"), &bytes).unwrap();
            let reader = LinesReader::open_hashed(&dir, "x.jsonl").unwrap();
            let mut lines = 0;
            let (reader, read_to_end) = read_ahead(reader, 1000, |chunk, error| {
                assert!(error.is_none());
                lines += chunk.len();
                true
            });
            assert!(read_to_end);
            assert_eq!(lines, length.div_ceil(100), "{length} bytes");
            assert_eq!(
                reader.file_hash().unwrap(),
                file_hash(&bytes),
                "{length} bytes"
            );
        }
        // A reader stopped before the end has not seen the whole file.
        let reader = LinesReader::open_hashed(&dir, "x.jsonl").unwrap();
        let (reader, read_to_end) = read_ahead(reader, 10, |_, _| false);
        assert!(!read_to_end);
        assert!(reader.file_hash().is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn credentials_are_hashed_as_they_are_streamed() {
        let dir = std::env::temp_dir().join(format!("saylau-creds-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let encoding = hex::encode(crate::crypto::group::G.compress().as_bytes());
        let bytes = format!("{{\"credentials\": [\"{encoding}\", \"{encoding}\"]}}\n \n");
        fs::write(dir.join(CREDENTIALS), &bytes).unwrap();
        let (encodings, hash) = read_credential_encodings(&dir).unwrap();
        assert_eq!(encodings.len(), 2);
        assert_eq!(hash, file_hash(bytes.as_bytes()));
        fs::write(dir.join(CREDENTIALS), format!("{bytes}x")).unwrap();
        assert!(read_credential_encodings(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn read_ahead_delivers_every_line_in_order_and_stops_when_asked() {
        let text: String = (1..=10).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        let reader = || LinesReader::new(std::io::Cursor::new(text.clone().into_bytes()), "x");
        // Every line, in order, with its offset, in chunks of 3.
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let (_, read_to_end) = read_ahead(reader(), 3, |lines, error| {
            assert!(error.is_none());
            sizes.push(lines.len());
            seen.extend(lines);
            true
        });
        assert_eq!(sizes, [3, 3, 3, 1]);
        assert!(read_to_end);
        for (i, line) in seen.iter().enumerate() {
            assert_eq!(line.number, i as u64 + 1);
            let start = line.offset as usize;
            assert_eq!(
                &text.as_bytes()[start..start + line.bytes.len()],
                &line.bytes[..]
            );
        }
        // A consumer that stops early ends the reading thread too (no deadlock).
        let mut calls = 0;
        let (_, read_to_end) = read_ahead(reader(), 3, |_, _| {
            calls += 1;
            false
        });
        assert_eq!(calls, 1);
        assert!(!read_to_end);
        // A read error arrives with the lines before it, and nothing after.
        let truncated = LinesReader::new(std::io::Cursor::new(b"{}\n{}\n{}".to_vec()), "x");
        let mut chunks = Vec::new();
        let (_, read_to_end) = read_ahead(truncated, 5, |lines, error| {
            chunks.push((lines.len(), error.map(|e| e.to_string())));
            true
        });
        assert!(!read_to_end);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].0, 2);
        assert!(chunks[0].1.as_deref().unwrap_or("").contains("line 3"));
    }

    #[test]
    fn lines_reader_rejects_truncation_and_names_line() {
        let data = b"{\"credentials\":[]}\n\n{\"credentials\":[]}".to_vec();
        let mut reader = LinesReader::new(std::io::Cursor::new(data), "x.jsonl");
        assert!(reader.next_json::<CredentialList>().unwrap().is_some());
        let error = reader.next_json::<CredentialList>().unwrap_err();
        assert!(error.to_string().contains("line 3"), "{error}");
    }

    #[test]
    fn partial_tail_is_dropped_and_complete_lines_kept() {
        let dir = std::env::temp_dir().join(format!("saylau-tail-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("b.jsonl"), b"{\"a\":1}\n{\"a\":2}\n{\"a\":").unwrap();
        assert_eq!(drop_unacknowledged_tail(&dir, "b.jsonl").unwrap(), 5);
        assert_eq!(
            fs::read(dir.join("b.jsonl")).unwrap(),
            b"{\"a\":1}\n{\"a\":2}\n"
        );
        assert_eq!(drop_unacknowledged_tail(&dir, "b.jsonl").unwrap(), 0);
        fs::write(dir.join("c.jsonl"), b"{\"a\":").unwrap();
        assert_eq!(drop_unacknowledged_tail(&dir, "c.jsonl").unwrap(), 5);
        assert_eq!(drop_unacknowledged_tail(&dir, "missing.jsonl").unwrap(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_json_names_field() {
        let error =
            decode_json::<CredentialList>("credentials.json", None, b"{\"credentials\":[\"zz\"]}")
                .unwrap_err();
        assert!(error.to_string().contains("credentials[0]"), "{error}");
    }
}

pub mod compact;
