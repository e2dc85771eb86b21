//! C2SP tlog-checkpoint: the signed statement of a log's size and root (log.md §5).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use thiserror::Error;

use ed25519_dalek::{SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::note::{KeyType, Note, NoteError, SignerKey, VerifiedSignature, VerifierKey};
use super::tree::{Hash, HASH_SIZE};
use crate::crypto::group::hash_hex;

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

/// The log's public Ed25519 key (log.md §4.1): `election.json`'s `log_key`, 32 bytes, written
/// as lower-case hex. Only a canonical encoding of a point that is not of small order is
/// accepted, so a key that could verify signatures on every message never gets in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LogKey(VerifyingKey);

/// Why 32 bytes are not a log key.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum LogKeyError {
    /// Not the encoding of a point of the curve.
    #[error("not an Ed25519 public key")]
    NotAPoint,
    /// A point, but not in its one canonical encoding.
    #[error("not the canonical encoding of an Ed25519 public key")]
    NonCanonical,
    /// A point of small order (a weak key).
    #[error("a weak (small-order) Ed25519 key")]
    Weak,
}

impl LogKey {
    /// Decodes a log key, refusing non-canonical encodings and small-order points.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, LogKeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| LogKeyError::NotAPoint)?;
        if key.to_edwards().compress().as_bytes() != bytes {
            return Err(LogKeyError::NonCanonical);
        }
        if key.is_weak() {
            return Err(LogKeyError::Weak);
        }
        Ok(Self(key))
    }

    /// The 32-byte encoding (the one that was decoded, which is canonical).
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The Ed25519 key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    /// The note verifier key of the log whose origin is `origin` (log.md §4.2): the name is
    /// the origin, the type Ed25519.
    pub fn verifier(&self, origin: &str) -> Result<VerifierKey, NoteError> {
        VerifierKey::new(KeyType::Ed25519, origin, self.0)
    }
}

impl fmt::Debug for LogKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogKey({})", hex::encode(self.as_bytes()))
    }
}

impl Serialize for LogKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        hash_hex::serialize(self.as_bytes(), serializer)
    }
}

impl<'de> Deserialize<'de> for LogKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = hash_hex::deserialize(deserializer)?;
        Self::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// The log's secret key: the 32-byte Ed25519 seed (RFC 8032) that signs its checkpoints.
///
/// # Security
/// The seed is wiped on drop, `Debug` prints only the public key, and the type is never
/// serialized: whoever stores it (the board's key file) does so explicitly through
/// [`LogSigningKey::seed`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct LogSigningKey {
    seed: [u8; 32],
}

impl fmt::Debug for LogSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogSigningKey")
            .field("public", &self.public())
            .field("seed", &"<redacted>")
            .finish()
    }
}

impl LogSigningKey {
    /// A fresh key (redrawn in the negligible case that its public key is weak).
    pub fn generate<R: CryptoRngCore + ?Sized>(rng: &mut R) -> Self {
        loop {
            let mut seed = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(seed.as_mut());
            let key = Self::from_seed(*seed);
            if LogKey::from_bytes(SigningKey::from_bytes(&key.seed).verifying_key().as_bytes())
                .is_ok()
            {
                return key;
            }
        }
    }

    /// The key with this seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { seed }
    }

    /// The seed; handle it as a secret.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.seed)
    }

    /// The public key, `election.json`'s `log_key`. (An Ed25519 public key derived from a
    /// seed is a multiple of the basepoint, never of small order.)
    pub fn public(&self) -> LogKey {
        LogKey(SigningKey::from_bytes(&self.seed).verifying_key())
    }

    /// The note signer for the log whose origin is `origin` (the key name; log.md §4.2).
    pub fn signer(&self, origin: &str) -> Result<SignerKey, NoteError> {
        SignerKey::from_seed(KeyType::Ed25519, origin, self.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT_B64: &str = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";

    #[test]
    fn log_keys_refuse_weak_and_non_canonical_encodings() {
        let key = LogSigningKey::from_seed([7; 32]);
        let public = key.public();
        assert_eq!(LogKey::from_bytes(public.as_bytes()), Ok(public));
        // The identity (small order), and the identity with y + p (non-canonical).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(LogKey::from_bytes(&identity), Err(LogKeyError::Weak));
        let mut y_plus_p = [0xffu8; 32];
        y_plus_p[0] = 0xee;
        y_plus_p[31] = 0x7f;
        assert_eq!(
            LogKey::from_bytes(&y_plus_p),
            Err(LogKeyError::NonCanonical)
        );
        let json = serde_json::to_string(&public).unwrap();
        assert_eq!(json, format!("\"{}\"", hex::encode(public.as_bytes())));
        assert_eq!(serde_json::from_str::<LogKey>(&json).unwrap(), public);
        assert!(format!("{key:?}").contains("<redacted>"));
        assert!(!format!("{key:?}").contains(&hex::encode([7u8; 32])));
        // The signer signs under the origin with the same key.
        let signer = key.signer("example.com/saylau/00").unwrap();
        assert_eq!(
            signer.verifier(),
            public.verifier("example.com/saylau/00").unwrap()
        );
    }

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
