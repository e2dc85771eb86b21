//! The record's layout (spec `record.md` §1): the names of its files and folders, and the
//! size bounds every reader enforces.

/// `manifest.json`: the election definition.
pub const MANIFEST: &str = "manifest.json";
/// `ceremony.json`: the key ceremony's public transcript.
pub const CEREMONY: &str = "ceremony.json";
/// `credentials.json`: the public credentials of eligible voters.
pub const CREDENTIALS: &str = "credentials.json";
/// `election.json`: the election fingerprint and what it hashes.
pub const ELECTION: &str = "election.json";
/// `ballots.jsonl`: cast ballots, one per line, in board order.
pub const BALLOTS: &str = "ballots.jsonl";
/// `challenged.jsonl`: challenged (spoiled) ballots with revealed nonces.
pub const CHALLENGED: &str = "challenged.jsonl";
/// `tally.json`: the encrypted tally.
pub const TALLY: &str = "tally.json";
/// `decryption/`: one decryption share per participating trustee, `trustee-<i>.json`.
pub const DECRYPTION_DIR: &str = "decryption";
/// `results.json`: counts and outcomes.
pub const RESULTS: &str = "results.json";
/// `record.json`: the hash of every file and the record root.
pub const INDEX: &str = "record.json";

/// Largest JSON file read whole (the ballot file is streamed line by line instead).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Largest single line of a JSON-lines file.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// `ceremony/`: the key ceremony's transcript, when it was run by separate trustees.
pub const TRANSCRIPT_DIR: &str = "ceremony";
/// `decryption/rejected/`: decryption shares that failed their proofs, set aside by the tally.
pub const REJECTED_DIR: &str = "decryption/rejected";

/// `log/`: the board's transparency log (spec `record.md` §7).
pub const LOG_DIR: &str = "log";
/// `log/leaves`: the log's 129-byte leaves in log order (spec `record.md` §7.1, `board.md` §7.1).
pub const LOG_LEAVES: &str = "log/leaves";
/// `log/checkpoints.jsonl`: every checkpoint the board signed, by increasing size (spec
/// `record.md` §7.2).
pub const LOG_CHECKPOINTS: &str = "log/checkpoints.jsonl";
