//! Transparency-log math for the bulletin board: an RFC 6962 Merkle tree with
//! proofs, C2SP tiles, signed notes and checkpoints.
//!
//! This module knows nothing of elections. It is pure functions and plain types:
//! storage reaches it only through [`tree::HashReader`], and nothing here does I/O.
//! Each part implements a section of `protocol-spec/log.md`:
//!
//! - [`tree`]: hashes, stored-hash layout, inclusion and consistency proofs (log.md §2);
//! - [`tile`]: tiles, their paths, entry bundles (log.md §3);
//! - [`note`]: signed notes, Ed25519 keys, witness cosignatures (log.md §4);
//! - [`checkpoint`]: checkpoint bodies and signed checkpoints (log.md §5);
//! - [`witness`]: the tlog-witness `add-checkpoint` messages (log.md §7);
//! - [`proof`]: tlog-proof, and the k-of-n witness quorum (log.md §8).

pub mod checkpoint;
pub mod note;
pub mod proof;
pub mod tile;
pub mod tree;
pub mod witness;

pub use checkpoint::{
    Checkpoint, CheckpointError, LogKey, LogKeyError, LogSigningKey, SignedCheckpoint,
};
pub use note::{
    KeyType, Note, NoteError, NoteSignature, SignerKey, VerifiedSignature, VerifierKey,
};
pub use proof::{check_quorum, Quorum, TlogProof};
pub use tile::{EntryBundle, Tile, TileError, TileSet};
pub use tree::{Hash, HashReader, ProveError, TreeBuilder, TreeError};
pub use witness::AddCheckpoint;
