//! Tampering: mutate a valid election record and expect `verify` to fail, naming the right
//! check and the culprit (issue "An election end to end", "What must hold").
//!
//! One small demo record is built per test binary and kept in memory; each mutation writes a
//! fresh copy to a temporary directory, changes it, and verifies it.
//!
//! Two attacker models are used throughout:
//! - **naive**: only the file is edited, so check 1 (the record index) fails too;
//! - **re-indexed**: the attacker also recomputes `record.json` (anyone can: it is not
//!   signed), and for ballots also the ballot hashes and the tracking-code chain (see
//!   [`common::reseal`]). Check 1 then passes, and the test asserts that the deeper check named
//!   for that field still fails. This is the property that matters: check 1 alone protects
//!   nothing against whoever publishes the record.

mod common;

use common::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use saylau::ballot::BallotBody;
use saylau::ceremony::{self, CeremonyRecord};
use saylau::crypto::elgamal::{EncryptionKey, Secret};
use saylau::election::{BoardKey, BoardKeys, Election};
use saylau::manifest::{Contest, ContestKind, ContestOption, Labels, Manifest};
use saylau::progress::Progress;
use saylau::record::{self, BallotLine, CredentialList};
use saylau::sim::demo;
use saylau::tally::results::Results;
use saylau::verify::Status;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

/// 16 voters with seed 11: 14 take part, one revotes and two challenge their device first, so
/// the record has a revote, challenged ballots and abstentions.
const VOTERS: u64 = 16;
const SEED: u64 = 11;

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let template = Template::demo(VOTERS, SEED, 0);
        let text = |name| String::from_utf8(template.file(name).to_vec()).expect("utf-8");
        let challenged = text(record::CHALLENGED).lines().count();
        let ballots = text(record::BALLOTS).lines().count();
        let results: Results =
            serde_json::from_slice(template.file(record::RESULTS)).expect("results.json");
        assert!(challenged >= 1, "the template needs a challenged ballot");
        assert!(
            ballots as u64 > results.participants,
            "the template needs a revote"
        );
        template
    })
}

/// What a mutation must produce.
enum Expect {
    /// Check `check` fails, and one of its failures names `culprit`.
    Fails { check: u32, culprit: String },
    /// By design only check 1 can catch this mutation (the reason is given).
    IndexOnly(&'static str),
}

fn fails(check: u32, culprit: impl Into<String>) -> Expect {
    Expect::Fails {
        check,
        culprit: culprit.into(),
    }
}

/// Mutates every leaf of `file` (or of line `line`, 1-based, of a JSON-lines file) one at a
/// time, keeping the first `per_pattern` leaves of each field pattern (all when `None`). Each
/// mutation is verified re-indexed; the first one also naively. Returns a list of the
/// mutations that were not caught as expected.
fn sweep(
    template: &Template,
    file: &str,
    line: Option<usize>,
    per_pattern: Option<usize>,
    expect: &dyn Fn(&Leaf, &str) -> Expect,
) -> Vec<String> {
    let whole = String::from_utf8(template.file(file).to_vec()).expect("utf-8");
    let lines: Vec<String> = whole.lines().map(str::to_string).collect();
    let text = match line {
        Some(n) => lines[n - 1].clone(),
        None => whole.clone(),
    };
    let all = leaves(&text);
    assert!(!all.is_empty(), "{file} has no leaves");
    let selected = match per_pattern {
        Some(k) => sample_by_pattern(all, k),
        None => all,
    };
    let mut rng = ChaCha20Rng::seed_from_u64(0x7a3e);
    let mut naive_done = false;
    let mut problems = Vec::new();
    for leaf in &selected {
        let replacement = mutated(&leaf.value, &mut rng);
        let changed = splice(&text, leaf, &replacement);
        let contents = match line {
            Some(n) => {
                let mut copy = lines.clone();
                copy[n - 1] = changed.clone();
                copy.join("\n") + "\n"
            }
            None => changed.clone(),
        };
        let expected = expect(leaf, &changed);
        let at = format!(
            "{file}{} {}: {} -> {}",
            line.map(|n| format!(" line {n}")).unwrap_or_default(),
            leaf.pointer,
            leaf.value,
            replacement
        );
        // The naive model needs no sweep of its own: any changed byte changes the file's hash.
        // Once per file shows that check 1 names the file and the deeper check still runs.
        let naive_too = !naive_done;
        naive_done = true;
        for reindexed in [true, false] {
            if !reindexed && !naive_too {
                continue;
            }
            let dir = template.instantiate("sweep");
            std::fs::write(dir.path().join(file), &contents).expect("write mutated file");
            if reindexed {
                reindex(dir.path());
            }
            let report = verify(dir.path());
            let model = if reindexed { "re-indexed" } else { "naive" };
            let index = check(&report, 1);
            if reindexed && index.status != Status::Passed {
                problems.push(format!(
                    "{at} ({model}): check 1 did not pass after re-indexing: {}",
                    summary(&report)
                ));
                continue;
            }
            if !reindexed {
                if let Some(problem) = failure_problem(&report, 1, Some(file)) {
                    problems.push(format!("{at} ({model}): {problem}"));
                }
            }
            match &expected {
                Expect::Fails { check, culprit } => {
                    if let Some(problem) = failure_problem(&report, *check, Some(culprit)) {
                        problems.push(format!("{at} ({model}): {problem}"));
                    }
                }
                Expect::IndexOnly(reason) => {
                    if reindexed && !report.verified {
                        problems.push(format!(
                            "{at} ({model}): expected to verify when re-indexed ({reason}), but: {}",
                            summary(&report)
                        ));
                    }
                }
            }
        }
    }
    problems
}

#[track_caller]
fn assert_no_problems(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} mutation(s) not caught as expected:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The first pointer segment (a top-level field name).
fn top_field(pointer: &str) -> &str {
    pointer
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
}

/// `/contests/1/counts/3` → `contests[1].counts[3]`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.trim_start_matches('/').split('/') {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

#[test]
fn honest_record_verifies_in_both_modes() {
    let dir = template().instantiate("honest");
    assert_verified(&verify(dir.path()));
    assert_verified(&verify_one_by_one(dir.path()));
}

// ---------------------------------------------------------------------------------------------
// Every field of every file.
// ---------------------------------------------------------------------------------------------

/// Any change to the manifest changes its hash (over the file's bytes, spec `manifest.md` §4).
/// A manifest that no longer passes its own rules fails check 2. One that still does fails
/// check 3: `ceremony.json` records the hash of the manifest the ceremony was run for (and the
/// ceremony id and every proof of possession bind it), so the verifier reports "the ceremony
/// was run for another manifest". Check 5 (fingerprint) is not reached: it needs a valid
/// ceremony. Labels, ids, rule parameters and limits are all covered by the walk.
#[test]
fn every_field_of_manifest_json() {
    let expect = |_: &Leaf, changed: &str| {
        let broken = match serde_json::from_str::<Manifest>(changed) {
            Err(_) => true,
            Ok(manifest) => !manifest.check().is_empty(),
        };
        if broken {
            fails(2, "manifest.json")
        } else {
            fails(3, "ceremony.json: manifest_hash")
        }
    };
    assert_no_problems(sweep(template(), record::MANIFEST, None, None, &expect));
}

/// Every point (commitments, proof commitments, verification keys, joint key), scalar (proof
/// responses), hash (ceremony id, manifest hash), count (threshold, indices) and name fails
/// check 3: the ceremony id binds the names, threshold and manifest hash; the proofs of
/// possession bind the ceremony id and index; the keys are recomputed from the commitments.
#[test]
fn every_field_of_ceremony_json() {
    let expect = |_: &Leaf, _: &str| fails(3, "ceremony.json");
    assert_no_problems(sweep(template(), record::CEREMONY, None, None, &expect));
}

/// Replacing a credential by another valid one keeps check 4 (well-formed, distinct) passing;
/// the credentials hash in `election.json` no longer matches: check 5.
#[test]
fn every_field_of_credentials_json() {
    let expect = |_: &Leaf, _: &str| fails(5, "election.json: credentials_hash");
    assert_no_problems(sweep(template(), record::CREDENTIALS, None, None, &expect));
}

/// Every field of `election.json` is recomputed by check 5 and compared; the failure names it.
/// The board key is the one input that no other file fixes: another key gives another
/// fingerprint, so the failure names the fingerprint.
#[test]
fn every_field_of_election_json() {
    let expect = |leaf: &Leaf, _: &str| match top_field(&leaf.pointer) {
        "board_key" => fails(5, "election.json: fingerprint"),
        // Another version is refused when decoding; another 32 bytes of log key either do not
        // decode as a strong Ed25519 key or give another fingerprint (both tested below).
        // The same for the commission's key (record.md §3.2: the rules of log_key).
        "version" | "log_key" | "commission_key" => fails(5, "election.json"),
        field => fails(5, format!("election.json: {field}")),
    };
    assert_no_problems(sweep(template(), record::ELECTION, None, None, &expect));

    // An identity board key signs nothing: it does not decode, as an identity joint key does not.
    let dir = template().instantiate("identity-board-key");
    let path = dir.path().join(record::ELECTION);
    let mut election: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    election["board_key"] = Value::from("0".repeat(64));
    std::fs::write(&path, serde_json::to_vec_pretty(&election).unwrap()).unwrap();
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 5, Some("election.json"));
    assert!(
        failure_problem(&report, 5, Some("election.json: fingerprint")).is_some(),
        "the identity key must be refused when decoding, before any fingerprint is computed"
    );
    assert!(Election::open(&saylau::record::Record::at(dir.path())).is_err());
}

/// Protocol v2's inputs of `election.json` (record.md §3): a version-1 file is refused by name,
/// the log key is an input of the fingerprint and must be a strong, canonical Ed25519 key, the
/// witness policy's quorum is bounded, and `trustee_identities` is recomputed from whether the
/// record holds `ceremony/`.
#[test]
fn protocol_v2_fields_of_election_json() {
    let edit = |name: &str, change: &dyn Fn(&mut Value)| {
        let dir = template().instantiate(name);
        let path = dir.path().join(record::ELECTION);
        let mut election: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        change(&mut election);
        std::fs::write(&path, serde_json::to_vec_pretty(&election).unwrap()).unwrap();
        reindex(dir.path());
        dir
    };
    let problem_of = |report: &saylau::verify::Report, culprit: &str| -> String {
        check(report, 5)
            .failures
            .iter()
            .find(|f| f.culprit == culprit)
            .map(|f| f.detail.clone())
            .unwrap_or_else(|| panic!("no failure names {culprit:?}: {}", summary(report)))
    };

    // A v1 file (five inputs, no v2 fields) is refused for its version, in both readers.
    let dir = edit("v1", &|e| {
        e["version"] = Value::from(1);
        for field in ["log_key", "witness_policy", "trustee_identities"] {
            e.as_object_mut().unwrap().remove(field);
        }
    });
    let report = verify(dir.path());
    let problem = problem_of(&report, "election.json");
    assert!(problem.contains("version 1"), "{problem}");
    let error = Election::open(&saylau::record::Record::at(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("version 1"), "{error}");

    // Another valid log key: the fingerprint no longer matches.
    let other = saylau::log::checkpoint::LogSigningKey::from_seed([9; 32]).public();
    let dir = edit("other-log-key", &|e| {
        e["log_key"] = Value::from(hex::encode(other.as_bytes()))
    });
    assert_fails(&verify(dir.path()), 5, Some("election.json: fingerprint"));
    assert!(Election::open(&saylau::record::Record::at(dir.path())).is_err());

    // A small-order log key (the identity) does not decode.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let dir = edit("weak-log-key", &|e| {
        e["log_key"] = Value::from(hex::encode(identity))
    });
    let report = verify(dir.path());
    let problem = problem_of(&report, "election.json");
    assert!(problem.contains("weak"), "{problem}");

    // A quorum larger than the witness list.
    let dir = edit("quorum", &|e| {
        e["witness_policy"]["quorum"] = Value::from(1)
    });
    let report = verify(dir.path());
    let problem = problem_of(&report, "election.json: witness_policy");
    assert!(problem.contains("quorum 1"), "{problem}");

    // The demo record has no ceremony/: a `ceremony` entry in it makes the recomputed
    // `trustee_identities` true. The verifier's check 3 judges the (empty) transcript and fails
    // first, so checks 5 on do not run; the board's and trustees' loader names the field. (The
    // sweep above shows check 5 naming it when the published value is flipped.)
    let dir = template().instantiate("identities");
    std::fs::create_dir(dir.path().join(record::TRANSCRIPT_DIR)).unwrap();
    assert_fails(&verify(dir.path()), 3, Some("ceremony/"));
    let error = Election::open(&saylau::record::Record::at(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("trustee_identities"), "{error}");
}

/// Every ciphertext point and the participant count are recomputed from the board: check 12;
/// the closing checkpoint is compared with the log: check 19.
#[test]
fn every_field_of_tally_json() {
    let expect = |leaf: &Leaf, _: &str| {
        if leaf.pointer.starts_with("/closing_checkpoint") {
            fails(19, "tally.json: closing_checkpoint")
        } else if leaf.pointer == "/participants" {
            fails(12, "tally.json: participants")
        } else if leaf.pointer == "/board_size" || leaf.pointer == "/last_tracking_code" {
            fails(12, format!("tally.json: {}", &leaf.pointer[1..]))
        } else {
            fails(12, "tally.json: contests")
        }
    };
    assert_no_problems(sweep(template(), record::TALLY, None, None, &expect));
}

/// Every partial decryption, proof commitment, proof response and the trustee index: check 13,
/// naming the trustee.
#[test]
fn every_field_of_a_decryption_share() {
    let expect = |_: &Leaf, _: &str| fails(13, "trustee 1 (decryption/trustee-1.json)");
    let file = record::decryption_file_name(1);
    assert_no_problems(sweep(template(), &file, None, None, &expect));
    // A share that results.json did not use is checked all the same (one leaf per pattern).
    let expect = |_: &Leaf, _: &str| fails(13, "trustee 5");
    let file = record::decryption_file_name(5);
    assert_no_problems(sweep(template(), &file, None, Some(1), &expect));
}

/// Counts, participants, eligible and the trustees used fail check 14; outcomes fail check 15;
/// a value that no longer decodes fails check 14 (results.json cannot be read).
#[test]
fn every_field_of_results_json() {
    let expect = |leaf: &Leaf, changed: &str| {
        if serde_json::from_str::<Results>(changed).is_err() {
            return fails(14, "results.json");
        }
        let p = &leaf.pointer;
        if p == "/trustees_used/2" {
            // Any t valid shares decrypt to the same counts: results.json says which t were
            // combined, and the verifier checks that the counts follow from exactly those
            // (valid) shares. Listing trustees 1, 2, 4 instead of 1, 2, 3 is a different but
            // equally correct combination.
            return Expect::IndexOnly("any t valid shares give the same counts");
        }
        if let Some(rest) = p.strip_prefix("/contests/") {
            let c = rest.split('/').next().unwrap_or("");
            if p.contains("/outcome") {
                return fails(15, format!("results.json: contests[{c}].outcome"));
            }
            if p.contains("/counts/") {
                return fails(14, format!("results.json: {}", dotted(p)));
            }
            return fails(14, format!("results.json: contests[{c}]"));
        }
        fails(14, format!("results.json: {}", top_field(p)))
    };
    assert_no_problems(sweep(template(), record::RESULTS, None, None, &expect));
}

/// The expectation for a leaf of ballot line `n` (1-based) whose tracking code was `code`.
fn ballot_expectation(leaf: &Leaf, n: usize, code: &str) -> Expect {
    let at = format!("ballots.jsonl line {n}");
    match leaf.pointer.as_str() {
        // Its own link, and the next line's, no longer chain.
        "/tracking_code" => fails(10, at),
        "/ballot_hash" => fails(6, format!("ballot {code} ({at})")),
        // Unlisted, and every proof and the signature bind the credential.
        "/ballot/body/credential" => fails(8, format!("ballot {code} ({at})")),
        // Ciphertexts, proof points and scalars, the signature.
        _ => fails(7, format!("ballot {code} ({at})")),
    }
}

fn tracking_code_of_line(template: &Template, n: usize) -> String {
    let text = String::from_utf8(template.file(record::BALLOTS).to_vec()).expect("utf-8");
    let line: BallotLine =
        serde_json::from_str(text.lines().nth(n - 1).expect("line")).expect("ballot line");
    hex::encode(line.tracking_code)
}

/// A ballot line has about 170 leaves; two of each field pattern (ciphertext α and β, each
/// proof's points and scalars, exact and disjunctive proofs, the signature, the credential, the
/// hashes) are mutated.
#[test]
fn every_field_pattern_of_a_ballot_line() {
    let n = 2;
    let code = tracking_code_of_line(template(), n);
    let expect = |leaf: &Leaf, _: &str| ballot_expectation(leaf, n, &code);
    assert_no_problems(sweep(
        template(),
        record::BALLOTS,
        Some(n),
        Some(2),
        &expect,
    ));
}

/// The strongest attacker on the board: a ballot's field is changed and the operator recomputes
/// its ballot hash, the whole tracking-code chain and the record index, so checks 1, 6 and 10
/// pass. The proofs and signature (check 7), or the credential list (check 8), must still
/// catch it.
#[test]
fn resealed_ballot_mutations_fail_the_proof_checks() {
    let template = template();
    let n = 3;
    let whole = String::from_utf8(template.file(record::BALLOTS).to_vec()).expect("utf-8");
    let lines: Vec<String> = whole.lines().map(str::to_string).collect();
    let body_leaves: Vec<Leaf> = sample_by_pattern(leaves(&lines[n - 1]), 1)
        .into_iter()
        .filter(|leaf| leaf.pointer.starts_with("/ballot/"))
        .collect();
    assert!(body_leaves.len() >= 10, "{body_leaves:?}");
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut problems = Vec::new();
    for leaf in &body_leaves {
        let replacement = mutated(&leaf.value, &mut rng);
        let mut copy = lines.clone();
        copy[n - 1] = splice(&lines[n - 1], leaf, &replacement);
        let dir = template.instantiate("reseal");
        write_lines(dir.path(), record::BALLOTS, &copy);
        reseal(dir.path(), true);
        let report = verify(dir.path());
        let at = format!("ballots.jsonl line {n} {}", leaf.pointer);
        for id in [1, 6, 10] {
            if check(&report, id).status != Status::Passed {
                problems.push(format!(
                    "{at}: check {id} should pass after resealing: {}",
                    summary(&report)
                ));
            }
        }
        let expected = if leaf.pointer == "/ballot/body/credential" {
            8
        } else {
            7
        };
        let culprit = format!("(ballots.jsonl line {n})");
        if let Some(problem) = failure_problem(&report, expected, Some(&culprit)) {
            problems.push(format!("{at}: {problem}"));
        }
    }
    assert_no_problems(problems);
}

/// Every field of a challenged ballot (body, plaintexts, nonces, its hash): check 11.
#[test]
fn every_field_of_a_challenged_line() {
    let expect = |_: &Leaf, _: &str| fails(11, "challenged.jsonl line 1");
    // About 200 leaves: every plaintext and nonce, two of each ballot-body pattern.
    let text = String::from_utf8(template().file(record::CHALLENGED).to_vec()).expect("utf-8");
    let first = text.lines().next().expect("a challenged line");
    let per_pattern = if leaves(first).len() > 120 {
        Some(2)
    } else {
        None
    };
    assert_no_problems(sweep(
        template(),
        record::CHALLENGED,
        Some(1),
        per_pattern,
        &expect,
    ));
}

/// Check 11 checks challenged lines in parallel and batches each ballot's openings with its
/// proofs; a wrong nonce on each of two lines must still name both lines, in line order, with
/// the failing option.
#[test]
fn wrong_nonces_on_two_challenged_lines_are_both_named_in_order() {
    let dir = template().instantiate("two-nonces");
    let mut lines = read_lines(dir.path(), record::CHALLENGED);
    assert!(lines.len() >= 2, "the template has two challenged ballots");
    for line in lines.iter_mut().take(2) {
        let mut value: Value = serde_json::from_str(line).expect("json");
        let other = value["challenged"]["nonces"][0][0].clone();
        value["challenged"]["nonces"][0][1] = other;
        *line = value.to_string();
    }
    write_lines(dir.path(), record::CHALLENGED, &lines);
    reindex(dir.path());
    let report = verify(dir.path());
    assert_only_fails(&report, &[11]);
    let failures = &check(&report, 11).failures;
    assert_eq!(failures.len(), 2, "{}", summary(&report));
    for (failure, line) in failures.iter().zip(["line 1)", "line 2)"]) {
        assert!(failure.culprit.ends_with(line), "{}", failure.culprit);
        assert!(
            failure.detail.contains("contest 0 option 1")
                && failure
                    .detail
                    .contains("does not encrypt the revealed choice"),
            "{}",
            failure.detail
        );
    }
}

/// The tally's second pass reads superseded lines again by their offsets. If such a line no
/// longer holds a ballot under the same credential, the file changed between the passes, and
/// the tally is refused rather than silently miscounted.
#[test]
fn a_superseded_line_that_changed_between_the_passes_is_refused() {
    let dir = template().instantiate("changed-between-passes");
    let manifest: Manifest = serde_json::from_slice(template().file(record::MANIFEST)).unwrap();
    let mut accumulator = saylau::election::TallyAccumulator::new(&manifest, &[0; 32]);
    let mut reader = record::LinesReader::open(dir.path(), record::BALLOTS, false)
        .expect("open")
        .expect("ballots.jsonl");
    let mut latest = std::collections::HashMap::new();
    let mut superseded = None;
    while let Some((line, entry)) = reader.next_json::<BallotLine>().expect("line") {
        accumulator.add_ballot(line, reader.line_offset(), &entry.ballot);
        let credential = *entry.ballot.body.credential.as_bytes();
        if let Some(previous) = latest.insert(credential, line) {
            superseded.get_or_insert((previous, credential));
        }
    }
    let (line, credential) = superseded.expect("the template has a revote");
    // Put another credential's ballot where the superseded one was.
    let mut lines = read_lines(dir.path(), record::BALLOTS);
    let other = lines
        .iter()
        .find(|text| {
            let entry: BallotLine = serde_json::from_str(text).unwrap();
            entry.ballot.body.credential.as_bytes() != &credential
        })
        .expect("another credential")
        .clone();
    lines[line as usize - 1] = other;
    write_lines(dir.path(), record::BALLOTS, &lines);
    let error = accumulator
        .finish(&saylau::record::Record::at(dir.path()))
        .expect_err("a changed line must not be subtracted");
    let message = error.to_string();
    assert!(
        message.contains("ballots.jsonl") && message.contains(&format!("line {line}")),
        "{message}"
    );
    assert!(message.contains("the file changed"), "{message}");
}

/// The board's tally decodes `ballots.jsonl` in parallel chunks; the first bad line in board
/// order still stops it, named by its line number.
#[test]
fn the_board_tally_names_the_first_ballot_of_the_wrong_shape() {
    let dir = template().instantiate("board-shape");
    let mut lines = read_lines(dir.path(), record::BALLOTS);
    assert!(lines.len() >= 3);
    for at in [1, 2] {
        let mut value: Value = serde_json::from_str(&lines[at]).expect("json");
        let options = value["ballot"]["body"]["contests"][0]["options"]
            .as_array_mut()
            .expect("options");
        options.pop();
        lines[at] = value.to_string();
    }
    write_lines(dir.path(), record::BALLOTS, &lines);
    let election = Election::open(&saylau::record::Record::at(dir.path())).expect("election");
    let error = saylau::election::tally_record(&saylau::record::Record::at(dir.path()), &election)
        .expect_err("a ballot of the wrong shape cannot be tallied")
        .to_string();
    assert!(
        error.contains("line 2") && error.contains("shape does not match the manifest"),
        "{error}"
    );
}

/// `record.json` itself: only check 1 reads it, by design. Nothing deeper can notice a changed
/// index, and it needs no protection of its own: it is recomputable from the files, and the
/// record root is what gets published elsewhere (printed by the demo) to pin the record.
#[test]
fn every_field_of_record_json() {
    let template = template();
    let text = String::from_utf8(template.file(record::INDEX).to_vec()).expect("utf-8");
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut problems = Vec::new();
    for leaf in leaves(&text) {
        let replacement = mutated(&leaf.value, &mut rng);
        let dir = template.instantiate("index");
        std::fs::write(
            dir.path().join(record::INDEX),
            splice(&text, &leaf, &replacement),
        )
        .expect("write");
        let report = verify(dir.path());
        let failed = failed_ids(&report);
        if report.verified || failed != [1] {
            problems.push(format!(
                "record.json {}: expected exactly check 1 to fail: {}",
                leaf.pointer,
                summary(&report)
            ));
        }
    }
    assert_no_problems(problems);
}

// ---------------------------------------------------------------------------------------------
// The board: deleting, duplicating, reordering, unlisted credentials.
// ---------------------------------------------------------------------------------------------

fn ballot_lines(template: &Template) -> Vec<String> {
    String::from_utf8(template.file(record::BALLOTS).to_vec())
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect()
}

fn code_of(line: &str) -> String {
    let entry: BallotLine = serde_json::from_str(line).expect("ballot line");
    hex::encode(entry.tracking_code)
}

#[test]
fn deleting_a_ballot_line_breaks_the_chain() {
    let mut lines = ballot_lines(template());
    let next_code = code_of(&lines[4]);
    lines.remove(3);
    let dir = template().instantiate("delete");
    write_lines(dir.path(), record::BALLOTS, &lines);
    reindex(dir.path());
    let report = verify(dir.path());
    // The ballot after the gap (now line 4) no longer links to its predecessor.
    assert_fails(
        &report,
        10,
        Some(&format!("ballot {next_code} (ballots.jsonl line 4)")),
    );
    assert_fails(&report, 12, Some("tally.json"));
}

#[test]
fn deleting_the_last_ballot_line_fails_the_tally() {
    // Truncating the board leaves an unbroken chain; the published tally no longer matches.
    let mut lines = ballot_lines(template());
    lines.pop();
    let dir = template().instantiate("truncate-board");
    write_lines(dir.path(), record::BALLOTS, &lines);
    reindex(dir.path());
    let report = verify(dir.path());
    assert_eq!(
        check(&report, 10).status,
        Status::Passed,
        "{}",
        summary(&report)
    );
    assert_fails(&report, 12, Some("tally.json"));
}

#[test]
fn deleting_a_ballot_and_rechaining_fails_the_tally() {
    let mut lines = ballot_lines(template());
    lines.remove(5);
    let dir = template().instantiate("delete-rechain");
    write_lines(dir.path(), record::BALLOTS, &lines);
    reseal(dir.path(), false);
    let report = verify(dir.path());
    assert_fails(&report, 12, Some("tally.json"));
    for id in [1, 6, 7, 8, 9, 10] {
        assert_eq!(
            check(&report, id).status,
            Status::Passed,
            "check {id}: {}",
            summary(&report)
        );
    }
}

#[test]
fn duplicating_a_ballot_line_is_caught() {
    let mut lines = ballot_lines(template());
    let copy = lines[1].clone();
    lines.insert(2, copy);
    let dir = template().instantiate("duplicate");
    write_lines(dir.path(), record::BALLOTS, &lines);
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 9, Some("(ballots.jsonl line 3)"));
    // The copy's published code is its original's, which does not link from line 2.
    assert_fails(&report, 10, Some("(ballots.jsonl line 3)"));
}

/// A copy of an honest ballot appended at the end with a correct tracking code: only check 9
/// can catch it. The copy is not counted (the tally only sums the original), so the published
/// tally, decryption and results are still right and must pass.
#[test]
fn duplicate_ballot_with_a_valid_chain_fails_only_check_9() {
    let mut lines = ballot_lines(template());
    let copy = lines[1].clone();
    lines.push(copy);
    let n = lines.len();
    let dir = template().instantiate("duplicate-rechain");
    write_lines(dir.path(), record::BALLOTS, &lines);
    reseal(dir.path(), false);
    relog(dir.path(), SEED);
    let report = verify(dir.path());
    assert_fails(&report, 9, Some(&format!("(ballots.jsonl line {n})")));
    assert_only_fails(&report, &[9]);
}

#[test]
fn reordering_two_ballot_lines_breaks_the_chain() {
    let mut lines = ballot_lines(template());
    lines.swap(2, 6);
    let dir = template().instantiate("reorder");
    write_lines(dir.path(), record::BALLOTS, &lines);
    reindex(dir.path());
    let report = verify(dir.path());
    let moved = code_of(&lines[2]);
    assert_fails(
        &report,
        10,
        Some(&format!("ballot {moved} (ballots.jsonl line 3)")),
    );
    // Reordering two different voters' ballots and recomputing the whole chain gives another
    // consistent board with the same tally: the universal verifier cannot tell, by design.
    // The voters can: the tracking codes on their receipts are no longer on the board.
}

/// A revote moved before the voter's first ballot (chain recomputed): the other ballot is now
/// the last one and counts, so the published tally is not the sum of the right ballots.
#[test]
fn reordering_a_revote_before_the_first_ballot_fails_the_tally() {
    let mut lines = ballot_lines(template());
    let credential = |line: &str| {
        let entry: BallotLine = serde_json::from_str(line).expect("ballot line");
        *entry.ballot.body.credential.as_bytes()
    };
    let (first, revote) = (0..lines.len())
        .flat_map(|i| (i + 1..lines.len()).map(move |j| (i, j)))
        .find(|&(i, j)| credential(&lines[i]) == credential(&lines[j]))
        .expect("the template has a revote");
    lines.swap(first, revote);
    let dir = template().instantiate("reorder-revote");
    write_lines(dir.path(), record::BALLOTS, &lines);
    reseal(dir.path(), false);
    let report = verify(dir.path());
    assert_fails(&report, 12, Some("tally.json"));
    assert_eq!(
        check(&report, 10).status,
        Status::Passed,
        "{}",
        summary(&report)
    );
}

/// Builds a properly encrypted, proved and signed ballot under a fresh credential that is not
/// in `credentials.json`.
fn unlisted_ballot(dir: &Path, seed: u64) -> saylau::ballot::Ballot {
    let election = Election::open(&saylau::record::Record::at(dir)).expect("open the election");
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let secret = Secret::random(&mut rng);
    let credential = secret.public_element();
    let key = EncryptionKey::new(*election.key());
    let choices = demo::simulated_choices(&election.manifest, &mut rng);
    let (body, _secrets) = BallotBody::encrypt(
        &election.manifest,
        election.fingerprint(),
        &key,
        &credential,
        &choices,
        &mut rng,
    )
    .expect("encrypt");
    let ballot = body
        .sign(election.fingerprint(), &secret, &mut rng)
        .expect("sign");
    // Well-formed: it verifies on its own, only its credential is not listed.
    ballot
        .verify(&election.manifest, election.fingerprint(), election.key())
        .expect("the stuffed ballot's proofs verify");
    ballot
}

/// Ballot stuffing: a valid ballot under an unlisted credential, appended with a correct
/// tracking code. Only check 8 fails, naming the ballot's tracking code; the ballot is not
/// counted, so the tally and results still verify.
#[test]
fn ballot_under_an_unlisted_credential_fails_only_check_8() {
    let dir = template().instantiate("unlisted");
    let ballot = unlisted_ballot(dir.path(), 77);
    let mut lines = read_lines(dir.path(), record::BALLOTS);
    let last: BallotLine = serde_json::from_str(lines.last().expect("lines")).expect("last line");
    let entry = BallotLine {
        tracking_code: record::tracking_code(
            &last.tracking_code,
            &ballot.body.hash(),
            &ballot.signature,
        ),
        ballot_hash: ballot.body.hash(),
        ballot,
    };
    let code = hex::encode(entry.tracking_code);
    lines.push(serde_json::to_string(&entry).expect("encode"));
    let n = lines.len();
    write_lines(dir.path(), record::BALLOTS, &lines);
    re_anchor_tally(dir.path());
    relog(dir.path(), SEED);
    let report = verify(dir.path());
    assert_fails(
        &report,
        8,
        Some(&format!("ballot {code} (ballots.jsonl line {n})")),
    );
    assert_only_fails(&report, &[8]);
}

/// The same stuffed ballot inserted in the middle of the board, chain recomputed.
#[test]
fn unlisted_ballot_in_the_middle_with_a_valid_chain() {
    let dir = template().instantiate("unlisted-middle");
    let ballot = unlisted_ballot(dir.path(), 78);
    let entry = BallotLine {
        tracking_code: [0; 32],
        ballot_hash: ballot.body.hash(),
        ballot,
    };
    let mut lines = read_lines(dir.path(), record::BALLOTS);
    lines.insert(4, serde_json::to_string(&entry).expect("encode"));
    write_lines(dir.path(), record::BALLOTS, &lines);
    reseal(dir.path(), false);
    relog(dir.path(), SEED);
    let report = verify(dir.path());
    assert_fails(&report, 8, Some("(ballots.jsonl line 5)"));
    assert_only_fails(&report, &[8]);
}

/// The Cortier–Smyth replay: a copy of an honest ballot re-labelled with another listed
/// credential (hashes and chain recomputed). Its proofs and signature bind the original
/// credential: check 7.
#[test]
fn replayed_ballot_under_another_listed_credential_fails_check_7() {
    let dir = template().instantiate("replay");
    let (list, _): (CredentialList, _) =
        record::read_json(dir.path(), record::CREDENTIALS).expect("credentials");
    let mut lines = read_lines(dir.path(), record::BALLOTS);
    let mut entry: BallotLine = serde_json::from_str(&lines[1]).expect("line 2");
    let other = list
        .credentials
        .iter()
        .find(|c| **c != entry.ballot.body.credential)
        .expect("another credential");
    entry.ballot.body.credential = *other;
    lines.push(serde_json::to_string(&entry).expect("encode"));
    let n = lines.len();
    write_lines(dir.path(), record::BALLOTS, &lines);
    reseal(dir.path(), true);
    let report = verify(dir.path());
    assert_fails(&report, 7, Some(&format!("(ballots.jsonl line {n})")));
    assert_eq!(check(&report, 8).status, Status::Passed);
}

// ---------------------------------------------------------------------------------------------
// Counts, shares, credentials, manifest labels: targeted cases with exact expectations.
// ---------------------------------------------------------------------------------------------

fn edit_results(dir: &Path, edit: impl FnOnce(&mut Results)) {
    let (mut results, _): (Results, _) = record::read_json(dir, record::RESULTS).expect("results");
    edit(&mut results);
    record::write_json(dir, record::RESULTS, &results).expect("write results");
}

#[test]
fn changing_a_decrypted_count_fails_check_14() {
    let dir = template().instantiate("count");
    edit_results(dir.path(), |r| r.contests[0].counts[1] += 1);
    let report = verify(dir.path());
    assert_fails(&report, 1, Some("results.json"));
    assert_fails(
        &report,
        14,
        Some("results.json: contests[0].counts[1] (bolat-sadykov)"),
    );
}

/// A changed count with outcomes recomputed from it, so they are consistent: only check 14.
#[test]
fn changing_a_count_and_its_outcome_fails_only_check_14() {
    let dir = template().instantiate("count-outcome");
    let (manifest, _): (Manifest, _) =
        record::read_json(dir.path(), record::MANIFEST).expect("manifest");
    edit_results(dir.path(), |r| {
        // Move a vote from the first party to the second.
        r.contests[1].counts[0] -= 1;
        r.contests[1].counts[1] += 1;
        let counts: Vec<Vec<u64>> = r.contests.iter().map(|c| c.counts.clone()).collect();
        let outcomes =
            saylau::tally::results::outcomes(&manifest, r.participants, r.eligible, &counts)
                .expect("outcomes");
        for (contest, outcome) in r.contests.iter_mut().zip(outcomes) {
            contest.outcome = outcome;
        }
    });
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(
        &report,
        14,
        Some("results.json: contests[1].counts[0] (amanat)"),
    );
    assert_fails(
        &report,
        14,
        Some("results.json: contests[1].counts[1] (auyl)"),
    );
    assert_only_fails(&report, &[14]);
}

/// Claiming that a valid decryption share was rejected (defaming a trustee) must fail.
#[test]
fn claiming_a_valid_share_was_rejected_fails_check_14() {
    let dir = template().instantiate("rejected");
    edit_results(dir.path(), |r| {
        r.rejected_shares
            .push(saylau::tally::results::RejectedShare {
                trustee: 4,
                reason: "invalid decryption proof".into(),
            })
    });
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(
        &report,
        14,
        Some("results.json: rejected_shares (trustee 4)"),
    );
    assert_only_fails(&report, &[14]);
}

/// Deleting a used share (trustee 1) and re-indexing: the results combine a share that is not
/// there.
#[test]
fn deleting_a_used_share_fails_check_14() {
    let dir = template().instantiate("share-gone");
    std::fs::remove_file(dir.path().join(record::decryption_file_name(1))).expect("remove");
    let report = verify(dir.path());
    assert_fails(&report, 1, Some("decryption/trustee-1.json"));
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 14, Some("results.json: trustees_used (trustee 1)"));
}

#[test]
fn a_share_under_another_trustees_file_name_fails_check_13() {
    let dir = template().instantiate("share-moved");
    let from = dir.path().join(record::decryption_file_name(2));
    std::fs::copy(&from, dir.path().join(record::decryption_file_name(1))).expect("copy");
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 13, Some("trustee 1 (decryption/trustee-1.json)"));
}

#[test]
fn a_share_from_a_trustee_outside_the_ceremony_fails_check_13() {
    let dir = template().instantiate("share-stranger");
    let bytes = std::fs::read(dir.path().join(record::decryption_file_name(5))).expect("read");
    let text =
        String::from_utf8(bytes)
            .expect("utf-8")
            .replacen("\"trustee\": 5", "\"trustee\": 6", 1);
    std::fs::write(dir.path().join(record::decryption_file_name(6)), text).expect("write");
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 13, Some("trustee 6"));
}

fn edit_credentials(dir: &Path, edit: impl FnOnce(&mut CredentialList)) {
    let (mut list, _): (CredentialList, _) =
        record::read_json(dir, record::CREDENTIALS).expect("credentials");
    edit(&mut list);
    record::write_json(dir, record::CREDENTIALS, &list).expect("write credentials");
    reindex(dir);
}

#[test]
fn a_credential_listed_twice_fails_check_4() {
    let dir = template().instantiate("credential-twice");
    edit_credentials(dir.path(), |list| {
        let first = list.credentials[0];
        list.credentials.push(first);
    });
    let n = VOTERS;
    assert_fails(
        &verify(dir.path()),
        4,
        Some(&format!("credentials.json: credentials[{n}]")),
    );
}

#[test]
fn the_identity_as_a_credential_fails_check_4() {
    let dir = template().instantiate("credential-identity");
    edit_credentials(dir.path(), |list| {
        list.credentials[3] =
            saylau::crypto::group::GroupElement::decode(&[0u8; 32]).expect("identity");
    });
    assert_fails(
        &verify(dir.path()),
        4,
        Some("credentials.json: credentials[3]"),
    );
}

/// A credential that is not a canonical point encoding is named by its position; the file is
/// read as a stream of encodings, so the other credentials are still listed.
#[test]
fn a_non_canonical_credential_fails_check_4() {
    let dir = template().instantiate("credential-non-canonical");
    let path = dir.path().join(record::CREDENTIALS);
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    value["credentials"][5] = serde_json::Value::String("ff".repeat(32));
    std::fs::write(&path, serde_json::to_vec_pretty(&value).expect("json")).expect("write");
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 4, Some("credentials.json: credentials[5]"));
    let check = report.checks.iter().find(|c| c.id == 4).expect("check 4");
    assert_eq!(check.failures.len(), 1, "{:?}", check.failures);
    // The board's loader refuses the election, naming the entry.
    let error = saylau::election::Election::open(&saylau::record::Record::at(dir.path()))
        .expect_err("a non-credential");
    assert!(error.to_string().contains("credentials[5]"), "{error}");
}

fn edit_manifest_text(dir: &Path, from: &str, to: &str) {
    let path = dir.join(record::MANIFEST);
    let text = std::fs::read_to_string(&path).expect("manifest");
    assert!(text.contains(from), "{from:?} is not in the manifest");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write manifest");
}

/// A changed label: check 1 names manifest.json, and check 3 fails because the ceremony (whose
/// id and proofs bind the manifest hash) was run for another manifest. See
/// `every_field_of_manifest_json` for why it is check 3 and not check 5.
#[test]
fn changing_a_manifest_label_fails_check_3() {
    let dir = template().instantiate("label");
    edit_manifest_text(dir.path(), "Aigerim Nurlanova", "Aigerim Nurlanova-Smith");
    let report = verify(dir.path());
    assert_fails(&report, 1, Some("manifest.json"));
    assert_fails(&report, 3, Some("ceremony.json: manifest_hash"));
    reindex(dir.path());
    assert_fails(&verify(dir.path()), 3, Some("ceremony.json: manifest_hash"));
}

/// The label changed and `ceremony.json`'s manifest hash patched to match: the ceremony id,
/// which binds the manifest hash, and every proof of possession no longer match.
#[test]
fn changing_a_label_and_patching_the_ceremony_still_fails_check_3() {
    let dir = template().instantiate("label-patched");
    edit_manifest_text(dir.path(), "\"Yes\"", "\"Yes, of course\"");
    let bytes = std::fs::read(dir.path().join(record::MANIFEST)).expect("manifest");
    let (mut ceremony, _): (CeremonyRecord, _) =
        record::read_json(dir.path(), record::CEREMONY).expect("ceremony");
    ceremony.manifest_hash = Manifest::hash_bytes(&bytes);
    record::write_json(dir.path(), record::CEREMONY, &ceremony).expect("write ceremony");
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 3, Some("ceremony.json"));
    assert_eq!(check(&report, 1).status, Status::Passed);
}

/// A manifest that breaks its own rules names the field.
#[test]
fn a_manifest_label_removed_fails_check_2_naming_the_field() {
    let dir = template().instantiate("label-missing");
    edit_manifest_text(dir.path(), "\"en\": \"Bolat Sadykov\",", "");
    let report = verify(dir.path());
    assert_fails(
        &report,
        2,
        Some("manifest.json: contests[0].options[1].label.en"),
    );
}

// ---------------------------------------------------------------------------------------------
// Ballots with every proof kind: approval (disjunctive totals) and score (bulletproofs).
// ---------------------------------------------------------------------------------------------

fn labels(text: &str) -> Labels {
    ["kk", "ru", "en"]
        .iter()
        .map(|lang| (lang.to_string(), format!("{text} ({lang})")))
        .collect()
}

fn contest(id: &str, kind: ContestKind, options: usize) -> Contest {
    Contest {
        id: id.into(),
        title: labels(id),
        kind,
        options: (0..options)
            .map(|i| ContestOption {
                id: format!("{id}-{i}"),
                label: labels(&format!("{id} option {i}")),
                against_all: false,
            })
            .collect(),
        rule: None,
    }
}

/// A record whose ballots use every proof kind: exact (single choice), disjunctive (approval
/// options and totals) and bulletproofs (scores 0..=100, totals 0..=150). Built with the same
/// library steps as the demo.
fn kinds_template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let manifest = Manifest {
            version: 1,
            election_id: "kinds".into(),
            title: labels("kinds"),
            languages: vec!["kk".into(), "ru".into(), "en".into()],
            contests: vec![
                contest("single", ContestKind::SingleChoice {}, 3),
                contest("approval", ContestKind::Approval { min: 1, max: 2 }, 4),
                contest(
                    "score",
                    ContestKind::Score {
                        max_score: 100,
                        max_total: 150,
                    },
                    3,
                ),
            ],
        };
        assert_eq!(manifest.check(), vec![]);
        let temp = TempDir::new("kinds");
        let dir = temp.path();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let bytes = record::write_json(dir, record::MANIFEST, &manifest).expect("manifest");
        let names: Vec<String> = (1..=3).map(|i| format!("trustee {i}")).collect();
        let (ceremony, shares) =
            ceremony::run_in_process(&Manifest::hash_bytes(&bytes), &names, 2, &mut rng)
                .expect("ceremony");
        record::write_json(dir, record::CEREMONY, &ceremony).expect("ceremony.json");
        let voters = demo::register_voters(6, &mut rng);
        let board_keys = BoardKeys::generate(&mut ChaCha20Rng::seed_from_u64(30));
        let election = demo::open_election(
            &saylau::record::Record::at(dir),
            voters.iter().map(|v| v.public).collect(),
            &board_keys,
        )
        .expect("open");
        demo::cast_simulated(
            &saylau::record::Record::at(dir),
            &election,
            &voters,
            &board_keys,
            3,
            &Progress::none(),
        )
        .expect("cast");
        saylau::election::publish_tally(&saylau::record::Record::at(dir), &election)
            .expect("tally");
        let verified = saylau::verify::verified_tally(&saylau::record::Record::at(dir))
            .expect("the board verifies");
        for share in &shares {
            demo::trustee_decrypt(
                &saylau::record::Record::at(dir),
                &election,
                share,
                &verified,
                &mut rng,
            )
            .expect("decrypt");
        }
        saylau::trustee::finish_tally(&saylau::record::Record::at(dir), &election).expect("finish");
        assert_verified(&verify(dir));
        Template::read(dir)
    })
}

#[test]
fn every_field_pattern_of_a_ballot_with_every_proof_kind() {
    let template = kinds_template();
    let code = tracking_code_of_line(template, 1);
    let line = String::from_utf8(template.file(record::BALLOTS).to_vec()).expect("utf-8");
    let first = line.lines().next().expect("a ballot");
    for kind in ["/exact/", "/disjunctive/", "/bulletproof/"] {
        assert!(
            leaves(first).iter().any(|l| l.pointer.contains(kind)),
            "no {kind} proof in the ballot"
        );
    }
    let expect = |leaf: &Leaf, _: &str| ballot_expectation(leaf, 1, &code);
    assert_no_problems(sweep(template, record::BALLOTS, Some(1), Some(1), &expect));
}

/// Leaves that decode to a value equal to the original would make a sweep vacuous: check that
/// every mutation really changes the decoded value.
#[test]
fn mutations_change_the_value() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for name in [record::CEREMONY, record::RESULTS, record::MANIFEST] {
        let text = String::from_utf8(template().file(name).to_vec()).expect("utf-8");
        for leaf in leaves(&text) {
            let replacement: Value = mutated(&leaf.value, &mut rng);
            assert_ne!(replacement, leaf.value, "{name} {}", leaf.pointer);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Benaloh challenges: a challenged ballot must never be cast.
// ---------------------------------------------------------------------------------------------

/// A voter's device encrypts a ballot, the voter challenges it (its nonces are published), and
/// the same ballot is then signed and cast anyway: an operator who kept it could cast it
/// knowing exactly what it contains. Everything downstream (tally, shares, results, index) is
/// recomputed honestly from that board, so only check 11 can catch it.
#[test]
fn a_challenged_ballot_that_is_also_cast_fails_only_check_11() {
    let temp = TempDir::new("challenged-cast");
    let dir = temp.path();
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let manifest = Manifest::example();
    let bytes = record::write_json(dir, record::MANIFEST, &manifest).expect("manifest");
    let names: Vec<String> = (1..=3).map(|i| format!("trustee {i}")).collect();
    let (ceremony, shares) =
        ceremony::run_in_process(&Manifest::hash_bytes(&bytes), &names, 2, &mut rng)
            .expect("ceremony");
    record::write_json(dir, record::CEREMONY, &ceremony).expect("ceremony.json");
    let voters = demo::register_voters(3, &mut rng);
    let board_keys = BoardKeys::generate(&mut ChaCha20Rng::seed_from_u64(31));
    let election = demo::open_election(
        &saylau::record::Record::at(dir),
        voters.iter().map(|v| v.public).collect(),
        &board_keys,
    )
    .expect("open");
    let key = EncryptionKey::new(*election.key());
    let fingerprint = *election.fingerprint();
    let encrypt = |voter: &demo::SimulatedVoter, rng: &mut ChaCha20Rng| {
        let choices = demo::simulated_choices(&manifest, rng);
        BallotBody::encrypt(&manifest, &fingerprint, &key, &voter.public, &choices, rng)
            .expect("encrypt")
    };
    let (challenged_body, secrets) = encrypt(&voters[0], &mut rng);
    {
        // Only the keys election.json publishes may sign receipts and checkpoints.
        let stranger = BoardKeys::generate(&mut ChaCha20Rng::seed_from_u64(32));
        let receipt_only = BoardKeys {
            receipt: stranger.receipt,
            log: saylau::log::checkpoint::LogSigningKey::from_seed(*board_keys.log.seed()),
        };
        assert!(matches!(
            saylau::election::BallotBox::open(
                &saylau::record::Record::at(dir),
                &election,
                &receipt_only,
                "localhost"
            ),
            Err(saylau::election::CastError::WrongBoardKey)
        ));
        let log_only = BoardKeys {
            receipt: BoardKey::generate(&mut ChaCha20Rng::seed_from_u64(31)),
            log: stranger.log,
        };
        assert!(matches!(
            saylau::election::BallotBox::open(
                &saylau::record::Record::at(dir),
                &election,
                &log_only,
                "localhost"
            ),
            Err(saylau::election::CastError::WrongLogKey)
        ));
        let mut board = saylau::election::BallotBox::open(
            &saylau::record::Record::at(dir),
            &election,
            &board_keys,
            "localhost",
        )
        .expect("board");
        board.sync_every_ballot(false);
        board
            .publish_challenge(challenged_body.clone().challenge(secrets))
            .expect("challenge");
        for voter in &voters[1..] {
            let (body, _) = encrypt(voter, &mut rng);
            let ballot = body
                .sign(&fingerprint, &voter.secret, &mut rng)
                .expect("sign");
            board.cast(ballot).expect("cast");
        }
        board.sync().expect("sync");
    }
    // The board refuses it (already challenged), so it is appended behind the board's back.
    let ballot = challenged_body
        .sign(&fingerprint, &voters[0].secret, &mut rng)
        .expect("sign");
    let mut lines = read_lines(dir, record::BALLOTS);
    let last: BallotLine = serde_json::from_str(lines.last().expect("a line")).expect("line");
    let entry = BallotLine {
        tracking_code: record::tracking_code(
            &last.tracking_code,
            &ballot.body.hash(),
            &ballot.signature,
        ),
        ballot_hash: ballot.body.hash(),
        ballot,
    };
    // The operator, who holds the log key, logs it too and signs the grown log.
    let leaf = saylau::election::Leaf::cast(
        &entry.ballot.body.credential,
        entry.ballot_hash,
        &entry.ballot.signature,
    );
    lines.push(serde_json::to_string(&entry).expect("encode"));
    write_lines(dir, record::BALLOTS, &lines);
    let mut leaves = std::fs::read(dir.join(record::LOG_LEAVES)).expect("leaves");
    leaves.extend_from_slice(&leaf.to_bytes());
    // Then closes voting with the commission's signed close (the demo's commission key).
    let commission = demo::demo_commission(&board_keys);
    leaves.extend_from_slice(
        &saylau::election::Leaf::close(
            &commission.public(),
            record::close_message(&fingerprint),
            &commission.sign_close(&fingerprint),
        )
        .to_bytes(),
    );
    std::fs::write(dir.join(record::LOG_LEAVES), &leaves).expect("leaves");
    let mut tree = saylau::log::tree::TreeBuilder::new();
    for bytes in leaves.chunks(saylau::election::LEAF_SIZE) {
        tree.push(saylau::log::tree::leaf_hash(bytes))
            .expect("push");
    }
    let signer = board_keys
        .log
        .signer(&saylau::election::log_origin("localhost", &fingerprint))
        .expect("signer");
    let checkpoint = saylau::log::checkpoint::SignedCheckpoint::sign(
        saylau::log::checkpoint::Checkpoint::new(signer.name(), tree.size(), tree.root(), vec![])
            .expect("body"),
        &signer,
    )
    .expect("signed");
    let mut checkpoints = read_lines(dir, record::LOG_CHECKPOINTS);
    checkpoints.push(
        serde_json::to_string(&saylau::election::CheckpointLine {
            size: tree.size(),
            checkpoint: checkpoint.to_string(),
        })
        .expect("encode"),
    );
    write_lines(dir, record::LOG_CHECKPOINTS, &checkpoints);
    let tally = saylau::election::publish_tally(&saylau::record::Record::at(dir), &election)
        .expect("tally");
    // An honest trustee verifies the board first and refuses.
    let refusal = saylau::verify::verified_tally(&saylau::record::Record::at(dir))
        .expect_err("trustees must refuse this board");
    assert!(refusal.to_string().contains("check 11"), "{refusal}");
    // Dishonest trustees decrypt anyway; the verifier still names the problem.
    for share in &shares {
        let decryption =
            saylau::tally::decrypt_share(election.fingerprint(), share, &tally, &mut rng)
                .expect("decrypt");
        record::write_json(
            dir,
            &record::decryption_file_name(share.index()),
            &decryption,
        )
        .expect("share");
    }
    saylau::trustee::finish_tally(&saylau::record::Record::at(dir), &election).expect("finish");
    let report = verify(dir);
    assert_fails(&report, 11, Some("challenged.jsonl line 1"));
    assert_only_fails(&report, &[11]);
    let detail = &check(&report, 11).failures[0].detail;
    assert!(detail.contains("a challenged ballot was cast"), "{detail}");
}

/// `record.json` must list exactly the indexed files in chain order: two different index
/// files must not both pass for the same record.
#[test]
fn a_record_index_with_extra_or_reordered_entries_fails_check_1() {
    let dir = template().instantiate("index-shape");
    let (index, _): (record::RecordIndex, _) =
        record::read_json(dir.path(), record::INDEX).expect("index");
    let mut duplicated = index.clone();
    let mut extra = duplicated.files[0].clone();
    extra.hash = [7; 32];
    duplicated.files.push(extra);
    let mut reordered = index.clone();
    reordered.files.swap(0, 1);
    for (what, changed) in [("duplicated", duplicated), ("reordered", reordered)] {
        record::write_json(dir.path(), record::INDEX, &changed).expect("write");
        let report = verify(dir.path());
        assert!(!report.verified, "{what}: {}", summary(&report));
        assert_only_fails(&report, &[1]);
    }
}

/// An invalid share that results.json did not use: check 13 names it whatever results.json
/// says (every published share must be valid, spec `verifier.md` check 13); check 14 also asks
/// that it be listed in `rejected_shares`, and passes once it is.
#[test]
fn an_invalid_unused_share_must_be_listed_as_rejected() {
    let dir = template().instantiate("invalid-unused");
    let name = record::decryption_file_name(5);
    let text = std::fs::read_to_string(dir.path().join(&name)).expect("share");
    let leaf = leaves(&text)
        .into_iter()
        .find(|l| l.pointer.ends_with("/proof/response"))
        .expect("a proof response");
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let changed = splice(&text, &leaf, &mutated(&leaf.value, &mut rng));
    std::fs::write(dir.path().join(&name), changed).expect("write");
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(&report, 13, Some("trustee 5 (decryption/trustee-5.json)"));
    assert_fails(&report, 14, Some("results.json: rejected_shares"));
    edit_results(dir.path(), |r| {
        r.rejected_shares
            .push(saylau::tally::results::RejectedShare {
                trustee: 5,
                reason: "invalid decryption proof".into(),
            })
    });
    reindex(dir.path());
    assert_only_fails(&verify(dir.path()), &[13]);
}

/// Shares set aside by `tally finish` live in `decryption/rejected/`. An invalid share set aside
/// and listed in `rejected_shares` leaves the record verified (the trustee is named, the tally
/// used others); a valid share set aside is a false accusation and fails check 13.
#[test]
fn set_aside_shares_must_really_be_invalid() {
    let dir = template().instantiate("set-aside");
    let name = record::decryption_file_name(5);
    let target = format!("{}/trustee-5.json", record::REJECTED_DIR);
    std::fs::create_dir_all(dir.path().join(record::REJECTED_DIR)).expect("mkdir");
    // A valid share moved aside and listed: false accusation.
    std::fs::rename(dir.path().join(&name), dir.path().join(&target)).expect("move");
    edit_results(dir.path(), |r| {
        r.rejected_shares
            .push(saylau::tally::results::RejectedShare {
                trustee: 5,
                reason: "invalid decryption proof".into(),
            })
    });
    reindex(dir.path());
    let report = verify(dir.path());
    assert_fails(
        &report,
        13,
        Some("trustee 5 (decryption/rejected/trustee-5.json)"),
    );
    // The same file made invalid: now the record verifies and names trustee 5 as rejected.
    let text = std::fs::read_to_string(dir.path().join(&target)).expect("share");
    let leaf = leaves(&text)
        .into_iter()
        .find(|l| l.pointer.ends_with("/proof/response"))
        .expect("a proof response");
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    std::fs::write(
        dir.path().join(&target),
        splice(&text, &leaf, &mutated(&leaf.value, &mut rng)),
    )
    .expect("write");
    reindex(dir.path());
    assert_verified(&verify(dir.path()));
    // Listed but not published anywhere: the accusation cannot be checked.
    std::fs::remove_file(dir.path().join(&target)).expect("remove");
    reindex(dir.path());
    assert_fails(
        &verify(dir.path()),
        14,
        Some("results.json: rejected_shares (trustee 5)"),
    );
}
