//! JSON-lines files (`ballots.jsonl`, `challenged.jsonl`): bounded line readers, chunks read
//! ahead on another thread, and the append-only writer (spec `record.md` §5).

use super::contents::BallotLine;
use super::error::RecordError;
use super::files::{decode_json, regular_file_metadata};
use super::hashing::HashedFile;
use super::layout::{BALLOTS, MAX_LINE_BYTES};
use crate::crypto::digest::Hash;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs;
use std::io::{BufRead, Write};
use std::path::Path;

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
pub(crate) fn read_line_at(
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
pub(crate) fn read_chunk<R: BufRead>(
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
pub(crate) fn read_ahead<R: BufRead + Send>(
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
    if let Some(decoded) = super::compact::decode_ballot_line(bytes) {
        return Ok(decoded);
    }
    // Each decoder meets the line's points from the first (spec batch.md §8.3).
    crate::crypto::group::rewind_hints();
    serde_json::from_slice::<BallotLine>(bytes).or_else(|_| {
        crate::crypto::group::rewind_hints();
        decode_json::<BallotLine>(BALLOTS, Some(line), bytes)
    })
}

/// An append-only JSON-lines writer that flushes every line to disk before returning.
pub(crate) struct LinesWriter {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::*;

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
