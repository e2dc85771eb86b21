//! The voter's saved receipt file: what `saylau vote` writes after a cast and
//! `saylau receipt --board` reads (spec `board.md` §8.4).

use super::board::HexHash;
use saylau::election::{Leaf, Receipt, LEAF_SIZE};
use saylau::record::{self, RecordError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `{"receipt": R, "board": URL, "checkpoint": note|null, "inclusion": [hex]|null, "leaf": hex}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedReceipt {
    /// The board's signed receipt (v2).
    pub receipt: Receipt,
    /// The URL the device cast to.
    pub board: String,
    /// The signed note text of a checkpoint that covers the leaf, as the device saw it; `None`
    /// if the device gave up waiting for one.
    pub checkpoint: Option<String>,
    /// The inclusion proof of the leaf in that checkpoint.
    pub inclusion: Option<Vec<String>>,
    /// The ballot's 129-byte log leaf in hex, as the device built it from the ballot it cast
    /// (the credential, the ballot hash and the ballot's signature): what the inclusion proof
    /// proves. Absent in a file written by another device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf: Option<String>,
}

impl SavedReceipt {
    /// Reads a saved receipt file.
    pub fn read(path: &Path) -> Result<Self, String> {
        let bytes = record::read_bounded(path).map_err(|e| format!("{}: {e}", path.display()))?;
        record::decode_json(&path.display().to_string(), None, &bytes).map_err(|e| e.to_string())
    }

    /// Writes the file atomically (a new file, renamed into place), readable by anyone.
    pub fn write(&self, path: &Path) -> Result<(), RecordError> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "receipt.json".into());
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|error| RecordError::Io {
            file: name.clone(),
            error: std::io::Error::other(error),
        })?;
        bytes.push(b'\n');
        record::write_atomically(dir, &name, &bytes)
    }

    /// The leaf, decoded strictly; `Ok(None)` when the file has none.
    pub fn leaf(&self) -> Result<Option<Leaf>, String> {
        let Some(text) = &self.leaf else {
            return Ok(None);
        };
        let bytes = hex::decode(text).map_err(|_| "leaf: not hex".to_string())?;
        if bytes.len() != LEAF_SIZE || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "leaf: expected {} lower-case hex characters",
                2 * LEAF_SIZE
            ));
        }
        Leaf::decode(&bytes)
            .map(Some)
            .map_err(|e| format!("leaf: {e}"))
    }

    /// The saved inclusion proof, decoded; `Ok(None)` when the file has none.
    pub fn inclusion(&self) -> Result<Option<Vec<HexHash>>, String> {
        let Some(list) = &self.inclusion else {
            return Ok(None);
        };
        list.iter()
            .enumerate()
            .map(|(i, text)| {
                serde_json::from_value::<HexHash>(serde_json::Value::String(text.clone()))
                    .map_err(|_| format!("inclusion[{i}]: expected 64 lower-case hex characters"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// The hex list of an inclusion proof as saved.
pub fn hex_list(proof: &[HexHash]) -> Vec<String> {
    proof.iter().map(|h| hex::encode(h.0)).collect()
}
