//! The encrypted tally of the board (spec `ballot.md` §10, `verifier.md` §2 check 12): the
//! homomorphic sum of the last ballot of each credential.

use super::context::{Election, ElectionError};
use crate::ballot::Ballot;
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::{Ciphertext, CiphertextSum};
use crate::crypto::group::hash_hex;
use crate::manifest::Manifest;
use crate::record::{decode_json, read_ahead, read_line_at, Record, RecordError, BALLOTS, TALLY};

use crate::tally::EncryptedTally;
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;

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
    pub fn finish(mut self, record: &Record) -> Result<EncryptedTally, RecordError> {
        let mut superseded = std::mem::take(&mut self.superseded);
        superseded.sort_unstable_by_key(|(added, _)| added.offset);
        let mut file = None;
        for chunk in superseded.chunks(SUPERSEDED_CHUNK) {
            let file = match &mut file {
                Some(file) => file,
                None => file.insert(open_ballots(record)?),
            };
            let mut lines = Vec::with_capacity(chunk.len());
            for (added, credential) in chunk {
                lines.push((added.number, credential, read_line_at(file, added.offset)));
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
            closing_checkpoint: None,
            contests: self
                .sums
                .iter()
                .map(|sums| sums.iter().map(CiphertextSum::finish).collect())
                .collect(),
        })
    }
}

fn open_ballots(record: &Record) -> Result<std::io::BufReader<std::fs::File>, RecordError> {
    let file = std::fs::File::open(record.path(BALLOTS))
        .map_err(|error| RecordError::io(BALLOTS, error))?;
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
        decode_json(BALLOTS, Some(number), bytes)
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
            file: BALLOTS.into(),
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
pub fn tally_record(record: &Record, election: &Election) -> Result<EncryptedTally, ElectionError> {
    let manifest = &election.manifest;
    let mut accumulator = TallyAccumulator::new(manifest, election.fingerprint());
    let mut failure = None;
    if let Some(reader) = record.lines(BALLOTS, true)? {
        read_ahead(reader, TALLY_CHUNK, |lines, read_error| {
            let decoded: Vec<Result<(u64, u64, TallyLine), RecordError>> = lines
                .into_par_iter()
                .map(|raw| {
                    let decoded = TallyLine::decode(raw.number, &raw.bytes)?;
                    if !decoded.has_shape_of(manifest) {
                        return Err(RecordError::Malformed {
                            file: BALLOTS.into(),
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
    Ok(accumulator.finish(record)?)
}

/// Lines of `ballots.jsonl` that [`tally_record`] decodes in parallel at a time.
const TALLY_CHUNK: usize = 1024;

/// Computes the encrypted tally from the board and publishes `tally.json`, naming the log's
/// closing checkpoint (spec `record.md` §5.4). Refuses a board that was not closed: a tally
/// taken before the close would not fix where the board ended.
pub fn publish_tally(
    record: &Record,
    election: &Election,
) -> Result<EncryptedTally, ElectionError> {
    let closing = super::board_log::closing_checkpoint(record)
        .map_err(|e| ElectionError::NotClosed(e.to_string()))?;
    let mut tally = tally_record(record, election)?;
    tally.closing_checkpoint = Some(closing);
    record.write_json(TALLY, &tally)?;
    Ok(tally)
}

/// The encrypted tally as a trustee may decrypt it: recomputed by the verifier from a board that
/// passed checks 2–12, and equal to `tally.json` (spec `ceremony.md` §14.6). Only
/// [`crate::verify::verified_tally`] makes one, so a decryption step that takes it cannot be
/// handed a ciphertext that was not checked against the board.
/// It also names the election whose board was verified, so a tally verified on one record cannot
/// be decrypted with another election's key share.
#[derive(Clone, Debug)]
pub struct VerifiedTally {
    tally: EncryptedTally,
    fingerprint: Hash,
}

impl VerifiedTally {
    /// Only the verifier vouches for a tally.
    pub(crate) fn vouched_by_verifier(tally: EncryptedTally, fingerprint: Hash) -> Self {
        Self { tally, fingerprint }
    }

    /// The tally.
    pub fn tally(&self) -> &EncryptedTally {
        &self.tally
    }

    /// The fingerprint of the election whose board was verified.
    pub fn fingerprint(&self) -> &Hash {
        &self.fingerprint
    }
}
