//! Prove and verify times of each proof, and encryption (issue "Crypto core").
//! `cargo bench --bench proofs`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::crypto::elgamal::{EncryptionKey, PublicKey, Secret};
use saylau::crypto::group::GroupElement;
use saylau::crypto::proofs::{
    DisjunctiveProof, EqualityProof, EqualityStatement, PointPair, RangeProof, SchnorrProof,
};
use saylau::crypto::transcript::Transcript;

const CONTEXT: [u8; 32] = [1u8; 32];

fn transcript() -> Transcript {
    Transcript::new(&CONTEXT)
}

fn benches(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let secret = Secret::random(&mut rng);
    let key = EncryptionKey::new(PublicKey::new(secret.public_element()).unwrap());
    let pk = *key.public_key();

    c.bench_function("encrypt", |b| b.iter(|| key.encrypt(1, &mut rng)));

    let x = Secret::random(&mut rng);
    let public = x.public_element();
    c.bench_function("schnorr/prove", |b| {
        b.iter(|| SchnorrProof::prove(&mut transcript(), &public, &x, &mut rng).unwrap())
    });
    let proof = SchnorrProof::prove(&mut transcript(), &public, &x, &mut rng).unwrap();
    c.bench_function("schnorr/verify", |b| {
        b.iter(|| proof.verify(&mut transcript(), &public).unwrap())
    });

    let (ct, r) = key.encrypt(1, &mut rng);
    let k: GroupElement = *pk.element();
    let statement = EqualityStatement {
        base: &k,
        base_is_key: true,
        pair: PointPair::from(&ct),
        shift: 1,
    };
    c.bench_function("chaum_pedersen/prove", |b| {
        b.iter(|| EqualityProof::prove(&mut transcript(), &statement, &r, &mut rng).unwrap())
    });
    let proof = EqualityProof::prove(&mut transcript(), &statement, &r, &mut rng).unwrap();
    c.bench_function("chaum_pedersen/verify", |b| {
        b.iter(|| proof.verify(&mut transcript(), &statement).unwrap())
    });

    for high in [1u64, 10] {
        let (ct, r) = key.encrypt(1, &mut rng);
        c.bench_function(&format!("disjunctive_0..={high}/prove"), |b| {
            b.iter(|| {
                DisjunctiveProof::prove(&mut transcript(), &key, &ct, 0, high, 1, &r, &mut rng)
                    .unwrap()
            })
        });
        let proof = DisjunctiveProof::prove(&mut transcript(), &key, &ct, 0, high, 1, &r, &mut rng)
            .unwrap();
        c.bench_function(&format!("disjunctive_0..={high}/verify"), |b| {
            b.iter(|| proof.verify(&mut transcript(), &pk, &ct, 0, high).unwrap())
        });
    }
    // One ballot selection as ElectionGuard counts it: encrypt a 0/1 choice and prove it.
    c.bench_function("selection/encrypt_and_prove", |b| {
        b.iter(|| {
            let (ct, r) = key.encrypt(1, &mut rng);
            DisjunctiveProof::prove(&mut transcript(), &key, &ct, 0, 1, 1, &r, &mut rng).unwrap()
        })
    });

    let (ct, r) = key.encrypt(12_345, &mut rng);
    let mut group = c.benchmark_group("bulletproof_range_0..=65535");
    group.sample_size(20);
    group.bench_function("prove", |b| {
        b.iter_batched(
            || (),
            |_| {
                RangeProof::prove(
                    &mut transcript(),
                    &key,
                    &ct,
                    0,
                    65_535,
                    12_345,
                    &r,
                    &mut rng,
                )
                .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    let proof = RangeProof::prove(
        &mut transcript(),
        &key,
        &ct,
        0,
        65_535,
        12_345,
        &r,
        &mut rng,
    )
    .unwrap();
    group.bench_function("verify", |b| {
        b.iter(|| {
            proof
                .verify(&mut transcript(), &pk, &ct, 0, 65_535)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(proofs, benches);
criterion_main!(proofs);
