//! `saylau board`: the bulletin board's commands: `open` an election for voting, `serve` it over
//! HTTP (or a fresh demo election), `close` it and `publish` the results (the commission, with
//! its signing key), and `export` its record for `saylau verify`.
//!
//! Spec: `protocol-spec/board.md` §8.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rand_core::OsRng;
use saylau::election::Election;
use saylau::record::{
    self as record, CloseRequest, CommissionKey, CommissionSigningKey, ElectionInfo,
    PublishRequest, PublishedFile, Record,
};
use saylau::trustee;
use saylau_board::checkpoints::{origin, Checkpointer};
use saylau_board::database::Database;
use saylau_board::keys::{default_keys_path, BoardKeys};
use saylau_board::service::{self, ServeConfig};

use crate::client::commission::CommissionClient;

/// `saylau board …`.
#[derive(clap::Subcommand, Debug)]
pub enum BoardCommand {
    /// Open for voting an election that `saylau ceremony finish` started: draw the board's keys
    /// (written to a 0600 key file beside the record) and write election.json.
    Open(OpenArgs),
    /// Run the board: accept ballots over HTTP and publish its transparency log. It speaks plain
    /// HTTP: a public board runs behind a TLS-terminating reverse proxy (board.md §8.5).
    Serve(ServeArgs),
    /// Close voting (the commission, signing with its key): the board appends the close leaf,
    /// refuses every ballot after it, and signs the closing checkpoint.
    Close(CloseArgs),
    /// Publish the results (the commission, signing with its key): upload tally.json, the
    /// decryption shares and results.json; the board stores them once the record verifies.
    Publish(PublishArgs),
    /// Write the board's record (ballots, challenged ballots, the log's leaves and signed
    /// checkpoints) into the record folder, for `saylau verify`. The board must be stopped.
    Export(ExportArgs),
    /// Load-test a board: cast distinct pre-generated ballots with concurrent clients, then
    /// check every receipt's inclusion proof.
    Load(super::load::LoadArgs),
    /// Follow a board as an observer: check each new checkpoint extends the last one verified,
    /// re-verify every new ballot, and exit with evidence on an inconsistency or an invalid
    /// ballot (board.md §11.5).
    Monitor(super::monitor::MonitorArgs),
}

/// Arguments of `saylau board open`.
#[derive(clap::Args, Debug)]
pub struct OpenArgs {
    /// The record folder (holding manifest.json and ceremony.json).
    #[arg(long)]
    pub record: PathBuf,
    /// The public credential list to copy into the record (from `saylau credentials issue`).
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// Where to write the board's key file [default: <RECORD>.board-keys.json].
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// The host that names the log: its origin is <HOST>/saylau/<fingerprint>.
    #[arg(long, default_value = "localhost")]
    pub host: String,
    /// The commission's public key, bound into the election: 64 hex digits, or the folder (or
    /// its commission.json) that `saylau commission new` wrote.
    #[arg(long)]
    pub commission_key: String,
    /// A witness's verifier key (cosignature/v1, from `saylau witness new`); repeat for each
    /// witness of the policy (board.md §9.1).
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// How many distinct witnesses must cosign a checkpoint (default: all listed).
    #[arg(long)]
    pub quorum: Option<u64>,
}

/// Arguments of `saylau board close`.
#[derive(clap::Args, Debug)]
pub struct CloseArgs {
    /// The board's URL.
    #[arg(long)]
    pub board: String,
    /// The commission's key folder (`saylau commission new`); its passphrase comes from
    /// SAYLAU_PASSPHRASE or is asked at the terminal.
    #[arg(long)]
    pub commission_key: PathBuf,
}

/// Arguments of `saylau board publish`.
#[derive(clap::Args, Debug)]
pub struct PublishArgs {
    /// The board's URL.
    #[arg(long)]
    pub board: String,
    /// The record folder holding tally.json, decryption/ and results.json (after `saylau tally
    /// finish`).
    #[arg(long)]
    pub record: PathBuf,
    /// The commission's key folder (`saylau commission new`).
    #[arg(long)]
    pub commission_key: PathBuf,
}

/// Arguments of `saylau board serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The record folder of an election opened with `saylau board open`.
    #[arg(long, required_unless_present = "demo", conflicts_with = "demo")]
    pub record: Option<PathBuf>,
    /// The database: sqlite:PATH or postgres://USER@HOST[:PORT]/DATABASE.
    #[arg(long, required_unless_present = "demo", conflicts_with = "demo")]
    pub db: Option<String>,
    /// A PostgreSQL read replica (hot standby) of --db that serves receipt lookups, proofs,
    /// tiles and pages; reads it has not replayed yet go to --db.
    #[arg(long, requires = "db")]
    pub read_db: Option<String>,
    /// Mirror full tiles, entry bundles and the latest checkpoint as files under this folder
    /// (the tlog-tiles layout), for nginx or a CDN to serve.
    #[arg(long)]
    pub tile_dir: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The board's key file [default: <RECORD>.board-keys.json].
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// Requests per second allowed from one address (bursts of twice that); raise it for a
    /// polling station behind one address or a load test; 0 turns the limit off.
    #[arg(long, default_value_t = 20)]
    pub per_ip_rps: u32,
    /// Open a fresh demo election (in-process key ceremony, the default manifest) and serve it.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: voters to issue credentials to.
    #[arg(long, default_value_t = 10, requires = "demo")]
    pub voters: u64,
    /// With --demo: the folder for the record, the keys, the database and the credentials.
    #[arg(long, default_value = "board-demo", requires = "demo")]
    pub out: PathBuf,
    /// With --demo: the host that names the log.
    #[arg(long, default_value = "localhost", requires = "demo")]
    pub host: String,
    /// A witness's URL (its `/add-checkpoint` is under it); repeat for each (board.md §9.3).
    #[arg(long = "witness-url")]
    pub witness_urls: Vec<String>,
}

/// Arguments of `saylau board export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The database: sqlite:PATH.
    #[arg(long)]
    pub db: String,
    /// The record folder: the export is written into it.
    #[arg(long)]
    pub record: PathBuf,
    /// The board's key file, to sign a last checkpoint covering every leaf [default:
    /// <RECORD>.board-keys.json, if present].
    #[arg(long)]
    pub keys: Option<PathBuf>,
}

/// Runs `saylau board …`.
pub fn run(command: BoardCommand) -> i32 {
    match command {
        BoardCommand::Open(args) => open(args),
        BoardCommand::Serve(args) => serve(args),
        BoardCommand::Close(args) => close(args),
        BoardCommand::Publish(args) => publish(args),
        BoardCommand::Export(args) => export(args),
        BoardCommand::Load(args) => super::load::run(args),
        BoardCommand::Monitor(args) => super::monitor::run(args),
    }
}

fn fail(error: &dyn std::fmt::Display) -> i32 {
    eprintln!("saylau board: {error}");
    2
}

/// `--commission-key`: 64 hex digits, a `commission.json`, or the folder that holds it.
fn commission_public(arg: &str) -> Result<CommissionKey, String> {
    if arg.len() == 64 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
        return CommissionKey::from_hex(arg).map_err(|e| format!("--commission-key: {e}"));
    }
    let path = Path::new(arg);
    let dir = if path.is_dir() {
        path
    } else if path.file_name() == Some(trustee::COMMISSION_PUBLIC_FILE.as_ref()) {
        path.parent().unwrap_or(Path::new("."))
    } else {
        return Err(format!(
            "--commission-key {arg:?}: neither 64 hex digits nor a folder or {} of `saylau commission new`",
            trustee::COMMISSION_PUBLIC_FILE
        ));
    };
    trustee::read_commission_public(dir).map_err(|e| format!("--commission-key: {e}"))
}

fn open(args: OpenArgs) -> i32 {
    let keys = args.keys.unwrap_or_else(|| default_keys_path(&args.record));
    let commission_key = match commission_public(&args.commission_key) {
        Ok(key) => key,
        Err(e) => return fail(&e),
    };
    let mut witnesses = Vec::new();
    for vkey in &args.witnesses {
        match saylau::log::note::VerifierKey::parse(vkey.trim()) {
            Ok(vkey) if vkey.key_type() == saylau::log::note::KeyType::CosignatureV1 => {
                witnesses.push(saylau::record::Witness { vkey })
            }
            Ok(_) => return fail(&format!("--witness {vkey}: not a cosignature/v1 key")),
            Err(e) => return fail(&format!("--witness {vkey}: {e}")),
        }
    }
    let policy = saylau::record::WitnessPolicy {
        quorum: args.quorum.unwrap_or(witnesses.len() as u64),
        witnesses,
    };
    match saylau_board::open::open_election_with_witnesses(
        &args.record,
        args.credentials.as_deref(),
        &keys,
        &args.host,
        commission_key,
        policy,
        &mut OsRng,
    ) {
        Ok(opened) => {
            outln!("election opened: {}", hex::encode(opened.fingerprint));
            outln!("  voters listed: {}", opened.voters);
            outln!("  log origin:    {}", opened.origin);
            outln!(
                "  board keys:    {} (mode 0600; keep it, never publish it)",
                opened.keys.display()
            );
            0
        }
        Err(e) => fail(&e),
    }
}

fn serve(args: ServeArgs) -> i32 {
    let (record, database, keys) = if args.demo {
        match saylau_board::demo::create(&args.out, args.voters, &args.host, &mut OsRng) {
            Ok(demo) => {
                outln!("demo election: {}", hex::encode(demo.opened.fingerprint));
                outln!("  record:      {}", demo.record.display());
                outln!(
                    "  commission:  {} (passphrase {:?}: a demo protects nothing)",
                    demo.commission.display(),
                    saylau_board::demo::DEMO_COMMISSION_PASSPHRASE
                );
                outln!(
                    "  credentials: {} ({} voter files in voters/)",
                    demo.credentials.display(),
                    args.voters
                );
                let database = Database::Sqlite(demo.database.clone());
                (demo.record, database, demo.keys)
            }
            Err(e) => return fail(&e),
        }
    } else {
        let (Some(record), Some(db)) = (args.record, args.db) else {
            return fail(&"--record and --db are required (or --demo)");
        };
        let database = match Database::parse(&db) {
            Ok(d) => d,
            Err(e) => return fail(&e),
        };
        let keys = args.keys.unwrap_or_else(|| default_keys_path(&record));
        (record, database, keys)
    };
    let keys = match BoardKeys::read(&keys) {
        Ok(k) => k,
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let read_db = match args.read_db.as_deref().map(Database::parse).transpose() {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let config = ServeConfig {
        per_ip_rps: args.per_ip_rps,
        witness_urls: args.witness_urls.clone(),
        read_db,
        tile_dir: args.tile_dir,
        ..ServeConfig::default()
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => return fail(&format!("listening on {}: {e}", args.listen)),
        };
        let running = match service::start(&record, &database, &keys, config, listener).await {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
        outln!("board: serving on http://{}", running.addr);
        outln!("  log origin: {}", running.origin);
        outln!("  stop with Ctrl-C");
        if let Err(e) = tokio::signal::ctrl_c().await {
            return fail(&format!("waiting for Ctrl-C: {e}"));
        }
        outln!("board: stopping");
        if let Some(replica) = running.board().readers.replica() {
            let (answered, passed_on) = replica.counts();
            outln!(
                "  read replica {}: answered {answered} reads, passed {passed_on} to --db",
                replica.database()
            );
        }
        match running.shutdown().await {
            Ok(()) => 0,
            Err(e) => fail(&e),
        }
    })
}

/// The commission's signing key from its folder, and the board's election, whose
/// `commission_key` it must be.
fn commission_and_election(
    board: &CommissionClient,
    key_dir: &Path,
) -> Result<(CommissionSigningKey, ElectionInfo), String> {
    let bytes = board.election_json()?;
    let info: ElectionInfo = saylau::record::decode_json(record::ELECTION, None, &bytes)
        .map_err(|e| format!("the board's {e}"))?;
    let passphrase = super::trustee::passphrase(
        &format!(
            "Passphrase for {}: ",
            key_dir.join(trustee::COMMISSION_KEY_FILE).display()
        ),
        false,
    )?;
    let key =
        trustee::open_commission_key(key_dir, passphrase.as_bytes()).map_err(|e| e.to_string())?;
    if key.public() != info.commission_key {
        return Err(format!(
            "this board's election {} names the commission key {}, not this one ({}): wrong board or wrong key",
            hex::encode(info.fingerprint),
            info.commission_key,
            key.public()
        ));
    }
    Ok((key, info))
}

fn close(args: CloseArgs) -> i32 {
    let run = || -> Result<i32, String> {
        let board = CommissionClient::new(&args.board)?;
        let (key, info) = commission_and_election(&board, &args.commission_key)?;
        let request = CloseRequest {
            election: info.fingerprint,
            signature: key.sign_close(&info.fingerprint),
        };
        let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        let answer = board.post("/v1/close", &body)?;
        if answer.status != 200 && answer.status != 201 {
            return Err(format!("the board refused the close: {}", answer.refusal()));
        }
        #[derive(serde::Deserialize)]
        struct Closed {
            close_index: u64,
            checkpoint: String,
        }
        let closed: Closed =
            serde_json::from_slice(&answer.body).map_err(|e| format!("the board's answer: {e}"))?;
        outln!(
            "voting is closed{}: close leaf {}",
            if answer.status == 200 {
                " (it already was)"
            } else {
                ""
            },
            closed.close_index
        );
        outln!("closing checkpoint:");
        for line in closed.checkpoint.lines() {
            outln!("  {line}");
        }
        Ok(0)
    };
    run().unwrap_or_else(|e| fail(&e))
}

fn publish(args: PublishArgs) -> i32 {
    let run = || -> Result<i32, String> {
        let record_dir = &args.record;
        let names = saylau::record::indexed_files(record_dir).map_err(|e| e.to_string())?;
        let mut files = Vec::new();
        for name in names {
            let published = name == record::TALLY
                || name == record::RESULTS
                || name.starts_with(record::DECRYPTION_DIR);
            if published {
                let bytes =
                    saylau::record::read_file(record_dir, &name).map_err(|e| e.to_string())?;
                files.push(PublishedFile { name, bytes });
            }
        }
        let board = CommissionClient::new(&args.board)?;
        let (key, info) = commission_and_election(&board, &args.commission_key)?;
        let mut request = PublishRequest {
            election: info.fingerprint,
            files,
            signature: saylau::record::CommissionSignature([0; 64]),
        };
        request.check_names().map_err(|e| {
            format!(
                "{}: {e} (run `saylau tally finish` first)",
                record_dir.display()
            )
        })?;
        request.signature = key.sign(&request.message());
        let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        let answer = board.post("/v1/publish", &body)?;
        if answer.status != 200 && answer.status != 201 {
            return Err(format!(
                "the board refused the publication: {}",
                answer.refusal()
            ));
        }
        #[derive(serde::Deserialize)]
        struct Stored {
            files: Vec<String>,
            record_root: String,
        }
        let stored: Stored =
            serde_json::from_slice(&answer.body).map_err(|e| format!("the board's answer: {e}"))?;
        outln!(
            "published{}: {}",
            if answer.status == 200 {
                " (already, the same files)"
            } else {
                ""
            },
            stored.files.join(", ")
        );
        outln!("record root: {}", stored.record_root);
        Ok(0)
    };
    run().unwrap_or_else(|e| fail(&e))
}

fn export(args: ExportArgs) -> i32 {
    match export_inner(&args) {
        Ok(leaves) => {
            outln!(
                "exported {leaves} leaves into {}; check it with: saylau verify {}",
                args.record.display(),
                args.record.display()
            );
            0
        }
        Err(e) => fail(&e),
    }
}

fn export_inner(args: &ExportArgs) -> Result<u64, String> {
    let database = Database::parse(&args.db).map_err(|e| e.to_string())?;
    let connector = database.open().map_err(|e| e.to_string())?;
    let mut store = connector.connect().map_err(|e| e.to_string())?;
    let keys_path = args
        .keys
        .clone()
        .unwrap_or_else(|| default_keys_path(&args.record));
    if args.keys.is_some() || keys_path.exists() {
        sign_last(&args.record, &keys_path, &mut store)?;
    }
    saylau_board::export::export_to_dir(&*store, &args.record).map_err(|e| e.to_string())
}

/// Signs a checkpoint covering every leaf, if the board stopped before it did.
fn sign_last(
    record: &Path,
    keys: &Path,
    store: &mut Box<dyn saylau_board::store::Store + Send>,
) -> Result<(), String> {
    let keys = BoardKeys::read(keys).map_err(|e| e.to_string())?;
    let election = Election::open(&Record::at(record)).map_err(|e| e.to_string())?;
    let fingerprint = *election.fingerprint();
    let key = keys.log_signer(&fingerprint).map_err(|e| e.to_string())?;
    let mut checkpointer = Checkpointer::open(&**store, origin(keys.host(), &fingerprint), key)
        .map_err(|e| e.to_string())?;
    checkpointer.tick(store).map_err(|e| e.to_string())?;
    Ok(())
}
