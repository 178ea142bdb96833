//! The tree held as tiles: reading any stored hash from the tiles that hold it, growing the
//! tree a leaf at a time, and finding which tiles a root or a proof needs. Proofs and roots
//! themselves are `tlog_tiles`' (Go's `tlog`, ported); their positions depend only on sizes,
//! never on hash values, so a computation run once over a [`Recorder`] names the tiles to
//! load before it runs for real over [`Tiles`].

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use tlog_tiles::{Hash, HashReader, Tile, HASH_SIZE};

use super::paths::tile_width;
use super::{HEIGHT, WIDTH};

/// A tile's place: its level (hashes at tree level `8 * level`) and number.
pub type TileId = (u8, u64);

/// Why a hash could not be read from the tiles at hand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("tile {}/{} is missing or too short", .0 .0, .0 .1)]
    MissingTile(TileId),
    #[error("a tile's data is not a whole number of hashes")]
    Ragged,
    #[error("{0}")]
    Proof(String),
}

impl From<tlog_tiles::Error> for TreeError {
    fn from(e: tlog_tiles::Error) -> Self {
        TreeError::Proof(e.to_string())
    }
}

/// Tiles by place, each a run of 32-byte hashes (a partial tile is a prefix of the full one).
#[derive(Debug, Clone, Default)]
pub struct Tiles {
    data: HashMap<TileId, Vec<u8>>,
    /// The first tile a read did not find, so the caller can say which.
    missing: RefCell<Option<TileId>>,
}

impl Tiles {
    pub fn insert(&mut self, id: TileId, data: Vec<u8>) -> Result<(), TreeError> {
        if !data.len().is_multiple_of(HASH_SIZE) {
            return Err(TreeError::Ragged);
        }
        self.data.insert(id, data);
        Ok(())
    }

    pub fn get(&self, id: TileId) -> Option<&[u8]> {
        self.data.get(&id).map(Vec::as_slice)
    }

    /// The root of the tree of `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash, TreeError> {
        self.run(|r| tlog_tiles::tree_hash(size, r))
    }

    /// The hashes proving that entry `n` is in the tree of `size` entries.
    pub fn inclusion(&self, size: u64, n: u64) -> Result<Vec<Hash>, TreeError> {
        self.run(|r| tlog_tiles::prove_record(size, n, r))
    }

    /// The hashes proving that the tree of `old` entries is a prefix of the one of `size`.
    pub fn consistency(&self, size: u64, old: u64) -> Result<Vec<Hash>, TreeError> {
        self.run(|r| tlog_tiles::prove_tree(size, old, r))
    }

    fn run<T>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, tlog_tiles::Error>,
    ) -> Result<T, TreeError> {
        self.missing.replace(None);
        f(self).map_err(|e| match self.missing.take() {
            Some(id) => TreeError::MissingTile(id),
            None => e.into(),
        })
    }
}

impl HashReader for Tiles {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&x| {
                let tile = Tile::from_index(HEIGHT, x);
                let id = (tile.level(), tile.level_index());
                match self.data.get(&id) {
                    Some(d) if d.len() >= tile.width() as usize * HASH_SIZE => {
                        tile.hash_at_index(d, x)
                    }
                    _ => {
                        self.missing.borrow_mut().get_or_insert(id);
                        Err(tlog_tiles::Error::IndexesNotInTree)
                    }
                }
            })
            .collect()
    }
}

/// A reader that answers any hash with zeros and notes the tiles it was asked for.
#[derive(Default)]
pub struct Recorder {
    read: RefCell<BTreeSet<TileId>>,
}

impl HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let mut read = self.read.borrow_mut();
        for &x in indexes {
            let tile = Tile::from_index(HEIGHT, x);
            read.insert((tile.level(), tile.level_index()));
        }
        Ok(vec![Hash::default(); indexes.len()])
    }
}

/// The tiles a root, inclusion proofs of `entries` and a consistency proof from `old` read
/// in the tree of `size` entries: the ones to load before computing them over [`Tiles`].
pub fn tiles_needed(size: u64, entries: &[u64], old: Option<u64>) -> BTreeSet<TileId> {
    let r = Recorder::default();
    let _ = tlog_tiles::tree_hash(size, &r);
    for &n in entries.iter().filter(|&&n| n < size) {
        let _ = tlog_tiles::prove_record(size, n, &r);
    }
    if let Some(old) = old.filter(|&o| o >= 1 && o <= size) {
        let _ = tlog_tiles::prove_tree(size, old, &r);
        let _ = tlog_tiles::tree_hash(old, &r);
    }
    r.read.into_inner()
}

/// The right edge of the tree of `size`: the partial tile of each level, the only ones a
/// new leaf changes.
pub fn edge(size: u64) -> Vec<TileId> {
    (0..=super::paths::MAX_LEVEL)
        .filter_map(|level| {
            let items = size >> (u32::from(HEIGHT) * u32::from(level));
            let n = items / WIDTH;
            (!items.is_multiple_of(WIDTH)).then_some((level, n))
        })
        .collect()
}

/// Grows a tree leaf by leaf from its right edge, noting every tile it fills or changes.
#[derive(Debug, Clone)]
pub struct Growth {
    size: u64,
    /// The partial tile of each level, by level.
    edge: Vec<Vec<u8>>,
    /// Tiles filled on the way, with their data.
    filled: Vec<(TileId, Vec<u8>)>,
}

impl Growth {
    /// From the tree of `size` whose edge tiles are in `tiles` (as [`edge`] names them).
    pub fn new(size: u64, tiles: &Tiles) -> Result<Growth, TreeError> {
        let mut edge = Vec::new();
        for level in 0..=super::paths::MAX_LEVEL {
            let items = size >> (u32::from(HEIGHT) * u32::from(level));
            let n = items / WIDTH;
            let width = (items % WIDTH) as usize;
            let data = if width == 0 {
                Vec::new()
            } else {
                let d = tiles.get((level, n)).unwrap_or_default();
                if d.len() < width * HASH_SIZE {
                    return Err(TreeError::MissingTile((level, n)));
                }
                d[..width * HASH_SIZE].to_vec()
            };
            edge.push(data);
        }
        Ok(Growth {
            size,
            edge,
            filled: Vec::new(),
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the leaf hash of the next entry.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut index = self.size;
        for level in 0..self.edge.len() {
            let tile = &mut self.edge[level];
            tile.extend_from_slice(&hash.0);
            if tile.len() < WIDTH as usize * HASH_SIZE {
                break;
            }
            let full = std::mem::take(tile);
            hash = Tile::subtree_hash(&full);
            self.filled.push(((level as u8, index / WIDTH), full));
            index /= WIDTH;
        }
        self.size += 1;
    }

    /// Every tile this growth changed or filled, and the edge it left: what to store.
    pub fn changed(&self) -> Vec<(TileId, Vec<u8>)> {
        let mut out = self.filled.clone();
        for (level, data) in self.edge.iter().enumerate() {
            if !data.is_empty() {
                let level = level as u8;
                let items = self.size >> (u32::from(HEIGHT) * u32::from(level));
                out.push(((level, items / WIDTH), data.clone()));
            }
        }
        out
    }

    /// The tiles of the edge, for computing the root.
    pub fn tiles(&self) -> Tiles {
        let mut t = Tiles::default();
        for (id, data) in self.changed() {
            t.data.insert(id, data);
        }
        t
    }

    /// The root of the tree as grown so far.
    pub fn root(&self) -> Result<Hash, TreeError> {
        self.tiles().root(self.size)
    }
}

/// How many items tile `id` holds in a tree of `size`; 0 when the tree does not reach it.
pub fn width_in(id: TileId, size: u64) -> u32 {
    tile_width(id.0, id.1, size).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::{leaf_hash, EMPTY_HASH};

    fn entry(i: u64) -> Vec<u8> {
        format!("entry {i}").into_bytes()
    }

    /// The root computed the slow way, straight from RFC 6962's definition.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_HASH,
            1 => leaves[0],
            n => {
                // The largest power of two below n.
                let p = (n - 1).next_power_of_two();
                let k = if p < n { p } else { p / 2 };
                tlog_tiles::node_hash(reference_root(&leaves[..k]), reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn a_grown_tree_has_rfc_6962_roots_at_every_size() {
        let mut all = Tiles::default();
        let mut g = Growth::new(0, &all).expect("empty");
        let mut leaves = Vec::new();
        for size in [0u64, 1, 2, 3, 255, 256, 257, 511, 512, 700, 65_537] {
            while g.size() < size {
                let h = leaf_hash(&entry(g.size()));
                leaves.push(h);
                g.push(h);
            }
            assert_eq!(
                g.root().expect("root"),
                reference_root(&leaves),
                "size {size}"
            );
            // Start again from the stored edge, as the next run of the sequencer does.
            for (id, data) in g.changed() {
                all.insert(id, data).expect("whole hashes");
            }
            g = Growth::new(size, &all).expect("edge stored");
            assert_eq!(
                all.root(size).expect("root from tiles"),
                reference_root(&leaves)
            );
        }
        // Every entry proves into the last tree, and every earlier tree into it.
        let size = g.size();
        let root = all.root(size).expect("root");
        for n in [0, 1, 255, 256, 65_000, size - 1] {
            let proof = all.inclusion(size, n).expect("proof");
            tlog_tiles::check_record(&proof, size, root, n, leaves[n as usize]).expect("included");
        }
        for old in [1, 256, 700, 65_536] {
            let proof = all.consistency(size, old).expect("proof");
            let old_root = reference_root(&leaves[..old as usize]);
            tlog_tiles::check_tree(&proof, size, root, old, old_root).expect("consistent");
        }
    }

    #[test]
    fn the_tiles_a_proof_needs_are_named_before_it_runs() {
        let mut g = Growth::new(0, &Tiles::default()).expect("empty");
        for i in 0..1000 {
            g.push(leaf_hash(&entry(i)));
        }
        let mut all = Tiles::default();
        for (id, data) in g.changed() {
            all.insert(id, data).expect("whole");
        }
        let needed = tiles_needed(1000, &[3, 999], Some(300));
        let mut some = Tiles::default();
        for id in &needed {
            some.insert(*id, all.get(*id).expect("stored").to_vec())
                .expect("whole");
        }
        assert_eq!(some.root(1000), all.root(1000));
        assert_eq!(some.inclusion(1000, 3), all.inclusion(1000, 3));
        assert_eq!(some.consistency(1000, 300), all.consistency(1000, 300));
        assert_eq!(
            Tiles::default().root(1000),
            Err(TreeError::MissingTile((1, 0))),
            "the missing tile is named"
        );
        assert_eq!(edge(1000), vec![(0, 3), (1, 0)]);
        assert_eq!(edge(256), vec![(1, 0)]);
        assert_eq!(width_in((0, 3), 1000), 232);
    }
}
