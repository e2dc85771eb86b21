//! Files written into folders that others can write to (issue 18, items 5, 6 and 8): temporary
//! files are created exclusively under unpredictable names, so a planted symbolic link is never
//! followed; key files are readable by their owner only; a planted FIFO or endless device is
//! refused instead of blocking.

use rand_core::OsRng;
use saylau::record::{self, Access};
use saylau::trustee::{self, Identity, Published};
use std::fs;
use std::path::PathBuf;

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("saylau-hardening-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Before: `results.json.tmp` was a fixed name opened with `File::create`, which follows a link:
/// `tally finish` overwrote whatever file the link pointed to.
#[cfg(unix)]
#[test]
fn a_link_planted_at_a_temporary_name_is_never_followed() {
    let dir = scratch("link");
    let victim = dir.join("victim.txt");
    fs::write(&victim, b"not yours").expect("victim");
    for planted in ["results.json.tmp", ".results.json.tmp", "secret.key.tmp"] {
        std::os::unix::fs::symlink(&victim, dir.join(planted)).expect("plant");
    }
    record::write_json(&dir, record::RESULTS, &serde_json::json!({"counts": [1]}))
        .expect("write results");
    record::write_atomically_as(&dir, "secret.key", b"sealed", Access::Owner).expect("write key");
    assert_eq!(fs::read(&victim).expect("victim"), b"not yours");
    assert_eq!(
        fs::read_to_string(dir.join(record::RESULTS)).expect("results"),
        "{\n  \"counts\": [\n    1\n  ]\n}\n"
    );
    // No temporary file is left behind.
    let left: Vec<String> = fs::read_dir(&dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name.ends_with(".tmp") && !name.contains("results.json.tmp") && name != "secret.key.tmp"
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    fs::remove_dir_all(&dir).expect("clean");
}

/// Before: `secret.key` (and every sealed `ceremony-<id>.key`, written the same way) was 0644.
#[cfg(unix)]
#[test]
fn key_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("modes");
    let keys = dir.join("keys");
    let identity = Identity::generate("Aigerim", &mut OsRng).expect("identity");
    identity
        .save(&keys, b"correct horse battery", &mut OsRng)
        .expect("save");
    let mode = |name: &str| {
        fs::metadata(keys.join(name))
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(trustee::SECRET_KEY_FILE), 0o600);
    assert_eq!(mode(trustee::PUBLIC_FILE), 0o644);
    // The sealed file still opens.
    Identity::load(&keys, b"correct horse battery").expect("load");
    fs::remove_dir_all(&dir).expect("clean");
}

/// A FIFO planted where a trustee publishes is refused at once; before, reading it blocked the
/// trustee's command forever.
#[cfg(unix)]
#[test]
fn a_fifo_planted_in_a_publication_slot_is_refused() {
    let dir = scratch("fifo");
    let slot = dir.join("trustee-1.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&slot)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let (done, wait) = std::sync::mpsc::channel();
    let publish_dir = dir.clone();
    std::thread::spawn(move || {
        let _ = done.send(trustee::publish_once(
            &publish_dir,
            "trustee-1.json",
            b"{}\n",
        ));
    });
    let result = wait
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("publish_once must not block on a FIFO");
    let error = result.expect_err("a FIFO is not a published message");
    assert!(error.to_string().contains("not a regular file"), "{error}");
    // A regular slot is still published once.
    assert_eq!(
        trustee::publish_once(&dir, "trustee-2.json", b"{}\n").expect("publish"),
        Published::Written
    );
    assert_eq!(
        trustee::publish_once(&dir, "trustee-2.json", b"{}\n").expect("again"),
        Published::AlreadyThere
    );
    fs::remove_dir_all(&dir).expect("clean");
}

/// Issue 18 item 7: a `trustee new` cut between its two files left `secret.key` without
/// `public.json`, and every command refused the folder ("already exists"). Now running it again
/// with the same passphrase completes the identity, and the secrets are the ones sealed before.
#[test]
fn an_interrupted_trustee_new_is_completed_not_stranded() {
    let dir = scratch("stranded");
    let keys = dir.join("keys");
    let passphrase = b"correct horse battery";
    let (first, created) =
        Identity::create("Aigerim", &keys, passphrase, &mut OsRng).expect("create");
    assert_eq!(created, trustee::Created::New);
    // The interruption: secret.key was written, public.json was not.
    fs::remove_file(keys.join(trustee::PUBLIC_FILE)).expect("cut");
    assert!(Identity::load(&keys, passphrase).is_err());

    let wrong = Identity::create("Aigerim", &keys, b"another passphrase", &mut OsRng)
        .expect_err("the wrong passphrase opens nothing");
    assert!(wrong.to_string().contains("wrong passphrase"), "{wrong}");
    let other = Identity::create("Bolat", &keys, passphrase, &mut OsRng)
        .expect_err("another name is another identity");
    assert!(other.to_string().contains("\"Aigerim\""), "{other}");
    assert!(!keys.join(trustee::PUBLIC_FILE).exists());

    let (completed, created) =
        Identity::create("Aigerim", &keys, passphrase, &mut OsRng).expect("complete");
    assert_eq!(created, trustee::Created::Completed);
    assert_eq!(completed.public().signing_key, first.public().signing_key);
    assert_eq!(
        completed.public().encryption_key,
        first.public().encryption_key
    );
    completed
        .public()
        .verify()
        .expect("fresh proofs of possession");
    let loaded = Identity::load(&keys, passphrase).expect("both files now");
    assert_eq!(loaded.public(), completed.public());
    // A complete identity is still never replaced.
    let again =
        Identity::create("Aigerim", &keys, passphrase, &mut OsRng).expect_err("never replaced");
    assert!(again.to_string().contains("already exists"), "{again}");
    fs::remove_dir_all(&dir).expect("clean");
}

/// Issue 18 item 14: a key file's header chooses the Argon2id cost, and a reader accepted up to
/// 1 GiB × 64 passes, many minutes of work from one forged file. Now a header beyond 256 MiB,
/// 8 passes or 4 lanes is refused before any derivation, naming the file and the bounds.
#[test]
fn a_key_file_demanding_an_expensive_derivation_is_refused_before_deriving() {
    let dir = scratch("kdf");
    let keys = dir.join("keys");
    let passphrase = b"correct horse battery";
    Identity::create("Aigerim", &keys, passphrase, &mut OsRng).expect("create");
    let path = keys.join(trustee::SECRET_KEY_FILE);
    let honest = fs::read_to_string(&path).expect("key file");
    for (field, value) in [
        ("memory_kib", 1024 * 1024),
        ("iterations", 64),
        ("parallelism", 16),
    ] {
        let mut sealed: serde_json::Value = serde_json::from_str(&honest).expect("json");
        sealed["kdf"][field] = serde_json::Value::from(value);
        fs::write(&path, serde_json::to_vec_pretty(&sealed).expect("json")).expect("forge");
        let error = Identity::load(&keys, passphrase).expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("secret.key") && message.contains("out of range"),
            "{field}: {message}"
        );
    }
    fs::write(&path, honest).expect("restore");
    Identity::load(&keys, passphrase).expect("the honest header still opens");
    fs::remove_dir_all(&dir).expect("clean");
}

/// Issue 18 item 13: trustee names that render alike, or hide characters, are refused by
/// the ceremony's parameters (ceremony new) and by the ceremony record's check (verifier
/// check 3), not compared byte for byte.
#[test]
fn trustee_names_that_read_alike_are_refused() {
    use saylau::ceremony::{CeremonyError, CeremonyParameters};
    let manifest_hash = [7u8; 32];
    let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    for (list, culprit) in [
        (
            names(&["Bolat", "B\u{043E}l\u{0430}t", "Aigerim"]),
            "B\u{043E}l\u{0430}t",
        ),
        (
            names(&["Bolat", "Bolat\u{200D}", "Aigerim"]),
            "Bolat\u{200D}",
        ),
        (
            names(&["\u{2066}Bolat\u{2069}", "Aigerim"]),
            "\u{2066}Bolat\u{2069}",
        ),
    ] {
        match CeremonyParameters::for_election(&manifest_hash, &list, 2) {
            Err(CeremonyError::TrusteeName { name, .. }) => assert_eq!(name, culprit),
            other => panic!("{list:?}: {other:?}"),
        }
    }
    assert!(
        CeremonyParameters::for_election(&manifest_hash, &names(&["Болат", "Bolat K."]), 2).is_ok()
    );
    let refused = Identity::generate("Bolat\u{200B}", &mut OsRng).unwrap_err();
    assert!(refused.to_string().contains("U+200B"), "{refused}");
}
