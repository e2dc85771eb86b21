//! Key files sealed with a passphrase (spec `ceremony.md` §11): Argon2id, then
//! ChaCha20-Poly1305 over the JSON plaintext.

use super::error::{io_error, TrusteeError};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::record::Access;
use crate::record::{self};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::Path;
use zeroize::Zeroizing;

/// Argon2id memory cost of new key files, in KiB (spec §11): 64 MiB.
pub const KDF_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes over memory of new key files (spec §11).
pub const KDF_ITERATIONS: u32 = 3;
/// Argon2id lanes of new key files (spec §11).
pub const KDF_PARALLELISM: u32 = 1;
/// Argon2id memory a reader accepts, in KiB: 8 MiB to 256 MiB (spec §11).
pub const KDF_MEMORY_KIB_ACCEPTED: std::ops::RangeInclusive<u32> = 8 * 1024..=256 * 1024;
/// Argon2id passes a reader accepts (spec §11).
pub const KDF_ITERATIONS_ACCEPTED: std::ops::RangeInclusive<u32> = 1..=8;
/// Argon2id lanes a reader accepts (spec §11).
pub const KDF_PARALLELISM_ACCEPTED: std::ops::RangeInclusive<u32> = 1..=4;
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
    // Bounds that keep a forged header from exhausting memory or time (spec §11): at most four
    // times the memory and a few times the passes that saylau writes, about a second's work.
    if !KDF_MEMORY_KIB_ACCEPTED.contains(&kdf.memory_kib)
        || !KDF_ITERATIONS_ACCEPTED.contains(&kdf.iterations)
        || !KDF_PARALLELISM_ACCEPTED.contains(&kdf.parallelism)
    {
        return Err(format!(
            "key derivation parameters out of range (memory {} KiB, {} passes, {} lanes; a reader accepts {}–{} KiB, {}–{} passes, {}–{} lanes)",
            kdf.memory_kib,
            kdf.iterations,
            kdf.parallelism,
            KDF_MEMORY_KIB_ACCEPTED.start(),
            KDF_MEMORY_KIB_ACCEPTED.end(),
            KDF_ITERATIONS_ACCEPTED.start(),
            KDF_ITERATIONS_ACCEPTED.end(),
            KDF_PARALLELISM_ACCEPTED.start(),
            KDF_PARALLELISM_ACCEPTED.end()
        ));
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
        let bytes = record::read_regular(path).map_err(|e| io_error(path, e))?;
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
    pub(crate) fn write<T: Serialize, R: RngCore + CryptoRng>(
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
        write_json_file(path, &sealed, Access::Owner)
    }
}

/// Writes `value` as pretty JSON to `path`, atomically, readable as `access` says (spec
/// `ceremony.md` §11: key files and unpublished messages are the owner's only).
pub(crate) fn write_json_file<T: Serialize>(
    path: &Path,
    value: &T,
    access: Access,
) -> Result<(), TrusteeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|e| TrusteeError::usage(e.to_string()))?;
    bytes.push(b'\n');
    record::write_atomically_as(dir, &name, &bytes, access)?;
    Ok(())
}
