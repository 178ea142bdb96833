//! The log's SQL: the append every fact's transaction makes, the sequencer's turn, and the
//! reads the tiles, the evidence and the followers need.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::super::{Backend, Db, DbRow};
use super::Tx;
use crate::domain::fact::{
    Affected, CorrectionFact, FactKind, IncidentFact, StatementFact, Step, WindowFact,
    STATEMENT_RECORDED, UPDATE_CORRECTED,
};
use crate::domain::{Channel, IncidentKind, IncidentState, Names, Source};
use crate::store::decode::{get, names, parse, time, time_opt, word};
use crate::store::log::{Decide, LogEntry, LogStore, LogTip, Sequenced, StoredCheckpoint};
use crate::store::{from_ms, to_ms, Lock, StoreError, StoreResult};
use crate::tlog::bundle::MAX_ENTRY;
use crate::tlog::tree::{edge, TileId, Tiles};
use crate::tlog::{leaf_hash, Hash, HASH_SIZE};

/// Appends one entry with the next number, inside the transaction that writes its fact.
/// Numbers follow commit order with no gap: the head row stays locked until the commit.
pub(super) async fn append(
    tx: &mut Tx,
    kind: &str,
    incident: Option<i64>,
    update: Option<i64>,
    body: &[u8],
) -> StoreResult<u64> {
    if body.len() > MAX_ENTRY {
        return Err(StoreError::Malformed(format!(
            "a {kind} fact of {} bytes is too long for the log (at most {MAX_ENTRY})",
            body.len()
        )));
    }
    let index: i64 = sqlx::query_scalar("UPDATE log_head SET size = size + 1 RETURNING size - 1")
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO log_entries (idx, kind, incident_id, update_id, body) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(index)
    .bind(kind)
    .bind(incident)
    .bind(update)
    .bind(body)
    .execute(&mut *tx)
    .await?;
    Ok(index as u64)
}

/// A timeline entry (or a change without one) as the log records it.
pub(super) struct Written<'a> {
    pub update: Option<i64>,
    pub at: DateTime<Utc>,
    pub state: IncidentState,
    pub source: Source,
    pub message: &'a Names,
    /// The incident's title as of the entry, when it is not the current one (a backfill).
    pub title: Option<&'a Names>,
}

/// Appends the entry of a change to incident `id`, read back as it stands in `tx` after it.
pub(super) async fn append_incident(
    tx: &mut Tx,
    id: i64,
    step: Step,
    w: &Written<'_>,
) -> StoreResult<u64> {
    let row = sqlx::query(
        "SELECT kind, title_ar, title_fr, title_en, started_at, created_at, overrun_of \
         FROM incidents WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let kind: IncidentKind = word(&row, "kind")?;
    let mut affected = Vec::new();
    for s in sqlx::query(
        "SELECT bank, channel FROM incident_scopes WHERE incident_id = $1 ORDER BY bank, channel",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?
    {
        affected.push(Affected {
            bank: get(&s, "bank")?,
            channel: word(&s, "channel")?,
        });
    }
    let window = match sqlx::query(
        "SELECT starts, ends, source_url, cancelled_at FROM maintenance_windows \
         WHERE incident_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    {
        Some(w) => Some(WindowFact {
            starts: time(&w, "starts")?,
            ends: time(&w, "ends")?,
            source_url: get(&w, "source_url")?,
            cancelled_at: time_opt(&w, "cancelled_at")?,
        }),
        None => None,
    };
    let fact = IncidentFact {
        fact: FactKind::of(kind, w.state, step),
        incident: id,
        update: w.update,
        kind,
        state: w.state,
        // As stored: to the millisecond.
        at: from_ms(to_ms(w.at)),
        source: w.source,
        message: w.message.clone(),
        title: match w.title {
            Some(t) if !t.is_empty() => t.clone(),
            _ => names(&row, "title")?,
        },
        affected,
        started_at: time(&row, "started_at")?,
        recorded_at: matches!(step, Step::Opened)
            .then(|| time(&row, "created_at"))
            .transpose()?,
        overrun_of: get(&row, "overrun_of")?,
        window,
    };
    append(tx, fact.fact.as_str(), Some(id), w.update, &fact.to_entry()).await
}

/// Appends the entry of correction `id`, read back as it stands in `tx`.
pub(super) async fn append_correction(tx: &mut Tx, id: i64) -> StoreResult<u64> {
    let row = sqlx::query(
        "SELECT incident_id, update_id, at, message_ar, message_fr, message_en \
         FROM update_corrections WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let fact = CorrectionFact {
        fact: UPDATE_CORRECTED.to_owned(),
        correction: id,
        incident: get(&row, "incident_id")?,
        update: get(&row, "update_id")?,
        at: time(&row, "at")?,
        message: names(&row, "message")?,
    };
    append(
        tx,
        UPDATE_CORRECTED,
        Some(fact.incident),
        Some(fact.update),
        &fact.to_entry(),
    )
    .await
}

/// Appends the entry of statement `id`, read back as it stands in `tx`.
pub(super) async fn append_statement(tx: &mut Tx, id: i64) -> StoreResult<u64> {
    let row = sqlx::query(
        "SELECT bank, channels, words_ar, words_fr, words_en, translation_ar, translation_fr, \
         translation_en, source_url, source_kind, said_at, expected_back_at, recorded_at \
         FROM statements WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let listed: String = get(&row, "channels")?;
    let mut channels = listed
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| parse::<Channel>(c, "statement channel"))
        .collect::<StoreResult<Vec<_>>>()?;
    channels.sort();
    channels.dedup();
    let incidents: Vec<i64> = sqlx::query_scalar(
        "SELECT incident_id FROM statement_incidents WHERE statement_id = $1 ORDER BY incident_id",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let fact = StatementFact {
        fact: STATEMENT_RECORDED.to_owned(),
        statement: id,
        bank: get(&row, "bank")?,
        channels,
        words: names(&row, "words")?,
        translations: names(&row, "translation")?,
        source_url: get(&row, "source_url")?,
        source_kind: word(&row, "source_kind")?,
        said_at: time(&row, "said_at")?,
        expected_back_at: time_opt(&row, "expected_back_at")?,
        recorded_at: time(&row, "recorded_at")?,
        incidents,
    };
    append(tx, STATEMENT_RECORDED, None, None, &fact.to_entry()).await
}

fn checkpoint_from(row: &DbRow) -> StoreResult<StoredCheckpoint> {
    let root: Vec<u8> = get(row, "root")?;
    let root: [u8; HASH_SIZE] = root
        .try_into()
        .map_err(|_| StoreError::Malformed("a checkpoint's root is not 32 bytes".to_owned()))?;
    Ok(StoredCheckpoint {
        size: get::<i64, _>(row, "size")? as u64,
        root: Hash(root),
        note: get(row, "note")?,
        signed_at: time(row, "signed_at")?,
    })
}

fn entry_from(row: &DbRow) -> StoreResult<LogEntry> {
    Ok(LogEntry {
        index: get::<i64, _>(row, "idx")? as u64,
        kind: get(row, "kind")?,
        incident_id: get(row, "incident_id")?,
        update_id: get(row, "update_id")?,
        body: get(row, "body")?,
    })
}

const CHECKPOINT_COLUMNS: &str = "size, root, note, signed_at";
const ENTRY_COLUMNS: &str = "idx, kind, incident_id, update_id, body";

async fn tiles_in<'e, E>(db: E, ids: &[TileId]) -> StoreResult<Tiles>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let mut tiles = Tiles::default();
    if ids.is_empty() {
        return Ok(tiles);
    }
    let mut q: QueryBuilder<Db> =
        QueryBuilder::new("SELECT level, n, hashes FROM log_tiles WHERE ");
    for (i, (level, n)) in ids.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push("(level = ")
            .push_bind(i64::from(*level))
            .push(" AND n = ")
            .push_bind(*n as i64)
            .push(")");
    }
    for row in q.build().fetch_all(db).await? {
        let level: i64 = get(&row, "level")?;
        let n: i64 = get(&row, "n")?;
        tiles
            .insert((level as u8, n as u64), get(&row, "hashes")?)
            .map_err(|e| StoreError::Malformed(format!("tile {level}/{n}: {e}")))?;
    }
    Ok(tiles)
}

/// Rows read per query when tiles are asked for by the hundred.
const TILE_CHUNK: usize = 100;
/// Entries the sequencer reads per query, hashing each as it goes.
const READ_CHUNK: usize = 5_000;

#[async_trait]
impl LogStore for Backend {
    async fn backfill_log(&self) -> StoreResult<u64> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        let size: i64 = sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1")
            .fetch_one(&mut tx)
            .await?;
        if size > 0 {
            return Ok(0);
        }
        let updates = sqlx::query(
            "SELECT u.id AS id, u.incident_id AS incident_id, u.at AS at, u.state AS state, \
             u.source AS source, u.message_ar AS message_ar, u.message_fr AS message_fr, \
             u.message_en AS message_en, u.title_ar AS title_ar, u.title_fr AS title_fr, \
             u.title_en AS title_en, i.reopens AS reopens, w.cancelled_at AS cancelled_at \
             FROM incident_updates u JOIN incidents i ON i.id = u.incident_id \
             LEFT JOIN maintenance_windows w ON w.incident_id = u.incident_id ORDER BY u.id",
        )
        .fetch_all(&mut tx)
        .await?;
        // The state each incident was left in by its entries so far.
        let mut last: std::collections::HashMap<i64, IncidentState> = Default::default();
        let mut appended = 0;
        for u in &updates {
            let incident: i64 = get(u, "incident_id")?;
            let state: IncidentState = word(u, "state")?;
            let at = time(u, "at")?;
            let reopens: i64 = get(u, "reopens")?;
            let step = match last.get(&incident) {
                None => Step::Opened,
                Some(prev) if prev.is_closed() && !state.is_closed() && reopens > 0 => {
                    Step::Reopened
                }
                Some(_)
                    if state == IncidentState::Completed
                        && time_opt(u, "cancelled_at")? == Some(at) =>
                {
                    Step::Cancelled
                }
                Some(_) => Step::Update,
            };
            last.insert(incident, state);
            let (message, title) = (names(u, "message")?, names(u, "title")?);
            append_incident(
                &mut tx,
                incident,
                step,
                &Written {
                    update: Some(get(u, "id")?),
                    at,
                    state,
                    source: word(u, "source")?,
                    message: &message,
                    title: Some(&title),
                },
            )
            .await?;
            appended += 1;
        }
        let statements: Vec<i64> = sqlx::query_scalar("SELECT id FROM statements ORDER BY id")
            .fetch_all(&mut tx)
            .await?;
        for id in statements {
            append_statement(&mut tx, id).await?;
            appended += 1;
        }
        let corrections: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM update_corrections ORDER BY id")
                .fetch_all(&mut tx)
                .await?;
        for id in corrections {
            append_correction(&mut tx, id).await?;
            appended += 1;
        }
        self.commit(tx).await?;
        Ok(appended)
    }

    async fn sequence_log(
        &self,
        max_entries: u32,
        fresh_after: DateTime<Utc>,
        decide: &Decide<'_>,
    ) -> StoreResult<Sequenced> {
        let mut tx = self.begin_write(Lock::Log).await?;
        let last = sqlx::query(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM log_checkpoints ORDER BY size DESC LIMIT 1"
        ))
        .fetch_optional(&mut tx)
        .await?
        .map(|r| checkpoint_from(&r))
        .transpose()?;
        if last.as_ref().is_some_and(|c| c.signed_at > fresh_after) {
            return Ok(Sequenced::Idle);
        }
        let size = last.as_ref().map_or(0, |c| c.size);
        let edge = tiles_in(&mut tx, &edge(size)).await?;
        let mut leaves: Vec<(u64, Hash)> = Vec::new();
        let mut from = size;
        while leaves.len() < max_entries as usize {
            let want = (max_entries as usize - leaves.len()).min(READ_CHUNK);
            let rows = sqlx::query(
                "SELECT idx, body FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2",
            )
            .bind(from as i64)
            .bind(want as i64)
            .fetch_all(&mut tx)
            .await?;
            let Some(last) = rows.last() else { break };
            from = get::<i64, _>(last, "idx")? as u64 + 1;
            for r in &rows {
                let body: Vec<u8> = get(r, "body")?;
                leaves.push((get::<i64, _>(r, "idx")? as u64, leaf_hash(&body)));
            }
            if rows.len() < want {
                break;
            }
        }
        let decision = decide(LogTip { last, edge, leaves });
        let Sequenced::Signed { tiles, checkpoint } = &decision else {
            return Ok(decision);
        };
        for ((level, n), hashes) in tiles {
            sqlx::query(
                "INSERT INTO log_tiles (level, n, hashes) VALUES ($1, $2, $3) \
                 ON CONFLICT (level, n) DO UPDATE SET hashes = excluded.hashes",
            )
            .bind(i64::from(*level))
            .bind(*n as i64)
            .bind(hashes)
            .execute(&mut tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO log_checkpoints (size, root, note, signed_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(checkpoint.size as i64)
        .bind(&checkpoint.root.0[..])
        .bind(&checkpoint.note)
        .bind(to_ms(checkpoint.signed_at))
        .execute(&mut tx)
        .await?;
        self.commit(tx).await?;
        Ok(decision)
    }

    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        sqlx::query(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM log_checkpoints ORDER BY size DESC LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?
        .map(|r| checkpoint_from(&r))
        .transpose()
    }

    async fn checkpoint_before(&self, t: DateTime<Utc>) -> StoreResult<Option<StoredCheckpoint>> {
        sqlx::query(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM log_checkpoints WHERE signed_at < $1 \
             ORDER BY signed_at DESC, size DESC LIMIT 1"
        ))
        .bind(to_ms(t))
        .fetch_optional(&self.pool)
        .await?
        .map(|r| checkpoint_from(&r))
        .transpose()
    }

    async fn log_tiles(&self, ids: &[TileId]) -> StoreResult<Tiles> {
        let mut all = Tiles::default();
        for chunk in ids.chunks(TILE_CHUNK) {
            let some = tiles_in(&self.pool, chunk).await?;
            for id in chunk {
                if let Some(data) = some.get(*id) {
                    all.insert(*id, data.to_vec())
                        .map_err(|e| StoreError::Malformed(e.to_string()))?;
                }
            }
        }
        Ok(all)
    }

    async fn log_entries(&self, from: u64, limit: u32) -> StoreResult<Vec<LogEntry>> {
        sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2"
        ))
        .bind(from as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(entry_from)
        .collect()
    }

    async fn incident_entries(&self, incident_id: i64) -> StoreResult<Vec<LogEntry>> {
        sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM log_entries WHERE incident_id = $1 ORDER BY idx"
        ))
        .bind(incident_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(entry_from)
        .collect()
    }

    async fn log_appended(&self) -> StoreResult<u64> {
        let size: i64 = sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(size as u64)
    }
}
