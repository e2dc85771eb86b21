//! Threshold decryption (spec `tally.md`): shares, combination, culprits, the empty tally and
//! the bounded discrete log.

#[path = "common/json_paths.rs"]
mod json_paths;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use saylau::ceremony::{run_in_process, CeremonyRecord, KeyShare};
use saylau::crypto::elgamal::{encode_plaintext, Ciphertext, CiphertextSum, EncryptionKey};
use saylau::crypto::group::GroupElement;
use saylau::tally::{
    combine, decrypt_share, verify_decryption, DecryptionShare, DiscreteLog, EncryptedTally,
    TallyError,
};
use serde_json::Value;

const FINGERPRINT: [u8; 32] = [0x42; 32];
const MANIFEST: [u8; 32] = [0x11; 32];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

struct Election {
    record: CeremonyRecord,
    keys: Vec<KeyShare>,
    tally: EncryptedTally,
    expected: Vec<Vec<u64>>,
    bounds: Vec<Vec<u64>>,
}

/// A 5-trustee, threshold-3 election; 7 ballots over two contests, plus an option nobody can
/// vote for (its ciphertext is the empty sum, with `α` the identity).
fn election(seed: u64) -> Election {
    let mut rng = rng(seed);
    let names: Vec<String> = (1..=5).map(|i| format!("t{i}")).collect();
    let (record, keys) = run_in_process(&MANIFEST, &names, 3, &mut rng).unwrap();
    let key = EncryptionKey::new(record.joint_key);
    let ballots: [[u64; 5]; 7] = [
        [1, 0, 0, 2, 0],
        [0, 1, 0, 1, 1],
        [0, 1, 0, 0, 0],
        [1, 0, 0, 2, 2],
        [0, 0, 1, 0, 0],
        [0, 1, 0, 1, 0],
        [0, 1, 0, 2, 1],
    ];
    let mut sums = vec![CiphertextSum::default(); 5];
    for ballot in &ballots {
        for (sum, &m) in sums.iter_mut().zip(ballot) {
            sum.add(&key.encrypt(m, &mut rng).0);
        }
    }
    let ciphertexts: Vec<Ciphertext> = sums.iter().map(CiphertextSum::finish).collect();
    let empty = CiphertextSum::default().finish();
    let tally = EncryptedTally {
        board_size: 0,
        last_tracking_code: [0; 32],
        closing_checkpoint: None,
        participants: 7,
        contests: vec![
            ciphertexts[..3].to_vec(),
            vec![ciphertexts[3], ciphertexts[4], empty],
        ],
    };
    let expected = vec![vec![2, 4, 1], vec![8, 4, 0]];
    let bounds = vec![vec![7, 7, 7], vec![14, 14, 14]];
    Election {
        record,
        keys,
        tally,
        expected,
        bounds,
    }
}

impl Election {
    fn shares(&self, seed: u64) -> Vec<DecryptionShare> {
        let mut rng = rng(seed);
        self.keys
            .iter()
            .map(|k| decrypt_share(&FINGERPRINT, k, &self.tally, &mut rng).unwrap())
            .collect()
    }

    fn combine(&self, shares: &[DecryptionShare]) -> Result<saylau::tally::Decryption, TallyError> {
        combine(
            &FINGERPRINT,
            &self.record,
            &self.tally,
            shares,
            &self.bounds,
        )
    }

    fn verify(&self, share: &DecryptionShare) -> Result<(), TallyError> {
        let key =
            self.record
                .verification_key(share.trustee)
                .ok_or(TallyError::UnknownTrustee {
                    culprit: share.trustee,
                })?;
        share.verify(&FINGERPRINT, key, &self.tally)
    }
}

fn pick(shares: &[DecryptionShare], trustees: &[u32]) -> Vec<DecryptionShare> {
    shares
        .iter()
        .filter(|s| trustees.contains(&s.trustee))
        .cloned()
        .collect()
}

#[test]
fn any_t_shares_decrypt() {
    let election = election(1);
    let shares = election.shares(2);
    for share in &shares {
        election.verify(share).unwrap();
    }
    for subset in [
        vec![1, 2, 3, 4, 5],
        vec![1, 2, 3],
        vec![2, 4, 5],
        vec![3, 4, 5],
        vec![5, 1, 3],
        vec![1, 2, 4, 5],
    ] {
        let given = pick(&shares, &subset);
        let decryption = election.combine(&given).unwrap();
        assert_eq!(decryption.counts, election.expected, "{subset:?}");
        let mut sorted = subset.clone();
        sorted.sort();
        assert_eq!(decryption.used, sorted[..3].to_vec());
        assert!(decryption.rejected.is_empty());
        verify_decryption(
            &FINGERPRINT,
            &election.record,
            &election.tally,
            &given,
            &decryption,
        )
        .unwrap();
    }
    // Shares given in any order are used by increasing index.
    let mut reversed = shares.clone();
    reversed.reverse();
    assert_eq!(election.combine(&reversed).unwrap().used, vec![1, 2, 3]);
}

#[test]
fn wrong_shares_are_named_and_skipped() {
    let election = election(3);
    let shares = election.shares(4);

    // Trustee 2 doubles one partial decryption.
    let mut doubled = shares.clone();
    let m = doubled[1].contests[0][1].share;
    doubled[1].contests[0][1].share = GroupElement::from_point(m.point() + m.point());
    assert_eq!(
        election.verify(&doubled[1]).unwrap_err(),
        TallyError::InvalidProof {
            culprit: 2,
            contest: 0,
            option: 1
        }
    );
    // Trustee 4 swaps two options' partial decryptions and proofs.
    let row = &mut doubled[3].contests[1];
    row.swap(0, 1);
    assert_eq!(
        election.verify(&doubled[3]).unwrap_err(),
        TallyError::InvalidProof {
            culprit: 4,
            contest: 1,
            option: 0
        }
    );
    let decryption = election.combine(&doubled).unwrap();
    assert_eq!(decryption.counts, election.expected);
    assert_eq!(decryption.used, vec![1, 3, 5]);
    let rejected: Vec<u32> = decryption.rejected.iter().map(|(t, _)| *t).collect();
    assert_eq!(rejected, vec![2, 4]);
    assert!(decryption.rejected[0].1.contains("trustee 2"));

    // A proof taken from another option, with the right partial decryption.
    let mut moved = shares.clone();
    moved[0].contests[0][0].proof = moved[0].contests[0][2].proof;
    assert_eq!(
        election.verify(&moved[0]).unwrap_err(),
        TallyError::InvalidProof {
            culprit: 1,
            contest: 0,
            option: 0
        }
    );
    // The same share relabelled as another trustee's.
    let mut relabelled = shares[0].clone();
    relabelled.trustee = 2;
    assert!(election.verify(&relabelled).is_err());
    // A share made for another election.
    let mut other = election
        .keys
        .iter()
        .map(|k| decrypt_share(&[0x43; 32], k, &election.tally, &mut rng(5)).unwrap());
    assert!(election.verify(&other.next().unwrap()).is_err());

    // Only two valid shares remain: not enough.
    let given = vec![
        moved[0].clone(),
        doubled[1].clone(),
        shares[2].clone(),
        shares[4].clone(),
    ];
    assert_eq!(
        election.combine(&given).unwrap_err(),
        TallyError::NotEnoughShares {
            valid: 2,
            needed: 3
        }
    );
    assert_eq!(
        election.combine(&[]).unwrap_err(),
        TallyError::NotEnoughShares {
            valid: 0,
            needed: 3
        }
    );

    // Duplicates and unknown trustees are skipped, not counted twice.
    let mut extra = pick(&shares, &[1, 2]);
    extra.push(shares[1].clone());
    let mut stranger = shares[2].clone();
    stranger.trustee = 6;
    extra.push(stranger);
    let error = election.combine(&extra).unwrap_err();
    assert_eq!(
        error,
        TallyError::NotEnoughShares {
            valid: 2,
            needed: 3
        }
    );
    extra.push(shares[4].clone());
    let decryption = election.combine(&extra).unwrap();
    assert_eq!(decryption.used, vec![1, 2, 5]);
    assert_eq!(decryption.rejected.len(), 2);
}

#[test]
fn shape_and_empty_ciphertext_rules() {
    let election = election(6);
    let shares = election.shares(7);
    let proof = shares[0].contests[0][0].proof;

    let mut short = shares[0].clone();
    short.contests[1].pop();
    assert_eq!(
        election.verify(&short).unwrap_err(),
        TallyError::ShapeMismatch { culprit: 1 }
    );

    // The empty ciphertext (contest 1, option 2) takes the identity and no proof.
    assert!(shares[0].contests[1][2].share.is_identity());
    assert!(shares[0].contests[1][2].proof.is_none());
    let mut with_proof = shares[0].clone();
    with_proof.contests[1][2].proof = proof;
    assert_eq!(
        election.verify(&with_proof).unwrap_err(),
        TallyError::UnexpectedProof {
            culprit: 1,
            contest: 1,
            option: 2
        }
    );
    let mut non_identity = shares[0].clone();
    non_identity.contests[1][2].share = shares[0].contests[0][0].share;
    assert_eq!(
        election.verify(&non_identity).unwrap_err(),
        TallyError::NonIdentityShare {
            culprit: 1,
            contest: 1,
            option: 2
        }
    );
    let mut no_proof = shares[0].clone();
    no_proof.contests[0][0].proof = None;
    assert_eq!(
        election.verify(&no_proof).unwrap_err(),
        TallyError::MissingProof {
            culprit: 1,
            contest: 0,
            option: 0
        }
    );

    let mut bounds = election.bounds.clone();
    bounds[0].pop();
    assert_eq!(
        combine(
            &FINGERPRINT,
            &election.record,
            &election.tally,
            &shares,
            &bounds
        )
        .unwrap_err(),
        TallyError::BoundsShape
    );
    // A count above its option's bound is refused, never truncated.
    let mut bounds = election.bounds.clone();
    bounds[1][0] = 7;
    assert_eq!(
        combine(
            &FINGERPRINT,
            &election.record,
            &election.tally,
            &shares,
            &bounds
        )
        .unwrap_err(),
        TallyError::CountOutOfRange {
            contest: 1,
            option: 0,
            bound: 7
        }
    );
}

#[test]
fn empty_tally_decrypts_to_zero() {
    let election = election(8);
    let empty = CiphertextSum::default().finish();
    let tally = EncryptedTally {
        board_size: 0,
        last_tracking_code: [0; 32],
        closing_checkpoint: None,
        participants: 0,
        contests: vec![vec![empty; 3], vec![empty]],
    };
    let mut rng = rng(9);
    let shares: Vec<DecryptionShare> = election
        .keys
        .iter()
        .map(|k| decrypt_share(&FINGERPRINT, k, &tally, &mut rng).unwrap())
        .collect();
    let bounds = vec![vec![0; 3], vec![0]];
    let decryption = combine(&FINGERPRINT, &election.record, &tally, &shares, &bounds).unwrap();
    assert_eq!(decryption.counts, vec![vec![0; 3], vec![0]]);
    verify_decryption(&FINGERPRINT, &election.record, &tally, &shares, &decryption).unwrap();
    // A tally with no contests at all.
    let none = EncryptedTally {
        board_size: 0,
        last_tracking_code: [0; 32],
        closing_checkpoint: None,
        participants: 0,
        contests: vec![],
    };
    let shares: Vec<DecryptionShare> = election
        .keys
        .iter()
        .map(|k| decrypt_share(&FINGERPRINT, k, &none, &mut rng).unwrap())
        .collect();
    let decryption = combine(&FINGERPRINT, &election.record, &none, &shares, &[]).unwrap();
    assert!(decryption.counts.is_empty());
}

/// Every string leaf of the share's JSON (points, scalars) replaced by a random point or a
/// random scalar, one at a time; and the trustee number changed.
#[test]
fn every_field_of_a_share_is_checked() {
    let election = election(10);
    let shares = election.shares(11);
    let share = &shares[2];
    let text = serde_json::to_string(share).unwrap();
    let back: DecryptionShare = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, share);
    assert_eq!(serde_json::to_string(&back).unwrap(), text);

    let original = serde_json::to_value(share).unwrap();
    let paths = json_paths::leaf_pointers(&original, false);
    let mut rng = rng(12);
    let mut checked = 0;
    for path in paths {
        let slot = original.pointer(&path).unwrap().clone();
        let candidates: Vec<Value> = match &slot {
            Value::String(_) => vec![
                Value::String(hex::encode(
                    RistrettoPoint::random(&mut rng).compress().as_bytes(),
                )),
                Value::String(hex::encode(Scalar::random(&mut rng).as_bytes())),
            ],
            Value::Number(n) => vec![(n.as_u64().unwrap() + 1).into()],
            // The empty ciphertext's `proof: null`: give it a proof.
            Value::Null => vec![original["contests"][0][0]["proof"].clone()],
            other => panic!("unexpected {other}"),
        };
        let mut accepted = false;
        for candidate in candidates {
            let mut copy = original.clone();
            *copy.pointer_mut(&path).unwrap() = candidate;
            if let Ok(tampered) = serde_json::from_value::<DecryptionShare>(copy) {
                assert!(
                    election.verify(&tampered).is_err(),
                    "field {path} not checked"
                );
                accepted = true;
            }
        }
        assert!(accepted, "no well-formed replacement for {path}");
        checked += 1;
    }
    // trustee + 5 × (share + 3 proof fields) + the empty option's share and null proof.
    assert_eq!(checked, 1 + 5 * 4 + 2);

    // `proof` must be present even when null.
    let mut missing = original.clone();
    missing["contests"][1][2]
        .as_object_mut()
        .unwrap()
        .remove("proof");
    assert!(serde_json::from_value::<DecryptionShare>(missing).is_err());
}

#[test]
fn published_decryption_is_rechecked() {
    let election = election(13);
    let shares = election.shares(14);
    let decryption = election.combine(&shares).unwrap();
    let check = |d: &saylau::tally::Decryption, s: &[DecryptionShare]| {
        verify_decryption(&FINGERPRINT, &election.record, &election.tally, s, d)
    };
    check(&decryption, &shares).unwrap();
    let json = serde_json::to_string(&decryption).unwrap();
    assert_eq!(
        serde_json::from_str::<saylau::tally::Decryption>(&json).unwrap(),
        decryption
    );

    let mut count = decryption.clone();
    count.counts[0][1] += 1;
    assert_eq!(
        check(&count, &shares).unwrap_err(),
        TallyError::CountMismatch {
            contest: 0,
            option: 1
        }
    );
    let mut used = decryption.clone();
    used.used = vec![1, 2];
    assert_eq!(
        check(&used, &shares).unwrap_err(),
        TallyError::InvalidUsedSet
    );
    used.used = vec![1, 1, 2];
    assert_eq!(
        check(&used, &shares).unwrap_err(),
        TallyError::InvalidUsedSet
    );
    used.used = vec![3, 4, 5];
    check(&used, &shares).unwrap();
    assert_eq!(
        check(&decryption, &pick(&shares, &[1, 3, 4])).unwrap_err(),
        TallyError::UsedShareMissing { trustee: 2 }
    );
    let mut bad = shares.clone();
    bad[0].contests[0][0].share = bad[0].contests[0][1].share;
    assert_eq!(
        check(&decryption, &bad).unwrap_err(),
        TallyError::UsedShareMissing { trustee: 1 }
    );
}

#[test]
fn discrete_log_edges() {
    let mut rng = rng(15);
    for bound in [0u64, 1, 2, 99, 100, 1000, 65_535, 1_000_003] {
        let table = DiscreteLog::new(bound).unwrap();
        assert_eq!(table.solve(&RistrettoPoint::identity()), Some(0));
        assert_eq!(table.solve(&encode_plaintext(0)), Some(0));
        if bound >= 1 {
            assert_eq!(table.solve(&encode_plaintext(1)), Some(1));
        }
        assert_eq!(
            table.solve(&encode_plaintext(bound)),
            Some(bound),
            "bound {bound}"
        );
        assert_eq!(
            table.solve(&encode_plaintext(bound + 1)),
            None,
            "bound {bound}"
        );
        assert_eq!(
            table.solve(&encode_plaintext(bound + 1000)),
            None,
            "bound {bound}"
        );
        for _ in 0..20 {
            let m = rng.next_u64() % (bound + 1);
            assert_eq!(
                table.solve(&encode_plaintext(m)),
                Some(m),
                "bound {bound}, m {m}"
            );
        }
        // A point with no small logarithm.
        assert_eq!(table.solve(&RistrettoPoint::random(&mut rng)), None);
        // Negative logarithms are not counts.
        assert_eq!(table.solve(&-encode_plaintext(1)), None);
    }
    assert!(matches!(
        DiscreteLog::new(DiscreteLog::MAX_BOUND + 1),
        Err(TallyError::BoundTooLarge { .. })
    ));
}

/// 20 million ballots × score 10: the table builds and a solve returns, found or not.
#[test]
fn discrete_log_large_bound_returns() {
    let bound = 20_000_000u64 * 10;
    let table = DiscreteLog::new(bound).unwrap();
    assert_eq!(table.baby_steps(), 14_143);
    assert_eq!(table.solve(&encode_plaintext(bound)), Some(bound));
    assert_eq!(
        table.solve(&encode_plaintext(bound - 12_345_678)),
        Some(bound - 12_345_678)
    );
    assert_eq!(table.solve(&encode_plaintext(bound + 1)), None);
}
