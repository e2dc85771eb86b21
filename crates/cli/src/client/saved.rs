//! The voter's saved receipt file (spec `board.md` §3.4): the library's `SavedReceipt`, which
//! `saylau vote` writes after a cast and `saylau receipt --board` reads, and how the client
//! reads and writes it.

use super::board::HexHash;
pub use saylau::election::SavedReceipt;
use saylau::record::{self, RecordError};
use std::path::Path;

/// Reads a saved receipt file (or a bare receipt: the library reads either).
pub fn read(path: &Path) -> Result<SavedReceipt, String> {
    let bytes = record::read_bounded(path).map_err(|e| format!("{}: {e}", path.display()))?;
    SavedReceipt::from_json(&bytes).map_err(|e| format!("{}: {e}", path.display()))
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
    saved
        .inclusion
        .as_ref()
        .map(|list| list.iter().map(|h| HexHash(*h)).collect())
}

/// An inclusion proof as the saved file holds it.
pub fn proof_list(proof: &[HexHash]) -> Option<Vec<[u8; 32]>> {
    Some(proof.iter().map(|h| h.0).collect())
}
