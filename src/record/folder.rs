//! A record opened once, as a value (spec `record.md` §1): its folder, and typed access to its
//! files. The verifier, the trustees' commands, the voter's receipt checks and the commission's
//! count read the record through it, never by joining paths themselves.

use super::contents::{read_credential_encodings, CredentialList, ElectionInfo};
use super::error::RecordError;
use super::files::{read_file, read_json, write_atomically, write_json};
use super::hashing::{hash_file, HashedFile};
use super::index::{decryption_files, indexed_files, numbered_files, RecordIndex};
use super::layout::{CREDENTIALS, ELECTION, INDEX, MANIFEST};
use super::lines::{LinesReader, LinesWriter};
use crate::crypto::digest::Hash;
use crate::manifest::Manifest;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// A JSON file of the record with a fixed name: the type says which file it is read from.
pub trait RecordPart: DeserializeOwned {
    /// The file's name in the record (spec `record.md` §1).
    const FILE: &'static str;
}

impl RecordPart for Manifest {
    const FILE: &'static str = MANIFEST;
}

impl RecordPart for CredentialList {
    const FILE: &'static str = CREDENTIALS;
}

impl RecordPart for ElectionInfo {
    const FILE: &'static str = ELECTION;
}

impl RecordPart for RecordIndex {
    const FILE: &'static str = INDEX;
}

/// An election record: a folder of files (spec `record.md`). Opening it reads nothing: each
/// part is read when asked for, bounded in size and decoded strictly, and `ballots.jsonl` is
/// only ever streamed, never loaded whole.
#[derive(Clone, Debug)]
pub struct Record {
    dir: PathBuf,
}

impl Record {
    /// The record in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The record's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a file or folder of the record.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// True when the record holds `name` (a file or a folder).
    pub fn has(&self, name: &str) -> bool {
        self.dir.join(name).exists()
    }

    /// A typed part: the value and the file's bytes.
    pub fn part<T: RecordPart>(&self) -> Result<(T, Vec<u8>), RecordError> {
        read_json(&self.dir, T::FILE)
    }

    /// Any JSON file of the record: the value and the file's bytes.
    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<(T, Vec<u8>), RecordError> {
        read_json(&self.dir, name)
    }

    /// A file's bytes, up to the record's size bound.
    pub fn bytes(&self, name: &str) -> Result<Vec<u8>, RecordError> {
        read_file(&self.dir, name)
    }

    /// The file hash of `name` (spec `record.md` §2), streamed.
    pub fn file_hash(&self, name: &str) -> Result<Hash, RecordError> {
        hash_file(&self.dir, name)
    }

    /// The lines of a JSON-lines file; `None` when `optional` and the file is absent.
    pub fn lines(
        &self,
        name: &str,
        optional: bool,
    ) -> Result<Option<LinesReader<BufReader<fs::File>>>, RecordError> {
        LinesReader::open(&self.dir, name, optional)
    }

    /// The lines of a JSON-lines file, hashed as they are read.
    pub fn hashed_lines(
        &self,
        name: &str,
    ) -> Result<LinesReader<BufReader<HashedFile>>, RecordError> {
        LinesReader::open_hashed(&self.dir, name)
    }

    /// The credentials' encodings, in order, and the hash of `credentials.json`, streamed.
    pub fn credential_encodings(&self) -> Result<(Vec<[u8; 32]>, Hash), RecordError> {
        read_credential_encodings(&self.dir)
    }

    /// The files `record.json` must list, in chain order (spec `record.md` §4).
    pub fn indexed_files(&self) -> Result<Vec<String>, RecordError> {
        indexed_files(&self.dir)
    }

    /// The decryption shares present, `(trustee index, file name)` by index.
    pub fn decryption_files(&self) -> Result<Vec<(u32, String)>, RecordError> {
        decryption_files(&self.dir)
    }

    /// The numbered `trustee-<i>.json` files of a folder of the record, by index.
    pub fn numbered_files(&self, folder: &str) -> Result<Vec<(u32, String)>, RecordError> {
        numbered_files(&self.dir, folder)
    }

    /// Writes a JSON file atomically; returns its bytes.
    pub fn write_json<T: Serialize>(&self, name: &str, value: &T) -> Result<Vec<u8>, RecordError> {
        write_json(&self.dir, name, value)
    }

    /// Writes a file atomically.
    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> Result<(), RecordError> {
        write_atomically(&self.dir, name, bytes)
    }

    /// An append-only writer of a JSON-lines file (spec `record.md` §5).
    pub(crate) fn appender(&self, name: &str) -> Result<LinesWriter, RecordError> {
        LinesWriter::append(&self.dir, name)
    }

    /// Recomputes `record.json` from the files and writes it.
    pub fn reindex(&self) -> Result<RecordIndex, RecordError> {
        let index = RecordIndex::compute(&self.dir)?;
        write_json(&self.dir, INDEX, &index)?;
        Ok(index)
    }
}
