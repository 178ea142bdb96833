//! The tree a checkpoint signs, checked from its published files: every tile of hashes
//! authenticated up to the checkpoint's root, every entry hashed into its place, and an
//! older checkpoint proven a prefix of it.

use tlog_tiles::Tile;

use super::source::Source;
use super::Report;
use crate::tlog::bundle;
use crate::tlog::note::Checkpoint;
use crate::tlog::paths::{tile_width, TilePath, MAX_LEVEL};
use crate::tlog::tree::Tiles;
use crate::tlog::{hash_text, leaf_hash, Hash, HASH_SIZE, HEIGHT, WIDTH};

/// Failures of one kind listed one by one, up to this many.
const LISTED: usize = 20;

/// A tree whose tiles and entries all check out against its checkpoint.
pub struct Verified {
    pub size: u64,
    pub root: Hash,
    pub tiles: Tiles,
    /// Every entry, in order.
    pub entries: Vec<Vec<u8>>,
}

impl Verified {
    /// Whether the tree of `size` entries with `root` is a prefix of this one.
    pub fn extends(&self, size: u64, root: Hash) -> Result<(), String> {
        if size > self.size {
            return Err(format!(
                "it holds {size} entries, more than the {} of the current checkpoint: the log was cut back",
                self.size
            ));
        }
        let ours = self.tiles.root(size).map_err(|e| e.to_string())?;
        if ours != root {
            return Err(format!(
                "the current tree's first {size} entries have the root {}, not its {}: entries were changed or removed",
                hash_text(&ours),
                hash_text(&root)
            ));
        }
        if size > 0 {
            // The same, as a consistency proof (RFC 6962) a third party can check.
            let proof = self
                .tiles
                .consistency(self.size, size)
                .map_err(|e| e.to_string())?;
            tlog_tiles::check_tree(&proof, self.size, self.root, size, root)
                .map_err(|e| format!("its consistency proof does not hold: {e}"))?;
        }
        Ok(())
    }
}

/// Reads and checks the tree `checkpoint` signs; `None` when it does not check out (each
/// failure reported).
pub async fn check(
    source: &Source,
    checkpoint: &Checkpoint,
    report: &mut Report,
) -> Option<Verified> {
    let size = checkpoint.size;
    let mut wanted = Vec::new();
    for level in 0..=MAX_LEVEL {
        let items = size >> (u32::from(HEIGHT) * u32::from(level));
        if items == 0 {
            break;
        }
        for n in 0..items.div_ceil(WIDTH) {
            if let Some(path) = TilePath::hashes_in(level, n, size) {
                wanted.push(path);
            }
        }
    }
    let mut tiles = Tiles::default();
    let mut bad = 0;
    let fetched = source
        .get_many(
            wanted
                .iter()
                .map(|p| format!("log/tile/{}", p.path()))
                .collect(),
        )
        .await;
    for (path, got) in fetched.into_iter() {
        let Some(TilePath::Hashes { level, n, width }) =
            path.strip_prefix("log/tile/").and_then(TilePath::parse)
        else {
            continue;
        };
        let problem = match got {
            Ok(Some(data)) if data.len() == width as usize * HASH_SIZE => {
                let _ = tiles.insert((level, n), data);
                continue;
            }
            Ok(Some(data)) => format!("{} bytes, not {}", data.len(), width as usize * HASH_SIZE),
            Ok(None) => "not served".to_owned(),
            Err(e) => e.0,
        };
        report.fail("tile", format!("{path}: {problem}"));
        bad += 1;
    }
    if bad > 0 {
        return None;
    }
    match tiles.root(size) {
        Ok(root) if root == checkpoint.root => {}
        Ok(root) => {
            report.fail(
                "tree",
                format!(
                    "the tiles give the root {}, the checkpoint signs {}",
                    hash_text(&root),
                    hash_text(&checkpoint.root)
                ),
            );
            return None;
        }
        Err(e) => {
            report.fail("tree", e.to_string());
            return None;
        }
    }
    // Each full tile hashes to its place in the tile above; the edge tiles made the root.
    let mut misplaced = Vec::new();
    for level in 0..MAX_LEVEL {
        let items = size >> (u32::from(HEIGHT) * u32::from(level));
        for n in 0..items / WIDTH {
            let data = tiles.get((level, n)).unwrap_or_default();
            let above = tiles.get((level + 1, n / WIDTH)).unwrap_or_default();
            let at = (n % WIDTH) as usize * HASH_SIZE;
            if above.get(at..at + HASH_SIZE) != Some(&Tile::subtree_hash(data).0[..]) {
                misplaced.push((
                    format!("tile {level}/{n}"),
                    "does not hash to its place in the tile above: it was changed".to_owned(),
                ));
            }
        }
    }
    if !misplaced.is_empty() {
        listed(report, &misplaced, "tiles were changed");
        return None;
    }
    let bundles: Vec<String> = (0..size.div_ceil(WIDTH))
        .filter_map(|n| TilePath::entries_in(n, size))
        .map(|p| format!("log/tile/{}", p.path()))
        .collect();
    let count = bundles.len();
    let mut entries = Vec::with_capacity(size as usize);
    let mut wrong = Vec::new();
    for (n, (path, got)) in source.get_many(bundles).await.into_iter().enumerate() {
        let n = n as u64;
        let width = tile_width(0, n, size).unwrap_or(0) as usize;
        let data = match got {
            Ok(Some(d)) => d,
            Ok(None) => {
                report.fail("entries", format!("{path}: not served"));
                return None;
            }
            Err(e) => {
                report.fail("entries", e.0);
                return None;
            }
        };
        let Some(items) = bundle::decode(&data).filter(|i| i.len() == width) else {
            report.fail(
                "entries",
                format!("{path}: not a bundle of {width} entries"),
            );
            return None;
        };
        let hashes = tiles.get((0, n)).unwrap_or_default();
        for (i, e) in items.iter().enumerate() {
            let index = n * WIDTH + i as u64;
            let leaf = leaf_hash(e);
            let logged = hashes.get(i * HASH_SIZE..(i + 1) * HASH_SIZE);
            if logged != Some(&leaf.0[..]) {
                wrong.push((
                    format!("entry {index}"),
                    format!(
                        "its bytes hash to {}, but the tree holds {}: it was changed after it was logged",
                        hash_text(&leaf),
                        logged.map(base64_of).unwrap_or_default()
                    ),
                ));
            }
            entries.push(e.to_vec());
        }
    }
    if !wrong.is_empty() {
        listed(
            report,
            &wrong,
            "entries were changed after they were logged",
        );
        return None;
    }
    report.ok(
        "tree",
        format!(
            "all its tiles ({}) and entries ({size}, in {count} bundles) hash to the checkpoint's root",
            count_tiles(size)
        ),
    );
    Some(Verified {
        size,
        root: checkpoint.root,
        tiles,
        entries,
    })
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn count_tiles(size: u64) -> u64 {
    (0..=MAX_LEVEL)
        .map(|l| (size >> (u32::from(HEIGHT) * u32::from(l))).div_ceil(WIDTH))
        .sum()
}

/// One failure line per item, up to [`LISTED`], then how many more.
pub fn listed(report: &mut Report, items: &[(String, String)], more: &str) {
    for (what, detail) in items.iter().take(LISTED) {
        report.fail(what, detail.clone());
    }
    if items.len() > LISTED {
        report.fail("and more", format!("{} more {more}", items.len() - LISTED));
    }
}
