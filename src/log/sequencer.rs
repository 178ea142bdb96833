//! The sequencer: hashes the entries appended since the last checkpoint into the tree's
//! tiles and signs a new checkpoint, at most every `[log] checkpoint_every`, one instance at
//! a time (the store takes the log's lock). Before it signs, it checks that the stored tree
//! still has, at the last checkpoint's size, the root that checkpoint signed; when it does
//! not, it signs nothing and says why.

use chrono::{DateTime, Utc};

use crate::store::log::{LogTip, Sequenced, StoredCheckpoint};
use crate::tlog::hash_text;
use crate::tlog::note::LogKey;
use crate::tlog::tree::Growth;

/// The most entries one checkpoint takes in; a longer backlog takes several turns.
pub const MAX_BATCH: u32 = 100_000;

/// What one turn does with what the store read: sign the grown tree, wait, or refuse.
pub fn decide(key: &LogKey, now: DateTime<Utc>, tip: LogTip) -> Sequenced {
    let size = tip.last.as_ref().map_or(0, |c| c.size);
    if let Some(last) = &tip.last {
        match tip.edge.root(size) {
            Ok(root) if root == last.root => {}
            Ok(root) => {
                return Sequenced::Refused(format!(
                    "the stored tree of {size} entries has the root {}, not the {} its last checkpoint signed",
                    hash_text(&root),
                    hash_text(&last.root)
                ))
            }
            Err(e) => {
                return Sequenced::Refused(format!(
                    "the stored tree of {size} entries cannot be read: {e}"
                ))
            }
        }
        if tip.leaves.is_empty() {
            return Sequenced::Idle;
        }
    }
    let mut growth = match Growth::new(size, &tip.edge) {
        Ok(g) => g,
        Err(e) => {
            return Sequenced::Refused(format!(
                "the stored tree of {size} entries cannot be grown: {e}"
            ))
        }
    };
    for (expected, (index, leaf)) in (size..).zip(&tip.leaves) {
        if *index != expected {
            return Sequenced::Refused(format!(
                "entry {expected} is missing: the next stored entry is {index}"
            ));
        }
        growth.push(*leaf);
    }
    let signed = growth.root().map_err(|e| e.to_string()).and_then(|root| {
        key.sign(growth.size(), root)
            .map(|note| (root, note))
            .map_err(|e| e.to_string())
    });
    match signed {
        Ok((root, note)) => Sequenced::Signed {
            tiles: growth.changed(),
            checkpoint: StoredCheckpoint {
                size: growth.size(),
                root,
                note,
                signed_at: now,
            },
        },
        Err(why) => Sequenced::Refused(format!("the checkpoint cannot be signed: {why}")),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::tlog::note::open;
    use crate::tlog::tree::Tiles;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0)
            .single()
            .expect("time")
    }

    fn stored(tiles: &[(crate::tlog::tree::TileId, Vec<u8>)], into: &mut Tiles) {
        for (id, data) in tiles {
            into.insert(*id, data.clone()).expect("whole hashes");
        }
    }

    #[test]
    fn each_turn_extends_the_last_checkpoint_and_refuses_a_rewritten_tree() {
        let key = LogKey::generate("status.example.ma").expect("key");
        let mut tiles = Tiles::default();
        // The first turn signs the empty tree.
        let first = decide(
            &key,
            now(),
            LogTip {
                last: None,
                edge: Tiles::default(),
                leaves: vec![],
            },
        );
        let Sequenced::Signed {
            checkpoint: empty, ..
        } = first
        else {
            panic!("{first:?}")
        };
        assert_eq!(empty.size, 0);
        assert_eq!(
            open(empty.note.as_bytes(), key.verifier_key()).map(|c| c.size),
            Ok(0)
        );
        // Nothing new: nothing signed.
        let idle = decide(
            &key,
            now(),
            LogTip {
                last: Some(empty.clone()),
                edge: Tiles::default(),
                leaves: vec![],
            },
        );
        assert_eq!(idle, Sequenced::Idle);
        // 300 entries, then 5 more from the stored edge.
        let leaf = |i: u64| (i, crate::tlog::leaf_hash(format!("e{i}").as_bytes()));
        let entries: Vec<_> = (0..300).map(leaf).collect();
        let Sequenced::Signed {
            tiles: t1,
            checkpoint: c1,
        } = decide(
            &key,
            now(),
            LogTip {
                last: Some(empty),
                edge: Tiles::default(),
                leaves: entries,
            },
        )
        else {
            panic!("signed")
        };
        assert_eq!(c1.size, 300);
        stored(&t1, &mut tiles);
        let more: Vec<_> = (300..305).map(leaf).collect();
        let Sequenced::Signed {
            tiles: t2,
            checkpoint: c2,
        } = decide(
            &key,
            now(),
            LogTip {
                last: Some(c1.clone()),
                edge: tiles.clone(),
                leaves: more.clone(),
            },
        )
        else {
            panic!("signed")
        };
        stored(&t2, &mut tiles);
        assert_eq!(tiles.consistency(305, 300).map(|p| !p.is_empty()), Ok(true));
        tlog_tiles::check_tree(
            &tiles.consistency(305, 300).expect("proof"),
            305,
            c2.root,
            300,
            c1.root,
        )
        .expect("the new tree extends the old");
        // A gap in the entries is refused.
        let gap = vec![leaf(306)];
        assert!(matches!(
            decide(&key, now(), LogTip { last: Some(c2.clone()), edge: tiles.clone(), leaves: gap }),
            Sequenced::Refused(why) if why.contains("entry 305 is missing")
        ));
        // A stored tile rewritten since: nothing is signed.
        let mut rewritten = tiles.clone();
        let mut edge = rewritten.get((0, 1)).expect("edge").to_vec();
        edge[0] ^= 1;
        rewritten.insert((0, 1), edge).expect("whole");
        assert!(matches!(
            decide(&key, now(), LogTip { last: Some(c2), edge: rewritten, leaves: more }),
            Sequenced::Refused(why) if why.contains("stored tree of 305 entries has the root")
        ));
    }
}
