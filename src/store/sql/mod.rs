//! The SQL both backends share, one file per aggregate. This tree is compiled once inside
//! each backend's module (`sqlite.rs`, `postgres.rs`), which provides `Db`, `DbRow`,
//! `Backend` (its store type with `pool` and `begin_write`) and the few words of its dialect.
//! Queries use `$N` placeholders, which SQLite and PostgreSQL both read; times are
//! milliseconds since the epoch; booleans are 0/1 integers.

mod alerts;
mod cluster;
mod corrections;
mod desk;
mod incidents;
mod log;
mod moderation;
pub(super) mod reports;
mod results;
mod settings;
mod statements;
mod windows;
pub(super) mod write;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::{Backend, Db, DbRow};
use crate::domain::fact::Step;
use crate::domain::{IncidentState, OpenSpans};
use crate::store::decode::{get, names, time, time_opt, word, word_opt};
use crate::store::{
    to_ms, AuditEntry, FeedFilter, IncidentRow, NewUpdate, SourceSeen, StoreError, StoreResult,
};

type Tx = write::WriteTx;

/// Rows per multi-row INSERT, well under either backend's bound-parameter limit.
const INSERT_CHUNK: usize = 200;

impl Backend {
    /// Commits `tx`, recording whether writes work. The statements before it recorded
    /// their own failures as they ran.
    async fn commit(&self, tx: Tx) -> StoreResult<()> {
        match tx.commit().await {
            Ok(()) => {
                self.health.succeeded();
                Ok(())
            }
            Err(e) => {
                self.health.failed_now(&e);
                Err(e.into())
            }
        }
    }
}

/// The incident columns every incident query reads, from `incidents i`.
const INCIDENT_COLUMNS: &str = "i.id AS id, i.kind AS kind, i.state AS state, \
     i.title_ar AS title_ar, i.title_fr AS title_fr, i.title_en AS title_en, \
     i.started_at AS started_at, i.resolved_at AS resolved_at, i.updated_at AS updated_at, \
     i.created_at AS created_at, i.open_key AS open_key, i.overrun_of AS overrun_of, \
     i.channel_key AS channel_key, i.reopens AS reopens, i.alerted AS alerted";

/// An incident without its scopes and sources, which [`load_scopes_and_sources`] adds.
fn incident_from(row: &DbRow) -> StoreResult<IncidentRow> {
    Ok(IncidentRow {
        id: get(row, "id")?,
        kind: word(row, "kind")?,
        state: word(row, "state")?,
        title: names(row, "title")?,
        started_at: time(row, "started_at")?,
        resolved_at: time_opt(row, "resolved_at")?,
        updated_at: time(row, "updated_at")?,
        created_at: time(row, "created_at")?,
        open_key: word_opt(row, "open_key")?,
        overrun_of: get(row, "overrun_of")?,
        channel_key: word_opt(row, "channel_key")?,
        reopens: get(row, "reopens")?,
        gaps: Vec::new(),
        alerted: get::<i64, _>(row, "alerted")? == 1,
        scopes: Vec::new(),
        sources: Vec::new(),
    })
}

/// Fills in the scopes and sources of `rows`; one incident may stand in several rows (a
/// feed lists each of its updates).
async fn load_scopes_and_sources(
    pool: &sqlx::Pool<Db>,
    rows: &mut [IncidentRow],
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids = |q: &mut QueryBuilder<Db>, rows: &[IncidentRow]| {
        let mut sep = q.separated(", ");
        for r in rows {
            sep.push_bind(r.id);
        }
    };
    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT incident_id, bank, channel FROM incident_scopes WHERE incident_id IN (",
    );
    ids(&mut q, rows);
    q.push(") ORDER BY bank, channel");
    let scopes = q.build().fetch_all(pool).await?;
    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT incident_id, source, first_seen_at FROM incident_sources WHERE incident_id IN (",
    );
    ids(&mut q, rows);
    q.push(") ORDER BY first_seen_at, source");
    let sources = q.build().fetch_all(pool).await?;
    let mut index: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        index.entry(r.id).or_default().push(i);
    }
    for s in &scopes {
        let id: i64 = get(s, "incident_id")?;
        let scope = (get::<String, _>(s, "bank")?, word(s, "channel")?);
        for &i in index.get(&id).into_iter().flatten() {
            rows[i].scopes.push(scope.clone());
        }
    }
    for s in &sources {
        let id: i64 = get(s, "incident_id")?;
        let seen = SourceSeen {
            source: word(s, "source")?,
            first_seen_at: time(s, "first_seen_at")?,
        };
        for &i in index.get(&id).into_iter().flatten() {
            rows[i].sources.push(seen.clone());
        }
    }
    // A reopened incident's gaps come from its timeline, so its time is its open spans.
    let reopened: Vec<IncidentRow> = rows.iter().filter(|r| r.reopens > 0).cloned().collect();
    if reopened.is_empty() {
        return Ok(());
    }
    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT incident_id, at, state FROM incident_updates WHERE incident_id IN (",
    );
    ids(&mut q, &reopened);
    q.push(") ORDER BY incident_id, at, id");
    let mut timelines: HashMap<i64, Vec<(DateTime<Utc>, IncidentState)>> = HashMap::new();
    for u in &q.build().fetch_all(pool).await? {
        timelines
            .entry(get(u, "incident_id")?)
            .or_default()
            .push((time(u, "at")?, word(u, "state")?));
    }
    for r in rows.iter_mut().filter(|r| r.reopens > 0) {
        let timeline = timelines.get(&r.id).map_or(&[][..], Vec::as_slice);
        r.gaps = OpenSpans::from_timeline(r.started_at, timeline).gaps();
    }
    Ok(())
}

/// Keeps the incidents `i` of a feed's bank and channels.
pub(super) fn scope_filter<'a>(q: &mut QueryBuilder<'a, Db>, filter: &'a FeedFilter) {
    if filter.bank.is_none() && filter.channels.is_empty() {
        return;
    }
    q.push(" AND EXISTS (SELECT 1 FROM incident_scopes s WHERE s.incident_id = i.id");
    if let Some(bank) = &filter.bank {
        q.push(" AND s.bank = ").push_bind(bank);
    }
    if !filter.channels.is_empty() {
        q.push(" AND s.channel IN (");
        let mut sep = q.separated(", ");
        for c in &filter.channels {
            sep.push_bind(c.as_str());
        }
        q.push(")");
    }
    q.push(")");
}

/// Appends a timeline entry and records its source as backing the incident. The entry's
/// alert event and its log entry are written in the same transaction, so no change escapes
/// the subscribers or the log. `step` says how the entry came about, for the log.
async fn insert_update(
    tx: &mut Tx,
    incident_id: i64,
    u: &NewUpdate,
    step: Step,
) -> StoreResult<()> {
    let update_id: i64 = sqlx::query_scalar(
        "INSERT INTO incident_updates (incident_id, at, state, source, message_ar, message_fr, \
         message_en, title_ar, title_fr, title_en, alerted) \
         SELECT $1, $2, $3, $4, $5, $6, $7, i.title_ar, i.title_fr, i.title_en, $8 \
         FROM incidents i WHERE i.id = $9 RETURNING id",
    )
    .bind(incident_id)
    .bind(to_ms(u.at))
    .bind(u.state.as_str())
    .bind(u.source.as_str())
    .bind(&u.message.ar)
    .bind(&u.message.fr)
    .bind(&u.message.en)
    .bind(i64::from(u.alert))
    .bind(incident_id)
    .fetch_one(&mut *tx)
    .await?;
    if u.alert {
        alerts::insert_event(tx, incident_id, update_id, u.at).await?;
        sqlx::query("UPDATE incidents SET alerted = 1 WHERE id = $1 AND alerted = 0")
            .bind(incident_id)
            .execute(&mut *tx)
            .await?;
    }
    // Told or not, every entry is a published fact.
    log::append_incident(
        tx,
        incident_id,
        step,
        &log::Written {
            update: Some(update_id),
            at: u.at,
            state: u.state,
            source: u.source,
            message: &u.message,
            title: None,
        },
    )
    .await?;
    sqlx::query(
        "INSERT INTO incident_sources (incident_id, source, first_seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (incident_id, source) DO NOTHING",
    )
    .bind(incident_id)
    .bind(u.source.as_str())
    .bind(to_ms(u.at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records an operator action; `target` overrides the entry's own when given. A request
/// key seen before is [`StoreError::Repeated`]: the caller's transaction then ends unwritten.
async fn insert_audit(tx: &mut Tx, e: &AuditEntry, target: Option<String>) -> StoreResult<()> {
    let written = sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, detail, request_key) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(to_ms(e.at))
    .bind(&e.actor)
    .bind(&e.action)
    .bind(target.or_else(|| e.target.clone()))
    .bind(&e.detail)
    .bind(&e.request)
    .execute(&mut *tx)
    .await;
    match (written, &e.request) {
        (Ok(_), _) => Ok(()),
        (Err(sqlx::Error::Database(db)), Some(key)) if db.is_unique_violation() => {
            Err(StoreError::Repeated(key.clone()))
        }
        (Err(err), _) => Err(err.into()),
    }
}
