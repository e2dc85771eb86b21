//! What the HTTP tests share: a demo election, a board serving it on 127.0.0.1, its voters, and
//! a minimal HTTP/1.1 client (one request per connection).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use saylau::ballot::Ballot;
use saylau::crypto::elgamal::EncryptionKey;
use saylau::election::Election;
use saylau::record::Record;
use saylau::sim::demo::SimulatedVoter;
use saylau_board::database::Database;
use saylau_board::keys::BoardKeys;
use saylau_board::service::{self, RunningBoard, ServeConfig};
use saylau_board::store::Head;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A demo election and a board serving it.
pub struct TestBoard {
    pub dir: tempfile::TempDir,
    pub record: PathBuf,
    /// The store: the demo's SQLite file, or a PostgreSQL database (`start_on`).
    pub database: Database,
    pub keys: PathBuf,
    pub election: Election,
    pub voters: Vec<SimulatedVoter>,
    pub running: Option<RunningBoard>,
    pub rng: ChaCha20Rng,
    /// `--read-db`, if any.
    pub read_db: Option<Database>,
    /// `--tile-dir`, if any.
    pub tile_dir: Option<PathBuf>,
}

/// A test server's settings: fast checkpoints, no rate limit unless asked.
pub fn test_config(per_ip_rps: u32) -> ServeConfig {
    ServeConfig {
        per_ip_rps,
        checkpoint_every: Duration::from_millis(30),
        ..ServeConfig::default()
    }
}

/// Reads a voter file written by the demo.
fn read_voter(path: &Path) -> SimulatedVoter {
    // device.md §1, read as the device reads it (X = x·G checked).
    let credential = saylau::election::VoterCredential::read(path).unwrap();
    SimulatedVoter {
        secret: credential.secret,
        public: credential.public,
    }
}

impl TestBoard {
    /// A fresh demo election with `voters` voters and a board serving it on the demo's SQLite
    /// file.
    pub async fn start(voters: u64, per_ip_rps: u32) -> Self {
        Self::start_on(voters, per_ip_rps, None).await
    }

    /// The same on `database` when given (a PostgreSQL URL, say), else on the demo's SQLite
    /// file.
    pub async fn start_on(voters: u64, per_ip_rps: u32, database: Option<Database>) -> Self {
        Self::start_configured(voters, per_ip_rps, database, None, None).await
    }

    /// The same with `--read-db` and `--tile-dir` when given.
    pub async fn start_configured(
        voters: u64,
        per_ip_rps: u32,
        database: Option<Database>,
        read_db: Option<Database>,
        tile_dir: Option<PathBuf>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("demo");
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let demo = saylau_board::demo::create(&out, voters, "board.test", &mut rng).unwrap();
        let election = Election::open(&Record::at(&demo.record)).unwrap();
        let mut files: Vec<_> = std::fs::read_dir(demo.credentials.join("voters"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let voters = files.iter().map(|p| read_voter(p)).collect();
        let mut board = Self {
            dir,
            record: demo.record,
            database: database.unwrap_or(Database::Sqlite(demo.database)),
            keys: demo.keys,
            election,
            voters,
            running: None,
            rng,
            read_db,
            tile_dir,
        };
        board.serve(per_ip_rps).await;
        board
    }

    /// (Re)starts the board on the same record and database.
    pub async fn serve(&mut self, per_ip_rps: u32) {
        let keys = BoardKeys::read(&self.keys).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = service::start(
            &self.record,
            &self.database,
            &keys,
            ServeConfig {
                read_db: self.read_db.clone(),
                tile_dir: self.tile_dir.clone(),
                ..test_config(per_ip_rps)
            },
            listener,
        )
        .await
        .unwrap();
        self.running = Some(running);
    }

    /// Stops the board.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.unwrap();
        }
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.running.as_ref().unwrap().addr
    }

    pub fn origin(&self) -> String {
        self.running.as_ref().unwrap().origin.clone()
    }

    /// The store's head, read through the board's own read connections.
    pub async fn head(&self) -> Head {
        let board = self.running.as_ref().unwrap().board();
        board
            .readers
            .read(|store| Ok(store.head().unwrap()))
            .await
            .unwrap()
    }

    /// A valid ballot of voter `i` (0-based).
    pub fn ballot(&mut self, i: usize) -> Ballot {
        let e = &self.election;
        self.voters[i]
            .cast(
                &e.manifest,
                e.fingerprint(),
                &EncryptionKey::new(*e.key()),
                &mut self.rng,
            )
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> Answer {
        request(self.addr(), "GET", path, &[], &[]).await
    }

    pub async fn post(&self, path: &str, body: &[u8]) -> Answer {
        request(self.addr(), "POST", path, &[], body).await
    }

    pub async fn post_with(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        request(self.addr(), "POST", path, headers, body).await
    }

    /// Waits until a signed checkpoint covers `size` leaves (bounded: 10 s).
    pub async fn wait_for_checkpoint(&self, size: u64) -> String {
        for _ in 0..500 {
            let answer = self.get("/log/checkpoint").await;
            if answer.status == 200 {
                let text = answer.text();
                let signed_size: u64 = text.lines().nth(1).unwrap().parse().unwrap();
                if signed_size >= size {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no checkpoint of size {size} within 10 s");
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The error code of an error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_string()
    }
}

/// One request on its own connection (`Connection: close`), the answer read to the end.
pub async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let (mut reader, mut writer) = stream.into_split();
    let body = body.to_vec();
    // Written alongside the read: the server may answer (413) without reading a large body.
    let write = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        writer.write_all(&body).await?;
        Ok::<_, std::io::Error>(writer)
    });
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut raw))
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no complete answer within 20 s"))
        .ok();
    write.abort();
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
