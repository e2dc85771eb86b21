//! The synthetic bulk loader behind issue 15's large-board targets (restart with a million
//! leaves, a receipt check at twelve million): it appends synthetic but well-formed leaves
//! straight through the [`Store`], in big transactions, with their ballot rows, stored hashes
//! and signed checkpoints, without proving a single ballot.
//!
//! Spec: `protocol-spec/board.md` §7.8 (what a synthetic board is, and why it never holds a real
//! election).
//!
//! Every leaf is a cast leaf (board.md §1.3) of a listed credential, chosen in turn; its ballot
//! hash is `TH("saylau/v2/synthetic-ballot", [F, le64(index)])`, and its "signature" is a fixed
//! canonical pair (the credential itself as commitment, the scalar 1 as response): the leaf
//! decodes, but it is not a ballot. The tracking codes are chained exactly as the sequencer
//! chains them (board.md §2), the stored hashes are those of log.md §2.3, and a checkpoint is
//! signed by the board's log key after every group, through the same [`Checkpointer`] as the
//! service (so each one is checked to extend the last). The ballot line is short
//! (`{"synthetic":INDEX}` in place of the ballot), so `saylau verify` refuses the export of such
//! a board at its first ballot: it is for measurements only.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand_core::{CryptoRng, RngCore};
use saylau::ceremony::run_in_process;
use saylau::crypto::digest::tagged_hash;
use saylau::crypto::group::{decode_scalar, GroupElement};
use saylau::crypto::proofs::SchnorrProof;
use saylau::election::{Election, Leaf};
use saylau::log::tree::{Hash, TreeBuilder};
use saylau::manifest::Manifest;
use saylau::record::{self, tracking_code, CredentialList, Record};
use saylau::sim::demo::register_voters;
use thiserror::Error;

use crate::checkpoints::{Checkpointer, CheckpointerError};
use crate::keys::default_keys_path;
use crate::open::{open_election, OpenError, Opened};
use crate::sequencer::ballot_line;
use crate::store::{BallotRow, Batch, NewLeaf, Store, StoreError};

/// Why a fill stopped.
#[derive(Debug, Error)]
pub enum FillError {
    /// The store failed; groups committed before it stay.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A checkpoint could not be signed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointerError),
    /// The election has no listed credential to attribute leaves to, or one does not decode.
    #[error("credentials: {0}")]
    Credentials(String),
    /// The log is closed: nothing may follow the close leaf.
    #[error("the log is closed at leaf {0}: refusing to append after it")]
    Closed(u64),
    /// The tree refused a leaf (a tree over 2^63 leaves).
    #[error("tree: {0}")]
    Tree(String),
}

/// How a fill runs.
#[derive(Clone, Copy, Debug)]
pub struct FillConfig {
    /// Leaves to append.
    pub leaves: u64,
    /// Leaves per transaction; a checkpoint is signed after each.
    pub group: usize,
}

impl Default for FillConfig {
    fn default() -> Self {
        Self {
            leaves: 0,
            group: 100_000,
        }
    }
}

/// What a fill did.
#[derive(Clone, Copy, Debug)]
pub struct Filled {
    /// Leaves appended.
    pub leaves: u64,
    /// The tree size afterwards.
    pub size: u64,
    /// Checkpoints signed.
    pub checkpoints: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// The ballot hash of synthetic leaf `index` of election `fingerprint` (see the module
/// documentation).
pub fn synthetic_ballot_hash(fingerprint: &Hash, index: u64) -> Hash {
    tagged_hash(
        "saylau/v2/synthetic-ballot",
        &[fingerprint, &index.to_le_bytes()],
    )
}

/// The synthetic "signature" of a leaf of `credential`: a canonical pair that decodes.
fn synthetic_signature(credential: &GroupElement) -> Result<SchnorrProof, FillError> {
    let mut one = [0u8; 32];
    one[0] = 1;
    let response = decode_scalar(one).map_err(|e| FillError::Credentials(e.to_string()))?;
    Ok(SchnorrProof {
        commitment: *credential,
        response,
    })
}

/// Appends `config.leaves` synthetic leaves to `store` for `election`, in groups of
/// `config.group` (one transaction each, then a checkpoint signed by `checkpointer`).
/// `progress` hears the tree size after each group.
pub fn fill<S: Store + ?Sized>(
    store: &mut S,
    election: &Election,
    checkpointer: &mut Checkpointer,
    config: FillConfig,
    mut progress: impl FnMut(u64),
) -> Result<Filled, FillError> {
    let start = Instant::now();
    let fingerprint = *election.fingerprint();
    let credentials: Vec<(GroupElement, SchnorrProof)> = election
        .credentials
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let element = GroupElement::decode_non_identity(bytes)
                .map_err(|e| FillError::Credentials(format!("credentials[{i}]: {e}")))?;
            let signature = synthetic_signature(&element)?;
            Ok((element, signature))
        })
        .collect::<Result<_, FillError>>()?;
    if credentials.is_empty() {
        return Err(FillError::Credentials(
            "the election lists no credential".into(),
        ));
    }
    let mut head = store.head()?;
    if let Some(close) = head.closed_at {
        return Err(FillError::Closed(close));
    }
    let mut tree = TreeBuilder::resume(head.size, &*store).map_err(|e| match e {
        saylau::log::tree::ProveError::Read(e) => FillError::Store(e),
        saylau::log::tree::ProveError::Tree(e) => FillError::Tree(e.to_string()),
    })?;
    let group = config.group.max(1);
    let mut left = config.leaves;
    let mut checkpoints = 0;
    while left > 0 {
        let count = left.min(group as u64) as usize;
        let expected = head.size;
        let mut batch = Batch {
            leaves: Vec::with_capacity(count),
            hashes: Vec::with_capacity(2 * count + 64),
            head,
        };
        for _ in 0..count {
            let index = head.size;
            let (credential, signature) = &credentials[(index % credentials.len() as u64) as usize];
            let ballot_hash = synthetic_ballot_hash(&fingerprint, index);
            // board.md §2: the chain, exactly as the sequencer extends it.
            let previous = head.last_tracking_code.unwrap_or(fingerprint);
            let code = tracking_code(&previous, &ballot_hash, signature);
            head.cast += 1;
            head.last_tracking_code = Some(code);
            let leaf = Leaf::cast(credential, ballot_hash, signature);
            tree.push_stored(leaf.hash(), &mut batch.hashes)
                .map_err(|e| FillError::Tree(e.to_string()))?;
            let ballot = format!("{{\"synthetic\":{index}}}");
            batch.leaves.push(NewLeaf {
                leaf,
                ballot: Some(BallotRow {
                    ballot_hash,
                    credential: *credential.as_bytes(),
                    leaf_index: index,
                    position: Some(head.cast),
                    tracking_code: Some(code),
                    line: ballot_line(&code, &ballot_hash, ballot.as_bytes()),
                }),
            });
            head.size += 1;
        }
        batch.head = head;
        store.append(expected, &batch)?;
        if checkpointer.tick(store)?.is_some() {
            checkpoints += 1;
        }
        left -= count as u64;
        progress(head.size);
    }
    Ok(Filled {
        leaves: config.leaves,
        size: head.size,
        checkpoints,
        elapsed: start.elapsed(),
    })
}

/// Where a synthetic election's files are.
#[derive(Debug)]
pub struct SyntheticElection {
    /// The record folder.
    pub record: PathBuf,
    /// The board's key file.
    pub keys: PathBuf,
    /// The SQLite database the board will use.
    pub database: PathBuf,
    /// What opening the election gave.
    pub opened: Opened,
}

/// Creates an election for a synthetic board in `out` (missing or empty): the default manifest,
/// an in-process key ceremony, `voters` credentials (the public list only: nobody can cast with
/// them), opened with fresh board keys. Files: `out/record/`, `out/record.board-keys.json`,
/// `out/credentials.json`, and the path `out/board.db`.
pub fn create_election<R: RngCore + CryptoRng>(
    out: &Path,
    voters: u64,
    host: &str,
    rng: &mut R,
) -> Result<SyntheticElection, OpenError> {
    let io = |path: &Path, e: std::io::Error| OpenError::Record(format!("{}: {e}", path.display()));
    if voters == 0 {
        return Err(OpenError::Record("at least one voter is needed".into()));
    }
    if out.exists() && fs::read_dir(out).map_err(|e| io(out, e))?.next().is_some() {
        return Err(OpenError::Record(format!(
            "{} is not empty: a synthetic board starts from a fresh election",
            out.display()
        )));
    }
    let record_dir = out.join("record");
    fs::create_dir_all(&record_dir).map_err(|e| io(&record_dir, e))?;
    let record = Record::at(&record_dir);
    let manifest_bytes = record.write_json(record::MANIFEST, &Manifest::example())?;
    let names: Vec<String> = (1..=3).map(|i| format!("Commission member {i}")).collect();
    let (ceremony, _shares) =
        run_in_process(&Manifest::hash_bytes(&manifest_bytes), &names, 2, rng)
            .map_err(|e| OpenError::Record(format!("key ceremony: {e}")))?;
    record.write_json(record::CEREMONY, &ceremony)?;
    let list = CredentialList {
        credentials: register_voters(voters, rng)
            .into_iter()
            .map(|v| v.public)
            .collect(),
    };
    record::write_json(out, record::CREDENTIALS, &list)?;
    let keys = default_keys_path(&record_dir);
    let opened = open_election(
        &record_dir,
        Some(&out.join(record::CREDENTIALS)),
        &keys,
        host,
        // Nobody closes a synthetic board: its commission key is drawn and forgotten.
        saylau::record::CommissionSigningKey::generate(rng).public(),
        rng,
    )?;
    Ok(SyntheticElection {
        record: record_dir,
        keys,
        database: out.join("board.db"),
        opened,
    })
}
