//! The code must still produce exactly the committed test vectors (`protocol-spec/vectors/`),
//! and the committed vectors must verify. Regenerate with `cargo run --example vectors` only when
//! the spec changes on purpose.

mod common {
    pub mod vectors;
}

use common::vectors;
use saylau::crypto::elgamal::{Ciphertext, PublicKey};
use saylau::crypto::proofs::{
    DisjunctiveProof, EqualityProof, EqualityStatement, PointPair, RangeProof, SchnorrProof,
};
use saylau::crypto::transcript::Transcript;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn vector_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol-spec/vectors")
}

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(vector_dir().join(name)).unwrap()).unwrap()
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap()
}

#[test]
fn generated_vectors_match_committed_files() {
    for (name, text) in vectors::generate() {
        let committed = std::fs::read_to_string(vector_dir().join(name)).unwrap_or_default();
        assert_eq!(
            committed, text,
            "protocol-spec/vectors/{name} drifted from the code"
        );
    }
}

#[test]
fn committed_proof_vectors_verify() {
    let context = vectors::context();
    let t = || Transcript::new(&context);
    let v = load("schnorr.json");
    parse::<SchnorrProof>(&v["proof"])
        .verify(&mut t(), &parse(&v["public"]))
        .unwrap();

    let v = load("chaum_pedersen.json");
    let (base, a, c) = (parse(&v["base"]), parse(&v["A"]), parse(&v["C"]));
    let statement = EqualityStatement {
        base: &base,
        base_is_key: true,
        pair: PointPair::encoded(&a, &c),
        shift: 1,
    };
    parse::<EqualityProof>(&v["proof"])
        .verify(&mut t(), &statement)
        .unwrap();

    let v = load("disjunctive.json");
    let key: PublicKey = parse(&v["key"]);
    for case in v["cases"].as_array().unwrap() {
        let ct: Ciphertext = parse(&case["ciphertext"]);
        parse::<DisjunctiveProof>(&case["proof"])
            .verify(&mut t(), &key, &ct, 0, 1)
            .unwrap();
    }

    let v = load("range.json");
    let key: PublicKey = parse(&v["key"]);
    let ct: Ciphertext = parse(&v["ciphertext"]);
    parse::<RangeProof>(&v["proof"])
        .verify(&mut t(), &key, &ct, 100, 1000)
        .unwrap();
}

#[test]
fn small_election_vector_is_reproduced_and_verifies() {
    let committed = vector_dir().join("election");
    let report = saylau::verify::verify_record(
        &saylau::record::Record::at(&committed),
        saylau::verify::Options::default(),
    );
    assert!(
        report.verified,
        "{:#?}",
        report.failed().collect::<Vec<_>>()
    );

    let fresh = std::env::temp_dir().join(format!("saylau-vectors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    saylau::sim::demo::run(&vectors::election_config(&fresh)).unwrap();
    let committed_index = std::fs::read_to_string(committed.join("record.json")).unwrap();
    let fresh_index = std::fs::read_to_string(fresh.join("record.json")).unwrap();
    std::fs::remove_dir_all(&fresh).unwrap();
    assert_eq!(
        committed_index, fresh_index,
        "the small election no longer reproduces byte for byte"
    );
}

/// The check values printed in `record.md §3.5` and `board.md §2` are those of the committed
/// election vector, so the spec cannot drift from the code it describes; and the vector's
/// example receipt carries a valid board signature (`board.md §3.1`).
#[test]
fn the_spec_check_values_are_the_election_vector() {
    let spec = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("protocol-spec")
                .join(name),
        )
        .unwrap()
    };
    let election = load("election/election.json");
    let record_md = spec("record.md");
    for field in [
        "manifest_hash",
        "ceremony_hash",
        "credentials_hash",
        "joint_key",
        "board_key",
        "log_key",
        "commission_key",
        "fingerprint",
    ] {
        let value = election[field].as_str().unwrap();
        let line = format!("{field:<16} = {value}");
        assert!(record_md.contains(&line), "record.md §3.5 lacks `{line}`");
    }
    assert_eq!(election["version"], 2);
    assert_eq!(
        election["trustee_identities"], false,
        "the demo record has no ceremony/"
    );
    let root = load("election/record.json")["root"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        record_md.contains(&format!("`{root}`")),
        "record.md §4.3 lacks the record root {root}"
    );
    let lines: Vec<Value> = std::fs::read_to_string(vector_dir().join("election/ballots.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let board_md = spec("board.md");
    let n = lines.len();
    for expected in [
        format!("`F = {}`", election["fingerprint"].as_str().unwrap()),
        format!("`h_1 = {}`", lines[0]["ballot_hash"].as_str().unwrap()),
        format!("`t_1 = {}`", lines[0]["tracking_code"].as_str().unwrap()),
        format!(
            "`t_{n} = {}`",
            lines[n - 1]["tracking_code"].as_str().unwrap()
        ),
    ] {
        assert!(board_md.contains(&expected), "board.md §2 lacks {expected}");
    }
    let h_1 = format!("`h = {}`", lines[0]["ballot_hash"].as_str().unwrap());
    assert!(spec("ballot.md").contains(&h_1), "ballot.md §6 lacks {h_1}");
    let receipt = saylau::election::SavedReceipt::from_json(
        &std::fs::read(vector_dir().join("election/receipt-example.json")).unwrap(),
    )
    .unwrap()
    .receipt;
    let board_key: saylau::crypto::elgamal::PublicKey = parse(&election["board_key"]);
    receipt.verify(&board_key).unwrap();
    assert_eq!(
        hex::encode(receipt.tracking_code),
        lines[0]["tracking_code"].as_str().unwrap()
    );
}
