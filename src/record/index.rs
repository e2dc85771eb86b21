//! `record.json`: which files the record holds, in chain order, and the root that chains
//! their hashes (spec `record.md` §4).

use super::error::RecordError;
use super::hashing::hash_file;
use super::layout::{
    BALLOTS, CEREMONY, CHALLENGED, CREDENTIALS, DECRYPTION_DIR, ELECTION, LOG_CHECKPOINTS,
    LOG_LEAVES, MANIFEST, REJECTED_DIR, RESULTS, TALLY, TRANSCRIPT_DIR,
};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::group::hash_hex;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;

/// `record.json`: each file's hash, chained into the record root (spec `record.md` §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordIndex {
    /// The files, in chain order.
    pub files: Vec<FileEntry>,
    /// The root: the last link of the chain.
    #[serde(with = "hash_hex")]
    pub root: Hash,
}

/// One file of the record index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the record directory, `/`-separated.
    pub name: String,
    /// [`file_hash`](super::file_hash) of its bytes.
    #[serde(with = "hash_hex")]
    pub hash: Hash,
}

/// The files the record root covers, in chain order: the fixed files (the board's log among
/// them), then every `decryption/trustee-<i>.json` in increasing `i` (spec `record.md` §4).
pub fn indexed_files(dir: &Path) -> Result<Vec<String>, RecordError> {
    let mut names: Vec<String> = [
        MANIFEST,
        CEREMONY,
        CREDENTIALS,
        ELECTION,
        BALLOTS,
        CHALLENGED,
        LOG_LEAVES,
        LOG_CHECKPOINTS,
        TALLY,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // The ceremony transcript, when the ceremony was run by separate trustees, right after
    // ceremony.json (spec `ceremony.md` §14.4).
    let transcript = transcript_files(dir)?;
    names.splice(2..2, transcript);
    names.extend(decryption_files(dir)?.into_iter().map(|(_, name)| name));
    names.extend(
        numbered_files(dir, REJECTED_DIR)?
            .into_iter()
            .map(|(_, name)| name),
    );
    names.push(RESULTS.to_string());
    Ok(names)
}

/// The ceremony transcript files present, in chain order: `ceremony/parameters.json`, then
/// `ceremony/commit/`, `ceremony/reveal/`, `ceremony/round2/`, each by increasing trustee index.
pub fn transcript_files(dir: &Path) -> Result<Vec<String>, RecordError> {
    let parameters = format!("{TRANSCRIPT_DIR}/parameters.json");
    if !dir.join(&parameters).is_file() {
        return Ok(Vec::new());
    }
    let mut names = vec![parameters];
    for stage in ["commit", "reveal", "round2"] {
        let sub = format!("{TRANSCRIPT_DIR}/{stage}");
        names.extend(numbered_files(dir, &sub)?.into_iter().map(|(_, name)| name));
    }
    Ok(names)
}

/// The `trustee-<i>.json` files of `dir/sub`, as `(i, "sub/trustee-<i>.json")`, sorted by `i`.
pub fn numbered_files(dir: &Path, sub: &str) -> Result<Vec<(u32, String)>, RecordError> {
    let mut found = Vec::new();
    let entries = match fs::read_dir(dir.join(sub)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(RecordError::io(sub, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| RecordError::io(sub, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let index = name
            .strip_prefix("trustee-")
            .and_then(|rest| rest.strip_suffix(".json"))
            .and_then(|digits| digits.parse::<u32>().ok())
            .filter(|i| name == format!("trustee-{i}.json"));
        if let Some(index) = index {
            found.push((index, format!("{sub}/{name}")));
        }
    }
    found.sort();
    Ok(found)
}

/// The decryption share files present, as `(trustee index, relative name)`, sorted by index.
pub fn decryption_files(dir: &Path) -> Result<Vec<(u32, String)>, RecordError> {
    numbered_files(dir, DECRYPTION_DIR)
}

/// `decryption/trustee-<i>.json`.
pub fn decryption_file_name(index: u32) -> String {
    format!("{DECRYPTION_DIR}/trustee-{index}.json")
}
impl RecordIndex {
    /// Hashes the record's files and chains them (spec `record.md` §4):
    /// `root₀ = H("saylau/v1/record")`, `rootᵢ = H("saylau/v1/record-link", rootᵢ₋₁, nameᵢ, hashᵢ)`.
    pub fn compute(dir: &Path) -> Result<Self, RecordError> {
        let files = indexed_files(dir)?
            .into_iter()
            .map(|name| {
                Ok(FileEntry {
                    hash: hash_file(dir, &name)?,
                    name,
                })
            })
            .collect::<Result<_, RecordError>>()?;
        Ok(Self::chain(files))
    }

    /// Chains files already hashed, in chain order (spec `record.md` §4).
    pub fn chain(files: Vec<FileEntry>) -> Self {
        let mut root = tagged_hash("saylau/v1/record", &[]);
        for file in &files {
            root = tagged_hash(
                "saylau/v1/record-link",
                &[&root, file.name.as_bytes(), &file.hash],
            );
        }
        Self { files, root }
    }
}
