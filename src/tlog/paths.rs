//! C2SP tlog-tiles paths: `tile/<L>/<N>[.p/<W>]` for the hashes at level `8L`, and
//! `tile/entries/<N>[.p/<W>]` for the entries themselves. `N` is written in 3-digit path
//! elements, all but the last prefixed with `x` (1234567 is `x001/x234/567`); `.p/<W>` marks
//! a partial tile of `W` (1 to 255) items. A path has exactly one spelling.

use tlog_tiles::Tile;

use super::{HEIGHT, WIDTH};

/// Levels a 64-bit tree can reach: tiles of level 8 would sit above 2^64 entries.
pub const MAX_LEVEL: u8 = 7;

/// A tile or an entry bundle, as its path names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TilePath {
    /// `width` hashes at tree level `8 * level`, starting at `n * 256`.
    Hashes { level: u8, n: u64, width: u32 },
    /// `width` entries, starting at entry `n * 256`.
    Entries { n: u64, width: u32 },
}

impl TilePath {
    /// Reads the part after `tile/` (e.g. `0/x001/234.p/5`, `entries/000`); `None` for any
    /// other spelling.
    pub fn parse(rest: &str) -> Option<TilePath> {
        if rest.len() > 64 {
            return None;
        }
        let mut parts: Vec<&str> = rest.split('/').collect();
        let first = parts.remove(0);
        let mut width = WIDTH as u32;
        if parts.len() >= 2 && parts[parts.len() - 2].ends_with(".p") {
            let w = parts.pop()?;
            width = w.parse().ok().filter(|w| (1..WIDTH as u32).contains(w))?;
            let last = parts.len() - 1;
            parts[last] = parts[last].strip_suffix(".p")?;
        }
        let (last, upper) = parts.split_last()?;
        let mut n: u64 = 0;
        for part in upper
            .iter()
            .map(|p| p.strip_prefix('x'))
            .chain([Some(*last)])
        {
            let digits = part?;
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            n = n
                .checked_mul(1000)?
                .checked_add(digits.parse::<u64>().ok()?)?;
        }
        let tile = if first == "entries" {
            TilePath::Entries { n, width }
        } else {
            let level: u8 = first.parse().ok().filter(|l| *l <= MAX_LEVEL)?;
            TilePath::Hashes { level, n, width }
        };
        // One spelling: no leading `x000/`, no level written `00`.
        (tile.path() == rest).then_some(tile)
    }

    /// The path after `tile/`.
    pub fn path(&self) -> String {
        let go = match *self {
            TilePath::Hashes { level, n, width } => Tile::new(HEIGHT, level, n, width, false),
            TilePath::Entries { n, width } => Tile::new(HEIGHT, 0, n, width, true),
        }
        .path();
        let rest = go
            .strip_prefix(&format!("tile/{HEIGHT}/"))
            .unwrap_or(&go)
            .to_owned();
        match rest.strip_prefix("data/") {
            Some(after) => format!("entries/{after}"),
            None => rest,
        }
    }

    /// A full tile never changes: it can be cached for ever.
    pub fn is_full(&self) -> bool {
        match *self {
            TilePath::Hashes { width, .. } | TilePath::Entries { width, .. } => {
                u64::from(width) == WIDTH
            }
        }
    }

    /// The tile of `level` holding item `n / 256`, as wide as a tree of `size` makes it;
    /// `None` when the tree does not reach it.
    pub fn hashes_in(level: u8, n: u64, size: u64) -> Option<TilePath> {
        let width = tile_width(level, n, size)?;
        Some(TilePath::Hashes { level, n, width })
    }

    /// The entry bundle `n` as wide as a tree of `size` makes it.
    pub fn entries_in(n: u64, size: u64) -> Option<TilePath> {
        let width = tile_width(0, n, size)?;
        Some(TilePath::Entries { n, width })
    }
}

/// How many items tile `n` of `level` holds in a tree of `size` entries; `None` for none.
pub fn tile_width(level: u8, n: u64, size: u64) -> Option<u32> {
    if level > MAX_LEVEL {
        return None;
    }
    let items = size >> (u32::from(HEIGHT) * u32::from(level));
    let first = n.checked_mul(WIDTH)?;
    if items <= first {
        return None;
    }
    u32::try_from((items - first).min(WIDTH)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_as_c2sp_writes_them() {
        let full = TilePath::Hashes {
            level: 0,
            n: 1_234_067,
            width: 256,
        };
        assert_eq!(full.path(), "0/x001/x234/067");
        assert!(full.is_full());
        let partial = TilePath::Hashes {
            level: 1,
            n: 0,
            width: 17,
        };
        assert_eq!(partial.path(), "1/000.p/17");
        assert_eq!(TilePath::Entries { n: 5, width: 256 }.path(), "entries/005");
        assert_eq!(
            TilePath::Entries { n: 1000, width: 3 }.path(),
            "entries/x001/000.p/3"
        );
        for p in [full, partial, TilePath::Entries { n: 1000, width: 3 }] {
            assert_eq!(TilePath::parse(&p.path()), Some(p));
        }
    }

    #[test]
    fn only_the_one_spelling_is_read() {
        for bad in [
            "0/1",
            "0/001.p/0",
            "0/001.p/256",
            "0/001.p/x",
            "data/000",
            "entries/000.p/",
            "8/000",
            "0/x000/001",
            "-1/000",
            "0/000/",
            "",
            "entries",
            "0/x018/x446/x744/x073/x709/x551/616",
            "64/000",
            "00/000",
            "0/000.p/00",
        ] {
            assert_eq!(TilePath::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_tree_sets_each_tiles_width() {
        assert_eq!(tile_width(0, 0, 0), None);
        assert_eq!(tile_width(0, 0, 17), Some(17));
        assert_eq!(tile_width(0, 0, 300), Some(256));
        assert_eq!(tile_width(0, 1, 300), Some(44));
        assert_eq!(tile_width(0, 2, 300), None);
        assert_eq!(tile_width(1, 0, 300), Some(1));
        assert_eq!(tile_width(1, 0, 255), None);
        assert_eq!(tile_width(2, 0, 65_536), Some(1));
        assert_eq!(
            TilePath::entries_in(1, 300),
            Some(TilePath::Entries { n: 1, width: 44 })
        );
    }
}
