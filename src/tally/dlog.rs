//! The count from `m·G`: a bounded baby-step giant-step search (spec `tally.md` §5).

use super::share::TallyError;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys that are already uniformly random 64-bit values.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// The table key of a compressed point: bytes 1..9 of its encoding. (Byte 0 of a ristretto
/// encoding always has its low bit clear; bytes 1..9 are uniform.)
fn table_key(point: &CompressedRistretto) -> u64 {
    let mut key = [0u8; 8];
    key.copy_from_slice(&point.as_bytes()[1..9]);
    u64::from_le_bytes(key)
}

/// Points compressed together, sharing one field inversion.
const CHUNK: usize = 1024;

/// Bounded discrete logarithms base `G` by baby-step giant-step (spec `tally.md` §5).
///
/// Built once for a bound `N`: `m = ⌈√(N+1)⌉` baby steps `j·G` are stored under a 64-bit key
/// taken from their encoding; [`solve`](Self::solve) then takes at most `⌈(N+1)/m⌉` giant steps.
/// Every hit is confirmed against the full encoding, so a key collision can cost time but never
/// a wrong answer. Points are compressed in batches that share one inversion (by the
/// "double and compress" trick on halved points).
///
/// Memory: about 17–34 bytes per baby step (a `HashMap<u64, u32>`), so ≈ 0.5 MB for
/// `N = 2·10⁸` (20 million ballots × score 10) and ≈ 36 MB at [`MAX_BOUND`](Self::MAX_BOUND).
/// Time: building costs about `m` point additions and compressions; a solve at most as many
/// again. Variable time: use only on public points.
pub struct DiscreteLog {
    bound: u64,
    baby_steps: u64,
    table: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    /// Baby steps whose key collided with an earlier one (almost always empty).
    overflow: Vec<(u64, u32)>,
    /// `(m·G)/2`, the giant step on halved points.
    giant_half: RistrettoPoint,
    /// `1/2 mod ℓ`.
    half: Scalar,
}

impl DiscreteLog {
    /// The largest supported bound, `2⁴⁰` (a table of `2²⁰` baby steps).
    pub const MAX_BOUND: u64 = 1 << 40;

    /// Builds the table for counts in `0..=bound`.
    pub fn new(bound: u64) -> Result<Self, TallyError> {
        if bound > Self::MAX_BOUND {
            return Err(TallyError::BoundTooLarge {
                bound,
                max: Self::MAX_BOUND,
            });
        }
        let size = bound + 1;
        // ⌈√size⌉, exact for size ≤ 2⁴⁰ + 1.
        let mut m = (size as f64).sqrt() as u64;
        while m * m < size {
            m += 1;
        }
        while m > 1 && (m - 1) * (m - 1) >= size {
            m -= 1;
        }
        let half = Scalar::from(2u64).invert();
        let g_half = &half * RISTRETTO_BASEPOINT_TABLE;
        let mut table = HashMap::with_capacity_and_hasher(m as usize, Default::default());
        let mut overflow = Vec::new();
        // j = 0: the identity, whose encoding is all zeros.
        table.insert(table_key(&CompressedRistretto::default()), 0u32);
        let mut point = RistrettoPoint::identity();
        let mut j: u32 = 1;
        let mut halves = Vec::with_capacity(CHUNK);
        while u64::from(j) < m {
            halves.clear();
            let first = j;
            while halves.len() < CHUNK && u64::from(j) < m {
                point += g_half;
                halves.push(point);
                j += 1;
            }
            // compress(2·(j·G/2)) = compress(j·G); none of these points is the identity.
            for (k, encoding) in RistrettoPoint::double_and_compress_batch(&halves)
                .iter()
                .enumerate()
            {
                let step = first + k as u32;
                let key = table_key(encoding);
                match table.entry(key) {
                    Entry::Occupied(_) => overflow.push((key, step)),
                    Entry::Vacant(slot) => {
                        slot.insert(step);
                    }
                }
            }
        }
        Ok(Self {
            bound,
            baby_steps: m,
            table,
            overflow,
            giant_half: Scalar::from(m) * g_half,
            half,
        })
    }

    /// The bound `N` this table was built for.
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// The number of baby steps `m`.
    pub fn baby_steps(&self) -> u64 {
        self.baby_steps
    }

    /// If `giant` (the encoding of `P − i·m·G`) equals `j·G` for a stored `j`, that `j`.
    fn lookup(&self, giant: &CompressedRistretto) -> Option<u64> {
        let key = table_key(giant);
        let overflow = self
            .overflow
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, j)| j);
        self.table
            .get(&key)
            .into_iter()
            .chain(overflow)
            .map(|&j| u64::from(j))
            .find(|&j| (&Scalar::from(j) * RISTRETTO_BASEPOINT_TABLE).compress() == *giant)
    }

    /// The `m` in `0..=bound` with `point = m·G`, or `None` if there is none. Takes at most
    /// `⌈(bound+1)/baby_steps⌉` giant steps.
    pub fn solve(&self, point: &RistrettoPoint) -> Option<u64> {
        let m = self.baby_steps;
        let giant_steps = self.bound / m + 1;
        // Work on halved points: Q_i = P/2 − i·(m·G)/2, so compress(2·Q_i) = compress(P − i·m·G).
        let mut halved = self.half * point;
        let mut halves = Vec::with_capacity(CHUNK);
        let mut i = 0u64;
        while i < giant_steps {
            halves.clear();
            let first = i;
            while halves.len() < CHUNK && i < giant_steps {
                if halved.is_identity() {
                    // P = i·m·G exactly (the batch trick cannot encode the identity).
                    return self.accept(i * m);
                }
                halves.push(halved);
                halved -= self.giant_half;
                i += 1;
            }
            for (k, encoding) in RistrettoPoint::double_and_compress_batch(&halves)
                .iter()
                .enumerate()
            {
                if let Some(j) = self.lookup(encoding) {
                    return self.accept((first + k as u64) * m + j);
                }
            }
        }
        None
    }

    /// A found logarithm is unique below ℓ; it is the answer only if it is within the bound.
    fn accept(&self, value: u64) -> Option<u64> {
        (value <= self.bound).then_some(value)
    }
}

impl std::fmt::Debug for DiscreteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscreteLog")
            .field("bound", &self.bound)
            .field("baby_steps", &self.baby_steps)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::elgamal::encode_plaintext;
    use crate::crypto::group::G;

    #[test]
    fn discrete_log_small_exhaustive() {
        let table = DiscreteLog::new(2500).unwrap();
        let mut point = RistrettoPoint::identity();
        for m in 0..=2500u64 {
            assert_eq!(table.solve(&point), Some(m), "m = {m}");
            point += G;
        }
        assert_eq!(table.solve(&point), None);
    }

    #[test]
    fn discrete_log_tiny_bounds() {
        for bound in 0..6u64 {
            let table = DiscreteLog::new(bound).unwrap();
            for m in 0..=bound + 3 {
                let expected = (m <= bound).then_some(m);
                assert_eq!(
                    table.solve(&encode_plaintext(m)),
                    expected,
                    "bound {bound}, m {m}"
                );
            }
        }
    }
}
