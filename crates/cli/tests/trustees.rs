//! The key ceremony and the decryption run by separate trustees, each a separate `saylau`
//! process (spec `ceremony.md` §9–§14): the honest run, the cheaters it must catch, and the
//! errors that must leave the ceremony directory untouched.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use rand_core::OsRng;
use saylau::ceremony::round2::SecretShare;
use saylau::ceremony::{self, CeremonyRecord};
use saylau::crypto::elgamal::Secret;
use saylau::crypto::group::GroupElement;
use saylau::tally::results::Results;
use saylau::trustee::{
    self, encrypt_share, CeremonyDir, CommitBody, Envelope, Identity, RevealBody, Round2Body,
    ShareStatement, Stage, TrusteeError,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_saylau");

fn passphrase(trustee: usize) -> String {
    format!("passphrase of trustee {trustee}")
}

/// A scratch directory with five trustees' key directories and a manifest.
struct Scene {
    root: PathBuf,
    keys: Vec<PathBuf>,
    manifest: PathBuf,
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn run(args: &[&str], trustee: Option<usize>) -> Output {
    let mut command = Command::new(BIN);
    command.args(args).env_remove("SAYLAU_PASSPHRASE");
    if let Some(t) = trustee {
        command.env("SAYLAU_PASSPHRASE", passphrase(t));
    }
    command.output().expect("saylau runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn ok(args: &[&str], trustee: Option<usize>) -> String {
    let output = run(args, trustee);
    assert!(
        output.status.success(),
        "saylau {args:?} failed: {}",
        text(&output)
    );
    text(&output)
}

fn fails(args: &[&str], trustee: Option<usize>) -> String {
    let output = run(args, trustee);
    assert!(
        !output.status.success(),
        "saylau {args:?} should fail: {}",
        text(&output)
    );
    text(&output)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

impl Scene {
    fn new(label: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("saylau-trustees-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let manifest = root.join("manifest.json");
        let example = ok(&["manifest", "example"], None);
        std::fs::write(&manifest, example).unwrap();
        let names = ["Aigerim", "Bolat", "Dana", "Erlan", "Saule"];
        let keys: Vec<PathBuf> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let key = root.join(format!("key-{name}"));
                ok(
                    &["trustee", "new", "--name", name, "--out", s(&key)],
                    Some(i + 1),
                );
                key
            })
            .collect();
        Scene {
            root,
            keys,
            manifest,
        }
    }

    fn key(&self, trustee: usize) -> &str {
        s(&self.keys[trustee - 1])
    }

    fn ceremony(&self, name: &str, threshold: u32) -> PathBuf {
        let out = self.root.join(name);
        let mut args: Vec<String> = vec!["ceremony".into(), "new".into()];
        for key in &self.keys {
            args.push("--trustee".into());
            args.push(key.join("public.json").display().to_string());
        }
        args.extend([
            "--threshold".into(),
            threshold.to_string(),
            "--manifest".into(),
            self.manifest.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&args, None);
        out
    }

    fn step(&self, step: &str, trustee: usize, ceremony: &Path) -> String {
        ok(
            &[
                "trustee",
                step,
                "--key",
                self.key(trustee),
                "--ceremony",
                s(ceremony),
            ],
            Some(trustee),
        )
    }

    fn finish(&self, ceremony: &Path) -> (PathBuf, String) {
        let record = self.root.join("record");
        let output = ok(
            &[
                "ceremony",
                "finish",
                "--ceremony",
                s(ceremony),
                "--manifest",
                s(&self.manifest),
                "--out",
                s(&record),
            ],
            None,
        );
        (record, output)
    }

    fn decrypt(&self, trustee: usize, record: &Path) -> String {
        ok(
            &[
                "trustee",
                "decrypt",
                "--key",
                self.key(trustee),
                "--record",
                s(record),
            ],
            Some(trustee),
        )
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn vote_and_finish(scene: &Scene, record: &Path, decryptors: &[usize]) -> Results {
    ok(
        &[
            "demo",
            "--record",
            s(record),
            "--voters",
            "20",
            "--quiet",
            "--seed",
            "7",
        ],
        None,
    );
    for &t in decryptors {
        scene.decrypt(t, record);
    }
    ok(&["tally", "finish", "--record", s(record)], None);
    let verified = ok(&["verify", s(record), "--quiet"], None);
    assert!(
        verified.contains("verified: every check passed"),
        "{verified}"
    );
    read_json(&record.join("results.json"))
}

#[test]
fn five_trustees_threshold_three_end_to_end() {
    let scene = Scene::new("honest");
    let ceremony = scene.ceremony("ceremony", 3);
    for t in 1..=5 {
        scene.step("round1", t, &ceremony);
    }
    for t in 1..=5 {
        scene.step("reveal", t, &ceremony);
    }
    for t in 1..=5 {
        let output = scene.step("round2", t, &ceremony);
        assert!(
            output.contains("every share sent to you is valid"),
            "{output}"
        );
    }
    // Running a finished step again changes nothing.
    let before = snapshot(&ceremony);
    scene.step("round1", 2, &ceremony);
    scene.step("reveal", 2, &ceremony);
    scene.step("round2", 2, &ceremony);
    assert_eq!(before, snapshot(&ceremony));

    let (record, _) = scene.finish(&ceremony);
    let ceremony_record: CeremonyRecord = read_json(&record.join("ceremony.json"));
    assert_eq!(ceremony_record.qualified(), vec![1, 2, 3, 4, 5]);
    // Issue 19 item 4: decrypting before voting is closed says so, not "the board does not verify".
    let early = fails(
        &[
            "trustee",
            "decrypt",
            "--key",
            scene.key(2),
            "--record",
            s(&record),
        ],
        Some(2),
    );
    assert!(early.contains("voting is not closed yet"), "{early}");
    assert!(ceremony_record.disqualified.is_empty());
    assert!(record.join("ceremony/reveal/trustee-5.json").is_file());

    let results = vote_and_finish(&scene, &record, &[2, 4, 5]);
    assert_eq!(results.trustees_used, vec![2, 4, 5]);
    assert!(results.rejected_shares.is_empty());
    let index: Value = read_json(&record.join("record.json"));
    let files: Vec<&str> = index["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"ceremony/round2/trustee-3.json"),
        "{files:?}"
    );

    // A trustee decrypts once; a second attempt is refused and changes nothing.
    let before = snapshot(&record);
    let again = fails(
        &[
            "trustee",
            "decrypt",
            "--key",
            scene.key(2),
            "--record",
            s(&record),
        ],
        Some(2),
    );
    assert!(again.contains("already published"), "{again}");
    assert_eq!(before, snapshot(&record));

    // Issue 19 item 5: a trustee who did not take part is refused once the count is finished;
    // before, its share landed in decryption/ and the record no longer verified.
    let late = fails(
        &[
            "trustee",
            "decrypt",
            "--key",
            scene.key(1),
            "--record",
            s(&record),
        ],
        Some(1),
    );
    assert!(late.contains("the count is finished"), "{late}");
    assert_eq!(before, snapshot(&record));
    let verified = ok(&["verify", s(&record), "--quiet"], None);
    assert!(
        verified.contains("verified: every check passed"),
        "{verified}"
    );
}

/// Trustee 2 deals a bad share to trustee 4 (caught by a complaint and disqualified); after
/// voting, trustee 5 publishes a wrong decryption share (named and set aside).
#[test]
fn bad_dealing_and_wrong_decryption_share_are_caught() {
    let scene = Scene::new("cheaters");
    let ceremony = scene.ceremony("ceremony", 3);
    for t in 1..=5 {
        scene.step("round1", t, &ceremony);
    }
    // Trustee 2 cheats: its round-1 message carries a wrong share for trustee 4. It prepares
    // that message before committing (the test withdraws the honest commitment, which nobody
    // has seen yet, and lets `trustee round1` commit to the cheating message instead).
    let context = CeremonyDir::open(&ceremony).unwrap();
    let identity = Identity::load(&scene.keys[1], passphrase(2).as_bytes()).unwrap();
    let pending = scene.keys[1].join(trustee::pending_reveal_name(&context.setup.ceremony_id));
    let honest: Envelope<RevealBody> = read_json(&pending);
    let mut body = honest.body.clone();
    let wrong = SecretShare::new(2, 4, Secret::random(&mut OsRng));
    let position = body.shares.iter().position(|s| s.to == 4).unwrap();
    body.shares[position] = encrypt_share(&context.setup, &wrong, &mut OsRng).unwrap();
    let cheating = Envelope::sign(&context, &identity, 2, Stage::Reveal, body, &mut OsRng).unwrap();
    std::fs::write(&pending, serde_json::to_vec_pretty(&cheating).unwrap()).unwrap();
    std::fs::remove_file(ceremony.join("commit/trustee-2.json")).unwrap();
    scene.step("round1", 2, &ceremony);

    for t in 1..=5 {
        scene.step("reveal", t, &ceremony);
    }
    for t in 1..=5 {
        let output = scene.step("round2", t, &ceremony);
        if t == 4 {
            assert!(
                output.contains("COMPLAINT against trustee 2 (Bolat)"),
                "{output}"
            );
        } else {
            assert!(!output.contains("COMPLAINT"), "{output}");
        }
    }
    let status = ok(&["ceremony", "status", "--ceremony", s(&ceremony)], None);
    assert!(status.contains("[complaint against 2]"), "{status}");

    let (record, output) = scene.finish(&ceremony);
    assert!(
        output.contains("complaint by trustee 4 against trustee 2: upheld"),
        "{output}"
    );
    assert!(
        output.contains("DISQUALIFIED trustee 2 (Bolat)"),
        "{output}"
    );
    let ceremony_record: CeremonyRecord = read_json(&record.join("ceremony.json"));
    assert_eq!(ceremony_record.qualified(), vec![1, 3, 4, 5]);
    assert_eq!(ceremony_record.disqualified.len(), 1);
    assert_eq!(ceremony_record.disqualified[0].index, 2);
    assert_eq!(ceremony_record.disqualified[0].name, "Bolat");
    assert!(ceremony_record.disqualified[0]
        .reason
        .contains("complaint by trustee 4 upheld"));
    assert_eq!(
        ceremony_record.disqualified[0].code,
        saylau::ceremony::DisqualificationCode::ComplaintUpheld
    );
    ceremony_record.verify().unwrap();
    // Issue 18, spec item 2: the auditor compares the rule (code), never the words.
    let opened = saylau::record::Record::at(&record);
    let mut reworded = ceremony_record.clone();
    reworded.disqualified[0].reason = "anders formuliert".into();
    assert_eq!(
        saylau::trustee::audit_record(&opened, &reworded).ok(),
        Some(true)
    );
    let mut recoded = ceremony_record.clone();
    recoded.disqualified[0].code = saylau::ceremony::DisqualificationCode::FalseComplaint;
    let refused = saylau::trustee::audit_record(&opened, &recoded).unwrap_err();
    assert!(
        refused.to_string().contains("trustee 2") && refused.to_string().contains("FalseComplaint"),
        "{refused}"
    );

    ok(
        &[
            "demo",
            "--record",
            s(&record),
            "--voters",
            "20",
            "--quiet",
            "--seed",
            "9",
        ],
        None,
    );
    // The disqualified trustee holds no key share.
    let refused = fails(
        &[
            "trustee",
            "decrypt",
            "--key",
            scene.key(2),
            "--record",
            s(&record),
        ],
        Some(2),
    );
    assert!(refused.contains("disqualified"), "{refused}");

    // Shares are signed by their trustees (ceremony.md §14.6). Trustee 1 decrypts; then someone
    // without its key shifts one partial decryption in the file. That file is evidence against
    // nobody: the tally stops, names it, and changes nothing.
    scene.decrypt(1, &record);
    let file = record.join("decryption/trustee-1.json");
    let honest: Envelope<ShareStatement> = read_json(&file);
    assert_eq!((honest.kind, honest.author), (Stage::Decryption, 1));
    let mut wrong = honest.body.share.clone();
    let original = wrong.contests[0][0].share;
    wrong.contests[0][0].share =
        GroupElement::from_point(original.point() + RISTRETTO_BASEPOINT_POINT);
    let mut forged = honest.clone();
    forged.body.share = wrong.clone();
    std::fs::write(&file, serde_json::to_vec_pretty(&forged).unwrap()).unwrap();
    for t in [3, 4, 5] {
        scene.decrypt(t, &record);
    }
    let before = snapshot(&record);
    let refused = fails(&["tally", "finish", "--record", s(&record)], None);
    assert!(
        refused.contains("decryption/trustee-1.json is not a decryption share of its trustee")
            && refused.contains("the signature of trustee 1 (Aigerim) does not verify"),
        "{refused}"
    );
    assert_eq!(before, snapshot(&record));

    // Nor does a forgery in a free slot stop the trustee it names without saying so.
    std::fs::remove_file(record.join("decryption/trustee-5.json")).unwrap();
    std::fs::write(
        record.join("decryption/trustee-5.json"),
        serde_json::to_vec_pretty(&wrong).unwrap(),
    )
    .unwrap();
    let taken = fails(
        &[
            "trustee",
            "decrypt",
            "--key",
            scene.key(5),
            "--record",
            s(&record),
        ],
        Some(5),
    );
    assert!(taken.contains("is not a share of yours"), "{taken}");
    std::fs::remove_file(record.join("decryption/trustee-5.json")).unwrap();
    scene.decrypt(5, &record);

    // Trustee 1 itself publishes the wrong share, signed: now it is evidence against trustee 1,
    // which the tally names and sets aside.
    let context = CeremonyDir::open(&record.join("ceremony")).unwrap();
    let identity = Identity::load(&scene.keys[0], passphrase(1).as_bytes()).unwrap();
    let statement = ShareStatement {
        share: wrong,
        ..honest.body.clone()
    };
    let signed_wrong = Envelope::sign(
        &context,
        &identity,
        1,
        Stage::Decryption,
        statement,
        &mut OsRng,
    )
    .unwrap();
    std::fs::write(&file, serde_json::to_vec_pretty(&signed_wrong).unwrap()).unwrap();
    let output = ok(&["tally", "finish", "--record", s(&record)], None);
    assert!(
        output.contains("REJECTED the decryption share of trustee 1"),
        "{output}"
    );
    let verified = ok(&["verify", s(&record), "--quiet"], None);
    assert!(
        verified.contains("verified: every check passed"),
        "{verified}"
    );
    let results: Results = read_json(&record.join("results.json"));
    assert_eq!(results.trustees_used, vec![3, 4, 5]);
    assert_eq!(results.rejected_shares.len(), 1);
    assert_eq!(results.rejected_shares[0].trustee, 1);
    let evidence = record.join("decryption/rejected/trustee-1.json");
    assert_eq!(
        read_json::<Envelope<ShareStatement>>(&evidence),
        signed_wrong
    );

    // The verifier holds the set-aside share to the same rule: unsigned, it accuses nobody.
    let unsigned = serde_json::to_vec_pretty(&signed_wrong.body.share).unwrap();
    std::fs::write(&evidence, unsigned).unwrap();
    let refused = fails(&["verify", s(&record), "--quiet"], None);
    assert!(
        refused.contains("trustee 1 (decryption/rejected/trustee-1.json)")
            && refused.contains("set aside as this trustee's, but"),
        "{refused}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A signed decryption share names the election and the `tally.json` it decrypts (ceremony.md
/// §14.6, issue 18 item 2). A trustee's genuine share copied from another election of the same
/// ceremony, or kept from another `tally.json`, fails its proofs here, but is evidence against
/// nobody: the count stops and names it, and a record that sets it aside anyway to accuse the
/// trustee does not verify.
#[test]
fn a_share_signed_for_another_election_or_tally_accuses_nobody() {
    let scene = Scene::new("bound-shares");
    let ceremony = scene.ceremony("ceremony", 3);
    for step in ["round1", "reveal", "round2"] {
        for t in 1..=5 {
            scene.step(step, t, &ceremony);
        }
    }
    let (record, _) = scene.finish(&ceremony);
    // A second election of the same ceremony and trustees: the record before voting, copied,
    // with other voters.
    let other = scene.root.join("other-record");
    copy_dir(&record, &other);
    for (dir, seed) in [(&record, "7"), (&other, "8")] {
        ok(
            &[
                "demo",
                "--record",
                s(dir),
                "--voters",
                "12",
                "--quiet",
                "--seed",
                seed,
            ],
            None,
        );
    }
    scene.decrypt(1, &other);
    let copied = record.join("decryption/trustee-1.json");
    std::fs::create_dir_all(copied.parent().unwrap()).unwrap();
    std::fs::copy(other.join("decryption/trustee-1.json"), &copied).unwrap();
    for t in [3, 4, 5] {
        scene.decrypt(t, &record);
    }
    let before = snapshot(&record);
    let refused = fails(&["tally", "finish", "--record", s(&record)], None);
    assert!(
        refused.contains("decryption/trustee-1.json is not a decryption share of its trustee")
            && refused.contains("signed it for another election"),
        "{refused}"
    );
    assert_eq!(before, snapshot(&record));

    // Without the copy the count goes ahead with trustees 3, 4, 5.
    let planted = std::fs::read(&copied).unwrap();
    std::fs::remove_file(&copied).unwrap();
    ok(&["tally", "finish", "--record", s(&record)], None);
    let verified = ok(&["verify", s(&record), "--quiet"], None);
    assert!(
        verified.contains("verified: every check passed"),
        "{verified}"
    );

    // Whoever can write the record sets the copy aside as trustee 1's invalid share, names
    // trustee 1 in results.json and re-indexes: the verifier refuses to accuse trustee 1.
    let evidence = record.join("decryption/rejected/trustee-1.json");
    std::fs::create_dir_all(evidence.parent().unwrap()).unwrap();
    std::fs::write(&evidence, &planted).unwrap();
    let mut results: Value = read_json(&record.join("results.json"));
    results["rejected_shares"] = serde_json::json!([
        {"trustee": 1, "reason": "the proof of the partial decryption of contest 0, option 0 does not verify"}
    ]);
    std::fs::write(
        record.join("results.json"),
        serde_json::to_vec_pretty(&results).unwrap(),
    )
    .unwrap();
    saylau::record::Record::at(&record).reindex().unwrap();
    let refused = fails(&["verify", s(&record), "--quiet"], None);
    assert!(
        refused.contains("trustee 1 (decryption/rejected/trustee-1.json)")
            && refused.contains("signed it for another election"),
        "{refused}"
    );
    std::fs::remove_dir_all(evidence.parent().unwrap()).unwrap();
    results["rejected_shares"] = serde_json::json!([]);
    std::fs::write(
        record.join("results.json"),
        serde_json::to_vec_pretty(&results).unwrap(),
    )
    .unwrap();
    saylau::record::Record::at(&record).reindex().unwrap();
    let verified = ok(&["verify", s(&record), "--quiet"], None);
    assert!(
        verified.contains("verified: every check passed"),
        "{verified}"
    );

    // The downgrade of issue 18 item 3: the transcript removed and each signed share replaced by
    // its bare body, so that the record looks like an in-process (unsigned) one. election.json's
    // trustee_identities, bound by F, says the trustees had identities: check 5 names it.
    let downgraded = scene.root.join("downgraded");
    copy_dir(&record, &downgraded);
    std::fs::remove_dir_all(downgraded.join("ceremony")).unwrap();
    for t in [3, 4, 5] {
        let file = downgraded.join(format!("decryption/trustee-{t}.json"));
        let signed: Envelope<ShareStatement> = read_json(&file);
        std::fs::write(
            &file,
            serde_json::to_vec_pretty(&signed.body.share).unwrap(),
        )
        .unwrap();
    }
    saylau::record::Record::at(&downgraded).reindex().unwrap();
    let refused = fails(&["verify", s(&downgraded), "--quiet"], None);
    assert!(
        refused.contains("election.json: trustee_identities"),
        "{refused}"
    );

    // Same election, another tally.json (here the same sums written another way, so only the
    // file hash changes): the shares were signed for the old file, and none of them counts.
    let tally: Value = read_json(&record.join("tally.json"));
    std::fs::write(
        record.join("tally.json"),
        serde_json::to_vec(&tally).unwrap(),
    )
    .unwrap();
    saylau::record::Record::at(&record).reindex().unwrap();
    let refused = fails(&["verify", s(&record), "--quiet"], None);
    assert!(
        refused.contains("decryption/trustee-3.json")
            && refused.contains("signed it for another tally.json"),
        "{refused}"
    );
}

/// Trustee 3 publishes a round-1 message different from the one it committed to; and a second,
/// different commitment from the same trustee is refused as equivocation.
#[test]
fn equivocation_is_detected() {
    let scene = Scene::new("equivocation");
    let ceremony = scene.ceremony("ceremony", 3);
    for t in 1..=5 {
        scene.step("round1", t, &ceremony);
    }
    let context = CeremonyDir::open(&ceremony).unwrap();
    let identity = Identity::load(&scene.keys[2], passphrase(3).as_bytes()).unwrap();

    // A second commitment signed by trustee 3: detected, not published.
    let other = Envelope::sign(
        &context,
        &identity,
        3,
        Stage::Commit,
        CommitBody {
            reveal_hash: [7u8; 32],
        },
        &mut OsRng,
    )
    .unwrap();
    let before = snapshot(&ceremony);
    match context.publish(&other) {
        Err(TrusteeError::Equivocation { culprit: 3, .. }) => {}
        other => panic!("expected equivocation, got {other:?}"),
    }
    assert_eq!(before, snapshot(&ceremony));

    // Trustee 3 reveals a polynomial other than the committed one.
    forge_reveal(&scene, &ceremony, 3);
    for t in [1, 2, 4, 5] {
        scene.step("reveal", t, &ceremony);
    }
    // Trustee 3's own honest reveal now collides with the forged one: equivocation.
    let collided = fails(
        &[
            "trustee",
            "reveal",
            "--key",
            scene.key(3),
            "--ceremony",
            s(&ceremony),
        ],
        Some(3),
    );
    assert!(collided.contains("equivocation: trustee 3"), "{collided}");
    let round2 = scene.step("round2", 1, &ceremony);
    assert!(round2.contains("equivocated"), "{round2}");
    for t in [2, 4, 5] {
        scene.step("round2", t, &ceremony);
    }
    let (record, output) = scene.finish(&ceremony);
    assert!(output.contains("DISQUALIFIED trustee 3 (Dana)"), "{output}");
    let ceremony_record: CeremonyRecord = read_json(&record.join("ceremony.json"));
    assert_eq!(ceremony_record.qualified(), vec![1, 2, 4, 5]);
    assert!(ceremony_record.disqualified[0]
        .reason
        .contains("equivocated"));
    assert_eq!(
        ceremony_record.disqualified[0].code,
        // Its reveal no longer matches its own commitment: a public fault of its files,
        // the first rule of ceremony.md §14.3's order.
        saylau::ceremony::DisqualificationCode::PublicFault
    );
}

/// Wrong passphrase, a damaged key file, a file from another ceremony, round 2 too early: each
/// a clear error, and the ceremony directory is byte for byte unchanged.
#[test]
fn errors_leave_the_ceremony_directory_unchanged() {
    let scene = Scene::new("errors");
    let ceremony = scene.ceremony("ceremony", 3);
    scene.step("round1", 1, &ceremony);
    scene.step("round1", 2, &ceremony);

    let unchanged = |args: &[&str], trustee: Option<usize>, expected: &str| {
        let before = snapshot(&ceremony);
        let error = fails(args, trustee);
        assert!(
            error.contains(expected),
            "expected {expected:?} in: {error}"
        );
        assert_eq!(before, snapshot(&ceremony), "{args:?} changed the ceremony");
    };
    let round1 = |key: &str| -> Vec<String> {
        [
            "trustee",
            "round1",
            "--key",
            key,
            "--ceremony",
            s(&ceremony),
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };

    // Wrong passphrase (trustee 3 with trustee 4's passphrase).
    let args = round1(scene.key(3));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    unchanged(&args, Some(4), "wrong passphrase");

    // No passphrase and no terminal.
    unchanged(&args, None, "SAYLAU_PASSPHRASE");

    // Damaged key files: a flipped ciphertext byte, and garbage.
    let damaged = scene.root.join("key-damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    for name in ["public.json", "secret.key"] {
        std::fs::copy(scene.keys[2].join(name), damaged.join(name)).unwrap();
    }
    let mut sealed: Value = read_json(&damaged.join("secret.key"));
    let mut ciphertext = sealed["ciphertext"].as_str().unwrap().to_string();
    let flipped = if ciphertext.starts_with('0') {
        "1"
    } else {
        "0"
    };
    ciphertext.replace_range(0..1, flipped);
    sealed["ciphertext"] = Value::String(ciphertext);
    std::fs::write(
        damaged.join("secret.key"),
        serde_json::to_vec(&sealed).unwrap(),
    )
    .unwrap();
    let args = round1(s(&damaged));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    unchanged(&args, Some(3), "damaged");
    std::fs::write(damaged.join("secret.key"), b"not a key file").unwrap();
    unchanged(&args, Some(3), "damaged");

    // Round 2 before round 1 is complete.
    unchanged(
        &[
            "trustee",
            "round2",
            "--key",
            scene.key(1),
            "--ceremony",
            s(&ceremony),
        ],
        Some(1),
        "must wait: no commit message yet from 3 (Dana), 4 (Erlan), 5 (Saule)",
    );
    // Issue 19 item 4: a trustee who has not done round 1 is told so, not to wait for itself.
    unchanged(
        &[
            "trustee",
            "reveal",
            "--key",
            scene.key(3),
            "--ceremony",
            s(&ceremony),
        ],
        None,
        "you have not done round 1",
    );
    // Reveal before every commitment is in.
    unchanged(
        &[
            "trustee",
            "reveal",
            "--key",
            scene.key(1),
            "--ceremony",
            s(&ceremony),
        ],
        None,
        "must wait",
    );
    // Finishing early.
    let early = scene.root.join("early-record");
    unchanged(
        &[
            "ceremony",
            "finish",
            "--ceremony",
            s(&ceremony),
            "--manifest",
            s(&scene.manifest),
            "--out",
            s(&early),
        ],
        None,
        "must wait",
    );
    assert!(!early.exists());

    // A file from another ceremony (same trustees, another threshold) dropped into this one.
    let other = scene.ceremony("other-ceremony", 2);
    ok(
        &[
            "trustee",
            "round1",
            "--key",
            scene.key(3),
            "--ceremony",
            s(&other),
        ],
        Some(3),
    );
    std::fs::copy(
        other.join("commit/trustee-3.json"),
        ceremony.join("commit/trustee-3.json"),
    )
    .unwrap();
    let args = round1(scene.key(4));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    unchanged(&args, Some(4), "belongs to another ceremony");
    unchanged(
        &["ceremony", "status", "--ceremony", s(&ceremony)],
        None,
        "belongs to another ceremony",
    );
    std::fs::remove_file(ceremony.join("commit/trustee-3.json")).unwrap();

    // A key directory that is not on the list, and a manifest that is not the ceremony's.
    let stranger = scene.root.join("key-stranger");
    ok(
        &[
            "trustee",
            "new",
            "--name",
            "Stranger",
            "--out",
            s(&stranger),
        ],
        Some(9),
    );
    let args = round1(s(&stranger));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    unchanged(&args, Some(9), "is not on this ceremony's list");

    // Without SAYLAU_PASSPHRASE and without a terminal, `trustee new` refuses to guess.
    let refused = fails(
        &[
            "trustee",
            "new",
            "--name",
            "Short",
            "--out",
            s(&scene.root.join("short")),
        ],
        None,
    );
    assert!(refused.contains("SAYLAU_PASSPHRASE"), "{refused}");
    assert!(!scene.root.join("short").exists());
}

/// Trustee `author`'s identity and a new round-1 message from it: a fresh polynomial, its proof,
/// and its shares encrypted to the other four.
fn fresh_reveal(scene: &Scene, context: &CeremonyDir, author: u32) -> (Identity, RevealBody) {
    let identity = Identity::load(
        &scene.keys[author as usize - 1],
        passphrase(author as usize).as_bytes(),
    )
    .unwrap();
    let (secret, package) = ceremony::part1(context.params(), author, &mut OsRng).unwrap();
    let shares = (1..=5)
        .filter(|&j| j != author)
        .map(|j| encrypt_share(&context.setup, &secret.share_for(j).unwrap(), &mut OsRng).unwrap())
        .collect();
    let body = RevealBody {
        commitments: package.commitments,
        proof: package.proof,
        shares,
    };
    (identity, body)
}

/// A round-1 message for `author` other than the one it committed to, published in its slot.
fn forge_reveal(scene: &Scene, ceremony: &Path, author: u32) {
    let context = CeremonyDir::open(ceremony).unwrap();
    let (identity, body) = fresh_reveal(scene, &context, author);
    let forged =
        Envelope::sign(&context, &identity, author, Stage::Reveal, body, &mut OsRng).unwrap();
    context.publish(&forged).unwrap();
}

/// With threshold 5, one disqualified trustee leaves too few: `ceremony finish` says so and
/// writes no record.
#[test]
fn finish_fails_clearly_below_the_threshold() {
    let scene = Scene::new("below-threshold");
    let ceremony = scene.ceremony("ceremony", 5);
    for t in 1..=5 {
        scene.step("round1", t, &ceremony);
    }
    forge_reveal(&scene, &ceremony, 3);
    for t in [1, 2, 4, 5] {
        scene.step("reveal", t, &ceremony);
    }
    for t in [1, 2, 4, 5] {
        scene.step("round2", t, &ceremony);
    }
    let record = scene.root.join("record");
    let before = snapshot(&ceremony);
    let error = fails(
        &[
            "ceremony",
            "finish",
            "--ceremony",
            s(&ceremony),
            "--manifest",
            s(&scene.manifest),
            "--out",
            s(&record),
        ],
        None,
    );
    assert!(
        error.contains("only 4 qualified trustees remain, fewer than the threshold 5"),
        "{error}"
    );
    assert!(error.contains("3 (Dana): equivocated"), "{error}");
    assert!(!record.exists());
    assert_eq!(before, snapshot(&ceremony));
}

/// `ceremony.json` with disqualified trustees (spec §7, §8, §10): built from the qualified
/// packages only; every index accounted for once; at least `t` qualified; keys from `Q` only.
#[test]
fn record_with_disqualified_trustees_is_checked() {
    use saylau::ceremony::{part1, CeremonyError, CeremonyParameters, DisqualifiedTrustee};
    let names: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let manifest = [0x11u8; 32];
    let params = CeremonyParameters::for_election(&manifest, &names, 3).unwrap();
    let packages: Vec<_> = (1..=5)
        .map(|i| part1(&params, i, &mut OsRng).unwrap().1)
        .collect();
    let out = |i: u32| DisqualifiedTrustee {
        index: i,
        name: names[i as usize - 1].clone(),
        code: saylau::ceremony::DisqualificationCode::ComplaintUpheld,
        reason: "test".into(),
    };
    let qualified: Vec<_> = packages.iter().filter(|p| p.index != 2).cloned().collect();
    let record =
        CeremonyRecord::assemble_qualified(&manifest, &names, 3, &qualified, vec![out(2)]).unwrap();
    record.verify().unwrap();
    assert_eq!(record.qualified(), vec![1, 3, 4, 5]);
    assert_eq!(record.names(), names);
    assert!(record.verification_key(2).is_none());
    let full = CeremonyRecord::assemble(&manifest, &names, 3, &packages).unwrap();
    assert_ne!(full.joint_key, record.joint_key);
    // Round trip; the empty list is omitted so old records keep their exact bytes.
    let text = serde_json::to_string(&record).unwrap();
    assert_eq!(
        serde_json::from_str::<CeremonyRecord>(&text).unwrap(),
        record
    );
    assert!(!serde_json::to_string(&full)
        .unwrap()
        .contains("disqualified"));

    // Moving a qualified trustee to the disqualified list without re-deriving the keys fails.
    let mut moved = record.clone();
    let dropped = moved.trustees.remove(0);
    moved.disqualified.insert(0, out(dropped.index));
    assert!(moved.verify().is_err());
    // An index missing, or listed in both lists.
    let mut missing = record.clone();
    missing.disqualified.clear();
    assert!(missing.verify().is_err());
    let mut twice = record.clone();
    twice.disqualified.push(out(3));
    assert!(twice.verify().is_err());
    // Too few qualified.
    let few: Vec<_> = packages.iter().filter(|p| p.index <= 2).cloned().collect();
    assert_eq!(
        CeremonyRecord::assemble_qualified(
            &manifest,
            &names,
            3,
            &few,
            vec![out(3), out(4), out(5)]
        )
        .unwrap_err(),
        CeremonyError::NotEnoughQualified {
            qualified: 2,
            threshold: 3
        }
    );
}

/// Trustee `author` puts new round-1 messages in the directory after the others' round 2: a new
/// polynomial, validly signed; with `commit_too`, a matching new commitment as well (issue 18
/// item 1).
fn rewrite_round1(scene: &Scene, ceremony: &Path, author: u32, commit_too: bool) {
    let context = CeremonyDir::open(ceremony).unwrap();
    let (identity, body) = fresh_reveal(scene, &context, author);
    let reveal_hash = trustee::reveal_hash(&context.setup.ceremony_id, author, &body).unwrap();
    let reveal =
        Envelope::sign(&context, &identity, author, Stage::Reveal, body, &mut OsRng).unwrap();
    let _ = std::fs::remove_file(ceremony.join(Stage::Reveal.file(author)));
    if commit_too {
        let commit = Envelope::sign(
            &context,
            &identity,
            author,
            Stage::Commit,
            CommitBody { reveal_hash },
            &mut OsRng,
        )
        .unwrap();
        std::fs::remove_file(ceremony.join(Stage::Commit.file(author))).unwrap();
        context.publish(&commit).unwrap();
    }
    context.publish(&reveal).unwrap();
}

fn check_key(scene: &Scene, trustee: usize, record: &Path) -> Output {
    run(
        &[
            "trustee",
            "check",
            "--key",
            scene.key(trustee),
            "--record",
            s(record),
        ],
        Some(trustee),
    )
}

/// Issue 18 item 1: trustee 3 rewrites its commitment and round-1 message after everyone's
/// round 2. Before, `ceremony finish` qualified the new polynomial, which nobody held shares of,
/// and after voting no trustee could decrypt. Now each round-2 message carries the round-1
/// messages it judged, signed by their authors, so trustee 3 is caught signing two; and
/// `trustee check` confirms every qualified trustee's key share before voting opens.
#[test]
fn a_round1_rewrite_after_round2_disqualifies_its_author() {
    let scene = Scene::new("rewrite");
    let ceremony = scene.ceremony("ceremony", 3);
    for step in ["round1", "reveal", "round2"] {
        for t in 1..=5 {
            scene.step(step, t, &ceremony);
        }
    }
    rewrite_round1(&scene, &ceremony, 3, true);
    let (record, output) = scene.finish(&ceremony);
    assert!(
        output.contains("DISQUALIFIED trustee 3 (Dana): equivocated: it signed two different commit messages, the one trustee 1 judged in round 2"),
        "{output}"
    );
    let ceremony_record: CeremonyRecord = read_json(&record.join("ceremony.json"));
    assert_eq!(ceremony_record.qualified(), vec![1, 2, 4, 5]);
    for t in [1, 2, 4, 5] {
        let checked = check_key(&scene, t, &record);
        assert!(checked.status.success(), "{}", text(&checked));
        assert!(
            text(&checked).contains("your key share matches your verification key"),
            "{}",
            text(&checked)
        );
    }
    let out = check_key(&scene, 3, &record);
    assert!(!out.status.success());
    assert!(text(&out).contains("was disqualified"), "{}", text(&out));
    let results = vote_and_finish(&scene, &record, &[1, 2, 4]);
    assert!(results.rejected_shares.is_empty());
}

/// Issue 18 item 1: trustee 3 replaces only its round-1 message after round 2 (the commitment
/// stays). Before, every honest trustee was disqualified, for having accepted a trustee that now
/// showed a public fault. Now trustee 3 alone is, and the others qualify.
#[test]
fn a_reveal_replaced_after_round2_blames_its_author_not_those_who_accepted_it() {
    let scene = Scene::new("replaced-reveal");
    let ceremony = scene.ceremony("ceremony", 3);
    for step in ["round1", "reveal", "round2"] {
        for t in 1..=5 {
            scene.step(step, t, &ceremony);
        }
    }
    rewrite_round1(&scene, &ceremony, 3, false);
    let (record, output) = scene.finish(&ceremony);
    let ceremony_record: CeremonyRecord = read_json(&record.join("ceremony.json"));
    assert_eq!(ceremony_record.qualified(), vec![1, 2, 4, 5], "{output}");
    assert_eq!(ceremony_record.disqualified.len(), 1);
    assert!(ceremony_record.disqualified[0]
        .reason
        .contains("equivocated"));
    assert_eq!(
        ceremony_record.disqualified[0].code,
        // Its reveal no longer matches its own commitment: a public fault of its files,
        // the first rule of ceremony.md §14.3's order.
        saylau::ceremony::DisqualificationCode::PublicFault
    );
    let checked = check_key(&scene, 1, &record);
    assert!(checked.status.success(), "{}", text(&checked));
}

/// `trustee check` finds a trustee that cannot decrypt before voting opens: here trustee 2 kept
/// the round-1 backup of its share file, which holds its own share only.
#[test]
fn trustee_check_finds_a_key_share_that_cannot_decrypt() {
    let scene = Scene::new("check");
    let ceremony = scene.ceremony("ceremony", 3);
    for t in 1..=5 {
        scene.step("round1", t, &ceremony);
    }
    let context = CeremonyDir::open(&ceremony).unwrap();
    let share_file = std::fs::read_dir(&scene.keys[1])
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.starts_with("ceremony-") && name.ends_with(".key")
        })
        .unwrap();
    let backup = std::fs::read(&share_file).unwrap();
    for step in ["reveal", "round2"] {
        for t in 1..=5 {
            scene.step(step, t, &ceremony);
        }
    }
    let (record, _) = scene.finish(&ceremony);
    drop(context);
    std::fs::write(&share_file, backup).unwrap();
    let out = check_key(&scene, 2, &record);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("cannot decrypt; tell the commission before voting opens"),
        "{}",
        text(&out)
    );
    let fine = check_key(&scene, 1, &record);
    assert!(fine.status.success(), "{}", text(&fine));
}

/// Issue 18 item 4 (`ceremony.md` §12): a round-1 command published next to files it had not
/// checked: a hidden file in a slot, a stray file, a stray folder, a `decryption/` folder. Each
/// is now refused by name, by every command, and the directory is unchanged; a publisher's
/// in-flight temporary file is the one name tolerated.
#[test]
fn every_command_refuses_files_it_did_not_check() {
    let scene = Scene::new("stray");
    let ceremony = scene.ceremony("ceremony", 3);
    scene.step("round1", 1, &ceremony);
    std::fs::create_dir_all(ceremony.join("reveal")).unwrap();
    let strays: [(&str, bool); 6] = [
        ("commit/.trustee-2.json", false),
        ("commit/trustee-02.json", false),
        ("notes.json", false),
        ("stray/trustee-2.json", false),
        ("decryption/trustee-1.json", false),
        ("reveal/.trustee-2.json.0123456789abcdef.tmp", true),
    ];
    for (stray, tolerated) in strays {
        let path = ceremony.join(stray);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"not a message").unwrap();
        let before = snapshot(&ceremony);
        let commands: [(&[&str], Option<usize>); 3] = [
            (
                &[
                    "trustee",
                    "round1",
                    "--key",
                    scene.key(2),
                    "--ceremony",
                    s(&ceremony),
                ],
                Some(2),
            ),
            (
                &[
                    "trustee",
                    "reveal",
                    "--key",
                    scene.key(1),
                    "--ceremony",
                    s(&ceremony),
                ],
                None,
            ),
            (&["ceremony", "status", "--ceremony", s(&ceremony)], None),
        ];
        for (args, trustee) in commands {
            let out = run(args, trustee);
            if tolerated {
                // round1 of trustee 2 succeeds; reveal must wait for the others' commitments.
                let said = text(&out);
                assert!(!said.contains("unexpected file"), "{stray}: {said}");
                continue;
            }
            assert!(!out.status.success(), "{stray} accepted by {args:?}");
            let said = text(&out);
            let name = stray
                .split_once('/')
                .filter(|(top, _)| ["commit", "reveal", "round2"].contains(top))
                .map_or(stray.split('/').next().unwrap(), |_| stray);
            assert!(
                said.contains(name) && said.contains("unexpected file"),
                "{stray}: {said}"
            );
            assert_eq!(before, snapshot(&ceremony), "{stray}: {args:?} wrote");
        }
        if !tolerated {
            std::fs::remove_file(&path).unwrap();
            let parent = path.parent().unwrap();
            if parent != ceremony && std::fs::read_dir(parent).unwrap().next().is_none() {
                std::fs::remove_dir(parent).unwrap();
            }
        }
    }
}

/// Each part of a round-2 message's `judged` list is checked (`ceremony.md` §14.2): an entry
/// missing, or a signature that is not its author's, disqualifies the message's author; and a
/// verdict about messages no longer in the directory is not held against it.
#[test]
fn a_round2_message_must_carry_the_signed_round1_messages_it_judged() {
    let scene = Scene::new("judged");
    let ceremony = scene.ceremony("ceremony", 3);
    for step in ["round1", "reveal", "round2"] {
        for t in 1..=5 {
            scene.step(step, t, &ceremony);
        }
    }
    let identity = Identity::load(&scene.keys[4], passphrase(5).as_bytes()).unwrap();
    let honest: Envelope<Round2Body> = read_json(&ceremony.join(Stage::Round2.file(5)));
    type Tamper = fn(&mut Round2Body);
    let tampers: [(&str, Tamper); 3] = [
        ("dropped", |body| {
            body.judged.remove(0);
        }),
        ("swapped", |body| {
            body.judged[0].commit_signature = body.judged[0].reveal_signature;
        }),
        ("reordered", |body| body.judged.swap(0, 1)),
    ];
    for (label, tamper) in tampers {
        let copy = scene.root.join(format!("ceremony-{label}"));
        copy_dir(&ceremony, &copy);
        let context = CeremonyDir::open(&copy).unwrap();
        let mut body = honest.body.clone();
        tamper(&mut body);
        let forged =
            Envelope::sign(&context, &identity, 5, Stage::Round2, body, &mut OsRng).unwrap();
        std::fs::remove_file(copy.join(Stage::Round2.file(5))).unwrap();
        context.publish(&forged).unwrap();
        let out = scene.root.join(format!("record-{label}"));
        let output = ok(
            &[
                "ceremony",
                "finish",
                "--ceremony",
                s(&copy),
                "--manifest",
                s(&scene.manifest),
                "--out",
                s(&out),
            ],
            None,
        );
        assert!(
            output.contains("DISQUALIFIED trustee 5 (Saule): invalid round-2 message: it must carry every other trustee's signed round-1 messages"),
            "{label}: {output}"
        );
        let record: CeremonyRecord = read_json(&out.join("ceremony.json"));
        assert_eq!(record.qualified(), vec![1, 2, 3, 4], "{label}");
    }
}

/// The same class before round 2 (rushing, `ceremony.md` §12.2): trustee 3 waits for the others'
/// reveals, then replaces its commitment and publishes a polynomial chosen after seeing theirs.
/// Every round 2 then judged the new messages, so `judged` alone shows nothing; each trustee kept
/// the commitments it saw when it revealed, and its round 2 carries trustee 3's first one.
#[test]
fn a_commitment_replaced_after_the_reveals_disqualifies_its_author() {
    let scene = Scene::new("rushing");
    let ceremony = scene.ceremony("ceremony", 3);
    for t in 1..=5 {
        scene.step("round1", t, &ceremony);
    }
    for t in [1, 2, 4, 5] {
        scene.step("reveal", t, &ceremony);
    }
    rewrite_round1(&scene, &ceremony, 3, true);
    let said = scene.step("round2", 1, &ceremony);
    assert!(
        said.contains("trustee 3 (Dana) replaced its commitment after you revealed"),
        "{said}"
    );
    for t in 2..=5 {
        scene.step("round2", t, &ceremony);
    }
    let (record, output) = scene.finish(&ceremony);
    assert!(
        output.contains("DISQUALIFIED trustee 3 (Dana): equivocated: it signed two different commit messages, the one trustee 1 judged in round 2"),
        "{output}"
    );
    let ceremony_record: CeremonyRecord = read_json(&record.join("ceremony.json"));
    assert_eq!(ceremony_record.qualified(), vec![1, 2, 4, 5]);
}

/// The same class in the record (issue 18 item 4): `trustee decrypt` published next to files in
/// `decryption/` it never looked at, and `tally finish` wrote the results past them. Both now
/// refuse any entry there that is not a share file, by name, and change nothing.
#[test]
fn decrypt_and_tally_finish_refuse_files_they_did_not_check() {
    let scene = Scene::new("stray-shares");
    let ceremony = scene.ceremony("ceremony", 3);
    for step in ["round1", "reveal", "round2"] {
        for t in 1..=5 {
            scene.step(step, t, &ceremony);
        }
    }
    let (record, _) = scene.finish(&ceremony);
    ok(
        &[
            "demo",
            "--record",
            s(&record),
            "--voters",
            "5",
            "--quiet",
            "--seed",
            "7",
        ],
        None,
    );
    let decrypt = |trustee: usize| {
        run(
            &[
                "trustee",
                "decrypt",
                "--key",
                scene.key(trustee),
                "--record",
                s(&record),
            ],
            Some(trustee),
        )
    };
    let finish = || run(&["tally", "finish", "--record", s(&record)], None);
    std::fs::create_dir_all(record.join("decryption/rejected")).unwrap();
    for stray in [
        "decryption/notes.json",
        "decryption/.trustee-2.json",
        "decryption/trustee-02.json",
        "decryption/rejected/other.json",
    ] {
        std::fs::write(record.join(stray), b"{}").unwrap();
        let before = snapshot(&record);
        let out = decrypt(1);
        assert!(!out.status.success(), "decrypt accepted {stray}");
        assert!(
            text(&out).contains(stray) && text(&out).contains("unexpected file"),
            "{stray}: {}",
            text(&out)
        );
        assert_eq!(before, snapshot(&record), "{stray}: decrypt wrote");
        std::fs::remove_file(record.join(stray)).unwrap();
    }
    for t in 1..=3 {
        scene.decrypt(t, &record);
    }
    std::fs::write(record.join("decryption/rejected/other.json"), b"{}").unwrap();
    let before = snapshot(&record);
    let out = finish();
    assert!(!out.status.success(), "tally finish accepted a stray file");
    assert!(
        text(&out).contains("decryption/rejected/other.json"),
        "{}",
        text(&out)
    );
    assert_eq!(before, snapshot(&record));
    std::fs::remove_file(record.join("decryption/rejected/other.json")).unwrap();
    let out = finish();
    assert!(out.status.success(), "{}", text(&out));
}
