//! Verification equations and their random linear combination.
//!
//! Spec: `protocol-spec/batch.md`. Every proof emits its verification equations as
//! `(coefficient, base)` terms into an [`EquationSink`]. An [`EquationBatch`] weights each
//! equation with an independent random 128-bit scalar, merges the coefficients of the shared
//! bases `G`, `H` and the election key `K`, and checks one vartime multiscalar multiplication
//! against the identity. A ballot checked alone is a batch of one; a proof checked alone is
//! checked equation by equation instead (`proofs.md` §1.2).
//!
//! A batch can be divided into *items* (a ballot, a decryption share): each item keeps its own
//! share of the merged coefficients, so when the whole batch fails, [`EquationBatch::failing_items`]
//! finds every failing item by re-checking parts of the batch with the weights already drawn,
//! without hashing a transcript again (spec `batch.md` §5).

use crate::crypto::group::{pedersen_h, GroupElement, G};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand::rngs::OsRng;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use std::ops::Range;

/// A base point of a verification equation. Shared bases are merged into one term per batch.
#[derive(Clone, Copy, Debug)]
pub enum Base<'a> {
    /// The basepoint `G`.
    G,
    /// The Pedersen generator `H` (spec `encoding.md` §3).
    H,
    /// An election public key. Merged into one term when its encoding is the batch's key's;
    /// any other key is kept as its own term, so a wrong key can never be checked as the right
    /// one.
    Key(&'a GroupElement),
    /// Any other point (a commitment, a ciphertext half, a trustee key).
    Point(&'a RistrettoPoint),
    /// The first half of a sum of ciphertexts that was never computed: the caller folds this
    /// coefficient onto the parts' own terms (spec `batch.md` §4.5). A batch that receives one
    /// fails.
    SumFirst,
    /// The second half of such a sum.
    SumSecond,
}

/// Receives verification equations: `Σ coefficient·base = 0` for each equation.
///
/// A proof first asks for one [`weight`](EquationSink::weight) per equation, multiplies every
/// coefficient of that equation by it, and may merge coefficients of a point that recurs across
/// its own equations.
pub trait EquationSink {
    /// A fresh random weight for the next equation.
    fn weight(&mut self) -> Scalar;
    /// Adds one weighted term.
    fn add(&mut self, coefficient: Scalar, base: Base<'_>);
}

/// The merged coefficients of `G`, `H` and `K`.
#[derive(Clone, Copy, Debug, Default)]
struct Shared {
    g: Scalar,
    h: Scalar,
    k: Scalar,
}

impl Shared {
    const ZERO: Shared = Shared {
        g: Scalar::ZERO,
        h: Scalar::ZERO,
        k: Scalar::ZERO,
    };

    fn merge(&mut self, other: &Shared) {
        self.g += other.g;
        self.h += other.h;
        self.k += other.k;
    }
}

/// One closed item: its point terms `start..end` and its share of the merged coefficients.
#[derive(Clone, Copy, Debug)]
struct Item {
    start: usize,
    end: usize,
    shared: Shared,
}

/// The random linear combination of many equations, checked by one multiscalar multiplication.
pub struct EquationBatch {
    key: Option<GroupElement>,
    /// Merged coefficients of the closed items.
    closed: Shared,
    /// Merged coefficients of the open item (or of the whole batch when items are not used).
    open: Shared,
    open_start: usize,
    items: Vec<Item>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    /// Set when a term had no point to put in the sum (an unfolded [`Base::SumFirst`] or
    /// [`Base::SumSecond`]): every check then fails.
    unfolded: bool,
    rng: ChaCha20Rng,
}

/// Below this many failing groups a culprit search keeps bisecting (spec `batch.md` §5.3).
const ONE_BY_ONE_AT: usize = 2;

impl EquationBatch {
    /// An empty batch that merges the terms of the election key `key` (if given). Its weights
    /// come from a ChaCha20 stream seeded by the operating system now, after the proofs to be
    /// checked are fixed.
    pub fn new(key: Option<GroupElement>) -> Self {
        Self::with_capacity(key, 0)
    }

    /// As [`new`](Self::new), with room for `terms` point terms.
    pub fn with_capacity(key: Option<GroupElement>, terms: usize) -> Self {
        Self {
            key,
            closed: Shared::ZERO,
            open: Shared::ZERO,
            open_start: 0,
            items: Vec::new(),
            scalars: Vec::with_capacity(terms),
            points: Vec::with_capacity(terms),
            unfolded: false,
            rng: fresh_rng(),
        }
    }

    /// Number of point terms collected so far (shared bases not counted).
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when no point term was collected.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Number of closed items.
    pub fn items(&self) -> usize {
        self.items.len()
    }

    /// Closes the current item: every term added since the last [`finish_item`](Self::finish_item)
    /// or [`discard_item`](Self::discard_item) belongs to it. Returns its index.
    pub fn finish_item(&mut self) -> usize {
        self.items.push(Item {
            start: self.open_start,
            end: self.points.len(),
            shared: self.open,
        });
        self.closed.merge(&self.open);
        self.open = Shared::ZERO;
        self.open_start = self.points.len();
        self.items.len() - 1
    }

    /// Drops every term added since the last closed item (a proof that failed before its
    /// equations were complete). Weights already drawn are not reused.
    pub fn discard_item(&mut self) {
        self.scalars.truncate(self.open_start);
        self.points.truncate(self.open_start);
        self.open = Shared::ZERO;
    }

    /// True when the weighted sum of all equations is the identity. Spec `batch.md` §2.
    pub fn holds(&self) -> bool {
        self.weighted_sum().is_some_and(|sum| sum.is_identity())
    }

    /// True when the weighted sum of the equations of the closed items `items` is the identity,
    /// with the weights already drawn (spec `batch.md` §5.2).
    pub fn items_hold(&self, items: Range<usize>) -> bool {
        let Some(last) = items.end.checked_sub(1) else {
            return true;
        };
        let (Some(first), Some(last)) = (self.items.get(items.start), self.items.get(last)) else {
            return false;
        };
        let mut shared = Shared::ZERO;
        for item in &self.items[items] {
            shared.merge(&item.shared);
        }
        self.check(&shared, first.start..last.end)
    }

    /// Every closed item whose equations do not hold, in increasing order, found by bisection
    /// or item by item, whichever costs less for the failures seen (spec `batch.md` §5). Call it
    /// after [`holds`](Self::holds) returned false; an empty result then means the terms of an
    /// open item (never closed) are at fault.
    pub fn failing_items(&self) -> Vec<usize> {
        let mut failing = Vec::new();
        if self.items.is_empty() || self.items_hold(0..self.items.len()) {
            return failing;
        }
        // Breadth-first bisection over ranges known to fail. While the number of failing
        // ranges stays flat from one level to the next, each holds about one failure and
        // halving is the cheapest search; when it doubles, failures are dense and checking
        // item by item costs less.
        let mut frontier: Vec<Range<usize>> = Vec::with_capacity(2);
        frontier.push(0..self.items.len());
        while !frontier.is_empty() {
            let mut next = Vec::with_capacity(frontier.len() * 2);
            for range in &frontier {
                if range.len() == 1 {
                    failing.push(range.start);
                    continue;
                }
                let middle = range.start + range.len() / 2;
                let (left, right) = (range.start..middle, middle..range.end);
                if self.items_hold(left.clone()) {
                    // The range fails and its left half holds, so its right half fails.
                    next.push(right);
                } else {
                    next.push(left);
                    if !self.items_hold(right.clone()) {
                        next.push(right);
                    }
                }
            }
            let dense = next.len() >= ONE_BY_ONE_AT && next.len() == 2 * frontier.len();
            frontier = next;
            if dense {
                for range in frontier.drain(..) {
                    if range.len() == 1 {
                        failing.push(range.start);
                    } else {
                        failing.extend(range.filter(|&i| !self.items_hold(i..i + 1)));
                    }
                }
            }
        }
        failing.sort_unstable();
        failing
    }

    /// The weighted sum of every equation of the batch: the multiscalar multiplication of
    /// [`holds`](Self::holds), without the comparison. `saylau bench` times it for the floor, so
    /// the floor and the batch run the very same code.
    pub fn weighted_sum(&self) -> Option<RistrettoPoint> {
        let mut shared = self.closed;
        shared.merge(&self.open);
        self.sum(&shared, 0..self.points.len())
    }

    fn check(&self, shared: &Shared, terms: Range<usize>) -> bool {
        self.sum(shared, terms).is_some_and(|sum| sum.is_identity())
    }

    /// The one multiscalar multiplication (spec `batch.md` §2); `None` if the batch cannot
    /// hold whatever the points are.
    #[inline(never)]
    fn sum(&self, shared: &Shared, terms: Range<usize>) -> Option<RistrettoPoint> {
        if self.unfolded {
            return None;
        }
        // Spec batch.md §2.3: without a key, K terms cannot be merged and must cancel out.
        let key = match self.key {
            Some(key) => *key.point(),
            None if shared.k != Scalar::ZERO => return None,
            None => G,
        };
        let shared_scalars = [shared.g, shared.h, shared.k];
        let shared_points = [G, *pedersen_h(), key];
        Some(RistrettoPoint::vartime_multiscalar_mul(
            shared_scalars.iter().chain(&self.scalars[terms.clone()]),
            shared_points.iter().chain(&self.points[terms]),
        ))
    }

    /// Empties the batch for proofs about `key`, keeping its allocation and drawing a fresh
    /// seed.
    pub fn clear_for(&mut self, key: Option<GroupElement>) {
        self.key = key;
        self.clear();
    }

    /// Empties the batch, keeping its allocation and drawing a fresh seed.
    pub fn clear(&mut self) {
        self.rng = fresh_rng();
        self.closed = Shared::ZERO;
        self.open = Shared::ZERO;
        self.open_start = 0;
        self.items.clear();
        self.scalars.clear();
        self.points.clear();
        self.unfolded = false;
    }
}

fn fresh_rng() -> ChaCha20Rng {
    // Spec batch.md §1.4: 32 bytes from the operating system seed the weight stream.
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    ChaCha20Rng::from_seed(seed)
}

impl EquationSink for EquationBatch {
    fn weight(&mut self) -> Scalar {
        // Spec batch.md §1.3: 128-bit weights.
        // An integer below 2^128 < ℓ is already reduced.
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        Scalar::from(u128::from_le_bytes(bytes))
    }

    fn add(&mut self, coefficient: Scalar, base: Base<'_>) {
        match base {
            Base::G => self.open.g += coefficient,
            Base::H => self.open.h += coefficient,
            // Encodings are canonical: equal bytes, equal points.
            Base::Key(key) if self.key.as_ref() == Some(key) => self.open.k += coefficient,
            Base::Key(key) => {
                self.scalars.push(coefficient);
                self.points.push(*key.point());
            }
            Base::Point(point) => {
                self.scalars.push(coefficient);
                self.points.push(*point);
            }
            // Fail closed: a caller forgot to fold a sum's coefficient onto its parts.
            Base::SumFirst | Base::SumSecond => self.unfolded = true,
        }
    }
}
