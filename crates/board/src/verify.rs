//! The micro-batch verifier: ballots whose proofs arrive within a few milliseconds of each other
//! are checked together, with one multiscalar multiplication per group (the library's
//! [`EquationBatch`]). When a group fails, its culprits are found by bisection and each is
//! verified alone, so every refused ballot gets its own reason and the others are accepted.
//!
//! Spec: `protocol-spec/board.md` §8.3 step 6, `batch.md` §5 (culprits).

use std::sync::Arc;
use std::time::Duration;

use saylau::ballot::{Ballot, BallotError};
use saylau::crypto::batch::EquationBatch;
use saylau::crypto::elgamal::PublicKey;
use saylau::crypto::error::ProofError;
use saylau::log::tree::Hash;
use saylau::manifest::Manifest;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// What every ballot's proofs are checked against.
#[derive(Debug)]
pub struct ProofContext {
    /// The manifest.
    pub manifest: Manifest,
    /// The election fingerprint `F`.
    pub fingerprint: Hash,
    /// The joint election key `K`.
    pub key: PublicKey,
}

/// How groups are formed.
#[derive(Clone, Copy, Debug)]
pub struct BatchPolicy {
    /// A group closes this long after its first ballot arrived (or when it is full).
    pub window: Duration,
    /// At most this many ballots per group.
    pub max_ballots: usize,
    /// Groups verified at the same time (one per core).
    pub workers: usize,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        Self {
            window: Duration::from_millis(3),
            max_ballots: 64,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

type Job = (Arc<Ballot>, oneshot::Sender<Result<(), BallotError>>);

/// A handle to the verifier; cheap to clone.
#[derive(Clone, Debug)]
pub struct Verifier {
    sender: mpsc::UnboundedSender<Job>,
}

impl Verifier {
    /// Starts the verifier on the current tokio runtime.
    pub fn start(context: Arc<ProofContext>, policy: BatchPolicy) -> Self {
        let (sender, queue) = mpsc::unbounded_channel();
        tokio::spawn(gather(queue, context, policy));
        Self { sender }
    }

    /// Verifies every proof of `ballot` except the credential signature (checked before, on
    /// its own): `Ok` if they all hold, or the first failing proof in ballot order.
    pub async fn verify(&self, ballot: Arc<Ballot>) -> Result<(), BallotError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || BallotError::Equations(ProofError::Shape("the verifier stopped"));
        self.sender.send((ballot, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Forms groups: the first ballot opens a group, which closes after the window or when full;
/// while every worker is busy the group keeps growing (up to the maximum), so a loaded board
/// verifies in larger, cheaper groups.
async fn gather(
    mut queue: mpsc::UnboundedReceiver<Job>,
    context: Arc<ProofContext>,
    policy: BatchPolicy,
) {
    let workers = Arc::new(Semaphore::new(policy.workers.max(1)));
    let max = policy.max_ballots.max(1);
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        let deadline = Instant::now() + policy.window;
        while group.len() < max {
            tokio::select! {
                job = queue.recv() => match job {
                    Some(job) => group.push(job),
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        let permit: OwnedSemaphorePermit = loop {
            if let Ok(permit) = Arc::clone(&workers).try_acquire_owned() {
                break permit;
            }
            if group.len() >= max {
                match Arc::clone(&workers).acquire_owned().await {
                    Ok(permit) => break permit,
                    Err(_) => return,
                }
            }
            tokio::select! {
                permit = Arc::clone(&workers).acquire_owned() => match permit {
                    Ok(permit) => break permit,
                    Err(_) => return,
                },
                job = queue.recv() => match job {
                    Some(job) => group.push(job),
                    None => match Arc::clone(&workers).acquire_owned().await {
                        Ok(permit) => break permit,
                        Err(_) => return,
                    },
                },
            }
        };
        let context = Arc::clone(&context);
        tokio::task::spawn_blocking(move || {
            let ballots: Vec<&Ballot> = group.iter().map(|(b, _)| b.as_ref()).collect();
            let results = verify_group(&context, &ballots);
            for ((_, reply), result) in group.into_iter().zip(results) {
                let _ = reply.send(result);
            }
            drop(permit);
        });
    }
}

/// Verifies a group of ballots' proofs together; one result per ballot, in order.
pub fn verify_group(context: &ProofContext, ballots: &[&Ballot]) -> Vec<Result<(), BallotError>> {
    let terms: usize = ballots.iter().map(|b| estimated_terms(b)).sum();
    let mut batch = EquationBatch::with_capacity(Some(*context.key.element()), terms);
    let mut results: Vec<Result<(), BallotError>> = Vec::with_capacity(ballots.len());
    // Closed batch item → ballot.
    let mut item_ballot = Vec::with_capacity(ballots.len());
    for (i, ballot) in ballots.iter().enumerate() {
        match ballot.body.equations(
            &context.manifest,
            &context.fingerprint,
            &context.key,
            &mut batch,
        ) {
            Ok(()) => {
                batch.finish_item();
                item_ballot.push(i);
                results.push(Ok(()));
            }
            Err(error) => {
                batch.discard_item();
                results.push(Err(error));
            }
        }
    }
    if item_ballot.is_empty() || batch.holds() {
        return results;
    }
    let failing = batch.failing_items();
    // Each culprit is verified alone, for its own reason (the first failing proof in ballot
    // order). If the search names none, which cannot happen with every item closed, every
    // ballot is verified alone rather than accepted: fail closed.
    let suspects: Vec<usize> = if failing.is_empty() {
        item_ballot.clone()
    } else {
        failing
            .iter()
            .filter_map(|&item| item_ballot.get(item).copied())
            .collect()
    };
    for i in suspects {
        let ballot = ballots[i];
        let alone = ballot
            .body
            .verify_each(&context.manifest, &context.fingerprint, &context.key);
        results[i] = match alone {
            // Each proof holds alone while the group said otherwise: probability ≤ 2^-128
            // (batch.md §3). Fail closed.
            Ok(()) if !failing.is_empty() => Err(BallotError::Equations(ProofError::EquationsFail)),
            other => other,
        };
    }
    results
}

fn estimated_terms(ballot: &Ballot) -> usize {
    ballot
        .body
        .contests
        .iter()
        .map(|c| 24 * (c.options.len() + 1))
        .sum()
}
