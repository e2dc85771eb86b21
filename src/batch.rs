//! Verification equations and their random linear combination.
//!
//! Spec: `protocol-spec/batch.md`. Every proof emits its verification equations as
//! `(coefficient, base)` terms into an [`EquationSink`]. An [`EquationBatch`] weights each
//! equation with an independent random 128-bit scalar, merges the coefficients of the shared
//! bases `G`, `H` and the election key `K`, and checks one vartime multiscalar multiplication
//! against the identity. Checking one proof is a batch of one.

use crate::group::{pedersen_h, G};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand::rngs::OsRng;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// A base point of a verification equation. Shared bases are merged into one term per batch.
#[derive(Clone, Copy, Debug)]
pub enum Base<'a> {
    /// The basepoint `G`.
    G,
    /// The Pedersen generator `H` (spec `encoding.md` §3).
    H,
    /// An election public key. Merged into one term when it is the batch's key; any other
    /// key is kept as its own term, so a wrong key can never be checked as the right one.
    Key(&'a RistrettoPoint),
    /// Any other point (a commitment, a ciphertext half, a trustee key).
    Point(&'a RistrettoPoint),
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

/// The random linear combination of many equations, checked by one multiscalar multiplication.
pub struct EquationBatch {
    key: Option<RistrettoPoint>,
    g: Scalar,
    h: Scalar,
    k: Scalar,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    rng: ChaCha20Rng,
}

impl EquationBatch {
    /// An empty batch that merges the terms of the election key `key` (if given). Its weights
    /// come from a ChaCha20 stream seeded by the operating system now, after the proofs to be
    /// checked are fixed.
    pub fn new(key: Option<RistrettoPoint>) -> Self {
        Self::with_capacity(key, 0)
    }

    /// As [`new`](Self::new), with room for `terms` point terms.
    pub fn with_capacity(key: Option<RistrettoPoint>, terms: usize) -> Self {
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        Self {
            key,
            g: Scalar::ZERO,
            h: Scalar::ZERO,
            k: Scalar::ZERO,
            scalars: Vec::with_capacity(terms),
            points: Vec::with_capacity(terms),
            rng: ChaCha20Rng::from_seed(seed),
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

    /// True when the weighted sum of all equations is the identity. Spec `batch.md` §2.
    pub fn holds(&self) -> bool {
        let key = self.key.unwrap_or(G);
        let shared = [self.g, self.h, self.k];
        let shared_points = [G, *pedersen_h(), key];
        let sum = RistrettoPoint::vartime_multiscalar_mul(
            shared.iter().chain(self.scalars.iter()),
            shared_points.iter().chain(self.points.iter()),
        );
        sum.is_identity()
    }

    /// Empties the batch, keeping its allocation and drawing a fresh seed.
    pub fn clear(&mut self) {
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        self.rng = ChaCha20Rng::from_seed(seed);
        self.g = Scalar::ZERO;
        self.h = Scalar::ZERO;
        self.k = Scalar::ZERO;
        self.scalars.clear();
        self.points.clear();
    }
}

impl EquationSink for EquationBatch {
    fn weight(&mut self) -> Scalar {
        // Spec batch.md §1: 128-bit weights.
        let mut bytes = [0u8; 32];
        self.rng.fill_bytes(&mut bytes[..16]);
        Scalar::from_bytes_mod_order(bytes)
    }

    fn add(&mut self, coefficient: Scalar, base: Base<'_>) {
        match base {
            Base::G => self.g += coefficient,
            Base::H => self.h += coefficient,
            Base::Key(key) if Some(*key) == self.key => self.k += coefficient,
            Base::Key(point) | Base::Point(point) => {
                self.scalars.push(coefficient);
                self.points.push(*point);
            }
        }
    }
}
