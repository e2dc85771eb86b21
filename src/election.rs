//! An election on its record: the published context (manifest, ceremony, credentials,
//! fingerprint), the ballot box that accepts ballots onto the board, and the encrypted tally.
//!
//! Spec: `protocol-spec/record.md` §3 (fingerprint), `board.md` (casting, tracking codes,
//! revoting), `ballot.md` §10 and `verifier.md` §2 check 12 (which ballots are summed).

use crate::ballot::{Ballot, BallotError, ChallengedBallot};
use crate::ceremony::CeremonyRecord;
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::{Ciphertext, CiphertextSum, PublicKey, Secret};
use crate::crypto::error::ProofError;
use crate::crypto::group::hash_hex;
use crate::manifest::Manifest;
use crate::crypto::proofs::SchnorrProof;
use crate::record::{
    self, BallotLine, ChallengedLine, ElectionInfo, LinesReader, LinesWriter, RecordError,
};
use crate::tally::EncryptedTally;
use crate::crypto::transcript::Transcript;
use curve25519_dalek::scalar::Scalar;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

/// Why an election could not be opened or published.
#[derive(Debug, Error)]
pub enum ElectionError {
    /// A record file could not be read or written.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The manifest breaks its rules.
    #[error("manifest.json: {0}")]
    Manifest(String),
    /// `credentials.json` lists something that is not a credential.
    #[error("credentials.json: {0}")]
    Credentials(String),
    /// `election.json` does not match the files it hashes.
    #[error("election.json: {0}")]
    Mismatch(String),
}

/// The published context of one election.
#[derive(Clone, Debug)]
pub struct Election {
    /// The election definition.
    pub manifest: Manifest,
    /// The key ceremony's public transcript.
    pub ceremony: CeremonyRecord,
    /// The encodings of the eligible voters' public credentials, in `credentials.json` order
    /// (each checked to be a canonical point other than the identity).
    pub credentials: Vec<[u8; 32]>,
    /// The fingerprint and its inputs.
    pub info: ElectionInfo,
}

impl Election {
    /// The fingerprint every proof binds.
    pub fn fingerprint(&self) -> &Hash {
        &self.info.fingerprint
    }

    /// The joint election key.
    pub fn key(&self) -> &PublicKey {
        &self.info.joint_key
    }

    /// Reads the election's context from a record, checking that `election.json` matches the
    /// files it hashes. (The verifier re-checks all of it and more; this is the strict loader
    /// for the board and the trustees.)
    pub fn open(dir: &Path) -> Result<Self, ElectionError> {
        let (manifest, manifest_bytes): (Manifest, _) = record::read_json(dir, record::MANIFEST)?;
        let (ceremony, ceremony_bytes): (CeremonyRecord, _) =
            record::read_json(dir, record::CEREMONY)?;
        let (credentials, credentials_hash) = record::read_credential_encodings(dir)?;
        if let Some((i, error)) = record::invalid_credentials(&credentials).first() {
            return Err(ElectionError::Credentials(format!(
                "credentials[{i}]: {error}"
            )));
        }
        let (info, _): (ElectionInfo, _) = record::read_json(dir, record::ELECTION)?;
        let expected = ElectionInfo::new(
            Manifest::hash_bytes(&manifest_bytes),
            record::file_hash(&ceremony_bytes),
            credentials_hash,
            ceremony.joint_key,
            info.board_key,
        );
        let problems = manifest.check();
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(ElectionError::Manifest(list.join("; ")));
        }
        ceremony
            .verify()
            .map_err(|e| ElectionError::Mismatch(format!("ceremony.json does not verify: {e}")))?;
        if ceremony.manifest_hash != expected.manifest_hash {
            return Err(ElectionError::Mismatch(
                "ceremony.json was run for another manifest".into(),
            ));
        }
        if expected != info {
            return Err(ElectionError::Mismatch("its hashes, key or fingerprint do not match manifest.json, ceremony.json and credentials.json".into()));
        }
        Ok(Self {
            manifest,
            ceremony,
            credentials,
            info,
        })
    }
}

/// The board's receipt-signing key `b` (spec `board.md` §3.1). Its public half `B = b·G` is
/// `election.json`'s `board_key`, bound into the fingerprint; the secret never enters the record.
pub struct BoardKey {
    secret: Secret,
    public: PublicKey,
}

impl std::fmt::Debug for BoardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardKey")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl BoardKey {
    /// A fresh key (redrawn in the negligible case that `B` is the identity, which no reader
    /// accepts).
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let secret = Secret::random(rng);
            if let Ok(public) = PublicKey::new(secret.public_element()) {
                return Self { secret, public };
            }
        }
    }

    /// `B = b·G`.
    pub fn public(&self) -> PublicKey {
        self.public
    }

    /// Signs a receipt (spec `board.md` §3.1). The nonce is derived from the secret and the
    /// receipt, as in EdDSA: no randomness to get wrong, and the same receipt always gets the
    /// same signature.
    pub fn sign(
        &self,
        election: Hash,
        position: u64,
        ballot_hash: Hash,
        tracking_code: Hash,
    ) -> Result<Receipt, ProofError> {
        let mut receipt = Receipt {
            version: 1,
            election,
            position,
            ballot_hash,
            tracking_code,
            signature: SchnorrProof {
                commitment: *self.public.element(),
                response: Scalar::ZERO,
            },
        };
        let message = receipt.message();
        let mut seed = Zeroizing::new(tagged_hash(
            "saylau/v1/receipt-nonce",
            &[self.secret.expose().as_bytes(), &message],
        ));
        let mut nonces = ChaCha20Rng::from_seed(*seed);
        seed.zeroize();
        receipt.signature = SchnorrProof::prove(
            &mut receipt_transcript(&election, &message),
            self.public.element(),
            &self.secret,
            &mut nonces,
        )?;
        Ok(receipt)
    }
}

/// A voter's receipt for a cast ballot, signed by the board (spec `board.md` §3.1): what the
/// voter keeps, and evidence against the board if the ballot is missing from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Format version, 1.
    pub version: u32,
    /// The election fingerprint `F`.
    #[serde(with = "hash_hex")]
    pub election: Hash,
    /// Position on the board (1-based, among the cast ballots).
    pub position: u64,
    /// The ballot hash the device showed.
    #[serde(with = "hash_hex")]
    pub ballot_hash: Hash,
    /// The tracking code: the ballot's link in the board's hash chain.
    #[serde(with = "hash_hex")]
    pub tracking_code: Hash,
    /// Schnorr signature by the board key over [`Receipt::message`].
    pub signature: SchnorrProof,
}

/// `append("purpose", "board-receipt")`, `append("receipt", m)` on `Transcript::new(F)`.
fn receipt_transcript(election: &Hash, message: &Hash) -> Transcript {
    Transcript::for_purpose(election, b"board-receipt", Some((b"receipt", message)))
}

impl Receipt {
    /// `m = H("saylau/v1/receipt", F, u64le(position), h, t)` (spec `board.md` §3.1).
    pub fn message(&self) -> Hash {
        tagged_hash(
            "saylau/v1/receipt",
            &[
                &self.election,
                &self.position.to_le_bytes(),
                &self.ballot_hash,
                &self.tracking_code,
            ],
        )
    }

    /// Checks the version and the board's signature under `board_key`.
    pub fn verify(&self, board_key: &PublicKey) -> Result<(), ProofError> {
        if self.version != 1 {
            return Err(ProofError::Shape("receipt version must be 1"));
        }
        self.signature.verify(
            &mut receipt_transcript(&self.election, &self.message()),
            board_key.element(),
        )
    }
}

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
}

/// The board's ballot box: accepts valid ballots from listed credentials, chains tracking codes,
/// and appends each accepted ballot to `ballots.jsonl` before answering with a signed receipt.
pub struct BallotBox<'e> {
    election: &'e Election,
    board_key: &'e BoardKey,
    listed: HashSet<[u8; 32]>,
    seen: HashSet<Hash>,
    last_code: Hash,
    position: u64,
    ballots: LinesWriter,
    challenged: LinesWriter,
    sync_every_ballot: bool,
}

impl<'e> BallotBox<'e> {
    /// Opens the ballot box of a record, resuming after any ballots already on it. Receipts are
    /// signed with `board_key`, which must be the one `election.json` publishes.
    pub fn open(
        dir: &Path,
        election: &'e Election,
        board_key: &'e BoardKey,
    ) -> Result<Self, CastError> {
        if board_key.public() != election.info.board_key {
            return Err(CastError::WrongBoardKey);
        }
        let listed = election.credentials.iter().copied().collect();
        let mut seen = HashSet::new();
        let mut last_code = *election.fingerprint();
        let mut position = 0;
        if let Some(mut reader) = LinesReader::open(dir, record::BALLOTS, true)? {
            while let Some((_, line)) = reader.next_json::<BallotLine>()? {
                seen.insert(line.ballot_hash);
                last_code = line.tracking_code;
                position += 1;
            }
        }
        if let Some(mut reader) = LinesReader::open(dir, record::CHALLENGED, true)? {
            while let Some((_, line)) = reader.next_json::<ChallengedLine>()? {
                seen.insert(line.ballot_hash);
            }
        }
        Ok(Self {
            election,
            board_key,
            listed,
            seen,
            last_code,
            position,
            ballots: LinesWriter::append(dir, record::BALLOTS)?,
            challenged: LinesWriter::append(dir, record::CHALLENGED)?,
            sync_every_ballot: true,
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
        let tracking_code = record::tracking_code(&self.last_code, &ballot_hash, &ballot.signature);
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
            )
            .map_err(CastError::Signing)?;
        self.ballots.push(&line, self.sync_every_ballot)?;
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
        self.challenged.push(
            &ChallengedLine {
                ballot_hash,
                challenged,
            },
            self.sync_every_ballot,
        )?;
        self.seen.insert(ballot_hash);
        Ok(ballot_hash)
    }

    /// Waits until every accepted ballot is on disk.
    pub fn sync(&mut self) -> Result<(), RecordError> {
        self.ballots.sync()?;
        self.challenged.sync()
    }
}

/// Sums the ballots that count: the last ballot of each credential (spec `ballot.md` §10).
///
/// Feed every counted ballot in board order with [`add`](Self::add) (a ballot that is not
/// counted, a duplicate or one under an unlisted credential, is simply not added); revotes are
/// rare, so the sum first includes every added ballot and [`finish`](Self::finish) subtracts
/// the superseded ones, reading only their lines again (by offset, decoded in parallel).
pub struct TallyAccumulator {
    sums: Vec<Vec<CiphertextSum>>,
    /// Each credential's latest added line.
    latest: HashMap<[u8; 32], AddedLine>,
    /// Lines that were added and later superseded by a revote under the same credential, with
    /// that credential. Only these are subtracted: a line that was never added (a duplicate, an
    /// unlisted credential) must not be subtracted either.
    superseded: Vec<(AddedLine, [u8; 32])>,
    board_size: u64,
    last_tracking_code: Hash,
}

/// Where an added ballot is in `ballots.jsonl`.
#[derive(Clone, Copy, Debug)]
struct AddedLine {
    /// The 1-based line number, for error messages.
    number: u64,
    /// The byte offset where the line starts.
    offset: u64,
}

/// Superseded lines read, then decoded in parallel, at a time.
const SUPERSEDED_CHUNK: usize = 256;

impl TallyAccumulator {
    /// An empty accumulator shaped like the manifest, for the board of the election with this
    /// fingerprint (the first link of its chain).
    pub fn new(manifest: &Manifest, fingerprint: &Hash) -> Self {
        Self {
            sums: manifest
                .contests
                .iter()
                .map(|c| vec![CiphertextSum::default(); c.options.len()])
                .collect(),
            latest: HashMap::new(),
            superseded: Vec::new(),
            board_size: 0,
            last_tracking_code: *fingerprint,
        }
    }

    /// Notes one line of the board, counted or not, in board order: the tally records where
    /// the board ended.
    pub fn note_line(&mut self, tracking_code: &Hash) {
        self.board_size += 1;
        self.last_tracking_code = *tracking_code;
    }

    /// Adds the ballot on line `number` (1-based) of `ballots.jsonl`, which starts at byte
    /// `offset`: its credential and its option ciphertexts in manifest order
    /// ([`crate::ballot::BallotBody::ciphertexts`]). The ballot's shape must already have been
    /// checked against the manifest.
    pub fn add<'c>(
        &mut self,
        number: u64,
        offset: u64,
        credential: &[u8; 32],
        ciphertexts: impl IntoIterator<Item = &'c Ciphertext>,
    ) {
        self.add_ciphertexts(ciphertexts, false);
        let added = AddedLine { number, offset };
        if let Some(previous) = self.latest.insert(*credential, added) {
            self.superseded.push((previous, *credential));
        }
    }

    /// Adds [`add`](Self::add)'s arguments taken from a decoded ballot.
    pub fn add_ballot(&mut self, number: u64, offset: u64, ballot: &Ballot) {
        let credential = ballot.body.credential.as_bytes();
        self.add(number, offset, credential, ballot.body.ciphertexts());
    }

    fn add_ciphertexts<'c>(
        &mut self,
        ciphertexts: impl IntoIterator<Item = &'c Ciphertext>,
        subtract: bool,
    ) {
        for (sum, ciphertext) in self.sums.iter_mut().flatten().zip(ciphertexts) {
            if subtract {
                sum.subtract(ciphertext);
            } else {
                sum.add(ciphertext);
            }
        }
    }

    /// Number of distinct credentials that cast a ballot.
    pub fn participants(&self) -> u64 {
        self.latest.len() as u64
    }

    /// Subtracts superseded ballots (reading only their lines again) and returns the tally.
    pub fn finish(mut self, dir: &Path) -> Result<EncryptedTally, RecordError> {
        let mut superseded = std::mem::take(&mut self.superseded);
        superseded.sort_unstable_by_key(|(added, _)| added.offset);
        let mut file = None;
        for chunk in superseded.chunks(SUPERSEDED_CHUNK) {
            let file = match &mut file {
                Some(file) => file,
                None => file.insert(open_ballots(dir)?),
            };
            let mut lines = Vec::with_capacity(chunk.len());
            for (added, credential) in chunk {
                lines.push((
                    added.number,
                    credential,
                    record::read_line_at(file, added.offset),
                ));
            }
            let ballots: Vec<Result<TallyLine, RecordError>> = lines
                .into_par_iter()
                .map(|(number, credential, bytes)| superseded_ballot(number, credential, bytes?))
                .collect();
            for ballot in ballots {
                self.add_ciphertexts(ballot?.ciphertexts(), true);
            }
        }
        Ok(EncryptedTally {
            participants: self.participants(),
            board_size: self.board_size,
            last_tracking_code: self.last_tracking_code,
            contests: self
                .sums
                .iter()
                .map(|sums| sums.iter().map(CiphertextSum::finish).collect())
                .collect(),
        })
    }
}

fn open_ballots(dir: &Path) -> Result<std::io::BufReader<std::fs::File>, RecordError> {
    let file = std::fs::File::open(dir.join(record::BALLOTS))
        .map_err(|error| RecordError::io(record::BALLOTS, error))?;
    Ok(std::io::BufReader::with_capacity(1 << 16, file))
}

/// What the tally reads of a line of `ballots.jsonl`: the tracking code, the credential's
/// encoding and the option ciphertexts. Proofs and signature are skipped without being decoded:
/// the board's tally needs a third of the ballot's points, and decompressing a point is most of
/// the cost of decoding it. Whether the ballots are valid is the verifier's job (checks 6–10),
/// which recomputes the tally itself (check 12).
#[derive(Deserialize)]
struct TallyLine {
    #[serde(with = "hash_hex")]
    tracking_code: Hash,
    ballot: TallyBallot,
}

#[derive(Deserialize)]
struct TallyBallot {
    body: TallyBody,
}

#[derive(Deserialize)]
struct TallyBody {
    #[serde(with = "hash_hex")]
    credential: [u8; 32],
    contests: Vec<TallyContest>,
}

#[derive(Deserialize)]
struct TallyContest {
    options: Vec<TallyOption>,
}

#[derive(Deserialize)]
struct TallyOption {
    ciphertext: Ciphertext,
}

impl TallyLine {
    fn decode(number: u64, bytes: &[u8]) -> Result<Self, RecordError> {
        record::decode_json(record::BALLOTS, Some(number), bytes)
    }

    fn ciphertexts(&self) -> impl Iterator<Item = &Ciphertext> {
        self.ballot
            .body
            .contests
            .iter()
            .flat_map(|contest| contest.options.iter().map(|option| &option.ciphertext))
    }

    /// True when the contests and options have the manifest's shape.
    fn has_shape_of(&self, manifest: &Manifest) -> bool {
        let contests = &self.ballot.body.contests;
        contests.len() == manifest.contests.len()
            && contests
                .iter()
                .zip(&manifest.contests)
                .all(|(b, c)| b.options.len() == c.options.len())
    }
}

/// Decodes a superseded line read again, which must still hold a ballot under `credential`;
/// anything else means the file changed between the two passes.
fn superseded_ballot(
    number: u64,
    credential: &[u8; 32],
    bytes: Vec<u8>,
) -> Result<TallyLine, RecordError> {
    let decoded = TallyLine::decode(number, &bytes)?;
    if &decoded.ballot.body.credential != credential {
        return Err(RecordError::Malformed {
            file: record::BALLOTS.into(),
            line: Some(number),
            path: "ballot.body.credential".into(),
            message: "the file changed while it was being read".into(),
        });
    }
    Ok(decoded)
}

/// Computes the encrypted tally of a record's ballots, as the board publishes it. Checks each
/// ballot's shape only: trustees instead take the tally from the verifier
/// ([`crate::verify::verify_for_decryption`]), which checks the whole board first.
pub fn tally_record(dir: &Path, election: &Election) -> Result<EncryptedTally, ElectionError> {
    let manifest = &election.manifest;
    let mut accumulator = TallyAccumulator::new(manifest, election.fingerprint());
    let mut failure = None;
    if let Some(reader) = LinesReader::open(dir, record::BALLOTS, true)? {
        record::read_ahead(reader, TALLY_CHUNK, |lines, read_error| {
            let decoded: Vec<Result<(u64, u64, TallyLine), RecordError>> = lines
                .into_par_iter()
                .map(|raw| {
                    let decoded = TallyLine::decode(raw.number, &raw.bytes)?;
                    if !decoded.has_shape_of(manifest) {
                        return Err(RecordError::Malformed {
                            file: record::BALLOTS.into(),
                            line: Some(raw.number),
                            path: "ballot.contests".into(),
                            message: "shape does not match the manifest".into(),
                        });
                    }
                    Ok((raw.number, raw.offset, decoded))
                })
                .collect();
            for item in decoded {
                match item {
                    Ok((number, offset, decoded)) => {
                        accumulator.note_line(&decoded.tracking_code);
                        let credential = &decoded.ballot.body.credential;
                        accumulator.add(number, offset, credential, decoded.ciphertexts());
                    }
                    Err(error) => {
                        failure = Some(error);
                        return false;
                    }
                }
            }
            if let Some(error) = read_error {
                failure = Some(error);
                return false;
            }
            true
        });
    }
    if let Some(error) = failure {
        return Err(error.into());
    }
    Ok(accumulator.finish(dir)?)
}

/// Lines of `ballots.jsonl` that [`tally_record`] decodes in parallel at a time.
const TALLY_CHUNK: usize = 1024;
