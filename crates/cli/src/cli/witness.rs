//! `saylau witness`: run a C2SP tlog-witness for an election's board (spec
//! `protocol-spec/board.md` §11): `new` makes its key, `serve` cosigns the board's checkpoints.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rand_core::OsRng;
use saylau::record::{self, ElectionInfo};
use saylau_witness::state::{Witness, WitnessedLog};

/// The witness's commands.
#[derive(clap::Subcommand, Debug)]
pub enum WitnessCommand {
    /// Make a witness key (cosignature/v1) in a new folder and print its verifier key, which
    /// the commission lists with `saylau board open --witness VKEY`.
    New(NewArgs),
    /// Serve `POST /add-checkpoint` for the boards of the given elections.
    Serve(ServeArgs),
}

/// `saylau witness new`.
#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// The key folder to create (`witness.key`, mode 0600, and `witness.vkey`).
    #[arg(long)]
    pub out: PathBuf,
    /// The witness's key name (default `witness-<8 hex digits of its key>`), for example
    /// `observers.example/w1`: no spaces and no '+'.
    #[arg(long)]
    pub name: Option<String>,
}

/// `saylau witness serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// An election's `election.json`, whose board this witness follows (its fingerprint and
    /// log key); repeat for several elections.
    #[arg(long = "log", required = true)]
    pub logs: Vec<PathBuf>,
    /// The witness's database: `sqlite:PATH`.
    #[arg(long)]
    pub db: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// The key folder from `saylau witness new`.
    #[arg(long)]
    pub key: PathBuf,
}

/// Runs a witness command; 0 on success, 2 when it could not start.
pub fn run(command: WitnessCommand) -> i32 {
    match command {
        WitnessCommand::New(args) => new(args),
        WitnessCommand::Serve(args) => serve(args),
    }
}

fn fail(error: &dyn std::fmt::Display) -> i32 {
    eprintln!("saylau witness: {error}");
    2
}

fn new(args: NewArgs) -> i32 {
    match saylau_witness::key::generate(&args.out, args.name.as_deref(), &mut OsRng) {
        Ok(vkey) => {
            outln!("{vkey}");
            eprintln!(
                "witness key written to {} (keep {} secret)",
                args.out.display(),
                saylau_witness::key::KEY_FILE
            );
            0
        }
        Err(e) => fail(&e),
    }
}

fn serve(args: ServeArgs) -> i32 {
    let Some(path) = args.db.strip_prefix("sqlite:") else {
        return fail(&format!("--db {:?}: expected sqlite:PATH", args.db));
    };
    let key = match saylau_witness::key::load(&args.key) {
        Ok(key) => key,
        Err(e) => return fail(&e),
    };
    let mut logs = Vec::new();
    for file in &args.logs {
        let info = match record::read_bounded(file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                record::decode_json::<ElectionInfo>(&file.display().to_string(), None, &bytes)
                    .map_err(|e| e.to_string())
            }) {
            Ok(info) => info,
            Err(e) => return fail(&format!("{}: {e}", file.display())),
        };
        logs.push(WitnessedLog {
            fingerprint: info.fingerprint,
            log_key: info.log_key,
        });
    }
    let fingerprints: Vec<String> = logs.iter().map(|l| hex::encode(l.fingerprint)).collect();
    let witness = match Witness::open(std::path::Path::new(path), key, logs) {
        Ok(w) => Arc::new(w),
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => return fail(&format!("listening on {}: {e}", args.listen)),
        };
        let vkey = witness.verifier();
        let running = match saylau_witness::service::start(witness, listener) {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
        outln!("witness: serving on http://{}/add-checkpoint", running.addr);
        outln!("  key: {vkey}");
        for f in &fingerprints {
            outln!(
                "  follows election {f} (compare with the fingerprint the commission published)"
            );
        }
        outln!("  stop with Ctrl-C");
        if let Err(e) = tokio::signal::ctrl_c().await {
            return fail(&format!("waiting for Ctrl-C: {e}"));
        }
        running.shutdown().await;
        0
    })
}
