//! Completeness, soundness smoke tests and encodings of every proof (spec `proofs.md`).

#[path = "common/json_paths.rs"]
mod json_paths;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::crypto::batch::EquationBatch;
use saylau::crypto::elgamal::{Ciphertext, EncryptionKey, PublicKey, Secret};
use saylau::crypto::error::{DecodeError, ProofError};
use saylau::crypto::group::{self, GroupElement};
use saylau::crypto::proofs::{
    DisjunctiveProof, EqualityProof, EqualityStatement, PointPair, RangeProof, SchnorrProof,
};
use saylau::crypto::transcript::Transcript;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

const CONTEXT: [u8; 32] = [7u8; 32];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn transcript() -> Transcript {
    Transcript::new(&CONTEXT)
}

fn other_transcript() -> Transcript {
    Transcript::new(&[8u8; 32])
}

fn keypair(rng: &mut ChaCha20Rng) -> (Secret, EncryptionKey) {
    let secret = Secret::random(rng);
    let key = EncryptionKey::new(PublicKey::new(secret.public_element()).unwrap());
    (secret, key)
}

fn random_element(rng: &mut ChaCha20Rng) -> GroupElement {
    GroupElement::from_point(RistrettoPoint::random(rng))
}

/// Every string leaf of the proof's JSON (each point, scalar or byte string), replaced one at a
/// time by another well-formed value of the same kind.
fn tampered_copies<T: Serialize + DeserializeOwned>(
    proof: &T,
    rng: &mut ChaCha20Rng,
) -> Vec<(String, T)> {
    let original = serde_json::to_value(proof).unwrap();
    let paths = json_paths::leaf_pointers(&original, true);
    assert!(!paths.is_empty());
    let mut out = Vec::new();
    for path in paths {
        let mut copy = original.clone();
        let slot = copy.pointer_mut(&path).unwrap();
        let text = slot.as_str().unwrap().to_string();
        // Try a different point first; if the field is a scalar, a different scalar; for byte
        // strings (the bulletproof) flip one byte in the middle.
        let point = hex::encode(random_element(rng).as_bytes());
        let scalar = hex::encode(Scalar::random(rng).as_bytes());
        let mut flipped = hex::decode(&text).unwrap();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 1;
        let candidates = if text.len() == 64 {
            vec![point, scalar]
        } else {
            vec![hex::encode(flipped)]
        };
        let mut accepted = false;
        for candidate in candidates {
            *copy.pointer_mut(&path).unwrap() = Value::String(candidate);
            if let Ok(tampered) = serde_json::from_value::<T>(copy.clone()) {
                out.push((path.clone(), tampered));
                accepted = true;
                break;
            }
        }
        assert!(accepted, "no well-formed replacement for {path}");
    }
    out
}

fn json_round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, value);
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
}

#[test]
fn schnorr_complete_and_every_field_checked() {
    let mut rng = rng(1);
    let secret = Secret::random(&mut rng);
    let public = secret.public_element();
    let proof = SchnorrProof::prove(&mut transcript(), &public, &secret, &mut rng).unwrap();
    proof.verify(&mut transcript(), &public).unwrap();
    json_round_trip(&proof);
    for (path, tampered) in tampered_copies(&proof, &mut rng) {
        assert!(
            tampered.verify(&mut transcript(), &public).is_err(),
            "field {path} not checked"
        );
    }
    assert!(
        proof
            .verify(&mut transcript(), &random_element(&mut rng))
            .is_err(),
        "public key"
    );
    assert!(
        proof.verify(&mut other_transcript(), &public).is_err(),
        "context"
    );
    let wrong = Secret::random(&mut rng);
    assert_eq!(
        SchnorrProof::prove(&mut transcript(), &public, &wrong, &mut rng),
        Err(ProofError::FalseStatement)
    );
}

#[test]
fn chaum_pedersen_decryption_share() {
    let mut rng = rng(2);
    let share = Secret::random(&mut rng);
    let verification_key = share.public_element();
    let alpha = random_element(&mut rng);
    let partial = GroupElement::from_point(share.expose() * alpha.point());
    let statement = EqualityStatement {
        base: &alpha,
        base_is_key: false,
        pair: PointPair::encoded(&verification_key, &partial),
        shift: 0,
    };
    let proof = EqualityProof::prove(&mut transcript(), &statement, &share, &mut rng).unwrap();
    proof.verify(&mut transcript(), &statement).unwrap();
    json_round_trip(&proof);
    for (path, tampered) in tampered_copies(&proof, &mut rng) {
        assert!(
            tampered.verify(&mut transcript(), &statement).is_err(),
            "field {path} not checked"
        );
    }
    let other = random_element(&mut rng);
    for (name, s) in [
        (
            "base",
            EqualityStatement {
                base: &other,
                ..statement
            },
        ),
        (
            "A",
            EqualityStatement {
                pair: PointPair::encoded(&other, &partial),
                ..statement
            },
        ),
        (
            "C",
            EqualityStatement {
                pair: PointPair::encoded(&verification_key, &other),
                ..statement
            },
        ),
        (
            "shift",
            EqualityStatement {
                shift: 1,
                ..statement
            },
        ),
    ] {
        assert!(
            proof.verify(&mut transcript(), &s).is_err(),
            "statement field {name} not checked"
        );
    }
    assert!(
        proof.verify(&mut other_transcript(), &statement).is_err(),
        "context"
    );
}

#[test]
fn chaum_pedersen_encrypts_constant() {
    let mut rng = rng(3);
    let (_, key) = keypair(&mut rng);
    let (ciphertext, nonce) = key.encrypt(1, &mut rng);
    let k = *key.public_key().element();
    let statement = EqualityStatement {
        base: &k,
        base_is_key: true,
        pair: PointPair::from(&ciphertext),
        shift: 1,
    };
    let proof = EqualityProof::prove(&mut transcript(), &statement, &nonce, &mut rng).unwrap();
    proof.verify(&mut transcript(), &statement).unwrap();
    // The same ciphertext does not encrypt 2, and an encryption of 2 cannot be claimed as 1.
    let two = EqualityStatement {
        shift: 2,
        ..statement
    };
    assert!(proof.verify(&mut transcript(), &two).is_err());
    assert_eq!(
        EqualityProof::prove(&mut transcript(), &two, &nonce, &mut rng),
        Err(ProofError::FalseStatement)
    );
}

/// A contest total is bound by its parts (spec `proofs.md` §1.6): the same sum with its parts in
/// another order, or bound by its own encoding, is another statement. Checked for the three
/// proof kinds a total can use.
/// Encryptions of 1 and 0, their sum and the sum's nonce.
fn two_ciphertexts_and_their_sum(
    rng: &mut ChaCha20Rng,
) -> (
    EncryptionKey,
    [Ciphertext; 2],
    saylau::crypto::elgamal::CiphertextSum,
    Secret,
) {
    let (_, key) = keypair(rng);
    let (first, r1) = key.encrypt(1, rng);
    let (second, r2) = key.encrypt(0, rng);
    let mut sum = saylau::crypto::elgamal::CiphertextSum::default();
    sum.add(&first);
    sum.add(&second);
    let nonce = Secret::from_scalar(r1.expose() + r2.expose());
    (key, [first, second], sum, nonce)
}

#[test]
fn sum_is_bound_by_its_parts() {
    let mut rng = rng(11);
    let (key, [first, second], sum, nonce) = two_ciphertexts_and_their_sum(&mut rng);
    let parts = |a: &Ciphertext, b: &Ciphertext| {
        [a.alpha, a.beta, b.alpha, b.beta]
            .iter()
            .flat_map(|e| *e.as_bytes())
            .collect::<Vec<u8>>()
    };
    let (in_order, swapped) = (parts(&first, &second), parts(&second, &first));
    let bound = PointPair::sum_of(sum.alpha(), sum.beta(), &in_order);
    let reordered = PointPair::sum_of(sum.alpha(), sum.beta(), &swapped);
    let encoded = sum.finish();

    let k = *key.public_key().element();
    let exact = |pair| EqualityStatement {
        base: &k,
        base_is_key: true,
        pair,
        shift: 1,
    };
    let proof = EqualityProof::prove(&mut transcript(), &exact(bound), &nonce, &mut rng).unwrap();
    proof.verify(&mut transcript(), &exact(bound)).unwrap();
    assert!(proof.verify(&mut transcript(), &exact(reordered)).is_err());
    let own = PointPair::from(&encoded);
    assert!(proof.verify(&mut transcript(), &exact(own)).is_err());

    let pk = key.public_key();
    let proof =
        DisjunctiveProof::prove(&mut transcript(), &key, bound, 0, 2, 1, &nonce, &mut rng).unwrap();
    proof.verify(&mut transcript(), pk, bound, 0, 2).unwrap();
    assert!(proof
        .verify(&mut transcript(), pk, reordered, 0, 2)
        .is_err());
    assert!(proof.verify(&mut transcript(), pk, &encoded, 0, 2).is_err());

    let proof =
        RangeProof::prove(&mut transcript(), &key, bound, 0, 100, 1, &nonce, &mut rng).unwrap();
    proof.verify(&mut transcript(), pk, bound, 0, 100).unwrap();
    assert!(proof
        .verify(&mut transcript(), pk, reordered, 0, 100)
        .is_err());
    assert!(proof
        .verify(&mut transcript(), pk, &encoded, 0, 100)
        .is_err());
}

/// A sum bound by its parts but never evaluated (`PointPair::folded_sum`) is for a caller that
/// folds the sum's coefficients onto the parts: emitted straight into a batch it fails the
/// batch, and proofs refuse to prove or check it alone.
#[test]
fn an_unevaluated_sum_fails_closed() {
    let mut rng = rng(12);
    let (key, [first, second], sum, nonce) = two_ciphertexts_and_their_sum(&mut rng);
    let parts: Vec<u8> = [first.alpha, first.beta, second.alpha, second.beta]
        .iter()
        .flat_map(|e| *e.as_bytes())
        .collect();
    let evaluated = PointPair::sum_of(sum.alpha(), sum.beta(), &parts);
    let folded = PointPair::folded_sum(&parts);
    let pk = key.public_key();
    let proof = DisjunctiveProof::prove(
        &mut transcript(),
        &key,
        evaluated,
        0,
        2,
        1,
        &nonce,
        &mut rng,
    )
    .unwrap();

    let mut batch = EquationBatch::new(Some(*pk.element()));
    proof
        .equations(&mut transcript(), pk, evaluated, 0, 2, &mut batch)
        .unwrap();
    assert!(batch.holds());
    let mut batch = EquationBatch::new(Some(*pk.element()));
    proof
        .equations(&mut transcript(), pk, folded, 0, 2, &mut batch)
        .unwrap();
    assert!(!batch.holds(), "an unfolded sum must fail the batch");

    assert!(proof.verify(&mut transcript(), pk, folded, 0, 2).is_err());
    assert!(
        DisjunctiveProof::prove(&mut transcript(), &key, folded, 0, 2, 1, &nonce, &mut rng)
            .is_err()
    );
}

#[test]
fn disjunctive_zero_one_complete_and_every_field_checked() {
    let mut rng = rng(4);
    let (_, key) = keypair(&mut rng);
    for m in [0u64, 1] {
        let (ciphertext, nonce) = key.encrypt(m, &mut rng);
        let proof = DisjunctiveProof::prove(
            &mut transcript(),
            &key,
            &ciphertext,
            0,
            1,
            m,
            &nonce,
            &mut rng,
        )
        .unwrap();
        let pk = key.public_key();
        proof
            .verify(&mut transcript(), pk, &ciphertext, 0, 1)
            .unwrap();
        json_round_trip(&proof);
        for (path, tampered) in tampered_copies(&proof, &mut rng) {
            assert!(
                tampered
                    .verify(&mut transcript(), pk, &ciphertext, 0, 1)
                    .is_err(),
                "field {path} not checked"
            );
        }
        let other = random_element(&mut rng);
        let bad_alpha = Ciphertext {
            alpha: other,
            ..ciphertext
        };
        let bad_beta = Ciphertext {
            beta: other,
            ..ciphertext
        };
        assert!(
            proof
                .verify(&mut transcript(), pk, &bad_alpha, 0, 1)
                .is_err(),
            "alpha"
        );
        assert!(
            proof
                .verify(&mut transcript(), pk, &bad_beta, 0, 1)
                .is_err(),
            "beta"
        );
        let other_key = PublicKey::new(other).unwrap();
        assert!(
            proof
                .verify(&mut transcript(), &other_key, &ciphertext, 0, 1)
                .is_err(),
            "key"
        );
        assert!(
            proof
                .verify(&mut other_transcript(), pk, &ciphertext, 0, 1)
                .is_err(),
            "context"
        );
        assert!(
            proof
                .verify(&mut transcript(), pk, &ciphertext, 1, 2)
                .is_err(),
            "range"
        );
    }
}

/// The one-by-one verifier checks each equation on its own and names the one that fails.
#[test]
fn one_by_one_names_the_failing_equation() {
    let mut rng = rng(12);
    let (_, key) = keypair(&mut rng);
    let (ciphertext, nonce) = key.encrypt(1, &mut rng);
    let mut proof = DisjunctiveProof::prove(
        &mut transcript(),
        &key,
        &ciphertext,
        0,
        2,
        1,
        &nonce,
        &mut rng,
    )
    .unwrap();
    proof.branches[1].response += Scalar::ONE;
    let error = proof
        .verify(&mut transcript(), key.public_key(), &ciphertext, 0, 2)
        .unwrap_err();
    match error {
        ProofError::EquationFails(name) => assert!(name.starts_with("E1 of branch 1"), "{name}"),
        other => panic!("expected a named equation, got {other:?}"),
    }
}

#[test]
fn disjunctive_refuses_and_rejects_false_statements() {
    let mut rng = rng(5);
    let (_, key) = keypair(&mut rng);
    let (two, nonce) = key.encrypt(2, &mut rng);
    assert_eq!(
        DisjunctiveProof::prove(&mut transcript(), &key, &two, 0, 1, 2, &nonce, &mut rng),
        Err(ProofError::FalseStatement)
    );
    // A cheating prover proves "0 or 1" for an encryption of 1, then swaps in the encryption of 2.
    let (one, one_nonce) = key.encrypt(1, &mut rng);
    let proof =
        DisjunctiveProof::prove(&mut transcript(), &key, &one, 0, 1, 1, &one_nonce, &mut rng)
            .unwrap();
    assert!(proof
        .verify(&mut transcript(), key.public_key(), &two, 0, 1)
        .is_err());
    // ... and an encryption of 2 does satisfy the wider statement 0..=3.
    let wide =
        DisjunctiveProof::prove(&mut transcript(), &key, &two, 0, 3, 2, &nonce, &mut rng).unwrap();
    wide.verify(&mut transcript(), key.public_key(), &two, 0, 3)
        .unwrap();
    assert_eq!(wide.branches.len(), 4);
}

#[test]
fn range_proof_bulletproof() {
    let mut rng = rng(6);
    let (_, key) = keypair(&mut rng);
    let pk = key.public_key();
    let (ciphertext, nonce) = key.encrypt(700, &mut rng);
    let proof = RangeProof::prove(
        &mut transcript(),
        &key,
        &ciphertext,
        100,
        1000,
        700,
        &nonce,
        &mut rng,
    )
    .unwrap();
    proof
        .verify(&mut transcript(), pk, &ciphertext, 100, 1000)
        .unwrap();
    json_round_trip(&proof);
    for (path, tampered) in tampered_copies(&proof, &mut rng) {
        assert!(
            tampered
                .verify(&mut transcript(), pk, &ciphertext, 100, 1000)
                .is_err(),
            "field {path} not checked"
        );
    }
    assert!(
        proof
            .verify(&mut transcript(), pk, &ciphertext, 100, 699)
            .is_err(),
        "high"
    );
    assert!(
        proof
            .verify(&mut transcript(), pk, &ciphertext, 701, 1000)
            .is_err(),
        "low"
    );
    assert!(
        proof
            .verify(&mut other_transcript(), pk, &ciphertext, 100, 1000)
            .is_err(),
        "context"
    );
    let other = random_element(&mut rng);
    assert!(proof
        .verify(
            &mut transcript(),
            pk,
            &Ciphertext {
                alpha: other,
                ..ciphertext
            },
            100,
            1000
        )
        .is_err());
    assert!(proof
        .verify(
            &mut transcript(),
            pk,
            &Ciphertext {
                beta: other,
                ..ciphertext
            },
            100,
            1000
        )
        .is_err());
    assert!(proof
        .verify(
            &mut transcript(),
            &PublicKey::new(other).unwrap(),
            &ciphertext,
            100,
            1000
        )
        .is_err());
    // Out of range: the prover refuses.
    let (big, big_nonce) = key.encrypt(1001, &mut rng);
    assert_eq!(
        RangeProof::prove(
            &mut transcript(),
            &key,
            &big,
            100,
            1000,
            1001,
            &big_nonce,
            &mut rng
        ),
        Err(ProofError::FalseStatement)
    );
    // Edges and a full 64-bit span.
    for (low, high, m) in [
        (0u64, 0u64, 0u64),
        (5, 5, 5),
        (0, u64::MAX, u64::MAX),
        (0, 255, 255),
        (0, 256, 0),
    ] {
        let (ct, r) = key.encrypt(m, &mut rng);
        let proof =
            RangeProof::prove(&mut transcript(), &key, &ct, low, high, m, &r, &mut rng).unwrap();
        proof.verify(&mut transcript(), pk, &ct, low, high).unwrap();
    }
}

#[test]
fn challenge_binds_every_input() {
    // Changing any one bound value changes the challenge (spec transcript.md).
    let mut rng = rng(7);
    let base = || {
        let mut t = Transcript::new(&CONTEXT);
        t.append_u64(b"contest", 1);
        t
    };
    let reference = base().challenge_scalar(b"challenge");
    let mut seen = vec![reference];
    let mut variants: Vec<Transcript> = vec![Transcript::new(&[0u8; 32])];
    let mut t = base();
    t.append_u64(b"contest", 1);
    variants.push(t);
    let mut t = base();
    t.start_proof(b"schnorr");
    variants.push(t);
    let mut t = base();
    t.append_element(b"public", &random_element(&mut rng));
    variants.push(t);
    let mut t = base();
    t.append_scalar(b"public", &Scalar::ONE);
    variants.push(t);
    for mut variant in variants {
        let c = variant.challenge_scalar(b"challenge");
        assert!(!seen.contains(&c));
        seen.push(c);
    }
    assert_ne!(base().challenge_scalar(b"other"), reference);
}

#[test]
fn decoders_reject_non_canonical_and_identity() {
    // Scalars: ℓ itself, and all ones, are not canonical.
    let ell =
        hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010").unwrap();
    assert_eq!(
        group::decode_scalar(ell.clone().try_into().unwrap()),
        Err(DecodeError::NonCanonicalScalar)
    );
    assert_eq!(
        group::decode_scalar([0xff; 32]),
        Err(DecodeError::NonCanonicalScalar)
    );
    let json = format!(
        "{{\"commitment\":\"{}\",\"response\":\"{}\"}}",
        hex::encode(random_element(&mut rng(8)).as_bytes()),
        hex::encode(&ell)
    );
    assert!(serde_json::from_str::<SchnorrProof>(&json).is_err());
    // Points: a non-canonical field element (p = 2^255 - 19 encoded), a negative one (low bit set),
    // and upper-case hex.
    let p =
        hex::decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f").unwrap();
    assert_eq!(
        GroupElement::decode(&p),
        Err(DecodeError::NonCanonicalPoint)
    );
    let mut odd = *GroupElement::from_point(RistrettoPoint::random(&mut rng(9))).as_bytes();
    odd[0] |= 1;
    assert_eq!(
        GroupElement::decode(&odd),
        Err(DecodeError::NonCanonicalPoint)
    );
    assert_eq!(group::decode_hex32("AB".repeat(32)), Err(DecodeError::Hex));
    assert!(GroupElement::decode(&[0u8; 31]).is_err());
    // Identity: decodes as a point, rejected as a key or a commitment.
    let identity = GroupElement::from_point(RistrettoPoint::identity());
    assert_eq!(
        GroupElement::decode_non_identity(identity.as_bytes()),
        Err(DecodeError::IdentityPoint)
    );
    assert!(serde_json::from_str::<PublicKey>(&format!(
        "\"{}\"",
        hex::encode(identity.as_bytes())
    ))
    .is_err());
    let mut r = rng(10);
    let secret = Secret::random(&mut r);
    let public = secret.public_element();
    let mut proof = SchnorrProof::prove(&mut transcript(), &public, &secret, &mut r).unwrap();
    proof.commitment = identity;
    assert_eq!(
        proof.verify(&mut transcript(), &public),
        Err(ProofError::IdentityCommitment)
    );
}

mod encodings {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha, ..ProptestConfig::default() })]

        #[test]
        fn points_round_trip(seed in any::<u64>()) {
            let element = random_element(&mut rng(seed));
            let json = serde_json::to_string(&element).unwrap();
            let back: GroupElement = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, element);
            prop_assert_eq!(GroupElement::decode(element.as_bytes()).unwrap(), element);
        }

        #[test]
        fn scalars_round_trip(bytes in any::<[u8; 32]>()) {
            let scalar = Scalar::from_bytes_mod_order(bytes);
            prop_assert_eq!(group::decode_scalar(scalar.to_bytes()).unwrap(), scalar);
            let canonical = Option::<Scalar>::from(Scalar::from_canonical_bytes(bytes)).is_some();
            prop_assert_eq!(group::decode_scalar(bytes).is_ok(), canonical);
        }

        #[test]
        fn arbitrary_bytes_decode_only_if_canonical(bytes in any::<[u8; 32]>()) {
            if let Ok(element) = GroupElement::decode(&bytes) {
                prop_assert_eq!(element.as_bytes(), &bytes);
            }
        }

        #[test]
        fn ciphertexts_and_proofs_round_trip(seed in any::<u64>(), m in 0u64..=1) {
            let mut r = rng(seed);
            let (_, key) = keypair(&mut r);
            let (ciphertext, nonce) = key.encrypt(m, &mut r);
            json_round_trip(&ciphertext);
            let proof = DisjunctiveProof::prove(&mut transcript(), &key, &ciphertext, 0, 1, m, &nonce, &mut r).unwrap();
            json_round_trip(&proof);
        }
    }
}
