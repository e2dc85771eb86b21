//! `saylau board` end to end: `board open` on a record that a ceremony started (keys file 0600,
//! never overwritten, election.json v2 binding both keys), and `board serve --demo` on 127.0.0.1
//! cast to over HTTP, stopped, then `board export` read back as `saylau verify` reads it: the
//! tree rebuilt from `log/leaves` has the last signed checkpoint's root, and every leaf matches its
//! line of `ballots.jsonl`.

mod command;
#[path = "../../../tests/common/mod.rs"]
mod common;

use command::*;
use common::TempDir;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use saylau::crypto::elgamal::EncryptionKey;
use saylau::election::{Election, Leaf, LEAF_SIZE};
use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::tree::TreeBuilder;
use saylau::manifest::Manifest;
use saylau::record::{self, CredentialList, ElectionInfo, Record};
use saylau::sim::demo::SimulatedVoter;

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// One HTTP/1.1 request on its own connection; (status, body).
fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    (status, raw[end + 4..].to_vec())
}

fn read_voter(path: &Path) -> SimulatedVoter {
    // device.md §1, read as the device reads it (X = x·G checked).
    let credential = saylau::election::VoterCredential::read(path).unwrap();
    SimulatedVoter {
        secret: credential.secret,
        public: credential.public,
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn board_open_writes_v2_and_a_private_key_file_once() {
    let dir = TempDir::new("board-open");
    let record_dir = dir.path().join("record");
    std::fs::create_dir_all(&record_dir).unwrap();
    let record = Record::at(&record_dir);
    let manifest_bytes = record
        .write_json(record::MANIFEST, &Manifest::example())
        .unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let names: Vec<String> = (1..=3).map(|i| format!("T{i}")).collect();
    let (ceremony, _) = saylau::ceremony::run_in_process(
        &Manifest::hash_bytes(&manifest_bytes),
        &names,
        2,
        &mut rng,
    )
    .unwrap();
    record.write_json(record::CEREMONY, &ceremony).unwrap();
    let voters = saylau::sim::demo::register_voters(4, &mut rng);
    let list = CredentialList {
        credentials: voters.iter().map(|v| v.public).collect(),
    };
    let credentials = dir.path().join("credentials.json");
    std::fs::write(&credentials, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    // The commission's key, made by `saylau commission new` (passphrase from the environment).
    let commission = dir.path().join("commission");
    let made = Command::new(saylau_binary())
        .args(["commission", "new", "--out", path_str(&commission)])
        .env("SAYLAU_PASSPHRASE", "a commission passphrase")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
    #[cfg(unix)]
    assert_eq!(mode(&commission.join("commission.key")), 0o600);
    let commission_key =
        saylau::trustee::read_commission_public(&commission).expect("commission.json");
    let again = Command::new(saylau_binary())
        .args(["commission", "new", "--out", path_str(&commission)])
        .env("SAYLAU_PASSPHRASE", "a commission passphrase")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(
        again.status.code(),
        Some(0),
        "a commission key is never replaced"
    );
    // `--commission-key` is required, and must be a key.
    let missing = saylau(&[
        "board",
        "open",
        "--record",
        path_str(&record_dir),
        "--credentials",
        path_str(&credentials),
    ]);
    assert_ne!(missing.status.code(), Some(0));
    let weak = saylau(&[
        "board",
        "open",
        "--record",
        path_str(&record_dir),
        "--credentials",
        path_str(&credentials),
        "--commission-key",
        &format!("01{}", "00".repeat(31)),
    ]);
    assert_ne!(weak.status.code(), Some(0));
    assert!(
        text(&weak.stderr).contains("weak"),
        "{}",
        text(&weak.stderr)
    );
    assert!(!record_dir.join(record::ELECTION).exists());

    let args = [
        "board",
        "open",
        "--record",
        path_str(&record_dir),
        "--credentials",
        path_str(&credentials),
        "--host",
        "board.example",
        "--commission-key",
        path_str(&commission),
    ];
    let output = saylau(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let keys = dir.path().join("record.board-keys.json");
    assert!(keys.is_file(), "the key file is beside the record");
    #[cfg(unix)]
    assert_eq!(mode(&keys), 0o600);
    let election = Election::open(&record).unwrap();
    assert_eq!(election.credentials.len(), 4);
    let info: ElectionInfo =
        serde_json::from_slice(&std::fs::read(record_dir.join(record::ELECTION)).unwrap()).unwrap();
    assert_eq!(info.version, 2);
    assert_eq!(info.commission_key, commission_key);
    let keys_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&keys).unwrap()).unwrap();
    assert_eq!(keys_json["host"], "board.example");
    assert!(text(&output.stdout).contains(&format!(
        "board.example/saylau/{}",
        hex::encode(election.fingerprint())
    )));

    // Opening again is refused, and the key file is left as it was.
    let before = std::fs::read(&keys).unwrap();
    let again = saylau(&args);
    assert_ne!(again.status.code(), Some(0));
    assert!(
        text(&again.stderr).contains("already"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read(&keys).unwrap(), before);
    // A fresh record whose key file path is taken: refused, nothing overwritten.
    std::fs::remove_file(record_dir.join(record::ELECTION)).unwrap();
    let taken = saylau(&args);
    assert_ne!(taken.status.code(), Some(0));
    assert!(
        text(&taken.stderr).contains("refusing to overwrite"),
        "{}",
        text(&taken.stderr)
    );
    assert_eq!(std::fs::read(&keys).unwrap(), before);
    assert!(!record_dir.join(record::ELECTION).exists());
}

#[test]
fn demo_board_serves_then_exports_a_log_that_reads_back() {
    let dir = TempDir::new("board-demo");
    let out = dir.path().join("demo");
    let mut child = Command::new(saylau_binary())
        .args([
            "board",
            "serve",
            "--demo",
            "--voters",
            "3",
            "--out",
            path_str(&out),
            "--listen",
            "127.0.0.1:0",
            "--per-ip-rps",
            "0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let started = Instant::now();
    let mut printed = String::new();
    let addr: SocketAddr = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the board stopped: {printed}"
        );
        printed.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("board: serving on http://") {
            break url.parse().unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{printed}");
    };
    assert!(
        printed.contains(path_str(&out.join("credentials"))),
        "{printed}"
    );

    // Cast one ballot per voter, with the library's simulated device.
    let record_dir = out.join("record");
    let election = Election::open(&Record::at(&record_dir)).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(out.join("credentials/voters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3);
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let key = EncryptionKey::new(*election.key());
    let mut ballots = Vec::new();
    for file in &files {
        let voter = read_voter(file);
        let ballot = voter
            .cast(&election.manifest, election.fingerprint(), &key, &mut rng)
            .unwrap();
        let (status, body) = http(
            addr,
            "POST",
            "/v1/ballots",
            &serde_json::to_vec(&ballot).unwrap(),
        );
        assert_eq!(status, 201, "{}", text(&body));
        ballots.push(ballot);
    }
    let (status, body) = http(addr, "GET", "/v1/election/election.json", b"");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        std::fs::read(record_dir.join(record::ELECTION)).unwrap()
    );

    // The commission closes voting (the demo's key, its documented passphrase); afterwards the
    // board takes no ballot.
    let close = |passphrase: &str| {
        Command::new(saylau_binary())
            .args([
                "board",
                "close",
                "--board",
                &format!("http://{addr}"),
                "--commission-key",
                path_str(&out.join("commission")),
            ])
            .env("SAYLAU_PASSPHRASE", passphrase)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let wrong = close("not the passphrase");
    assert_ne!(wrong.status.code(), Some(0));
    assert!(
        text(&wrong.stderr).contains("wrong passphrase"),
        "{}",
        text(&wrong.stderr)
    );
    let closed = close(saylau_board::demo::DEMO_COMMISSION_PASSPHRASE);
    assert_eq!(closed.status.code(), Some(0), "{}", text(&closed.stderr));
    assert!(
        text(&closed.stdout).contains("voting is closed: close leaf 3"),
        "{}",
        text(&closed.stdout)
    );
    let late = read_voter(&files[0])
        .cast(&election.manifest, election.fingerprint(), &key, &mut rng)
        .unwrap();
    let (status, body) = http(
        addr,
        "POST",
        "/v1/ballots",
        &serde_json::to_vec(&late).unwrap(),
    );
    assert_eq!(status, 409, "{}", text(&body));
    assert!(text(&body).contains("board_closed"), "{}", text(&body));

    // Ctrl-C stops it; the export then signs what is left and writes the log.
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let db = format!("sqlite:{}", path_str(&out.join("board.db")));
    let output = saylau(&[
        "board",
        "export",
        "--db",
        &db,
        "--record",
        path_str(&record_dir),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let leaves = std::fs::read(record_dir.join("log/leaves")).unwrap();
    // Three cast leaves and the close leaf.
    assert_eq!(leaves.len(), 4 * LEAF_SIZE);
    assert_eq!(
        Leaf::decode(&leaves[3 * LEAF_SIZE..]).unwrap().kind(),
        saylau::election::LeafKind::Close
    );
    let mut tree = TreeBuilder::new();
    for chunk in leaves.chunks(LEAF_SIZE) {
        tree.push(Leaf::decode(chunk).unwrap().hash()).unwrap();
    }
    let checkpoints = std::fs::read_to_string(record_dir.join("log/checkpoints.jsonl")).unwrap();
    let last: serde_json::Value =
        serde_json::from_str(checkpoints.lines().last().unwrap()).unwrap();
    assert_eq!(last["size"], 4);
    let origin = election.info.log_origin("localhost");
    let verifier = election.info.log_key.verifier(&origin).unwrap();
    let signed = SignedCheckpoint::open(
        last["checkpoint"].as_str().unwrap().as_bytes(),
        &verifier,
        &origin,
    )
    .unwrap();
    assert_eq!(signed.checkpoint().root(), &tree.root());
    let lines = std::fs::read_to_string(record_dir.join(record::BALLOTS)).unwrap();
    for ((line, chunk), ballot) in lines.lines().zip(leaves.chunks(LEAF_SIZE)).zip(&ballots) {
        let line: saylau::record::BallotLine = serde_json::from_str(line).unwrap();
        assert_eq!(&line.ballot, ballot);
        let leaf = Leaf::cast(&ballot.body.credential, line.ballot_hash, &ballot.signature);
        assert_eq!(leaf.to_bytes().as_slice(), chunk);
    }
    assert_eq!(lines.lines().count(), 3);
}

/// `saylau board publish`: after the close and the count, the commission uploads the tally, the
/// shares and the results, signed; the board stores them once the record verifies, and a second
/// upload of the same files is answered as already done (board.md §9.3).
#[test]
fn board_publish_uploads_the_count_signed_by_the_commission() {
    let dir = TempDir::new("board-publish");
    let out = dir.path().join("demo");
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let demo = saylau_board::demo::create(&out, 3, "localhost", &mut rng).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let keys = saylau_board::keys::BoardKeys::read(&demo.keys).unwrap();
    let database = saylau_board::database::Database::Sqlite(demo.database.clone());
    let config = saylau_board::service::ServeConfig {
        per_ip_rps: 0,
        checkpoint_every: Duration::from_millis(30),
        ..Default::default()
    };
    let running = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        saylau_board::service::start(&demo.record, &database, &keys, config, listener)
            .await
            .unwrap()
    });
    let addr = running.addr;
    let election = Election::open(&Record::at(&demo.record)).unwrap();
    let key = EncryptionKey::new(*election.key());
    let mut files: Vec<_> = std::fs::read_dir(out.join("credentials/voters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        let ballot = read_voter(file)
            .cast(&election.manifest, election.fingerprint(), &key, &mut rng)
            .unwrap();
        let (status, body) = http(
            addr,
            "POST",
            "/v1/ballots",
            &serde_json::to_vec(&ballot).unwrap(),
        );
        assert_eq!(status, 201, "{}", text(&body));
    }
    let commission = |args: &[&str]| {
        Command::new(saylau_binary())
            .args(args)
            .env(
                "SAYLAU_PASSPHRASE",
                saylau_board::demo::DEMO_COMMISSION_PASSPHRASE,
            )
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let url = format!("http://{addr}");
    let key_dir = out.join("commission");
    let closed = commission(&[
        "board",
        "close",
        "--board",
        &url,
        "--commission-key",
        path_str(&key_dir),
    ]);
    assert_eq!(closed.status.code(), Some(0), "{}", text(&closed.stderr));

    // The commission's copy of the record: the board's export, then the trustees' shares (the
    // demo's seeded ceremony gives the same key shares) and the count.
    let work = dir.path().join("count");
    std::fs::create_dir_all(&work).unwrap();
    for name in [
        record::MANIFEST,
        record::CEREMONY,
        record::CREDENTIALS,
        record::ELECTION,
    ] {
        std::fs::copy(demo.record.join(name), work.join(name)).unwrap();
    }
    let target = work.clone();
    let board = std::sync::Arc::clone(running.board());
    runtime
        .block_on(board.readers.read(move |store| {
            saylau_board::export::export_to_dir(store, &target)
                .map_err(|e| saylau_board::service::error::ApiError::unavailable(e.to_string()))
        }))
        .unwrap();
    let count = Record::at(&work);
    let manifest_bytes = std::fs::read(work.join(record::MANIFEST)).unwrap();
    let names: Vec<String> = (1..=3).map(|i| format!("Commission member {i}")).collect();
    let (_, shares) = saylau::ceremony::run_in_process(
        &Manifest::hash_bytes(&manifest_bytes),
        &names,
        2,
        &mut ChaCha20Rng::seed_from_u64(5),
    )
    .unwrap();
    saylau::election::publish_tally(&count, &election).unwrap();
    let verified = saylau::verify::verified_tally(&count).unwrap();
    for share in &shares[..2] {
        saylau::sim::demo::trustee_decrypt(&count, &election, share, &verified, &mut rng).unwrap();
    }
    saylau::trustee::finish_tally(&count, &election).unwrap();

    let publish = || {
        commission(&[
            "board",
            "publish",
            "--board",
            &url,
            "--record",
            path_str(&work),
            "--commission-key",
            path_str(&key_dir),
        ])
    };
    let first = publish();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("published:"),
        "{}",
        text(&first.stdout)
    );
    for name in [record::TALLY, record::RESULTS, record::INDEX] {
        assert_eq!(
            std::fs::read(demo.record.join(name)).unwrap(),
            std::fs::read(work.join(name)).unwrap(),
            "{name}"
        );
    }
    let again = publish();
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("already"),
        "{}",
        text(&again.stdout)
    );
    drop(board);
    runtime.block_on(running.shutdown()).unwrap();
}
