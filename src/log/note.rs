//! C2SP signed-note with Ed25519 keys, and tlog-cosignature/v1 witness
//! cosignatures (log.md §4).
//!
//! A note is UTF-8 text followed by signature lines. Verification follows the
//! rule that makes key rotation and witnesses possible: a signature by a key the
//! caller does not know is ignored; a signature by a known key must verify.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Largest note accepted, in bytes.
pub const MAX_NOTE_SIZE: usize = 1 << 20;
/// Most signature lines accepted on one note (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;
/// Prefix of every signature line: U+2014 em dash, space (log.md §4.4).
const SIG_PREFIX: &str = "\u{2014} ";
/// Prefix of a signer (secret) key string (log.md §4.3).
const SECRET_PREFIX: &str = "PRIVATE+KEY+";
/// Largest cosignature timestamp: 2^63 − 1 (log.md §4.7).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The signature types this module handles; the byte is the signed-note
/// signature type identifier (log.md §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Ed25519 signature over the note text (type 0x01): a log's key.
    Ed25519,
    /// Timestamped Ed25519 witness cosignature, tlog-cosignature/v1 (type 0x04).
    CosignatureV1,
}

impl KeyType {
    /// The signature type identifier byte.
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::CosignatureV1 => 0x04,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x01 => Some(KeyType::Ed25519),
            0x04 => Some(KeyType::CosignatureV1),
            _ => None,
        }
    }

    /// Bytes after the key ID in a signature of this type.
    fn signature_len(self) -> usize {
        match self {
            KeyType::Ed25519 => 64,
            KeyType::CosignatureV1 => 8 + 64,
        }
    }
}

/// Why a note, a key or a signature was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NoteError {
    /// The note is larger than [`MAX_NOTE_SIZE`].
    #[error("note is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The note is not valid UTF-8.
    #[error("note is not valid UTF-8 (at byte {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The note contains an ASCII control character other than newline.
    #[error("note contains control character 0x{byte:02x} on line {line}")]
    ControlCharacter {
        /// The character.
        byte: u8,
        /// 1-based line number.
        line: usize,
    },
    /// The note text is empty or does not end with a newline.
    #[error("note text must be non-empty and end with a newline")]
    TextMissingNewline,
    /// No blank line separates the text from the signatures.
    #[error("note has no blank line before its signatures")]
    MissingBlankLine,
    /// There are no signature lines, or the last one does not end with a newline.
    #[error("note has no signature lines, or they do not end with a newline")]
    NoSignatures,
    /// Too many signature lines.
    #[error("note has {count} signatures, more than the {max} allowed")]
    TooManySignatures {
        /// Signatures found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A signature line is not `— <name> <base64>`.
    #[error("signature line {line}: {reason}")]
    BadSignatureLine {
        /// 1-based position among the signature lines.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A key name that is empty or contains a space, a `+` or a control character.
    #[error("key name {name:?} is empty or contains a space, '+' or control character")]
    BadKeyName {
        /// The name.
        name: String,
    },
    /// A verifier key string that does not parse.
    #[error("verifier key {key:?}: {reason}")]
    BadVerifierKey {
        /// The key string.
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A signer key string that does not parse (the string itself is secret and not shown).
    #[error("signer key: {reason}")]
    BadSignerKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// A key of the wrong type for the operation.
    #[error("key {name} has type {found:?}, expected {expected:?}")]
    WrongKeyType {
        /// Key name.
        name: String,
        /// Type needed.
        expected: KeyType,
        /// Type of the key.
        found: KeyType,
    },
    /// Two known keys share a name and key ID.
    #[error("two known keys are named {name} with key ID {key_id:08x}")]
    AmbiguousKey {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// A known key signed the note twice.
    #[error("key {name} signed the note more than once")]
    DuplicateSignature {
        /// Key name.
        name: String,
    },
    /// A signature by a known key does not verify.
    #[error("signature by known key {name} does not verify")]
    InvalidSignature {
        /// Key name.
        name: String,
    },
    /// A cosignature timestamp above 2^63 − 1.
    #[error("cosignature by {name} has timestamp {timestamp}, above 2^63-1")]
    BadTimestamp {
        /// Key name.
        name: String,
        /// The timestamp.
        timestamp: u64,
    },
    /// No signature by a known key.
    #[error("note has no signature by a known key")]
    NoVerifiedSignature,
}

/// A key name is non-empty, and has no Unicode space, no `+` and no control
/// character (log.md §4.2).
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

fn check_key_name(name: &str) -> Result<(), NoteError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(NoteError::BadKeyName {
            name: name.to_string(),
        })
    }
}

/// Key ID: the first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ type ‖ public key)
/// (log.md §4.2).
pub fn key_id(name: &str, key_type: KeyType, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', key_type.byte()]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The message a v1 cosignature signs: `cosignature/v1\ntime <t>\n` then the note
/// text (log.md §4.7).
pub fn cosignature_message(text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}

/// A public key that verifies notes: a name, a type and an Ed25519 key.
/// Written as `<name>+<key ID as 8 hex digits>+<base64(type ‖ key)>` (log.md §4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: u32,
    key_type: KeyType,
    public: VerifyingKey,
}

impl VerifierKey {
    /// A verifier key for `public` under `name`.
    pub fn new(key_type: KeyType, name: &str, public: VerifyingKey) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_string(),
            key_id: key_id(name, key_type, public.as_bytes()),
            key_type,
            public,
        })
    }

    /// Parses a verifier key string (log.md §4.3). The key ID must be the one the
    /// name and key give.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let bad = |reason| NoteError::BadVerifierKey {
            key: s.to_string(),
            reason,
        };
        // The base64 key may itself contain '+', so split off the first two fields only.
        let parts: Vec<&str> = s.splitn(3, '+').collect();
        let [name, id, key] = parts.as_slice() else {
            return Err(bad("must be <name>+<key id>+<key>"));
        };
        check_key_name(name)?;
        let id = parse_key_id(id).ok_or(bad("key ID must be 8 lowercase hex digits"))?;
        let raw = STANDARD
            .decode(key)
            .map_err(|_| bad("key is not canonical base64"))?;
        let (&type_byte, public) = raw.split_first().ok_or(bad("key is empty"))?;
        let key_type = KeyType::from_byte(type_byte).ok_or(bad("unsupported signature type"))?;
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| bad("Ed25519 key must be 32 bytes"))?;
        let public =
            VerifyingKey::from_bytes(&public).map_err(|_| bad("not an Ed25519 public key"))?;
        let v = Self::new(key_type, name, public)?;
        if v.key_id != id {
            return Err(bad("key ID does not match the name and key"));
        }
        Ok(v)
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Key ID (log.md §4.2).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
    /// Signature type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }
    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// Verifies the signature bytes (after the key ID) over `text`. Returns the
    /// timestamp of a cosignature, `None` for a plain Ed25519 signature.
    fn verify(&self, text: &str, sig: &[u8]) -> Result<Option<u64>, NoteError> {
        let invalid = || NoteError::InvalidSignature {
            name: self.name.clone(),
        };
        if sig.len() != self.key_type.signature_len() {
            return Err(invalid());
        }
        let (timestamp, ed_sig, message) = match self.key_type {
            KeyType::Ed25519 => (None, sig, text.as_bytes().to_vec()),
            KeyType::CosignatureV1 => {
                let (ts, ed) = sig.split_at(8);
                let mut t = [0u8; 8];
                t.copy_from_slice(ts);
                let ts = u64::from_be_bytes(t);
                if ts > MAX_TIMESTAMP {
                    return Err(NoteError::BadTimestamp {
                        name: self.name.clone(),
                        timestamp: ts,
                    });
                }
                (Some(ts), ed, cosignature_message(text, ts))
            }
        };
        let ed_sig = Signature::from_slice(ed_sig).map_err(|_| invalid())?;
        // Strict verification: refuses small-order keys and non-canonical signatures.
        self.public
            .verify_strict(&message, &ed_sig)
            .map_err(|_| invalid())?;
        Ok(timestamp)
    }
}

fn parse_key_id(s: &str) -> Option<u32> {
    if s.len() != 8
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![self.key_type.byte()];
        raw.extend_from_slice(self.public.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(raw)
        )
    }
}

impl FromStr for VerifierKey {
    type Err = NoteError;
    fn from_str(s: &str) -> Result<Self, NoteError> {
        Self::parse(s)
    }
}

/// A secret key that signs notes (a log's key) or cosigns checkpoints (a witness's
/// key). Written as `PRIVATE+KEY+<name>+<key ID>+<base64(type ‖ 32-byte seed)>`
/// (log.md §4.3). The seed is wiped on drop and never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SignerKey {
    seed: [u8; 32],
    name: String,
    key_id: u32,
    #[zeroize(skip)]
    key_type: KeyType,
    #[zeroize(skip)]
    public: VerifyingKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .field("key_type", &self.key_type)
            .field("seed", &"<redacted>")
            .finish()
    }
}

impl SignerKey {
    /// A signer key from a 32-byte Ed25519 seed (RFC 8032 secret key).
    pub fn from_seed(key_type: KeyType, name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        let seed = Zeroizing::new(seed);
        check_key_name(name)?;
        let public = SigningKey::from_bytes(&seed).verifying_key();
        Ok(Self {
            seed: *seed,
            name: name.to_string(),
            key_id: key_id(name, key_type, public.as_bytes()),
            key_type,
            public,
        })
    }

    /// A fresh random signer key.
    pub fn generate<R: CryptoRngCore + ?Sized>(
        key_type: KeyType,
        name: &str,
        rng: &mut R,
    ) -> Result<Self, NoteError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(key_type, name, *seed)
    }

    /// Parses a signer key string (log.md §4.3).
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let bad = |reason| NoteError::BadSignerKey { reason };
        let rest = s
            .strip_prefix(SECRET_PREFIX)
            .ok_or(bad("must start with PRIVATE+KEY+"))?;
        let parts: Vec<&str> = rest.splitn(3, '+').collect();
        let [name, id, key] = parts.as_slice() else {
            return Err(bad("must be PRIVATE+KEY+<name>+<key id>+<key>"));
        };
        check_key_name(name)?;
        let id = parse_key_id(id).ok_or(bad("key ID must be 8 lowercase hex digits"))?;
        let raw = Zeroizing::new(
            STANDARD
                .decode(key)
                .map_err(|_| bad("key is not canonical base64"))?,
        );
        let (&type_byte, seed) = raw.split_first().ok_or(bad("key is empty"))?;
        let key_type = KeyType::from_byte(type_byte).ok_or(bad("unsupported signature type"))?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| bad("Ed25519 seed must be 32 bytes"))?;
        let k = Self::from_seed(key_type, name, seed)?;
        if k.key_id != id {
            return Err(bad("key ID does not match the name and key"));
        }
        Ok(k)
    }

    /// The signer key string; handle it as a secret.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(vec![self.key_type.byte()]);
        raw.extend_from_slice(&self.seed);
        Zeroizing::new(format!(
            "{SECRET_PREFIX}{}+{:08x}+{}",
            self.name,
            self.key_id,
            Zeroizing::new(STANDARD.encode(raw.as_slice())).as_str()
        ))
    }

    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
    /// Signature type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            key_type: self.key_type,
            public: self.public,
        }
    }

    fn expect_type(&self, expected: KeyType) -> Result<(), NoteError> {
        if self.key_type == expected {
            Ok(())
        } else {
            Err(NoteError::WrongKeyType {
                name: self.name.clone(),
                expected,
                found: self.key_type,
            })
        }
    }

    /// Ed25519 signature of a note text (log.md §4.4). Needs an [`KeyType::Ed25519`] key.
    pub fn sign_text(&self, text: &str) -> Result<NoteSignature, NoteError> {
        self.expect_type(KeyType::Ed25519)?;
        check_text(text)?;
        let sig = SigningKey::from_bytes(&self.seed).sign(text.as_bytes());
        NoteSignature::new(&self.name, self.key_id, sig.to_bytes().to_vec())
    }

    /// v1 cosignature of a note text at `timestamp` (log.md §4.7). Needs a
    /// [`KeyType::CosignatureV1`] key.
    pub fn cosign_text(&self, text: &str, timestamp: u64) -> Result<NoteSignature, NoteError> {
        self.expect_type(KeyType::CosignatureV1)?;
        check_text(text)?;
        if timestamp > MAX_TIMESTAMP {
            return Err(NoteError::BadTimestamp {
                name: self.name.clone(),
                timestamp,
            });
        }
        let sig = SigningKey::from_bytes(&self.seed).sign(&cosignature_message(text, timestamp));
        let mut bytes = timestamp.to_be_bytes().to_vec();
        bytes.extend_from_slice(&sig.to_bytes());
        NoteSignature::new(&self.name, self.key_id, bytes)
    }
}

/// One signature line: key name, key ID and the signature bytes after the key ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_id: u32,
    signature: Vec<u8>,
}

impl NoteSignature {
    /// A signature line's contents; `signature` must be non-empty.
    pub fn new(name: &str, key_id: u32, signature: Vec<u8>) -> Result<Self, NoteError> {
        check_key_name(name)?;
        if signature.is_empty() {
            return Err(NoteError::BadSignatureLine {
                line: 0,
                reason: "signature is empty",
            });
        }
        Ok(Self {
            name: name.to_string(),
            key_id,
            signature,
        })
    }
    /// Key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
    /// Signature bytes after the key ID.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The line `— <name> base64(key ID ‖ signature)` with its newline (log.md §4.4).
    pub fn line(&self) -> String {
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }

    /// Parses one signature line without its newline; `number` (1-based) names it in the
    /// error.
    pub fn parse(line: &str, number: usize) -> Result<Self, NoteError> {
        let bad = |reason| NoteError::BadSignatureLine {
            line: number,
            reason,
        };
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(bad("must start with an em dash and a space"))?;
        let (name, b64) = rest.split_once(' ').ok_or(bad("must be <name> <base64>"))?;
        check_key_name(name)?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| bad("signature is not canonical base64"))?;
        if raw.len() < 5 {
            return Err(bad("signature must be a key ID and at least one byte"));
        }
        let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        Ok(Self {
            name: name.to_string(),
            key_id,
            signature: raw[4..].to_vec(),
        })
    }
}

/// A verified signature: who signed, and when for a cosignature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// Key name.
    pub name: String,
    /// Key ID.
    pub key_id: u32,
    /// Signature type.
    pub key_type: KeyType,
    /// Cosignature timestamp (seconds since the Unix epoch); `None` for a plain signature.
    pub timestamp: Option<u64>,
}

/// Checks the character rules of a note (log.md §4.1): no ASCII control character
/// other than newline. UTF-8 is guaranteed by `&str`.
fn check_chars(s: &str) -> Result<(), NoteError> {
    let mut line = 1;
    for b in s.bytes() {
        if b == b'\n' {
            line += 1;
        } else if b < 0x20 {
            return Err(NoteError::ControlCharacter { byte: b, line });
        }
    }
    Ok(())
}

/// A note text is non-empty, ends with a newline and obeys the character rules.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::TextMissingNewline);
    }
    if text.len() > MAX_NOTE_SIZE {
        return Err(NoteError::TooLarge {
            size: text.len(),
            max: MAX_NOTE_SIZE,
        });
    }
    check_chars(text)
}

/// A note: text and its signatures (log.md §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// An unsigned note. The text must end with a newline.
    pub fn new(text: &str) -> Result<Self, NoteError> {
        check_text(text)?;
        Ok(Self {
            text: text.to_string(),
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note (log.md §4.5). Does not verify any signature.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge {
                size: bytes.len(),
                max: MAX_NOTE_SIZE,
            });
        }
        let s = std::str::from_utf8(bytes).map_err(|e| NoteError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        check_chars(s)?;
        // The last blank line separates text from signatures; the text keeps its final newline.
        let split = s.rfind("\n\n").ok_or(NoteError::MissingBlankLine)?;
        let (text, sigs) = (&s[..split + 1], &s[split + 2..]);
        let body = sigs
            .strip_suffix('\n')
            .filter(|b| !b.is_empty())
            .ok_or(NoteError::NoSignatures)?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                count: lines.len(),
                max: MAX_SIGNATURES,
            });
        }
        let signatures = lines
            .iter()
            .enumerate()
            .map(|(i, l)| NoteSignature::parse(l, i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            text: text.to_string(),
            signatures,
        })
    }

    /// The note text, with its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The signatures, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature, replacing one with the same key name and ID.
    pub fn add_signature(&mut self, sig: NoteSignature) -> Result<(), NoteError> {
        self.signatures
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                count: self.signatures.len() + 1,
                max: MAX_SIGNATURES,
            });
        }
        self.signatures.push(sig);
        Ok(())
    }

    /// Signs the note with an Ed25519 key.
    pub fn sign(&mut self, key: &SignerKey) -> Result<(), NoteError> {
        let sig = key.sign_text(&self.text)?;
        self.add_signature(sig)
    }

    /// Cosigns the note with a witness key at `timestamp`.
    pub fn cosign(&mut self, key: &SignerKey, timestamp: u64) -> Result<(), NoteError> {
        let sig = key.cosign_text(&self.text, timestamp)?;
        self.add_signature(sig)
    }

    /// The signed note: text, blank line, signature lines (log.md §4.4).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// Verifies the signatures made by `known` keys (log.md §4.6). Signatures by
    /// other keys are ignored; a known key whose signature fails, or that signed
    /// twice, is an error. May return an empty list.
    pub fn verify_known(&self, known: &[VerifierKey]) -> Result<Vec<VerifiedSignature>, NoteError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for sig in &self.signatures {
            let mut matching = known
                .iter()
                .filter(|k| k.name == sig.name && k.key_id == sig.key_id);
            let Some(key) = matching.next() else {
                continue;
            };
            if matching.next().is_some() {
                return Err(NoteError::AmbiguousKey {
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                });
            }
            if !seen.insert((sig.name.as_str(), sig.key_id)) {
                return Err(NoteError::DuplicateSignature {
                    name: sig.name.clone(),
                });
            }
            let timestamp = key.verify(&self.text, &sig.signature)?;
            out.push(VerifiedSignature {
                name: key.name.clone(),
                key_id: key.key_id,
                key_type: key.key_type,
                timestamp,
            });
        }
        Ok(out)
    }

    /// Like [`Note::verify_known`], and at least one known key must have signed.
    pub fn verify(&self, known: &[VerifierKey]) -> Result<Vec<VerifiedSignature>, NoteError> {
        let v = self.verify_known(known)?;
        if v.is_empty() {
            return Err(NoteError::NoVerifiedSignature);
        }
        Ok(v)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for s in &self.signatures {
            f.write_str(&s.line())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_key() -> SignerKey {
        SignerKey::from_seed(KeyType::Ed25519, "example.com/log", [7; 32]).unwrap()
    }

    #[test]
    fn keys_round_trip_and_hide_the_seed() {
        let k = log_key();
        let enc = k.encode();
        assert!(enc.starts_with("PRIVATE+KEY+example.com/log+"));
        let k2 = SignerKey::parse(&enc).unwrap();
        assert_eq!(k2.verifier(), k.verifier());
        let v = k.verifier().to_string();
        assert_eq!(VerifierKey::parse(&v).unwrap(), k.verifier());
        let dbg = format!("{k:?}");
        assert!(dbg.contains("<redacted>"));
        assert!(!dbg.contains(&STANDARD.encode([7u8; 32])[..10]));
        // Upper-case hex and a wrong key ID are refused.
        let id = format!("{:08x}", k.key_id());
        if id != id.to_uppercase() {
            assert!(VerifierKey::parse(&v.replace(&id, &id.to_uppercase())).is_err());
        }
        assert!(VerifierKey::parse(&v.replace(&id, "00000000")).is_err());
    }

    #[test]
    fn sign_parse_verify() {
        let k = log_key();
        let mut n = Note::new("hello\n\nworld\n").unwrap();
        n.sign(&k).unwrap();
        let parsed = Note::parse(&n.to_bytes()).unwrap();
        assert_eq!(parsed, n);
        assert_eq!(parsed.text(), "hello\n\nworld\n");
        let v = parsed.verify(&[k.verifier()]).unwrap();
        assert_eq!(v[0].name, "example.com/log");
        assert_eq!(parsed.verify(&[]), Err(NoteError::NoVerifiedSignature));
    }

    #[test]
    fn malformed_notes_are_refused() {
        let k = log_key();
        let mut n = Note::new("hi\n").unwrap();
        n.sign(&k).unwrap();
        let good = n.to_string();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good.replace("\n\n", "\n").into_bytes(), "blank"),
            (good.replace("hi", "h\ti").into_bytes(), "control"),
            (good.trim_end().as_bytes().to_vec(), "newline"),
            (good.replace('\u{2014}', "-").into_bytes(), "em dash"),
            (good.replace("=\n", "\n").into_bytes(), "padding"),
            ([&b"h\xff\n\n"[..], &good.as_bytes()[4..]].concat(), "utf8"),
            (b"hi\n\n".to_vec(), "no sigs"),
        ];
        for (bytes, what) in cases {
            assert!(Note::parse(&bytes).is_err(), "{what}");
        }
        let many = format!(
            "hi\n\n{}",
            n.signatures()[0].line().repeat(MAX_SIGNATURES + 1)
        );
        assert!(matches!(
            Note::parse(many.as_bytes()),
            Err(NoteError::TooManySignatures { .. })
        ));
    }
}
