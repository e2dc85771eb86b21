//! The commission's actions over HTTP (spec `board.md` §9): a signed close appends the close
//! leaf and answers with the closing checkpoint, after which the board takes no ballot
//! (409 `board_closed`); a signed publication of the tally, the shares and the results is
//! stored only once the record they complete verifies, and the export then carries them.

mod http_common;

use http_common::TestBoard;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use saylau::crypto::elgamal::EncryptionKey;
use saylau::manifest::Manifest;
use saylau::record::{
    self, CloseRequest, CommissionSignature, CommissionSigningKey, PublishRequest, PublishedFile,
    Record,
};
use saylau_board::demo::DEMO_COMMISSION_PASSPHRASE;

fn commission(board: &TestBoard) -> CommissionSigningKey {
    saylau::trustee::open_commission_key(
        &board.dir.path().join("demo/commission"),
        DEMO_COMMISSION_PASSPHRASE.as_bytes(),
    )
    .unwrap()
}

fn close_body(election: [u8; 32], signature: CommissionSignature) -> Vec<u8> {
    serde_json::to_vec(&CloseRequest {
        election,
        signature,
    })
    .unwrap()
}

/// The files `saylau board publish` uploads, from a record folder after `tally finish`.
fn publication(dir: &std::path::Path, key: &CommissionSigningKey, f: [u8; 32]) -> PublishRequest {
    let files = record::indexed_files(dir)
        .unwrap()
        .into_iter()
        .filter(|n| {
            n == record::TALLY || n == record::RESULTS || n.starts_with(record::DECRYPTION_DIR)
        })
        .map(|name| PublishedFile {
            bytes: std::fs::read(dir.join(&name)).unwrap(),
            name,
        })
        .collect();
    let mut request = PublishRequest {
        election: f,
        files,
        signature: CommissionSignature([0; 64]),
    };
    request.signature = key.sign(&request.message());
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_refuses_ballots_after_it_and_publish_stores_a_verified_record() {
    let mut board = TestBoard::start(4, 0).await;
    let f = *board.election.fingerprint();
    let key = commission(&board);
    for i in 0..2 {
        let ballot = serde_json::to_vec(&board.ballot(i)).unwrap();
        assert_eq!(board.post("/v1/ballots", &ballot).await.status, 201);
    }

    // Refused closes: another key, another election, another action's signature, malformed.
    let stranger = CommissionSigningKey::from_seed([1; 32]);
    let answer = board
        .post("/v1/close", &close_body(f, stranger.sign_close(&f)))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (403, "bad_commission_signature".into())
    );
    let answer = board
        .post("/v1/close", &close_body([3; 32], key.sign_close(&[3; 32])))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (422, "wrong_election".into())
    );
    let answer = board
        .post("/v1/close", &close_body(f, key.sign(&[0; 32])))
        .await;
    assert_eq!(answer.status, 403);
    let answer = board.post("/v1/close", b"{\"election\": 1}").await;
    assert_eq!((answer.status, answer.code()), (400, "malformed".into()));
    // A publication before the close: refused.
    let early = PublishRequest {
        election: f,
        files: ["tally.json", "decryption/trustee-1.json", "results.json"]
            .iter()
            .map(|n| PublishedFile {
                name: n.to_string(),
                bytes: b"{}\n".to_vec(),
            })
            .collect(),
        signature: CommissionSignature([0; 64]),
    };
    let early = PublishRequest {
        signature: key.sign(&early.message()),
        ..early
    };
    let answer = board
        .post("/v1/publish", &serde_json::to_vec(&early).unwrap())
        .await;
    assert_eq!((answer.status, answer.code()), (409, "not_closed".into()));
    assert_eq!(board.head().await.closed_at, None);

    // The close: 201, the close leaf after the two ballots, and the closing checkpoint.
    let answer = board
        .post("/v1/close", &close_body(f, key.sign_close(&f)))
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    let closed = answer.json();
    assert_eq!(closed["close_index"], 2);
    let checkpoint = closed["checkpoint"].as_str().unwrap();
    assert_eq!(checkpoint.lines().nth(1), Some("3"));
    assert_eq!(board.head().await.closed_at, Some(2));
    // Again: 200, the same close.
    let again = board
        .post("/v1/close", &close_body(f, key.sign_close(&f)))
        .await;
    assert_eq!(
        (again.status, again.json()["close_index"].clone()),
        (200, 2.into())
    );

    // No ballot after the close, cast or challenged; a retry of a recorded one still answers.
    let late = serde_json::to_vec(&board.ballot(2)).unwrap();
    let answer = board.post("/v1/ballots", &late).await;
    assert_eq!((answer.status, answer.code()), (409, "board_closed".into()));
    let e = board.election.clone();
    let (body, secrets) = board.voters[3]
        .fill_in(
            &e.manifest,
            e.fingerprint(),
            &EncryptionKey::new(*e.key()),
            &mut board.rng,
        )
        .unwrap();
    let challenged = serde_json::to_vec(&body.challenge(secrets)).unwrap();
    let answer = board.post("/v1/challenged", &challenged).await;
    assert_eq!((answer.status, answer.code()), (409, "board_closed".into()));
    assert_eq!(board.head().await.size, 3);

    // The commission takes the export, the trustees decrypt, the count is finished. The demo's
    // key shares are those its seeded ceremony drew (the same rng, the same first draws).
    let tar = board.get("/v1/export").await;
    assert_eq!(tar.status, 200);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("record");
    tar::Archive::new(tar.body.as_slice()).unpack(&dir).unwrap();
    let rec = Record::at(&dir);
    let manifest_bytes = std::fs::read(dir.join(record::MANIFEST)).unwrap();
    let names: Vec<String> = (1..=3).map(|i| format!("Commission member {i}")).collect();
    let (ceremony, shares) = saylau::ceremony::run_in_process(
        &Manifest::hash_bytes(&manifest_bytes),
        &names,
        2,
        &mut ChaCha20Rng::seed_from_u64(7),
    )
    .unwrap();
    assert_eq!(ceremony.joint_key, *e.key(), "the demo's ceremony");
    saylau::election::publish_tally(&rec, &e).unwrap();
    let verified = saylau::verify::verified_tally(&rec).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    for share in &shares[..2] {
        saylau::sim::demo::trustee_decrypt(&rec, &e, share, &verified, &mut rng).unwrap();
    }
    saylau::trustee::finish_tally(&rec, &e).unwrap();

    // A publication that does not verify: nothing is stored.
    let good = publication(&dir, &key, f);
    let mut bad = good.clone();
    let results = bad.files.last_mut().unwrap();
    let mut value: serde_json::Value = serde_json::from_slice(&results.bytes).unwrap();
    let count = value["contests"][0]["counts"][0].as_u64().unwrap();
    value["contests"][0]["counts"][0] = (count + 1).into();
    results.bytes = serde_json::to_vec_pretty(&value).unwrap();
    bad.signature = key.sign(&bad.message());
    let answer = board
        .post("/v1/publish", &serde_json::to_vec(&bad).unwrap())
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (422, "does_not_verify".into()),
        "{}",
        answer.text()
    );
    assert!(answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("check 14"));
    assert!(!board.record.join(record::RESULTS).exists());
    // Unsigned (a signature of other files): refused.
    let mut forged = good.clone();
    forged.signature = bad.signature;
    let answer = board
        .post("/v1/publish", &serde_json::to_vec(&forged).unwrap())
        .await;
    assert_eq!(answer.status, 403);

    // The real publication: stored, and the export is now the whole, verified record.
    let answer = board
        .post("/v1/publish", &serde_json::to_vec(&good).unwrap())
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    let stored = answer.json();
    assert_eq!(
        stored["files"].as_array().unwrap().len(),
        good.files.len() + 1
    );
    for file in &good.files {
        assert_eq!(
            std::fs::read(board.record.join(&file.name)).unwrap(),
            file.bytes
        );
    }
    let export = board.get("/v1/export").await;
    let full = work.path().join("full");
    tar::Archive::new(export.body.as_slice())
        .unpack(&full)
        .unwrap();
    let report = saylau::verify::verify_record(&Record::at(&full), Default::default());
    assert!(report.verified, "{:?}", report.failed().collect::<Vec<_>>());
    assert_eq!(
        report.record_root,
        stored["record_root"].as_str().map(String::from)
    );
    // Replayed: the same answer; other files: a publication is final.
    let answer = board
        .post("/v1/publish", &serde_json::to_vec(&good).unwrap())
        .await;
    assert_eq!(answer.status, 200);
    let answer = board
        .post("/v1/publish", &serde_json::to_vec(&bad).unwrap())
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (409, "already_published".into())
    );
    board.stop().await;
}
