//! The key ceremony run by separate trustees on separate machines, through a shared directory.
//!
//! Spec: `protocol-spec/ceremony.md` §9–§14. The mathematics is the DKG of [`crate::ceremony`];
//! this module adds what separate people need: long-term identities, key files encrypted at
//! rest, signed messages, encrypted share delivery, commit-then-reveal, complaints that anyone
//! can judge, and the rules that disqualify a cheater.
//!
//! # Flow
//! ```text
//! trustee new        Identity::generate + seal          DIR/secret.key, DIR/public.json
//! ceremony new       CeremonySetup::create              CEREMONY/parameters.json
//! trustee round1     round1                             CEREMONY/commit/trustee-<i>.json
//! trustee reveal     reveal (after every commitment)    CEREMONY/reveal/trustee-<i>.json
//! trustee round2     round2 (after every reveal)        CEREMONY/round2/trustee-<i>.json
//! ceremony finish    judge + finish                     RECORD/{manifest,ceremony}.json, RECORD/ceremony/
//! trustee decrypt    decrypt                            RECORD/decryption/trustee-<i>.json
//! ```
//! Every file a trustee publishes is an [`Envelope`] signed with its long-term signing key.
//! A published file is never overwritten: [`publish_once`] refuses, and reports equivocation
//! when the author signed two different messages for the same slot.

mod commission;
mod count;
mod decrypt;
mod delivery;
mod directory;
mod envelope;
mod error;
mod identity;
mod judge;
mod rounds;
mod sealed;
mod setup;
mod shares;
mod stage;

pub use commission::{
    create_commission_key, open_commission_key, read_commission_public, CommissionPublic,
    COMMISSION_KEY_FILE, COMMISSION_PUBLIC_FILE,
};
pub use count::finish_tally;
pub use decrypt::{check_key_share, Decryptor};

pub use delivery::encrypt_share;
pub use directory::{publish_once, Published};
pub use envelope::{
    reveal_hash, CommitBody, Complaint, EncryptedShare, Envelope, Judged, RevealBody, Round2Body,
};
pub use error::TrusteeError;
pub use identity::{
    read_public, read_public_file, Created, Identity, PublicIdentity, MIN_PASSPHRASE_CHARS,
    PUBLIC_FILE, SECRET_KEY_FILE,
};
pub use judge::{audit_record, finish, judge, transcript_files, Judgement};
pub use rounds::{pending_reveal_name, reveal, round1, round2, seen_commits_name, StepReport};
pub use sealed::{KdfParameters, SealedFile, KDF_ITERATIONS, KDF_MEMORY_KIB, KDF_PARALLELISM};
pub use setup::{CeremonyDir, CeremonySetup, PARAMETERS_FILE, TRANSCRIPT_DIR};
pub use shares::{tally_file_hash, ShareFiles, ShareStatement};
pub use stage::{Stage, STAGES};
