//! The election record: a directory of JSON and JSON-lines files anyone can read, chained into
//! one root hash.
//!
//! Spec: `protocol-spec/record.md`. Files are written atomically (temporary file, then rename),
//! and ballots are appended one line at a time and flushed, so accepted data is never lost.

mod commission;
pub mod compact;
mod contents;
mod error;
mod files;
mod folder;
mod hashing;
pub mod hints;
mod index;
mod layout;
mod lines;

pub use commission::{
    close_message, publish_message, CloseRequest, CommissionKey, CommissionSignature,
    CommissionSigningKey, PublishRequest, PublishedFile, CLOSE_TAG, PUBLISH_TAG,
};
pub use contents::{
    invalid_credentials, read_credential_encodings, tracking_code, tracking_link, BallotLine,
    ChallengedLine, CredentialList, ElectionInfo, Witness, WitnessPolicy, ELECTION_VERSION,
};
pub use error::RecordError;
pub(crate) use files::{create_temporary, sync_folder};
pub use files::{
    decode_json, read_bounded, read_file, read_json, read_regular, write_atomically,
    write_atomically_as, write_json, Access,
};
pub use folder::{Record, RecordPart};
pub use hashing::{file_hash, hash_file, HashedFile, FILE_BLOCK};
pub use index::{
    decryption_file_name, decryption_files, indexed_files, numbered_files, transcript_files,
    FileEntry, RecordIndex,
};
pub use layout::{
    BALLOTS, CEREMONY, CHALLENGED, CREDENTIALS, DECRYPTION_DIR, ELECTION, INDEX, LOG_CHECKPOINTS,
    LOG_DIR, LOG_LEAVES, MANIFEST, MAX_FILE_BYTES, MAX_LINE_BYTES, REJECTED_DIR, RESULTS, TALLY,
    TRANSCRIPT_DIR,
};
pub use lines::drop_unacknowledged_tail;
pub(crate) use lines::read_ahead;
pub(crate) use lines::read_line_at;
pub(crate) use lines::LinesWriter;
pub use lines::{decode_ballot_line, LinesReader, RawLine};
