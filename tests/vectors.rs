//! The code must still produce exactly the committed test vectors (`protocol-spec/vectors/`),
//! and the committed vectors must verify. Regenerate with `cargo run --example vectors` only when
//! the spec changes on purpose.

mod common {
    pub mod vectors;
}

use common::vectors;
use saylau::elgamal::{Ciphertext, PublicKey};
use saylau::proofs::{
    DisjunctiveProof, EqualityProof, EqualityStatement, PointPair, RangeProof, SchnorrProof,
};
use saylau::transcript::Transcript;
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
    let report = saylau::verify::verify_record(&committed, saylau::verify::Options::default());
    assert!(
        report.verified,
        "{:#?}",
        report.failed().collect::<Vec<_>>()
    );

    let fresh = std::env::temp_dir().join(format!("saylau-vectors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    saylau::demo::run(&vectors::election_config(&fresh)).unwrap();
    let committed_index = std::fs::read_to_string(committed.join("record.json")).unwrap();
    let fresh_index = std::fs::read_to_string(fresh.join("record.json")).unwrap();
    std::fs::remove_dir_all(&fresh).unwrap();
    assert_eq!(
        committed_index, fresh_index,
        "the small election no longer reproduces byte for byte"
    );
}
