//! The election record: a directory of JSON and JSON-lines files anyone can read, chained into
//! one root hash.
//!
//! Spec: `protocol-spec/record.md`. Files are written atomically (temporary file, then rename),
//! and ballots are appended one line at a time and flushed, so accepted data is never lost.

pub mod compact;
mod error;
mod layout;
mod files;
mod hashing;
mod contents;
mod lines;
mod index;

pub use error::RecordError;
pub use layout::{MANIFEST, CEREMONY, CREDENTIALS, ELECTION, BALLOTS, CHALLENGED, TALLY, DECRYPTION_DIR, RESULTS, INDEX, MAX_FILE_BYTES, MAX_LINE_BYTES, TRANSCRIPT_DIR, REJECTED_DIR};
pub use files::{decode_json, invalid_credentials, read_credential_encodings, read_file, read_json, write_atomically, write_json};
pub use hashing::{FILE_BLOCK, HashedFile, file_hash, hash_file};
pub use contents::{BallotLine, ChallengedLine, CredentialList, ElectionInfo, election_fingerprint, tracking_code, tracking_link};
pub use lines::{LinesReader, LinesWriter, RawLine, decode_ballot_line, drop_unacknowledged_tail, read_ahead, read_chunk, read_line_at};
pub use index::{FileEntry, RecordIndex, decryption_file_name, decryption_files, indexed_files, numbered_files, transcript_files};
