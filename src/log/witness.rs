//! C2SP tlog-witness messages (log.md §7): the body of an `add-checkpoint` request, the size a
//! witness answers with on a conflict, and the cosignature lines it answers with on success.
//! Plain bytes in and out; the HTTP and the witness's state live in `crates/witness`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use thiserror::Error;

use super::note::{NoteError, NoteSignature, MAX_SIGNATURES};
use super::tree::{Hash, HASH_SIZE};

/// Most consistency-proof lines a request may carry (log.md §7.1).
pub const MAX_PROOF_LINES: usize = 63;
/// The media type of a witness's size answer (log.md §7.2).
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Why a witness message was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WitnessMessageError {
    /// The message breaks the grammar of log.md §7, at a 1-based line.
    #[error("line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A cosignature line that does not parse.
    #[error(transparent)]
    Note(#[from] NoteError),
}

fn malformed(line: usize, reason: &'static str) -> WitnessMessageError {
    WitnessMessageError::Malformed { line, reason }
}

/// Parses a decimal tree size or index: ASCII digits, no sign, no leading zero except `0`
/// itself, at most 2^64 − 1 (log.md §1).
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Decodes one base64 hash line (canonical base64 of exactly 32 bytes).
pub fn parse_hash_line(s: &str) -> Option<Hash> {
    let raw = STANDARD.decode(s).ok()?;
    let hash: [u8; HASH_SIZE] = raw.try_into().ok()?;
    Some(hash)
}

/// An `add-checkpoint` request (log.md §7.1): the size of the checkpoint the witness last
/// cosigned, a consistency proof from it, and the new signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The old size.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size (empty from 0).
    pub proof: Vec<Hash>,
    /// The signed checkpoint, as a signed note's bytes.
    pub checkpoint: Vec<u8>,
}

/// `head`, then one base64 hash per line, a blank line and the note's bytes: the shape shared by
/// an `add-checkpoint` body (log.md §7.1) and a tlog-proof (§8).
pub(crate) fn hashes_then_note(mut head: String, hashes: &[Hash], note: &[u8]) -> Vec<u8> {
    for h in hashes {
        head.push_str(&STANDARD.encode(h));
        head.push('\n');
    }
    head.push('\n');
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(note);
    bytes
}

impl AddCheckpoint {
    /// The request body: `old <size>`, one base64 hash per line, a blank line, the checkpoint.
    pub fn encode(&self) -> Vec<u8> {
        hashes_then_note(
            format!("old {}\n", self.old_size),
            &self.proof,
            &self.checkpoint,
        )
    }

    /// Parses a request body (log.md §7.1). The checkpoint is returned as bytes, unparsed: the
    /// witness parses and verifies it next.
    pub fn parse(body: &[u8]) -> Result<Self, WitnessMessageError> {
        let mut rest = body;
        let mut line_no = 0;
        let mut next_line = |rest: &mut &[u8]| -> Result<String, WitnessMessageError> {
            line_no += 1;
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or(malformed(line_no, "missing newline"))?;
            let line = std::str::from_utf8(&rest[..end])
                .map_err(|_| malformed(line_no, "not UTF-8"))?
                .to_string();
            *rest = &rest[end + 1..];
            Ok(line)
        };
        let first = next_line(&mut rest)?;
        let old_size = first
            .strip_prefix("old ")
            .and_then(parse_decimal)
            .ok_or(malformed(1, "must be `old <decimal size>`"))?;
        let mut proof = Vec::new();
        loop {
            let line = next_line(&mut rest)?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(malformed(proof.len() + 2, "more than 63 proof lines"));
            }
            proof.push(
                parse_hash_line(&line)
                    .ok_or(malformed(proof.len() + 2, "not a base64 SHA-256 hash"))?,
            );
        }
        if old_size == 0 && !proof.is_empty() {
            return Err(malformed(2, "a proof from size 0 must be empty"));
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint: rest.to_vec(),
        })
    }
}

/// The body of a witness's 409 size answer: the size, in decimal, and a newline (log.md §7.2).
pub fn encode_size(size: u64) -> String {
    format!("{size}\n")
}

/// Parses a size answer; `None` when the body is not exactly `<decimal>\n`.
pub fn parse_size(body: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(body).ok()?;
    parse_decimal(s.strip_suffix('\n')?)
}

/// Parses a witness's 200 answer: one or more signature lines, each ending with a newline
/// (log.md §7.2). The signatures are not verified here.
pub fn parse_cosignatures(body: &[u8]) -> Result<Vec<NoteSignature>, WitnessMessageError> {
    let s = std::str::from_utf8(body).map_err(|_| malformed(1, "not UTF-8"))?;
    let s = s
        .strip_suffix('\n')
        .filter(|s| !s.is_empty())
        .ok_or(malformed(1, "no signature line, or no final newline"))?;
    let lines: Vec<&str> = s.split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(malformed(MAX_SIGNATURES + 1, "too many signature lines"));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| NoteSignature::parse(l, i + 1).map_err(Into::into))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_refuse_bad_lines() {
        let req = AddCheckpoint {
            old_size: 5,
            proof: vec![[1; 32], [2; 32]],
            checkpoint: b"o\n9\nAAAA\n\n\xe2\x80\x94 o x\n".to_vec(),
        };
        assert_eq!(AddCheckpoint::parse(&req.encode()).unwrap(), req);
        let good = String::from_utf8(req.encode()).unwrap();
        for bad in [
            good.replace("old 5", "old 05"),
            good.replace("old 5", "old -5"),
            good.replace("old 5", "old5"),
            good.replacen("=\n", "\n", 1),
            "old 5\n".to_string(),
            good.replace("old 5", "old 0"),
        ] {
            assert!(AddCheckpoint::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let long = AddCheckpoint {
            old_size: 1,
            proof: vec![[3; 32]; MAX_PROOF_LINES + 1],
            checkpoint: vec![],
        };
        assert!(AddCheckpoint::parse(&long.encode()).is_err());
    }

    #[test]
    fn sizes_are_canonical_decimals() {
        assert_eq!(parse_size(encode_size(42).as_bytes()), Some(42));
        assert_eq!(parse_size(b"0\n"), Some(0));
        for bad in [&b"42"[..], b"042\n", b"+1\n", b"\n", b"1 \n"] {
            assert_eq!(parse_size(bad), None);
        }
    }
}
