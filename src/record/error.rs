//! Problems reading or writing the record, naming the file, line and JSON field.

use thiserror::Error;

/// A problem reading or writing the record, naming the file (and line, and JSON field).
#[derive(Debug, Error)]
pub enum RecordError {
    /// The file is missing or unreadable.
    #[error("{file}: {error}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file's content does not decode.
    #[error("{file}{}: field `{path}`: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Malformed {
        /// The file.
        file: String,
        /// The 1-based line for JSON-lines files.
        line: Option<u64>,
        /// The JSON path of the culprit field (`.` for the whole document).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The file is larger than the reader accepts.
    #[error("{file}: larger than the {limit}-byte limit")]
    TooLarge {
        /// The file.
        file: String,
        /// The limit.
        limit: u64,
    },
}

impl RecordError {
    pub(crate) fn io(file: &str, error: std::io::Error) -> Self {
        RecordError::Io {
            file: file.to_string(),
            error,
        }
    }
}
