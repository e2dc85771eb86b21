//! Inverse-square-root hints (spec `batch.md` §8, `record.md` §8): decoding with any hint gives
//! exactly what decoding without one gives, and a record verifies to the same report with a
//! correct sidecar, without one, and with a sidecar of random bytes.
//!
//! The long run (`long_run_agrees_on_a_million_cases`, 1,050,000 cases) is `#[ignore]`d: run it
//! with `cargo test --release --test hints -- --ignored`.

mod common;

use common::*;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as B;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use saylau::crypto::group::{decompress, decompress_with_hint, invsqrt_hint};
use saylau::record::hints::{self, HintReader, BALLOT_HINTS, HINTS_HEADER};
use saylau::record::{self, Record};
use saylau::verify::Report;

/// RFC 9496 §A.2: encodings every decoder must reject.
const RFC9496_INVALID: [&str; 31] = [
    // Non-canonical field encodings.
    "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000080",
    // Negative field elements.
    "0100000000000000000000000000000000000000000000000000000000000000",
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
    "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
    "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
    "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
    "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
    "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    // Non-square x².
    "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
    "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
    "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
    "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
    "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
    "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
    "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
    "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    // Negative xy.
    "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
    "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
    "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
    "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
    "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
    "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
    "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
    "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    // s = -1, which gives y = 0.
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    // s = 0 is the identity and decodes; kept as a valid edge case.
    "0000000000000000000000000000000000000000000000000000000000000000",
];

/// p = 2²⁵⁵ − 19, little-endian.
const P: [u8; 32] = {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// `P − x` for a canonical field element `x` (the other square root's sign).
fn negate(x: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in 0..32 {
        let d = i16::from(P[i]) - i16::from(x[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = (d + 256 * borrow) as u8;
    }
    out
}

/// Every kind of hint the issue names, for `encoding`; `other` is a valid encoding's true hint
/// (stolen), `random` 32 random bytes and `bit` a bit index to flip.
fn hint_kinds(encoding: &[u8; 32], other: [u8; 32], random: [u8; 32], bit: usize) -> Vec<[u8; 32]> {
    let mut kinds = vec![random, other, [0u8; 32], [0xff; 32], P];
    if let Some(root) = invsqrt_hint(&CompressedRistretto(*encoding)) {
        let mut high = root;
        high[31] |= 0x80;
        let mut flipped = root;
        flipped[bit / 8] ^= 1 << (bit % 8);
        kinds.extend([root, negate(&root), high, flipped]);
    }
    kinds
}

/// Decoding `encoding` with `hint` agrees with decoding it without; returns whether the hint
/// took the fast path.
fn agrees(encoding: &[u8; 32], hint: &[u8; 32]) -> bool {
    let compressed = CompressedRistretto(*encoding);
    let plain = decompress(&compressed);
    let (hinted, fast) = decompress_with_hint(&compressed, hint);
    assert_eq!(
        plain.map(|p| p.compress()),
        hinted.map(|p| p.compress()),
        "encoding {} hint {}",
        hex::encode(encoding),
        hex::encode(hint)
    );
    if let (Some(plain), Some(hinted)) = (plain, hinted) {
        // The same point, not only the same class: equal after any operation.
        assert_eq!((plain + B).compress(), (hinted + B).compress());
    }
    fast
}

/// One case of the agreement test: a valid point, random bytes or an RFC encoding, with every
/// hint kind. Returns how many (encoding, hint) pairs it checked.
fn check_case(rng: &mut ChaCha20Rng, case: u64) -> u64 {
    let mut random = [0u8; 32];
    rng.fill_bytes(&mut random);
    let encoding = match case % 4 {
        0 | 1 => (Scalar::from_bytes_mod_order(random) * B)
            .compress()
            .to_bytes(),
        2 => random,
        _ => {
            let mut bytes = random;
            bytes[31] |= 0x80;
            bytes
        }
    };
    let other = (Scalar::from(case + 1) * B).compress();
    let other = invsqrt_hint(&other).expect("a multiple of B decodes");
    let mut hint = [0u8; 32];
    rng.fill_bytes(&mut hint);
    let bit = (rng.next_u32() % 256) as usize;
    let kinds = hint_kinds(&encoding, other, hint, bit);
    let valid = decompress(&CompressedRistretto(encoding)).is_some();
    for (i, hint) in kinds.iter().enumerate() {
        let fast = agrees(&encoding, hint);
        // The true root, its negation and the same with bit 255 set always take the fast path.
        if valid && (5..8).contains(&i) {
            assert!(
                fast,
                "a true hint was not used for {}",
                hex::encode(encoding)
            );
        }
    }
    kinds.len() as u64
}

#[test]
fn rfc9496_invalid_encodings_and_multiples_of_b_agree_with_every_hint() {
    let mut rng = ChaCha20Rng::seed_from_u64(9496);
    let stolen = invsqrt_hint(&(Scalar::from(7u8) * B).compress()).expect("7B decodes");
    for (i, text) in RFC9496_INVALID.iter().enumerate() {
        let encoding: [u8; 32] = hex::decode(text)
            .expect("hex")
            .try_into()
            .expect("32 bytes");
        let last = i == RFC9496_INVALID.len() - 1;
        assert_eq!(
            decompress(&CompressedRistretto(encoding)).is_some(),
            last,
            "{text}"
        );
        assert_eq!(invsqrt_hint(&CompressedRistretto(encoding)).is_some(), last);
        let mut random = [0u8; 32];
        rng.fill_bytes(&mut random);
        for hint in hint_kinds(&encoding, stolen, random, i) {
            agrees(&encoding, &hint);
        }
    }
    // RFC 9496 §A.1: the multiples 0·B … 15·B, with their true hints on the fast path.
    let mut point = B - B;
    for i in 0..16u32 {
        let encoding = point.compress().to_bytes();
        let root = invsqrt_hint(&CompressedRistretto(encoding)).expect("i·B decodes");
        assert!(agrees(&encoding, &root), "{i}·B: the true hint is used");
        let mut random = [0u8; 32];
        rng.fill_bytes(&mut random);
        for hint in hint_kinds(&encoding, stolen, random, i as usize) {
            agrees(&encoding, &hint);
        }
        point += B;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..ProptestConfig::default()
    })]

    #[test]
    fn decompress_with_hint_agrees_with_decompress(seed in any::<u64>(), case in any::<u64>()) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        check_case(&mut rng, case);
    }

    #[test]
    fn any_hint_bytes_agree(encoding in any::<[u8; 32]>(), hint in any::<[u8; 32]>()) {
        agrees(&encoding, &hint);
    }
}

/// 1,050,000 (encoding, hint) pairs from a fixed seed: valid points, random bytes, random bytes
/// with bit 255 set, each with every hint kind.
#[test]
#[ignore = "long: about a minute in release; run with --ignored"]
fn long_run_agrees_on_a_million_cases() {
    let mut rng = ChaCha20Rng::seed_from_u64(20);
    let (mut pairs, mut case) = (0u64, 0u64);
    while pairs < 1_050_000 {
        pairs += check_case(&mut rng, case);
        case += 1;
    }
    println!("{pairs} pairs from {case} encodings agreed");
}

/// A record verified with a correct sidecar, without one, with random bytes, with a valid header
/// over random hints, and with a truncated sidecar gives the same report, apart from the count
/// of points on the fast path.
#[test]
fn the_sidecar_changes_nothing_but_speed() {
    let template = Template::demo(12, 5, 0);
    let honest = template.instantiate("hints-honest");
    // A second record whose third ballot has a changed proof response: the same failures must
    // be found with every sidecar.
    let tampered = template.instantiate("hints-tampered");
    let mut lines = read_lines(tampered.path(), record::BALLOTS);
    let needle = "\"response\":\"";
    let at = lines[2].find(needle).expect("a response") + needle.len();
    let flipped = if &lines[2][at..at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    lines[2].replace_range(at..at + 1, flipped);
    write_lines(tampered.path(), record::BALLOTS, &lines);

    for dir in [&honest, &tampered] {
        let dir = dir.path();
        let sidecar = dir.join(BALLOT_HINTS);
        let without = verify(dir);
        assert_eq!(without.hinted_points, 0);

        let lines = hints::write_hint_sidecar(dir).expect("sidecar written");
        let bytes = std::fs::read(&sidecar).expect("sidecar");
        let reader = HintReader::new(&bytes[..]).expect("its header reads");
        let points = lines * reader.stride() as u64;
        assert_eq!(
            bytes.len() as u64,
            hints::sidecar_len(lines, reader.stride() as u32)
        );
        let with = verify(dir);
        assert_eq!(with.hinted_points, points, "every point took the fast path");
        same_report(&without, &with);

        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut random = vec![0u8; bytes.len()];
        rng.fill_bytes(&mut random);
        std::fs::write(&sidecar, &random).expect("write");
        let garbage = verify(dir);
        assert_eq!(garbage.hinted_points, 0);
        same_report(&without, &garbage);

        random[..HINTS_HEADER].copy_from_slice(&bytes[..HINTS_HEADER]);
        std::fs::write(&sidecar, &random).expect("write");
        let wrong = verify(dir);
        assert_eq!(wrong.hinted_points, 0, "no random hint checks");
        same_report(&without, &wrong);

        // A stride no line could hold: ignored, without reading it.
        let mut huge = hints::header(60_000).to_vec();
        huge.extend_from_slice(&bytes[HINTS_HEADER..]);
        std::fs::write(&sidecar, &huge).expect("write");
        let ignored = verify(dir);
        assert_eq!(ignored.hinted_points, 0);
        same_report(&without, &ignored);

        std::fs::write(&sidecar, &bytes[..bytes.len() / 2]).expect("write");
        let half = verify(dir);
        assert!(half.hinted_points > 0 && half.hinted_points < points);
        same_report(&without, &half);
    }
    assert!(!verify(tampered.path()).verified);
}

/// The two reports serialize to the same JSON once the fast-path count is set aside.
fn same_report(a: &Report, b: &Report) {
    let mut a = a.clone();
    let mut b = b.clone();
    a.hinted_points = 0;
    b.hinted_points = 0;
    assert_eq!(
        serde_json::to_string_pretty(&a).expect("json"),
        serde_json::to_string_pretty(&b).expect("json")
    );
}

/// The sidecar has one hint per point of every line, in the order the decoder meets them, and
/// is not part of the record: the record root and file list are unchanged by it.
#[test]
fn the_sidecar_holds_each_lines_hints_in_order_and_is_not_indexed() {
    let template = Template::demo(6, 8, 0);
    let dir = template.instantiate("hints-layout");
    let before = verify(dir.path());
    hints::write_hint_sidecar(dir.path()).expect("sidecar");
    let bytes = std::fs::read(dir.path().join(BALLOT_HINTS)).expect("sidecar");
    let mut reader = HintReader::new(&bytes[..]).expect("header");
    // A default ballot: 104 points.
    assert_eq!(reader.stride(), 104);
    for line in read_lines(dir.path(), record::BALLOTS) {
        let hints = reader
            .next_lines(1, line.len())
            .expect("the stride fits the line");
        assert_eq!(hints, hints::line_hints(line.as_bytes()));
        // Each is the true hint of the line's points in text order (compact form: the
        // 64-hex-digit values that decode, minus the scalars, which the decoder reads as such).
        let first = &line[line.find("\"credential\":\"").expect("credential") + 14..][..64];
        let credential = CompressedRistretto(hex::decode(first).unwrap().try_into().unwrap());
        assert_eq!(&hints[..32], &invsqrt_hint(&credential).unwrap());
    }
    assert_eq!(reader.next_lines(1, 1 << 20), Some(Vec::new()));
    // A stride that no line of this length could hold stops the reader.
    assert_eq!(reader.next_lines(1, 104 * 64 - 1), None);
    assert_eq!(reader.next_lines(1, 1 << 20), None);
    let after = verify(dir.path());
    assert!(after.verified);
    assert_eq!(before.record_root, after.record_root);
    let indexed = Record::at(dir.path()).indexed_files().expect("files");
    assert!(!indexed.iter().any(|name| name.starts_with("hints")));
}

/// `protocol-spec/vectors/hints.json` (spec `batch.md` §8): multiples of `B` with their true
/// hints and with wrong ones, and RFC 9496 invalid encodings, each with whether it decodes and
/// whether the hint is used. Regenerated here and compared with the committed bytes; set
/// `SAYLAU_WRITE_VECTORS=1` to write it.
#[test]
fn hint_vectors_match_the_committed_file() {
    let mut vectors = Vec::new();
    let mut push = |encoding: [u8; 32], hint: [u8; 32], kind: &str| {
        let (point, fast) = decompress_with_hint(&CompressedRistretto(encoding), &hint);
        vectors.push(serde_json::json!({
            "encoding": hex::encode(encoding),
            "hint": hex::encode(hint),
            "kind": kind,
            "decodes": point.is_some(),
            "hint_used": fast,
        }));
    };
    let stolen = invsqrt_hint(&B.compress()).expect("B decodes");
    for multiple in [1u64, 2, 7, 1_000_000] {
        let encoding = (Scalar::from(multiple) * B).compress().to_bytes();
        let root = invsqrt_hint(&CompressedRistretto(encoding)).expect("decodes");
        let mut high = root;
        high[31] |= 0x80;
        let mut flipped = root;
        flipped[0] ^= 1;
        push(encoding, root, "true hint");
        push(encoding, negate(&root), "true hint negated");
        push(encoding, high, "true hint with bit 255 set");
        push(encoding, [0; 32], "zero");
        push(encoding, flipped, "true hint with bit 0 flipped");
        if multiple != 1 {
            push(encoding, stolen, "the hint of B");
        }
    }
    for text in [
        RFC9496_INVALID[1],
        RFC9496_INVALID[5],
        RFC9496_INVALID[13],
        RFC9496_INVALID[21],
        RFC9496_INVALID[29],
    ] {
        let encoding: [u8; 32] = hex::decode(text)
            .expect("hex")
            .try_into()
            .expect("32 bytes");
        push(
            encoding,
            stolen,
            "RFC 9496 A.2 invalid encoding, the hint of B",
        );
    }
    let text = serde_json::to_string_pretty(&serde_json::json!({
        "description": "ristretto255 decoding with an inverse-square-root hint (batch.md §8): any hint gives the result of decoding without one; hint_used says whether the fast path was taken",
        "vectors": vectors,
    }))
    .expect("json")
        + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol-spec/vectors/hints.json");
    if std::env::var_os("SAYLAU_WRITE_VECTORS").is_some() {
        std::fs::write(&path, &text).expect("write vectors");
    }
    let committed = std::fs::read_to_string(&path).expect("protocol-spec/vectors/hints.json");
    assert_eq!(
        committed, text,
        "hints.json differs from what the code computes"
    );
    // And every committed vector holds with and without the hint.
    let file: serde_json::Value = serde_json::from_str(&committed).expect("json");
    for vector in file["vectors"].as_array().expect("vectors") {
        let field = |name: &str| -> [u8; 32] {
            hex::decode(vector[name].as_str().expect("hex"))
                .expect("hex")
                .try_into()
                .expect("32")
        };
        let encoding = CompressedRistretto(field("encoding"));
        let (point, fast) = decompress_with_hint(&encoding, &field("hint"));
        assert_eq!(point.is_some(), vector["decodes"].as_bool().expect("bool"));
        assert_eq!(decompress(&encoding).is_some(), point.is_some());
        assert_eq!(fast, vector["hint_used"].as_bool().expect("bool"));
    }
}
