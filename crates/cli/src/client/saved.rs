//! The voter's saved receipt file: what `saylau vote` writes after a cast and
//! `saylau receipt --board` reads (spec `board.md` §3.4). Same shape as the library's
//! `SavedReceipt` (protocol v2), which replaces this file when it lands.

use super::board::HexHash;
use saylau::election::Receipt;
use saylau::record::{self, RecordError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `{"receipt": R, "board": URL, "checkpoint": note|null, "inclusion": [hex]|null}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedReceipt {
    /// The board's signed receipt (v2).
    pub receipt: Receipt,
    /// The URL the device cast to.
    #[serde(default)]
    pub board: Option<String>,
    /// The signed note text of a checkpoint that covers the leaf, as the device saw it; `None`
    /// if the device gave up waiting for one.
    #[serde(default)]
    pub checkpoint: Option<String>,
    /// The inclusion proof of the leaf in that checkpoint.
    #[serde(default)]
    pub inclusion: Option<Vec<HexHash>>,
}

/// Reads a saved receipt file.
pub fn read(path: &Path) -> Result<SavedReceipt, String> {
    let bytes = record::read_bounded(path).map_err(|e| format!("{}: {e}", path.display()))?;
    record::decode_json(&path.display().to_string(), None, &bytes).map_err(|e| e.to_string())
}

/// Writes the file atomically (a new file, renamed into place), readable by anyone.
pub fn write(saved: &SavedReceipt, path: &Path) -> Result<(), RecordError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "receipt.json".into());
    let mut bytes = serde_json::to_vec_pretty(saved).map_err(|error| RecordError::Io {
        file: name.clone(),
        error: std::io::Error::other(error),
    })?;
    bytes.push(b'\n');
    record::write_atomically(dir, &name, &bytes)
}

/// The saved inclusion proof as hashes.
pub fn inclusion(saved: &SavedReceipt) -> Option<Vec<HexHash>> {
    saved.inclusion.clone()
}

/// An inclusion proof as the saved file holds it.
pub fn proof_list(proof: &[HexHash]) -> Option<Vec<HexHash>> {
    Some(proof.to_vec())
}
