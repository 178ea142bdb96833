//! The log of published facts: each fact's transaction appends its entry (see
//! `sql/log.rs`), and the sequencer grows the Merkle tree over them, kept as C2SP tiles, and
//! signs a checkpoint of it, one writer at a time whatever the number of instances.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::tlog::tree::{TileId, Tiles};
use crate::tlog::Hash;

/// One entry of the log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its place in the log, from 0.
    pub index: u64,
    /// Its `type`.
    pub kind: String,
    pub incident_id: Option<i64>,
    pub update_id: Option<i64>,
    /// The canonical JSON, as hashed into the tree.
    pub body: Vec<u8>,
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCheckpoint {
    /// Entries in the tree it signs.
    pub size: u64,
    pub root: Hash,
    /// The signed note, as served at `/log/checkpoint`.
    pub note: String,
    pub signed_at: DateTime<Utc>,
}

/// What the sequencer sees inside its transaction.
#[derive(Debug, Clone)]
pub struct LogTip {
    /// The last checkpoint signed, if any.
    pub last: Option<StoredCheckpoint>,
    /// The stored tiles of the right edge of the last checkpoint's tree.
    pub edge: Tiles,
    /// The entries appended after it, in order, from its size on: each index with its leaf
    /// hash (the bytes are hashed as they are read, so a long backlog costs little memory).
    pub leaves: Vec<(u64, Hash)>,
}

/// What the sequencer decided, and the store did.
#[derive(Debug, Clone, PartialEq)]
pub enum Sequenced {
    /// Nothing new, or the last checkpoint is too fresh.
    Idle,
    /// The stored tree does not extend the last checkpoint: nothing was signed.
    Refused(String),
    /// The tiles that changed and the new checkpoint, stored together.
    Signed {
        tiles: Vec<(TileId, Vec<u8>)>,
        checkpoint: StoredCheckpoint,
    },
}

/// The sequencer's decision, made inside the store's transaction from what it read.
pub type Decide<'a> = dyn Fn(LogTip) -> Sequenced + Send + Sync + 'a;

#[async_trait]
pub trait LogStore: Send + Sync {
    /// Appends an entry for every fact stored before the log existed, in the order they
    /// were written, while the log is still empty; the number appended.
    async fn backfill_log(&self) -> StoreResult<u64>;

    /// One turn of the sequencer, in one transaction under the log's lock: reads the last
    /// checkpoint, its edge tiles and up to `max_entries` entries after it, lets `decide`
    /// judge, and stores what it signed. Idle without asking when the last checkpoint was
    /// signed after `fresh_after` (another instance signed it moments ago).
    async fn sequence_log(
        &self,
        max_entries: u32,
        fresh_after: DateTime<Utc>,
        decide: &Decide<'_>,
    ) -> StoreResult<Sequenced>;

    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>>;

    /// The last checkpoint signed before `t`.
    async fn checkpoint_before(&self, t: DateTime<Utc>) -> StoreResult<Option<StoredCheckpoint>>;

    /// The stored tiles among `ids` (missing ones are left out).
    async fn log_tiles(&self, ids: &[TileId]) -> StoreResult<Tiles>;

    /// Up to `limit` entries from `from` on, in order.
    async fn log_entries(&self, from: u64, limit: u32) -> StoreResult<Vec<LogEntry>>;

    /// The entries about one incident, in order.
    async fn incident_entries(&self, incident_id: i64) -> StoreResult<Vec<LogEntry>>;

    /// Entries appended so far, signed or not.
    async fn log_appended(&self) -> StoreResult<u64>;
}
