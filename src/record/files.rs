//! Reading and writing the record's files (spec `record.md` §1, §6): regular files only,
//! bounded in size, decoded strictly, written atomically.

use super::error::RecordError;
use super::layout::MAX_FILE_BYTES;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The metadata of a record file, refusing anything but a regular file (after following
/// symbolic links): opening a FIFO blocks forever, and a device such as `/dev/zero` never ends.
pub(crate) fn regular_file_metadata(path: &Path, name: &str) -> Result<fs::Metadata, RecordError> {
    let metadata = fs::metadata(path).map_err(|e| RecordError::io(name, e))?;
    if !metadata.is_file() {
        return Err(RecordError::io(
            name,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    Ok(metadata)
}

/// Decodes JSON, naming the culprit field on failure.
pub fn decode_json<T: DeserializeOwned>(
    file: &str,
    line: Option<u64>,
    bytes: &[u8],
) -> Result<T, RecordError> {
    decode_from(file, line, &mut serde_json::Deserializer::from_slice(bytes))
}

/// Decodes one JSON value and checks that only white space follows, naming the culprit field
/// on failure.
pub(crate) fn decode_from<'de, R: serde_json::de::Read<'de>, T: Deserialize<'de>>(
    file: &str,
    line: Option<u64>,
    deserializer: &mut serde_json::Deserializer<R>,
) -> Result<T, RecordError> {
    let value = serde_path_to_error::deserialize(&mut *deserializer).map_err(|error| {
        RecordError::Malformed {
            file: file.to_string(),
            line,
            path: error.path().to_string(),
            message: error.inner().to_string(),
        }
    })?;
    deserializer.end().map_err(|error| RecordError::Malformed {
        file: file.to_string(),
        line,
        path: ".".into(),
        message: error.to_string(),
    })?;
    Ok(value)
}

/// Reads a whole file, refusing files over [`MAX_FILE_BYTES`].
pub fn read_file(dir: &Path, name: &str) -> Result<Vec<u8>, RecordError> {
    let path = dir.join(name);
    let metadata = regular_file_metadata(&path, name)?;
    if metadata.len() > MAX_FILE_BYTES {
        return Err(RecordError::TooLarge {
            file: name.into(),
            limit: MAX_FILE_BYTES,
        });
    }
    fs::read(&path).map_err(|e| RecordError::io(name, e))
}

/// Reads and decodes a JSON file; returns the value and the file's bytes.
pub fn read_json<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<(T, Vec<u8>), RecordError> {
    let bytes = read_file(dir, name)?;
    Ok((decode_json(name, None, &bytes)?, bytes))
}

/// Writes a value as pretty JSON, atomically; returns the bytes written.
pub fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<Vec<u8>, RecordError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| RecordError::io(name, std::io::Error::other(e)))?;
    bytes.push(b'\n');
    write_atomically(dir, name, &bytes)?;
    Ok(bytes)
}

/// Writes bytes to `dir/name` through a temporary file and a rename.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), RecordError> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| RecordError::io(name, e))?;
    }
    let temporary = temporary_path(&path);
    let mut file = fs::File::create(&temporary).map_err(|e| RecordError::io(name, e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| RecordError::io(name, e))?;
    fs::rename(&temporary, &path).map_err(|e| RecordError::io(name, e))
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}
