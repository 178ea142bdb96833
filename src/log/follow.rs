//! Following the log: every instance reads each new checkpoint, checks its signature and
//! the entries it adds against the stored tiles, and takes them into its record (the
//! [`Replay`] the scorecard is computed from). An entry that does not hash to its place in
//! the tree is not taken in: the instance says so and keeps the last checkpoint it could
//! check.

use crate::record::replay::Replay;
use crate::store::log::StoredCheckpoint;
use crate::store::DynStore;
use crate::tlog::{leaf_hash, HASH_SIZE, WIDTH};

/// Entries read per query while catching up.
const CHUNK: u32 = 10_000;

/// What catching up found.
pub enum CaughtUp {
    /// Nothing new.
    Same,
    /// The record as of `checkpoint`, to replace the one followed so far.
    Newer(StoredCheckpoint, Box<Replay>),
    /// The database's log cannot be followed past the current record, and why.
    Trouble(String),
}

/// Reads what the latest checkpoint adds to `replay`, checked; `verifier_key` must have
/// signed it.
pub async fn catch_up(
    store: &DynStore,
    current: Option<&StoredCheckpoint>,
    replay: &Replay,
    verifier_key: &str,
) -> Result<CaughtUp, crate::store::StoreError> {
    let Some(latest) = store.latest_checkpoint().await? else {
        return Ok(CaughtUp::Same);
    };
    if current.is_some_and(|c| c.size == latest.size && c.root == latest.root) {
        return Ok(CaughtUp::Same);
    }
    match crate::tlog::note::open(latest.note.as_bytes(), verifier_key) {
        Ok(c) if c.size == latest.size && c.root == latest.root => {}
        Ok(_) => {
            return Ok(CaughtUp::Trouble(format!(
                "the stored checkpoint of {} entries does not say what its note says",
                latest.size
            )))
        }
        Err(e) => {
            return Ok(CaughtUp::Trouble(format!(
                "the stored checkpoint of {} entries: {e}",
                latest.size
            )))
        }
    }
    if latest.size < replay.size() {
        return Ok(CaughtUp::Trouble(format!(
            "the latest checkpoint holds {} entries, fewer than the {} already followed",
            latest.size,
            replay.size()
        )));
    }
    let mut next = replay.clone();
    while next.size() < latest.size {
        let from = next.size();
        let want = u32::try_from((latest.size - from).min(u64::from(CHUNK))).unwrap_or(CHUNK);
        let entries = store.log_entries(from, want).await?;
        let first_tile = from / WIDTH;
        let last_tile = (from + u64::from(want) - 1) / WIDTH;
        let ids: Vec<_> = (first_tile..=last_tile).map(|n| (0u8, n)).collect();
        let tiles = store.log_tiles(&ids).await?;
        if entries.is_empty() {
            return Ok(CaughtUp::Trouble(format!(
                "entry {from} is missing from the database, though a checkpoint holds it"
            )));
        }
        for e in entries {
            let at = (e.index % WIDTH) as usize * HASH_SIZE;
            let logged = tiles
                .get((0, e.index / WIDTH))
                .and_then(|t| t.get(at..at + HASH_SIZE));
            if logged != Some(&leaf_hash(&e.body).0[..]) {
                return Ok(CaughtUp::Trouble(format!(
                    "entry {} does not hash to its place in the tree: it was changed after it was logged",
                    e.index
                )));
            }
            if let Err(why) = next.apply(e.index, &e.body) {
                return Ok(CaughtUp::Trouble(why.to_string()));
            }
        }
    }
    Ok(CaughtUp::Newer(latest, Box::new(next)))
}
