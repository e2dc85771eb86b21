//! A whole election in one process, and the steps `saylau demo` shares with it.
//!
//! `saylau demo` itself casts over HTTP to a real board (`crates/cli/src/cli/demo.rs`); it uses
//! the steps here that do not talk to a board: the options, the output folder, the ceremony, the
//! simulated voters and what each does at the booth ([`Booth`]), and the trustees' decryption
//! and count ([`decrypt_and_count`]). [`run`] chains the same steps around an in-process ballot
//! box, for the library's tests, vectors and benches, which build records without a server.
//!
//! Every step goes through the same types and files as a real election: the ceremony through
//! its rounds, ballots through the ballot box, decryption through trustee shares written to the
//! record, so a demo record is verified exactly like a real one.

use crate::ballot::{Ballot, BallotBody, BallotError, BallotSecrets};
use crate::ceremony::{run_in_process, CeremonyRecord, KeyShare};
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::{EncryptionKey, Secret};
use crate::crypto::group::GroupElement;
use crate::election::VerifiedTally;
use crate::election::{
    BallotBox, BoardKey, BoardKeys, CastError, Election, ElectionError, SavedReceipt,
};
use crate::log::checkpoint::LogSigningKey;
use crate::manifest::{ContestKind, Manifest};
use crate::progress::Progress;
use crate::record::{self, CredentialList, Record, RecordError, RecordIndex};
use crate::tally::results::Results;
use crate::tally::{self, DecryptionShare};
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What `saylau demo` runs.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// Registered voters (each gets a credential; most of them vote).
    pub voters: u64,
    /// Trustees `n`.
    pub trustees: u32,
    /// Threshold `t`.
    pub threshold: u32,
    /// Trustees who do not take part in decryption (the highest indices).
    pub absent: u32,
    /// Seed for a reproducible run; `None` draws one from the operating system.
    pub seed: Option<u64>,
    /// The record directory.
    pub out: PathBuf,
    /// Where the casting reports its progress.
    pub progress: Progress,
}

/// Why the demo stopped.
#[derive(Debug, Error)]
pub enum DemoError {
    /// Bad options.
    #[error("{0}")]
    Options(String),
    /// Reading or writing the record.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Opening the election.
    #[error(transparent)]
    Election(#[from] ElectionError),
    /// The key ceremony failed.
    #[error("key ceremony: {0}")]
    Ceremony(#[from] crate::ceremony::CeremonyError),
    /// The board refused a simulated ballot (a bug: honest ballots must be accepted).
    #[error("board refused a ballot: {0}")]
    Cast(#[from] CastError),
    /// Encrypting a ballot failed.
    #[error("ballot: {0}")]
    Ballot(#[from] crate::ballot::BallotError),
    /// Decryption failed.
    #[error("decryption: {0}")]
    Tally(#[from] crate::tally::TallyError),
    /// The board fails the verifier's checks 2–12 (a trustee refuses to decrypt it).
    #[error(transparent)]
    BoardRejected(#[from] crate::verify::BoardRejected),
    /// The commission's count refused the shares.
    #[error(transparent)]
    Trustee(#[from] crate::trustee::TrusteeError),
    /// A rule could not be applied.
    #[error("contest {0}: {1}")]
    Rules(usize, crate::rules::RulesError),
}

/// What happened on the board during the demo.
#[derive(Clone, Debug, Default)]
pub struct CastSummary {
    /// Ballots accepted.
    pub cast: u64,
    /// Ballots challenged (spoiled) and published.
    pub challenged: u64,
    /// Voters who cast more than once (only their last ballot counts).
    pub revoted: u64,
    /// Registered voters who did not vote.
    pub abstained: u64,
    /// The board's signed receipt for the first ballot cast, as its voter's device saves it:
    /// with the last checkpoint and the inclusion proof of the ballot's leaf in it.
    pub first_receipt: Option<SavedReceipt>,
}

/// The demo's result.
#[derive(Clone, Debug)]
pub struct DemoOutcome {
    /// The record directory.
    pub dir: PathBuf,
    /// The seed used.
    pub seed: u64,
    /// The board summary.
    pub cast: CastSummary,
    /// The published results.
    pub results: Results,
    /// The record root hash.
    pub root: Hash,
    /// The manifest, for display.
    pub manifest: Manifest,
}

/// Record files the demo may replace in an existing output directory.
pub const OWNED: &[&str] = &[
    record::MANIFEST,
    record::CEREMONY,
    record::CREDENTIALS,
    record::ELECTION,
    record::BALLOTS,
    record::CHALLENGED,
    record::TALLY,
    record::LOG_DIR,
    record::DECRYPTION_DIR,
    record::RESULTS,
    record::INDEX,
    "results.svg",
    // The advisory decoding hints beside the record (record.md §8).
    "hints",
    EXAMPLE_RECEIPT,
];

/// Empties `dir` of a previous record, refusing if it holds anything but the files of
/// [`OWNED`] and `also` (the files a caller keeps beside the record, such as a board's
/// database).
pub fn prepare_output(dir: &Path, also: &[&str]) -> Result<(), DemoError> {
    if let Ok(entries) = std::fs::read_dir(dir) {
        let names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        if let Some(foreign) = names
            .iter()
            .find(|n| !OWNED.contains(&n.as_str()) && !also.contains(&n.as_str()))
        {
            return Err(DemoError::Options(format!(
                "{} already holds {foreign:?}, which is not part of an election record; choose another --out",
                dir.display()
            )));
        }
        for name in names {
            let path = dir.join(&name);
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(|error| RecordError::Io { file: name, error })?;
        }
    }
    std::fs::create_dir_all(dir).map_err(|error| RecordError::Io {
        file: dir.display().to_string(),
        error,
    })?;
    Ok(())
}

/// A file the demo writes next to the record, not part of it (like `results.svg`): the first
/// voter's saved receipt, with its checkpoint and inclusion proof (spec `board.md` §3.4).
pub const EXAMPLE_RECEIPT: &str = "receipt-example.json";

/// The keys of the board of `saylau demo --seed seed` (what [`run`] uses), so that a test can
/// re-sign what an operator holding them could.
pub fn demo_keys(seed: u64) -> BoardKeys {
    demo_board_keys("saylau/v1/demo-board", seed)
}

/// The demo board's keys, each from its own stream of the seed, so the seed reproduces the
/// record and the rest of the demo draws the same values it always did: the receipt key from
/// `TH(label, [u64le(seed)])`, the log key's seed is `TH(label + "/log", [u64le(seed)])`.
fn demo_board_keys(label: &str, seed: u64) -> BoardKeys {
    let seed = seed.to_le_bytes();
    BoardKeys {
        receipt: BoardKey::generate(&mut ChaCha20Rng::from_seed(tagged_hash(label, &[&seed]))),
        log: LogSigningKey::from_seed(tagged_hash(&format!("{label}/log"), &[&seed])),
    }
}

/// The commission's key in a demo: it is drawn from the demo board's log key, so the seed
/// reproduces it, and whoever holds the demo's keys holds it too (`TH("saylau/v1/demo-commission",
/// [log seed])`). A real commission's key is its own (`saylau commission new`).
pub fn demo_commission(board_keys: &BoardKeys) -> record::CommissionSigningKey {
    let seed = board_keys.log.seed();
    record::CommissionSigningKey::from_seed(tagged_hash("saylau/v1/demo-commission", &[&*seed]))
}

/// The host in the demo log's origin (spec `board.md` §7.6).
pub const DEMO_HOST: &str = "localhost";

fn trustee_names(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("Commission member {i}")).collect()
}

impl DemoConfig {
    /// Refuses options that cannot make an election, before anything is written.
    pub fn check(&self) -> Result<(), DemoError> {
        if self.voters == 0 {
            return Err(DemoError::Options("--voters must be at least 1".into()));
        }
        if self.threshold == 0 || self.threshold > self.trustees {
            return Err(DemoError::Options(format!(
                "--threshold must be between 1 and --trustees ({})",
                self.trustees
            )));
        }
        if self.absent > self.trustees - self.threshold {
            return Err(DemoError::Options(format!(
                "--absent {} leaves fewer than t = {} trustees to decrypt",
                self.absent, self.threshold
            )));
        }
        Ok(())
    }

    /// The seed: the one given, or one drawn from the operating system.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or_else(|| OsRng.next_u64())
    }
}

/// The demo's main random stream for `seed`: the ceremony, the credentials and the trustees'
/// decryption draw from it, in that order.
pub fn demo_rng(seed: u64) -> ChaCha20Rng {
    seeded_rng("saylau/v1/demo", seed)
}

/// A random stream of its own for `seed`: ChaCha20 seeded with `TH(label, [u64le(seed)])`.
pub fn seeded_rng(label: &str, seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(tagged_hash(label, &[&seed.to_le_bytes()]))
}

/// The commission publishes the default manifest and runs the key ceremony of `trustees`
/// trustees with threshold `threshold` in this process; writes `manifest.json` and
/// `ceremony.json` and returns the trustees' key shares.
pub fn publish_ceremony<R: RngCore + rand_core::CryptoRng>(
    record: &Record,
    trustees: u32,
    threshold: u32,
    rng: &mut R,
) -> Result<Vec<KeyShare>, DemoError> {
    let manifest = Manifest::example();
    let manifest_bytes = record.write_json(record::MANIFEST, &manifest)?;
    let (ceremony, key_shares) = run_in_process(
        &Manifest::hash_bytes(&manifest_bytes),
        &trustee_names(trustees),
        threshold,
        rng,
    )?;
    record.write_json(record::CEREMONY, &ceremony)?;
    Ok(key_shares)
}

/// Runs the whole election in one process and writes its record.
pub fn run(config: &DemoConfig) -> Result<DemoOutcome, DemoError> {
    config.check()?;
    let seed = config.seed();
    let mut rng = demo_rng(seed);
    prepare_output(&config.out, &[])?;
    let dir = config.out.as_path();
    let record = Record::at(dir);

    // 1. The commission publishes the manifest and runs the key ceremony.
    let key_shares = publish_ceremony(&record, config.trustees, config.threshold, &mut rng)?;

    // 2. The registrar issues credentials, the board draws its receipt key, and the election
    // opens.
    let voters = register_voters(config.voters, &mut rng);
    let board_keys = demo_board_keys("saylau/v1/demo-board", seed);
    let election = open_election(
        &record,
        voters.iter().map(|v| v.public).collect(),
        &board_keys,
    )?;

    // 3. Voting. One voter's receipt is kept next to the record, to try `saylau receipt` with.
    let cast = cast_simulated(
        &record,
        &election,
        &voters,
        &board_keys,
        seed,
        &config.progress,
    )?;
    if let Some(receipt) = &cast.first_receipt {
        record.write_json(EXAMPLE_RECEIPT, receipt)?;
    }

    // 4. Tally and decryption by the trustees present.
    tally_and_count(
        &record,
        &election,
        &key_shares,
        config,
        seed,
        cast,
        &mut rng,
    )
}

/// The end of the demo's election: the commission publishes `tally.json`, the trustees present
/// (all but the `absent` highest) decrypt, and the commission counts; returns what the demo
/// reports.
pub fn tally_and_count<R: RngCore + rand_core::CryptoRng>(
    record: &Record,
    election: &Election,
    key_shares: &[KeyShare],
    config: &DemoConfig,
    seed: u64,
    cast: CastSummary,
    rng: &mut R,
) -> Result<DemoOutcome, DemoError> {
    crate::election::publish_tally(record, election)?;
    let present = config.trustees - config.absent;
    let results = decrypt_and_count(record, election, key_shares, present, rng)?;
    let root = RecordIndex::compute(record.dir()).map(|index| index.root)?;
    Ok(DemoOutcome {
        dir: record.dir().to_path_buf(),
        seed,
        cast,
        results,
        root,
        manifest: election.manifest.clone(),
    })
}

/// The trustees `1..=present` decrypt the tally of the record's `tally.json`, then the
/// commission counts (`results.json`, `record.json`). Each trustee verifies the board before
/// decrypting; in one process they would all get the same answer, so the board is verified
/// once and every trustee decrypts the tally so verified (spec `ceremony.md` §14.6).
pub fn decrypt_and_count<R: RngCore + rand_core::CryptoRng>(
    record: &Record,
    election: &Election,
    key_shares: &[KeyShare],
    present: u32,
    rng: &mut R,
) -> Result<Results, DemoError> {
    let verified = crate::verify::verified_tally(record)?;
    for key_share in key_shares.iter().filter(|k| k.index() <= present) {
        trustee_decrypt(record, election, key_share, &verified, rng)?;
    }
    Ok(crate::trustee::finish_tally(record, election)?)
}

/// A simulated voter: a credential and whether and how they vote.
pub struct SimulatedVoter {
    /// The credential secret (held by the voter).
    pub secret: Secret,
    /// The public credential (on the list).
    pub public: GroupElement,
}

impl SimulatedVoter {
    /// Picks choices and has the device encrypt them (not yet cast or challenged).
    pub fn fill_in<R: RngCore + rand_core::CryptoRng>(
        &self,
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &EncryptionKey,
        rng: &mut R,
    ) -> Result<(BallotBody, BallotSecrets), BallotError> {
        let choices = simulated_choices(manifest, rng);
        BallotBody::encrypt(manifest, fingerprint, key, &self.public, &choices, rng)
    }

    /// Fills in a ballot and signs it with the credential: a ballot ready to cast.
    pub fn cast<R: RngCore + rand_core::CryptoRng>(
        &self,
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &EncryptionKey,
        rng: &mut R,
    ) -> Result<Ballot, BallotError> {
        let (body, _secrets) = self.fill_in(manifest, fingerprint, key, rng)?;
        body.sign(fingerprint, &self.secret, rng)
    }
}

/// Issues `count` credentials.
pub fn register_voters<R: RngCore + rand_core::CryptoRng>(
    count: u64,
    rng: &mut R,
) -> Vec<SimulatedVoter> {
    (0..count)
        .map(|_| {
            let secret = Secret::random(rng);
            let public = secret.public_element();
            SimulatedVoter { secret, public }
        })
        .collect()
}

/// Publishes the credential list and `election.json` next to an existing `manifest.json` and
/// `ceremony.json`, opening the election for voting; `board_keys` are the keys the board signs
/// receipts and checkpoints with (their public halves go into `election.json`, with no
/// witnesses, and `trustee_identities` as the record shows it).
pub fn open_election(
    record: &Record,
    credentials: Vec<GroupElement>,
    board_keys: &BoardKeys,
) -> Result<Election, DemoError> {
    let (manifest, manifest_bytes): (Manifest, _) = record.json(record::MANIFEST)?;
    let (ceremony, ceremony_bytes): (CeremonyRecord, _) = record.json(record::CEREMONY)?;
    if ceremony.manifest_hash != Manifest::hash_bytes(&manifest_bytes) {
        return Err(DemoError::Options(
            "ceremony.json was run for another manifest.json".into(),
        ));
    }
    ceremony.verify()?;
    let list = CredentialList { credentials };
    let credentials_bytes = record.write_json(record::CREDENTIALS, &list)?;
    let info = record::ElectionInfo::new(
        Manifest::hash_bytes(&manifest_bytes),
        record::file_hash(&ceremony_bytes),
        record::file_hash(&credentials_bytes),
        ceremony.joint_key,
        board_keys.receipt.public(),
        board_keys.log.public(),
        demo_commission(board_keys).public(),
        record::WitnessPolicy::none(),
        crate::election::trustee_identities(record),
    );
    record.write_json(record::ELECTION, &info)?;
    Ok(Election {
        manifest,
        ceremony,
        credentials: list.credentials.iter().map(|c| *c.as_bytes()).collect(),
        info,
    })
}

/// Popularity weights of the demo's simulated electorate, per contest kind.
fn weights(kind: ContestKind, options: usize, contest: usize) -> Vec<u32> {
    match (kind, contest) {
        (ContestKind::SingleChoice {}, _) => [38, 24, 14, 9, 6, 4, 5]
            .iter()
            .copied()
            .chain(std::iter::repeat(3))
            .take(options)
            .collect(),
        (ContestKind::PartyList {}, _) => [45, 12, 9, 8, 7, 6, 3]
            .iter()
            .copied()
            .chain(std::iter::repeat(2))
            .take(options)
            .collect(),
        (ContestKind::Referendum {}, _) => vec![62, 38],
        _ => vec![1; options],
    }
}

/// A simulated voter's choices: one value per option, within the manifest's limits.
pub fn simulated_choices<R: RngCore>(manifest: &Manifest, rng: &mut R) -> Vec<Vec<u64>> {
    manifest
        .contests
        .iter()
        .enumerate()
        .map(|(c, contest)| {
            let n = contest.options.len();
            let mut values = vec![0u64; n];
            match contest.kind {
                ContestKind::Approval { min, max } => {
                    let picks = rng.gen_range(min..=max) as usize;
                    let mut order: Vec<usize> = (0..n).collect();
                    for i in 0..picks {
                        let j = rng.gen_range(i..n);
                        order.swap(i, j);
                        values[order[i]] = 1;
                    }
                }
                ContestKind::Score {
                    max_score,
                    max_total,
                } => {
                    let mut left = max_total;
                    for value in values.iter_mut() {
                        let v = rng.gen_range(0..=max_score.min(left));
                        *value = v;
                        left -= v;
                    }
                }
                kind => {
                    let weights = weights(kind, n, c);
                    let total: u32 = weights.iter().sum();
                    let mut pick = rng.gen_range(0..total);
                    let chosen = weights.iter().position(|&w| {
                        let hit = pick < w;
                        pick = pick.saturating_sub(w);
                        hit
                    });
                    values[chosen.unwrap_or(0)] = 1;
                }
            }
            values
        })
        .collect()
}

/// What one simulated voter does at the booth.
// Each action is made once and sent once: boxing the ballot would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum BoothAction {
    /// The voter challenges the device: the ballot is opened and published, never counted.
    Challenge(crate::ballot::ChallengedBallot),
    /// The voter casts the ballot.
    Cast(Ballot),
}

/// What one simulated voter does: the actions at the booth, in order, and whether the voter
/// comes back later to vote again.
#[derive(Clone, Debug)]
pub struct VoterPlan {
    /// Nothing for a voter who abstains; else an optional challenge, then a cast.
    pub actions: Vec<BoothAction>,
    /// Whether the voter votes again after everyone else ([`Booth::revote`]).
    pub revotes: bool,
}

impl VoterPlan {
    /// Whether the voter abstains.
    pub fn abstains(&self) -> bool {
        self.actions.is_empty()
    }
}

/// The simulated electorate's devices for one election: what each voter does is drawn from the
/// seed and the voter's number alone, so the same seed gives the same ballots whatever order
/// or thread they are made in.
pub struct Booth<'a> {
    manifest: &'a Manifest,
    fingerprint: &'a Hash,
    key: EncryptionKey,
    seed: u64,
}

impl<'a> Booth<'a> {
    /// The booth of the election with this manifest, fingerprint and joint key.
    pub fn new(
        manifest: &'a Manifest,
        fingerprint: &'a Hash,
        key: EncryptionKey,
        seed: u64,
    ) -> Self {
        Self {
            manifest,
            fingerprint,
            key,
            seed,
        }
    }

    /// Voter `index` (from 0): 8% abstain, 2% challenge their device once before casting, 3%
    /// vote again later (only the last ballot counts).
    pub fn plan(&self, voter: &SimulatedVoter, index: u64) -> Result<VoterPlan, BallotError> {
        let mut rng = ChaCha20Rng::from_seed(tagged_hash(
            "saylau/v1/demo-voter",
            &[&self.seed.to_le_bytes(), &index.to_le_bytes()],
        ));
        let roll = rng.gen_range(0..100u32);
        let mut actions = Vec::new();
        if roll < 8 {
            return Ok(VoterPlan {
                actions,
                revotes: false,
            });
        }
        if roll < 10 {
            let (body, secrets) =
                voter.fill_in(self.manifest, self.fingerprint, &self.key, &mut rng)?;
            actions.push(BoothAction::Challenge(body.challenge(secrets)));
        }
        actions.push(BoothAction::Cast(voter.cast(
            self.manifest,
            self.fingerprint,
            &self.key,
            &mut rng,
        )?));
        Ok(VoterPlan {
            actions,
            revotes: (10..13).contains(&roll),
        })
    }

    /// The later ballot of voter `index`, whose plan says the voter votes again.
    pub fn revote(&self, voter: &SimulatedVoter, index: u64) -> Result<Ballot, BallotError> {
        let mut rng = ChaCha20Rng::from_seed(tagged_hash(
            "saylau/v1/demo-revote",
            &[&self.seed.to_le_bytes(), &index.to_le_bytes()],
        ));
        voter.cast(self.manifest, self.fingerprint, &self.key, &mut rng)
    }
}

/// Simulates the voters of [`Booth::plan`]. Ballots are encrypted in parallel and cast in
/// order through the ballot box, which checks each one; the revotes come after everyone else.
pub fn cast_simulated(
    record: &Record,
    election: &Election,
    voters: &[SimulatedVoter],
    board_keys: &BoardKeys,
    seed: u64,
    progress: &Progress,
) -> Result<CastSummary, DemoError> {
    let booth = Booth::new(
        &election.manifest,
        election.fingerprint(),
        EncryptionKey::new(*election.key()),
        seed,
    );
    let mut board = BallotBox::open(record, election, board_keys, DEMO_HOST)?;
    // One process casts everything and syncs once at the end; a live board syncs per ballot.
    board.sync_every_ballot(false);
    progress.start("voting", Some(voters.len() as u64));
    let mut summary = CastSummary::default();
    let mut first_receipt = None;
    let mut revotes = Vec::new();
    const CHUNK: usize = 256;
    for (chunk_index, chunk) in voters.chunks(CHUNK).enumerate() {
        let first = chunk_index * CHUNK;
        let plans: Vec<Result<VoterPlan, BallotError>> = chunk
            .par_iter()
            .enumerate()
            .map(|(i, voter)| booth.plan(voter, (first + i) as u64))
            .collect();
        let mut to_cast = Vec::new();
        for (i, plan) in plans.into_iter().enumerate() {
            let plan = plan?;
            if plan.abstains() {
                summary.abstained += 1;
            }
            if plan.revotes {
                revotes.push(first + i);
            }
            for action in plan.actions {
                match action {
                    BoothAction::Challenge(challenged) => {
                        board.publish_challenge(challenged)?;
                        summary.challenged += 1;
                    }
                    BoothAction::Cast(ballot) => to_cast.push(ballot),
                }
            }
        }
        cast_all(&mut board, to_cast, &mut summary, &mut first_receipt)?;
        progress.advance(chunk.len() as u64);
    }
    // Late revotes, after everyone else: the board keeps both, the tally counts the last.
    let late: Vec<Result<Ballot, BallotError>> = revotes
        .par_iter()
        .map(|&index| booth.revote(&voters[index], index as u64))
        .collect();
    let late = late.into_iter().collect::<Result<Vec<_>, _>>()?;
    summary.revoted = late.len() as u64;
    cast_all(&mut board, late, &mut summary, &mut first_receipt)?;
    // The commission closes voting: the close leaf and the closing checkpoint (board.md §9.2).
    board.close(demo_commission(board_keys).sign_close(election.fingerprint()))?;
    board.sync()?;
    summary.first_receipt = first_receipt.map(|receipt| board.saved_receipt(receipt, None));
    progress.finish();
    Ok(summary)
}

fn cast_all(
    board: &mut BallotBox<'_>,
    ballots: Vec<crate::ballot::Ballot>,
    summary: &mut CastSummary,
    first_receipt: &mut Option<crate::election::Receipt>,
) -> Result<(), DemoError> {
    let checked: Vec<Result<Hash, CastError>> = ballots
        .par_iter()
        .map(|ballot| board.check(ballot))
        .collect();
    for (ballot, hash) in ballots.into_iter().zip(checked) {
        let receipt = board.append_checked(ballot, hash?)?;
        first_receipt.get_or_insert(receipt);
        summary.cast += 1;
    }
    Ok(())
}

/// One trustee's decryption of a tally that [`crate::verify::verified_tally`] returned: publishes
/// `decryption/trustee-<i>.json` (spec `tally.md` §2).
pub fn trustee_decrypt<R: RngCore + rand_core::CryptoRng>(
    record: &Record,
    election: &Election,
    key_share: &KeyShare,
    verified: &VerifiedTally,
    rng: &mut R,
) -> Result<DecryptionShare, DemoError> {
    let share = tally::decrypt_share(election.fingerprint(), key_share, verified.tally(), rng)?;
    record.write_json(&record::decryption_file_name(key_share.index()), &share)?;
    Ok(share)
}
