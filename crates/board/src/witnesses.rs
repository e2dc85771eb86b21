//! The board's witnesses (spec `board.md` §11.3): each new checkpoint goes to every witness URL
//! with a consistency proof from the size that witness last cosigned; valid cosignatures from
//! the election's witness policy are merged into the stored note; the latest checkpoint with a
//! quorum of them is published as *cosigned*, and receipts' tlog-proofs lead to it.
//!
//! Each witness has its own thread, so one slow or dead witness delays no other, and none of
//! them delays a receipt: with fewer than `quorum` answering, the board keeps receipting and
//! its proofs stay pending.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use saylau::log::checkpoint::SignedCheckpoint;
use saylau::log::note::{Note, NoteSignature, VerifierKey};
use saylau::log::proof::check_quorum;
use saylau::log::tree::prove_tree;
use saylau::log::witness::{parse_cosignatures, parse_size, AddCheckpoint};
use saylau::record::WitnessPolicy;

use crate::database::Connector;
use crate::store::{Store, StoreError};

/// How long one `add-checkpoint` call may take before the witness counts as not answering.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Wait after a failed call before the next attempt.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Checkpoints whose cosignatures are still being gathered, at most.
const GATHERING: usize = 32;

/// The latest checkpoint with a quorum of valid cosignatures (every signed checkpoint when the
/// quorum is 0), shared with whoever serves proofs.
#[derive(Clone, Debug, Default)]
pub struct Cosigned(Arc<RwLock<Option<Arc<SignedCheckpoint>>>>);

impl Cosigned {
    /// The latest cosigned checkpoint, if any.
    pub fn get(&self) -> Option<Arc<SignedCheckpoint>> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Publishes `checkpoint` if it is larger than the one held.
    fn raise(&self, checkpoint: Arc<SignedCheckpoint>) {
        let mut guard = match self.0.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let larger = guard
            .as_ref()
            .is_none_or(|c| c.checkpoint().size() < checkpoint.checkpoint().size());
        if larger {
            *guard = Some(checkpoint);
        }
    }
}

/// The latest signed checkpoint offered to the witness threads, and the stop flag.
#[derive(Default)]
struct Offer {
    latest: Option<Arc<SignedCheckpoint>>,
    stop: bool,
}

/// Cosignatures being gathered, and the store they are written to.
struct Gatherer {
    store: Box<dyn Store + Send>,
    notes: BTreeMap<u64, Note>,
}

/// What the witness threads share.
struct Shared {
    offer: Mutex<Offer>,
    wake: Condvar,
    gatherer: Mutex<Gatherer>,
    cosigned: Cosigned,
    policy: Vec<VerifierKey>,
    quorum: u64,
    log: VerifierKey,
    origin: String,
    stopped: AtomicBool,
}

/// The witness threads of a running board. Stop them with [`Witnesses::stop`].
pub struct Witnesses {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Witnesses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witnesses")
            .field("quorum", &self.shared.quorum)
            .finish()
    }
}

impl Witnesses {
    /// Starts one thread per witness URL. `latest` is the latest stored checkpoint (offered at
    /// once, so a restarted board gets it cosigned); `log` is the log's verifier key under
    /// `origin`. Blocks (it opens store connections): call it off the async threads.
    pub fn start(
        policy: &WitnessPolicy,
        urls: &[String],
        connector: &Arc<dyn Connector>,
        log: VerifierKey,
        origin: String,
        latest: Option<Arc<SignedCheckpoint>>,
    ) -> Result<Self, StoreError> {
        let store = connector.connect()?;
        let shared = Arc::new(Shared {
            offer: Mutex::new(Offer::default()),
            wake: Condvar::new(),
            gatherer: Mutex::new(Gatherer {
                store,
                notes: BTreeMap::new(),
            }),
            cosigned: Cosigned::default(),
            policy: policy.witnesses.iter().map(|w| w.vkey.clone()).collect(),
            quorum: policy.quorum,
            log,
            origin,
            stopped: AtomicBool::new(false),
        });
        let witnesses = Self {
            shared: Arc::clone(&shared),
            threads: Mutex::new(Vec::new()),
        };
        if let Some(latest) = latest {
            // A restart: the stored note may already carry a quorum.
            if let Ok(Some(stored)) = lock(&shared.gatherer)
                .store
                .checkpoint(latest.checkpoint().size())
            {
                if let Ok(signed) =
                    SignedCheckpoint::open(stored.text.as_bytes(), &shared.log, &shared.origin)
                {
                    if quorum_met(&shared, &signed) {
                        shared.cosigned.raise(Arc::new(signed));
                    }
                }
            }
            witnesses.offer(latest);
        }
        if policy.quorum == 0 {
            return Ok(witnesses);
        }
        let mut threads = Vec::new();
        for url in urls {
            let store = connector.connect()?;
            let shared = Arc::clone(&shared);
            let url = url.trim_end_matches('/').to_string();
            let thread = std::thread::Builder::new()
                .name("board-witness".into())
                .spawn(move || follow(&shared, &url, store))
                .map_err(|source| StoreError::Io {
                    path: "board-witness thread".into(),
                    source,
                })?;
            threads.push(thread);
        }
        *lock(&witnesses.threads) = threads;
        Ok(witnesses)
    }

    /// Offers a newly signed (and stored) checkpoint to every witness.
    pub fn offer(&self, checkpoint: Arc<SignedCheckpoint>) {
        if self.shared.quorum == 0 {
            self.shared.cosigned.raise(Arc::clone(&checkpoint));
        }
        lock(&self.shared.offer).latest = Some(checkpoint);
        self.shared.wake.notify_all();
    }

    /// The handle through which the latest cosigned checkpoint is served.
    pub fn cosigned(&self) -> Cosigned {
        self.shared.cosigned.clone()
    }

    /// The policy's quorum.
    pub fn quorum(&self) -> u64 {
        self.shared.quorum
    }

    /// Stops the witness threads (each ends its call in progress, bounded by its timeout).
    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        lock(&self.shared.offer).stop = true;
        self.shared.wake.notify_all();
        for thread in std::mem::take(&mut *lock(&self.threads)) {
            let _ = thread.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn quorum_met(shared: &Shared, signed: &SignedCheckpoint) -> bool {
    check_quorum(signed, &shared.policy, shared.quorum).is_ok_and(|q| q.met())
}

/// Waits for a checkpoint larger than `done`; `None` when stopping.
fn next_offer(shared: &Shared, done: Option<u64>) -> Option<Arc<SignedCheckpoint>> {
    let mut offer = lock(&shared.offer);
    loop {
        if offer.stop {
            return None;
        }
        if let Some(latest) = &offer.latest {
            if done.is_none_or(|d| latest.checkpoint().size() > d) {
                return Some(Arc::clone(latest));
            }
        }
        offer = match shared.wake.wait_timeout(offer, Duration::from_secs(1)) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
}

/// What one call to a witness came to.
enum Answer {
    /// Valid cosignatures by policy witnesses.
    Cosigned(Vec<NoteSignature>),
    /// 409 with the witness's size.
    AtSize(u64),
    /// Refused for good (409 without a size: another checkpoint of this size; 4xx).
    Refused(String),
    /// Not answered, or an answer that does not parse: try again later.
    Failed(String),
}

/// One witness's thread: sends each newer checkpoint, learning the witness's size from 409s.
fn follow(shared: &Shared, url: &str, store: Box<dyn Store + Send>) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(CALL_TIMEOUT))
            .max_redirects(0)
            .user_agent(concat!("saylau-board/", env!("CARGO_PKG_VERSION")))
            .build(),
    );
    let endpoint = format!("{url}/add-checkpoint");
    let mut witness_size = 0u64;
    let mut done: Option<u64> = None;
    let mut last_problem = String::new();
    let report = |last: &mut String, problem: String| {
        if problem != *last {
            eprintln!("board: witness {url}: {problem}");
            *last = problem;
        }
    };
    while let Some(checkpoint) = next_offer(shared, done) {
        let new = checkpoint.checkpoint().size();
        // At most a few rounds of "409, here is my size" per checkpoint.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let answer = call(
                shared,
                &agent,
                &endpoint,
                &*store,
                &checkpoint,
                witness_size,
            );
            match answer {
                Answer::Cosigned(sigs) => {
                    witness_size = new;
                    done = Some(new);
                    gather(shared, &checkpoint, sigs);
                    last_problem.clear();
                    break;
                }
                Answer::AtSize(size) if size <= new && size != witness_size && attempts < 4 => {
                    witness_size = size;
                }
                Answer::AtSize(size) => {
                    witness_size = size;
                    report(
                        &mut last_problem,
                        format!("holds size {size}, the board's checkpoint is {new}: not cosigned"),
                    );
                    done = Some(new);
                    break;
                }
                Answer::Refused(why) => {
                    report(
                        &mut last_problem,
                        format!("refused checkpoint {new}: {why}"),
                    );
                    done = Some(new);
                    break;
                }
                Answer::Failed(why) => {
                    report(&mut last_problem, why);
                    if shared.stopped.load(Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(RETRY_AFTER);
                    break;
                }
            }
        }
    }
}

fn call(
    shared: &Shared,
    agent: &ureq::Agent,
    endpoint: &str,
    store: &dyn Store,
    checkpoint: &SignedCheckpoint,
    old: u64,
) -> Answer {
    let new = checkpoint.checkpoint().size();
    let old = old.min(new);
    let proof = if old == 0 || old == new {
        Vec::new()
    } else {
        match prove_tree(new, old, store) {
            Ok(proof) => proof,
            Err(e) => return Answer::Failed(format!("consistency proof {old}..{new}: {e}")),
        }
    };
    let body = AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: checkpoint.to_bytes(),
    }
    .encode();
    let mut response = match agent.post(endpoint).send(&body[..]) {
        Ok(r) => r,
        Err(e) => return Answer::Failed(format!("no answer: {e}")),
    };
    let status = response.status().as_u16();
    let body = match response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_vec()
    {
        Ok(b) => b,
        Err(e) => return Answer::Failed(format!("reading the answer: {e}")),
    };
    match status {
        200 => match valid_cosignatures(shared, checkpoint, &body) {
            Ok(sigs) if !sigs.is_empty() => Answer::Cosigned(sigs),
            Ok(_) => Answer::Refused("no cosignature by a witness of the policy".into()),
            Err(e) => Answer::Failed(e),
        },
        409 => match parse_size(&body) {
            Some(size) => Answer::AtSize(size),
            None => Answer::Refused(format!(
                "409: {} (another checkpoint of this size: a split view?)",
                String::from_utf8_lossy(&body).trim_end()
            )),
        },
        s if (400..500).contains(&s) => Answer::Refused(format!(
            "{s}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)]).trim_end()
        )),
        s => Answer::Failed(format!("status {s}")),
    }
}

/// The cosignature lines of a 200 answer that are by policy witnesses and verify.
fn valid_cosignatures(
    shared: &Shared,
    checkpoint: &SignedCheckpoint,
    body: &[u8],
) -> Result<Vec<NoteSignature>, String> {
    let lines = parse_cosignatures(body).map_err(|e| format!("answer: {e}"))?;
    let mut kept = Vec::new();
    for sig in lines {
        let known = shared
            .policy
            .iter()
            .any(|w| w.name() == sig.name() && w.key_id() == sig.key_id());
        if !known {
            continue;
        }
        let mut note = Note::parse(&checkpoint.to_bytes()).map_err(|e| e.to_string())?;
        note.add_signature(sig.clone()).map_err(|e| e.to_string())?;
        let with = SignedCheckpoint::open(&note.to_bytes(), &shared.log, &shared.origin)
            .map_err(|e| e.to_string())?;
        with.verify_cosignatures(&shared.policy)
            .map_err(|e| format!("cosignature by {}: {e}", sig.name()))?;
        kept.push(sig);
    }
    Ok(kept)
}

/// Merges valid cosignatures into the stored note of their checkpoint, and publishes it as
/// cosigned once it carries a quorum.
fn gather(shared: &Shared, checkpoint: &Arc<SignedCheckpoint>, sigs: Vec<NoteSignature>) {
    let size = checkpoint.checkpoint().size();
    let mut gatherer = lock(&shared.gatherer);
    let Gatherer { store, notes } = &mut *gatherer;
    if let std::collections::btree_map::Entry::Vacant(entry) = notes.entry(size) {
        let stored = store
            .checkpoint(size)
            .ok()
            .flatten()
            .and_then(|c| Note::parse(c.text.as_bytes()).ok());
        let Some(note) = stored else {
            return;
        };
        entry.insert(note);
        while notes.len() > GATHERING {
            notes.pop_first();
        }
    }
    let Some(note) = notes.get_mut(&size) else {
        return;
    };
    for sig in sigs {
        if note.add_signature(sig).is_err() {
            return;
        }
    }
    let text = note.to_string();
    if let Err(e) = store.add_cosignatures(size, &text) {
        eprintln!("board: cosignatures of checkpoint {size} not stored: {e}");
        notes.remove(&size);
        return;
    }
    if let Ok(signed) = SignedCheckpoint::open(text.as_bytes(), &shared.log, &shared.origin) {
        if quorum_met(shared, &signed) {
            shared.cosigned.raise(Arc::new(signed));
        }
    }
}

/// The header that says whether a served proof's checkpoint carries the quorum (board.md
/// §9.4); a client checks the cosignatures itself and never relies on it.
pub const PROOF_STATE_HEADER: &str = "saylau-proof";

/// `GET /v1/tlog-proof/{index}` (board.md §11.4): the C2SP tlog-proof of leaf `index` in the
/// latest cosigned checkpoint; while no cosigned checkpoint covers the leaf, in the latest
/// signed one with the cosignatures it has so far, marked `pending`.
pub async fn tlog_proof(
    axum::extract::State(board): axum::extract::State<Arc<crate::service::Board>>,
    axum::extract::Path(index): axum::extract::Path<String>,
) -> Result<axum::response::Response, crate::service::error::ApiError> {
    use crate::service::error::ApiError;
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse as _;
    use saylau::log::proof::TlogProof;
    use saylau::log::tree::prove_record;

    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::malformed(format!("leaf index {index:?} is not a number")))?;
    let covers = |c: &Option<Arc<SignedCheckpoint>>| {
        c.as_ref()
            .filter(|c| index < c.checkpoint().size())
            .map(|c| c.checkpoint().size())
    };
    let (size, pending) = match (
        covers(&board.cosigned.get()),
        covers(&board.published.get()),
    ) {
        (Some(size), _) => (size, false),
        (None, Some(size)) => (size, true),
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_in_checkpoint",
                format!("leaf {index} is not in a signed checkpoint yet; ask again in a second"),
            ))
        }
    };
    let (text, inclusion) = board
        .readers
        .read(move |store| {
            let unavailable = |e: String| ApiError::unavailable(format!("the store: {e}"));
            let text = store
                .checkpoint(size)
                .map_err(|e| unavailable(e.to_string()))?
                .ok_or_else(|| unavailable(format!("checkpoint {size} is not stored")))?
                .text;
            let inclusion =
                prove_record(size, index, store).map_err(|e| unavailable(e.to_string()))?;
            Ok((text, inclusion))
        })
        .await?;
    let proof = TlogProof {
        extra: None,
        index,
        inclusion,
        checkpoint: text.into_bytes(),
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::HeaderName::from_static(PROOF_STATE_HEADER),
                if pending { "pending" } else { "cosigned" },
            ),
        ],
        proof.encode(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use crate::store::check_more_signatures;
    use saylau::log::checkpoint::{Checkpoint, SignedCheckpoint};
    use saylau::log::note::{KeyType, SignerKey};

    #[test]
    fn a_stored_note_only_gains_signatures() {
        let log = SignerKey::from_seed(KeyType::Ed25519, "b.test/log", [1; 32]).unwrap();
        let other_log = SignerKey::from_seed(KeyType::Ed25519, "b.test/log", [2; 32]).unwrap();
        let w1 = SignerKey::from_seed(KeyType::CosignatureV1, "w1", [3; 32]).unwrap();
        let w2 = SignerKey::from_seed(KeyType::CosignatureV1, "w2", [4; 32]).unwrap();
        let cp = |size| Checkpoint::new("b.test/log", size, [9; 32], vec![]).unwrap();
        let base = SignedCheckpoint::sign(cp(5), &log).unwrap();
        let mut one = base.clone();
        one.cosign(&w1, 10).unwrap();
        let mut two = one.clone();
        two.cosign(&w2, 11).unwrap();
        let s = |c: &SignedCheckpoint| c.to_string();
        assert!(check_more_signatures(5, &s(&base), &s(&one)).is_ok());
        assert!(check_more_signatures(5, &s(&one), &s(&two)).is_ok());
        // A cosignature dropped, another body, another log signature.
        let mut only_w2 = base.clone();
        only_w2.cosign(&w2, 11).unwrap();
        assert!(check_more_signatures(5, &s(&one), &s(&only_w2)).is_err());
        let other_body = SignedCheckpoint::sign(cp(6), &log).unwrap();
        assert!(check_more_signatures(5, &s(&base), &s(&other_body)).is_err());
        let other_sig = SignedCheckpoint::sign(cp(5), &other_log).unwrap();
        assert!(check_more_signatures(5, &s(&base), &s(&other_sig)).is_err());
    }
}
