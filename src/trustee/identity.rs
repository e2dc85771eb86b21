//! A trustee's long-term identity (spec `ceremony.md` §9): the public half in `public.json`,
//! the secrets sealed in `secret.key`.

use super::error::{io_error, TrusteeError};
use super::sealed::{write_json_file, SealedFile};
use crate::ceremony::CeremonyError;
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::Secret;
use crate::crypto::error::DecodeError;
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::SchnorrProof;
use crate::crypto::transcript::Transcript;
use crate::record::Access;
use crate::record::{self};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// `DIR/secret.key`: the trustee's long-term secrets, sealed with the passphrase.
pub const SECRET_KEY_FILE: &str = "secret.key";
/// `DIR/public.json`: the trustee's public identity.
pub const PUBLIC_FILE: &str = "public.json";
/// The shortest passphrase `trustee new` accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
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
        if let Some(problem) = crate::manifest::text::text_problem(&self.name) {
            return Err(format!("the name {problem}"));
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
    pub(crate) encryption: Secret,
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

pub(crate) fn decode_secret(text: &str) -> Result<Secret, DecodeError> {
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
        if let Some(problem) = crate::manifest::text::text_problem(name) {
            return Err(TrusteeError::usage(format!("--name {problem}")));
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
    ///
    /// `secret.key` is written first, then `public.json`, each atomically. A `trustee new` cut
    /// between the two leaves `secret.key` alone; [`Identity::create`] completes such a folder
    /// instead of refusing it.
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
        write_json_file(&dir.join(PUBLIC_FILE), &self.public, Access::Public)
    }

    /// `trustee new` (spec `ceremony.md` §9, §11): a new identity for `name`, saved in `dir`;
    /// or, when an interrupted `trustee new` left `dir/secret.key` without `dir/public.json`,
    /// that identity completed: the sealed secrets are opened with `passphrase` and
    /// `public.json` is written from them (with fresh proofs of possession). Either way both
    /// files exist afterwards, or neither was written.
    pub fn create<R: RngCore + CryptoRng>(
        name: &str,
        dir: &Path,
        passphrase: &[u8],
        rng: &mut R,
    ) -> Result<(Self, Created), TrusteeError> {
        let stranded = dir.join(SECRET_KEY_FILE).exists() && !dir.join(PUBLIC_FILE).exists();
        if !stranded {
            let identity = Self::generate(name, rng)?;
            identity.save(dir, passphrase, rng)?;
            return Ok((identity, Created::New));
        }
        let (inner, signing, encryption) = open_secrets(dir, passphrase)?;
        if inner.name != name.trim() {
            return Err(TrusteeError::usage(format!(
                "{} holds the identity of {:?}, not {:?}: an interrupted `trustee new` is completed with the same --name",
                dir.join(SECRET_KEY_FILE).display(),
                inner.name,
                name.trim()
            )));
        }
        let identity = Self::from_secrets(inner.name.clone(), signing, encryption, rng)?;
        write_json_file(&dir.join(PUBLIC_FILE), &identity.public, Access::Public)?;
        Ok((identity, Created::Completed))
    }

    /// Opens `dir/secret.key` with the passphrase and checks it against `dir/public.json`.
    pub fn load(dir: &Path, passphrase: &[u8]) -> Result<Self, TrusteeError> {
        let (inner, signing, encryption) = open_secrets(dir, passphrase)?;
        let file = dir.join(SECRET_KEY_FILE).display().to_string();
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

    pub(crate) fn sign<R: RngCore + CryptoRng>(
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
    let bytes = record::read_regular(path).map_err(|e| io_error(path, e))?;
    let name = path.display().to_string();
    let identity: PublicIdentity = record::decode_json(&name, None, &bytes)?;
    identity
        .verify()
        .map_err(|detail| TrusteeError::invalid(&name, detail))?;
    Ok(identity)
}

/// The transcript of a ceremony signature over `message` (spec `ceremony.md` §12).
pub(crate) fn signature_transcript(ceremony_id: &Hash, message: &Hash) -> Transcript {
    Transcript::for_purpose(
        ceremony_id,
        b"ceremony-signature",
        Some((b"message", message)),
    )
}

/// What [`Identity::create`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    /// A new identity was generated and both files written.
    New,
    /// An interrupted `trustee new` had left `secret.key` alone; `public.json` was written from it.
    Completed,
}

/// Opens `dir/secret.key` with the passphrase: the name and the two secrets.
fn open_secrets(
    dir: &Path,
    passphrase: &[u8],
) -> Result<(IdentityPlaintext, Secret, Secret), TrusteeError> {
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
    let encryption = decode_secret(&inner.encryption_secret).map_err(|e| damaged(e.to_string()))?;
    Ok((inner, signing, encryption))
}
