//! One ballot selection, timed the way `benches/peers/electionguard_selection.py` times
//! ElectionGuard's: encrypt a 0/1 choice and prove it, then verify; medians of 40 runs.
//! `cargo run --release --example selection_timing`

use rand_core::OsRng;
use saylau::crypto::elgamal::{EncryptionKey, PublicKey, Secret};
use saylau::crypto::proofs::DisjunctiveProof;
use saylau::crypto::transcript::Transcript;
use std::time::Instant;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let secret = Secret::random(&mut OsRng);
    let key =
        EncryptionKey::new(PublicKey::new(secret.public_element()).expect("non-identity key"));
    let context = [3u8; 32];
    let (mut prove, mut verify) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        let started = Instant::now();
        let (ciphertext, nonce) = key.encrypt(1, &mut OsRng);
        let proof = DisjunctiveProof::prove(
            &mut Transcript::new(&context),
            &key,
            &ciphertext,
            0,
            1,
            1,
            &nonce,
            &mut OsRng,
        )
        .expect("honest proof");
        let proved = Instant::now();
        proof
            .verify(
                &mut Transcript::new(&context),
                key.public_key(),
                &ciphertext,
                0,
                1,
            )
            .expect("valid proof");
        prove.push((proved - started).as_secs_f64());
        verify.push(proved.elapsed().as_secs_f64());
    }
    println!(
        "saylau selection: encrypt+prove median {:.3} ms, verify median {:.3} ms",
        median(prove) * 1e3,
        median(verify) * 1e3
    );
}
