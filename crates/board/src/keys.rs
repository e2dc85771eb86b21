//! The board's key file: the receipt key `B` and the log key, with the host that names the log,
//! so a board restarts unattended. Written once by `board open`, mode 0600, atomically, never
//! overwritten; never inside the record.
//!
//! Spec: `protocol-spec/board.md` §8.6.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use saylau::election::{BoardKey, BoardKeys as Keys};
use saylau::log::checkpoint::LogSigningKey;
use saylau::log::note::{is_valid_key_name, SignerKey};
use saylau::log::tree::Hash;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use crate::checkpoints::origin;

/// The key file's format version.
pub const KEYS_VERSION: u32 = 1;

/// Why a key file could not be written or read.
#[derive(Debug, Error)]
pub enum KeysError {
    /// A file-system error on the key file.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The key file exists already: `board open` never overwrites keys.
    #[error("{0}: a board key file is already there; refusing to overwrite it")]
    Exists(PathBuf),
    /// The file does not decode, or holds a bad value.
    #[error("{path}: {reason}")]
    Bad {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Others may read the file.
    #[error("{path}: mode {mode:o} lets others read the board's keys; chmod 600 it")]
    Mode {
        /// The key file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
}

/// The host part of the log's origin: non-empty, no `/`, no whitespace (board.md §8.6).
pub fn valid_host(host: &str) -> bool {
    !host.is_empty() && !host.contains('/') && !host.chars().any(char::is_whitespace)
}

/// The file as written: two 32-byte seeds and the host.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysJson {
    version: u32,
    host: String,
    receipt_seed: String,
    log_seed: String,
}

impl Drop for KeysJson {
    fn drop(&mut self) {
        self.receipt_seed.zeroize();
        self.log_seed.zeroize();
    }
}

/// The board's secrets. `Debug` shows no secret; the seeds are zeroized on drop.
pub struct BoardKeys {
    host: String,
    receipt_seed: Zeroizing<[u8; 32]>,
    log_seed: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for BoardKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardKeys")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl BoardKeys {
    /// Draws fresh keys for a board whose log will be named after `host`.
    pub fn generate<R: RngCore + CryptoRng>(host: &str, rng: &mut R) -> Self {
        let mut receipt_seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(receipt_seed.as_mut());
        // Redrawn (by the library) in the negligible case of a weak public key.
        let log_seed = LogSigningKey::generate(rng).seed();
        Self {
            host: host.to_string(),
            receipt_seed,
            log_seed,
        }
    }

    /// The host the log's origin starts with.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The receipt key `B` (board.md §8.6: drawn from a ChaCha20 stream seeded by the file's
    /// `receipt_seed`, as `BoardKey::generate` draws it). The library's `BoardKey` has no
    /// constructor from its secret, so the file keeps the seed it is drawn from.
    pub fn receipt_key(&self) -> BoardKey {
        BoardKey::generate(&mut ChaCha20Rng::from_seed(*self.receipt_seed))
    }

    /// The log key (its public half is `election.json`'s `log_key`).
    pub fn log_key(&self) -> LogSigningKey {
        LogSigningKey::from_seed(*self.log_seed)
    }

    /// Both keys, as the library holds them.
    pub fn keys(&self) -> Keys {
        Keys {
            receipt: self.receipt_key(),
            log: self.log_key(),
        }
    }

    /// The log's note signer for the election with fingerprint `fingerprint`: its name is the
    /// log's origin `<host>/saylau/<hex F>`.
    pub fn log_signer(&self, fingerprint: &Hash) -> Result<SignerKey, KeysError> {
        let name = origin(&self.host, fingerprint);
        self.log_key().signer(&name).map_err(|e| KeysError::Bad {
            path: PathBuf::new(),
            reason: format!("log key name {name:?}: {e}"),
        })
    }

    /// Writes the keys to `path`: mode 0600 from the start, synced, then linked into place so
    /// an existing file is never replaced ([`KeysError::Exists`]).
    pub fn write_new(&self, path: &Path) -> Result<(), KeysError> {
        let io = |source| KeysError::Io {
            path: path.to_path_buf(),
            source,
        };
        if path.exists() {
            return Err(KeysError::Exists(path.to_path_buf()));
        }
        let json = KeysJson {
            version: KEYS_VERSION,
            host: self.host.clone(),
            receipt_seed: hex::encode(*self.receipt_seed),
            log_seed: hex::encode(*self.log_seed),
        };
        let mut bytes =
            Zeroizing::new(
                serde_json::to_vec_pretty(&json).map_err(|e| KeysError::Bad {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?,
            );
        bytes.push(b'\n');
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(io)?;
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(format!(".{}.new", std::process::id()));
        let temporary = PathBuf::from(temporary);
        let written = write_private(&temporary, &bytes)
            // link(2) fails if the name exists: two `board open` never both write a key file.
            .and_then(|_| fs::hard_link(&temporary, path))
            .and_then(|_| fs::File::open(&dir)?.sync_all());
        let _ = fs::remove_file(&temporary);
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(KeysError::Exists(path.to_path_buf()))
            }
            other => other.map_err(io),
        }
    }

    /// Reads a key file, refusing one that others may read.
    pub fn read(path: &Path) -> Result<Self, KeysError> {
        let bad = |reason: String| KeysError::Bad {
            path: path.to_path_buf(),
            reason,
        };
        let meta = fs::metadata(path).map_err(|source| KeysError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeysError::Mode {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
        if meta.len() > 4096 {
            return Err(bad("larger than a key file can be".into()));
        }
        let bytes = Zeroizing::new(fs::read(path).map_err(|source| KeysError::Io {
            path: path.to_path_buf(),
            source,
        })?);
        let json: KeysJson = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if json.version != KEYS_VERSION {
            return Err(bad(format!(
                "version {} (this program reads {KEYS_VERSION})",
                json.version
            )));
        }
        if !valid_host(&json.host) || !is_valid_key_name(&format!("{}/saylau/x", json.host)) {
            return Err(bad(format!("host {:?} cannot name a log", json.host)));
        }
        Ok(Self {
            host: json.host.clone(),
            receipt_seed: seed(&json.receipt_seed).ok_or_else(|| bad("receipt_seed".into()))?,
            log_seed: seed(&json.log_seed).ok_or_else(|| bad("log_seed".into()))?,
        })
    }
}

/// 32 bytes from lowercase hex.
fn seed(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text, out.as_mut()).ok()?;
    Some(out)
}

/// Writes a new file readable by its owner only (mode 0600 on Unix), refusing to replace one, and
/// syncs it.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The default key file of a record: `<DIR>.board-keys.json`, beside the record, never in it.
pub fn default_keys_path(record: &Path) -> PathBuf {
    let trimmed = record.components().as_path();
    let mut name = trimmed.as_os_str().to_owned();
    name.push(".board-keys.json");
    PathBuf::from(name)
}
