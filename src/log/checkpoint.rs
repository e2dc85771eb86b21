//! C2SP tlog-checkpoint: the signed statement of a log's size and root (log.md §5).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use thiserror::Error;

use super::note::{KeyType, Note, NoteError, SignerKey, VerifiedSignature, VerifierKey};
use super::tree::{Hash, HASH_SIZE};

/// Why a checkpoint was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    /// The body breaks the grammar of log.md §5.1.
    #[error("checkpoint line {line} ({field}): {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// `origin`, `size`, `root hash` or `extension`.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The origin is not the one the caller expects.
    #[error("checkpoint origin is {found:?}, expected {expected:?}")]
    WrongOrigin {
        /// Origin required by the caller.
        expected: String,
        /// Origin in the checkpoint.
        found: String,
    },
    /// The note around the checkpoint failed.
    #[error(transparent)]
    Note(#[from] NoteError),
}

fn malformed(line: usize, field: &'static str, reason: &'static str) -> CheckpointError {
    CheckpointError::Malformed {
        line,
        field,
        reason,
    }
}

/// A checkpoint body: origin, tree size, root hash and optional extension lines
/// (log.md §5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

/// A line of a checkpoint: non-empty, no newline, no other control character.
fn check_line(s: &str, line: usize, field: &'static str) -> Result<(), CheckpointError> {
    if s.is_empty() {
        return Err(malformed(line, field, "must not be empty"));
    }
    if s.bytes().any(|b| b < 0x20) {
        return Err(malformed(
            line,
            field,
            "must not contain a control character",
        ));
    }
    Ok(())
}

impl Checkpoint {
    /// A checkpoint; each extension line must be non-empty.
    pub fn new(
        origin: &str,
        size: u64,
        root: Hash,
        extensions: Vec<String>,
    ) -> Result<Self, CheckpointError> {
        check_line(origin, 1, "origin")?;
        for (i, e) in extensions.iter().enumerate() {
            check_line(e, 4 + i, "extension")?;
        }
        Ok(Self {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }

    /// Parses a checkpoint body, accepting only the canonical form (log.md §5.1).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(malformed(
            1,
            "origin",
            "checkpoint must end with a newline",
        ))?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(malformed(
                lines.len() + 1,
                "root hash",
                "checkpoint needs origin, size and root hash lines",
            ));
        };
        check_line(origin, 1, "origin")?;
        let size = parse_size(size)?;
        let root = parse_root(root)?;
        for (i, e) in extensions.iter().enumerate() {
            check_line(e, 4 + i, "extension")?;
        }
        Ok(Self {
            origin: origin.to_string(),
            size,
            root,
            extensions: extensions.iter().map(|e| e.to_string()).collect(),
        })
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// Tree size.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Root hash of the tree of that size.
    pub fn root(&self) -> &Hash {
        &self.root
    }
    /// Extension lines, without newlines.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }
}

/// Decimal, digits only, no leading zero unless the size is 0 (log.md §5.1).
fn parse_size(s: &str) -> Result<u64, CheckpointError> {
    let bad = |reason| malformed(2, "size", reason);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("must be decimal digits"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(bad("must not have leading zeros"));
    }
    s.parse().map_err(|_| bad("must fit in 64 bits"))
}

/// Canonical standard base64 of exactly 32 bytes (log.md §5.1).
fn parse_root(s: &str) -> Result<Hash, CheckpointError> {
    let bad = |reason| malformed(3, "root hash", reason);
    let raw = STANDARD
        .decode(s)
        .map_err(|_| bad("must be canonical standard base64"))?;
    <[u8; HASH_SIZE]>::try_from(raw.as_slice()).map_err(|_| bad("must be 32 bytes"))
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}\n{}\n{}",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )?;
        for e in &self.extensions {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

/// A checkpoint inside a signed note (log.md §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: Note,
}

impl SignedCheckpoint {
    /// Signs a checkpoint with the log's Ed25519 key.
    pub fn sign(checkpoint: Checkpoint, log_key: &SignerKey) -> Result<Self, CheckpointError> {
        let mut note = Note::new(&checkpoint.to_string())?;
        note.sign(log_key)?;
        Ok(Self { checkpoint, note })
    }

    /// Parses a signed checkpoint and verifies it (log.md §5.2): the log's key must
    /// have signed it, and its origin must be `origin`. Other signatures (witnesses)
    /// are kept but not checked here.
    pub fn open(
        bytes: &[u8],
        log_key: &VerifierKey,
        origin: &str,
    ) -> Result<Self, CheckpointError> {
        if log_key.key_type() != KeyType::Ed25519 {
            return Err(NoteError::WrongKeyType {
                name: log_key.name().to_string(),
                expected: KeyType::Ed25519,
                found: log_key.key_type(),
            }
            .into());
        }
        let note = Note::parse(bytes)?;
        note.verify(std::slice::from_ref(log_key))?;
        let checkpoint = Checkpoint::parse(note.text())?;
        if checkpoint.origin != origin {
            return Err(CheckpointError::WrongOrigin {
                expected: origin.to_string(),
                found: checkpoint.origin,
            });
        }
        Ok(Self { checkpoint, note })
    }

    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
    /// The note, with all its signatures.
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// Adds a witness cosignature (log.md §4.7).
    pub fn cosign(&mut self, witness: &SignerKey, timestamp: u64) -> Result<(), CheckpointError> {
        Ok(self.note.cosign(witness, timestamp)?)
    }

    /// Verifies the cosignatures of the given witnesses; unknown signers are
    /// ignored, a known witness's bad cosignature is an error. Returns the
    /// witnesses that cosigned, with their timestamps.
    pub fn verify_cosignatures(
        &self,
        witnesses: &[VerifierKey],
    ) -> Result<Vec<VerifiedSignature>, CheckpointError> {
        if let Some(w) = witnesses
            .iter()
            .find(|w| w.key_type() != KeyType::CosignatureV1)
        {
            return Err(NoteError::WrongKeyType {
                name: w.name().to_string(),
                expected: KeyType::CosignatureV1,
                found: w.key_type(),
            }
            .into());
        }
        Ok(self.note.verify_known(witnesses)?)
    }

    /// The signed note's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }
}

impl fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.note.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_B64: &str = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";

    #[test]
    fn body_round_trips() {
        for text in [
            format!("example.com/log\n20852163\n{ROOT_B64}\n"),
            format!("example.com/log\n0\n{ROOT_B64}\nsome extension\nanother\n"),
        ] {
            let c = Checkpoint::parse(&text).unwrap();
            assert_eq!(c.to_string(), text);
        }
    }

    #[test]
    fn non_canonical_bodies_are_refused() {
        let r = ROOT_B64;
        for (text, field) in [
            (format!("\n1\n{r}\n"), "origin"),
            (format!("o\n01\n{r}\n"), "size"),
            (format!("o\n+1\n{r}\n"), "size"),
            (format!("o\n18446744073709551616\n{r}\n"), "size"),
            (format!("o\n1\n{}\n", &r[..r.len() - 1]), "root hash"),
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".to_string(),
                "root hash",
            ),
            ("o\n1\nAAAA\n".to_string(), "root hash"),
            (format!("o\n1\n{r}\n\n"), "extension"),
            (format!("o\n1\n{r}"), "origin"),
            ("o\n1\n".to_string(), "root hash"),
        ] {
            match Checkpoint::parse(&text) {
                Err(CheckpointError::Malformed { field: f, .. }) => {
                    assert_eq!(f, field, "{text:?}")
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
