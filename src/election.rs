//! An election on its record: the published context (manifest, ceremony, credentials,
//! fingerprint), the ballot box that accepts ballots onto the board, and the encrypted tally.
//!
//! Spec: `protocol-spec/record.md` §3 (fingerprint), `board.md` (casting, tracking codes,
//! revoting), `ballot.md` §10 and `verifier.md` §2 check 12 (which ballots are summed).

mod ballot_box;
mod board_log;
mod context;
mod credential;
mod keys;
mod leaf;
mod receipt;
mod short_code;
mod sum;

pub use ballot_box::{BallotBox, CastError};
pub use board_log::{
    check_log_origin, closing_checkpoint, log_origin, CheckpointLine, LogError, CHECKPOINT_EVERY,
};
pub use context::{trustee_identities, Election, ElectionError};
pub use credential::{voter_file, VoterCredential};
pub use keys::BoardKeys;
pub use leaf::{Leaf, LeafError, LeafKind, LEAF_SIZE, RESERVED_CEREMONY_KIND};
pub use receipt::{BoardKey, Receipt, SavedReceipt, RECEIPT_VERSION};
pub use short_code::{
    ShortCode, ShortCodeError, TrackingCodeInput, SHORT_CODE_BYTES, SHORT_CODE_CHARS,
};
pub use sum::{publish_tally, tally_record, TallyAccumulator, VerifiedTally};
