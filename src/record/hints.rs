//! The hint sidecar `hints/ballots.bin`: one inverse-square-root hint per point of
//! `ballots.jsonl`, in order, so that a verifier decodes points without an exponentiation.
//!
//! Spec: `record.md` §8, `batch.md` §8. The sidecar is advisory: it is not in `record.json`, not
//! hashed and not signed, and any bytes in it give the same verdict as no sidecar at all (a hint
//! that does not check is ignored). The board writes it once; [`write_hint_sidecar`] writes it
//! for a record directory, and [`HintWriter`] line by line for a board that streams.

use super::error::RecordError;
use super::files::write_atomically;
use super::layout::{BALLOTS, MAX_LINE_BYTES};
use super::lines::{decode_ballot_line, LinesReader};
use crate::crypto::group::{record_hints, return_hints};
use rayon::prelude::*;
use std::io::{BufReader, Read, Write};
use std::path::Path;

/// `hints/ballots.bin`: the hint sidecar of `ballots.jsonl` (spec `record.md` §8).
pub const BALLOT_HINTS: &str = "hints/ballots.bin";

/// The sidecar's first 16 bytes.
pub const HINTS_MAGIC: &[u8; 16] = b"saylau/v1/hints\n";

/// Bytes of the header: the magic, the stride (little-endian `u32`), then 12 zero bytes.
pub const HINTS_HEADER: usize = 32;

/// The hints of one line, in the order its decoder meets its points; zeros for a point that
/// does not decode. Computed with one inverse square root per point.
pub fn line_hints(bytes: &[u8]) -> Vec<u8> {
    record_hints();
    let _ = decode_ballot_line(0, bytes);
    return_hints().0
}

/// The header of a sidecar whose lines each take `stride` hints.
pub fn header(stride: u32) -> [u8; HINTS_HEADER] {
    let mut header = [0u8; HINTS_HEADER];
    header[..16].copy_from_slice(HINTS_MAGIC);
    header[16..20].copy_from_slice(&stride.to_le_bytes());
    header
}

/// The size in bytes of a sidecar of `lines` lines of `stride` hints: known before any hint is
/// computed, so that an export can announce it.
pub fn sidecar_len(lines: u64, stride: u32) -> u64 {
    HINTS_HEADER as u64 + lines * u64::from(stride) * 32
}

/// Writes a sidecar line by line. The stride is the number of points of the first line that
/// decodes (every line of a board has its manifest's shape, spec `record.md` §8); each line's
/// hints are cut or padded with zeros to it.
pub struct HintWriter<W: Write> {
    out: W,
    stride: Option<u32>,
    /// Lines before the first that decoded, written once the stride is known.
    waiting: u64,
    lines: u64,
}

impl<W: Write> HintWriter<W> {
    /// A writer that writes to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            stride: None,
            waiting: 0,
            lines: 0,
        }
    }

    /// Appends the hints of the next line, computed by [`line_hints`].
    pub fn push(&mut self, hints: &[u8]) -> std::io::Result<()> {
        self.lines += 1;
        let stride = match self.stride {
            Some(stride) => stride as usize,
            None if hints.is_empty() => {
                self.waiting += 1;
                return Ok(());
            }
            None => {
                let stride = (hints.len() / 32) as u32;
                self.stride = Some(stride);
                self.out.write_all(&header(stride))?;
                self.pad(self.waiting * u64::from(stride) * 32)?;
                stride as usize
            }
        };
        let used = hints.len().min(stride * 32);
        self.out.write_all(&hints[..used])?;
        self.pad((stride * 32 - used) as u64)
    }

    fn pad(&mut self, mut zeros: u64) -> std::io::Result<()> {
        const ZEROS: [u8; 4096] = [0; 4096];
        while zeros > 0 {
            let n = zeros.min(ZEROS.len() as u64) as usize;
            self.out.write_all(&ZEROS[..n])?;
            zeros -= n as u64;
        }
        Ok(())
    }

    /// Finishes the sidecar (a header of stride 0 if no line decoded) and returns the output
    /// and the number of lines.
    pub fn finish(mut self) -> std::io::Result<(W, u64)> {
        if self.stride.is_none() {
            self.out.write_all(&header(0))?;
        }
        self.out.flush()?;
        Ok((self.out, self.lines))
    }
}

/// Writes the sidecar of the lines read from `ballots` (the bytes of `ballots.jsonl`) to `out`,
/// computing hints on every thread; returns the number of lines.
pub fn write_ballot_hints<R: Read + Send, W: Write>(
    ballots: R,
    out: W,
) -> Result<u64, RecordError> {
    let mut reader = LinesReader::new(BufReader::new(ballots), BALLOTS);
    let mut writer = HintWriter::new(out);
    let io = |e| RecordError::io(BALLOT_HINTS, e);
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            match reader.next_line()? {
                Some((_, line)) => chunk.push(line.to_vec()),
                None => break,
            }
        }
        if chunk.is_empty() {
            break;
        }
        let hints: Vec<Vec<u8>> = chunk.par_iter().map(|line| line_hints(line)).collect();
        for line in &hints {
            writer.push(line).map_err(io)?;
        }
    }
    Ok(writer.finish().map_err(io)?.1)
}

/// Lines whose hints are computed together.
const CHUNK: usize = 1024;

/// Writes `hints/ballots.bin` beside `ballots.jsonl` in `record_dir` (replacing it atomically);
/// returns the number of lines. About one inverse square root per point: 0.5 ms per default
/// ballot on one core.
pub fn write_hint_sidecar(record_dir: &Path) -> Result<u64, RecordError> {
    let file =
        std::fs::File::open(record_dir.join(BALLOTS)).map_err(|e| RecordError::io(BALLOTS, e))?;
    let mut bytes = Vec::new();
    let lines = write_ballot_hints(file, &mut bytes)?;
    let folder = record_dir.join("hints");
    std::fs::create_dir_all(&folder).map_err(|e| RecordError::io(BALLOT_HINTS, e))?;
    write_atomically(&folder, "ballots.bin", &bytes)?;
    Ok(lines)
}

/// Reads a sidecar in step with `ballots.jsonl`'s lines (spec `record.md` §8).
pub struct HintReader<R: Read> {
    input: R,
    stride: usize,
}

impl HintReader<BufReader<std::fs::File>> {
    /// Opens `hints/ballots.bin` in `record_dir`: `Ok(None)` if there is none, `Err` with the
    /// reason if its header is not a sidecar's (the verifier then goes without hints).
    pub fn open(record_dir: &Path) -> Result<Option<Self>, String> {
        match std::fs::File::open(record_dir.join(BALLOT_HINTS)) {
            Ok(file) => Self::new(BufReader::with_capacity(1 << 20, file)).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error.to_string()),
        }
    }
}

impl<R: Read> HintReader<R> {
    /// Reads the header.
    pub fn new(mut input: R) -> Result<Self, String> {
        let mut header = [0u8; HINTS_HEADER];
        input
            .read_exact(&mut header)
            .map_err(|_| "shorter than its header".to_string())?;
        if &header[..16] != HINTS_MAGIC || header[20..] != [0; 12] {
            return Err("not a saylau hint sidecar".into());
        }
        let stride = u32::from_le_bytes([header[16], header[17], header[18], header[19]]) as usize;
        // A line has at most MAX_LINE_BYTES / 64 points (64 hex digits each).
        if stride > MAX_LINE_BYTES / 64 {
            return Err(format!("stride {stride} is larger than any line"));
        }
        Ok(Self { input, stride })
    }

    /// Hints per line.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The hints of the next `lines` lines, which hold `line_bytes` bytes in all (fewer hints
    /// at the end of the sidecar; a read error ends it too). `None`, from then on, if the stride
    /// claims more points than such lines can hold (64 hex digits each, so at most
    /// `line_bytes / 64`): the sidecar is then not the record's, and reading it would only cost
    /// memory (spec `batch.md` §8.4).
    pub fn next_lines(&mut self, lines: usize, line_bytes: usize) -> Option<Vec<u8>> {
        let want = lines.saturating_mul(self.stride).saturating_mul(32);
        if self.stride == 0 || want > line_bytes / 2 {
            self.stride = 0;
            return None;
        }
        let mut bytes = Vec::with_capacity(want);
        let _ = (&mut self.input).take(want as u64).read_to_end(&mut bytes);
        Some(bytes)
    }
}
