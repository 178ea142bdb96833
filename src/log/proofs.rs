//! An incident's entries with their inclusion proofs in the latest checkpoint, read from
//! the stored tiles and checked before they are shown: the incident page and its evidence
//! pack rest on these.

use crate::store::log::{LogEntry, StoredCheckpoint};
use crate::store::{DynStore, StoreResult};
use crate::tlog::tree::tiles_needed;
use crate::tlog::{leaf_hash, Hash};

/// One entry with the hashes that prove it is in the checkpoint's tree.
#[derive(Debug, Clone)]
pub struct ProvenEntry {
    pub entry: LogEntry,
    pub proof: Vec<Hash>,
    /// Whether the proof holds for the entry as stored now: false when the entry or the
    /// tiles were changed after it was logged.
    pub holds: bool,
}

/// An incident's place in the log.
#[derive(Debug, Clone)]
pub struct IncidentLog {
    pub checkpoint: StoredCheckpoint,
    /// Its entries in the checkpoint's tree.
    pub proven: Vec<ProvenEntry>,
    /// Its entries appended since, not yet in a checkpoint.
    pub pending: Vec<LogEntry>,
}

/// Incident `id`'s entries proven against `checkpoint`.
pub async fn incident_log(
    store: &DynStore,
    checkpoint: StoredCheckpoint,
    id: i64,
) -> StoreResult<IncidentLog> {
    let entries = store.incident_entries(id).await?;
    let size = checkpoint.size;
    let (inside, pending): (Vec<LogEntry>, Vec<LogEntry>) =
        entries.into_iter().partition(|e| e.index < size);
    let indexes: Vec<u64> = inside.iter().map(|e| e.index).collect();
    let needed: Vec<_> = tiles_needed(size, &indexes, None).into_iter().collect();
    let tiles = store.log_tiles(&needed).await?;
    let proven = inside
        .into_iter()
        .map(|entry| {
            let proof = tiles.inclusion(size, entry.index).unwrap_or_default();
            let holds = tlog_tiles::check_record(
                &proof,
                size,
                checkpoint.root,
                entry.index,
                leaf_hash(&entry.body),
            )
            .is_ok();
            ProvenEntry {
                entry,
                proof,
                holds,
            }
        })
        .collect();
    Ok(IncidentLog {
        checkpoint,
        proven,
        pending,
    })
}
