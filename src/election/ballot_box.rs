//! The ballot box (spec `board.md` §1–§2, §7): accepts valid ballots from listed credentials,
//! chains tracking codes, publishes challenged ballots, and keeps the log of their leaves with
//! signed checkpoints.

use super::board_log::{log_origin, BoardLog, LogError};
use super::context::Election;
use super::keys::BoardKeys;
use super::leaf::{Leaf, LeafKind};
use super::receipt::{BoardKey, Receipt, SavedReceipt};
use crate::ballot::{Ballot, BallotError, ChallengedBallot};
use crate::crypto::digest::Hash;
use crate::crypto::error::ProofError;
use crate::record::{
    close_message, tracking_code, BallotLine, ChallengedLine, CommissionSignature, LinesWriter,
    Record, RecordError, BALLOTS, CHALLENGED,
};

use std::collections::HashSet;
use thiserror::Error;

/// Why the board refused a ballot. Nothing is written for a refused ballot.
#[derive(Debug, Error)]
pub enum CastError {
    /// The credential is not on the list of eligible voters.
    #[error("ballot {ballot_hash}: credential {credential} is not listed")]
    UnlistedCredential {
        /// Hex ballot hash.
        ballot_hash: String,
        /// Hex credential.
        credential: String,
    },
    /// The same ballot is already on the board (or was challenged).
    #[error("ballot {0}: already on the board or challenged")]
    Duplicate(String),
    /// A proof or the signature fails.
    #[error("ballot {ballot_hash}: {error}")]
    Invalid {
        /// Hex ballot hash.
        ballot_hash: String,
        /// Which proof failed.
        error: BallotError,
    },
    /// The record could not be written.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The board could not sign a receipt (its key does not prove; nothing was written).
    #[error("the board could not sign the receipt: {0}")]
    Signing(ProofError),
    /// The receipt-signing key given to the ballot box is not `election.json`'s `board_key`.
    #[error("the board key is not the one election.json publishes: receipts would not verify")]
    WrongBoardKey,
    /// The log signing key given to the ballot box is not `election.json`'s `log_key`.
    #[error("the log key is not the one election.json publishes: checkpoints would not verify")]
    WrongLogKey,
    /// Voting is closed: the log ends with the close leaf, and takes no ballot after it.
    #[error("ballot {0}: voting is closed")]
    Closed(String),
    /// A close whose signature is not the commission's (`election.json`'s `commission_key`) on
    /// this election's close statement.
    #[error("the close of voting is refused: {0}")]
    BadClose(String),
    /// The log (`log/`) could not be written, resumed, or signed.
    #[error("the board's log: {0}")]
    Log(#[from] LogError),
}

/// The board's ballot box: accepts valid ballots from listed credentials, chains tracking codes,
/// and appends each accepted ballot to `ballots.jsonl` and its leaf to `log/leaves` before
/// answering with a signed receipt; signs checkpoints of the log into `log/checkpoints.jsonl`
/// (spec `board.md` §7).
pub struct BallotBox<'e> {
    election: &'e Election,
    board_key: &'e BoardKey,
    listed: HashSet<[u8; 32]>,
    seen: HashSet<Hash>,
    last_code: Hash,
    position: u64,
    ballots: LinesWriter,
    challenged: LinesWriter,
    log: BoardLog,
    sync_every_ballot: bool,
    closed: Option<u64>,
}

impl<'e> BallotBox<'e> {
    /// Opens the ballot box of a record, resuming after any ballots and leaves already on it.
    /// Receipts are signed with `keys.receipt` and checkpoints with `keys.log`, which must be
    /// the keys `election.json` publishes; the log's origin is `<host>/saylau/<hex F>`
    /// (spec `board.md` §7.6).
    pub fn open(
        record: &Record,
        election: &'e Election,
        keys: &'e BoardKeys,
        host: &str,
    ) -> Result<Self, CastError> {
        if keys.receipt.public() != election.info.board_key {
            return Err(CastError::WrongBoardKey);
        }
        if keys.log.public() != election.info.log_key {
            return Err(CastError::WrongLogKey);
        }
        let signer = keys
            .log
            .signer(&log_origin(host, election.fingerprint()))
            .map_err(|e| LogError::Origin(format!("host {host:?}: {e}")))?;
        let (log, leaves) = BoardLog::open(record, election.fingerprint(), signer)?;
        let board_key = &keys.receipt;
        let listed = election.credentials.iter().copied().collect();
        let mut seen = HashSet::new();
        let mut last_code = *election.fingerprint();
        let mut position = 0;
        if let Some(mut reader) = record.lines(BALLOTS, true)? {
            while let Some((_, line)) = reader.next_json::<BallotLine>()? {
                seen.insert(line.ballot_hash);
                last_code = line.tracking_code;
                position += 1;
            }
        }
        let mut challenged = 0u64;
        if let Some(mut reader) = record.lines(CHALLENGED, true)? {
            while let Some((_, line)) = reader.next_json::<ChallengedLine>()? {
                seen.insert(line.ballot_hash);
                challenged += 1;
            }
        }
        // A board resumes only on a log that holds one leaf per line (spec `board.md` §7.3).
        let count = |kind| leaves.iter().filter(|l| l.kind() == kind).count() as u64;
        for (kind, file, lines) in [
            (LeafKind::Cast, BALLOTS, position),
            (LeafKind::Challenged, CHALLENGED, challenged),
        ] {
            if count(kind) != lines {
                return Err(LogError::Resume {
                    file: crate::record::LOG_LEAVES,
                    reason: format!(
                        "{} {kind:?} leaves, but {file} has {lines} lines",
                        count(kind)
                    ),
                }
                .into());
            }
        }
        if count(LeafKind::Close) != 0 {
            return Err(LogError::Resume {
                file: crate::record::LOG_LEAVES,
                reason: "the log is closed: voting has ended".into(),
            }
            .into());
        }
        Ok(Self {
            election,
            board_key,
            listed,
            seen,
            last_code,
            position,
            ballots: record.appender(BALLOTS)?,
            challenged: record.appender(CHALLENGED)?,
            log,
            sync_every_ballot: true,
            closed: None,
        })
    }

    /// Whether to wait for the disk after every accepted ballot before answering (the default:
    /// a receipt is only issued for a ballot on disk). The demo turns it off and syncs at the end.
    pub fn sync_every_ballot(&mut self, sync: bool) {
        self.sync_every_ballot = sync;
    }

    /// Checks a ballot without changing the board: credential listed, proofs and signature
    /// valid. Returns its ballot hash. Safe to run in parallel.
    pub fn check(&self, ballot: &Ballot) -> Result<Hash, CastError> {
        let ballot_hash = ballot.body.hash();
        if !self.listed.contains(ballot.body.credential.as_bytes()) {
            return Err(CastError::UnlistedCredential {
                ballot_hash: hex::encode(ballot_hash),
                credential: hex::encode(ballot.body.credential.as_bytes()),
            });
        }
        let election = self.election;
        ballot
            .verify(&election.manifest, election.fingerprint(), election.key())
            .map_err(|error| CastError::Invalid {
                ballot_hash: hex::encode(ballot_hash),
                error,
            })?;
        Ok(ballot_hash)
    }

    /// Appends a ballot that passed [`check`](Self::check) (its hash given), refusing duplicates.
    pub fn append_checked(
        &mut self,
        ballot: Ballot,
        ballot_hash: Hash,
    ) -> Result<Receipt, CastError> {
        if self.seen.contains(&ballot_hash) {
            return Err(CastError::Duplicate(hex::encode(ballot_hash)));
        }
        if self.closed.is_some() {
            return Err(CastError::Closed(hex::encode(ballot_hash)));
        }
        let tracking_code = tracking_code(&self.last_code, &ballot_hash, &ballot.signature);
        let leaf = Leaf::cast(&ballot.body.credential, ballot_hash, &ballot.signature);
        let leaf_index = self.log.size();
        let line = BallotLine {
            tracking_code,
            ballot_hash,
            ballot,
        };
        // Signed before the write, so a ballot is never on the board without its receipt.
        let receipt = self
            .board_key
            .sign(
                *self.election.fingerprint(),
                self.position + 1,
                ballot_hash,
                tracking_code,
                leaf_index,
            )
            .map_err(CastError::Signing)?;
        self.ballots.push(&line, self.sync_every_ballot)?;
        self.log.append(&leaf, self.sync_every_ballot)?;
        self.seen.insert(ballot_hash);
        self.last_code = tracking_code;
        self.position += 1;
        Ok(receipt)
    }

    /// Checks and casts one ballot.
    pub fn cast(&mut self, ballot: Ballot) -> Result<Receipt, CastError> {
        let hash = self.check(&ballot)?;
        self.append_checked(ballot, hash)
    }

    /// Publishes a challenged ballot. Its hash can never be cast afterwards.
    /// The board checks it first (listed credential, revealed choices re-encrypt to the
    /// ciphertexts, proofs valid), so no one can spoil the record with a bogus challenge.
    pub fn publish_challenge(&mut self, challenged: ChallengedBallot) -> Result<Hash, CastError> {
        let ballot_hash = challenged.body.hash();
        if self.seen.contains(&ballot_hash) {
            return Err(CastError::Duplicate(hex::encode(ballot_hash)));
        }
        if self.closed.is_some() {
            return Err(CastError::Closed(hex::encode(ballot_hash)));
        }
        if !self.listed.contains(challenged.body.credential.as_bytes()) {
            return Err(CastError::UnlistedCredential {
                ballot_hash: hex::encode(ballot_hash),
                credential: hex::encode(challenged.body.credential.as_bytes()),
            });
        }
        let election = self.election;
        challenged
            .check(&election.manifest, election.fingerprint(), election.key())
            .map_err(|error| CastError::Invalid {
                ballot_hash: hex::encode(ballot_hash),
                error,
            })?;
        let leaf = Leaf::challenged(&challenged.body.credential, ballot_hash);
        self.challenged.push(
            &ChallengedLine {
                ballot_hash,
                challenged,
            },
            self.sync_every_ballot,
        )?;
        self.log.append(&leaf, self.sync_every_ballot)?;
        self.seen.insert(ballot_hash);
        Ok(ballot_hash)
    }

    /// Signs a checkpoint of the whole log (unless the last one already covers it) and waits
    /// until every accepted ballot, leaf and checkpoint is on disk. Call it when voting pauses or
    /// ends: the last checkpoint of `log/checkpoints.jsonl` must cover the whole log
    /// (spec `record.md` §7.2).
    pub fn sync(&mut self) -> Result<(), CastError> {
        self.ballots.sync()?;
        self.challenged.sync()?;
        self.log.checkpoint(true)?;
        Ok(self.log.sync()?)
    }

    /// Closes voting (spec `board.md` §9.2): checks that `signature` is the commission's
    /// (`election.json`'s `commission_key`) on this election's close statement, appends the close
    /// leaf, signs the checkpoint that ends with it (the closing checkpoint) and syncs. Returns
    /// the close leaf's index. After it, every ballot is refused ([`CastError::Closed`]);
    /// closing again returns the same index and writes nothing.
    pub fn close(&mut self, signature: CommissionSignature) -> Result<u64, CastError> {
        if let Some(index) = self.closed {
            return Ok(index);
        }
        let key = self.election.info.commission_key;
        let statement = close_message(self.election.fingerprint());
        key.verify(&statement, &signature)
            .map_err(CastError::BadClose)?;
        self.ballots.sync()?;
        self.challenged.sync()?;
        let index = self
            .log
            .append(&Leaf::close(&key, statement, &signature), true)?;
        self.closed = Some(index);
        self.sync()?;
        Ok(index)
    }

    /// The close leaf's index, once voting is closed.
    pub fn closed_at(&self) -> Option<u64> {
        self.closed
    }

    /// The number of leaves of the log.
    pub fn log_size(&self) -> u64 {
        self.log.size()
    }

    /// What the voter's device saves for `receipt` (spec `board.md` §3.4): the receipt, the
    /// latest signed checkpoint if it covers the receipt's leaf, and the inclusion proof of the
    /// leaf in it. `board` is the address the ballot was cast to, if any.
    pub fn saved_receipt(&self, receipt: Receipt, board: Option<String>) -> SavedReceipt {
        let mut saved = SavedReceipt::bare(receipt);
        saved.board = board;
        if let Some((size, text)) = self.log.latest() {
            if receipt.leaf_index < size {
                saved.inclusion = self.log.inclusion(receipt.leaf_index, size);
                saved.checkpoint = saved.inclusion.as_ref().map(|_| text.to_string());
            }
        }
        saved
    }
}
