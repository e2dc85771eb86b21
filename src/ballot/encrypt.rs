//! Filling in a ballot (spec `ballot.md` §1–§5): the options encrypted and proved, each
//! contest's total proved, the credential's signature; or, instead of casting, a Benaloh
//! challenge.

use super::body::ballot_transcript;
use super::body::check_choices;
use super::body::contest_total;
use super::body::option_transcript;
use super::body::signature_transcript;
use super::body::total_transcript;
use super::body::Ballot;
use super::body::BallotBody;
use super::body::BallotError;
use super::body::BallotSecrets;
use super::body::EncryptedContest;
use super::body::EncryptedOption;
use super::challenge::ChallengedBallot;
use super::challenge::NonceList;
use super::encoding::hash_body_bytes;
use super::value_proof::ValueProof;
use crate::crypto::digest::Hash;
use crate::crypto::elgamal::{Ciphertext, EncryptionKey, Secret};
use crate::crypto::group::GroupElement;
use crate::crypto::proofs::{PointPair, SchnorrProof};
use crate::manifest::Manifest;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};

impl BallotBody {
    /// Every option's ciphertext, contest by contest, in manifest order: what the tally adds.
    pub fn ciphertexts(&self) -> impl Iterator<Item = &Ciphertext> {
        self.contests
            .iter()
            .flat_map(|contest| contest.options.iter().map(|option| &option.ciphertext))
    }

    /// Encrypts `choices` (one value per option per contest) for the voter with public
    /// credential `credential`, with all proofs. Spec `ballot.md` §4.
    pub fn encrypt<R: RngCore + CryptoRng>(
        manifest: &Manifest,
        fingerprint: &Hash,
        key: &EncryptionKey,
        credential: &GroupElement,
        choices: &[Vec<u64>],
        rng: &mut R,
    ) -> Result<(Self, BallotSecrets), BallotError> {
        check_choices(manifest, choices)?;
        let base = ballot_transcript(fingerprint, credential);
        let mut contests = Vec::with_capacity(choices.len());
        let mut nonces = Vec::with_capacity(choices.len());
        for (c, (contest, values)) in manifest.contests.iter().zip(choices).enumerate() {
            let limits = contest.kind.limits();
            let mut options = Vec::with_capacity(values.len());
            let mut contest_nonces = Vec::with_capacity(values.len());
            let mut nonce_sum = Scalar::ZERO;
            for (o, &m) in values.iter().enumerate() {
                let (ciphertext, nonce) = key.encrypt(m, rng);
                let proof = ValueProof::prove(
                    &mut option_transcript(&base, c, o),
                    key,
                    PointPair::from(&ciphertext),
                    0,
                    limits.option_max,
                    m,
                    &nonce,
                    rng,
                )
                .map_err(|error| BallotError::OptionProof {
                    contest: c,
                    option: o,
                    error,
                })?;
                nonce_sum += nonce.expose();
                options.push(EncryptedOption { ciphertext, proof });
                contest_nonces.push(nonce);
            }
            let total: u64 = values.iter().sum();
            let nonce_sum = Secret::from_scalar(nonce_sum);
            let mut parts = Vec::new();
            let sum = contest_total(options.iter().map(|o| &o.ciphertext), &mut parts);
            let total_proof = ValueProof::prove(
                &mut total_transcript(&base, c, values.len()),
                key,
                PointPair::sum_of(sum.alpha(), sum.beta(), &parts),
                limits.total_min,
                limits.total_max,
                total,
                &nonce_sum,
                rng,
            )
            .map_err(|error| BallotError::TotalProof { contest: c, error })?;
            contests.push(EncryptedContest {
                options,
                total_proof,
            });
            nonces.push(contest_nonces);
        }
        let body = BallotBody {
            credential: *credential,
            contests,
        };
        Ok((
            body,
            BallotSecrets {
                plaintexts: choices.to_vec(),
                nonces,
            },
        ))
    }

    /// The ballot hash the device shows before the voter casts or challenges (spec `ballot.md` §6).
    pub fn hash(&self) -> Hash {
        self.hash_with(&mut Vec::new())
    }

    /// [`hash`](Self::hash), encoding into `buffer` (cleared first) so a verifier can reuse one
    /// buffer for every ballot.
    pub fn hash_with(&self, buffer: &mut Vec<u8>) -> Hash {
        buffer.clear();
        buffer.reserve(self.encoded_len());
        self.encode(buffer);
        hash_body_bytes(buffer)
    }

    /// Length of the canonical body encoding (spec `encoding.md` §6).
    pub fn canonical_len(&self) -> usize {
        let mut bytes = Vec::new();
        self.encode(&mut bytes);
        bytes.len()
    }

    /// Signs the body with the credential secret, making a castable ballot.
    pub fn sign<R: RngCore + CryptoRng>(
        self,
        fingerprint: &Hash,
        credential_secret: &Secret,
        rng: &mut R,
    ) -> Result<Ballot, BallotError> {
        let base = ballot_transcript(fingerprint, &self.credential);
        let hash = self.hash();
        let signature = SchnorrProof::prove(
            &mut signature_transcript(&base, &hash),
            &self.credential,
            credential_secret,
            rng,
        )
        .map_err(BallotError::Signature)?;
        Ok(Ballot {
            body: self,
            signature,
        })
    }

    /// Publishes the secrets of a challenged ballot. The ballot must never be cast afterwards.
    pub fn challenge(self, secrets: BallotSecrets) -> ChallengedBallot {
        ChallengedBallot {
            body: self,
            plaintexts: secrets.plaintexts.clone(),
            nonces: secrets
                .nonces
                .iter()
                .map(|contest| NonceList(contest.iter().map(|n| *n.expose()).collect()))
                .collect(),
        }
    }
}
