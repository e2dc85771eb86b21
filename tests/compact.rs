//! The strict decoder for saylau's compact ballot lines (`saylau::record::compact`) agrees with serde_json
//! on every line it accepts, and leaves every other form to serde_json.

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::ballot::ValueProof;
use saylau::crypto::elgamal::{EncryptionKey, PublicKey, Secret};
use saylau::manifest::{ContestKind, Manifest};
use saylau::record::compact::decode_ballot_line;
use saylau::record::BallotLine;
use saylau::sim::workload::{Shape, Workload};
use std::sync::OnceLock;

fn serde_decode(bytes: &[u8]) -> Option<BallotLine> {
    serde_json::from_slice(bytes).ok()
}

/// Lines of both workload shapes and of the published test vectors.
fn lines() -> &'static Vec<Vec<u8>> {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let mut lines = Vec::new();
        for shape in [Shape::Default, Shape::Belenios] {
            lines.extend(Workload::generate(shape, 3, 5).unwrap().lines);
        }
        let vectors = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/protocol-spec/vectors/election/ballots.jsonl"
        ))
        .unwrap();
        lines.extend(vectors.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec));
        lines
    })
}

#[test]
fn compact_lines_decode_as_serde_decodes_them() {
    let mut kinds = [false; 2];
    for line in lines() {
        let expected = serde_decode(line).expect("a valid line");
        for contest in &expected.ballot.body.contests {
            let proofs = contest.options.iter().map(|o| &o.proof);
            for proof in proofs.chain([&contest.total_proof]) {
                match proof {
                    ValueProof::Exact(_) => kinds[0] = true,
                    ValueProof::Disjunctive(_) => kinds[1] = true,
                    ValueProof::Bulletproof(_) => {}
                }
            }
        }
        assert_eq!(decode_ballot_line(line), Some(expected.clone()));
        // Without its line feed too.
        let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
        assert_eq!(decode_ballot_line(trimmed), Some(expected));
    }
    assert_eq!(kinds, [true, true], "both proof kinds are covered");
}

#[test]
fn other_forms_are_left_to_serde() {
    let line = &lines()[0];
    let value: serde_json::Value = serde_json::from_slice(line).unwrap();
    let text = std::str::from_utf8(line).unwrap().trim_end();
    let others: Vec<(&str, Vec<u8>)> = vec![
        ("pretty", serde_json::to_vec_pretty(&value).unwrap()),
        ("trailing space", format!("{text} \n").into_bytes()),
        ("CRLF", format!("{text}\r\n").into_bytes()),
        ("leading space", format!(" {text}").into_bytes()),
        (
            "escaped key",
            text.replacen("\"alpha\"", "\"\\u0061lpha\"", 1)
                .into_bytes(),
        ),
        (
            "reordered fields",
            text.replacen(
                &text[..text.find(",\"ballot\":").unwrap()],
                &format!(
                    "{{\"ballot_hash\":\"{}\",\"tracking_code\":\"{}\"",
                    value["ballot_hash"].as_str().unwrap(),
                    value["tracking_code"].as_str().unwrap()
                ),
                1,
            )
            .into_bytes(),
        ),
    ];
    for (form, bytes) in others {
        assert_eq!(decode_ballot_line(&bytes), None, "{form}");
        assert_eq!(serde_decode(&bytes), serde_decode(line), "{form}");
    }
    // Invalid values are refused by both, and serde_json names them.
    let upper = text.replacen(&text[19..83], &text[19..83].to_uppercase(), 1);
    assert_eq!(decode_ballot_line(upper.as_bytes()), None);
    assert!(serde_decode(upper.as_bytes()).is_none());
}

#[test]
fn bulletproof_lines_are_left_to_serde() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut manifest = Manifest::example();
    manifest.contests[2].kind = ContestKind::Score {
        max_score: 100,
        max_total: 150,
    };
    let key =
        EncryptionKey::new(PublicKey::new(Secret::random(&mut rng).public_element()).unwrap());
    let voter = &saylau::sim::demo::register_voters(1, &mut rng)[0];
    let fingerprint = [9u8; 32];
    let ballot = voter.cast(&manifest, &fingerprint, &key, &mut rng).unwrap();
    let line = BallotLine {
        tracking_code: [1; 32],
        ballot_hash: ballot.body.hash(),
        ballot,
    };
    let bytes = serde_json::to_vec(&line).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("\"bulletproof\""));
    assert_eq!(decode_ballot_line(&bytes), None);
    assert_eq!(serde_decode(&bytes), Some(line));
}

/// Bytes a mutation writes: structure, hex digits, and near misses.
const BYTES: &[u8] = b"{}[],:\"\\ \n0123456789abcdefABCDEFxg-";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever a mutated line holds, the strict decoder either leaves it to serde_json or
    /// decodes exactly what serde_json decodes.
    #[test]
    fn mutated_lines_never_disagree(
        which in 0usize..64,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, 0usize..BYTES.len()), 1..4),
    ) {
        let lines = lines();
        let mut bytes = lines[which % lines.len()].clone();
        for (position, kind, byte) in edits {
            let at = position.index(bytes.len());
            match kind {
                0 => bytes[at] = BYTES[byte],
                1 => { bytes.remove(at); }
                _ => bytes.insert(at, BYTES[byte]),
            }
        }
        if let Some(fast) = decode_ballot_line(&bytes) {
            prop_assert_eq!(Some(fast), serde_decode(&bytes));
        }
    }
}
