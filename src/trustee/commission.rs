//! The commission's key folder (`saylau commission new`, spec `board.md` §9.1): the Ed25519 key
//! that signs the close of voting and the publication of the results, sealed with a passphrase
//! exactly as a trustee's secrets are (`ceremony.md` §11), beside its public half.

use super::error::{io_error, TrusteeError};
use super::sealed::{write_json_file, SealedFile};
use crate::record::{self, Access, CommissionKey, CommissionSigningKey};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// `DIR/commission.key`: the sealed seed.
pub const COMMISSION_KEY_FILE: &str = "commission.key";
/// `DIR/commission.json`: the public key, `{"commission_key": "<hex>"}`.
pub const COMMISSION_PUBLIC_FILE: &str = "commission.json";
/// The `contents` of the sealed file.
const CONTENTS: &str = "commission-key";

/// `commission.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionPublic {
    /// The public key, for `election.json`'s `commission_key` (`board open --commission-key`).
    pub commission_key: CommissionKey,
}

/// The plaintext of `commission.key`.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct KeyPlaintext {
    seed: String,
}

/// `saylau commission new`: a fresh key, sealed into `dir/commission.key` with `passphrase`,
/// and its public half in `dir/commission.json`. Refuses to replace either file.
pub fn create_commission_key<R: RngCore + CryptoRng>(
    dir: &Path,
    passphrase: &[u8],
    rng: &mut R,
) -> Result<CommissionKey, TrusteeError> {
    for name in [COMMISSION_KEY_FILE, COMMISSION_PUBLIC_FILE] {
        if dir.join(name).exists() {
            return Err(TrusteeError::usage(format!(
                "{} already exists: a commission key is never replaced; choose another --out",
                dir.join(name).display()
            )));
        }
    }
    fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let key = CommissionSigningKey::generate(rng);
    let plaintext = KeyPlaintext {
        seed: hex::encode(*key.seed()),
    };
    SealedFile::write(
        &dir.join(COMMISSION_KEY_FILE),
        CONTENTS,
        &plaintext,
        passphrase,
        rng,
    )?;
    let public = CommissionPublic {
        commission_key: key.public(),
    };
    write_json_file(&dir.join(COMMISSION_PUBLIC_FILE), &public, Access::Public)?;
    Ok(public.commission_key)
}

/// The public key of a commission key folder (its `commission.json`).
pub fn read_commission_public(dir: &Path) -> Result<CommissionKey, TrusteeError> {
    let path = dir.join(COMMISSION_PUBLIC_FILE);
    let bytes = record::read_regular(&path).map_err(|e| io_error(&path, e))?;
    let public: CommissionPublic = record::decode_json(&path.display().to_string(), None, &bytes)?;
    Ok(public.commission_key)
}

/// Opens `dir/commission.key` with the passphrase, and checks it against `dir/commission.json`.
pub fn open_commission_key(
    dir: &Path,
    passphrase: &[u8],
) -> Result<CommissionSigningKey, TrusteeError> {
    let path = dir.join(COMMISSION_KEY_FILE);
    let plaintext = SealedFile::open_file(&path, CONTENTS, passphrase)?;
    let inner: KeyPlaintext =
        serde_json::from_slice(&plaintext).map_err(|e| TrusteeError::DamagedKeyFile {
            file: path.display().to_string(),
            detail: e.to_string(),
        })?;
    let seed = crate::crypto::group::decode_hex32(inner.seed.as_bytes()).map_err(|e| {
        TrusteeError::DamagedKeyFile {
            file: path.display().to_string(),
            detail: format!("seed: {e}"),
        }
    })?;
    let key = CommissionSigningKey::from_seed(seed);
    let public = read_commission_public(dir)?;
    if key.public() != public {
        return Err(TrusteeError::usage(format!(
            "{} does not belong to {}: keep the two files of the commission's key together",
            dir.join(COMMISSION_PUBLIC_FILE).display(),
            path.display()
        )));
    }
    Ok(key)
}
