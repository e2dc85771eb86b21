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
    read_at_most(&path).map_err(|e| RecordError::io(name, e))
}

/// Reads a file the user names on the command line (a manifest, a receipt, counts): a regular
/// file, or a pipe such as `/dev/stdin`, at most [`MAX_FILE_BYTES`] either way. A device such as
/// `/dev/zero` or a folder is refused at once; a file or pipe that goes on past the bound is
/// refused when it passes it, instead of exhausting memory.
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let metadata = fs::metadata(path)?;
    #[cfg(unix)]
    let pipe = std::os::unix::fs::FileTypeExt::is_fifo(&metadata.file_type());
    #[cfg(not(unix))]
    let pipe = false;
    if !metadata.is_file() && !pipe {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file or a pipe",
        ));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    read_at_most(path)
}

/// Reads a file that must be a regular file (a key file, a trustee's `public.json`, a message in
/// a shared folder), at most [`MAX_FILE_BYTES`]: a FIFO planted there would block the reader, so
/// anything else is refused at once.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let metadata = fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    read_at_most(path)
}

fn too_large() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("larger than {MAX_FILE_BYTES} bytes"),
    )
}

/// Reads at most [`MAX_FILE_BYTES`], failing if there is more: the length checked before the
/// file was opened may have grown since.
fn read_at_most(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
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

/// Who may read a file written by [`write_atomically_as`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (mode 0644): the record's files and public identities.
    Public,
    /// Only the owner (mode 0600): key files and a trustee's unpublished messages.
    Owner,
}

/// Writes bytes to `dir/name` atomically, readable by anyone (see [`write_atomically_as`]).
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), RecordError> {
    write_atomically_as(dir, name, bytes, Access::Public)
}

/// Writes bytes to `dir/name` atomically, in a folder others may write to: the bytes go to a new
/// temporary file under an unpredictable name, created exclusively (so a planted file or
/// symbolic link there is never followed or overwritten), with `access`'s mode from the start,
/// synced; then it is renamed into place and the folder is synced, so the new name is durable.
pub fn write_atomically_as(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    access: Access,
) -> Result<(), RecordError> {
    let path = dir.join(name);
    let parent = path.parent().unwrap_or(dir).to_path_buf();
    fs::create_dir_all(&parent).map_err(|e| RecordError::io(name, e))?;
    let (temporary, mut file) =
        create_temporary(&parent, name, access).map_err(|e| RecordError::io(name, e))?;
    let written = file
        .write_all(bytes)
        .and_then(|_| file.sync_all())
        .and_then(|_| fs::rename(&temporary, &path))
        .and_then(|_| sync_folder(&parent));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written.map_err(|e| RecordError::io(name, e))
}

/// A new file for `name` in `parent`, under a random name, created exclusively with the mode
/// `access` asks for. Returns its path and the open file.
pub(crate) fn create_temporary(
    parent: &Path,
    name: &str,
    access: Access,
) -> std::io::Result<(PathBuf, fs::File)> {
    let base = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(match access {
            Access::Public => 0o644,
            Access::Owner => 0o600,
        });
    }
    #[cfg(not(unix))]
    let _ = access;
    let temporary = parent.join(format!(".{base}.{:016x}.tmp", rand::random::<u64>()));
    let file = options.open(&temporary)?;
    Ok((temporary, file))
}

/// Makes a rename or a link in `folder` durable (on Unix; elsewhere it does nothing).
pub(crate) fn sync_folder(folder: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    fs::File::open(folder)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}
