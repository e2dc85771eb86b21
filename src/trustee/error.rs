//! Why a trustee or commission step stopped: one error type for the ceremony and decryption
//! files, naming the culprit (the file, the trustee) and what to do.

use super::stage::Stage;
use crate::ceremony::CeremonyError;
use crate::crypto::digest::Hash;
use crate::record::RecordError;
use std::path::Path;
use thiserror::Error;

/// Why a trustee command stopped. Errors about another trustee's data name that trustee.
#[derive(Debug, Error)]
pub enum TrusteeError {
    /// Reading or writing a file.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The DKG mathematics refused.
    #[error(transparent)]
    Ceremony(#[from] CeremonyError),
    /// Bad options or a precondition the user can fix.
    #[error("{0}")]
    Usage(String),
    /// The passphrase does not open the key file.
    #[error("{file}: wrong passphrase")]
    WrongPassphrase {
        /// The key file.
        file: String,
    },
    /// A key file that is not a sealed saylau file, or whose contents were altered.
    #[error("{file}: the key file is damaged ({detail}); restore it from your backup copy")]
    DamagedKeyFile {
        /// The key file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A file of the ceremony directory that belongs to another ceremony.
    #[error("{file} belongs to another ceremony (id {found}…, this one is {expected}…); remove it or use the right --ceremony directory")]
    ForeignFile {
        /// The file.
        file: String,
        /// Its ceremony id, abbreviated.
        found: String,
        /// This ceremony's id, abbreviated.
        expected: String,
    },
    /// A message whose signature, author or structure is wrong.
    #[error("{file}: {detail}")]
    InvalidMessage {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A step that needs the previous round from every trustee.
    #[error("{step} must wait: no {stage} message yet from {missing}")]
    NotReady {
        /// The command that cannot run yet.
        step: &'static str,
        /// The stage still incomplete.
        stage: Stage,
        /// The trustees it still waits for, by index and name.
        missing: String,
    },
    /// The author signed two different messages for the same slot (spec §12).
    #[error("equivocation: trustee {culprit} signed two different {stage} messages; the second was not published")]
    Equivocation {
        /// The author.
        culprit: u32,
        /// The slot.
        stage: Stage,
    },
    /// Refusing to replace a file that is already there.
    #[error("{file} already exists with different content; refusing to overwrite it")]
    AlreadyPublished {
        /// The file.
        file: String,
    },
    /// The record's published context (manifest, ceremony, credentials, fingerprint) does not
    /// open.
    #[error(transparent)]
    Election(#[from] crate::election::ElectionError),
    /// Decrypting, or combining the shares, failed.
    #[error("decryption: {0}")]
    Tally(#[from] crate::tally::TallyError),
    /// A contest's rule could not be applied to its counts.
    #[error("contest {0}: {1}")]
    Rules(usize, crate::rules::RulesError),
}

impl TrusteeError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        TrusteeError::Usage(message.into())
    }

    pub(crate) fn invalid(file: &str, detail: impl Into<String>) -> Self {
        TrusteeError::InvalidMessage {
            file: file.to_string(),
            detail: detail.into(),
        }
    }
}

pub(crate) fn io_error(file: &Path, error: std::io::Error) -> TrusteeError {
    TrusteeError::Record(RecordError::Io {
        file: file.display().to_string(),
        error,
    })
}

pub(crate) fn short(id: &Hash) -> String {
    hex::encode(&id[..8])
}
