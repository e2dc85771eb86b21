//! The key ceremony (spec `ceremony.md`): completeness, reconstruction, culprits, and the
//! public record's verifier under tampering.

#[path = "common/json_paths.rs"]
mod json_paths;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::ceremony::{
    self, ceremony_id, lagrange_at_zero, part1, part2, round1, round2, run_in_process,
    CeremonyError, CeremonyParameters, CeremonyRecord, KeyShare,
};
use saylau::crypto::elgamal::Secret;
use saylau::crypto::group::GroupElement;
use saylau::crypto::proofs::SchnorrProof;
use saylau::crypto::transcript::Transcript;
use serde_json::Value;

const MANIFEST: [u8; 32] = [0x11; 32];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn names(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("trustee-{i}")).collect()
}

/// Every subset of `1..=n` of size `k`.
fn subsets(n: u32, k: usize) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    for mask in 0u32..(1 << n) {
        if mask.count_ones() as usize == k {
            out.push((1..=n).filter(|i| mask & (1 << (i - 1)) != 0).collect());
        }
    }
    out
}

/// `Σ λ_i·x_i·G` over the given trustees, with λ for exactly that subset.
fn reconstruct(shares: &[KeyShare], subset: &[u32]) -> RistrettoPoint {
    let lambdas = lagrange_at_zero(subset).unwrap();
    let secret: Scalar = subset
        .iter()
        .zip(&lambdas)
        .map(|(&i, l)| l * shares[i as usize - 1].secret().expose())
        .sum();
    Secret::from_scalar(secret)
        .public_element()
        .point()
        .to_owned()
}

#[test]
fn ceremony_completes_and_any_t_shares_reconstruct() {
    for (n, t) in [(1u32, 1u32), (3, 2), (5, 3), (7, 7)] {
        let mut rng = rng(u64::from(n * 100 + t));
        let (record, shares) = run_in_process(&MANIFEST, &names(n), t, &mut rng).unwrap();
        record.verify().unwrap();
        assert_eq!(shares.len(), n as usize);
        let key = *record.joint_key.point();
        for share in &shares {
            assert_eq!(share.joint_key(), &record.joint_key);
            assert_eq!(share.secret().public_element(), *share.verification_key());
            assert_eq!(
                record.verification_key(share.index()),
                Some(share.verification_key())
            );
            assert_eq!(share.ceremony_id(), &record.ceremony_id);
        }
        for subset in subsets(n, t as usize) {
            assert_eq!(reconstruct(&shares, &subset), key, "({n},{t}) {subset:?}");
        }
        if t > 1 {
            for subset in subsets(n, t as usize - 1) {
                assert_ne!(reconstruct(&shares, &subset), key, "({n},{t}) {subset:?}");
            }
        }
    }
}

#[test]
fn parameters_are_validated() {
    let id = [0u8; 32];
    assert!(CeremonyParameters::new(id, 0, 0).is_err());
    assert!(CeremonyParameters::new(id, 3, 0).is_err());
    assert!(CeremonyParameters::new(id, 3, 4).is_err());
    assert!(CeremonyParameters::new(id, 256, 2).is_err());
    assert!(CeremonyParameters::new(id, 255, 255).is_ok());
    let params = CeremonyParameters::new(id, 3, 2).unwrap();
    assert!(part1(&params, 0, &mut rng(1)).is_err());
    assert!(part1(&params, 4, &mut rng(1)).is_err());
    assert!(run_in_process(&MANIFEST, &[], 1, &mut rng(1)).is_err());
}

/// Spec `ceremony.md` §1, test vector.
#[test]
fn ceremony_id_vector() {
    let names: Vec<String> = ["alice", "bob", "carol"].map(String::from).to_vec();
    assert_eq!(
        hex::encode(ceremony_id(&MANIFEST, &names, 2)),
        include_str!("../protocol-spec/vectors/ceremony-id.txt").trim()
    );
}

/// A ceremony run by hand: the round-1 messages and every trustee's polynomial.
struct Manual {
    params: CeremonyParameters,
    secrets: Vec<round1::SecretPackage>,
    packages: Vec<round1::Package>,
}

fn manual(n: u32, t: u32, seed: u64) -> Manual {
    let mut rng = rng(seed);
    let params = CeremonyParameters::for_election(&MANIFEST, &names(n), t).unwrap();
    let (secrets, packages) = (1..=n)
        .map(|i| part1(&params, i, &mut rng).unwrap())
        .unzip();
    Manual {
        params,
        secrets,
        packages,
    }
}

impl Manual {
    fn shares_for(&self, to: u32) -> Vec<round2::SecretShare> {
        self.secrets
            .iter()
            .map(|s| s.share_for(to).unwrap())
            .collect()
    }

    fn part2(&self, to: u32, shares: &[round2::SecretShare]) -> Result<KeyShare, CeremonyError> {
        part2(&self.params, to, &self.packages, shares)
    }
}

#[test]
fn bad_share_names_the_sender() {
    let ceremony = manual(3, 2, 10);
    // Trustee 1 sends f_1(2) to trustee 3, labelled as a share for 3.
    let mut shares = ceremony.shares_for(3);
    let mut wrong = ceremony.secrets[0].share_for(2).unwrap();
    wrong.to = 3;
    shares[0] = wrong;
    assert_eq!(
        ceremony.part2(3, &shares).unwrap_err(),
        CeremonyError::InvalidShare { culprit: 1 }
    );
    // The other trustees are unaffected.
    ceremony.part2(2, &ceremony.shares_for(2)).unwrap();
    ceremony.part2(1, &ceremony.shares_for(1)).unwrap();

    // Relabelling the sender moves the blame to whoever the share claims to come from.
    let mut shares = ceremony.shares_for(3);
    shares.swap(0, 1);
    shares[0].from = 1;
    shares[1].from = 2;
    assert_eq!(
        ceremony.part2(3, &shares).unwrap_err(),
        CeremonyError::InvalidShare { culprit: 1 }
    );

    let mut shares = ceremony.shares_for(3);
    shares.remove(1);
    assert_eq!(
        ceremony.part2(3, &shares).unwrap_err(),
        CeremonyError::MissingShare { culprit: 2 }
    );

    let mut shares = ceremony.shares_for(3);
    shares[2] = ceremony.secrets[2].share_for(1).unwrap();
    assert_eq!(
        ceremony.part2(3, &shares).unwrap_err(),
        CeremonyError::MisaddressedShare { culprit: 3, to: 1 }
    );

    let mut shares = ceremony.shares_for(3);
    shares.push(ceremony.secrets[1].share_for(3).unwrap());
    assert_eq!(
        ceremony.part2(3, &shares).unwrap_err(),
        CeremonyError::Duplicate { culprit: 2 }
    );
}

#[test]
fn packages_are_checked_and_culprits_named() {
    let ceremony = manual(3, 2, 11);
    let shares = ceremony.shares_for(2);
    let run = |packages: &[round1::Package]| part2(&ceremony.params, 2, packages, &shares);

    // A proof of possession copied from another trustee.
    let mut packages = ceremony.packages.clone();
    packages[0].proof = packages[1].proof;
    assert_eq!(
        run(&packages).unwrap_err(),
        CeremonyError::InvalidProofOfPossession { culprit: 1 }
    );

    // Trustee 2's whole package replayed as trustee 1's (PoP bound to index 2).
    let mut packages = ceremony.packages.clone();
    packages[0].commitments = packages[1].commitments.clone();
    packages[0].proof = packages[1].proof;
    assert_eq!(
        run(&packages).unwrap_err(),
        CeremonyError::InvalidProofOfPossession { culprit: 1 }
    );

    // A package made for another ceremony (same index, other id).
    let other = CeremonyParameters::for_election(&[0x22; 32], &names(3), 2).unwrap();
    let (_, foreign) = part1(&other, 3, &mut rng(99)).unwrap();
    let mut packages = ceremony.packages.clone();
    packages[2] = foreign;
    assert_eq!(
        run(&packages).unwrap_err(),
        CeremonyError::InvalidProofOfPossession { culprit: 3 }
    );

    let mut packages = ceremony.packages.clone();
    let extra = packages[1].commitments[0];
    packages[1].commitments.push(extra);
    assert_eq!(
        run(&packages).unwrap_err(),
        CeremonyError::WrongCommitmentCount {
            culprit: 2,
            expected: 2,
            found: 3
        }
    );

    let mut packages = ceremony.packages.clone();
    packages[2].commitments[1] = GroupElement::from_point(RistrettoPoint::identity());
    assert_eq!(
        run(&packages).unwrap_err(),
        CeremonyError::IdentityCommitment {
            culprit: 3,
            position: 1
        }
    );

    let mut packages = ceremony.packages.clone();
    packages[2].index = 1;
    assert_eq!(
        run(&packages).unwrap_err(),
        CeremonyError::Duplicate { culprit: 1 }
    );
    assert!(matches!(
        run(&ceremony.packages[..2]).unwrap_err(),
        CeremonyError::WrongPackageCount { .. }
    ));
    let mut packages = ceremony.packages.clone();
    packages[2].index = 4;
    assert_eq!(
        run(&packages).unwrap_err(),
        CeremonyError::UnknownTrustee { index: 4 }
    );
}

/// Trustee 3 tries to fix the joint key to `X = x·G` by publishing
/// `C_30 = X − C_10 − C_20`; it knows `x` but not `log C_30`, so it cannot prove possession.
#[test]
fn rogue_key_cannot_prove_possession() {
    let ceremony = manual(3, 2, 12);
    let mut rng = rng(13);
    let x = Secret::random(&mut rng);
    let rogue = x.public_element().point()
        - ceremony.packages[0].commitments[0].point()
        - ceremony.packages[1].commitments[0].point();
    let rogue = GroupElement::from_point(rogue);
    let transcript = || {
        let mut t = Transcript::new(&ceremony.params.ceremony_id);
        t.append_u64(b"trustee", 3);
        t
    };
    // The honest prover refuses: the attacker's known secret does not open C_30.
    assert!(SchnorrProof::prove(&mut transcript(), &rogue, &x, &mut rng).is_err());
    // Forgeries: a proof for X, or trustee 3's old proof, attached to the rogue commitment.
    let for_x = SchnorrProof::prove(&mut transcript(), &x.public_element(), &x, &mut rng).unwrap();
    for proof in [for_x, ceremony.packages[2].proof] {
        let mut packages = ceremony.packages.clone();
        packages[2].commitments[0] = rogue;
        packages[2].proof = proof;
        assert_eq!(
            part2(&ceremony.params, 1, &packages, &ceremony.shares_for(1)).unwrap_err(),
            CeremonyError::InvalidProofOfPossession { culprit: 3 }
        );
        assert_eq!(
            CeremonyRecord::assemble(&MANIFEST, &names(3), 2, &packages).unwrap_err(),
            CeremonyError::InvalidProofOfPossession { culprit: 3 }
        );
    }
}

#[test]
fn manual_ceremony_matches_assembled_record() {
    let ceremony = manual(4, 3, 14);
    let record = CeremonyRecord::assemble(&MANIFEST, &names(4), 3, &ceremony.packages).unwrap();
    record.verify().unwrap();
    for to in 1..=4 {
        let share = ceremony.part2(to, &ceremony.shares_for(to)).unwrap();
        assert_eq!(record.verification_key(to), Some(share.verification_key()));
        assert_eq!(share.joint_key(), &record.joint_key);
    }
}

#[test]
fn secrets_are_redacted() {
    let ceremony = manual(2, 2, 15);
    let share = ceremony.secrets[0].share_for(2).unwrap();
    let key = ceremony.part2(1, &ceremony.shares_for(1)).unwrap();
    for text in [
        format!("{:?}", ceremony.secrets[0]),
        format!("{share:?}"),
        format!("{key:?}"),
    ] {
        assert!(text.contains("<redacted>"), "{text}");
    }
    let secret_hex = hex::encode(key.secret().expose().as_bytes());
    assert!(!format!("{key:?}").contains(&secret_hex));
}

/// Every leaf of the record's JSON, replaced by another well-formed value: points by random
/// points, scalars by random scalars, names and numbers changed.
fn tampered_records(
    record: &CeremonyRecord,
    rng: &mut ChaCha20Rng,
) -> Vec<(String, CeremonyRecord)> {
    let original = serde_json::to_value(record).unwrap();
    let paths = json_paths::leaf_pointers(&original, false);
    let mut out = Vec::new();
    for path in paths {
        let slot = original.pointer(&path).unwrap();
        let candidates: Vec<Value> = match slot {
            Value::String(text) if text.len() == 64 => vec![
                Value::String(hex::encode(
                    RistrettoPoint::random(rng).compress().as_bytes(),
                )),
                Value::String(hex::encode(Scalar::random(rng).as_bytes())),
                Value::String(
                    hex::encode(rand_core::RngCore::next_u64(rng).to_le_bytes()).repeat(4),
                ),
            ],
            Value::String(text) => vec![Value::String(format!("{text}x"))],
            Value::Number(n) => {
                let n = n.as_u64().unwrap();
                vec![(n + 1).into(), n.saturating_sub(1).into()]
            }
            other => panic!("unexpected leaf {other} at {path}"),
        };
        let mut accepted = 0;
        for candidate in candidates {
            if &candidate == slot {
                continue;
            }
            let mut copy = original.clone();
            *copy.pointer_mut(&path).unwrap() = candidate;
            if let Ok(tampered) = serde_json::from_value::<CeremonyRecord>(copy) {
                out.push((path.clone(), tampered));
                accepted += 1;
            }
        }
        assert!(accepted > 0, "no well-formed replacement for {path}");
    }
    out
}

#[test]
fn record_round_trips_and_every_field_is_checked() {
    let mut rng = rng(16);
    let (record, _) = run_in_process(&MANIFEST, &names(3), 2, &mut rng).unwrap();
    let text = serde_json::to_string_pretty(&record).unwrap();
    let back: CeremonyRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back, record);
    assert_eq!(serde_json::to_string_pretty(&back).unwrap(), text);
    back.verify().unwrap();

    let tampered = tampered_records(&record, &mut rng);
    // 2 ids + threshold + 3 × (index, name, 2 commitments, 2 proof fields, key) + joint key.
    let paths: std::collections::BTreeSet<_> = tampered.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(paths.len(), 3 + 3 * 7 + 1, "{paths:?}");
    for (path, tampered) in tampered {
        assert!(tampered.verify().is_err(), "field {path} not checked");
    }
}

#[test]
fn record_structure_is_checked() {
    let mut rng = rng(17);
    let (record, _) = run_in_process(&MANIFEST, &names(3), 2, &mut rng).unwrap();

    let mut swapped = record.clone();
    swapped.trustees.swap(0, 1);
    assert!(swapped.verify().is_err());

    let mut reindexed = swapped.clone();
    reindexed.trustees[0].index = 1;
    reindexed.trustees[1].index = 2;
    assert!(reindexed.verify().is_err());

    let mut fewer = record.clone();
    fewer.trustees.pop();
    assert!(fewer.verify().is_err());

    let mut identity = record.clone();
    identity.trustees[1].commitments[1] = GroupElement::from_point(RistrettoPoint::identity());
    assert_eq!(
        identity.verify().unwrap_err(),
        CeremonyError::IdentityCommitment {
            culprit: 2,
            position: 1
        }
    );

    let mut key = record.clone();
    key.trustees[2].verification_key = key.trustees[0].verification_key;
    assert_eq!(
        key.verify().unwrap_err(),
        CeremonyError::VerificationKeyMismatch { trustee: 3 }
    );

    let mut joint = record.clone();
    joint.joint_key =
        saylau::crypto::elgamal::PublicKey::new(record.trustees[0].commitments[0]).unwrap();
    assert_eq!(joint.verify().unwrap_err(), CeremonyError::JointKeyMismatch);

    let mut value = serde_json::to_value(&record).unwrap();
    value["extra"] = Value::Null;
    assert!(serde_json::from_value::<CeremonyRecord>(value).is_err());

    let mut value = serde_json::to_value(&record).unwrap();
    value["joint_key"] = Value::String("00".repeat(32));
    assert!(serde_json::from_value::<CeremonyRecord>(value).is_err());

    let mut value = serde_json::to_value(&record).unwrap();
    let upper = value["ceremony_id"].as_str().unwrap().to_uppercase();
    value["ceremony_id"] = Value::String(upper);
    assert!(serde_json::from_value::<CeremonyRecord>(value).is_err());

    let _ = ceremony::MAX_TRUSTEES;
}
