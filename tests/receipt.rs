//! A voter's receipt checks (`saylau receipt`, spec `board.md` §3.3): each check passes on an
//! honest record and fails, naming what is wrong, when the board is not what the voter's receipt
//! says.

mod common;

use common::*;
use saylau::election::Receipt;
use saylau::verify::receipt::{check_cast, check_challenged, check_receipt, CastReport, Verdict};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| Template::demo(60, 11, 0))
}

fn hash(text: &str) -> [u8; 32] {
    hex::decode(text)
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

fn field(line: &Value, name: &str) -> [u8; 32] {
    hash(line[name].as_str().expect("a hex field"))
}

fn verdicts(report: &CastReport) -> HashMap<&'static str, Verdict> {
    report
        .checks
        .iter()
        .map(|check| (check.name, check.verdict))
        .collect()
}

fn detail<'r>(report: &'r CastReport, name: &str) -> &'r str {
    report
        .checks
        .iter()
        .find(|check| check.name == name)
        .map(|check| check.detail.as_str())
        .unwrap_or_default()
}

#[test]
fn an_honest_receipt_passes_every_check() {
    let dir = template().instantiate("receipt-honest");
    let lines = board(dir.path());
    let (last, _) = last_and_superseded(&lines);
    let mine = &lines[last];
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(mine, "tracking_code"),
        Some(&field(mine, "ballot_hash")),
    )
    .expect("the record reads");
    assert!(report.passed(), "{report:?}");
    assert_eq!(report.line, Some(last as u64 + 1));
    assert_eq!(report.position, Some(last as u64 + 1));
    assert_eq!(report.board_size, lines.len() as u64);
    for (name, verdict) in verdicts(&report) {
        assert_eq!(verdict, Verdict::Passed, "{name}: {report:?}");
    }
    // Without the hash the device showed, the voter is shown the board's to compare.
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(mine, "tracking_code"),
        None,
    )
    .expect("reads");
    assert_eq!(verdicts(&report)["ballot-hash"], Verdict::Notice);
    assert!(detail(&report, "ballot-hash").contains(mine["ballot_hash"].as_str().unwrap()));
}

#[test]
fn a_later_ballot_with_the_same_credential_is_shown_to_the_voter() {
    let dir = template().instantiate("receipt-revoted");
    let lines = board(dir.path());
    let (_, superseded) = last_and_superseded(&lines);
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(&lines[superseded], "tracking_code"),
        None,
    )
    .expect("reads");
    assert_eq!(verdicts(&report)["credential"], Verdict::Notice);
    let later: Vec<usize> = (superseded + 1..lines.len())
        .filter(|&i| credential(&lines[i]) == credential(&lines[superseded]))
        .collect();
    for i in later {
        assert!(
            detail(&report, "credential").contains(&format!("line {}", i + 1)),
            "{report:?}"
        );
    }
    assert!(report.passed(), "a notice is not a failure");
}

#[test]
fn a_code_not_on_the_board_and_a_wrong_ballot_hash_fail() {
    let dir = template().instantiate("receipt-missing");
    let lines = board(dir.path());
    let mut code = field(&lines[0], "tracking_code");
    code[0] ^= 1;
    let report = check_cast(&saylau::record::Record::at(dir.path()), &code, None).expect("reads");
    assert_eq!(verdicts(&report)["on-board"], Verdict::Failed);
    assert_eq!(report.line, None);
    assert!(!report.passed());

    let mut shown = field(&lines[0], "ballot_hash");
    shown[31] ^= 1;
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(&lines[0], "tracking_code"),
        Some(&shown),
    )
    .expect("reads");
    assert_eq!(verdicts(&report)["ballot-hash"], Verdict::Failed);
    assert!(!report.passed());
}

#[test]
fn a_broken_chain_is_named_at_its_first_bad_line() {
    let dir = template().instantiate("receipt-chain");
    let mut lines = read_lines(dir.path(), saylau::record::BALLOTS);
    let values = board(dir.path());
    // Line 3's published ballot hash changes: its link, recomputed, is no longer its code.
    let old = values[2]["ballot_hash"].as_str().unwrap().to_string();
    let mut new = old.clone();
    new.replace_range(0..1, if old.starts_with('0') { "1" } else { "0" });
    lines[2] = lines[2].replacen(&old, &new, 1);
    write_lines(dir.path(), saylau::record::BALLOTS, &lines);
    let mine = values.last().unwrap();
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(mine, "tracking_code"),
        None,
    )
    .expect("reads");
    assert_eq!(verdicts(&report)["chain"], Verdict::Failed);
    assert!(detail(&report, "chain").contains("line 3"), "{report:?}");
    // The voter of line 3 also learns that the board's hash is not their ballot's.
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(&values[2], "tracking_code"),
        None,
    )
    .expect("reads");
    assert_eq!(verdicts(&report)["ballot"], Verdict::Failed, "{report:?}");
}

#[test]
fn a_changed_ballot_fails_even_when_the_board_reseals_the_chain() {
    let dir = template().instantiate("receipt-resealed");
    let mut lines = read_lines(dir.path(), saylau::record::BALLOTS);
    let mut value: Value = serde_json::from_str(&lines[4]).unwrap();
    // Swap the two halves of the first ciphertext, then recompute the ballot hashes and the
    // chain, as a board operator could: only the proofs can tell.
    let ciphertext = &mut value["ballot"]["body"]["contests"][0]["options"][0]["ciphertext"];
    let alpha = ciphertext["alpha"].clone();
    ciphertext["alpha"] = ciphertext["beta"].clone();
    ciphertext["beta"] = alpha;
    lines[4] = serde_json::to_string(&value).unwrap();
    write_lines(dir.path(), saylau::record::BALLOTS, &lines);
    reseal(dir.path(), true);
    let resealed = board(dir.path());
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(&resealed[4], "tracking_code"),
        None,
    )
    .expect("reads");
    let verdicts = verdicts(&report);
    assert_eq!(verdicts["chain"], Verdict::Passed, "{report:?}");
    assert_eq!(verdicts["ballot"], Verdict::Failed, "{report:?}");
}

/// Issue 18 item 9: `tally.json` keeps the board's size and last code but its sums are not the
/// board's (here two option sums swapped; subtracting a voter's ciphertexts looks the same to
/// this check). Before, the voter was told "this ballot included"; the offline check now
/// recomputes the sums it vouches for.
#[test]
fn a_tally_whose_sums_are_not_the_boards_fails() {
    let dir = template().instantiate("receipt-resummed");
    let values = board(dir.path());
    let last = values.last().unwrap();
    let record = saylau::record::Record::at(dir.path());
    let honest = check_cast(&record, &field(last, "tracking_code"), None).expect("reads");
    assert_eq!(verdicts(&honest)["tally"], Verdict::Passed, "{honest:?}");
    assert!(
        detail(&honest, "tally").contains("recomputed"),
        "{honest:?}"
    );
    let tally_path = dir.path().join(saylau::record::TALLY);
    let mut tally: Value = serde_json::from_slice(&std::fs::read(&tally_path).unwrap()).unwrap();
    let first = tally["contests"][0][0].clone();
    tally["contests"][0][0] = tally["contests"][0][1].clone();
    tally["contests"][0][1] = first;
    std::fs::write(&tally_path, serde_json::to_vec(&tally).unwrap()).unwrap();
    let report = check_cast(&record, &field(last, "tracking_code"), None).expect("reads");
    assert_eq!(verdicts(&report)["tally"], Verdict::Failed, "{report:?}");
    assert!(
        detail(&report, "tally").contains("not the sums of the board"),
        "{report:?}"
    );
    assert!(!report.passed());
}

#[test]
fn a_tally_that_leaves_the_voter_out_fails_and_no_tally_is_a_notice() {
    let dir = template().instantiate("receipt-truncated");
    let lines = read_lines(dir.path(), saylau::record::BALLOTS);
    let values = board(dir.path());
    let last = values.last().unwrap();
    // The board shows every line but the tally was taken over one fewer.
    let tally_path = dir.path().join(saylau::record::TALLY);
    let mut tally: Value = serde_json::from_slice(&std::fs::read(&tally_path).unwrap()).unwrap();
    tally["board_size"] = Value::from(lines.len() as u64 - 1);
    std::fs::write(&tally_path, serde_json::to_vec(&tally).unwrap()).unwrap();
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(last, "tracking_code"),
        None,
    )
    .expect("reads");
    assert_eq!(verdicts(&report)["tally"], Verdict::Failed, "{report:?}");
    assert!(detail(&report, "tally").contains("left out"), "{report:?}");
    // An earlier voter is covered by the count but the end differs: still a failure.
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(&values[0], "tracking_code"),
        None,
    )
    .expect("reads");
    assert_eq!(verdicts(&report)["tally"], Verdict::Failed, "{report:?}");

    std::fs::remove_file(&tally_path).unwrap();
    let report = check_cast(
        &saylau::record::Record::at(dir.path()),
        &field(last, "tracking_code"),
        None,
    )
    .expect("reads");
    assert_eq!(verdicts(&report)["tally"], Verdict::Notice, "{report:?}");
}

#[test]
fn a_challenged_ballot_shows_what_the_device_encrypted_and_a_wrong_opening_fails() {
    let dir = template().instantiate("receipt-challenged");
    let lines = read_lines(dir.path(), saylau::record::CHALLENGED);
    let first: Value = serde_json::from_str(&lines[0]).expect("a challenged ballot");
    let h = field(&first, "ballot_hash");
    let report =
        check_challenged(&saylau::record::Record::at(dir.path()), &h, Some("en")).expect("reads");
    assert!(report.passed(), "{report:?}");
    assert_eq!(report.line, Some(1));
    let manifest: saylau::manifest::Manifest =
        serde_json::from_slice(template().file(saylau::record::MANIFEST)).unwrap();
    let plaintexts = first["challenged"]["plaintexts"].as_array().unwrap();
    assert_eq!(report.choices.len(), manifest.contests.len());
    for ((shown, contest), values) in report
        .choices
        .iter()
        .zip(&manifest.contests)
        .zip(plaintexts)
    {
        assert_eq!(shown.id, contest.id);
        let expected: Vec<(String, u64)> = contest
            .options
            .iter()
            .zip(values.as_array().unwrap())
            .filter(|(_, v)| v.as_u64() != Some(0))
            .map(|(option, v)| (option.id.clone(), v.as_u64().unwrap()))
            .collect();
        let got: Vec<(String, u64)> = shown
            .chosen
            .iter()
            .map(|choice| (choice.id.clone(), choice.value))
            .collect();
        assert_eq!(got, expected);
        for choice in &shown.chosen {
            let option = contest.options.iter().find(|o| o.id == choice.id).unwrap();
            assert_eq!(choice.label, option.label["en"]);
        }
    }

    assert!(report
        .checks
        .iter()
        .any(|c| c.name == "not-cast" && c.verdict == Verdict::Passed));

    // The device claims another choice than it encrypted: the opening fails, nothing is shown.
    let mut changed = first.clone();
    let contest = changed["challenged"]["plaintexts"][0]
        .as_array_mut()
        .unwrap();
    let chosen = contest.iter().position(|v| v.as_u64() == Some(1)).unwrap();
    contest[chosen] = Value::from(0u64);
    let next = (chosen + 1) % contest.len();
    contest[next] = Value::from(1u64);
    let mut edited = lines.clone();
    edited[0] = serde_json::to_string(&changed).unwrap();
    write_lines(dir.path(), saylau::record::CHALLENGED, &edited);
    let report =
        check_challenged(&saylau::record::Record::at(dir.path()), &h, None).expect("reads");
    assert!(!report.passed());
    assert!(report.choices.is_empty());
    assert!(report
        .checks
        .iter()
        .any(|c| c.name == "opening" && c.verdict == Verdict::Failed));

    // A hash that was never challenged is not found.
    let mut unknown = h;
    unknown[0] ^= 1;
    let report =
        check_challenged(&saylau::record::Record::at(dir.path()), &unknown, None).expect("reads");
    assert!(!report.passed());
    assert_eq!(report.line, None);
}

/// Rewrites line 4 of the board with `rewrite(line 4, the first challenged line)`, then runs
/// `receipt --challenged` on that challenged ballot's hash; returns its report and not-cast check.
fn not_cast_after(
    tag: &str,
    rewrite: impl FnOnce(&Value, &Value) -> Value,
) -> (
    saylau::verify::receipt::ChallengedReport,
    saylau::verify::receipt::ReceiptCheck,
) {
    let dir = template().instantiate(tag);
    let challenged: Value =
        serde_json::from_str(&read_lines(dir.path(), saylau::record::CHALLENGED)[0])
            .expect("a challenged ballot");
    let h = challenged["ballot_hash"].as_str().unwrap().to_string();
    let mut lines = read_lines(dir.path(), saylau::record::BALLOTS);
    let old: Value = serde_json::from_str(&lines[3]).unwrap();
    lines[3] = serde_json::to_string(&rewrite(&old, &challenged)).unwrap();
    write_lines(dir.path(), saylau::record::BALLOTS, &lines);
    let report =
        check_challenged(&saylau::record::Record::at(dir.path()), &hash(&h), None).expect("reads");
    let not_cast = report
        .checks
        .iter()
        .find(|c| c.name == "not-cast")
        .expect("the not-cast check")
        .clone();
    (report, not_cast)
}

#[test]
fn a_challenged_ballot_that_was_also_cast_fails() {
    // The board shows the challenged hash on a cast line (its chain then breaks there too).
    let (report, not_cast) = not_cast_after("receipt-challenged-cast", |old, challenged| {
        let mut line = old.clone();
        line["ballot_hash"] = challenged["ballot_hash"].clone();
        line
    });
    assert_eq!(not_cast.verdict, Verdict::Failed);
    assert!(not_cast.detail.contains("line 4"), "{report:?}");
    assert!(!report.passed());
}

/// Issue 18 item 10: the board casts the challenged ballot but publishes another hash on its
/// line. Before, not-cast compared the published `ballot_hash` fields only and passed; it now
/// recomputes the hash of the cast line's contents.
#[test]
fn a_challenged_ballot_cast_under_another_published_hash_fails() {
    // Line 4 now carries the challenged ballot's contents, its own published hash unchanged.
    let (report, not_cast) =
        not_cast_after("receipt-challenged-cast-rehashed", |old, challenged| {
            let mut line = old.clone();
            line["ballot"]["body"] = challenged["challenged"]["body"].clone();
            assert_ne!(line["ballot_hash"], challenged["ballot_hash"]);
            line
        });
    assert_eq!(not_cast.verdict, Verdict::Failed, "{report:?}");
    assert!(not_cast.detail.contains("line 4"), "{report:?}");
    assert!(!report.passed());
}

/// The board's signed receipt of the template's first ballot (`receipt-example.json`).
fn signed_receipt(dir: &Path) -> Receipt {
    let bytes =
        std::fs::read(dir.join(saylau::sim::demo::EXAMPLE_RECEIPT)).expect("the demo's receipt");
    saylau::election::SavedReceipt::from_json(&bytes)
        .expect("a receipt")
        .receipt
}

#[test]
fn a_signed_receipt_passes_and_every_field_of_it_is_checked() {
    let dir = template().instantiate("receipt-signed");
    let receipt = signed_receipt(dir.path());
    assert_eq!(receipt.position, 1);
    let report = check_receipt(&saylau::record::Record::at(dir.path()), &receipt).expect("reads");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "signature",
            "on-board",
            "position",
            "ballot-hash",
            "ballot",
            "chain",
            "credential",
            "tally"
        ]
    );
    assert!(report.passed(), "{report:?}");
    assert_eq!(verdicts(&report)["signature"], Verdict::Passed);

    // Each field changed alone (to another valid value) breaks the board's signature, and the
    // checks that read that field fail too.
    let value = serde_json::to_value(receipt).expect("JSON");
    let basepoint = serde_json::to_value(saylau::crypto::group::GroupElement::from_point(
        curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
    ))
    .expect("a point");
    let one = Value::from(format!("01{}", "0".repeat(62)));
    // Another version does not even decode, and says why.
    for version in [1, 3] {
        let mut changed = value.clone();
        changed["version"] = Value::from(version);
        let error = serde_json::from_value::<Receipt>(changed).expect_err("refused");
        assert!(
            error
                .to_string()
                .contains(&format!("receipt version {version}")),
            "{error}"
        );
    }
    let changes: [(&str, Value, &[&str]); 7] = [
        ("/leaf_index", Value::from(1000), &[]),
        ("/election", value["ballot_hash"].clone(), &[]),
        ("/position", Value::from(2), &["position"]),
        (
            "/ballot_hash",
            value["tracking_code"].clone(),
            &["ballot-hash"],
        ),
        (
            "/tracking_code",
            value["ballot_hash"].clone(),
            &["on-board"],
        ),
        ("/signature/commitment", basepoint, &[]),
        ("/signature/response", one, &[]),
    ];
    for (pointer, replacement, also_failing) in changes {
        let mut changed = value.clone();
        assert_ne!(changed.pointer(pointer), Some(&replacement), "{pointer}");
        *changed.pointer_mut(pointer).expect("a field") = replacement;
        let changed: Receipt = serde_json::from_value(changed).expect("still decodes");
        let report =
            check_receipt(&saylau::record::Record::at(dir.path()), &changed).expect("reads");
        let found = verdicts(&report);
        assert_eq!(found["signature"], Verdict::Failed, "{pointer}: {report:?}");
        for name in also_failing {
            assert_eq!(found[name], Verdict::Failed, "{pointer}: {report:?}");
        }
    }
}

#[test]
fn a_signed_receipt_of_a_dropped_ballot_is_evidence_against_the_board() {
    let dir = template().instantiate("receipt-dropped");
    let receipt = signed_receipt(dir.path());
    // The board drops the first ballot and recomputes the chain: the record is consistent,
    // and only the receipt shows the ballot was accepted.
    let mut lines = read_lines(dir.path(), saylau::record::BALLOTS);
    lines.remove(0);
    write_lines(dir.path(), saylau::record::BALLOTS, &lines);
    reseal(dir.path(), false);
    let report = check_receipt(&saylau::record::Record::at(dir.path()), &receipt).expect("reads");
    let found = verdicts(&report);
    assert_eq!(found["signature"], Verdict::Passed, "{report:?}");
    assert_eq!(found["chain"], Verdict::Passed, "{report:?}");
    assert_eq!(found["on-board"], Verdict::Failed, "{report:?}");
    assert!(
        detail(&report, "on-board").contains("the receipt proves the board's fault"),
        "{report:?}"
    );
    // Moving the ballot (here: the board puts another ballot first) is caught by the position.
    let dir = template().instantiate("receipt-moved");
    let mut lines = read_lines(dir.path(), saylau::record::BALLOTS);
    lines.swap(0, 1);
    write_lines(dir.path(), saylau::record::BALLOTS, &lines);
    reseal(dir.path(), false);
    let resealed = board(dir.path());
    let mut moved = receipt;
    moved.tracking_code = field(&resealed[1], "tracking_code");
    let report = check_receipt(&saylau::record::Record::at(dir.path()), &moved).expect("reads");
    assert_eq!(verdicts(&report)["position"], Verdict::Failed, "{report:?}");
}
