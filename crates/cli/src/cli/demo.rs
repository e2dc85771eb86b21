//! `saylau demo`: a whole election on this machine, its ballots cast through a real board.
//!
//! The demo runs the steps of a real election, each a call below ([`run`]):
//! 1. the commission publishes the manifest and runs the key ceremony (in this process);
//! 2. the registrar issues the voters' credentials (`credentials.json`);
//! 3. `board open` draws the board's keys and writes `election.json`, and the board serves on
//!    loopback (`127.0.0.1`, a free port) with its SQLite database in the output folder;
//! 4. the voters' devices fetch the election, check it against its fingerprint, and cast or
//!    challenge over HTTP, through the client `saylau vote` uses; every receipt is checked;
//! 5. the board's record is exported (the `board export` code), then the board stops;
//! 6. `tally.json`, every present trustee's decryption, and the count.
//!
//! With `--seed`, voters submit one at a time in voter order and the board signs checkpoints
//! only when told, every [`CHECKPOINT_EVERY`] leaves and at the end, so the record is the same
//! byte for byte for a given seed (`protocol-spec/board.md` §8.12). Without it, [`CLIENTS`]
//! voters cast at once and the board signs on its timer.

use crate::client::commission::CommissionClient;
use crate::client::proof::{check_inclusion, open_checkpoint};
use crate::client::{saved, Board as Client, ClientError, TrustedElection};
use rayon::prelude::*;
use saylau::election::{Election, Leaf, Receipt, SavedReceipt, ShortCode};
use saylau::progress::Progress;
use saylau::record::{self, CredentialList, Record};
use saylau::record::{CloseRequest, CommissionSigningKey};
use saylau::sim::demo::{
    self as sim, Booth, BoothAction, CastSummary, DemoConfig, DemoError, DemoOutcome,
    SimulatedVoter, VoterPlan,
};
use saylau_board::database::Database;
use saylau_board::keys::{default_keys_path, BoardKeys};
use saylau_board::service::{self, RunningBoard, ServeConfig};
use saylau_board::verify::BatchPolicy;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The board's SQLite database, in the output folder beside the record.
pub const DATABASE: &str = "board.db";
/// The database and the files SQLite and the board keep beside it: the demo may replace them.
pub const BOARD_FILES: [&str; 4] = ["board.db", "board.db-wal", "board.db-shm", "board.db.lock"];
/// With `--seed`, the board signs a checkpoint every this many leaves, and at the end.
pub const CHECKPOINT_EVERY: u64 = 256;
/// Voters casting at once without `--seed`.
pub const CLIENTS: usize = 8;

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A step the demo shares with the in-process election.
    #[error(transparent)]
    Demo(#[from] DemoError),
    /// `board open`.
    #[error("board open: {0}")]
    Open(#[from] saylau_board::open::OpenError),
    /// The key file written by `board open`.
    #[error("board keys: {0}")]
    Keys(#[from] saylau_board::keys::KeysError),
    /// The board did not start.
    #[error("board: {0}")]
    Start(#[from] saylau_board::service::StartError),
    /// The board's store.
    #[error("board: {0}")]
    Store(#[from] saylau_board::store::StoreError),
    /// Signing a checkpoint.
    #[error("board: {0}")]
    Checkpoint(#[from] saylau_board::checkpoints::CheckpointerError),
    /// The export.
    #[error("board export: {0}")]
    Export(#[from] saylau_board::export::ExportError),
    /// The device refused the election the board serves.
    #[error("the voter's device: {0}")]
    Trust(#[from] crate::client::election::TrustError),
    /// A voter's device could not cast, or refused the board's answer (a bug: the demo's board
    /// is honest and its ballots valid).
    #[error("voter {voter}: {detail}")]
    Voter {
        /// The voter's number (from 1).
        voter: u64,
        /// What went wrong.
        detail: String,
    },
    /// The async runtime, the socket, or the board's answers outside a vote.
    #[error("{0}")]
    Other(String),
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Failure::Other(error.to_string())
    }
}

/// Runs the demo: see the module documentation.
pub fn run(config: &DemoConfig) -> Result<DemoOutcome, Failure> {
    config.check()?;
    let ordered = config.seed.is_some();
    let seed = config.seed();
    let mut rng = sim::demo_rng(seed);
    let dir = config.out.as_path();
    prepare_output(dir)?;
    let record = Record::at(dir);

    // 1. The manifest and the key ceremony.
    let key_shares = sim::publish_ceremony(&record, config.trustees, config.threshold, &mut rng)?;
    // 2. The voters' credentials.
    let voters = sim::register_voters(config.voters, &mut rng);
    let list = CredentialList {
        credentials: voters.iter().map(|v| v.public).collect(),
    };
    record
        .write_json(record::CREDENTIALS, &list)
        .map_err(DemoError::from)?;
    // 3. `board open`, then the board on loopback.
    let board = LocalBoard::open(dir, seed, ordered)?;
    // 4. Voting over HTTP.
    let cast = board.vote(&voters, seed, &config.progress)?;
    if let Some(receipt) = &cast.first_receipt {
        record
            .write_json(sim::EXAMPLE_RECEIPT, receipt)
            .map_err(DemoError::from)?;
    }
    // 5. The commission closes voting; the board's record, then the board stops.
    board.close()?;
    board.export(dir)?;
    board.stop()?;
    // 6. The tally, the trustees' decryption, the count.
    let election = Election::open(&record).map_err(DemoError::from)?;
    Ok(sim::tally_and_count(
        &record,
        &election,
        &key_shares,
        config,
        seed,
        cast,
        &mut rng,
    )?)
}

/// What `saylau demo --record` did.
#[derive(Clone, Debug)]
pub struct RecordVoting {
    /// The seed used.
    pub seed: u64,
    /// The board summary.
    pub cast: CastSummary,
    /// Voters with a counted ballot, as in `tally.json`.
    pub participants: u64,
}

/// `saylau demo --record DIR`: steps 2 to 5 and `tally.json` on a record started by
/// `saylau ceremony finish` (which holds `manifest.json`, `ceremony.json` and the ceremony
/// transcript), so that the trustees can decrypt it. Refuses a record whose election is already
/// open. The board's database is `DIR/board.db`, its key file `DIR.board-keys.json`.
pub fn run_on_record(
    dir: &Path,
    voters: u64,
    seed: Option<u64>,
    progress: &Progress,
) -> Result<RecordVoting, Failure> {
    let options = |text: String| Failure::Demo(DemoError::Options(text));
    if voters == 0 {
        return Err(options("--voters must be at least 1".into()));
    }
    for name in [record::MANIFEST, record::CEREMONY] {
        if !dir.join(name).is_file() {
            return Err(options(format!(
                "{} has no {name}: start the record with `saylau ceremony finish`",
                dir.display()
            )));
        }
    }
    for name in [record::CREDENTIALS, record::ELECTION, record::BALLOTS] {
        if dir.join(name).exists() {
            return Err(options(format!(
                "{} already holds {name}: the election on this record is already open",
                dir.display()
            )));
        }
    }
    let record = Record::at(dir);
    let (ceremony, _): (saylau::ceremony::CeremonyRecord, _) =
        record.json(record::CEREMONY).map_err(DemoError::from)?;
    saylau::trustee::audit_record(&record, &ceremony)
        .map_err(|e| options(format!("the ceremony transcript does not check: {e}")))?;
    let ordered = seed.is_some();
    let seed = seed.unwrap_or_else(|| rand_core::RngCore::next_u64(&mut rand_core::OsRng));
    let simulated =
        sim::register_voters(voters, &mut sim::seeded_rng("saylau/v1/demo-record", seed));
    let list = CredentialList {
        credentials: simulated.iter().map(|v| v.public).collect(),
    };
    record
        .write_json(record::CREDENTIALS, &list)
        .map_err(DemoError::from)?;
    let board = LocalBoard::open(dir, seed, ordered)?;
    let cast = board.vote(&simulated, seed, progress)?;
    board.close()?;
    board.export(dir)?;
    board.stop()?;
    let election = Election::open(&record).map_err(DemoError::from)?;
    let tally = saylau::election::publish_tally(&record, &election).map_err(DemoError::from)?;
    Ok(RecordVoting {
        seed,
        cast,
        participants: tally.participants,
    })
}

/// Empties the output folder of a previous demo (its record and its board's database), and
/// removes that demo's key file beside it: `board open` never overwrites a key file.
fn prepare_output(dir: &Path) -> Result<(), Failure> {
    let was_a_record = dir.join(record::ELECTION).is_file();
    sim::prepare_output(dir, &BOARD_FILES)?;
    let keys = default_keys_path(dir);
    if was_a_record && keys.is_file() {
        std::fs::remove_file(&keys)
            .map_err(|e| Failure::Other(format!("{}: {e}", keys.display())))?;
    }
    Ok(())
}

/// The demo's board: serving on loopback, with the device's view of its election.
struct LocalBoard {
    runtime: tokio::runtime::Runtime,
    running: RunningBoard,
    url: String,
    election: TrustedElection,
    ordered: bool,
    /// The commission's key, drawn from the seed's own stream; it closes voting.
    commission: CommissionSigningKey,
}

/// What one submission put on the log: its leaf, and for a cast ballot its checked receipt and
/// the leaf the device expects.
struct Sent {
    leaf_index: u64,
    cast: Option<(Receipt, Leaf)>,
}

/// What the voters did, gathered across client threads.
#[derive(Default)]
struct Tally {
    summary: CastSummary,
    first: Option<(Receipt, Leaf)>,
}

impl Tally {
    fn add(&mut self, sent: &Sent) {
        match sent.cast {
            Some((receipt, leaf)) => {
                self.summary.cast += 1;
                let earlier = match &self.first {
                    Some((first, _)) => receipt.position < first.position,
                    None => true,
                };
                if earlier {
                    self.first = Some((receipt, leaf));
                }
            }
            None => self.summary.challenged += 1,
        }
    }
}

impl LocalBoard {
    /// `board open` on the record (keys drawn from the seed's own stream, written beside the
    /// record as `board open` writes them), then `board serve` on `127.0.0.1`, port 0.
    fn open(dir: &Path, seed: u64, ordered: bool) -> Result<Self, Failure> {
        let keys_path = default_keys_path(dir);
        let mut rng = sim::seeded_rng("saylau/v1/demo-board-keys", seed);
        let commission =
            CommissionSigningKey::generate(&mut sim::seeded_rng("saylau/v1/demo-commission", seed));
        let opened = saylau_board::open::open_election(
            dir,
            None,
            &keys_path,
            sim::DEMO_HOST,
            commission.public(),
            &mut rng,
        )?;
        let keys = BoardKeys::read(&keys_path)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::Other(format!("starting the board's runtime: {e}")))?;
        let config = ServeConfig {
            // One address casts every voter's ballot.
            per_ip_rps: 0,
            timed_checkpoints: !ordered,
            // Ballots sent one at a time have no group to wait for.
            batch: match ordered {
                true => BatchPolicy {
                    window: Duration::ZERO,
                    ..BatchPolicy::default()
                },
                false => BatchPolicy::default(),
            },
            ..ServeConfig::default()
        };
        let database = Database::Sqlite(dir.join(DATABASE));
        let running = runtime.block_on(async {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| Failure::Other(format!("listening on {addr}: {e}")))?;
            Ok::<_, Failure>(service::start(dir, &database, &keys, config, listener).await?)
        })?;
        let url = format!("http://{}", running.addr);
        // The device takes F from the commission (here, `board open`), never from the board.
        let election =
            TrustedElection::fetch(&Client::new(&url, None)?, Some(&opened.fingerprint))?;
        Ok(Self {
            runtime,
            running,
            url,
            election,
            ordered,
            commission,
        })
    }

    /// The commission closes voting with its signed `POST /v1/close` (board.md §9.2): the board
    /// appends the close leaf and answers once the closing checkpoint is signed. With `--seed`
    /// the board signs only when told, so the closing checkpoint is signed here meanwhile.
    fn close(&self) -> Result<(), Failure> {
        let fingerprint = *self.election.fingerprint();
        let request = CloseRequest {
            election: fingerprint,
            signature: self.commission.sign_close(&fingerprint),
        };
        let body = serde_json::to_vec(&request).map_err(|e| Failure::Other(e.to_string()))?;
        let client = CommissionClient::new(&self.url).map_err(Failure::Other)?;
        let answer = std::thread::scope(|scope| {
            let post = scope.spawn(|| client.post("/v1/close", &body));
            while !post.is_finished() {
                if self.ordered {
                    self.running.sign_checkpoint()?;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            post.join()
                .map_err(|_| Failure::Other("the close request panicked".into()))?
                .map_err(Failure::Other)
        })?;
        match answer.status {
            200 | 201 => Ok(()),
            _ => Err(Failure::Other(format!(
                "the board refused the close: {}",
                answer.refusal()
            ))),
        }
    }

    /// Every voter's plan, then the revotes, over HTTP; the last checkpoint covers every leaf.
    /// Returns the summary with the first cast ballot's saved receipt, with its proof.
    fn vote(
        &self,
        voters: &[SimulatedVoter],
        seed: u64,
        progress: &Progress,
    ) -> Result<CastSummary, Failure> {
        let election = &self.election;
        let booth = Booth::new(
            &election.manifest,
            election.fingerprint(),
            election.key(),
            seed,
        );
        let plan = |index: usize| {
            booth
                .plan(&voters[index], index as u64)
                .map_err(|e| voter_failure(index, e))
        };
        let revote = |index: usize| {
            booth
                .revote(&voters[index], index as u64)
                .map(|ballot| VoterPlan {
                    actions: vec![BoothAction::Cast(ballot)],
                    revotes: false,
                })
                .map_err(|e| voter_failure(index, e))
        };
        let tally = Mutex::new(Tally::default());
        progress.start("voting", Some(voters.len() as u64));
        let revoters = self.each_voter((0..voters.len()).collect(), &plan, &tally, progress)?;
        progress.finish();
        // Late revotes, after everyone else: the board keeps both, the tally counts the last.
        let revoted = revoters.len() as u64;
        self.each_voter(revoters, &revote, &tally, &Progress::none())?;
        let size = self.running.sign_checkpoint()?;
        let Tally { mut summary, first } = tally.into_inner().map_err(poisoned)?;
        summary.revoted = revoted;
        if let (Some((receipt, leaf)), Some(size)) = (first, size) {
            summary.first_receipt = Some(self.saved_receipt(receipt, &leaf, size)?);
        }
        Ok(summary)
    }

    /// Makes and sends the plans of the voters `indices`: in that order, one at a time, with
    /// `--seed`; else [`CLIENTS`] voters at once. Returns the voters who will vote again, in
    /// voter order.
    fn each_voter(
        &self,
        indices: Vec<usize>,
        plan: &(dyn Fn(usize) -> Result<VoterPlan, Failure> + Sync),
        tally: &Mutex<Tally>,
        progress: &Progress,
    ) -> Result<Vec<usize>, Failure> {
        let mut revoters = Vec::new();
        if self.ordered {
            // Ballots are made in parallel a chunk at a time, the next chunk while this one's
            // are sent in voter order.
            let client = Client::new(&self.url, None)?;
            let make = |chunk: &[usize]| -> Vec<Result<VoterPlan, Failure>> {
                chunk.par_iter().map(|&index| plan(index)).collect()
            };
            let mut chunks = indices.chunks(CHECKPOINT_EVERY as usize);
            std::thread::scope(|scope| -> Result<(), Failure> {
                let mut current = chunks.next().map(|chunk| (chunk, make(chunk)));
                while let Some((chunk, plans)) = current.take() {
                    let next = chunks
                        .next()
                        .map(|chunk| (chunk, scope.spawn(move || make(chunk))));
                    for (&index, made) in chunk.iter().zip(plans) {
                        self.send_plan(&client, index, made?, tally, &mut revoters)?;
                        progress.advance(1);
                    }
                    current = match next {
                        Some((chunk, making)) => Some((chunk, making.join().map_err(poisoned)?)),
                        None => None,
                    };
                }
                Ok(())
            })?;
            return Ok(revoters);
        }
        let next = AtomicUsize::new(0);
        let results: Vec<Result<Vec<usize>, Failure>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..CLIENTS.min(indices.len()))
                .map(|_| {
                    scope.spawn(|| {
                        let client = Client::new(&self.url, None)?;
                        let mut mine = Vec::new();
                        while let Some(&index) = indices.get(next.fetch_add(1, Ordering::Relaxed)) {
                            let sent = plan(index).and_then(|made| {
                                self.send_plan(&client, index, made, tally, &mut mine)
                            });
                            if let Err(error) = sent {
                                // The other clients stop at their next voter.
                                next.store(indices.len(), Ordering::Relaxed);
                                return Err(error);
                            }
                            progress.advance(1);
                        }
                        Ok(mine)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().unwrap_or_else(|_| Err(poisoned(()))))
                .collect()
        });
        for result in results {
            revoters.extend(result?);
        }
        revoters.sort_unstable();
        Ok(revoters)
    }

    /// Sends one voter's actions in order. With `--seed`, signs a checkpoint whenever the log
    /// reaches a multiple of [`CHECKPOINT_EVERY`] leaves.
    fn send_plan(
        &self,
        client: &Client,
        index: usize,
        plan: VoterPlan,
        tally: &Mutex<Tally>,
        revoters: &mut Vec<usize>,
    ) -> Result<(), Failure> {
        if plan.abstains() {
            tally.lock().map_err(poisoned)?.summary.abstained += 1;
        }
        if plan.revotes {
            revoters.push(index);
        }
        for action in &plan.actions {
            let sent = self.send(client, index, action)?;
            tally.lock().map_err(poisoned)?.add(&sent);
            if self.ordered && (sent.leaf_index + 1) % CHECKPOINT_EVERY == 0 {
                self.running.sign_checkpoint()?;
            }
        }
        Ok(())
    }

    /// One action at the booth, as `saylau vote` does it: a challenge is published with
    /// `POST /v1/challenged`; a cast ballot goes to `POST /v1/ballots` and its receipt is
    /// checked against the board key `F` binds.
    fn send(&self, client: &Client, index: usize, action: &BoothAction) -> Result<Sent, Failure> {
        let election = self.election.fingerprint();
        let fail = |detail: String| voter_failure(index, detail);
        match action {
            BoothAction::Challenge(challenged) => {
                let json = serde_json::to_vec(challenged).map_err(|e| fail(e.to_string()))?;
                let answer = client
                    .challenge(election, &json)
                    .map_err(|e| fail(e.to_string()))?;
                let hash = challenged.body.hash();
                if answer.ballot_hash.0 != hash {
                    return Err(fail(format!(
                        "the board published the challenge under ballot hash {}, not {}",
                        hex::encode(answer.ballot_hash.0),
                        hex::encode(hash)
                    )));
                }
                Ok(Sent {
                    leaf_index: answer.leaf_index,
                    cast: None,
                })
            }
            BoothAction::Cast(ballot) => {
                let json = serde_json::to_vec(ballot).map_err(|e| fail(e.to_string()))?;
                let hash = ballot.body.hash();
                let answer = client
                    .cast_until_answered(election, &json, 3)
                    .map_err(|e| fail(e.to_string()))?;
                self.election
                    .check_receipt(&answer.receipt, &hash)
                    .map_err(fail)?;
                Ok(Sent {
                    leaf_index: answer.receipt.leaf_index,
                    cast: Some((
                        answer.receipt,
                        Leaf::cast(&ballot.body.credential, hash, &ballot.signature),
                    )),
                })
            }
        }
    }

    /// The first cast ballot's receipt as its device saves it: with the checkpoint of `size`
    /// and the inclusion proof of its leaf, both checked. No board address: the demo's board
    /// is gone once the demo ends, and its port changes from run to run.
    fn saved_receipt(
        &self,
        receipt: Receipt,
        leaf: &Leaf,
        size: u64,
    ) -> Result<SavedReceipt, Failure> {
        let index = receipt.leaf_index;
        let proof = Client::new(&self.url, None)?
            .proof(index, Some(size))?
            .ok_or_else(|| {
                Failure::Other(format!(
                    "no signed checkpoint of size {size} covers leaf {index}"
                ))
            })?;
        let log_key = super::vote::log_key(&self.election).map_err(Failure::Other)?;
        let signed = open_checkpoint(&proof.checkpoint, self.election.fingerprint(), &log_key)
            .map_err(|e| Failure::Other(e.to_string()))?;
        check_inclusion(signed.checkpoint(), index, leaf, &proof.inclusion)
            .map_err(|e| Failure::Other(e.to_string()))?;
        Ok(SavedReceipt {
            short_code: Some(ShortCode::of(&receipt.tracking_code).to_string()),
            receipt,
            board: None,
            inclusion: saved::proof_list(&proof.inclusion),
            checkpoint: Some(proof.checkpoint),
            leaf: Some(*leaf),
        })
    }

    /// Writes the board's ballots, challenged ballots and log into the record, cut at its last
    /// signed checkpoint (the `board export` code, on one of the board's read connections).
    fn export(&self, dir: &Path) -> Result<u64, Failure> {
        let readers = std::sync::Arc::clone(&self.running.board().readers);
        let dir = dir.to_path_buf();
        let exported = self
            .runtime
            .block_on(
                readers.read(move |store| Ok(saylau_board::export::export_to_dir(store, &dir))),
            )
            .map_err(|e| Failure::Other(format!("board export: {}", e.body.error.message)))?;
        Ok(exported?)
    }

    /// Stops the board: requests in progress finish, the sequencer and the store close.
    fn stop(self) -> Result<(), Failure> {
        Ok(self.runtime.block_on(self.running.shutdown())?)
    }
}

fn voter_failure(index: usize, error: impl std::fmt::Display) -> Failure {
    Failure::Voter {
        voter: index as u64 + 1,
        detail: error.to_string(),
    }
}

fn poisoned<T>(_: T) -> Failure {
    Failure::Other("a voter's thread panicked".into())
}
