//! RFC 6962 / RFC 9162 Merkle tree over SHA-256 (log.md §2).
//!
//! The tree is never held as a structure. A log keeps its *stored hashes* (every
//! complete subtree root, in the order they become complete; log.md §2.3) in any
//! store that implements [`HashReader`], and the functions here read from it what
//! they need: a tree hash, an inclusion proof, a consistency proof. Checking a proof
//! needs no store at all. [`TreeBuilder`] computes roots of a stream of leaves in
//! O(log n) memory.

use sha2::{Digest, Sha256};
use thiserror::Error;

/// Size of a SHA-256 hash in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; HASH_SIZE];

/// Root of the empty tree: SHA-256 of the empty string (log.md §2.2).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Hash of a leaf holding `data`: SHA-256(0x00 ‖ data) (log.md §2.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// Hash of an interior node: SHA-256(0x01 ‖ left ‖ right) (log.md §2.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Why a proof or a tree computation was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TreeError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof was asked from a larger tree to a smaller one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizeOrder {
        /// Old (claimed smaller) size.
        old: u64,
        /// New size.
        new: u64,
    },
    /// The proof has hashes left over after the path reached the root.
    #[error(
        "proof has more hashes than the path from the leaf to the root of a tree of size {size}"
    )]
    ProofTooLong {
        /// The tree size the proof was checked against.
        size: u64,
    },
    /// The proof ran out of hashes before reaching the root.
    #[error(
        "proof has fewer hashes than the path from the leaf to the root of a tree of size {size}"
    )]
    ProofTooShort {
        /// The tree size the proof was checked against.
        size: u64,
    },
    /// A consistency proof between two equal sizes (or from the empty tree) must be empty.
    #[error("consistency proof from size {old} to size {new} must be empty")]
    ProofNotEmpty {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
    },
    /// The hashes recomputed from the proof do not match the given root.
    #[error("the proof does not lead to the {which} root")]
    RootMismatch {
        /// `"tree"` for an inclusion proof, `"old"` or `"new"` for a consistency proof.
        which: &'static str,
    },
    /// A hash reader was asked for a hash it does not hold.
    #[error("stored hash {index} is not in the store ({stored} stored hashes)")]
    NotStored {
        /// Stored-hash index asked for.
        index: u64,
        /// How many stored hashes the store holds.
        stored: u64,
    },
    /// A hash reader answered with the wrong number of hashes.
    #[error("hash reader returned {got} hashes for {asked} indexes")]
    ReaderCount {
        /// Number of indexes asked for.
        asked: usize,
        /// Number of hashes returned.
        got: usize,
    },
    /// The tree cannot grow past 2^63 leaves (the stored-hash index would overflow).
    #[error("the tree is full")]
    TreeFull,
}

/// Error from a function that reads stored hashes: either the tree math refused,
/// or the store failed.
#[derive(Debug, Error)]
pub enum ProveError<E: std::error::Error + 'static> {
    /// The inputs or the stored hashes are inconsistent.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The store could not read the hashes.
    #[error("reading stored hashes: {0}")]
    Read(#[source] E),
}

/// Reads stored hashes by their stored-hash index (log.md §2.3).
///
/// A database table with one row per stored hash, an in-memory `Vec<Hash>` and a
/// set of fetched tiles ([`crate::log::TileSet`]) all implement it. Every function
/// here asks for all the hashes it needs in one call, sorted ascending, so a store
/// can answer with one query.
pub trait HashReader {
    /// The store's own error type.
    type Error: std::error::Error + 'static;
    /// Returns the hashes at `indexes`, in the same order, one for each index.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Self::Error>;
}

impl HashReader for [Hash] {
    type Error = TreeError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|j| self.get(j))
                    .copied()
                    .ok_or(TreeError::NotStored {
                        index: i,
                        stored: self.len() as u64,
                    })
            })
            .collect()
    }
}

impl HashReader for Vec<Hash> {
    type Error = TreeError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        self.as_slice().read_hashes(indexes)
    }
}

/// Largest leaf count the tree accepts: 2^63 (keeps every stored-hash index in u64).
pub const MAX_TREE_SIZE: u64 = 1 << 63;

/// Number of stored hashes of a tree of `size` leaves: 2·size − popcount(size) (log.md §2.3).
pub fn stored_hash_count(size: u64) -> u64 {
    // Appending leaf i stores its leaf hash plus one hash per subtree it completes,
    // i.e. 1 + trailing_ones(i); summed over i < size that is 2·size − popcount(size).
    (2 * u128::from(size) - u128::from(size.count_ones())) as u64
}

/// Stored-hash index of the node at `level` (0 = leaves) and position `n` within
/// that level (log.md §2.3).
///
/// The node becomes complete when leaf `m = (n+1)·2^level − 1` is appended, and is
/// stored `level` places after that leaf's hash. `level` must be < 64 and the node
/// must lie inside a tree of at most [`MAX_TREE_SIZE`] leaves.
pub fn stored_hash_index(level: u8, n: u64) -> u64 {
    let last_leaf = ((u128::from(n) + 1) << level) - 1;
    let before = 2 * last_leaf - u128::from(last_leaf.count_ones());
    (before + u128::from(level)) as u64
}

/// Inverse of [`stored_hash_index`]: the (level, position) of a stored hash.
pub fn split_stored_hash_index(index: u64) -> (u8, u64) {
    // Find the last leaf m whose leaf hash is stored at or before `index`; the
    // stored hashes from there up to the next leaf are m's completed ancestors.
    let count = |m: u128| 2 * m - u128::from(m.count_ones());
    let (mut lo, mut hi) = (0u128, u128::from(index) / 2 + 64);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if count(mid) <= u128::from(index) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let level = (u128::from(index) - count(lo)) as u8;
    let n = ((lo + 1) >> level) - 1;
    (level, n as u64)
}

/// The stored hashes to append when the leaf with hash `leaf` becomes leaf number
/// `n` (the tree grows from `n` to `n+1` leaves): the leaf hash, then each subtree
/// root the new leaf completes, lowest first (log.md §2.3).
pub fn stored_hashes_for_record_hash<R: HashReader + ?Sized>(
    n: u64,
    leaf: Hash,
    reader: &R,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    if n >= MAX_TREE_SIZE {
        return Err(TreeError::TreeFull.into());
    }
    // Leaf n completes one subtree per trailing one bit of n; their left halves are
    // already stored: the siblings at each level, read in ascending index order.
    let levels = n.trailing_ones() as u8;
    let mut siblings: Vec<u64> = (0..levels)
        .map(|l| stored_hash_index(l, (n >> l) - 1))
        .collect();
    siblings.reverse();
    let mut left = read_exact(reader, &siblings)?;
    left.reverse();
    let mut out = Vec::with_capacity(1 + left.len());
    let mut h = leaf;
    out.push(h);
    for sibling in &left {
        h = node_hash(sibling, &h);
        out.push(h);
    }
    Ok(out)
}

/// Same as [`stored_hashes_for_record_hash`] from the leaf's data.
pub fn stored_hashes<R: HashReader + ?Sized>(
    n: u64,
    data: &[u8],
    reader: &R,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    stored_hashes_for_record_hash(n, leaf_hash(data), reader)
}

fn read_exact<R: HashReader + ?Sized>(
    reader: &R,
    indexes: &[u64],
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = reader.read_hashes(indexes).map_err(ProveError::Read)?;
    if hashes.len() != indexes.len() {
        return Err(TreeError::ReaderCount {
            asked: indexes.len(),
            got: hashes.len(),
        }
        .into());
    }
    Ok(hashes)
}

/// Appends to `out` the stored-hash indexes of the complete subtrees that tile
/// `[lo, hi)`, left to right (log.md §2.2). `lo` must be a multiple of the smallest
/// power of two ≥ `hi − lo`, which holds for every range a proof uses.
fn subtree_indexes(mut lo: u64, hi: u64, out: &mut Vec<u64>) {
    while lo < hi {
        // Largest aligned power of two starting at lo that fits in the range.
        let fit = 63 - (hi - lo).leading_zeros();
        let level = if lo == 0 {
            fit
        } else {
            fit.min(lo.trailing_zeros())
        };
        out.push(stored_hash_index(level as u8, lo >> level));
        lo += 1 << level;
    }
}

/// Hash of consecutive complete subtrees, left to right: fold from the right, which
/// is how RFC 6962 splits a range (largest power of two on the left).
fn fold_subtrees(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    match iter.next() {
        None => EMPTY_ROOT,
        Some(last) => iter.fold(*last, |acc, h| node_hash(h, &acc)),
    }
}

/// Reads the hashes of the ranges `[lo, hi)` in one store call and returns one hash per range.
fn range_hashes<R: HashReader + ?Sized>(
    ranges: &[(u64, u64)],
    reader: &R,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    let mut indexes = Vec::new();
    let mut bounds = Vec::with_capacity(ranges.len());
    for &(lo, hi) in ranges {
        let start = indexes.len();
        subtree_indexes(lo, hi, &mut indexes);
        bounds.push(start..indexes.len());
    }
    // Ask the store for sorted, distinct indexes, then map back.
    let mut sorted = indexes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    let hashes = read_exact(reader, &sorted)?;
    let lookup = |i: &u64| -> Result<Hash, TreeError> {
        sorted
            .binary_search(i)
            .ok()
            .and_then(|p| hashes.get(p))
            .copied()
            .ok_or(TreeError::ReaderCount {
                asked: sorted.len(),
                got: hashes.len(),
            })
    };
    let mut out = Vec::with_capacity(ranges.len());
    for b in bounds {
        let parts = indexes[b]
            .iter()
            .map(lookup)
            .collect::<Result<Vec<_>, _>>()?;
        out.push(fold_subtrees(&parts));
    }
    Ok(out)
}

/// Root hash of the tree of the first `size` leaves (log.md §2.2).
pub fn tree_hash<R: HashReader + ?Sized>(
    size: u64,
    reader: &R,
) -> Result<Hash, ProveError<R::Error>> {
    if size > MAX_TREE_SIZE {
        return Err(TreeError::TreeFull.into());
    }
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    Ok(range_hashes(&[(0, size)], reader)?[0])
}

/// Largest power of two strictly below `n` (n ≥ 2): RFC 6962's split point.
fn split_point(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Ranges whose hashes form the inclusion proof of `index` in `[lo, hi)`, leaf side first.
fn inclusion_ranges(index: u64, lo: u64, hi: u64, out: &mut Vec<(u64, u64)>) {
    if hi - lo <= 1 {
        return;
    }
    let k = split_point(hi - lo);
    if index < lo + k {
        inclusion_ranges(index, lo, lo + k, out);
        out.push((lo + k, hi));
    } else {
        inclusion_ranges(index, lo + k, hi, out);
        out.push((lo, lo + k));
    }
}

/// Inclusion proof that leaf `index` is in the tree of `size` leaves (log.md §2.4):
/// the sibling hashes on the path from the leaf to the root, leaf side first.
/// At most ⌈log2 size⌉ hashes.
pub fn prove_record<R: HashReader + ?Sized>(
    size: u64,
    index: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    if size > MAX_TREE_SIZE {
        return Err(TreeError::TreeFull.into());
    }
    if index >= size {
        return Err(TreeError::IndexOutOfRange { index, size }.into());
    }
    let mut ranges = Vec::new();
    inclusion_ranges(index, 0, size, &mut ranges);
    range_hashes(&ranges, reader)
}

/// Checks an inclusion proof (log.md §2.4): that `leaf` is leaf number `index` of the
/// tree of `size` leaves whose root is `root`.
pub fn check_record(
    proof: &[Hash],
    size: u64,
    root: &Hash,
    index: u64,
    leaf: &Hash,
) -> Result<(), TreeError> {
    if index >= size {
        return Err(TreeError::IndexOutOfRange { index, size });
    }
    // fn walks the leaf's position up the tree, sn the last position at that level.
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(TreeError::ProofTooLong { size });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            // A right-edge node with no sibling at some levels is promoted unchanged.
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(TreeError::ProofTooShort { size });
    }
    if &r != root {
        return Err(TreeError::RootMismatch { which: "tree" });
    }
    Ok(())
}

/// Ranges whose hashes form the consistency proof from `old` leaves within `[lo, hi)`.
/// `whole` is true while `[lo, old)` is the whole old tree, whose root the verifier has.
fn consistency_ranges(old: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<(u64, u64)>) {
    if old == hi {
        if !whole {
            out.push((lo, hi));
        }
        return;
    }
    let k = split_point(hi - lo);
    if old <= lo + k {
        consistency_ranges(old, lo, lo + k, whole, out);
        out.push((lo + k, hi));
    } else {
        consistency_ranges(old, lo + k, hi, false, out);
        out.push((lo, lo + k));
    }
}

/// Consistency proof that the tree of `old_size` leaves is a prefix of the tree of
/// `new_size` leaves (log.md §2.5). Empty when the sizes are equal or `old_size` is 0.
pub fn prove_tree<R: HashReader + ?Sized>(
    new_size: u64,
    old_size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    if new_size > MAX_TREE_SIZE {
        return Err(TreeError::TreeFull.into());
    }
    if old_size > new_size {
        return Err(TreeError::SizeOrder {
            old: old_size,
            new: new_size,
        }
        .into());
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    consistency_ranges(old_size, 0, new_size, true, &mut ranges);
    range_hashes(&ranges, reader)
}

/// Checks a consistency proof (log.md §2.5): that the tree of `old_size` leaves with
/// root `old_root` is a prefix of the tree of `new_size` leaves with root `new_root`.
pub fn check_tree(
    proof: &[Hash],
    new_size: u64,
    new_root: &Hash,
    old_size: u64,
    old_root: &Hash,
) -> Result<(), TreeError> {
    if old_size > new_size {
        return Err(TreeError::SizeOrder {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        // The empty tree is a prefix of every tree; equal sizes must have equal roots.
        if !proof.is_empty() {
            return Err(TreeError::ProofNotEmpty {
                old: old_size,
                new: new_size,
            });
        }
        if old_size == 0 && old_root != &EMPTY_ROOT {
            return Err(TreeError::RootMismatch { which: "old" });
        }
        if old_size == new_size && old_root != new_root {
            return Err(TreeError::RootMismatch { which: "new" });
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(TreeError::ProofTooShort { size: new_size });
    }
    // When the old tree is a complete subtree of the new one, its root is the start
    // of the path and the prover leaves it out.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof.iter());
    let (first, rest) = match path.split_first() {
        Some(x) => x,
        None => return Err(TreeError::ProofTooShort { size: new_size }),
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    // Skip the levels where the old tree's last node is a right child of a node
    // that lies wholly inside the old tree.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (**first, **first);
    for c in rest {
        if sn == 0 {
            return Err(TreeError::ProofTooLong { size: new_size });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(TreeError::ProofTooShort { size: new_size });
    }
    if &fr != old_root {
        return Err(TreeError::RootMismatch { which: "old" });
    }
    if &sr != new_root {
        return Err(TreeError::RootMismatch { which: "new" });
    }
    Ok(())
}

/// Incremental root computation over a stream of leaves in O(log n) memory
/// (log.md §2.6).
///
/// It keeps the roots of the complete subtrees that make up the tree so far (one per
/// set bit of the size, largest first: at most 64 hashes). A verifier feeds it leaf
/// hashes in order and reads the root at any size; a log feeds it and writes out
/// the stored hashes each leaf produces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeBuilder {
    size: u64,
    frontier: Vec<Hash>,
}

impl TreeBuilder {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes a tree of `size` leaves from a store: reads the roots of its complete
    /// subtrees.
    pub fn resume<R: HashReader + ?Sized>(
        size: u64,
        reader: &R,
    ) -> Result<Self, ProveError<R::Error>> {
        if size > MAX_TREE_SIZE {
            return Err(TreeError::TreeFull.into());
        }
        let mut indexes = Vec::new();
        subtree_indexes(0, size, &mut indexes);
        let frontier = read_exact(reader, &indexes)?;
        Ok(Self { size, frontier })
    }

    /// Number of leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Roots of the complete subtrees of the tree so far, largest (leftmost) first.
    pub fn frontier(&self) -> &[Hash] {
        &self.frontier
    }

    /// Appends a leaf by its leaf hash.
    pub fn push(&mut self, leaf: Hash) -> Result<(), TreeError> {
        self.push_inner(leaf, |_| {})
    }

    /// Appends a leaf by its leaf hash and appends to `stored` the stored hashes it
    /// produces (the same as [`stored_hashes_for_record_hash`], without a store).
    pub fn push_stored(&mut self, leaf: Hash, stored: &mut Vec<Hash>) -> Result<(), TreeError> {
        self.push_inner(leaf, |h| stored.push(h))
    }

    fn push_inner(&mut self, leaf: Hash, mut emit: impl FnMut(Hash)) -> Result<(), TreeError> {
        if self.size >= MAX_TREE_SIZE {
            return Err(TreeError::TreeFull);
        }
        let mut h = leaf;
        emit(h);
        // Each trailing one bit of the old size is a same-sized subtree to merge with.
        for _ in 0..self.size.trailing_ones() {
            let left = self.frontier.pop().ok_or(TreeError::TreeFull)?;
            h = node_hash(&left, &h);
            emit(h);
        }
        self.frontier.push(h);
        self.size += 1;
        Ok(())
    }

    /// Root of the tree so far.
    pub fn root(&self) -> Hash {
        fold_subtrees(&self.frontier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_for(n: u64) -> Vec<Hash> {
        let mut b = TreeBuilder::new();
        let mut s = Vec::new();
        for i in 0..n {
            b.push_stored(leaf_hash(&i.to_be_bytes()), &mut s).unwrap();
        }
        s
    }

    /// The RFC 6962 definition, recursively, straight from the leaves.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest(b"")));
    }

    #[test]
    fn stored_index_layout() {
        // log.md §2.3 table.
        let order = [
            (0, 0),
            (0, 1),
            (1, 0),
            (0, 2),
            (0, 3),
            (1, 1),
            (2, 0),
            (0, 4),
        ];
        for (i, &(l, n)) in order.iter().enumerate() {
            assert_eq!(stored_hash_index(l, n), i as u64);
            assert_eq!(split_stored_hash_index(i as u64), (l, n));
        }
        for i in 0..5000u64 {
            let (l, n) = split_stored_hash_index(i);
            assert_eq!(stored_hash_index(l, n), i);
        }
        for n in 0..300u64 {
            assert_eq!(stored_hash_count(n), stored_for(n).len() as u64);
        }
        let big = (1u64 << 62) + 12345;
        let (l, n) = split_stored_hash_index(big);
        assert_eq!(stored_hash_index(l, n), big);
    }

    #[test]
    fn builder_matches_store_and_definition() {
        let stored = stored_for(100);
        let leaves: Vec<Hash> = (0..100u64).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut b = TreeBuilder::new();
        for (i, leaf) in leaves.iter().enumerate() {
            let from_store = stored_hashes_for_record_hash(i as u64, *leaf, &stored).unwrap();
            let start = stored_hash_count(i as u64) as usize;
            assert_eq!(from_store, stored[start..start + from_store.len()]);
            b.push(*leaf).unwrap();
            let size = i as u64 + 1;
            assert_eq!(b.root(), mth(&leaves[..=i]));
            assert_eq!(tree_hash(size, &stored).unwrap(), b.root());
            assert_eq!(TreeBuilder::resume(size, &stored).unwrap(), b);
        }
    }

    #[test]
    fn proofs_check_for_all_small_trees() {
        let stored = stored_for(40);
        for size in 1..=40u64 {
            let root = tree_hash(size, &stored).unwrap();
            for index in 0..size {
                let p = prove_record(size, index, &stored).unwrap();
                assert!(p.len() <= 64 - (size - 1).leading_zeros() as usize);
                let leaf = leaf_hash(&index.to_be_bytes());
                check_record(&p, size, &root, index, &leaf).unwrap();
            }
            for old in 0..=size {
                let old_root = tree_hash(old, &stored).unwrap();
                let p = prove_tree(size, old, &stored).unwrap();
                check_tree(&p, size, &root, old, &old_root).unwrap();
            }
        }
    }

    #[test]
    fn bad_inputs_are_named() {
        let stored = stored_for(5);
        assert_eq!(
            prove_record(5, 5, &stored).unwrap_err().to_string(),
            "leaf index 5 is not below tree size 5"
        );
        assert!(matches!(
            prove_tree(3, 4, &stored),
            Err(ProveError::Tree(TreeError::SizeOrder { old: 4, new: 3 }))
        ));
        assert!(matches!(
            tree_hash(9, &stored),
            Err(ProveError::Read(TreeError::NotStored { .. }))
        ));
    }
}
