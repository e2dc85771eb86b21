//! Helpers shared by the board's tests and its measurement: synthetic checked ballots and a log
//! key. The ballots are not valid ballots: the board's store and sequencer never look inside.
#![allow(dead_code)]

pub mod crash;
pub mod db;
pub mod pg;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand::{Rng, RngCore};
use saylau::crypto::group::GroupElement;
use saylau::crypto::proofs::SchnorrProof;
use saylau::log::note::{KeyType, SignerKey};
use saylau::log::tree::Hash;
use saylau_board::sequencer::{CastEntry, ChallengedEntry, Entry};

/// A fixed election fingerprint for the tests.
pub const FINGERPRINT: Hash = [0x5a; 32];

/// The test log key.
pub fn log_key() -> SignerKey {
    SignerKey::from_seed(KeyType::Ed25519, "board.saylau.example", [9; 32]).unwrap()
}

/// The test origin.
pub fn test_origin() -> String {
    saylau_board::checkpoints::origin("board.saylau.example", &FINGERPRINT)
}

fn ballot_hash(rng: &mut impl RngCore) -> Hash {
    let mut h = [0u8; 32];
    rng.fill_bytes(&mut h);
    h
}

/// A synthetic JSON body of about `size` bytes, with no newline.
pub fn json_body(rng: &mut impl RngCore, size: usize) -> Vec<u8> {
    let mut filler = vec![0u8; size / 2];
    rng.fill_bytes(&mut filler);
    format!("{{\"filler\":\"{}\"}}", hex::encode(filler)).into_bytes()
}

/// A synthetic cast entry with a ballot JSON of about `size` bytes.
pub fn cast_entry(rng: &mut (impl RngCore + rand::CryptoRng), size: usize) -> CastEntry {
    CastEntry {
        ballot_hash: ballot_hash(rng),
        credential: GroupElement::from_point(RistrettoPoint::random(rng)),
        signature: SchnorrProof {
            commitment: GroupElement::from_point(RistrettoPoint::random(rng)),
            response: Scalar::random(rng),
        },
        ballot_json: json_body(rng, size),
    }
}

/// A synthetic challenged entry.
pub fn challenged_entry(rng: &mut (impl RngCore + rand::CryptoRng)) -> ChallengedEntry {
    ChallengedEntry {
        ballot_hash: ballot_hash(rng),
        credential: GroupElement::from_point(RistrettoPoint::random(rng)),
        challenged_json: json_body(rng, 64),
    }
}

/// A mix: mostly cast ballots, one in ten challenged.
pub fn any_entry(rng: &mut (impl RngCore + rand::CryptoRng), size: usize) -> Entry {
    if rng.gen_range(0..10) == 0 {
        Entry::Challenged(challenged_entry(rng))
    } else {
        Entry::Cast(cast_entry(rng, size))
    }
}
