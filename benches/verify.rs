//! Batch verification against proof-by-proof verification, swept over batch sizes from 1 to
//! 100,000 disjunctive 0/1 proofs, plus whole ballots of the default and Belenios shapes, and
//! point decoding with and without an inverse-square-root hint (spec `batch.md` §8).
//!
//! Proofs are held decoded (no JSON, points already decompressed), so these figures are the
//! proof-system part of `saylau bench verify`: transcripts, scalar work and the multiscalar
//! multiplication. Run with `cargo bench --bench verify`.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rayon::prelude::*;
use saylau::crypto::batch::EquationBatch;
use saylau::crypto::elgamal::{Ciphertext, EncryptionKey, PublicKey, Secret};
use saylau::crypto::proofs::DisjunctiveProof;
use saylau::crypto::transcript::Transcript;
use saylau::sim::workload::{Shape, Workload};
use std::time::Duration;

const FINGERPRINT: [u8; 32] = [7; 32];

fn transcript(index: usize) -> Transcript {
    let mut transcript = Transcript::new(&FINGERPRINT);
    transcript.append_u64(b"index", index as u64);
    transcript
}

/// `count` ciphertexts of 0 or 1 with their disjunctive proofs.
fn proofs(count: usize) -> (PublicKey, Vec<(Ciphertext, DisjunctiveProof)>) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let secret = Secret::random(&mut rng);
    let key = EncryptionKey::new(PublicKey::new(secret.public_element()).unwrap());
    let items = (0..count)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha20Rng::seed_from_u64(i as u64 + 2);
            let m = (i % 2) as u64;
            let (ciphertext, nonce) = key.encrypt(m, &mut rng);
            let proof = DisjunctiveProof::prove(
                &mut transcript(i),
                &key,
                &ciphertext,
                0,
                1,
                m,
                &nonce,
                &mut rng,
            )
            .unwrap();
            (ciphertext, proof)
        })
        .collect();
    (*key.public_key(), items)
}

fn sweep(c: &mut Criterion) {
    const SIZES: [usize; 6] = [1, 10, 100, 1_000, 10_000, 100_000];
    let (key, all) = proofs(SIZES[SIZES.len() - 1]);
    let mut group = c.benchmark_group("disjunctive-0-1");
    for size in SIZES {
        let items = &all[..size];
        group.throughput(Throughput::Elements(size as u64));
        if size >= 10_000 {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(if size >= 100_000 { 40 } else { 8 }));
        } else {
            group.sample_size(20);
            group.measurement_time(Duration::from_secs(3));
        }
        group.bench_with_input(BenchmarkId::new("batch", size), items, |b, items| {
            b.iter(|| {
                let mut batch = EquationBatch::with_capacity(Some(*key.element()), size * 4);
                for (i, (ciphertext, proof)) in items.iter().enumerate() {
                    proof
                        .equations(&mut transcript(i), &key, ciphertext, 0, 1, &mut batch)
                        .unwrap();
                }
                assert!(batch.holds());
            })
        });
        if size <= 1_000 {
            group.bench_with_input(BenchmarkId::new("one-by-one", size), items, |b, items| {
                b.iter(|| {
                    for (i, (ciphertext, proof)) in items.iter().enumerate() {
                        proof
                            .verify(&mut transcript(i), &key, ciphertext, 0, 1)
                            .unwrap();
                    }
                })
            });
        }
    }
    group.finish();
}

fn ballots(c: &mut Criterion) {
    let mut group = c.benchmark_group("ballot");
    group.sample_size(20);
    for shape in [Shape::Default, Shape::Belenios] {
        let workload = Workload::generate(shape, 64, 3).unwrap();
        let name = format!("{shape:?}").to_lowercase();
        group.throughput(Throughput::Elements(workload.ballots.len() as u64));
        group.bench_function(BenchmarkId::new("batch-of-64", &name), |b| {
            b.iter_batched(
                || EquationBatch::with_capacity(Some(*workload.key.element()), 64 * 104),
                |mut batch| {
                    workload.equations(&mut batch).unwrap();
                    assert!(batch.holds());
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function(BenchmarkId::new("each-proof-alone", &name), |b| {
            b.iter(|| {
                for ballot in &workload.ballots {
                    let hash = ballot.body.hash();
                    ballot
                        .verify_each(
                            &workload.manifest,
                            &workload.fingerprint,
                            &workload.key,
                            &hash,
                        )
                        .unwrap();
                }
            })
        });
    }
    group.finish();
}

/// Decoding one point: without a hint, with its true hint, and with a wrong one (the fallback).
fn decoding(c: &mut Criterion) {
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    use curve25519_dalek::scalar::Scalar;
    use saylau::crypto::group::{decompress, decompress_with_hint, invsqrt_hint};
    let encoding = (Scalar::from(123_456_789u64) * RISTRETTO_BASEPOINT_POINT).compress();
    let hint = invsqrt_hint(&encoding).unwrap();
    let wrong = [7u8; 32];
    let mut group = c.benchmark_group("decode");
    group.bench_function("no-hint", |b| b.iter(|| decompress(&encoding).unwrap()));
    group.bench_function("true-hint", |b| {
        b.iter(|| decompress_with_hint(&encoding, &hint).0.unwrap())
    });
    group.bench_function("wrong-hint", |b| {
        b.iter(|| decompress_with_hint(&encoding, &wrong).0.unwrap())
    });
    group.bench_function("compute-hint", |b| {
        b.iter(|| invsqrt_hint(&encoding).unwrap())
    });
    group.finish();
}

criterion_group!(benches, sweep, ballots, decoding);
criterion_main!(benches);
