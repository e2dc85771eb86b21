//! The sequencer: the one thread that writes the log. Submitters hand it checked entries; it
//! gathers them into groups, orders them, chains the tracking codes, appends each group in one
//! transaction, and answers each submitter only after that transaction is durable.
//!
//! Spec: `protocol-spec/board.md` §7.3 (sequencing), §7.4 (what an acknowledgment promises),
//! §1.2 steps 4–7 and §6.1 (dedup, tracking codes, positions).

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use saylau::crypto::group::GroupElement;
use saylau::crypto::proofs::SchnorrProof;
use saylau::election::Leaf;
use saylau::log::tree::{Hash, TreeBuilder};
use saylau::record::tracking_code;
use thiserror::Error;

use crate::store::{BallotRow, Batch, Head, NewLeaf, Store, StoreError};

/// A cast ballot that passed the checks of board.md §1.2 steps 1–3.
#[derive(Clone, Debug)]
pub struct CastEntry {
    /// Its ballot hash `h`.
    pub ballot_hash: Hash,
    /// Its credential `X`.
    pub credential: GroupElement,
    /// Its credential signature `(a, v)`.
    pub signature: SchnorrProof,
    /// The ballot as compact JSON, exactly as it will appear in its `ballots.jsonl` line. The
    /// sequencer writes the line around it, since only the sequencer knows the tracking code.
    pub ballot_json: Vec<u8>,
}

/// A challenged ballot to publish (board.md §6.1).
#[derive(Clone, Debug)]
pub struct ChallengedEntry {
    /// Its ballot hash `h`.
    pub ballot_hash: Hash,
    /// Its credential `X`.
    pub credential: GroupElement,
    /// The challenged ballot as compact JSON, as it will appear in its `challenged.jsonl` line.
    pub challenged_json: Vec<u8>,
}

/// What a submitter asks the sequencer to put on the log.
// Moved once, through the queue: boxing the cast variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Entry {
    /// A cast ballot.
    Cast(CastEntry),
    /// A challenged ballot.
    Challenged(ChallengedEntry),
    /// The close of voting, with its leaf (the commission's signed close, board.md §9.2): after
    /// it, no ballot is appended.
    Close(Leaf),
}

/// What a leaf records, as the acknowledgment reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// A cast ballot at 1-based `position` among the cast ballots, with its tracking code.
    Cast {
        /// Position among cast ballots (board.md §3.1).
        position: u64,
        /// Tracking code `t` (board.md §2).
        tracking_code: Hash,
    },
    /// A challenged ballot.
    Challenged,
    /// The close leaf.
    Close,
}

/// The sequencer's answer: the entry is on the log, durably (board.md §7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The leaf's index in the log.
    pub index: u64,
    /// The ballot hash (`None` for the close leaf).
    pub ballot_hash: Option<Hash>,
    /// What the leaf records.
    pub recorded: Recorded,
    /// False when the entry was already on the log (or earlier in the same group): this is the
    /// existing leaf's acknowledgment, and nothing new was appended.
    pub new: bool,
}

/// Why an entry was not acknowledged.
#[derive(Clone, Debug, Error)]
pub enum SubmitError {
    /// Voting is closed: the log has a close leaf, and this ballot is not on it.
    #[error("voting is closed (close leaf {close_index}): ballot {} not appended", hex::encode(.ballot_hash))]
    Closed {
        /// The ballot refused.
        ballot_hash: Hash,
        /// The close leaf's index.
        close_index: u64,
    },
    /// The JSON has a newline, and would break the JSON-lines file.
    #[error("ballot {}: its JSON contains a newline", hex::encode(.0))]
    Newline(Hash),
    /// The store failed on this entry's group; nothing of the group was acknowledged, and the
    /// sequencer stopped (restart the board to go on).
    #[error("the store failed; the sequencer stopped: {0}")]
    Store(Arc<StoreError>),
    /// The sequencer is not running (it stopped after a store error, or was shut down).
    #[error("the sequencer is not running")]
    Stopped,
}

/// When a group closes (board.md §7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grouping {
    /// At most this many entries per group.
    pub max_entries: usize,
    /// A group closes at most this long after its first entry arrived.
    pub max_wait: Duration,
    /// Close the group as soon as no entry is waiting, rather than waiting out `max_wait`.
    /// Submitters wait for their answer, so while a group commits the next one gathers on its
    /// own; waiting longer only adds latency when every submitter is already queued.
    pub close_when_idle: bool,
}

impl Default for Grouping {
    fn default() -> Self {
        Self {
            max_entries: 256,
            max_wait: Duration::from_millis(10),
            close_when_idle: true,
        }
    }
}

type Reply = SyncSender<Result<Ack, SubmitError>>;
type Job = (Entry, Reply);

/// How many entries may wait for the sequencer before submitters block.
const QUEUE: usize = 4096;

/// A running sequencer. Dropping it (or [`Sequencer::shutdown`]) stops it once every
/// [`Submitter`] is dropped and the queue is empty.
#[derive(Debug)]
pub struct Sequencer {
    sender: SyncSender<Job>,
    thread: JoinHandle<Result<(), StoreError>>,
}

/// A handle to submit entries; clone one per submitting thread.
#[derive(Clone, Debug)]
pub struct Submitter {
    sender: SyncSender<Job>,
}

impl Submitter {
    /// Submits an entry and waits until it is durably on the log (or refused).
    pub fn submit(&self, entry: Entry) -> Result<Ack, SubmitError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.sender
            .send((entry, reply))
            .map_err(|_| SubmitError::Stopped)?;
        answer.recv().map_err(|_| SubmitError::Stopped)?
    }
}

impl Sequencer {
    /// Starts the sequencer on `store`, which it owns from now on. `fingerprint` is the election
    /// fingerprint `F`, the start of the tracking-code chain (board.md §2).
    pub fn start<S: Store + Send + 'static>(
        store: S,
        fingerprint: Hash,
        grouping: Grouping,
    ) -> Result<Self, StoreError> {
        let head = store.head()?;
        let tree = TreeBuilder::resume(head.size, &store).map_err(|e| match e {
            saylau::log::tree::ProveError::Read(e) => e,
            saylau::log::tree::ProveError::Tree(e) => StoreError::Corrupt {
                table: "hashes",
                index: head.size,
                reason: e.to_string(),
            },
        })?;
        let (sender, queue) = mpsc::sync_channel(QUEUE);
        let state = State {
            store,
            head,
            tree,
            fingerprint,
        };
        let thread = std::thread::Builder::new()
            .name("board-sequencer".into())
            .spawn(move || run(state, queue, grouping))
            .map_err(|source| StoreError::Io {
                path: "board-sequencer thread".into(),
                source,
            })?;
        Ok(Self { sender, thread })
    }

    /// A handle to submit entries.
    pub fn submitter(&self) -> Submitter {
        Submitter {
            sender: self.sender.clone(),
        }
    }

    /// Stops taking entries and waits for the thread: returns once every [`Submitter`] is
    /// dropped and the queue is drained, with the store error that stopped it, if any.
    pub fn shutdown(self) -> Result<(), StoreError> {
        drop(self.sender);
        self.thread.join().map_err(|_| StoreError::Corrupt {
            table: "head",
            index: 0,
            reason: "the sequencer thread panicked".into(),
        })?
    }
}

struct State<S> {
    store: S,
    head: Head,
    tree: TreeBuilder,
    fingerprint: Hash,
}

fn run<S: Store>(
    mut state: State<S>,
    queue: Receiver<Job>,
    grouping: Grouping,
) -> Result<(), StoreError> {
    let max = grouping.max_entries.max(1);
    while let Ok(first) = queue.recv() {
        let deadline = Instant::now() + grouping.max_wait;
        let mut group = vec![first];
        while group.len() < max {
            match queue.try_recv() {
                Ok(job) => {
                    group.push(job);
                    continue;
                }
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) if grouping.close_when_idle => break,
                Err(TryRecvError::Empty) => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match queue.recv_timeout(left) {
                Ok(job) => group.push(job),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        state.sequence(group)?;
    }
    Ok(())
}

/// An entry's answer, decided before its group is committed.
type Answer = Result<Ack, SubmitError>;

/// A ballot entry: what dedup and the closed check apply to.
#[allow(clippy::large_enum_variant)]
enum BallotEntry {
    Cast(CastEntry),
    Challenged(ChallengedEntry),
}

impl<S: Store> State<S> {
    /// Sequences one group: dedup, chain, append in one transaction, then answer. A store error
    /// is answered to the whole group and stops the sequencer: after a failed commit the only
    /// safe state is the one a restart reads back.
    fn sequence(&mut self, group: Vec<Job>) -> Result<(), StoreError> {
        let expected = self.head.size;
        let mut head = self.head;
        let mut tree = self.tree.clone();
        let mut batch = Batch {
            leaves: Vec::with_capacity(group.len()),
            hashes: Vec::with_capacity(2 * group.len() + 64),
            head,
        };
        let mut in_group: HashMap<Hash, Ack> = HashMap::new();
        let mut answers = Vec::with_capacity(group.len());
        let mut failure = None;
        // board.md §1.2 step 4 / §6.1 step 2: which of the group's hashes are already on the
        // log, asked once for the whole group.
        let hashes: Vec<Hash> = group
            .iter()
            .filter_map(|(entry, _)| match entry {
                Entry::Cast(c) => Some(c.ballot_hash),
                Entry::Challenged(c) => Some(c.ballot_hash),
                Entry::Close(_) => None,
            })
            .collect();
        let on_log: HashMap<Hash, Ack> = match self.store.ballots_by_hashes(&hashes) {
            Ok(rows) => rows.iter().map(|r| (r.ballot_hash, existing(r))).collect(),
            Err(e) => {
                failure = Some(e);
                HashMap::new()
            }
        };
        for (entry, reply) in group {
            if failure.is_none() {
                let ballot = match entry {
                    Entry::Close(leaf) => Err(leaf),
                    Entry::Cast(c) => Ok(BallotEntry::Cast(c)),
                    Entry::Challenged(c) => Ok(BallotEntry::Challenged(c)),
                };
                let placed = match ballot {
                    Err(leaf) => self.place_close(leaf, &mut head, &mut tree, &mut batch),
                    Ok(ballot) => self.place_ballot(
                        ballot,
                        &mut head,
                        &mut tree,
                        &mut batch,
                        (&on_log, &mut in_group),
                    ),
                };
                match placed {
                    Ok(a) => answers.push((reply, a)),
                    Err(e) => {
                        failure = Some(e);
                        answers.push((reply, Err(SubmitError::Stopped)));
                    }
                }
            } else {
                answers.push((reply, Err(SubmitError::Stopped)));
            }
        }
        let result = match failure {
            Some(e) => Err(e),
            None if batch.leaves.is_empty() => Ok(()),
            None => {
                batch.head = head;
                self.store.append(expected, &batch)
            }
        };
        match result {
            Ok(()) => {
                self.head = head;
                self.tree = tree;
                // Only now, with the group durable, does anyone hear back (board.md §7.4).
                for (reply, answer) in answers {
                    let _ = reply.send(answer);
                }
                Ok(())
            }
            Err(e) => {
                let shared = Arc::new(e);
                for (reply, _) in answers {
                    let _ = reply.send(Err(SubmitError::Store(Arc::clone(&shared))));
                }
                Err(
                    Arc::try_unwrap(shared).unwrap_or_else(|e| StoreError::Corrupt {
                        table: "head",
                        index: expected,
                        reason: e.to_string(),
                    }),
                )
            }
        }
    }

    /// Places the close leaf, or answers with the existing one.
    fn place_close(
        &self,
        leaf: Leaf,
        head: &mut Head,
        tree: &mut TreeBuilder,
        batch: &mut Batch,
    ) -> Result<Answer, StoreError> {
        if let Some(index) = head.closed_at {
            return Ok(Ok(Ack {
                index,
                ballot_hash: None,
                recorded: Recorded::Close,
                new: false,
            }));
        }
        let index = head.size;
        self.push(leaf, None, head, tree, batch)?;
        head.closed_at = Some(index);
        Ok(Ok(Ack {
            index,
            ballot_hash: None,
            recorded: Recorded::Close,
            new: true,
        }))
    }

    /// Places one ballot: an existing leaf's acknowledgment, a refusal, or a new leaf in `batch`.
    fn place_ballot(
        &self,
        entry: BallotEntry,
        head: &mut Head,
        tree: &mut TreeBuilder,
        batch: &mut Batch,
        (on_log, in_group): (&HashMap<Hash, Ack>, &mut HashMap<Hash, Ack>),
    ) -> Result<Answer, StoreError> {
        let ballot_hash = match &entry {
            BallotEntry::Cast(c) => c.ballot_hash,
            BallotEntry::Challenged(c) => c.ballot_hash,
        };
        // board.md §1.2 step 4 / §6.1 step 2: a hash already on the log gets its leaf back.
        if let Some(ack) = in_group.get(&ballot_hash) {
            return Ok(Ok(Ack { new: false, ..*ack }));
        }
        if let Some(ack) = on_log.get(&ballot_hash) {
            return Ok(Ok(*ack));
        }
        if let Some(close_index) = head.closed_at {
            return Ok(Err(SubmitError::Closed {
                ballot_hash,
                close_index,
            }));
        }
        let index = head.size;
        let (leaf, row, recorded) = match entry {
            BallotEntry::Cast(c) => {
                if c.ballot_json.contains(&b'\n') {
                    return Ok(Err(SubmitError::Newline(ballot_hash)));
                }
                // board.md §2: t_i chains from t_{i-1}, or from F for the first ballot.
                let previous = head.last_tracking_code.unwrap_or(self.fingerprint);
                let code = tracking_code(&previous, &ballot_hash, &c.signature);
                let position = head.cast + 1;
                head.cast = position;
                head.last_tracking_code = Some(code);
                let leaf = Leaf::cast(&c.credential, ballot_hash, &c.signature);
                let row = BallotRow {
                    ballot_hash,
                    credential: *c.credential.as_bytes(),
                    leaf_index: index,
                    position: Some(position),
                    tracking_code: Some(code),
                    line: ballot_line(&code, &ballot_hash, &c.ballot_json),
                };
                let recorded = Recorded::Cast {
                    position,
                    tracking_code: code,
                };
                (leaf, row, recorded)
            }
            BallotEntry::Challenged(c) => {
                if c.challenged_json.contains(&b'\n') {
                    return Ok(Err(SubmitError::Newline(ballot_hash)));
                }
                let leaf = Leaf::challenged(&c.credential, ballot_hash);
                let row = BallotRow {
                    ballot_hash,
                    credential: *c.credential.as_bytes(),
                    leaf_index: index,
                    position: None,
                    tracking_code: None,
                    line: challenged_line(&ballot_hash, &c.challenged_json),
                };
                (leaf, row, Recorded::Challenged)
            }
        };
        self.push(leaf, Some(row), head, tree, batch)?;
        let ack = Ack {
            index,
            ballot_hash: Some(ballot_hash),
            recorded,
            new: true,
        };
        in_group.insert(ballot_hash, ack);
        Ok(Ok(ack))
    }

    fn push(
        &self,
        leaf: Leaf,
        ballot: Option<BallotRow>,
        head: &mut Head,
        tree: &mut TreeBuilder,
        batch: &mut Batch,
    ) -> Result<(), StoreError> {
        // log.md §2.3 / §2.6: the stored hashes this leaf adds, computed from the frontier.
        tree.push_stored(leaf.hash(), &mut batch.hashes)
            .map_err(|e| StoreError::BadBatch {
                size: head.size,
                reason: e.to_string(),
            })?;
        batch.leaves.push(NewLeaf { leaf, ballot });
        head.size += 1;
        Ok(())
    }
}

/// The acknowledgment of a ballot already on the log.
fn existing(row: &BallotRow) -> Ack {
    let recorded = match (row.position, row.tracking_code) {
        (Some(position), Some(tracking_code)) => Recorded::Cast {
            position,
            tracking_code,
        },
        _ => Recorded::Challenged,
    };
    Ack {
        index: row.leaf_index,
        ballot_hash: Some(row.ballot_hash),
        recorded,
        new: false,
    }
}

/// A line of `ballots.jsonl` (board.md §1.2 step 6, `record.md` §6): the compact JSON of
/// `{"tracking_code", "ballot_hash", "ballot"}` in that order, and `\n`.
pub fn ballot_line(tracking_code: &Hash, ballot_hash: &Hash, ballot_json: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(ballot_json.len() + 180);
    line.extend_from_slice(b"{\"tracking_code\":\"");
    line.extend_from_slice(hex::encode(tracking_code).as_bytes());
    line.extend_from_slice(b"\",\"ballot_hash\":\"");
    line.extend_from_slice(hex::encode(ballot_hash).as_bytes());
    line.extend_from_slice(b"\",\"ballot\":");
    line.extend_from_slice(ballot_json);
    line.extend_from_slice(b"}\n");
    line
}

/// A line of `challenged.jsonl` (board.md §6.1 step 3): `{"ballot_hash", "challenged"}` and `\n`.
pub fn challenged_line(ballot_hash: &Hash, challenged_json: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(challenged_json.len() + 100);
    line.extend_from_slice(b"{\"ballot_hash\":\"");
    line.extend_from_slice(hex::encode(ballot_hash).as_bytes());
    line.extend_from_slice(b"\",\"challenged\":");
    line.extend_from_slice(challenged_json);
    line.extend_from_slice(b"}\n");
    line
}
