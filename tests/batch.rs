//! Batch verification: culprit search names every invalid ballot, and batch and one-by-one
//! verification always agree (spec `batch.md` §5).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::ballot::{Ballot, ValueProof};
use saylau::crypto::batch::{Base, EquationBatch, EquationSink};
use saylau::crypto::group::GroupElement;
use saylau::record::{BallotLine, RawLine};
use saylau::sim::workload::{Shape, Workload};
use saylau::verify::{BallotPipeline, Mode};
use std::sync::OnceLock;

/// Ballots in the test chunk: one batch equation.
const BALLOTS: usize = 24;

fn workload() -> &'static Workload {
    static WORKLOAD: OnceLock<Workload> = OnceLock::new();
    WORKLOAD.get_or_init(|| Workload::generate(Shape::Default, BALLOTS, 7).unwrap())
}

/// The ways a test breaks a ballot.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    /// An option proof's response: only the multiscalar check sees it.
    Response,
    /// A total proof's response.
    TotalResponse,
    /// The credential signature's response.
    Signature,
    /// A challenge share: the challenge sum fails before any equation.
    Challenge,
    /// Two commitments swapped.
    SwapCommitments,
}

const TAMPERS: [Tamper; 5] = [
    Tamper::Response,
    Tamper::TotalResponse,
    Tamper::Signature,
    Tamper::Challenge,
    Tamper::SwapCommitments,
];

fn tamper(ballot: &mut Ballot, how: Tamper, contest: usize, option: usize) {
    let contest = &mut ballot.body.contests[contest % 3];
    let option = option % contest.options.len();
    match how {
        Tamper::Response => match &mut contest.options[option].proof {
            ValueProof::Disjunctive(proof) => proof.branches[1].response += Scalar::ONE,
            _ => unreachable!("default ballots use disjunctive option proofs"),
        },
        Tamper::TotalResponse => match &mut contest.total_proof {
            ValueProof::Exact(proof) => proof.response += Scalar::ONE,
            _ => unreachable!("default ballots use exact total proofs"),
        },
        Tamper::Signature => ballot.signature.response += Scalar::ONE,
        Tamper::Challenge => match &mut contest.options[option].proof {
            ValueProof::Disjunctive(proof) => proof.branches[0].challenge += Scalar::ONE,
            _ => unreachable!(),
        },
        Tamper::SwapCommitments => match &mut contest.options[option].proof {
            ValueProof::Disjunctive(proof) => {
                let branch = &mut proof.branches[0];
                std::mem::swap(&mut branch.a, &mut branch.b);
            }
            _ => unreachable!(),
        },
    }
}

/// The workload's lines with the ballots at `positions` tampered (their published tracking
/// code and hash are kept, so checks 6 and 10 also flag them).
fn lines_with(tampered: &[(usize, Tamper, usize, usize)]) -> Vec<RawLine> {
    let workload = workload();
    let mut lines = workload.numbered_lines();
    for &(position, how, contest, option) in tampered {
        let mut line: BallotLine = serde_json::from_slice(&lines[position].bytes).unwrap();
        tamper(&mut line.ballot, how, contest, option);
        let mut bytes = serde_json::to_vec(&line).unwrap();
        bytes.push(b'\n');
        lines[position].bytes = bytes;
    }
    lines
}

/// Every failure `(check, culprit, detail)` of the ballot pipeline over `lines`.
fn failures(lines: Vec<RawLine>, mode: Mode) -> Vec<(u32, String, String)> {
    let mut pipeline = BallotPipeline::new(workload().context(), mode);
    pipeline.push_chunk(lines);
    pipeline.flush();
    let mut failures = pipeline.take_failures();
    failures.sort();
    failures
}

/// The lines named by check 7.
fn proof_culprits(failures: &[(u32, String, String)]) -> Vec<u64> {
    let mut lines: Vec<u64> = failures
        .iter()
        .filter(|(check, _, _)| *check == 7)
        .map(|(_, culprit, _)| {
            let tail = culprit.rsplit("line ").next().unwrap();
            tail.trim_end_matches(')').parse().unwrap()
        })
        .collect();
    lines.sort_unstable();
    lines
}

#[test]
fn an_all_valid_chunk_is_accepted() {
    assert_eq!(failures(lines_with(&[]), Mode::Batch), vec![]);
}

#[test]
fn one_invalid_proof_at_a_random_position_is_named() {
    let mut rng = ChaCha20Rng::seed_from_u64(41);
    for how in TAMPERS {
        let position = rng.gen_range(0..BALLOTS);
        let lines = lines_with(&[(position, how, rng.gen(), rng.gen())]);
        let found = failures(lines.clone(), Mode::Batch);
        assert_eq!(
            proof_culprits(&found),
            vec![position as u64 + 1],
            "{how:?}: {found:?}"
        );
        let named = &found.iter().find(|f| f.0 == 7).unwrap().1;
        let published: BallotLine = serde_json::from_slice(&lines[position].bytes).unwrap();
        assert!(
            named.contains(&hex::encode(published.tracking_code)),
            "{named}"
        );
        assert_eq!(found, failures(lines, Mode::OneByOne), "{how:?}");
    }
}

#[test]
fn several_invalid_proofs_are_all_named() {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    for count in [2, 3, 5, BALLOTS / 2, BALLOTS] {
        let mut positions: Vec<usize> = (0..BALLOTS).collect();
        for i in 0..count {
            let j = rng.gen_range(i..BALLOTS);
            positions.swap(i, j);
        }
        positions.truncate(count);
        let tampered: Vec<_> = positions
            .iter()
            .map(|&p| {
                (
                    p,
                    TAMPERS[rng.gen_range(0..TAMPERS.len())],
                    rng.gen(),
                    rng.gen(),
                )
            })
            .collect();
        let lines = lines_with(&tampered);
        let found = failures(lines.clone(), Mode::Batch);
        let mut expected: Vec<u64> = positions.iter().map(|&p| p as u64 + 1).collect();
        expected.sort_unstable();
        assert_eq!(proof_culprits(&found), expected, "{count} invalid");
        assert_eq!(found, failures(lines, Mode::OneByOne), "{count} invalid");
    }
}

/// Items `i` of a synthetic batch: `s_i·G − P_i = 0`, false for the items in `bad`.
fn synthetic_batch(items: usize, bad: &[usize]) -> EquationBatch {
    let points: Vec<GroupElement> = (0..items)
        .map(|i| {
            let s = Scalar::from(i as u64 + 1);
            let shift = if bad.contains(&i) {
                Scalar::ONE
            } else {
                Scalar::ZERO
            };
            GroupElement::from_point(&(s + shift) * RISTRETTO_BASEPOINT_TABLE)
        })
        .collect();
    let mut batch = EquationBatch::new(None);
    for (i, point) in points.iter().enumerate() {
        let w = batch.weight();
        batch.add(w * Scalar::from(i as u64 + 1), Base::G);
        batch.add(-w, Base::Point(point.point()));
        batch.finish_item();
    }
    batch
}

#[test]
fn culprit_search_finds_exactly_the_false_items() {
    let mut rng = ChaCha20Rng::seed_from_u64(43);
    for items in [1usize, 2, 3, 7, 64, 200] {
        for bad_count in [0usize, 1, 2, 3, items / 4, items / 2, items] {
            let mut bad: Vec<usize> = (0..items).collect();
            for i in 0..bad_count.min(items) {
                let j = rng.gen_range(i..items);
                bad.swap(i, j);
            }
            bad.truncate(bad_count.min(items));
            bad.sort_unstable();
            let batch = synthetic_batch(items, &bad);
            assert_eq!(batch.holds(), bad.is_empty());
            let found = if batch.holds() {
                vec![]
            } else {
                batch.failing_items()
            };
            assert_eq!(found, bad, "{items} items");
        }
    }
}

mod agreement {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 10,
            rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
            ..ProptestConfig::default()
        })]

        /// Batch and one-by-one verification report the same failures, whatever is tampered.
        #[test]
        fn batch_and_one_by_one_agree(
            tampered in proptest::collection::vec(
                (0..BALLOTS, 0..TAMPERS.len(), any::<usize>(), any::<usize>()),
                0..6,
            )
        ) {
            let tampered: Vec<_> = tampered
                .into_iter()
                .map(|(p, t, c, o)| (p, TAMPERS[t], c, o))
                .collect();
            let lines = lines_with(&tampered);
            let batch = failures(lines.clone(), Mode::Batch);
            let one_by_one = failures(lines, Mode::OneByOne);
            prop_assert_eq!(&batch, &one_by_one);
            let mut positions: Vec<u64> = tampered.iter().map(|t| t.0 as u64 + 1).collect();
            positions.sort_unstable();
            positions.dedup();
            // A ballot tampered twice may be restored (a swap undone); all others fail check 7.
            let named = proof_culprits(&batch);
            prop_assert!(named.iter().all(|line| positions.contains(line)));
        }
    }
}
