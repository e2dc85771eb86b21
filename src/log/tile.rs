//! C2SP tlog-tiles: the tree served as fixed files of 256 hashes (log.md §3).
//!
//! A tile at level L holds consecutive tree hashes at tree level 8·L; the 7 tree
//! levels between two tile levels are recomputed from the tile's hashes. Entry
//! bundles hold the leaves' data in the same grouping as level-0 tiles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::tree::{
    leaf_hash, node_hash, split_stored_hash_index, stored_hash_index, Hash, HashReader, HASH_SIZE,
};

/// Tree levels spanned by one tile.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile (2^TILE_HEIGHT).
pub const TILE_WIDTH: u32 = 1 << TILE_HEIGHT;
/// Largest tile level a path may name (log.md §3.2).
pub const MAX_TILE_LEVEL: u8 = 63;
/// Largest entry an entry bundle can carry: its length is a big-endian u16.
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Why a tile, a tile path or an entry bundle was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TileError {
    /// A tile path does not follow log.md §3.2.
    #[error("tile path {path:?}: {reason}")]
    BadPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Tile coordinates out of range.
    #[error("tile level {level}, index {index}, width {width}: {reason}")]
    BadTile {
        /// Tile level.
        level: u8,
        /// Tile index.
        index: u64,
        /// Tile width.
        width: u32,
        /// What is wrong.
        reason: &'static str,
    },
    /// Tile data of the wrong length.
    #[error("{path}: expected {expected} bytes of data, got {got}")]
    BadTileData {
        /// The tile's path.
        path: String,
        /// Width × 32 (for hash tiles).
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// The stored hash asked for is not held by this tile.
    #[error("stored hash {index} is not in tile {path}")]
    NotInTile {
        /// Stored-hash index.
        index: u64,
        /// The tile's path.
        path: String,
    },
    /// The stored hash or tile does not exist in a tree of this size.
    #[error("stored hash {index} is not in a tree of size {tree_size}")]
    NotInTree {
        /// Stored-hash index.
        index: u64,
        /// Tree size.
        tree_size: u64,
    },
    /// A tile set was asked for a hash from a tile it has not been given.
    #[error("tile {path} has not been fetched")]
    MissingTile {
        /// The path of the missing tile.
        path: String,
    },
    /// A tile given to a tile set is not the tile of that position in its tree.
    #[error("tile {path} is not a tile of a tree of size {tree_size}")]
    TileNotInTree {
        /// The path of the tile.
        path: String,
        /// The tile set's tree size.
        tree_size: u64,
    },
    /// An entry too long for its u16 length prefix.
    #[error("entry {entry} is {len} bytes, more than the 65535 an entry bundle allows")]
    EntryTooLong {
        /// Position of the entry in the bundle.
        entry: usize,
        /// Its length.
        len: usize,
    },
    /// An entry bundle that ends inside an entry.
    #[error("entry bundle is truncated in entry {entry}")]
    TruncatedBundle {
        /// Position of the entry that is cut short.
        entry: usize,
    },
    /// An entry bundle with the wrong number of entries for its path.
    #[error("{path}: expected {expected} entries, got {got}")]
    BundleCount {
        /// The bundle's path.
        path: String,
        /// The bundle's width.
        expected: u32,
        /// Entries decoded.
        got: usize,
    },
}

/// A hash tile: `width` consecutive hashes at tree level 8·`level`, starting at
/// position 256·`index` (log.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tile {
    level: u8,
    index: u64,
    width: u32,
}

/// An entry bundle: the data of `width` consecutive leaves starting at leaf
/// 256·`index`, the data behind the level-0 tile of the same index (log.md §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryBundle {
    index: u64,
    width: u32,
}

/// log.md §3.2: N as zero-padded 3-digit groups, all but the last prefixed with `x`.
fn format_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    while n >= 1000 {
        n /= 1000;
        groups.push(format!("x{:03}", n % 1000));
    }
    groups.reverse();
    groups.join("/")
}

fn format_width(width: u32) -> String {
    if width == TILE_WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

/// Decimal with no sign, no leading zeros (except "0" itself), within `max`.
fn parse_decimal(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse::<u64>().ok().filter(|&v| v <= max)
}

/// Parses the `<N>[.p/<W>]` part of a tile or bundle path (log.md §3.2).
fn parse_index_width(full: &str, parts: &[&str]) -> Result<(u64, u32), TileError> {
    let bad = |reason| TileError::BadPath {
        path: full.to_string(),
        reason,
    };
    let (groups, width) = match parts {
        [rest @ .., last, w] if last.ends_with(".p") => {
            let w = parse_decimal(w, u64::from(TILE_WIDTH) - 1)
                .filter(|&w| w >= 1)
                .ok_or(bad(
                    "partial width must be a decimal 1 to 255 without leading zeros",
                ))?;
            let mut g = rest.to_vec();
            g.push(&last[..last.len() - 2]);
            (g, w as u32)
        }
        _ => (parts.to_vec(), TILE_WIDTH),
    };
    let Some((last, upper)) = groups.split_last() else {
        return Err(bad("missing tile index"));
    };
    let mut n: u64 = 0;
    for (i, g) in upper.iter().enumerate() {
        let digits = g
            .strip_prefix('x')
            .filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(bad("index groups before the last must be x and 3 digits"))?;
        if i == 0 && digits == "000" {
            return Err(bad("index has a leading zero group"));
        }
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(digits.parse::<u64>().unwrap_or(0)))
            .ok_or(bad("index does not fit in 64 bits"))?;
    }
    if last.len() != 3 || !last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("last index group must be 3 digits"));
    }
    n = n
        .checked_mul(1000)
        .and_then(|n| n.checked_add(last.parse::<u64>().unwrap_or(0)))
        .ok_or(bad("index does not fit in 64 bits"))?;
    Ok((n, width))
}

/// Width of tile `index` at tile level `level` in a tree of `tree_size` leaves:
/// 256 if full, the partial width at the right edge, 0 if it does not exist.
fn width_in_tree(level: u8, index: u64, tree_size: u64) -> u32 {
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    let hashes = if shift >= 64 { 0 } else { tree_size >> shift };
    let start = u128::from(index) * u128::from(TILE_WIDTH);
    let avail = u128::from(hashes).saturating_sub(start);
    avail.min(u128::from(TILE_WIDTH)) as u32
}

impl Tile {
    /// A tile; `level` ≤ 63 and 1 ≤ `width` ≤ 256.
    pub fn new(level: u8, index: u64, width: u32) -> Result<Self, TileError> {
        let bad = |reason| TileError::BadTile {
            level,
            index,
            width,
            reason,
        };
        if level > MAX_TILE_LEVEL {
            return Err(bad("level must be at most 63"));
        }
        if width == 0 || width > TILE_WIDTH {
            return Err(bad("width must be 1 to 256"));
        }
        Ok(Self {
            level,
            index,
            width,
        })
    }

    /// Tile level: the tile holds hashes of tree level 8·level.
    pub fn level(&self) -> u8 {
        self.level
    }
    /// Index of the tile within its level.
    pub fn index(&self) -> u64 {
        self.index
    }
    /// Number of hashes in the tile (256 when full).
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Whether the tile holds all 256 hashes.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The tile at (`level`, `index`) as it exists in a tree of `tree_size` leaves,
    /// or `None` if that tree has no such tile (log.md §3.1).
    pub fn in_tree(level: u8, index: u64, tree_size: u64) -> Option<Self> {
        Self::new(level, index, width_in_tree(level, index, tree_size)).ok()
    }

    /// Path of the tile: `tile/<L>/<N>[.p/<W>]` (log.md §3.2).
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}{}",
            self.level,
            format_index(self.index),
            format_width(self.width)
        )
    }

    /// Parses a tile path, accepting only the canonical form [`Tile::path`] writes.
    pub fn parse_path(path: &str) -> Result<Self, TileError> {
        let bad = |reason| TileError::BadPath {
            path: path.to_string(),
            reason,
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (level, rest) = match parts.as_slice() {
            ["tile", level, rest @ ..] => (*level, rest),
            _ => return Err(bad("must start with tile/<L>/")),
        };
        let level = parse_decimal(level, u64::from(MAX_TILE_LEVEL))
            .ok_or(bad("level must be a decimal 0 to 63 without leading zeros"))?
            as u8;
        let (index, width) = parse_index_width(path, rest)?;
        Self::new(level, index, width)
    }

    /// The smallest tile that holds the stored hash `stored_index`, and the range of
    /// tile positions whose hashes combine into it (log.md §3.3).
    fn locate(stored_index: u64) -> (u8, u64, u32, u32) {
        let (tree_level, n) = split_stored_hash_index(stored_index);
        let level = tree_level / TILE_HEIGHT;
        let r = tree_level % TILE_HEIGHT;
        // Positions at the tile's bottom level covered by the node.
        let first = u128::from(n) << r;
        let index = (first >> TILE_HEIGHT) as u64;
        let start = (first % u128::from(TILE_WIDTH)) as u32;
        (level, index, start, start + (1 << r))
    }

    /// The smallest tile holding the stored hash `stored_index` (log.md §3.3).
    pub fn for_stored_hash(stored_index: u64) -> Self {
        let (level, index, _, end) = Self::locate(stored_index);
        Self {
            level,
            index,
            width: end,
        }
    }

    /// Stored-hash indexes of every tree hash this tile holds or lets one recompute:
    /// its own hashes and the complete subtrees above them up to, not including, the
    /// next tile level (log.md §3.3).
    pub fn stored_hash_indexes(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for r in 0..TILE_HEIGHT {
            let tree_level = u32::from(self.level) * u32::from(TILE_HEIGHT) + u32::from(r);
            if tree_level > 63 {
                break;
            }
            let first = (u128::from(self.index) << TILE_HEIGHT) >> r;
            for j in 0..u128::from(self.width >> r) {
                if let Ok(n) = u64::try_from(first + j) {
                    out.push(stored_hash_index(tree_level as u8, n));
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The stored hash `stored_index`, read from this tile's `data` (log.md §3.3).
    pub fn hash_at(&self, data: &[u8], stored_index: u64) -> Result<Hash, TileError> {
        let expected = self.width as usize * HASH_SIZE;
        if data.len() != expected {
            return Err(TileError::BadTileData {
                path: self.path(),
                expected,
                got: data.len(),
            });
        }
        let (level, index, start, end) = Self::locate(stored_index);
        if level != self.level || index != self.index || end > self.width {
            return Err(TileError::NotInTile {
                index: stored_index,
                path: self.path(),
            });
        }
        let mut row: Vec<Hash> = data[start as usize * HASH_SIZE..end as usize * HASH_SIZE]
            .chunks_exact(HASH_SIZE)
            .map(|c| {
                let mut h = [0u8; HASH_SIZE];
                h.copy_from_slice(c);
                h
            })
            .collect();
        // The range is a complete subtree: hash pairs level by level.
        while row.len() > 1 {
            row = row
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
        }
        row.pop().ok_or(TileError::NotInTile {
            index: stored_index,
            path: self.path(),
        })
    }
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

impl FromStr for Tile {
    type Err = TileError;
    fn from_str(s: &str) -> Result<Self, TileError> {
        Self::parse_path(s)
    }
}

/// The tiles, as they exist in a tree of `tree_size` leaves, that a client must
/// fetch to read the stored hashes `indexes` (log.md §3.3). Sorted, no repeats.
pub fn tiles_for_indexes(tree_size: u64, indexes: &[u64]) -> Result<Vec<Tile>, TileError> {
    let mut tiles = BTreeSet::new();
    for &i in indexes {
        let need = Tile::for_stored_hash(i);
        let tile = Tile::in_tree(need.level, need.index, tree_size)
            .filter(|t| t.width >= need.width)
            .ok_or(TileError::NotInTree {
                index: i,
                tree_size,
            })?;
        tiles.insert(tile);
    }
    Ok(tiles.into_iter().collect())
}

/// Tiles a log must write when its tree grows from `old_size` to `new_size` leaves:
/// each tile of the new tree that did not exist, or was narrower, in the old tree.
pub fn new_tiles(old_size: u64, new_size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    for level in 0..=MAX_TILE_LEVEL {
        let shift = u32::from(level) * u32::from(TILE_HEIGHT);
        if shift >= 64 || new_size >> shift == 0 {
            break;
        }
        let old = old_size.min(new_size);
        // Tiles from the one holding the old edge to the one holding the new edge.
        let first = (old >> shift) / u64::from(TILE_WIDTH);
        let last = ((new_size >> shift) - 1) / u64::from(TILE_WIDTH);
        for index in first..=last {
            if let Some(t) = Tile::in_tree(level, index, new_size) {
                if width_in_tree(level, index, old) < t.width {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// Hashes of the tiles a client has fetched for one tree size, served as a
/// [`HashReader`] (log.md §3.3).
///
/// Tile contents are not authenticated here: a proof computed from them is checked
/// against a signed root, which is what catches a wrong hash.
#[derive(Clone, Debug, Default)]
pub struct TileSet {
    tree_size: u64,
    tiles: BTreeMap<(u8, u64), (Tile, Vec<u8>)>,
}

impl TileSet {
    /// An empty set for a tree of `tree_size` leaves.
    pub fn new(tree_size: u64) -> Self {
        Self {
            tree_size,
            tiles: BTreeMap::new(),
        }
    }

    /// Tree size the tiles are for.
    pub fn tree_size(&self) -> u64 {
        self.tree_size
    }

    /// Adds a fetched tile. It must be the tile of that position in this tree (full,
    /// or the partial tile of exactly this tree's width), with width × 32 bytes.
    pub fn insert(&mut self, tile: Tile, data: Vec<u8>) -> Result<(), TileError> {
        if Tile::in_tree(tile.level, tile.index, self.tree_size) != Some(tile) {
            return Err(TileError::TileNotInTree {
                path: tile.path(),
                tree_size: self.tree_size,
            });
        }
        let expected = tile.width as usize * HASH_SIZE;
        if data.len() != expected {
            return Err(TileError::BadTileData {
                path: tile.path(),
                expected,
                got: data.len(),
            });
        }
        self.tiles.insert((tile.level, tile.index), (tile, data));
        Ok(())
    }
}

impl HashReader for TileSet {
    type Error = TileError;
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TileError> {
        indexes
            .iter()
            .map(|&i| {
                let need = Tile::for_stored_hash(i);
                let (tile, data) = self.tiles.get(&(need.level, need.index)).ok_or_else(|| {
                    TileError::MissingTile {
                        path: Tile::in_tree(need.level, need.index, self.tree_size)
                            .unwrap_or(need)
                            .path(),
                    }
                })?;
                tile.hash_at(data, i)
            })
            .collect()
    }
}

impl EntryBundle {
    /// A bundle of leaves 256·`index` onwards; 1 ≤ `width` ≤ 256.
    pub fn new(index: u64, width: u32) -> Result<Self, TileError> {
        Tile::new(0, index, width).map(|t| Self {
            index: t.index,
            width: t.width,
        })
    }
    /// Index of the bundle (the same as its level-0 tile's).
    pub fn index(&self) -> u64 {
        self.index
    }
    /// Number of entries (256 when full).
    pub fn width(&self) -> u32 {
        self.width
    }
    /// The bundle of position `index` in a tree of `tree_size` leaves, if any.
    pub fn in_tree(index: u64, tree_size: u64) -> Option<Self> {
        Tile::in_tree(0, index, tree_size).map(|t| Self {
            index: t.index,
            width: t.width,
        })
    }
    /// The level-0 tile whose hashes are this bundle's leaf hashes.
    pub fn hash_tile(&self) -> Tile {
        Tile {
            level: 0,
            index: self.index,
            width: self.width,
        }
    }
    /// Path of the bundle: `tile/entries/<N>[.p/<W>]` (log.md §3.2).
    pub fn path(&self) -> String {
        format!(
            "tile/entries/{}{}",
            format_index(self.index),
            format_width(self.width)
        )
    }
    /// Parses a bundle path, accepting only the canonical form.
    pub fn parse_path(path: &str) -> Result<Self, TileError> {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["tile", "entries", rest @ ..] => {
                let (index, width) = parse_index_width(path, rest)?;
                Self::new(index, width)
            }
            _ => Err(TileError::BadPath {
                path: path.to_string(),
                reason: "must start with tile/entries/",
            }),
        }
    }
    /// Decodes this bundle's data, which must hold exactly `width` entries (log.md §3.4).
    pub fn decode(&self, data: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
        let entries = decode_entry_bundle(data)?;
        if entries.len() != self.width as usize {
            return Err(TileError::BundleCount {
                path: self.path(),
                expected: self.width,
                got: entries.len(),
            });
        }
        Ok(entries)
    }
}

impl fmt::Display for EntryBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

impl FromStr for EntryBundle {
    type Err = TileError;
    fn from_str(s: &str) -> Result<Self, TileError> {
        Self::parse_path(s)
    }
}

/// Encodes entries as a bundle: each as a big-endian u16 length, then its bytes (log.md §3.4).
pub fn encode_entry_bundle<T: AsRef<[u8]>>(entries: &[T]) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLong {
            entry: i,
            len: e.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Decodes a bundle into its entries; refuses a bundle cut inside an entry (log.md §3.4).
pub fn decode_entry_bundle(mut data: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let entry = out.len();
        let (len, rest) = match data {
            [a, b, rest @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), rest),
            _ => return Err(TileError::TruncatedBundle { entry }),
        };
        if rest.len() < len {
            return Err(TileError::TruncatedBundle { entry });
        }
        out.push(rest[..len].to_vec());
        data = &rest[len..];
    }
    Ok(out)
}

/// Level-0 tile data for entries: their leaf hashes, concatenated (log.md §3.4).
pub fn leaf_tile_data<T: AsRef<[u8]>>(entries: &[T]) -> Vec<u8> {
    entries.iter().flat_map(|e| leaf_hash(e.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::tree::{prove_record, TreeBuilder};

    #[test]
    fn paths_round_trip() {
        for (t, p) in [
            (Tile::new(0, 0, 256).unwrap(), "tile/0/000"),
            (
                Tile::new(4, 1234067, 1).unwrap(),
                "tile/4/x001/x234/067.p/1",
            ),
            (Tile::new(1, 1000, 255).unwrap(), "tile/1/x001/000.p/255"),
            (
                Tile::new(63, u64::MAX, 256).unwrap(),
                "tile/63/x018/x446/x744/x073/x709/x551/615",
            ),
        ] {
            assert_eq!(t.path(), p);
            assert_eq!(Tile::parse_path(p).unwrap(), t);
        }
        let b = EntryBundle::new(1234067, 8).unwrap();
        assert_eq!(b.path(), "tile/entries/x001/x234/067.p/8");
        assert_eq!(EntryBundle::parse_path(&b.path()).unwrap(), b);
    }

    #[test]
    fn non_canonical_paths_are_refused() {
        for p in [
            "tile/0/x000/001",
            "tile/00/001",
            "tile/64/000",
            "tile/0/1",
            "tile/0/001.p/256",
            "tile/0/001.p/0",
            "tile/0/001.p/07",
            "tile/0/001/",
            "tile/0/x001",
            "tile/+1/000",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            "tile/entries/000",
            "tiles/0/000",
            "tile/0/001.p",
            "tile/0/0a1",
        ] {
            assert!(Tile::parse_path(p).is_err(), "{p}");
        }
        assert!(EntryBundle::parse_path("tile/0/000").is_err());
        assert!(EntryBundle::parse_path("tile/entries/000.p/256").is_err());
    }

    #[test]
    fn tiles_serve_hashes_like_the_store() {
        let size = 70_000u64;
        let mut b = TreeBuilder::new();
        let mut stored = Vec::new();
        for i in 0..size {
            b.push_stored(leaf_hash(&i.to_le_bytes()), &mut stored)
                .unwrap();
        }
        let mut set = TileSet::new(size);
        // log.md §3.1 example: 273 full + 1 partial (112) at level 0, 1 full + 1
        // partial (17) at level 1, 1 partial (1) at level 2.
        let all = new_tiles(0, size);
        assert_eq!(all.len(), 274 + 2 + 1);
        assert!(all.contains(&Tile::new(0, 273, 112).unwrap()));
        assert!(all.contains(&Tile::new(1, 1, 17).unwrap()));
        assert!(all.contains(&Tile::new(2, 0, 1).unwrap()));
        for t in &all {
            let data: Vec<u8> = (0..u64::from(t.width()))
                .flat_map(|j| {
                    let level = t.level() * TILE_HEIGHT;
                    stored[stored_hash_index(level, t.index() * 256 + j) as usize]
                })
                .collect();
            for i in t.stored_hash_indexes() {
                assert_eq!(t.hash_at(&data, i).unwrap(), stored[i as usize]);
            }
            set.insert(*t, data).unwrap();
        }
        let proof = prove_record(size, 12345, &stored).unwrap();
        assert_eq!(prove_record(size, 12345, &set).unwrap(), proof);
    }

    #[test]
    fn bundles_round_trip() {
        let entries: Vec<Vec<u8>> = vec![b"".to_vec(), b"a".to_vec(), vec![7; 300]];
        let data = encode_entry_bundle(&entries).unwrap();
        assert_eq!(&data[..5], &[0, 0, 0, 1, b'a']);
        assert_eq!(decode_entry_bundle(&data).unwrap(), entries);
        assert_eq!(
            decode_entry_bundle(&data[..data.len() - 1]),
            Err(TileError::TruncatedBundle { entry: 2 })
        );
        assert_eq!(
            decode_entry_bundle(&[0]),
            Err(TileError::TruncatedBundle { entry: 0 })
        );
        assert!(encode_entry_bundle(&[vec![0u8; 65536]]).is_err());
        assert!(EntryBundle::new(0, 2).unwrap().decode(&data).is_err());
    }
}
