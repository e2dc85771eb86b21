//! The key ceremony run by separate trustees on separate machines, through a shared directory.
//!
//! Spec: `protocol-spec/ceremony.md` §9–§14. The mathematics is the DKG of [`crate::ceremony`];
//! this module adds what separate people need: long-term identities, key files encrypted at
//! rest, signed messages, encrypted share delivery, commit-then-reveal, complaints that anyone
//! can judge, and the rules that disqualify a cheater.
//!
//! # Flow
//! ```text
//! trustee new        Identity::generate + seal          DIR/secret.key, DIR/public.json
//! ceremony new       CeremonySetup::create              CEREMONY/parameters.json
//! trustee round1     round1                             CEREMONY/commit/trustee-<i>.json
//! trustee reveal     reveal (after every commitment)    CEREMONY/reveal/trustee-<i>.json
//! trustee round2     round2 (after every reveal)        CEREMONY/round2/trustee-<i>.json
//! ceremony finish    judge + finish                     RECORD/{manifest,ceremony}.json, RECORD/ceremony/
//! trustee decrypt    decrypt                            RECORD/decryption/trustee-<i>.json
//! ```
//! Every file a trustee publishes is an [`Envelope`] signed with its long-term signing key.
//! A published file is never overwritten: [`publish_once`] refuses, and reports equivocation
//! when the author signed two different messages for the same slot.

use crate::ceremony::{
    self, round1, round2, CeremonyError, CeremonyParameters, CeremonyRecord, DisqualifiedTrustee,
    KeyShare,
};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::Secret;
use crate::crypto::error::DecodeError;
use crate::crypto::group::{hash_hex, GroupElement};
use crate::manifest::Manifest;
use crate::crypto::proofs::{EqualityProof, EqualityStatement, PointPair, SchnorrProof};
use crate::record::{self, RecordError};
use crate::tally::DecryptionShare;
use crate::crypto::transcript::Transcript;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// `DIR/secret.key`: the trustee's long-term secrets, sealed with the passphrase.
pub const SECRET_KEY_FILE: &str = "secret.key";
/// `DIR/public.json`: the trustee's public identity.
pub const PUBLIC_FILE: &str = "public.json";
/// `CEREMONY/parameters.json`: the ceremony's parameters and trustee list.
pub const PARAMETERS_FILE: &str = "parameters.json";
/// The record's copy of the ceremony directory.
pub const TRANSCRIPT_DIR: &str = record::TRANSCRIPT_DIR;
/// The three message slots of the ceremony directory, in protocol order.
pub const STAGES: [Stage; 3] = [Stage::Commit, Stage::Reveal, Stage::Round2];

/// Argon2id memory cost of new key files, in KiB (spec §11): 64 MiB.
pub const KDF_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes over memory of new key files (spec §11).
pub const KDF_ITERATIONS: u32 = 3;
/// Argon2id lanes of new key files (spec §11).
pub const KDF_PARALLELISM: u32 = 1;
/// The shortest passphrase `trustee new` accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Why a trustee command stopped. Errors about another trustee's data name that trustee.
#[derive(Debug, Error)]
pub enum TrusteeError {
    /// Reading or writing a file.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The DKG mathematics refused.
    #[error(transparent)]
    Ceremony(#[from] CeremonyError),
    /// Bad options or a precondition the user can fix.
    #[error("{0}")]
    Usage(String),
    /// The passphrase does not open the key file.
    #[error("{file}: wrong passphrase")]
    WrongPassphrase {
        /// The key file.
        file: String,
    },
    /// A key file that is not a sealed saylau file, or whose contents were altered.
    #[error("{file}: the key file is damaged ({detail}); restore it from your backup copy")]
    DamagedKeyFile {
        /// The key file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A file of the ceremony directory that belongs to another ceremony.
    #[error("{file} belongs to another ceremony (id {found}…, this one is {expected}…); remove it or use the right --ceremony directory")]
    ForeignFile {
        /// The file.
        file: String,
        /// Its ceremony id, abbreviated.
        found: String,
        /// This ceremony's id, abbreviated.
        expected: String,
    },
    /// A message whose signature, author or structure is wrong.
    #[error("{file}: {detail}")]
    InvalidMessage {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A step that needs the previous round from every trustee.
    #[error("{step} must wait: no {stage} message yet from {missing}")]
    NotReady {
        /// The command that cannot run yet.
        step: &'static str,
        /// The stage still incomplete.
        stage: Stage,
        /// The trustees it still waits for, by index and name.
        missing: String,
    },
    /// The author signed two different messages for the same slot (spec §12).
    #[error("equivocation: trustee {culprit} signed two different {stage} messages; the second was not published")]
    Equivocation {
        /// The author.
        culprit: u32,
        /// The slot.
        stage: Stage,
    },
    /// Refusing to replace a file that is already there.
    #[error("{file} already exists with different content; refusing to overwrite it")]
    AlreadyPublished {
        /// The file.
        file: String,
    },
    /// Decrypting the tally failed.
    #[error(transparent)]
    Demo(#[from] crate::sim::demo::DemoError),
}

impl TrusteeError {
    fn usage(message: impl Into<String>) -> Self {
        TrusteeError::Usage(message.into())
    }

    fn invalid(file: &str, detail: impl Into<String>) -> Self {
        TrusteeError::InvalidMessage {
            file: file.to_string(),
            detail: detail.into(),
        }
    }
}

fn io_error(file: &Path, error: std::io::Error) -> TrusteeError {
    TrusteeError::Record(RecordError::Io {
        file: file.display().to_string(),
        error,
    })
}

fn short(id: &Hash) -> String {
    hex::encode(&id[..8])
}

// ---------------------------------------------------------------------------------------------
// Key files sealed with a passphrase (spec §11)
// ---------------------------------------------------------------------------------------------

/// Argon2id parameters of a sealed file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParameters {
    /// Always `"argon2id"`.
    pub algorithm: String,
    /// Argon2 version, `19` (0x13).
    pub version: u32,
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// 16 random bytes, hex.
    pub salt: String,
}

/// A file sealed with a passphrase: Argon2id, then ChaCha20-Poly1305 (spec §11).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedFile {
    /// Always `"saylau-sealed-v1"`.
    pub format: String,
    /// What the plaintext is: `"trustee-identity"` or `"ceremony-shares"`.
    pub contents: String,
    /// The key derivation.
    pub kdf: KdfParameters,
    /// Always `"chacha20poly1305"`.
    pub cipher: String,
    /// 12 random bytes, hex.
    pub nonce: String,
    /// 16 bytes derived from the passphrase key, hex: tells a wrong passphrase from damage.
    pub check: String,
    /// The AEAD ciphertext and tag, hex.
    pub ciphertext: String,
}

const SEALED_FORMAT: &str = "saylau-sealed-v1";
const SEALED_CIPHER: &str = "chacha20poly1305";

/// The keys derived from the passphrase: `(aead key, check value)`.
fn passphrase_keys(
    passphrase: &[u8],
    kdf: &KdfParameters,
    salt: &[u8],
) -> Result<(Zeroizing<[u8; 32]>, [u8; 16]), String> {
    if kdf.algorithm != "argon2id" || kdf.version != 19 {
        return Err(format!(
            "unknown key derivation {} v{}",
            kdf.algorithm, kdf.version
        ));
    }
    // Bounds that keep a forged header from exhausting memory or time.
    if !(8 * 1024..=1024 * 1024).contains(&kdf.memory_kib)
        || !(1..=64).contains(&kdf.iterations)
        || !(1..=16).contains(&kdf.parallelism)
    {
        return Err("key derivation parameters out of range".into());
    }
    let params = argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| e.to_string())?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut master = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase, salt, master.as_mut())
        .map_err(|e| e.to_string())?;
    let key = Zeroizing::new(tagged_hash("saylau/v1/key-file/aead", &[master.as_ref()]));
    let check_full = tagged_hash("saylau/v1/key-file/check", &[master.as_ref()]);
    let mut check = [0u8; 16];
    check.copy_from_slice(&check_full[..16]);
    Ok((key, check))
}

/// The associated data of a sealed file: its header (spec §11).
fn sealed_aad(contents: &str, kdf: &KdfParameters, salt: &[u8], nonce: &[u8]) -> Hash {
    tagged_hash(
        "saylau/v1/key-file/header",
        &[
            SEALED_FORMAT.as_bytes(),
            contents.as_bytes(),
            kdf.algorithm.as_bytes(),
            &kdf.version.to_le_bytes(),
            &kdf.memory_kib.to_le_bytes(),
            &kdf.iterations.to_le_bytes(),
            &kdf.parallelism.to_le_bytes(),
            salt,
            SEALED_CIPHER.as_bytes(),
            nonce,
        ],
    )
}

impl SealedFile {
    /// Seals `plaintext` under `passphrase` with the default Argon2id parameters.
    pub fn seal<R: RngCore + CryptoRng>(
        contents: &str,
        plaintext: &[u8],
        passphrase: &[u8],
        rng: &mut R,
    ) -> Result<Self, TrusteeError> {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        let kdf = KdfParameters {
            algorithm: "argon2id".into(),
            version: 19,
            memory_kib: KDF_MEMORY_KIB,
            iterations: KDF_ITERATIONS,
            parallelism: KDF_PARALLELISM,
            salt: hex::encode(salt),
        };
        let (key, check) = passphrase_keys(passphrase, &kdf, &salt).map_err(TrusteeError::Usage)?;
        let aad = sealed_aad(contents, &kdf, &salt, &nonce);
        let cipher = ChaCha20Poly1305::new(key.as_ref().into());
        let ciphertext = cipher
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| TrusteeError::usage("encryption failed"))?;
        Ok(Self {
            format: SEALED_FORMAT.into(),
            contents: contents.into(),
            kdf,
            cipher: SEALED_CIPHER.into(),
            nonce: hex::encode(nonce),
            check: hex::encode(check),
            ciphertext: hex::encode(ciphertext),
        })
    }

    /// Reads and opens `path`, expecting `contents`. Distinguishes a wrong passphrase from a
    /// damaged file.
    pub fn open_file(
        path: &Path,
        contents: &str,
        passphrase: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, TrusteeError> {
        let file = path.display().to_string();
        let damaged = |detail: &str| TrusteeError::DamagedKeyFile {
            file: file.clone(),
            detail: detail.to_string(),
        };
        let bytes = fs::read(path).map_err(|e| io_error(path, e))?;
        let sealed: SealedFile = serde_json::from_slice(&bytes)
            .map_err(|e| damaged(&format!("not a sealed saylau key file: {e}")))?;
        if sealed.format != SEALED_FORMAT || sealed.cipher != SEALED_CIPHER {
            return Err(damaged("unknown format or cipher"));
        }
        if sealed.contents != contents {
            return Err(damaged(&format!(
                "holds {:?}, expected {contents:?}",
                sealed.contents
            )));
        }
        let salt = hex::decode(&sealed.kdf.salt).map_err(|_| damaged("salt is not hex"))?;
        let nonce: [u8; 12] = hex::decode(&sealed.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| damaged("nonce is not 12 bytes of hex"))?;
        let check = hex::decode(&sealed.check).map_err(|_| damaged("check is not hex"))?;
        let ciphertext =
            hex::decode(&sealed.ciphertext).map_err(|_| damaged("ciphertext is not hex"))?;
        if salt.len() != 16 || check.len() != 16 {
            return Err(damaged("salt or check has the wrong length"));
        }
        let (key, expected_check) =
            passphrase_keys(passphrase, &sealed.kdf, &salt).map_err(|e| damaged(&e))?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &expected_check[..],
            &check[..],
        )) {
            return Err(TrusteeError::WrongPassphrase { file });
        }
        let aad = sealed_aad(contents, &sealed.kdf, &salt, &nonce);
        let cipher = ChaCha20Poly1305::new(key.as_ref().into());
        let plaintext = cipher
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| damaged("the passphrase is right but the contents were altered"))?;
        Ok(Zeroizing::new(plaintext))
    }

    /// Seals `value` (serialized as JSON) into `path`, atomically.
    fn write<T: Serialize, R: RngCore + CryptoRng>(
        path: &Path,
        contents: &str,
        value: &T,
        passphrase: &[u8],
        rng: &mut R,
    ) -> Result<(), TrusteeError> {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(value).map_err(|e| TrusteeError::usage(e.to_string()))?,
        );
        let sealed = Self::seal(contents, &plaintext, passphrase, rng)?;
        write_json_file(path, &sealed)
    }
}

fn write_json_file<T: Serialize>(path: &Path, value: &T) -> Result<(), TrusteeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    record::write_json(dir, &name, value)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Identities (spec §9)
// ---------------------------------------------------------------------------------------------

/// A trustee's public identity, `public.json` (spec §9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicIdentity {
    /// Format version, 1.
    pub version: u32,
    /// The trustee's name, as it will be hashed into ceremony ids.
    pub name: String,
    /// `S = s·G`: verifies the trustee's signatures.
    pub signing_key: GroupElement,
    /// `P = p·G`: shares are encrypted to it.
    pub encryption_key: GroupElement,
    /// Schnorr signature by `s` binding the name and both keys.
    pub signature: SchnorrProof,
    /// Schnorr proof of knowledge of `p`, on the same binding.
    pub encryption_proof: SchnorrProof,
}

fn identity_context(name: &str, signing: &GroupElement, encryption: &GroupElement) -> Hash {
    tagged_hash(
        "saylau/v1/trustee-identity",
        &[name.as_bytes(), signing.as_bytes(), encryption.as_bytes()],
    )
}

fn identity_transcript(context: &Hash, purpose: &'static [u8]) -> Transcript {
    Transcript::for_purpose(context, purpose, None)
}

impl PublicIdentity {
    /// Checks the keys (not the identity) and both self-proofs.
    pub fn verify(&self) -> Result<(), String> {
        if self.version != 1 {
            return Err(format!("unknown version {}", self.version));
        }
        if self.name.trim().is_empty() {
            return Err("empty name".into());
        }
        if self.signing_key.is_identity() || self.encryption_key.is_identity() {
            return Err("a key is the identity point".into());
        }
        if self.signing_key == self.encryption_key {
            return Err("the signing and encryption keys are equal".into());
        }
        let context = identity_context(&self.name, &self.signing_key, &self.encryption_key);
        self.signature
            .verify(
                &mut identity_transcript(&context, b"identity-signature"),
                &self.signing_key,
            )
            .map_err(|_| "the identity signature does not verify".to_string())?;
        self.encryption_proof
            .verify(
                &mut identity_transcript(&context, b"identity-encryption-key"),
                &self.encryption_key,
            )
            .map_err(|_| "the encryption key proof does not verify".to_string())
    }
}

/// A trustee's long-term secrets: the signing key `s` and the decryption key `p`.
///
/// # Security
/// Whoever holds these can sign as the trustee and read every share sent to it. Stored only in
/// `secret.key`, sealed with the passphrase (spec §11). Zeroized on drop; `Debug` prints
/// `<redacted>`.
#[derive(ZeroizeOnDrop)]
pub struct Identity {
    #[zeroize(skip)]
    public: PublicIdentity,
    signing: Secret,
    encryption: Secret,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("name", &self.public.name)
            .field("secrets", &"<redacted>")
            .finish()
    }
}

/// The plaintext of `secret.key` (spec §11).
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct IdentityPlaintext {
    name: String,
    signing_secret: String,
    encryption_secret: String,
}

fn decode_secret(text: &str) -> Result<Secret, DecodeError> {
    let bytes: Zeroizing<Vec<u8>> =
        Zeroizing::new(hex::decode(text).map_err(|_| DecodeError::Hex)?);
    let array: Zeroizing<[u8; 32]> =
        Zeroizing::new(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| DecodeError::Length {
                    expected: 32,
                    found: bytes.len(),
                })?,
        );
    let scalar = Option::<Scalar>::from(Scalar::from_canonical_bytes(*array))
        .ok_or(DecodeError::NonCanonicalScalar)?;
    Ok(Secret::from_scalar(scalar))
}

impl Identity {
    /// A fresh identity for `name`.
    pub fn generate<R: RngCore + CryptoRng>(name: &str, rng: &mut R) -> Result<Self, TrusteeError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(TrusteeError::usage("--name must not be empty"));
        }
        let signing = Secret::random(rng);
        let encryption = Secret::random(rng);
        Self::from_secrets(name.to_string(), signing, encryption, rng)
    }

    fn from_secrets<R: RngCore + CryptoRng>(
        name: String,
        signing: Secret,
        encryption: Secret,
        rng: &mut R,
    ) -> Result<Self, TrusteeError> {
        let signing_key = signing.public_element();
        let encryption_key = encryption.public_element();
        let context = identity_context(&name, &signing_key, &encryption_key);
        let signature = SchnorrProof::prove(
            &mut identity_transcript(&context, b"identity-signature"),
            &signing_key,
            &signing,
            rng,
        )
        .map_err(CeremonyError::from)?;
        let encryption_proof = SchnorrProof::prove(
            &mut identity_transcript(&context, b"identity-encryption-key"),
            &encryption_key,
            &encryption,
            rng,
        )
        .map_err(CeremonyError::from)?;
        Ok(Self {
            public: PublicIdentity {
                version: 1,
                name,
                signing_key,
                encryption_key,
                signature,
                encryption_proof,
            },
            signing,
            encryption,
        })
    }

    /// The public identity.
    pub fn public(&self) -> &PublicIdentity {
        &self.public
    }

    /// Writes `dir/secret.key` (sealed) and `dir/public.json`. Refuses to replace an existing
    /// identity.
    pub fn save<R: RngCore + CryptoRng>(
        &self,
        dir: &Path,
        passphrase: &[u8],
        rng: &mut R,
    ) -> Result<(), TrusteeError> {
        for name in [SECRET_KEY_FILE, PUBLIC_FILE] {
            if dir.join(name).exists() {
                return Err(TrusteeError::usage(format!(
                    "{} already exists: a trustee identity is never replaced; choose another --out",
                    dir.join(name).display()
                )));
            }
        }
        fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let plaintext = IdentityPlaintext {
            name: self.public.name.clone(),
            signing_secret: hex::encode(self.signing.expose().as_bytes()),
            encryption_secret: hex::encode(self.encryption.expose().as_bytes()),
        };
        SealedFile::write(
            &dir.join(SECRET_KEY_FILE),
            "trustee-identity",
            &plaintext,
            passphrase,
            rng,
        )?;
        write_json_file(&dir.join(PUBLIC_FILE), &self.public)
    }

    /// Opens `dir/secret.key` with the passphrase and checks it against `dir/public.json`.
    pub fn load(dir: &Path, passphrase: &[u8]) -> Result<Self, TrusteeError> {
        let path = dir.join(SECRET_KEY_FILE);
        let file = path.display().to_string();
        let plaintext = SealedFile::open_file(&path, "trustee-identity", passphrase)?;
        let damaged = |detail: String| TrusteeError::DamagedKeyFile {
            file: file.clone(),
            detail,
        };
        let inner: IdentityPlaintext =
            serde_json::from_slice(&plaintext).map_err(|e| damaged(e.to_string()))?;
        let signing = decode_secret(&inner.signing_secret).map_err(|e| damaged(e.to_string()))?;
        let encryption =
            decode_secret(&inner.encryption_secret).map_err(|e| damaged(e.to_string()))?;
        let public = read_public(dir)?;
        if public.name != inner.name
            || public.signing_key != signing.public_element()
            || public.encryption_key != encryption.public_element()
        {
            return Err(TrusteeError::usage(format!(
                "{} does not belong to {}: keep each trustee's two files together",
                dir.join(PUBLIC_FILE).display(),
                file
            )));
        }
        Ok(Self {
            public,
            signing,
            encryption,
        })
    }

    fn sign<R: RngCore + CryptoRng>(
        &self,
        ceremony_id: &Hash,
        message: &Hash,
        rng: &mut R,
    ) -> Result<SchnorrProof, TrusteeError> {
        Ok(SchnorrProof::prove(
            &mut signature_transcript(ceremony_id, message),
            &self.public.signing_key,
            &self.signing,
            rng,
        )
        .map_err(CeremonyError::from)?)
    }
}

/// Reads and checks `dir/public.json`.
pub fn read_public(dir: &Path) -> Result<PublicIdentity, TrusteeError> {
    read_public_file(&dir.join(PUBLIC_FILE))
}

/// Reads and checks a `public.json` file.
pub fn read_public_file(path: &Path) -> Result<PublicIdentity, TrusteeError> {
    let bytes = fs::read(path).map_err(|e| io_error(path, e))?;
    let name = path.display().to_string();
    let identity: PublicIdentity = record::decode_json(&name, None, &bytes)?;
    identity
        .verify()
        .map_err(|detail| TrusteeError::invalid(&name, detail))?;
    Ok(identity)
}

// ---------------------------------------------------------------------------------------------
// Parameters and signed envelopes (spec §9, §12)
// ---------------------------------------------------------------------------------------------

/// `CEREMONY/parameters.json`, written by `ceremony new` (spec §9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonySetup {
    /// Format version, 1.
    pub version: u32,
    /// The ceremony id (spec §1).
    #[serde(with = "hash_hex")]
    pub ceremony_id: Hash,
    /// The hash of the manifest the ceremony is for.
    #[serde(with = "hash_hex")]
    pub manifest_hash: Hash,
    /// The threshold `t`.
    pub threshold: u32,
    /// The trustees in index order; entry `k` has index `k + 1`.
    pub trustees: Vec<PublicIdentity>,
}

impl CeremonySetup {
    /// Parameters for `manifest_bytes`, the trustees in the given order, and threshold `t`.
    pub fn create(
        manifest_bytes: &[u8],
        trustees: Vec<PublicIdentity>,
        threshold: u32,
    ) -> Result<Self, TrusteeError> {
        let manifest_hash = Manifest::hash_bytes(manifest_bytes);
        let names: Vec<String> = trustees.iter().map(|t| t.name.clone()).collect();
        let params = CeremonyParameters::for_election(&manifest_hash, &names, threshold)?;
        let setup = Self {
            version: 1,
            ceremony_id: params.ceremony_id,
            manifest_hash,
            threshold,
            trustees,
        };
        setup.check()?;
        Ok(setup)
    }

    /// Checks the ceremony id, every identity, and that names and keys are distinct.
    pub fn check(&self) -> Result<CeremonyParameters, TrusteeError> {
        if self.version != 1 {
            return Err(TrusteeError::invalid(PARAMETERS_FILE, "unknown version"));
        }
        let params =
            CeremonyParameters::for_election(&self.manifest_hash, &self.names(), self.threshold)?;
        if params.ceremony_id != self.ceremony_id {
            return Err(TrusteeError::invalid(
                PARAMETERS_FILE,
                "ceremony_id is not the hash of the manifest hash, names and threshold",
            ));
        }
        for (position, trustee) in self.trustees.iter().enumerate() {
            trustee.verify().map_err(|detail| {
                TrusteeError::invalid(
                    PARAMETERS_FILE,
                    format!("trustee {} ({}): {detail}", position + 1, trustee.name),
                )
            })?;
            for other in &self.trustees[..position] {
                let keys = [other.signing_key, other.encryption_key];
                if other.name == trustee.name
                    || keys.contains(&trustee.signing_key)
                    || keys.contains(&trustee.encryption_key)
                {
                    return Err(TrusteeError::invalid(
                        PARAMETERS_FILE,
                        format!(
                            "trustees {:?} and {:?} share a name or a key; each trustee needs their own `saylau trustee new`",
                            other.name, trustee.name
                        ),
                    ));
                }
            }
        }
        Ok(params)
    }

    /// The names in index order.
    pub fn names(&self) -> Vec<String> {
        self.trustees.iter().map(|t| t.name.clone()).collect()
    }

    /// `n`.
    pub fn count(&self) -> u32 {
        self.trustees.len() as u32
    }

    /// Trustee `index`'s identity.
    pub fn trustee(&self, index: u32) -> Option<&PublicIdentity> {
        self.trustees.get((index as usize).checked_sub(1)?)
    }

    /// The index of the trustee with this identity.
    pub fn index_of(&self, identity: &PublicIdentity) -> Option<u32> {
        self.trustees
            .iter()
            .position(|t| t == identity)
            .map(|p| p as u32 + 1)
    }

    fn label(&self, index: u32) -> String {
        match self.trustee(index) {
            Some(t) => format!("{index} ({})", t.name),
            None => index.to_string(),
        }
    }
}

/// The message slots of the ceremony directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Round 1a: the commitment to the round-1 message.
    Commit,
    /// Round 1b: the round-1 message itself.
    Reveal,
    /// Round 2: acceptances and complaints.
    Round2,
    /// After voting: a decryption share, published in the record's `decryption/` (spec §14.6).
    Decryption,
}

impl Stage {
    /// The directory and `kind` name: `commit`, `reveal`, `round2`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Commit => "commit",
            Stage::Reveal => "reveal",
            Stage::Round2 => "round2",
            Stage::Decryption => "decryption",
        }
    }

    /// `<stage>/trustee-<i>.json`.
    pub fn file(self, index: u32) -> String {
        format!("{}/trustee-{index}.json", self.name())
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A signed message of the ceremony directory (spec §12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope<B> {
    /// Format version, 1.
    pub version: u32,
    /// The ceremony this message belongs to.
    #[serde(with = "hash_hex")]
    pub ceremony_id: Hash,
    /// The hash of `parameters.json` the author saw (spec §12).
    #[serde(with = "hash_hex")]
    pub parameters_hash: Hash,
    /// The slot: `commit`, `reveal` or `round2`.
    pub kind: Stage,
    /// The author's index.
    pub author: u32,
    /// The message.
    pub body: B,
    /// Schnorr signature by the author's signing key over [`Envelope::signed_hash`].
    pub signature: SchnorrProof,
}

fn signature_transcript(ceremony_id: &Hash, message: &Hash) -> Transcript {
    Transcript::for_purpose(
        ceremony_id,
        b"ceremony-signature",
        Some((b"message", message)),
    )
}

impl<B: Serialize> Envelope<B> {
    /// `H("saylau/v1/ceremony-message", id, parameters hash, kind, u32le(author), body)` with the
    /// body as compact JSON in field order (spec §12).
    pub fn signed_hash(&self) -> Result<Hash, TrusteeError> {
        let body = canonical_json(&self.body)?;
        Ok(tagged_hash(
            "saylau/v1/ceremony-message",
            &[
                &self.ceremony_id,
                &self.parameters_hash,
                self.kind.name().as_bytes(),
                &self.author.to_le_bytes(),
                &body,
            ],
        ))
    }

    /// Signs `body` as trustee `author`.
    pub fn sign<R: RngCore + CryptoRng>(
        context: &CeremonyDir,
        identity: &Identity,
        author: u32,
        kind: Stage,
        body: B,
        rng: &mut R,
    ) -> Result<Self, TrusteeError> {
        let mut envelope = Self {
            version: 1,
            ceremony_id: context.setup.ceremony_id,
            parameters_hash: context.parameters_hash,
            kind,
            author,
            body,
            signature: SchnorrProof {
                commitment: identity.public.signing_key,
                response: Scalar::ZERO,
            },
        };
        let hash = envelope.signed_hash()?;
        envelope.signature = identity.sign(&context.setup.ceremony_id, &hash, rng)?;
        Ok(envelope)
    }

    /// Checks the ceremony, parameters, slot, author and signature (spec §12).
    pub fn check(
        &self,
        context: &CeremonyDir,
        file: &str,
        kind: Stage,
        author: u32,
    ) -> Result<(), TrusteeError> {
        if self.ceremony_id != context.setup.ceremony_id {
            return Err(TrusteeError::ForeignFile {
                file: file.into(),
                found: short(&self.ceremony_id),
                expected: short(&context.setup.ceremony_id),
            });
        }
        if self.version != 1 {
            return Err(TrusteeError::invalid(file, "unknown version"));
        }
        if self.parameters_hash != context.parameters_hash {
            return Err(TrusteeError::invalid(
                file,
                "signed for a different parameters.json (another trustee list or keys)",
            ));
        }
        if self.kind != kind || self.author != author {
            return Err(TrusteeError::invalid(
                file,
                format!(
                    "is a {} message from trustee {}, but its file name says {} from trustee {}",
                    self.kind, self.author, kind, author
                ),
            ));
        }
        let signer = context
            .setup
            .trustee(author)
            .ok_or_else(|| TrusteeError::invalid(file, "no such trustee"))?;
        let hash = self.signed_hash()?;
        self.signature
            .verify(
                &mut signature_transcript(&self.ceremony_id, &hash),
                &signer.signing_key,
            )
            .map_err(|_| {
                TrusteeError::invalid(
                    file,
                    format!(
                        "the signature of trustee {} does not verify",
                        context.setup.label(author)
                    ),
                )
            })
    }
}

fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, TrusteeError> {
    serde_json::to_vec(value).map_err(|e| TrusteeError::usage(e.to_string()))
}

/// Round 1a: a commitment to the author's round-1 message (spec §12.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitBody {
    /// `H("saylau/v1/ceremony-commit", ceremony id, u32le(author), reveal body)`.
    #[serde(with = "hash_hex")]
    pub reveal_hash: Hash,
}

/// Round 1b: the round-1 package and one encrypted share per other trustee (spec §12.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// Feldman commitments `C_k`, `k = 0..t−1`.
    pub commitments: Vec<GroupElement>,
    /// Proof of possession of `a_0` (spec §4).
    pub proof: SchnorrProof,
    /// One share per other trustee, in increasing recipient order.
    pub shares: Vec<EncryptedShare>,
}

/// `f_from(to)` encrypted to trustee `to` (spec §13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedShare {
    /// The recipient's index.
    pub to: u32,
    /// The ephemeral key `E = e·G`.
    pub ephemeral_key: GroupElement,
    /// ChaCha20-Poly1305 ciphertext of the 32-byte share, with its tag (48 bytes, hex).
    pub ciphertext: String,
}

/// Round 2: the author's verdict on every share it received (spec §12.3, §14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round2Body {
    /// Senders whose share was valid, increasing.
    pub accepted: Vec<u32>,
    /// Complaints against senders whose share was not, increasing by `accused`.
    pub complaints: Vec<Complaint>,
}

/// A complaint: the complainer reveals the Diffie–Hellman value of one share and proves it
/// correct, so anyone can decrypt that share and judge (spec §14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The sender of the bad share.
    pub accused: u32,
    /// `D = p·E`, for the `E` of that share.
    pub shared_secret: GroupElement,
    /// Chaum–Pedersen proof that `log_G P = log_E D`.
    pub proof: EqualityProof,
}

/// `reveal_hash` of a commit (spec §12.1).
pub fn reveal_hash(
    ceremony_id: &Hash,
    author: u32,
    body: &RevealBody,
) -> Result<Hash, TrusteeError> {
    Ok(tagged_hash(
        "saylau/v1/ceremony-commit",
        &[ceremony_id, &author.to_le_bytes(), &canonical_json(body)?],
    ))
}

// ---------------------------------------------------------------------------------------------
// Share encryption (spec §13)
// ---------------------------------------------------------------------------------------------

fn share_key(
    setup: &CeremonySetup,
    from: u32,
    to: u32,
    ephemeral: &GroupElement,
    shared: &GroupElement,
) -> Option<Zeroizing<Hash>> {
    let sender = setup.trustee(from)?;
    let recipient = setup.trustee(to)?;
    Some(Zeroizing::new(tagged_hash(
        "saylau/v1/share-key",
        &[
            &setup.ceremony_id,
            &from.to_le_bytes(),
            &to.to_le_bytes(),
            sender.signing_key.as_bytes(),
            recipient.encryption_key.as_bytes(),
            ephemeral.as_bytes(),
            shared.as_bytes(),
        ],
    )))
}

fn share_aad(ceremony_id: &Hash, from: u32, to: u32, ephemeral: &GroupElement) -> Hash {
    tagged_hash(
        "saylau/v1/share-aad",
        &[
            ceremony_id,
            &from.to_le_bytes(),
            &to.to_le_bytes(),
            ephemeral.as_bytes(),
        ],
    )
}

/// The nonce: all zero; each key encrypts exactly one message (a fresh `E` per share).
const SHARE_NONCE: [u8; 12] = [0u8; 12];

/// Encrypts `share` to its recipient (spec §13).
pub fn encrypt_share<R: RngCore + CryptoRng>(
    setup: &CeremonySetup,
    share: &round2::SecretShare,
    rng: &mut R,
) -> Result<EncryptedShare, TrusteeError> {
    let recipient = setup
        .trustee(share.to)
        .ok_or(CeremonyError::UnknownTrustee { index: share.to })?;
    let ephemeral_secret = Secret::random(rng);
    let ephemeral = ephemeral_secret.public_element();
    let shared =
        GroupElement::from_point(ephemeral_secret.expose() * recipient.encryption_key.point());
    let key = share_key(setup, share.from, share.to, &ephemeral, &shared)
        .ok_or(CeremonyError::UnknownTrustee { index: share.from })?;
    let cipher = ChaCha20Poly1305::new(key.as_ref().into());
    let plaintext = Zeroizing::new(share.value().expose().to_bytes());
    let aad = share_aad(&setup.ceremony_id, share.from, share.to, &ephemeral);
    let ciphertext = cipher
        .encrypt(
            (&SHARE_NONCE).into(),
            Payload {
                msg: plaintext.as_ref(),
                aad: &aad,
            },
        )
        .map_err(|_| TrusteeError::usage("share encryption failed"))?;
    Ok(EncryptedShare {
        to: share.to,
        ephemeral_key: ephemeral,
        ciphertext: hex::encode(ciphertext),
    })
}

/// Why an encrypted share is not a valid share (spec §13–§14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareFault {
    /// The AEAD rejects it under the (proven) key.
    Undecryptable,
    /// The plaintext is not a canonical scalar.
    NotAScalar,
    /// The scalar does not match the sender's commitments (spec §5).
    WrongShare,
}

impl std::fmt::Display for ShareFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShareFault::Undecryptable => "its share cannot be decrypted",
            ShareFault::NotAScalar => "its share decrypts to something that is not a scalar",
            ShareFault::WrongShare => "its share does not match its commitments",
        })
    }
}

/// Decrypts a share given the Diffie–Hellman value `D` and checks it against the sender's
/// commitments. Anyone can run this once `D` is revealed by a complaint.
pub fn open_share(
    setup: &CeremonySetup,
    from: u32,
    encrypted: &EncryptedShare,
    shared: &GroupElement,
    commitments: &[GroupElement],
) -> Result<round2::SecretShare, ShareFault> {
    let key = share_key(setup, from, encrypted.to, &encrypted.ephemeral_key, shared)
        .ok_or(ShareFault::Undecryptable)?;
    let ciphertext = hex::decode(&encrypted.ciphertext).map_err(|_| ShareFault::Undecryptable)?;
    let aad = share_aad(
        &setup.ceremony_id,
        from,
        encrypted.to,
        &encrypted.ephemeral_key,
    );
    let cipher = ChaCha20Poly1305::new(key.as_ref().into());
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(
                (&SHARE_NONCE).into(),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| ShareFault::Undecryptable)?,
    );
    let array: Zeroizing<[u8; 32]> = Zeroizing::new(
        plaintext
            .as_slice()
            .try_into()
            .map_err(|_| ShareFault::NotAScalar)?,
    );
    let scalar = Option::<Scalar>::from(Scalar::from_canonical_bytes(*array))
        .ok_or(ShareFault::NotAScalar)?;
    let share = round2::SecretShare::new(from, encrypted.to, Secret::from_scalar(scalar));
    if share.matches(commitments) {
        Ok(share)
    } else {
        Err(ShareFault::WrongShare)
    }
}

fn complaint_transcript(ceremony_id: &Hash, complainer: u32, accused: u32) -> Transcript {
    let mut transcript = Transcript::for_purpose(ceremony_id, b"ceremony-complaint", None);
    transcript.append_u64(b"complainer", u64::from(complainer));
    transcript.append_u64(b"accused", u64::from(accused));
    transcript
}

fn complaint_statement<'a>(
    ephemeral: &'a GroupElement,
    encryption_key: &'a GroupElement,
    shared: &'a GroupElement,
) -> EqualityStatement<'a> {
    EqualityStatement {
        base: ephemeral,
        base_is_key: false,
        pair: PointPair::encoded(encryption_key, shared),
        shift: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// The ceremony directory (spec §9, §12)
// ---------------------------------------------------------------------------------------------

/// An opened ceremony directory: its parameters and their hash.
#[derive(Clone, Debug)]
pub struct CeremonyDir {
    /// The directory.
    pub path: PathBuf,
    /// `parameters.json`.
    pub setup: CeremonySetup,
    /// `file_hash` of `parameters.json`'s bytes; every signature covers it.
    pub parameters_hash: Hash,
    params: CeremonyParameters,
}

/// What the directory holds for one slot of one trustee.
type Slot<B> = Option<Envelope<B>>;

impl CeremonyDir {
    /// Opens and checks `dir/parameters.json`.
    pub fn open(path: &Path) -> Result<Self, TrusteeError> {
        if !path.join(PARAMETERS_FILE).is_file() {
            return Err(TrusteeError::usage(format!(
                "{} is not a ceremony directory (no {PARAMETERS_FILE}); the commission creates it with `saylau ceremony new`",
                path.display()
            )));
        }
        let (setup, bytes): (CeremonySetup, _) = record::read_json(path, PARAMETERS_FILE)?;
        let params = setup.check()?;
        Ok(Self {
            path: path.to_path_buf(),
            parameters_hash: record::file_hash(&bytes),
            setup,
            params,
        })
    }

    /// The validated DKG parameters.
    pub fn params(&self) -> &CeremonyParameters {
        &self.params
    }

    /// Reads and checks one slot; `None` if the file is absent.
    pub fn read<B: Serialize + DeserializeOwned>(
        &self,
        stage: Stage,
        author: u32,
    ) -> Result<Slot<B>, TrusteeError> {
        let file = stage.file(author);
        if !self.path.join(&file).exists() {
            return Ok(None);
        }
        let (envelope, _): (Envelope<B>, _) = record::read_json(&self.path, &file)?;
        envelope.check(self, &file, stage, author)?;
        Ok(Some(envelope))
    }

    /// Checks every file present in every slot, so a foreign or forged file is reported before
    /// anything is written. Returns nothing; fails on the first bad file.
    pub fn check_all(&self) -> Result<(), TrusteeError> {
        for stage in STAGES {
            let dir = self.path.join(stage.name());
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let entry = entry.map_err(|e| io_error(&dir, e))?;
                let name = entry.file_name().to_string_lossy().to_string();
                if name.starts_with('.') {
                    continue;
                }
                let index = name
                    .strip_prefix("trustee-")
                    .and_then(|rest| rest.strip_suffix(".json"))
                    .and_then(|digits| digits.parse::<u32>().ok())
                    .filter(|&i| stage.file(i) == format!("{}/{name}", stage.name()))
                    .filter(|&i| self.params.check_index(i).is_ok());
                let Some(index) = index else {
                    return Err(TrusteeError::invalid(
                        &format!("{}/{name}", stage.name()),
                        "unexpected file in the ceremony directory; remove it",
                    ));
                };
                match stage {
                    Stage::Commit => self.read::<CommitBody>(stage, index).map(|_| ())?,
                    Stage::Reveal => self.read::<RevealBody>(stage, index).map(|_| ())?,
                    Stage::Round2 => self.read::<Round2Body>(stage, index).map(|_| ())?,
                    Stage::Decryption => {}
                }
            }
        }
        Ok(())
    }

    fn all<B: Serialize + DeserializeOwned>(
        &self,
        stage: Stage,
        step: &'static str,
        skip: &[u32],
    ) -> Result<Vec<Slot<B>>, TrusteeError> {
        let slots = (1..=self.setup.count())
            .map(|i| self.read::<B>(stage, i))
            .collect::<Result<Vec<_>, _>>()?;
        let missing: Vec<String> = slots
            .iter()
            .zip(1..)
            .filter(|(slot, i)| slot.is_none() && !skip.contains(i))
            .map(|(_, i)| self.setup.label(i))
            .collect();
        if !missing.is_empty() {
            return Err(TrusteeError::NotReady {
                step,
                stage,
                missing: missing.join(", "),
            });
        }
        Ok(slots)
    }

    /// Publishes a signed message in its slot (spec §12.4): never overwrites, reports
    /// equivocation if a different message of the same author is already there.
    pub fn publish<B: Serialize + DeserializeOwned>(
        &self,
        envelope: &Envelope<B>,
    ) -> Result<Published, TrusteeError> {
        let file = envelope.kind.file(envelope.author);
        let mut bytes =
            serde_json::to_vec_pretty(envelope).map_err(|e| TrusteeError::usage(e.to_string()))?;
        bytes.push(b'\n');
        match publish_once(&self.path, &file, &bytes)? {
            Published::Written => Ok(Published::Written),
            Published::AlreadyThere => Ok(Published::AlreadyThere),
            Published::Different => {
                if let Ok(Some(existing)) = self.read::<B>(envelope.kind, envelope.author) {
                    if existing.signed_hash()? != envelope.signed_hash()? {
                        return Err(TrusteeError::Equivocation {
                            culprit: envelope.author,
                            stage: envelope.kind,
                        });
                    }
                    return Ok(Published::AlreadyThere);
                }
                Err(TrusteeError::AlreadyPublished { file })
            }
        }
    }
}

/// The outcome of [`publish_once`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    /// The file was created.
    Written,
    /// The same bytes were already there; nothing changed.
    AlreadyThere,
    /// A different file is there; nothing changed.
    Different,
}

/// Creates `dir/name` with `bytes` unless it exists: writes a temporary file, then links it into
/// place (a link never replaces an existing file, so two concurrent writers cannot both win).
pub fn publish_once(dir: &Path, name: &str, bytes: &[u8]) -> Result<Published, TrusteeError> {
    let path = dir.join(name);
    if let Ok(existing) = fs::read(&path) {
        return Ok(if existing == bytes {
            Published::AlreadyThere
        } else {
            Published::Different
        });
    }
    let parent = path.parent().unwrap_or(dir);
    fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let temporary = parent.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = (|| {
        use std::io::Write;
        let mut file = fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::hard_link(&temporary, &path)
    })();
    let _ = fs::remove_file(&temporary);
    match written {
        Ok(()) => Ok(Published::Written),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = fs::read(&path).map_err(|e| io_error(&path, e))?;
            Ok(if existing == bytes {
                Published::AlreadyThere
            } else {
                Published::Different
            })
        }
        Err(e) => Err(io_error(&path, e)),
    }
}

// ---------------------------------------------------------------------------------------------
// The trustee's per-ceremony secrets (spec §11)
// ---------------------------------------------------------------------------------------------

/// `DIR/ceremony-<id>.key`: the shares this trustee holds for one ceremony, sealed.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct SharesPlaintext {
    ceremony_id: String,
    index: u32,
    shares: Vec<SharePlaintext>,
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct SharePlaintext {
    from: u32,
    value: String,
}

/// The name of the trustee's sealed share file for a ceremony: `ceremony-<first 16 hex>.key`.
pub fn shares_file_name(ceremony_id: &Hash) -> String {
    format!("ceremony-{}.key", short(ceremony_id))
}

/// The name of the trustee's signed, not yet published round-1 message.
pub fn pending_reveal_name(ceremony_id: &Hash) -> String {
    format!("ceremony-{}.reveal.json", short(ceremony_id))
}

fn save_shares<R: RngCore + CryptoRng>(
    key_dir: &Path,
    ceremony_id: &Hash,
    index: u32,
    shares: &[round2::SecretShare],
    passphrase: &[u8],
    rng: &mut R,
) -> Result<(), TrusteeError> {
    let plaintext = SharesPlaintext {
        ceremony_id: hex::encode(ceremony_id),
        index,
        shares: shares
            .iter()
            .map(|s| SharePlaintext {
                from: s.from,
                value: hex::encode(s.value().expose().as_bytes()),
            })
            .collect(),
    };
    SealedFile::write(
        &key_dir.join(shares_file_name(ceremony_id)),
        "ceremony-shares",
        &plaintext,
        passphrase,
        rng,
    )
}

/// Opens the trustee's sealed share file for `ceremony_id`: its index and the shares it holds.
pub fn load_shares(
    key_dir: &Path,
    ceremony_id: &Hash,
    passphrase: &[u8],
) -> Result<(u32, Vec<round2::SecretShare>), TrusteeError> {
    let path = key_dir.join(shares_file_name(ceremony_id));
    if !path.exists() {
        return Err(TrusteeError::usage(format!(
            "{} holds no shares for ceremony {}…: this trustee did not take part in it (or ran `saylau trustee round1` with another --key)",
            key_dir.display(),
            short(ceremony_id)
        )));
    }
    let file = path.display().to_string();
    let plaintext = SealedFile::open_file(&path, "ceremony-shares", passphrase)?;
    let damaged = |detail: String| TrusteeError::DamagedKeyFile {
        file: file.clone(),
        detail,
    };
    let inner: SharesPlaintext =
        serde_json::from_slice(&plaintext).map_err(|e| damaged(e.to_string()))?;
    if inner.ceremony_id != hex::encode(ceremony_id) {
        return Err(damaged("it belongs to another ceremony".into()));
    }
    let shares = inner
        .shares
        .iter()
        .map(|s| {
            decode_secret(&s.value)
                .map(|value| round2::SecretShare::new(s.from, inner.index, value))
                .map_err(|e| damaged(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((inner.index, shares))
}

// ---------------------------------------------------------------------------------------------
// The steps (spec §12)
// ---------------------------------------------------------------------------------------------

/// What a step did, for the command to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// The trustee's index.
    pub index: u32,
    /// True when the step had already been done and nothing changed.
    pub already_done: bool,
    /// Lines to show the user (complaints made, faults seen).
    pub notes: Vec<String>,
}

/// Finds the trustee in the ceremony by its public identity.
/// Opens the ceremony directory as the trustee `identity`: finds its index and checks every
/// file already published before this trustee writes anything.
fn open_as(
    ceremony_dir: &Path,
    identity: &PublicIdentity,
) -> Result<(CeremonyDir, u32), TrusteeError> {
    let context = CeremonyDir::open(ceremony_dir)?;
    let index = context.setup.index_of(identity).ok_or_else(|| {
        TrusteeError::usage(format!(
            "trustee {:?} is not on this ceremony's list ({}); check --key and --ceremony",
            identity.name,
            context.setup.names().join(", ")
        ))
    })?;
    context.check_all()?;
    Ok((context, index))
}

/// Round 1a (spec §12.1): draw the polynomial, keep the own share sealed, prepare and sign the
/// round-1 message, and publish only a commitment to it.
pub fn round1<R: RngCore + CryptoRng>(
    key_dir: &Path,
    ceremony_dir: &Path,
    passphrase: &[u8],
    rng: &mut R,
) -> Result<StepReport, TrusteeError> {
    let identity = Identity::load(key_dir, passphrase)?;
    let (context, index) = open_as(ceremony_dir, identity.public())?;
    let id = context.setup.ceremony_id;
    let pending = key_dir.join(pending_reveal_name(&id));
    let already_committed = context.read::<CommitBody>(Stage::Commit, index)?.is_some();
    if pending.exists() {
        // Resume: publish the commitment to the message prepared earlier (never a new one).
        let (reveal, _): (Envelope<RevealBody>, _) =
            record::read_json(key_dir, &pending_reveal_name(&id))?;
        reveal.check(
            &context,
            &pending.display().to_string(),
            Stage::Reveal,
            index,
        )?;
        let commit = Envelope::sign(
            &context,
            &identity,
            index,
            Stage::Commit,
            CommitBody {
                reveal_hash: reveal_hash(&id, index, &reveal.body)?,
            },
            rng,
        )?;
        if already_committed {
            let existing = context.read::<CommitBody>(Stage::Commit, index)?;
            if existing.map(|e| e.body) != Some(commit.body) {
                return Err(TrusteeError::Equivocation {
                    culprit: index,
                    stage: Stage::Commit,
                });
            }
            return Ok(StepReport {
                index,
                already_done: true,
                notes: vec![],
            });
        }
        context.publish(&commit)?;
        return Ok(StepReport {
            index,
            already_done: false,
            notes: vec![],
        });
    }
    if already_committed {
        return Err(TrusteeError::usage(format!(
            "{} is already published, but {} is missing: round 1 was run from another key directory",
            Stage::Commit.file(index),
            pending.display()
        )));
    }
    let (secret, package) = ceremony::part1(context.params(), index, rng)?;
    let own = secret.share_for(index)?;
    let shares = (1..=context.setup.count())
        .filter(|&j| j != index)
        .map(|j| encrypt_share(&context.setup, &secret.share_for(j)?, rng))
        .collect::<Result<Vec<_>, TrusteeError>>()?;
    drop(secret);
    let body = RevealBody {
        commitments: package.commitments,
        proof: package.proof,
        shares,
    };
    let commit_body = CommitBody {
        reveal_hash: reveal_hash(&id, index, &body)?,
    };
    let reveal = Envelope::sign(&context, &identity, index, Stage::Reveal, body, rng)?;
    let commit = Envelope::sign(&context, &identity, index, Stage::Commit, commit_body, rng)?;
    // Local state first: if publishing fails, running round1 again publishes this same message.
    save_shares(key_dir, &id, index, &[own], passphrase, rng)?;
    write_json_file(&pending, &reveal)?;
    context.publish(&commit)?;
    Ok(StepReport {
        index,
        already_done: false,
        notes: vec![],
    })
}

/// Round 1b (spec §12.2): once every trustee has committed, publish the round-1 message
/// prepared by [`round1()`]. Needs no passphrase.
pub fn reveal(key_dir: &Path, ceremony_dir: &Path) -> Result<StepReport, TrusteeError> {
    let public = read_public(key_dir)?;
    let (context, index) = open_as(ceremony_dir, &public)?;
    let id = context.setup.ceremony_id;
    let commits = context.all::<CommitBody>(Stage::Commit, "trustee reveal", &[])?;
    let name = pending_reveal_name(&id);
    if !key_dir.join(&name).exists() {
        return Err(TrusteeError::usage(format!(
            "{} has no prepared round-1 message for this ceremony: run `saylau trustee round1` with this --key first",
            key_dir.display()
        )));
    }
    let (reveal, _): (Envelope<RevealBody>, _) = record::read_json(key_dir, &name)?;
    reveal.check(&context, &name, Stage::Reveal, index)?;
    let mine = commits[index as usize - 1]
        .as_ref()
        .map(|c| c.body.reveal_hash);
    if mine != Some(reveal_hash(&id, index, &reveal.body)?) {
        return Err(TrusteeError::Equivocation {
            culprit: index,
            stage: Stage::Reveal,
        });
    }
    let published = context.publish(&reveal)?;
    Ok(StepReport {
        index,
        already_done: published == Published::AlreadyThere,
        notes: vec![],
    })
}

/// A fault anyone can see in a trustee's round-1 messages (spec §14.1), or `None`.
fn public_fault(
    context: &CeremonyDir,
    author: u32,
    commit: &Envelope<CommitBody>,
    reveal: &Envelope<RevealBody>,
) -> Result<Option<String>, TrusteeError> {
    let id = &context.setup.ceremony_id;
    if reveal_hash(id, author, &reveal.body)? != commit.body.reveal_hash {
        return Ok(Some(
            "equivocated: its round-1 message does not match its commitment".into(),
        ));
    }
    let package = round1::Package {
        index: author,
        commitments: reveal.body.commitments.clone(),
        proof: reveal.body.proof,
    };
    if let Err(error) = package.verify(context.params()) {
        return Ok(Some(format!("invalid round-1 message: {error}")));
    }
    let expected: Vec<u32> = (1..=context.setup.count())
        .filter(|&j| j != author)
        .collect();
    let recipients: Vec<u32> = reveal.body.shares.iter().map(|s| s.to).collect();
    if recipients != expected {
        return Ok(Some(
            "invalid round-1 message: not exactly one encrypted share per other trustee, in order"
                .into(),
        ));
    }
    if reveal
        .body
        .shares
        .iter()
        .any(|s| s.ephemeral_key.is_identity())
    {
        return Ok(Some(
            "invalid round-1 message: an ephemeral key is the identity".into(),
        ));
    }
    Ok(None)
}

/// The round-1 messages of every trustee, with the public faults found in them.
struct RoundOne {
    reveals: Vec<Envelope<RevealBody>>,
    faults: Vec<Option<String>>,
}

fn round_one(context: &CeremonyDir, step: &'static str) -> Result<RoundOne, TrusteeError> {
    let commits = context.all::<CommitBody>(Stage::Commit, step, &[])?;
    let reveals = context.all::<RevealBody>(Stage::Reveal, step, &[])?;
    let commits: Vec<Envelope<CommitBody>> = commits.into_iter().flatten().collect();
    let reveals: Vec<Envelope<RevealBody>> = reveals.into_iter().flatten().collect();
    let faults = commits
        .iter()
        .zip(&reveals)
        .zip(1..)
        .map(|((commit, reveal), author)| public_fault(context, author, commit, reveal))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RoundOne { reveals, faults })
}

/// Round 2 (spec §12.3): decrypt and check every share addressed to this trustee; keep the good
/// ones sealed; publish acceptances and, for each bad one, a complaint.
pub fn round2<R: RngCore + CryptoRng>(
    key_dir: &Path,
    ceremony_dir: &Path,
    passphrase: &[u8],
    rng: &mut R,
) -> Result<StepReport, TrusteeError> {
    let identity = Identity::load(key_dir, passphrase)?;
    let (context, index) = open_as(ceremony_dir, identity.public())?;
    let id = context.setup.ceremony_id;
    if context.read::<Round2Body>(Stage::Round2, index)?.is_some() {
        return Ok(StepReport {
            index,
            already_done: true,
            notes: vec![],
        });
    }
    let round = round_one(&context, "trustee round2")?;
    let (stored_index, stored) = load_shares(key_dir, &id, passphrase)?;
    if stored_index != index {
        return Err(TrusteeError::DamagedKeyFile {
            file: shares_file_name(&id),
            detail: "it is for another trustee index".into(),
        });
    }
    let mut kept: Vec<round2::SecretShare> =
        stored.into_iter().filter(|s| s.from == index).collect();
    let mut notes = Vec::new();
    let mut accepted = Vec::new();
    let mut complaints = Vec::new();
    for (sender, (reveal, fault)) in (1..).zip(round.reveals.iter().zip(&round.faults)) {
        if sender == index {
            continue;
        }
        if let Some(fault) = fault {
            notes.push(format!(
                "trustee {} {fault}; it will be disqualified",
                context.setup.label(sender)
            ));
            continue;
        }
        let Some(encrypted) = reveal.body.shares.iter().find(|s| s.to == index) else {
            continue;
        };
        let shared = GroupElement::from_point(
            identity.encryption.expose() * encrypted.ephemeral_key.point(),
        );
        match open_share(
            &context.setup,
            sender,
            encrypted,
            &shared,
            &reveal.body.commitments,
        ) {
            Ok(share) => {
                accepted.push(sender);
                kept.push(share);
            }
            Err(fault) => {
                let statement = complaint_statement(
                    &encrypted.ephemeral_key,
                    &identity.public.encryption_key,
                    &shared,
                );
                let proof = EqualityProof::prove(
                    &mut complaint_transcript(&id, index, sender),
                    &statement,
                    &identity.encryption,
                    rng,
                )
                .map_err(CeremonyError::from)?;
                notes.push(format!(
                    "COMPLAINT against trustee {}: {fault}",
                    context.setup.label(sender)
                ));
                complaints.push(Complaint {
                    accused: sender,
                    shared_secret: shared,
                    proof,
                });
            }
        }
    }
    let envelope = Envelope::sign(
        &context,
        &identity,
        index,
        Stage::Round2,
        Round2Body {
            accepted,
            complaints,
        },
        rng,
    )?;
    save_shares(key_dir, &id, index, &kept, passphrase, rng)?;
    context.publish(&envelope)?;
    Ok(StepReport {
        index,
        already_done: false,
        notes,
    })
}

// ---------------------------------------------------------------------------------------------
// Judging the ceremony (spec §14) and finishing it
// ---------------------------------------------------------------------------------------------

/// The judgement of a complete ceremony directory.
#[derive(Clone, Debug)]
pub struct Judgement {
    /// The public record: qualified trustees, disqualified trustees with reasons, joint key.
    pub record: CeremonyRecord,
    /// Complaints that were judged, as `(complainer, accused, upheld)`.
    pub complaints: Vec<(u32, u32, bool)>,
}

/// Judges a ceremony directory whose three rounds are complete (spec §14): finds every public
/// fault, judges every complaint, and builds the record from the qualified trustees. Fails
/// clearly when a round is incomplete or fewer than `t` trustees remain.
pub fn judge(context: &CeremonyDir) -> Result<Judgement, TrusteeError> {
    context.check_all()?;
    let setup = &context.setup;
    let round = round_one(context, "ceremony finish")?;
    let faulty: Vec<u32> = (1..)
        .zip(&round.faults)
        .filter(|(_, f)| f.is_some())
        .map(|(i, _)| i)
        .collect();
    let round2 = context.all::<Round2Body>(Stage::Round2, "ceremony finish", &faulty)?;
    let n = setup.count();
    let mut reasons: Vec<Option<String>> = round.faults.clone();
    let mut judged = Vec::new();
    let blame = |reasons: &mut Vec<Option<String>>, who: u32, why: String| {
        let slot = &mut reasons[who as usize - 1];
        if slot.is_none() {
            *slot = Some(why);
        }
    };
    for complainer in 1..=n {
        if round.faults[complainer as usize - 1].is_some() {
            continue;
        }
        let Some(message) = &round2[complainer as usize - 1] else {
            continue;
        };
        // Spec §14.2: every other trustee without a public fault appears exactly once.
        let expected: Vec<u32> = (1..=n)
            .filter(|&i| i != complainer && round.faults[i as usize - 1].is_none())
            .collect();
        let mut listed: Vec<u32> = message
            .body
            .accepted
            .iter()
            .copied()
            .chain(message.body.complaints.iter().map(|c| c.accused))
            .collect();
        listed.sort_unstable();
        if listed != expected {
            blame(
                &mut reasons,
                complainer,
                "invalid round-2 message: it must accept or accuse every other trustee exactly once".into(),
            );
            continue;
        }
        for complaint in &message.body.complaints {
            let accused = complaint.accused;
            let reveal = &round.reveals[accused as usize - 1];
            let Some(encrypted) = reveal.body.shares.iter().find(|s| s.to == complainer) else {
                continue;
            };
            let Some(complainer_identity) = setup.trustee(complainer) else {
                continue;
            };
            let statement = complaint_statement(
                &encrypted.ephemeral_key,
                &complainer_identity.encryption_key,
                &complaint.shared_secret,
            );
            let proof_ok = complaint
                .proof
                .verify(
                    &mut complaint_transcript(&setup.ceremony_id, complainer, accused),
                    &statement,
                )
                .is_ok();
            if !proof_ok {
                blame(
                    &mut reasons,
                    complainer,
                    format!(
                        "false complaint against trustee {accused}: its Diffie-Hellman proof does not verify"
                    ),
                );
                judged.push((complainer, accused, false));
                continue;
            }
            match open_share(
                setup,
                accused,
                encrypted,
                &complaint.shared_secret,
                &reveal.body.commitments,
            ) {
                Ok(_) => {
                    blame(
                        &mut reasons,
                        complainer,
                        format!("false complaint against trustee {accused}: the share is valid"),
                    );
                    judged.push((complainer, accused, false));
                }
                Err(fault) => {
                    blame(
                        &mut reasons,
                        accused,
                        format!("complaint by trustee {complainer} upheld: {fault}"),
                    );
                    judged.push((complainer, accused, true));
                }
            }
        }
    }
    let mut packages = Vec::new();
    let mut disqualified = Vec::new();
    for (index, (reveal, reason)) in (1..).zip(round.reveals.iter().zip(reasons)) {
        let name = setup
            .trustee(index)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        match reason {
            Some(reason) => disqualified.push(DisqualifiedTrustee {
                index,
                name,
                reason,
            }),
            None => packages.push(round1::Package {
                index,
                commitments: reveal.body.commitments.clone(),
                proof: reveal.body.proof,
            }),
        }
    }
    if packages.len() < setup.threshold as usize {
        let named: Vec<String> = disqualified
            .iter()
            .map(|d| format!("{} ({}): {}", d.index, d.name, d.reason))
            .collect();
        return Err(TrusteeError::Usage(format!(
            "the ceremony failed: only {} qualified trustees remain, fewer than the threshold {}. Disqualified: {}",
            packages.len(),
            setup.threshold,
            named.join("; ")
        )));
    }
    let record = CeremonyRecord::assemble_qualified(
        &setup.manifest_hash,
        &setup.names(),
        setup.threshold,
        &packages,
        disqualified,
    )?;
    Ok(Judgement {
        record,
        complaints: judged,
    })
}

/// The transcript files in chain order: `parameters.json`, then each stage's files by index.
/// Only files that exist are listed (a disqualified trustee may have no round-2 file).
pub fn transcript_files(dir: &Path, n: u32) -> Vec<String> {
    let mut files = vec![PARAMETERS_FILE.to_string()];
    for stage in STAGES {
        for i in 1..=n {
            let name = stage.file(i);
            if dir.join(&name).is_file() {
                files.push(name);
            }
        }
    }
    files
}

/// `ceremony finish` (spec §14.4): judge the ceremony and start the election record with
/// `manifest.json`, `ceremony.json` and the whole transcript under `ceremony/`.
pub fn finish(
    ceremony_dir: &Path,
    manifest_bytes: &[u8],
    out: &Path,
) -> Result<Judgement, TrusteeError> {
    let context = CeremonyDir::open(ceremony_dir)?;
    if Manifest::hash_bytes(manifest_bytes) != context.setup.manifest_hash {
        return Err(TrusteeError::usage(
            "this manifest is not the one the ceremony was created for (its hash differs from parameters.json)",
        ));
    }
    let manifest: Manifest = record::decode_json(record::MANIFEST, None, manifest_bytes)?;
    let problems = manifest.check();
    if !problems.is_empty() {
        return Err(TrusteeError::usage(format!(
            "the manifest has problems: {}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let judgement = judge(&context)?;
    if out.exists()
        && fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(TrusteeError::usage(format!(
            "{} already exists and is not empty; choose a new --out for the election record",
            out.display()
        )));
    }
    fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
    record::write_atomically(out, record::MANIFEST, manifest_bytes)?;
    for name in transcript_files(ceremony_dir, context.setup.count()) {
        let bytes = record::read_file(ceremony_dir, &name)?;
        record::write_atomically(out, &format!("{TRANSCRIPT_DIR}/{name}"), &bytes)?;
    }
    record::write_json(out, record::CEREMONY, &judgement.record)?;
    Ok(judgement)
}

/// Re-judges the transcript under `record_dir/ceremony/` and checks that it gives exactly
/// `ceremony.json` (spec §14.5). `Ok(false)` when the record has no transcript (an in-process
/// demo record).
pub fn audit_record(record_dir: &Path, ceremony: &CeremonyRecord) -> Result<bool, TrusteeError> {
    let transcript = record_dir.join(TRANSCRIPT_DIR);
    if !transcript.exists() {
        return Ok(false);
    }
    let context = CeremonyDir::open(&transcript)?;
    let judgement = judge(&context)?;
    if &judgement.record != ceremony {
        return Err(TrusteeError::invalid(
            record::CEREMONY,
            "does not match the judgement of the ceremony transcript under ceremony/",
        ));
    }
    Ok(true)
}

/// How a record's decryption-share files are read (spec §14.6). A record that carries the
/// transcript of a ceremony run by separate trustees (`ceremony/`) holds each share as an
/// [`Envelope`] of kind `decryption`, signed by its trustee, so a share that fails its proofs is
/// evidence against that trustee and a file anyone else wrote is evidence against nobody. A
/// record of an in-process ceremony (the demo) has no trustee identities, and holds bare shares.
pub struct ShareFiles {
    signers: Option<CeremonyDir>,
}

impl ShareFiles {
    /// The reader for the record in `record_dir`.
    pub fn for_record(record_dir: &Path) -> Result<Self, TrusteeError> {
        let transcript = record_dir.join(TRANSCRIPT_DIR);
        let signers = if transcript.join(PARAMETERS_FILE).is_file() {
            Some(CeremonyDir::open(&transcript)?)
        } else {
            None
        };
        Ok(Self { signers })
    }

    /// True when shares must be signed by their trustees.
    pub fn signed(&self) -> bool {
        self.signers.is_some()
    }

    /// The share published in `dir/name` for trustee `index`. An error says why the file is
    /// not that trustee's: it does not decode, or (in a signed record) it is not an envelope of
    /// kind `decryption` by trustee `index` whose signature verifies. The share's own `trustee`
    /// field is left to the caller: a signed share naming another trustee is that trustee's
    /// mistake, and evidence against it.
    pub fn read(
        &self,
        dir: &Path,
        name: &str,
        index: u32,
    ) -> Result<DecryptionShare, TrusteeError> {
        match &self.signers {
            None => Ok(record::read_json::<DecryptionShare>(dir, name)?.0),
            Some(context) => {
                let (envelope, _): (Envelope<DecryptionShare>, _) = record::read_json(dir, name)
                    .map_err(|error| {
                        TrusteeError::usage(format!(
                            "{error} (the trustees of this record's ceremony publish their shares signed, in envelopes of kind decryption)"
                        ))
                    })?;
                envelope.check(context, name, Stage::Decryption, index)?;
                Ok(envelope.body)
            }
        }
    }

    /// The bytes of trustee `index`'s share file: the share signed by `identity` in a signed
    /// record, the bare share otherwise.
    pub fn encode<R: RngCore + CryptoRng>(
        &self,
        identity: &Identity,
        index: u32,
        share: DecryptionShare,
        rng: &mut R,
    ) -> Result<Vec<u8>, TrusteeError> {
        let encoded = match &self.signers {
            None => serde_json::to_vec_pretty(&share),
            Some(context) => {
                let envelope =
                    Envelope::sign(context, identity, index, Stage::Decryption, share, rng)?;
                serde_json::to_vec_pretty(&envelope)
            }
        };
        let mut bytes = encoded.map_err(|e| TrusteeError::usage(e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// `trustee decrypt` (spec §14.6): rebuild the key share from the sealed shares of the
/// qualified dealers, recompute the encrypted tally from the board, refuse unless it equals
/// `tally.json`, and publish `decryption/trustee-<i>.json` once.
pub fn decrypt<R: RngCore + CryptoRng>(
    key_dir: &Path,
    record_dir: &Path,
    passphrase: &[u8],
    rng: &mut R,
) -> Result<u32, TrusteeError> {
    let election = crate::election::Election::open(record_dir)
        .map_err(|e| TrusteeError::Demo(crate::sim::demo::DemoError::Election(e)))?;
    audit_record(record_dir, &election.ceremony)?;
    let identity = Identity::load(key_dir, passphrase)?;
    let public = identity.public().clone();
    let (index, shares) = load_shares(key_dir, &election.ceremony.ceremony_id, passphrase)?;
    if let Ok(transcript) = CeremonyDir::open(&record_dir.join(TRANSCRIPT_DIR)) {
        if transcript.setup.index_of(&public) != Some(index) {
            return Err(TrusteeError::usage(format!(
                "this key directory's identity is not trustee {index} of the record's ceremony"
            )));
        }
    }
    if let Some(d) = election
        .ceremony
        .disqualified
        .iter()
        .find(|d| d.index == index)
    {
        return Err(TrusteeError::usage(format!(
            "trustee {index} ({}) was disqualified by the ceremony ({}) and holds no key share",
            d.name, d.reason
        )));
    }
    let key_share = KeyShare::from_dealer_shares(&election.ceremony, index, &shares)?;
    drop(shares);
    let share_files = ShareFiles::for_record(record_dir)?;
    let file = record::decryption_file_name(index);
    if record_dir.join(&file).exists() {
        // Spec §14.6 step 4: the slot is taken. Say whether by this trustee or by someone else.
        return Err(match share_files.read(record_dir, &file, index) {
            Ok(_) => TrusteeError::usage(format!(
                "{file} is already published; each trustee publishes one decryption share"
            )),
            Err(error) => TrusteeError::usage(format!(
                "{file} is already there but is not a share of yours ({error}); it was not written by this trustee: the commission should keep a copy as evidence, remove it, and you run `trustee decrypt` again"
            )),
        });
    }
    // Spec ceremony.md §14.6: verify the board (checks 2–12) and decrypt only the tally recomputed
    // from it, never a ciphertext someone hands over.
    let recomputed = crate::sim::demo::verified_tally(record_dir).map_err(TrusteeError::Demo)?;
    let share = crate::tally::decrypt_share(election.fingerprint(), &key_share, &recomputed, rng)
        .map_err(|e| TrusteeError::Demo(crate::sim::demo::DemoError::Tally(e)))?;
    let bytes = share_files.encode(&identity, index, share, rng)?;
    match publish_once(record_dir, &file, &bytes)? {
        Published::Written | Published::AlreadyThere => Ok(index),
        Published::Different => Err(TrusteeError::AlreadyPublished { file }),
    }
}
