//! A throwaway PostgreSQL cluster for the tests: `initdb` and `pg_ctl` from the installed server
//! (`/usr/lib/postgresql/15/bin`, or `$SAYLAU_PG_BIN`) in a temporary directory, listening on a
//! private Unix socket (and, on request, on a free 127.0.0.1 port). As root it runs them as the
//! `postgres` user (`runuser`), since the server refuses to run as root. Dropping the cluster
//! stops it and removes its directory, on a panic too; a watchdog process stops it as well if the
//! test process dies without dropping it (a SIGKILL, a timeout).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Where the server's programs are looked for, unless `SAYLAU_PG_BIN` names another directory.
pub const DEFAULT_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The fix to name when the server cannot be started.
const FIX: &str = "install the PostgreSQL 15 server (`scripts/test` does it: `apt-get install -y \
                   postgresql`), or set SAYLAU_PG_BIN to the directory holding initdb and pg_ctl";

/// The socket's port number (the socket directory is private, so any fixed number will do).
const SOCKET_PORT: u16 = 5432;

/// A running throwaway cluster.
pub struct Cluster {
    root: Option<tempfile::TempDir>,
    bin: PathBuf,
    as_postgres: bool,
    tcp_port: Option<u16>,
    watchdog: Option<Child>,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

impl Cluster {
    /// Creates and starts a new cluster (socket only, or with a TCP port too), with any extra
    /// server settings (`-c name=value` pairs). Panics, naming the fix, if it cannot.
    pub fn start_new(tcp: bool, settings: &[&str]) -> Cluster {
        let cluster = Self::prepare(tcp);
        let data = cluster.data();
        cluster.run_ok(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let mut conf = String::from("\n# saylau test cluster\nmax_connections = 200\nlog_line_prefix = '%m [%p] '\n\
             # after a crash, one syncfs() of the data directory's file system instead of an fsync\n\
             # of each of its files (seconds here)\nrecovery_init_sync_method = syncfs\n");
        for s in settings {
            conf.push_str(s);
            conf.push('\n');
        }
        let conf_path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_path).unwrap();
        text.push_str(&conf);
        std::fs::write(&conf_path, text).unwrap();
        cluster.start();
        cluster
    }

    /// A streaming-replication hot standby of `primary`, in a directory of its own with its own
    /// socket: `pg_basebackup -R` (which writes `standby.signal` and `primary_conninfo`), then
    /// started. Panics, naming the fix, if it cannot.
    pub fn standby_of(primary: &Cluster) -> Cluster {
        let cluster = Self::prepare(false);
        let data = cluster.data();
        let primary_sock = primary.socket_dir();
        let port = primary.tcp_port.unwrap_or(SOCKET_PORT).to_string();
        cluster.run_ok(
            "pg_basebackup",
            &[
                "-D",
                path_str(&data),
                "-R",
                "-X",
                "stream",
                // An immediate checkpoint, not a spread one (minutes on an idle server).
                "-c",
                "fast",
                "--no-sync",
                "-h",
                path_str(&primary_sock),
                "-p",
                &port,
                "-U",
                "postgres",
            ],
        );
        cluster.start();
        cluster
    }

    /// The temporary directory, owned by the server's user, with its watchdog.
    fn prepare(tcp: bool) -> Cluster {
        let bin = std::env::var_os("SAYLAU_PG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_BIN));
        for program in ["initdb", "pg_ctl", "pg_basebackup"] {
            assert!(
                bin.join(program).is_file(),
                "cannot start the test database: {} not found; {FIX}",
                bin.join(program).display()
            );
        }
        let as_postgres = is_root();
        // /tmp, not $TMPDIR: the postgres user must be able to reach the directory.
        let parent = if as_postgres {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let root = tempfile::Builder::new()
            .prefix("saylau-pg-")
            .tempdir_in(parent)
            .expect("cannot create a temporary directory for the test database");
        std::fs::create_dir(root.path().join("sock")).unwrap();
        let mut cluster = Cluster {
            root: Some(root),
            bin,
            as_postgres,
            tcp_port: tcp.then(free_port),
            watchdog: None,
        };
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(cluster.root())
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "cannot start the test database: chown to the postgres user failed (no \
                 `postgres` user?); {FIX}"
            );
        }
        // From here on, a test process that dies without dropping the cluster still stops it.
        cluster.watchdog = cluster.spawn_watchdog();
        cluster
    }

    fn root(&self) -> &Path {
        self.root.as_ref().unwrap().path()
    }

    fn data(&self) -> PathBuf {
        self.root().join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.root().join("sock")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot start the test database: running {program}: {e}; {FIX}")
            })
    }

    fn run_ok(&self, program: &str, args: &[&str]) {
        let out = self.run(program, args);
        assert!(
            out.status.success(),
            "cannot start the test database: {program} failed: {}{}\n{}; {FIX}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.root().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Starts the server (again), waiting until it accepts connections. After a SIGKILL of the
    /// postmaster its orphaned backends may still hold the shared memory for a moment: retried.
    pub fn start(&self) {
        let mut options = format!(
            "-k {} -p {SOCKET_PORT} -c listen_addresses=''",
            path_str(&self.socket_dir())
        );
        if let Some(port) = self.tcp_port {
            options = format!(
                "-k {} -p {port} -c listen_addresses=127.0.0.1",
                path_str(&self.socket_dir())
            );
        }
        let data = self.data();
        let log = self.root().join("server.log");
        let args = [
            "-D",
            path_str(&data),
            "-l",
            path_str(&log),
            "-o",
            &options,
            "-w",
            "-t",
            "120",
            "start",
        ];
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.run("pg_ctl", &args);
            if out.status.success() {
                return;
            }
            if Instant::now() > until {
                panic!(
                    "cannot start the test database: pg_ctl start failed: {}{}\n{}; {FIX}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The postmaster's process id, from `postmaster.pid`, while it runs.
    pub fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// SIGKILLs the postmaster (its backends notice and exit on their own).
    pub fn kill_postmaster(&self) {
        let pid = self
            .postmaster_pid()
            .expect("the test database is not running");
        let status = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -KILL {pid} failed");
        // Wait for it to be gone, so the next start does not find it alive.
        let until = Instant::now() + Duration::from_secs(30);
        while alive(pid) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A connection string for database `dbname` over the private socket.
    pub fn url(&self, dbname: &str) -> String {
        let port = self.tcp_port.unwrap_or(SOCKET_PORT);
        format!(
            "host={} port={port} user=postgres dbname={dbname}",
            path_str(&self.socket_dir())
        )
    }

    /// A `postgres://` URL (what `--db` takes) for database `dbname` over the private socket.
    pub fn uri(&self, dbname: &str) -> String {
        let port = self.tcp_port.unwrap_or(SOCKET_PORT);
        format!(
            "postgres://postgres@/{dbname}?host={}&port={port}",
            path_str(&self.socket_dir())
        )
    }

    /// A `postgres://` URL for database `dbname` over TCP on 127.0.0.1 (a cluster started with
    /// `tcp`).
    pub fn tcp_url(&self, dbname: &str) -> String {
        let port = self.tcp_port.expect("cluster started without TCP");
        format!("postgres://postgres@127.0.0.1:{port}/{dbname}")
    }

    /// Runs SQL as the superuser in database `dbname`.
    pub fn sql(&self, dbname: &str, sql: &str) {
        let mut client = postgres::Client::connect(&self.url(dbname), postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"));
        client
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Creates a fresh, uniquely named database and returns its name.
    pub fn create_database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!("board_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.sql("postgres", &format!("CREATE DATABASE {name}"));
        name
    }

    /// A shell that stops the server and removes the directory once this process is gone.
    fn spawn_watchdog(&self) -> Option<Child> {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; sleep 2; \
             if [ -f '{data}/postmaster.pid' ]; then kill -QUIT \"$(head -n1 '{data}/postmaster.pid')\"; \
             sleep 2; fi; rm -rf '{root}'",
            pid = std::process::id(),
            data = path_str(&self.data()),
            root = path_str(self.root()),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
    }

    fn stop(&self) {
        if self.postmaster_pid().is_some() {
            let data = self.data();
            let _ = self.run(
                "pg_ctl",
                &["-D", path_str(&data), "-m", "immediate", "-w", "stop"],
            );
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        if let Some(root) = self.root.take() {
            let _ = root.close();
        }
    }
}

/// Whether process `pid` still runs (a zombie waiting for its parent to reap it does not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// The cluster shared by the tests of one test binary: started by the first test that needs it,
/// stopped when the last one using it is done (and started again if another comes later).
pub fn shared() -> Arc<Cluster> {
    static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(cluster) = slot.upgrade() {
        return cluster;
    }
    let cluster = Arc::new(Cluster::start_new(false, &[]));
    *slot = Arc::downgrade(&cluster);
    cluster
}
