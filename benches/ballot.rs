//! The default ballot (issue "An election end to end"): encryption with all proofs and the
//! signature, one-by-one verification, and its record size. `cargo bench --bench ballot`

use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::ballot::BallotBody;
use saylau::crypto::elgamal::{EncryptionKey, PublicKey, Secret};
use saylau::manifest::Manifest;

fn benches(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let manifest = Manifest::example();
    let fingerprint = [9u8; 32];
    let secret = Secret::random(&mut rng);
    let key = EncryptionKey::new(PublicKey::new(secret.public_element()).unwrap());
    let credential = Secret::random(&mut rng);
    let public = credential.public_element();
    let choices = saylau::sim::demo::simulated_choices(&manifest, &mut rng);

    let mut group = c.benchmark_group("default_ballot");
    group.sample_size(30);
    group.bench_function("encrypt_prove_sign", |b| {
        b.iter(|| {
            let (body, _) =
                BallotBody::encrypt(&manifest, &fingerprint, &key, &public, &choices, &mut rng)
                    .unwrap();
            body.sign(&fingerprint, &credential, &mut rng).unwrap()
        })
    });
    let (body, _) =
        BallotBody::encrypt(&manifest, &fingerprint, &key, &public, &choices, &mut rng).unwrap();
    let ballot = body.sign(&fingerprint, &credential, &mut rng).unwrap();
    group.bench_function("verify_one_by_one", |b| {
        b.iter(|| {
            ballot
                .verify(&manifest, &fingerprint, key.public_key())
                .unwrap()
        })
    });
    let line = serde_json::to_vec(&ballot).unwrap();
    group.bench_function("parse_json_line", |b| {
        b.iter(|| serde_json::from_slice::<saylau::ballot::Ballot>(&line).unwrap())
    });
    group.finish();
    eprintln!(
        "default ballot: {} bytes of JSON, {} canonical bytes (body + 64-byte signature)",
        line.len(),
        ballot.body.canonical_len() + 64
    );
}

criterion_group!(ballot, benches);
criterion_main!(ballot);
