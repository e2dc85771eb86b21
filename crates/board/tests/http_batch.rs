//! The micro-batch verifier: a group holding bad ballots refuses each of them with its own
//! reason and accepts the rest; ballots posted at the same time are verified and answered
//! one by one.

mod http_common;

use std::sync::Arc;

use http_common::TestBoard;
use saylau::ballot::{Ballot, BallotError};
use saylau::crypto::elgamal::EncryptionKey;
use saylau::crypto::group::GroupElement;
use saylau_board::verify::{verify_group, ProofContext};

fn context(board: &TestBoard) -> ProofContext {
    let e = &board.election;
    ProofContext {
        manifest: e.manifest.clone(),
        fingerprint: *e.fingerprint(),
        key: *e.key(),
    }
}

/// Voter `from`'s ciphertext and proof of option 0 of contest 0 swapped into `ballot`: that
/// option's range proof no longer fits (its transcript binds another credential), nor does the
/// contest's total.
fn with_foreign_option(ballot: &Ballot, from: &Ballot) -> Ballot {
    let mut bad = ballot.clone();
    bad.body.contests[0].options[0] = from.body.contests[0].options[0].clone();
    bad
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn culprits_get_their_own_reason_and_the_rest_are_accepted() {
    let mut board = TestBoard::start(6, 0).await;
    let good: Vec<Ballot> = (0..6).map(|i| board.ballot(i)).collect();
    let bad_option = with_foreign_option(&good[1], &good[2]);
    let mut bad_total = good[3].clone();
    bad_total.body.contests[1].total_proof = good[4].body.contests[1].total_proof.clone();
    let mut identity = good[5].clone();
    identity.body.contests[0].options[1].ciphertext.alpha =
        GroupElement::decode(&[0u8; 32]).unwrap();
    let group = [
        &good[0],
        &bad_option,
        &good[2],
        &bad_total,
        &good[4],
        &identity,
    ];
    let results = verify_group(&context(&board), &group);
    assert!(
        results[0].is_ok() && results[2].is_ok() && results[4].is_ok(),
        "{results:?}"
    );
    assert!(
        matches!(
            results[1],
            Err(BallotError::OptionProof {
                contest: 0,
                option: 0,
                ..
            })
        ),
        "{:?}",
        results[1]
    );
    assert!(
        matches!(results[3], Err(BallotError::TotalProof { contest: 1, .. })),
        "{:?}",
        results[3]
    );
    assert!(
        matches!(
            results[5],
            Err(BallotError::IdentityAlpha {
                contest: 0,
                option: 1
            })
        ),
        "{:?}",
        results[5]
    );
    // All good: all accepted.
    let all: Vec<&Ballot> = good.iter().collect();
    assert!(verify_group(&context(&board), &all)
        .iter()
        .all(Result::is_ok));
    board.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballots_posted_together_are_answered_each_on_its_own() {
    let mut board = TestBoard::start(8, 0).await;
    let e = board.election.clone();
    let key = EncryptionKey::new(*e.key());
    let mut bodies = Vec::new();
    let mut honest = 0;
    for i in 0..8 {
        let ballot = board.voters[i]
            .cast(&e.manifest, e.fingerprint(), &key, &mut board.rng)
            .unwrap();
        if i % 3 == 1 {
            // A bad proof under a valid signature: re-signed after the swap.
            let other = board.ballot((i + 1) % 8);
            let bad = with_foreign_option(&ballot, &other);
            let bad = bad
                .body
                .sign(e.fingerprint(), &board.voters[i].secret, &mut board.rng)
                .unwrap();
            bodies.push((false, serde_json::to_vec(&bad).unwrap()));
        } else {
            honest += 1;
            bodies.push((true, serde_json::to_vec(&ballot).unwrap()));
        }
    }
    let addr = board.addr();
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|(good, body)| {
            let body = Arc::new(body);
            tokio::spawn(async move {
                let answer = http_common::request(addr, "POST", "/v1/ballots", &[], &body).await;
                (good, answer)
            })
        })
        .collect();
    for task in tasks {
        let (good, answer) = task.await.unwrap();
        if good {
            assert_eq!(answer.status, 201, "{}", answer.text());
        } else {
            assert_eq!(answer.status, 422, "{}", answer.text());
            assert_eq!(answer.code(), "bad_proof");
            assert_eq!(
                answer.json()["error"]["field"],
                "body.contests[0].options[0].proof"
            );
        }
    }
    assert_eq!(board.head().await.size, honest);
    board.stop().await;
}
