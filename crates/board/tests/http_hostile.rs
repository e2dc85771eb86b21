//! Hostile input (issue 15, "Hostile input"): each gets its status and code, nothing of it is
//! stored (the log's head is unchanged), and the board keeps serving.

mod http_common;

use http_common::{Answer, TestBoard};
use saylau::ballot::Ballot;
use saylau::crypto::elgamal::EncryptionKey;
use saylau::crypto::group::GroupElement;
use saylau::sim::demo::SimulatedVoter;
use saylau_board::store::Head;

/// Asserts a refusal: its status, its code, the head unchanged, and the board still serving.
async fn refused(
    board: &TestBoard,
    answer: Answer,
    status: u16,
    code: &str,
    head: Head,
) -> serde_json::Value {
    assert_eq!(
        answer.status,
        status,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let json = answer.json();
    assert_eq!(json["error"]["code"], code, "{json}");
    assert!(!json["error"]["message"].as_str().unwrap().is_empty());
    assert_eq!(
        board.head().await,
        head,
        "a refused submission changed the log"
    );
    assert_eq!(board.get("/healthz").await.status, 200);
    json
}

/// Posts `body` to `/v1/ballots` and asserts the refusal, as [`refused`] does.
async fn refused_ballot(
    board: &TestBoard,
    body: &[u8],
    status: u16,
    code: &str,
    head: Head,
) -> serde_json::Value {
    let answer = board.post("/v1/ballots", body).await;
    refused(board, answer, status, code, head).await
}

fn to_json(ballot: &Ballot) -> Vec<u8> {
    serde_json::to_vec(ballot).unwrap()
}

/// `ballot` as JSON, with `edit` applied to it first.
fn edited_json(ballot: &Ballot, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(&to_json(ballot)).unwrap();
    edit(&mut value);
    serde_json::to_vec(&value).unwrap()
}

/// Voter `i` signs `body` (for election `fingerprint`).
fn sign(
    board: &mut TestBoard,
    i: usize,
    body: saylau::ballot::BallotBody,
    fingerprint: &[u8; 32],
) -> Ballot {
    body.sign(fingerprint, &board.voters[i].secret, &mut board.rng)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_input_is_refused_and_stores_nothing() {
    let mut board = TestBoard::start(3, 0).await;
    // One honest ballot first, so "unchanged" means something.
    let honest = board.ballot(0);
    assert_eq!(
        board.post("/v1/ballots", &to_json(&honest)).await.status,
        201
    );
    let head = board.head().await;
    assert_eq!(head.size, 1);
    let fingerprint = *board.election.fingerprint();

    // Malformed JSON.
    refused_ballot(&board, b"{\"body\": [", 400, "malformed", head).await;
    // Data after the value.
    let mut trailing = to_json(&board.ballot(1));
    trailing.extend_from_slice(b" {}");
    refused_ballot(&board, &trailing, 400, "malformed", head).await;
    // An unknown field.
    let edited = edited_json(&board.ballot(1), |value| {
        value["extra"] = serde_json::json!(1)
    });
    refused_ballot(&board, &edited, 400, "malformed", head).await;

    // An oversized body.
    let big = vec![b' '; 300 * 1024];
    refused_ballot(&board, &big, 413, "too_large", head).await;

    // A non-canonical point (the credential), named by its field.
    let edited = edited_json(&board.ballot(1), |value| {
        value["body"]["credential"] = serde_json::json!("ff".repeat(32))
    });
    let json = refused_ballot(&board, &edited, 400, "malformed", head).await;
    assert_eq!(json["error"]["field"], "body.credential");

    // The identity as a ciphertext's alpha, validly signed: the proofs' check names it.
    let mut ballot = board.ballot(1);
    ballot.body.contests[0].options[0].ciphertext.alpha = GroupElement::decode(&[0u8; 32]).unwrap();
    let ballot = sign(&mut board, 1, ballot.body, &fingerprint);
    let json = refused_ballot(&board, &to_json(&ballot), 422, "bad_proof", head).await;
    assert_eq!(
        json["error"]["field"],
        "body.contests[0].options[0].ciphertext.alpha"
    );
    assert_eq!(
        json["error"]["ballot_hash"],
        hex::encode(ballot.body.hash())
    );
    // The identity as the signature's commitment.
    let mut ballot = board.ballot(1);
    ballot.signature.commitment = GroupElement::decode(&[0u8; 32]).unwrap();
    let json = refused_ballot(&board, &to_json(&ballot), 422, "bad_signature", head).await;
    assert_eq!(json["error"]["field"], "signature");
    // The identity as the credential: not on the list.
    let edited = edited_json(&board.ballot(1), |value| {
        value["body"]["credential"] = serde_json::json!("00".repeat(32))
    });
    refused_ballot(&board, &edited, 403, "unknown_credential", head).await;

    // A ballot for another election: made and signed for another fingerprint.
    let other = [0x42u8; 32];
    let e = &board.election;
    let (body, _secrets) = board.voters[1]
        .fill_in(
            &e.manifest,
            &other,
            &EncryptionKey::new(*e.key()),
            &mut board.rng,
        )
        .unwrap();
    let foreign = sign(&mut board, 1, body, &other);
    refused_ballot(&board, &to_json(&foreign), 422, "bad_signature", head).await;
    // ... and a device that says which election it encrypted for.
    let answer = board
        .post_with(
            "/v1/ballots",
            &[("Saylau-Election", &hex::encode(other))],
            &to_json(&foreign),
        )
        .await;
    refused(&board, answer, 422, "wrong_election", head).await;

    // An unlisted credential.
    let stranger = saylau::sim::demo::register_voters(1, &mut board.rng).remove(0);
    let e = &board.election;
    let ballot = stranger
        .cast(
            &e.manifest,
            e.fingerprint(),
            &EncryptionKey::new(*e.key()),
            &mut board.rng,
        )
        .unwrap();
    let json = refused_ballot(&board, &to_json(&ballot), 403, "unknown_credential", head).await;
    assert_eq!(json["error"]["field"], "body.credential");

    // The same body under another credential, signed by that credential: the proofs bind the
    // first credential, so they fail.
    let mut copied = honest.body.clone();
    copied.credential = board.voters[2].public;
    let copied = sign(&mut board, 2, copied, &fingerprint);
    refused_ballot(&board, &to_json(&copied), 422, "bad_proof", head).await;
    // The same body, re-signed by its own credential: a different ballot with the same hash.
    let resigned = sign(&mut board, 0, honest.body.clone(), &fingerprint);
    assert_ne!(resigned.signature, honest.signature);
    refused_ballot(
        &board,
        &to_json(&resigned),
        422,
        "ballot_challenged_or_other_credential",
        head,
    )
    .await;

    // A second ballot while one of the same credential is in flight.
    let waiting = board.ballot(1);
    {
        let running = board.running.as_ref().unwrap();
        let _slot = running
            .board()
            .in_flight
            .enter(*board.voters[1].public.as_bytes())
            .unwrap();
        refused_ballot(&board, &to_json(&waiting), 409, "in_flight", head).await;
        // The refusal did not free the slot its holder still has.
        assert!(running
            .board()
            .in_flight
            .enter(*board.voters[1].public.as_bytes())
            .is_none());
    }
    // Bad reads are JSON refusals too.
    for (path, status, code) in [
        ("/v1/consistency?from=x&to=1", 400, "malformed"),
        ("/v1/consistency?from=1", 400, "malformed"),
        ("/v1/ballots?after=-1", 400, "malformed"),
        ("/v1/ballots?limit=5000", 400, "malformed"),
        ("/v1/proof/1?size=zero", 400, "malformed"),
        ("/v1/ballots/ABCD", 400, "malformed"),
        ("/v1/receipts/00", 400, "malformed"),
        ("/v1/election/secret.json", 404, "not_found"),
        ("/log/tile/0/0001", 400, "malformed"),
        ("/nowhere", 404, "not_found"),
    ] {
        let answer = board.get(path).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code.to_string()),
            "{path}"
        );
    }

    // Once the first is answered, the ballot goes through.
    assert_eq!(
        board.post("/v1/ballots", &to_json(&waiting)).await.status,
        201
    );
    board.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenged_ballots_are_checked_before_publishing() {
    let mut board = TestBoard::start(2, 0).await;
    let e = board.election.clone();
    let key = EncryptionKey::new(*e.key());
    let voter: &SimulatedVoter = &board.voters[0];
    let (body, secrets) = voter
        .fill_in(&e.manifest, e.fingerprint(), &key, &mut board.rng)
        .unwrap();
    let challenged = body.clone().challenge(secrets);
    let head = board.head().await;

    // A false opening: the revealed choice is not what the device encrypted.
    let mut lie = challenged.clone();
    let n = lie.plaintexts[0].len();
    let chosen = lie.plaintexts[0].iter().position(|&v| v == 1).unwrap();
    lie.plaintexts[0][chosen] = 0;
    lie.plaintexts[0][(chosen + 1) % n] = 1;
    let answer = board
        .post("/v1/challenged", &serde_json::to_vec(&lie).unwrap())
        .await;
    let json = refused(&board, answer, 422, "bad_opening", head).await;
    assert_eq!(json["error"]["ballot_hash"], hex::encode(body.hash()));

    // The true opening: published, and again gives the same answer.
    let bytes = serde_json::to_vec(&challenged).unwrap();
    let first = board.post("/v1/challenged", &bytes).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.json()["ballot_hash"], hex::encode(body.hash()));
    let again = board.post("/v1/challenged", &bytes).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), first.json());
    let by_hash = board
        .get(&format!("/v1/ballots/{}", hex::encode(body.hash())))
        .await;
    assert_eq!(by_hash.json()["kind"], "challenged");

    // The challenged body can no longer be cast.
    let head = board.head().await;
    let cast = body
        .sign(e.fingerprint(), &board.voters[0].secret, &mut board.rng)
        .unwrap();
    refused_ballot(
        &board,
        &to_json(&cast),
        422,
        "ballot_challenged_or_other_credential",
        head,
    )
    .await;
    board.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_is_rate_limited() {
    let mut board = TestBoard::start(1, 5).await;
    let head = board.head().await;
    let mut statuses = Vec::new();
    // Bursts of up to 10 are allowed at 5/s; 40 requests at once cannot all pass.
    for _ in 0..40 {
        statuses.push(board.get("/v1/election/manifest.json").await);
    }
    let limited: Vec<&Answer> = statuses.iter().filter(|a| a.status == 429).collect();
    assert!(!limited.is_empty(), "no request was limited");
    assert_eq!(limited[0].code(), "rate_limited");
    // Health checks are not limited, and nothing was stored.
    assert_eq!(board.get("/healthz").await.status, 200);
    assert_eq!(board.head().await, head);
    board.stop().await;
}
