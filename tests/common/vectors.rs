//! Generates the test vectors of `protocol-spec/vectors/` from fixed seeds. Shared by
//! `examples/vectors.rs` (which writes them) and `tests/vectors.rs` (which checks that the code
//! still produces exactly the committed files).

use curve25519_dalek::scalar::Scalar;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::crypto::elgamal::{EncryptionKey, PublicKey, Secret};
use saylau::crypto::group::{pedersen_h, GroupElement};
use saylau::crypto::proofs::{
    DisjunctiveProof, EqualityProof, EqualityStatement, PointPair, RangeProof, SchnorrProof,
};
use saylau::crypto::transcript::Transcript;
use serde_json::{json, Value};
use std::path::Path;

/// The context (stand-in election fingerprint) of the proof vectors: 32 bytes 0x00..0x1f.
pub fn context() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

fn hex_scalar(s: &Scalar) -> String {
    hex::encode(s.as_bytes())
}

fn hex_element(e: &GroupElement) -> String {
    hex::encode(e.as_bytes())
}

/// Every vector file as (file name, pretty JSON text).
pub fn generate() -> Vec<(&'static str, String)> {
    let mut files = Vec::new();
    let mut rng = ChaCha20Rng::seed_from_u64(20261127);
    let context = context();

    // encoding.md §3: derived generator H.
    let generators = json!({
        "description": "Generators: G is the ristretto255 basepoint; H = hash_from_bytes::<SHA3-512>(label).",
        "G": hex_element(&GroupElement::from_point(saylau::crypto::group::G)),
        "H_label": std::str::from_utf8(saylau::crypto::group::H_LABEL).unwrap_or_default(),
        "H": hex_element(&GroupElement::from_point(*pedersen_h())),
    });
    files.push(("generators.json", generators));

    // record.md §2: file hashes of both forms, around the block boundary.
    let pattern = |length: usize| -> Vec<u8> { (0..length).map(|i| (i % 251) as u8).collect() };
    let block = saylau::record::FILE_BLOCK;
    let cases: Vec<_> = [0, 5, block, block + 1, 2 * block + block / 2]
        .into_iter()
        .map(|length| {
            let bytes = pattern(length);
            let blocks: Vec<String> = if length > block {
                bytes
                    .chunks(block)
                    .map(|chunk| {
                        hex::encode(saylau::crypto::digest::tagged_hash(
                            "saylau/v1/file-block",
                            &[chunk],
                        ))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            json!({
                "length": length,
                "block_hashes": blocks,
                "file_hash": hex::encode(saylau::record::file_hash(&bytes)),
            })
        })
        .collect();
    files.push((
        "file-hash.json",
        json!({
            "description": "file_hash of files whose byte i is i mod 251; files over 1048576 bytes hash block by block (block_hashes are h_0, h_1, ...)",
            "block_size": block,
            "cases": cases,
        }),
    ));

    // transcript.md §2: a challenge from a known sequence of appends.
    let mut transcript = Transcript::new(&context);
    transcript.append_u64(b"contest", 1);
    transcript.start_proof(b"schnorr");
    transcript.append_element(
        b"public",
        &GroupElement::from_point(saylau::crypto::group::G),
    );
    let challenge = transcript.challenge_scalar(b"challenge");
    files.push((
        "transcript.json",
        json!({
            "description": "merlin transcript 'saylau/v1'; appends in order; challenge = 64 bytes reduced mod l",
            "election": hex::encode(context),
            "appends": [
                {"op": "append_u64", "label": "contest", "value": 1},
                {"op": "append_message", "label": "proof", "value": "schnorr"},
                {"op": "append_message", "label": "public", "value_hex": hex_element(&GroupElement::from_point(saylau::crypto::group::G))},
            ],
            "challenge_label": "challenge",
            "challenge": hex_scalar(&challenge),
        }),
    ));

    // elgamal.md §2: encryption with a given nonce.
    let secret = Secret::random(&mut rng);
    let key = EncryptionKey::new(
        PublicKey::new(secret.public_element()).unwrap_or_else(|_| unreachable!()),
    );
    let nonce = Secret::random(&mut rng);
    let ciphertext = key.encrypt_with_nonce(1, &nonce);
    files.push((
        "elgamal.json",
        json!({
            "secret_key": hex_scalar(secret.expose()),
            "public_key": hex_element(key.public_key().element()),
            "plaintext": 1,
            "nonce": hex_scalar(nonce.expose()),
            "ciphertext": ciphertext,
        }),
    ));

    // proofs.md §2: Schnorr.
    let x = Secret::random(&mut rng);
    let public = x.public_element();
    let proof = SchnorrProof::prove(&mut Transcript::new(&context), &public, &x, &mut rng)
        .unwrap_or_else(|_| unreachable!());
    files.push((
        "schnorr.json",
        json!({"context": hex::encode(context), "public": public, "proof": proof, "valid": true}),
    ));

    // proofs.md §3: Chaum–Pedersen, "ciphertext encrypts exactly 1".
    let statement = EqualityStatement {
        base: key.public_key().element(),
        base_is_key: true,
        pair: PointPair::from(&ciphertext),
        shift: 1,
    };
    let proof = EqualityProof::prove(&mut Transcript::new(&context), &statement, &nonce, &mut rng)
        .unwrap_or_else(|_| unreachable!());
    files.push((
        "chaum_pedersen.json",
        json!({"context": hex::encode(context), "base": key.public_key(), "A": ciphertext.alpha, "C": ciphertext.beta, "shift": 1, "proof": proof, "valid": true}),
    ));

    // proofs.md §4: disjunctive 0..=1 for encryptions of 0 and 1.
    let mut cases = Vec::new();
    for m in [0u64, 1] {
        let (ct, r) = key.encrypt(m, &mut rng);
        let proof = DisjunctiveProof::prove(
            &mut Transcript::new(&context),
            &key,
            &ct,
            0,
            1,
            m,
            &r,
            &mut rng,
        )
        .unwrap_or_else(|_| unreachable!());
        cases.push(json!({"ciphertext": ct, "low": 0, "high": 1, "proof": proof, "valid": true}));
    }
    files.push((
        "disjunctive.json",
        json!({"context": hex::encode(context), "key": key.public_key(), "cases": cases}),
    ));

    // proofs.md §5: bulletproof range 100..=1000.
    let (ct, r) = key.encrypt(700, &mut rng);
    let proof = RangeProof::prove(
        &mut Transcript::new(&context),
        &key,
        &ct,
        100,
        1000,
        700,
        &r,
        &mut rng,
    )
    .unwrap_or_else(|_| unreachable!());
    files.push((
        "range.json",
        json!({"context": hex::encode(context), "key": key.public_key(), "ciphertext": ct, "low": 100, "high": 1000, "proof": proof, "valid": true}),
    ));

    files
        .into_iter()
        .map(|(name, value): (&'static str, Value)| {
            (
                name,
                serde_json::to_string_pretty(&value).unwrap_or_default() + "\n",
            )
        })
        .collect()
}

/// The small fixed election of `vectors/election/`: 6 voters, 3 trustees, threshold 2.
pub fn election_config(out: &Path) -> saylau::sim::demo::DemoConfig {
    saylau::sim::demo::DemoConfig {
        voters: 6,
        trustees: 3,
        threshold: 2,
        absent: 1,
        seed: Some(2026),
        out: out.to_path_buf(),
        progress: saylau::progress::Progress::none(),
    }
}
