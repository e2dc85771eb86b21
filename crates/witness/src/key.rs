//! The witness's key folder: `witness.key` (the cosignature/v1 signer key string, mode 0600)
//! and `witness.vkey` (its verifier key string, for `board open --witness`). Spec: `log.md`
//! §4.3, §4.7; `board.md` §11.1.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand_core::{CryptoRng, RngCore};
use saylau::log::note::{KeyType, NoteError, SignerKey, VerifierKey};
use thiserror::Error;
use zeroize::Zeroizing;

/// The secret key's file name in the key folder.
pub const KEY_FILE: &str = "witness.key";
/// The verifier key's file name in the key folder.
pub const VKEY_FILE: &str = "witness.vkey";

/// Why a key folder could not be written or read.
#[derive(Debug, Error)]
pub enum KeyError {
    /// A file-system error on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The key file does not hold a witness key.
    #[error("{path}: {reason}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key name.
    #[error(transparent)]
    Name(#[from] NoteError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes a new witness key in `dir` (created if missing; neither file may exist yet) under
/// `name`, or `witness-<first 8 hex digits of the public key>` when `name` is `None`. Returns
/// its verifier key.
pub fn generate<R: RngCore + CryptoRng>(
    dir: &Path,
    name: Option<&str>,
    rng: &mut R,
) -> Result<VerifierKey, KeyError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(seed.as_mut());
    let name = match name {
        Some(name) => name.to_string(),
        None => {
            let probe = SignerKey::from_seed(KeyType::CosignatureV1, "witness", *seed)?;
            let public = *probe.verifier().public_key().as_bytes();
            format!("witness-{}", &hex::encode(public)[..8])
        }
    };
    let key = SignerKey::from_seed(KeyType::CosignatureV1, &name, *seed)?;
    fs::create_dir_all(dir).map_err(io(dir))?;
    let key_path = dir.join(KEY_FILE);
    let vkey_path = dir.join(VKEY_FILE);
    for path in [&key_path, &vkey_path] {
        if path.exists() {
            return Err(KeyError::Bad {
                path: path.clone(),
                reason: "already exists: refusing to replace a witness key".into(),
            });
        }
    }
    write_new(
        &key_path,
        format!("{}\n", key.encode().as_str()).as_bytes(),
        true,
    )?;
    let vkey = key.verifier();
    write_new(&vkey_path, format!("{vkey}\n").as_bytes(), false)?;
    Ok(vkey)
}

/// Writes a file that must not exist yet, never through a symlink; 0600 for a secret.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> Result<(), KeyError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// Reads the witness key from `dir`.
pub fn load(dir: &Path) -> Result<SignerKey, KeyError> {
    let path = dir.join(KEY_FILE);
    let text = Zeroizing::new(fs::read_to_string(&path).map_err(io(&path))?);
    let key = SignerKey::parse(text.trim_end()).map_err(|e| KeyError::Bad {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if key.key_type() != KeyType::CosignatureV1 {
        return Err(KeyError::Bad {
            path,
            reason: "not a cosignature/v1 (type 0x04) key".into(),
        });
    }
    Ok(key)
}
