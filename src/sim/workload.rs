//! In-memory elections for measurements and tests: a ceremony key, credentials and `N` signed
//! ballots, as the JSON lines a board would publish.
//!
//! Used by `saylau bench verify`, the criterion bench `benches/verify.rs` and the batch tests.
//! Nothing here is written to disk.

use crate::ballot::{Ballot, ValueProof};
use crate::ceremony::run_in_process;
use crate::crypto::digest::{tagged_hash, Hash};
use crate::crypto::elgamal::{EncryptionKey, PublicKey};
use crate::election::BoardKey;
use crate::manifest::Manifest;
use crate::record::{self, BallotLine, CredentialList, ElectionInfo, RawLine};
use crate::verify::BallotContext;
use curve25519_dalek::ristretto::CompressedRistretto;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rayon::prelude::*;
use std::collections::HashSet;
use thiserror::Error;

/// The shape of the generated ballots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The default manifest: 7 + 7 + 2 options (16 option proofs, 3 total proofs, a signature).
    Default,
    /// Two single-choice contests of 7 and 2 options: 9 option proofs, 2 total proofs and a
    /// signature (11 proofs and a signature, the ballot Belenios measures).
    Belenios,
}

impl Shape {
    /// The manifest of this shape.
    pub fn manifest(self) -> Manifest {
        let mut manifest = Manifest::example();
        if self == Shape::Belenios {
            // Keep the presidential contest (7 options) and the referendum (2 options).
            manifest.contests.remove(1);
        }
        manifest
    }
}

/// Why a workload could not be generated.
#[derive(Debug, Error)]
pub enum WorkloadError {
    /// The key ceremony failed.
    #[error("key ceremony: {0}")]
    Ceremony(#[from] crate::ceremony::CeremonyError),
    /// A ballot could not be encrypted.
    #[error("ballot: {0}")]
    Ballot(#[from] crate::ballot::BallotError),
    /// A value could not be encoded.
    #[error("encoding: {0}")]
    Encoding(#[from] serde_json::Error),
}

/// An election held in memory: its context and `N` cast ballots.
pub struct Workload {
    /// The manifest.
    pub manifest: Manifest,
    /// The election fingerprint.
    pub fingerprint: Hash,
    /// The joint key of an in-process ceremony (3 trustees, threshold 2).
    pub key: PublicKey,
    /// The listed credentials' encodings.
    pub listed: HashSet<[u8; 32]>,
    /// The ballots, in board order.
    pub ballots: Vec<Ballot>,
    /// The lines of `ballots.jsonl` for these ballots, with their tracking codes.
    pub lines: Vec<Vec<u8>>,
}

impl Workload {
    /// Generates `count` ballots of `shape` with simulated choices, one credential per ballot,
    /// reproducibly from `seed`. Encrypts in parallel.
    pub fn generate(shape: Shape, count: usize, seed: u64) -> Result<Self, WorkloadError> {
        let mut rng =
            ChaCha20Rng::from_seed(tagged_hash("saylau/v1/workload", &[&seed.to_le_bytes()]));
        let manifest = shape.manifest();
        let manifest_hash = Manifest::hash_bytes(&serde_json::to_vec(&manifest)?);
        let names: Vec<String> = (1..=3).map(|i| format!("Trustee {i}")).collect();
        let (ceremony, _) = run_in_process(&manifest_hash, &names, 2, &mut rng)?;
        let voters = crate::sim::demo::register_voters(count as u64, &mut rng);
        let credentials = CredentialList {
            credentials: voters.iter().map(|v| v.public).collect(),
        };
        let info = ElectionInfo::new(
            manifest_hash,
            record::file_hash(&serde_json::to_vec(&ceremony)?),
            record::file_hash(&serde_json::to_vec(&credentials)?),
            ceremony.joint_key,
            BoardKey::generate(&mut rng).public(),
            crate::log::checkpoint::LogSigningKey::generate(&mut rng).public(),
            record::CommissionSigningKey::from_seed(tagged_hash(
                "saylau/v1/workload-commission",
                &[&seed.to_le_bytes()],
            ))
            .public(),
            record::WitnessPolicy::none(),
            false,
        );
        let key = EncryptionKey::new(ceremony.joint_key);
        let fingerprint = info.fingerprint;
        let ballots = voters
            .par_iter()
            .enumerate()
            .map(|(index, voter)| {
                let mut rng = ChaCha20Rng::from_seed(tagged_hash(
                    "saylau/v1/workload-voter",
                    &[&seed.to_le_bytes(), &(index as u64).to_le_bytes()],
                ));
                Ok(voter.cast(&manifest, &fingerprint, &key, &mut rng)?)
            })
            .collect::<Result<Vec<Ballot>, WorkloadError>>()?;
        let mut previous = fingerprint;
        let mut lines = Vec::with_capacity(ballots.len());
        for ballot in &ballots {
            let tracking_code =
                record::tracking_code(&previous, &ballot.body.hash(), &ballot.signature);
            previous = tracking_code;
            let line = BallotLine {
                tracking_code,
                ballot_hash: ballot.body.hash(),
                ballot: ballot.clone(),
            };
            let mut bytes = serde_json::to_vec(&line)?;
            bytes.push(b'\n');
            lines.push(bytes);
        }
        Ok(Self {
            manifest,
            fingerprint,
            key: ceremony.joint_key,
            listed: credentials
                .credentials
                .iter()
                .map(|c| *c.as_bytes())
                .collect(),
            ballots,
            lines,
        })
    }

    /// The context the ballot checks need.
    pub fn context(&self) -> BallotContext<'_> {
        BallotContext {
            manifest: &self.manifest,
            fingerprint: self.fingerprint,
            key: self.key,
            listed: &self.listed,
        }
    }

    /// Emits every ballot's equations into `batch` (hashing each body as a verifier does).
    pub fn equations(
        &self,
        batch: &mut crate::crypto::batch::EquationBatch,
    ) -> Result<(), crate::ballot::BallotError> {
        for ballot in &self.ballots {
            let hash = ballot.body.hash();
            ballot.equations(&self.manifest, &self.fingerprint, &self.key, &hash, batch)?;
        }
        Ok(())
    }

    /// The lines numbered from 1, with the offsets they would have in a file, as the record
    /// reader gives them.
    pub fn numbered_lines(&self) -> Vec<RawLine> {
        let mut offset = 0;
        (1..)
            .zip(&self.lines)
            .map(|(number, bytes)| {
                let line = RawLine {
                    number,
                    offset,
                    bytes: bytes.clone(),
                };
                offset += bytes.len() as u64;
                line
            })
            .collect()
    }
}

/// Appends the encoding of every point a verifier decodes to check `ballot`: credential,
/// ciphertexts, every proof commitment and signature commitment (and the points inside
/// bulletproofs). The verifier decompresses each exactly once.
pub fn encoded_points(ballot: &Ballot, out: &mut Vec<CompressedRistretto>) {
    out.push(*ballot.body.credential.compressed());
    for contest in &ballot.body.contests {
        for option in &contest.options {
            out.push(*option.ciphertext.alpha.compressed());
            out.push(*option.ciphertext.beta.compressed());
            proof_points(&option.proof, out);
        }
        proof_points(&contest.total_proof, out);
    }
    out.push(*ballot.signature.commitment.compressed());
}

fn proof_points(proof: &ValueProof, out: &mut Vec<CompressedRistretto>) {
    match proof {
        ValueProof::Exact(p) => {
            out.push(*p.commit_g.compressed());
            out.push(*p.commit_b.compressed());
        }
        ValueProof::Disjunctive(p) => {
            for branch in &p.branches {
                out.push(*branch.a.compressed());
                out.push(*branch.b.compressed());
            }
        }
        ValueProof::Bulletproof(p) => {
            for element in [
                &p.commitment,
                &p.tie.commit_r,
                &p.tie.commit_m,
                &p.tie.commit_s,
            ] {
                out.push(*element.compressed());
            }
            // The bytes: A, S, T1, T2, three scalars, then (L, R) pairs and two scalars.
            let words = p.bulletproof.len() / 32;
            for (i, chunk) in p.bulletproof.chunks_exact(32).enumerate() {
                if i < 4 || (i >= 7 && i + 2 < words) {
                    let mut array = [0u8; 32];
                    array.copy_from_slice(chunk);
                    out.push(CompressedRistretto(array));
                }
            }
        }
    }
}
