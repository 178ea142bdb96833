//! The SQL both backends share. Every query is written once, with `$N` placeholders that
//! SQLite and PostgreSQL both read, and [`sql_store!`] expands it for each backend's types.
//! A backend module provides `Db`, `DbRow`, `CHANNEL_LIST` and `begin_write`.

/// Implements [`Store`](super::Store) for `$store`, whose module defines `Db` (the sqlx
/// database), `DbRow`, `CHANNEL_LIST` (an aggregate joining `s.channel` with commas) and
/// `$store::begin_write`.
macro_rules! sql_store {
    ($store:ident) => {
        mod queries {
use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::{QueryBuilder, Row};

use super::{$store, Db, DbRow, CHANNEL_LIST, SHARED, SKIP_LOCKED};
use $crate::domain::{IncidentKind, IncidentState, Names, ProbeResult, ProbeTarget, Source};
use $crate::store::sql::{stored_result, tally, Lock, StoredColumns, HOUR_MS, INSERT_CHUNK};
use $crate::store::{
    from_ms, to_ms, AuditEntry, Counts, DailyRollup, FailedCheck, FeedEntry, FeedFilter,
    HourlyRollup, IncidentFilter, IncidentRow, MonitoredSpan, NewIncident, NewReport, NewUpdate,
    NewWindow, Opened, OutageSpan, ProbeEvidence, ReportBucket, ReportCount, ReportOutcome,
    ReportRow, ScheduledProbe, SourceSeen, Store, StoreError, StoreResult, StoredResult, UpdateRow,
    WindowFilter, WindowRow,
};

async fn load_scopes_and_sources(pool: &sqlx::Pool<Db>, rows: &mut [IncidentRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT incident_id, bank, channel FROM incident_scopes WHERE incident_id IN (",
    );
    let mut sep = q.separated(", ");
    for r in rows.iter() {
        sep.push_bind(r.id);
    }
    q.push(") ORDER BY bank, channel");
    let scopes = q.build().fetch_all(pool).await?;
    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT incident_id, source, first_seen_at FROM incident_sources WHERE incident_id IN (",
    );
    let mut sep = q.separated(", ");
    for r in rows.iter() {
        sep.push_bind(r.id);
    }
    q.push(") ORDER BY first_seen_at, source");
    let sources = q.build().fetch_all(pool).await?;
    // One incident may stand in several rows (a feed lists each of its updates).
    let mut index: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        index.entry(r.id).or_default().push(i);
    }
    for s in scopes {
        for &i in index.get(&s.try_get::<i64, _>(0)?).into_iter().flatten() {
            rows[i].scopes.push((s.try_get(1)?, s.try_get(2)?));
        }
    }
    for s in sources {
        for &i in index.get(&s.try_get::<i64, _>(0)?).into_iter().flatten() {
            rows[i].sources.push(SourceSeen {
                source: s.try_get(1)?,
                first_seen_at: from_ms(s.try_get(2)?),
            });
        }
    }
    Ok(())
}

fn names_at(row: &DbRow, first: usize) -> StoreResult<Names> {
    Ok(Names {
        ar: row.try_get(first)?,
        fr: row.try_get(first + 1)?,
        en: row.try_get(first + 2)?,
    })
}

const INCIDENT_COLUMNS: &str = "i.id, i.kind, i.state, i.title_ar, i.title_fr, i.title_en, \
     i.started_at, i.resolved_at, i.updated_at, i.created_at, i.open_key, i.overrun_of";

fn incident_from(row: &DbRow) -> StoreResult<IncidentRow> {
    Ok(IncidentRow {
        id: row.try_get(0)?,
        kind: row.try_get(1)?,
        state: row.try_get(2)?,
        title: names_at(row, 3)?,
        started_at: from_ms(row.try_get(6)?),
        resolved_at: row.try_get::<Option<i64>, _>(7)?.map(from_ms),
        updated_at: from_ms(row.try_get(8)?),
        created_at: from_ms(row.try_get(9)?),
        open_key: row.try_get(10)?,
        overrun_of: row.try_get(11)?,
        scopes: Vec::new(),
        sources: Vec::new(),
    })
}

fn counts_at(row: &DbRow, first: usize) -> StoreResult<Counts> {
    Ok(Counts {
        up: row.try_get(first)?,
        degraded: row.try_get(first + 1)?,
        down: row.try_get(first + 2)?,
        uncounted: row.try_get(first + 3)?,
        latency_sum_ms: row.try_get(first + 4)?,
        latency_count: row.try_get(first + 5)?,
    })
}


async fn upsert_rollup(
    tx: &mut sqlx::Transaction<'_, Db>,
    table: &str,
    key_column: &str,
    bank: &str,
    channel: &str,
    key: KeyValue<'_>,
    c: &Counts,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO {table} (bank, channel, {key_column}, up, degraded, down, uncounted, latency_sum_ms, latency_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (bank, channel, {key_column}) DO UPDATE SET \
         up = {table}.up + excluded.up, degraded = {table}.degraded + excluded.degraded, \
         down = {table}.down + excluded.down, uncounted = {table}.uncounted + excluded.uncounted, \
         latency_sum_ms = {table}.latency_sum_ms + excluded.latency_sum_ms, \
         latency_count = {table}.latency_count + excluded.latency_count"
    );
    let q = sqlx::query(&sql).bind(bank).bind(channel);
    let q = match key {
        KeyValue::Int(v) => q.bind(v),
        KeyValue::Text(v) => q.bind(v),
    };
    q.bind(c.up)
        .bind(c.degraded)
        .bind(c.down)
        .bind(c.uncounted)
        .bind(c.latency_sum_ms)
        .bind(c.latency_count)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks an hour as checked: extends the run that ends where it starts, or opens a run.
async fn cover(
    tx: &mut sqlx::Transaction<'_, Db>,
    bank: &str,
    channel: &str,
    hour: i64,
) -> StoreResult<()> {
    let extended =
        sqlx::query("UPDATE coverage SET ends = $1 WHERE bank = $2 AND channel = $3 AND ends = $4")
            .bind(hour + HOUR_MS)
            .bind(bank)
            .bind(channel)
            .bind(hour)
            .execute(&mut **tx)
            .await?;
    if extended.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO coverage (bank, channel, starts, ends) SELECT $1, $2, $3, $4 \
             WHERE NOT EXISTS (SELECT 1 FROM coverage WHERE bank = $5 AND channel = $6 \
             AND ends > $7 AND starts <= $8)",
        )
        .bind(bank)
        .bind(channel)
        .bind(hour)
        .bind(hour + HOUR_MS)
        .bind(bank)
        .bind(channel)
        .bind(hour)
        .bind(hour)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

enum KeyValue<'a> {
    Int(i64),
    Text(&'a str),
}

#[async_trait]
impl Store for $store {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(results = batch.len()))]
    async fn insert_results(&self, batch: &[ProbeResult], tz: Tz) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Results).await?;
        write_results(&mut tx, batch, tz).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_batch(
        &self,
        agent: &str,
        seq: i64,
        batch: &[ProbeResult],
        tz: Tz,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write(Lock::Results).await?;
        let new = sqlx::query(
            "INSERT INTO agent_batches (agent, seq, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(agent)
        .bind(seq)
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if new {
            write_results(&mut tx, batch, tz).await?;
            tx.commit().await?;
        }
        Ok(new)
    }

    async fn purge_results_before(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM probe_results WHERE at < $1")
            .bind(to_ms(before))
            .execute(&self.pool)
            .await?;
        // An agent resends a batch within minutes, never after the raw results are gone.
        sqlx::query("DELETE FROM agent_batches WHERE at < $1")
            .bind(to_ms(before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn open_incident(&self, new: &NewIncident) -> StoreResult<Opened> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        if let Some(key) = &new.open_key {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM incidents WHERE open_key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(id) = existing {
                return Ok(Opened::Existing(id));
            }
        }
        let now = to_ms(Utc::now());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incidents (kind, state, title_ar, title_fr, title_en, started_at, created_at, updated_at, open_key, overrun_of) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(new.kind.as_str())
        .bind(new.first_update.state.as_str())
        .bind(&new.title.ar)
        .bind(&new.title.fr)
        .bind(&new.title.en)
        .bind(to_ms(new.started_at))
        .bind(now)
        .bind(to_ms(new.first_update.at))
        .bind(&new.open_key)
        .bind(new.overrun_of)
        .fetch_one(&mut *tx)
        .await?;
        for (bank, channel) in &new.scopes {
            sqlx::query("INSERT INTO incident_scopes (incident_id, bank, channel) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(bank)
                .bind(channel.as_str())
                .execute(&mut *tx)
                .await?;
        }
        insert_update(&mut tx, id, &new.first_update).await?;
        tx.commit().await?;
        Ok(Opened::New(id))
    }

    async fn add_update(&self, incident_id: i64, update: &NewUpdate) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        let at = to_ms(update.at);
        let closed = update.state.is_closed();
        sqlx::query(
            "UPDATE incidents SET state = $1, updated_at = CASE WHEN updated_at > $2 THEN updated_at ELSE $2 END, \
             resolved_at = CASE WHEN $3 THEN $4 ELSE NULL END, \
             open_key = CASE WHEN $5 THEN NULL ELSE open_key END \
             WHERE id = $6",
        )
        .bind(update.state.as_str())
        .bind(at)
        .bind(closed)
        .bind(at)
        .bind(closed)
        .bind(incident_id)
        .execute(&mut *tx)
        .await?;
        insert_update(&mut tx, incident_id, update).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn incident(&self, id: i64) -> StoreResult<Option<(IncidentRow, Vec<UpdateRow>)>> {
        let row = sqlx::query(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE i.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut incident = [incident_from(&row)?];
        load_scopes_and_sources(&self.pool, &mut incident).await?;
        let updates = sqlx::query(
            "SELECT id, at, state, source, message_ar, message_fr, message_en FROM incident_updates \
             WHERE incident_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(UpdateRow {
                id: r.try_get(0)?,
                at: from_ms(r.try_get(1)?),
                state: r.try_get(2)?,
                source: r.try_get(3)?,
                message: names_at(r, 4)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let [incident] = incident;
        Ok(Some((incident, updates)))
    }

    async fn incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>> {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE 1 = 1"
        ));
        if filter.bank.is_some() || filter.channel.is_some() {
            q.push(" AND EXISTS (SELECT 1 FROM incident_scopes s WHERE s.incident_id = i.id");
            if let Some(bank) = &filter.bank {
                q.push(" AND s.bank = ").push_bind(bank);
            }
            if let Some(channel) = filter.channel {
                q.push(" AND s.channel = ").push_bind(channel.as_str());
            }
            q.push(")");
        }
        if let Some(kind) = filter.kind {
            q.push(" AND i.kind = ").push_bind(kind.as_str());
        }
        if let Some(state) = filter.state {
            q.push(" AND i.state = ").push_bind(state.as_str());
        }
        if let Some(since) = filter.since {
            q.push(" AND (i.started_at >= ")
                .push_bind(to_ms(since))
                .push(" OR i.resolved_at IS NULL OR i.resolved_at >= ")
                .push_bind(to_ms(since))
                .push(")");
        }
        if let Some(until) = filter.until {
            q.push(" AND i.started_at < ").push_bind(to_ms(until));
        }
        if let Some(of) = filter.overrun_of {
            q.push(" AND i.overrun_of = ").push_bind(of);
        }
        if let Some((at, id)) = filter.before {
            q.push(" AND (i.started_at < ")
                .push_bind(to_ms(at))
                .push(" OR (i.started_at = ")
                .push_bind(to_ms(at))
                .push(" AND i.id < ")
                .push_bind(id)
                .push("))");
        }
        if filter.open_only {
            q.push(" AND i.resolved_at IS NULL");
        }
        q.push(" ORDER BY i.started_at DESC, i.id DESC LIMIT ")
            .push_bind(i64::from(filter.limit.max(1)));
        let mut rows = q
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(incident_from)
            .collect::<StoreResult<Vec<_>>>()?;
        load_scopes_and_sources(&self.pool, &mut rows).await?;
        Ok(rows)
    }

    async fn feed_entries(&self, filter: &FeedFilter) -> StoreResult<Vec<FeedEntry>> {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
            "SELECT {INCIDENT_COLUMNS}, u.id, u.at, u.state, u.source, u.message_ar, u.message_fr, u.message_en \
             FROM incident_updates u JOIN incidents i ON i.id = u.incident_id WHERE 1 = 1"
        ));
        if filter.bank.is_some() || !filter.channels.is_empty() {
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
        q.push(" ORDER BY u.at DESC, u.id DESC LIMIT ")
            .push_bind(i64::from(filter.limit.max(1)));
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut incidents = Vec::with_capacity(rows.len());
        let mut updates = Vec::with_capacity(rows.len());
        for r in &rows {
            incidents.push(incident_from(r)?);
            updates.push(UpdateRow {
                id: r.try_get(12)?,
                at: from_ms(r.try_get(13)?),
                state: r.try_get(14)?,
                source: r.try_get(15)?,
                message: names_at(r, 16)?,
            });
        }
        load_scopes_and_sources(&self.pool, &mut incidents).await?;
        Ok(incidents
            .into_iter()
            .zip(updates)
            .map(|(incident, update)| FeedEntry { incident, update })
            .collect())
    }

    async fn daily_rollups(&self, bank: &str, from: NaiveDate) -> StoreResult<Vec<DailyRollup>> {
        let rows = sqlx::query(
            "SELECT channel, day, up, degraded, down, uncounted, latency_sum_ms, latency_count \
             FROM rollups_daily WHERE bank = $1 AND day >= $2 ORDER BY day",
        )
        .bind(bank)
        .bind(from.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let day: String = r.try_get(1)?;
                Ok(DailyRollup {
                    channel: r.try_get(0)?,
                    day: day
                        .parse()
                        .map_err(|_| StoreError::Malformed(format!("roll-up day `{day}`")))?,
                    counts: counts_at(r, 2)?,
                })
            })
            .collect()
    }

    async fn monitored_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<MonitoredSpan>> {
        let rows = sqlx::query(
            "SELECT bank, channel, starts, ends FROM coverage WHERE ends > $1 AND starts < $2 \
             ORDER BY bank, channel, starts",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MonitoredSpan {
                    bank: r.try_get(0)?,
                    channel: r.try_get(1)?,
                    start: from_ms(r.try_get(2)?),
                    end: from_ms(r.try_get(3)?),
                })
            })
            .collect()
    }

    async fn outage_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<OutageSpan>> {
        let rows = sqlx::query(
            "SELECT i.id, s.bank, s.channel, i.started_at, i.resolved_at, i.overrun_of \
             FROM incidents i JOIN incident_scopes s ON s.incident_id = i.id \
             WHERE i.kind = 'outage' AND i.started_at < $1 \
             AND (i.resolved_at IS NULL OR i.resolved_at > $2) ORDER BY i.started_at, i.id",
        )
        .bind(to_ms(to))
        .bind(to_ms(from))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutageSpan {
                    incident_id: r.try_get(0)?,
                    bank: r.try_get(1)?,
                    channel: r.try_get(2)?,
                    started_at: from_ms(r.try_get(3)?),
                    resolved_at: r.try_get::<Option<i64>, _>(4)?.map(from_ms),
                    overrun_of: r.try_get(5)?,
                })
            })
            .collect()
    }

    async fn probe_evidence(
        &self,
        bank: &str,
        channel: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<ProbeEvidence> {
        const SCOPE: &str = "FROM probe_results WHERE bank = $1 AND channel = $2 AND counted = 1 AND at >= $3 AND at < $4";
        let totals = sqlx::query(&format!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome = 'down' THEN 1 ELSE 0 END), 0), MAX(CASE WHEN outcome = 'down' THEN at END) {SCOPE}"
        ))
        .bind(bank)
        .bind(channel)
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_one(&self.pool)
        .await?;
        let first = sqlx::query(&format!(
            "SELECT at, probe_id, error_class, http_status, detail {SCOPE} AND outcome = 'down' ORDER BY at LIMIT 1"
        ))
        .bind(bank)
        .bind(channel)
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_optional(&self.pool)
        .await?;
        Ok(ProbeEvidence {
            checks: totals.try_get(0)?,
            failing: totals.try_get(1)?,
            last_failure: totals.try_get::<Option<i64>, _>(2)?.map(from_ms),
            first_failure: first
                .map(|r| -> StoreResult<FailedCheck> {
                    Ok(FailedCheck {
                        at: from_ms(r.try_get(0)?),
                        probe_id: r.try_get(1)?,
                        error_class: r.try_get(2)?,
                        http_status: r.try_get(3)?,
                        detail: r.try_get(4)?,
                    })
                })
                .transpose()?,
        })
    }

    async fn hourly_rollups(
        &self,
        bank: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<HourlyRollup>> {
        let rows = sqlx::query(
            "SELECT channel, hour, up, degraded, down, uncounted, latency_sum_ms, latency_count \
             FROM rollups_hourly WHERE bank = $1 AND hour >= $2 ORDER BY hour",
        )
        .bind(bank)
        .bind(to_ms(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HourlyRollup {
                    channel: r.try_get(0)?,
                    hour: from_ms(r.try_get(1)?),
                    counts: counts_at(r, 2)?,
                })
            })
            .collect()
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn add_report(
        &self,
        report: &NewReport,
        per_hour: u32,
        dedup: chrono::Duration,
    ) -> StoreResult<ReportOutcome> {
        let mut tx = self.begin_write(Lock::Reporter(&report.reporter)).await?;
        let at = to_ms(report.at);
        let last_hour: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM reports WHERE reporter = $1 AND at > $2")
                .bind(&report.reporter)
                .bind(at - 3_600_000)
                .fetch_one(&mut *tx)
                .await?;
        if last_hour >= i64::from(per_hour) {
            return Ok(ReportOutcome::RateLimited);
        }
        let repeat: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM reports WHERE reporter = $1 AND bank = $2 AND channel = $3 AND counted = 1 \
             AND deleted_at IS NULL AND at > $4 LIMIT 1",
        )
        .bind(&report.reporter)
        .bind(&report.bank)
        .bind(report.channel.as_str())
        .bind(at - dedup.num_milliseconds())
        .fetch_optional(&mut *tx)
        .await?;
        let counted = repeat.is_none();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reports (bank, channel, at, reporter, counted, comment) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&report.bank)
        .bind(report.channel.as_str())
        .bind(at)
        .bind(&report.reporter)
        .bind(i64::from(counted))
        .bind(&report.comment)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ReportOutcome::Accepted { id, counted })
    }

    async fn recent_comments(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ReportRow>> {
        let rows = sqlx::query(
            "SELECT id, channel, at, comment FROM reports WHERE bank = $1 AND at >= $2 AND comment IS NOT NULL \
             AND deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(bank)
        .bind(to_ms(since))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportRow {
                    id: r.try_get(0)?,
                    channel: r.try_get(1)?,
                    at: from_ms(r.try_get(2)?),
                    comment: r.try_get(3)?,
                })
            })
            .collect()
    }

    async fn delete_report(&self, id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE reports SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
                .bind(to_ms(at))
                .bind(id)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(exists.is_some())
    }

    async fn report_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<ReportCount>> {
        let rows = sqlx::query(
            "SELECT bank, channel, COUNT(DISTINCT reporter) FROM reports \
             WHERE at >= $1 AND at < $2 AND counted = 1 AND deleted_at IS NULL GROUP BY bank, channel",
        )
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportCount {
                    bank: r.try_get(0)?,
                    channel: r.try_get(1)?,
                    reporters: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn report_buckets(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket: chrono::Duration,
    ) -> StoreResult<Vec<ReportBucket>> {
        let width = bucket.num_milliseconds().max(1);
        let rows = sqlx::query(
            "SELECT channel, (at / $1) * $2 AS b, COUNT(DISTINCT reporter) FROM reports \
             WHERE bank = $3 AND at >= $4 AND at < $5 AND counted = 1 AND deleted_at IS NULL \
             GROUP BY channel, b ORDER BY b",
        )
        .bind(width)
        .bind(width)
        .bind(bank)
        .bind(to_ms(since))
        .bind(to_ms(until))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportBucket {
                    channel: r.try_get(0)?,
                    start: from_ms(r.try_get(1)?),
                    reporters: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn upsert_window(&self, w: &NewWindow, now: DateTime<Utc>) -> StoreResult<i64> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        if let Some(key) = &w.config_key {
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT incident_id FROM maintenance_windows WHERE config_key = $1",
            )
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = existing {
                let changed = sqlx::query(
                    "UPDATE incidents SET title_ar = $1, title_fr = $2, title_en = $3 WHERE id = $4 \
                     AND (title_ar IS DISTINCT FROM $1 OR title_fr IS DISTINCT FROM $2 OR title_en IS DISTINCT FROM $3)",
                )
                .bind(&w.title.ar)
                .bind(&w.title.fr)
                .bind(&w.title.en)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0;
                sqlx::query(
                    "UPDATE maintenance_windows SET source_url = $1, sequence = sequence + $2 WHERE incident_id = $3",
                )
                .bind(&w.source)
                .bind(i64::from(changed))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(id);
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incidents (kind, state, title_ar, title_fr, title_en, started_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(IncidentKind::Maintenance.as_str())
        .bind(IncidentState::Scheduled.as_str())
        .bind(&w.title.ar)
        .bind(&w.title.fr)
        .bind(&w.title.en)
        .bind(to_ms(w.starts))
        .bind(to_ms(now))
        .bind(to_ms(now))
        .fetch_one(&mut *tx)
        .await?;
        for channel in &w.channels {
            sqlx::query("INSERT INTO incident_scopes (incident_id, bank, channel) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(&w.bank)
                .bind(channel.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO maintenance_windows (incident_id, starts, ends, source_url, config_key) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(to_ms(w.starts))
        .bind(to_ms(w.ends))
        .bind(&w.source)
        .bind(&w.config_key)
        .execute(&mut *tx)
        .await?;
        // A window recorded after it began is put on the timeline as announced at its start.
        let announced = NewUpdate {
            at: now.min(w.starts),
            state: IncidentState::Scheduled,
            source: Source::Operator,
            message: w.title.clone(),
        };
        insert_update(&mut tx, id, &announced).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn windows(&self, filter: &WindowFilter) -> StoreResult<Vec<WindowRow>> {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
            "SELECT i.id, i.state, i.title_ar, i.title_fr, i.title_en, w.starts, w.ends, w.source_url, w.sequence, i.updated_at, w.cancelled_at, \
             (SELECT s.bank FROM incident_scopes s WHERE s.incident_id = i.id LIMIT 1), \
             (SELECT {CHANNEL_LIST} FROM incident_scopes s WHERE s.incident_id = i.id) \
             FROM maintenance_windows w JOIN incidents i ON i.id = w.incident_id WHERE 1 = 1"
        ));
        if let Some(id) = filter.id {
            q.push(" AND i.id = ").push_bind(id);
        }
        if let Some(bank) = &filter.bank {
            q.push(" AND EXISTS (SELECT 1 FROM incident_scopes s WHERE s.incident_id = i.id AND s.bank = ")
                .push_bind(bank)
                .push(")");
        }
        if filter.open_only {
            q.push(" AND i.resolved_at IS NULL");
        }
        if let Some(after) = filter.ended_after {
            q.push(" AND w.ends > ").push_bind(to_ms(after));
        }
        if let Some(before) = filter.starts_before {
            q.push(" AND w.starts < ").push_bind(to_ms(before));
        }
        q.push(" ORDER BY w.starts, i.id LIMIT ")
            .push_bind(i64::from(filter.limit.max(1)));
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let channels: Option<String> = r.try_get(12)?;
                let mut channels: Vec<String> = channels
                    .unwrap_or_default()
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect();
                channels.sort_by_key(|c| c.parse::<crate::domain::Channel>().ok());
                Ok(WindowRow {
                    incident_id: r.try_get(0)?,
                    state: r.try_get(1)?,
                    title: names_at(r, 2)?,
                    starts: from_ms(r.try_get(5)?),
                    ends: from_ms(r.try_get(6)?),
                    source: r.try_get(7)?,
                    sequence: r.try_get(8)?,
                    updated_at: from_ms(r.try_get(9)?),
                    cancelled_at: r.try_get::<Option<i64>, _>(10)?.map(from_ms),
                    bank: r.try_get::<Option<String>, _>(11)?.unwrap_or_default(),
                    channels,
                })
            })
            .collect()
    }

    async fn touch_window(
        &self,
        incident_id: i64,
        cancelled_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE maintenance_windows SET sequence = sequence + 1, \
             cancelled_at = CASE WHEN $1 < ends THEN COALESCE(cancelled_at, $2) ELSE cancelled_at END \
             WHERE incident_id = $3",
        )
        .bind(cancelled_at.map(to_ms))
        .bind(cancelled_at.map(to_ms))
        .bind(incident_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn window(&self, incident_id: i64) -> StoreResult<Option<WindowRow>> {
        let filter = WindowFilter {
            id: Some(incident_id),
            limit: 1,
            ..WindowFilter::default()
        };
        Ok(self.windows(&filter).await?.into_iter().next())
    }

    async fn retitle(&self, incident_id: i64, title: &Names, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE incidents SET title_ar = COALESCE($1, title_ar), title_fr = COALESCE($2, title_fr), \
             title_en = COALESCE($3, title_en), updated_at = CASE WHEN updated_at > $4 THEN updated_at ELSE $4 END WHERE id = $5",
        )
        .bind(&title.ar)
        .bind(&title.fr)
        .bind(&title.en)
        .bind(to_ms(at))
        .bind(incident_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit(&self, e: &AuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(to_ms(e.at))
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    fn shared(&self) -> bool {
        SHARED
    }

    async fn register_probes(&self, probes: &[ScheduledProbe]) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Schedule).await?;
        let known: Vec<String> = sqlx::query_scalar("SELECT probe_id FROM probe_schedule")
            .fetch_all(&mut *tx)
            .await?;
        let wanted: HashSet<&str> = probes.iter().map(|p| p.id.as_str()).collect();
        for gone in known.iter().filter(|k| !wanted.contains(k.as_str())) {
            sqlx::query("DELETE FROM probe_schedule WHERE probe_id = $1")
                .bind(gone)
                .execute(&mut *tx)
                .await?;
        }
        for chunk in probes.chunks(INSERT_CHUNK) {
            let mut q: QueryBuilder<Db> = QueryBuilder::new(
                "INSERT INTO probe_schedule (probe_id, interval_ms, next_at) ",
            );
            q.push_values(chunk, |mut b, p| {
                b.push_bind(&p.id)
                    .push_bind(i64::try_from(p.interval.as_millis()).unwrap_or(i64::MAX))
                    .push_bind(to_ms(p.first_at));
            });
            q.push(" ON CONFLICT (probe_id) DO UPDATE SET interval_ms = excluded.interval_ms");
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn claim_due(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
        // The next turn keeps the probe's rhythm, unless it fell a whole interval behind
        // (every instance was down): then it starts again from now.
        let sql = format!(
            "UPDATE probe_schedule SET holder = $1, next_at = CASE WHEN next_at + interval_ms > $2 \
             THEN next_at + interval_ms ELSE $2 + interval_ms END \
             WHERE probe_id IN (SELECT probe_id FROM probe_schedule WHERE next_at <= $3 \
             ORDER BY next_at LIMIT $4{SKIP_LOCKED}) RETURNING probe_id, next_at - interval_ms"
        );
        let rows = sqlx::query(&sql)
            .bind(holder)
            .bind(to_ms(now))
            .bind(to_ms(horizon))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, from_ms(r.try_get::<i64, _>(1)?).max(now))))
            .collect()
    }

    async fn hold_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let held: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.holder = excluded.holder OR leases.expires_at < $4 RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(to_ms(until))
        .bind(to_ms(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(held.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn last_result_id(&self) -> StoreResult<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM probe_results")
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }

    async fn results_after(&self, after: i64, limit: u32) -> StoreResult<Vec<StoredResult>> {
        // Results are inserted under one lock, so ids grow in the order they were committed
        // and a reader that saw id N has seen every result before it.
        let rows = sqlx::query(
            "SELECT id, probe_id, bank, channel, at, latency_ms, http_status, outcome, error_class, \
             detail, counted, region FROM probe_results WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredResult {
                    id: r.try_get(0)?,
                    result: stored_result(StoredColumns {
                        probe_id: r.try_get(1)?,
                        bank: r.try_get(2)?,
                        channel: r.try_get(3)?,
                        at: r.try_get(4)?,
                        latency_ms: r.try_get(5)?,
                        http_status: r.try_get(6)?,
                        outcome: r.try_get(7)?,
                        error_class: r.try_get(8)?,
                        detail: r.try_get(9)?,
                        counted: r.try_get(10)?,
                        region: r.try_get(11)?,
                    })?,
                })
            })
            .collect()
    }

    async fn put_shared(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO shared_state (key, version, value) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET version = shared_state.version + 1, value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn shared_with_prefix(&self, prefix: &str) -> StoreResult<Vec<(String, String)>> {
        // Prefixes are the service's own, without LIKE wildcards.
        let rows = sqlx::query("SELECT key, value FROM shared_state WHERE key LIKE $1 ORDER BY key")
            .bind(format!("{prefix}%"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn delete_shared(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM shared_state WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn shared_since(&self, key: &str, seen: i64) -> StoreResult<Option<(i64, String)>> {
        let row = sqlx::query("SELECT version, value FROM shared_state WHERE key = $1 AND version <> $2")
            .bind(key)
            .bind(seen)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }
}

/// Stores raw results and adds them to the hourly and daily roll-ups and coverage runs.
async fn write_results(
    tx: &mut sqlx::Transaction<'_, Db>,
    batch: &[ProbeResult],
    tz: Tz,
) -> StoreResult<()> {
        // In order, so that coverage runs grow hour by hour instead of breaking up.
        let mut hourly: BTreeMap<(&str, &str, i64), Counts> = BTreeMap::new();
        let mut daily: HashMap<(&str, &str, String), Counts> = HashMap::new();
        for r in batch {
            if let ProbeTarget::Bank { bank, channel } = &r.target {
                let at = to_ms(r.at);
                let hour = at - at.rem_euclid(HOUR_MS);
                tally(hourly.entry((bank, channel.as_str(), hour)).or_default(), r);
                let day = r.at.with_timezone(&tz).date_naive().to_string();
                tally(daily.entry((bank, channel.as_str(), day)).or_default(), r);
            }
        }
        for chunk in batch.chunks(INSERT_CHUNK) {
            let mut q: QueryBuilder<Db> = QueryBuilder::new(
                "INSERT INTO probe_results (probe_id, bank, channel, at, latency_ms, http_status, outcome, error_class, detail, counted, region) ",
            );
            q.push_values(chunk, |mut b, r| {
                let (bank, channel) = match &r.target {
                    ProbeTarget::Bank { bank, channel } => {
                        (Some(bank.as_str()), Some(channel.as_str()))
                    }
                    ProbeTarget::Control => (None, None),
                };
                let detail = match &r.outcome {
                    crate::domain::Outcome::Down { detail, .. } => Some(detail.as_str()),
                    _ => None,
                };
                b.push_bind(&r.probe_id)
                    .push_bind(bank)
                    .push_bind(channel)
                    .push_bind(to_ms(r.at))
                    .push_bind(i64::from(r.latency_ms))
                    .push_bind(r.http_status.map(i64::from))
                    .push_bind(r.outcome.as_str())
                    .push_bind(r.outcome.class().map(|c| c.as_str()))
                    .push_bind(detail)
                    .push_bind(i64::from(r.counted))
                    .push_bind(r.region.as_deref());
            });
            q.build().execute(&mut **tx).await?;
        }
        for ((bank, channel, hour), c) in &hourly {
            upsert_rollup(
                tx,
                "rollups_hourly",
                "hour",
                bank,
                channel,
                KeyValue::Int(*hour),
                c,
            )
            .await?;
            if c.up + c.degraded + c.down > 0 {
                cover(tx, bank, channel, *hour).await?;
            }
        }
        for ((bank, channel, day), c) in &daily {
            upsert_rollup(
                tx,
                "rollups_daily",
                "day",
                bank,
                channel,
                KeyValue::Text(day),
                c,
            )
            .await?;
        }
    Ok(())
}

async fn insert_update(
    tx: &mut sqlx::Transaction<'_, Db>,
    incident_id: i64,
    u: &NewUpdate,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO incident_updates (incident_id, at, state, source, message_ar, message_fr, message_en) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(incident_id)
    .bind(to_ms(u.at))
    .bind(u.state.as_str())
    .bind(u.source.as_str())
    .bind(&u.message.ar)
    .bind(&u.message.fr)
    .bind(&u.message.en)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO incident_sources (incident_id, source, first_seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (incident_id, source) DO NOTHING",
    )
    .bind(incident_id)
    .bind(u.source.as_str())
    .bind(to_ms(u.at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

        }
    };
}

pub(crate) use sql_store;

use crate::domain::{ErrorClass, Outcome, ProbeResult, ProbeTarget};
use crate::store::{from_ms, Counts, StoreError, StoreResult};

/// Rows per multi-row INSERT, well under either backend's bound-parameter limit.
pub(crate) const INSERT_CHUNK: usize = 200;
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// What a write transaction serialises against, across every process on the database.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock<'a> {
    /// Probe results, their roll-ups and coverage runs.
    Results,
    /// Incidents, their timelines and windows: "one open incident per key" holds.
    Incidents,
    /// One reporter's reports: the hourly allowance holds across instances.
    Reporter(&'a str),
    /// The shared probe schedule, when an instance registers its probes.
    Schedule,
}

/// The columns of one `probe_results` row.
pub(crate) struct StoredColumns {
    pub probe_id: String,
    pub bank: Option<String>,
    pub channel: Option<String>,
    pub at: i64,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    pub outcome: String,
    pub error_class: Option<String>,
    pub detail: Option<String>,
    pub counted: i64,
    pub region: Option<String>,
}

/// A stored row back into the result the probe made.
pub(crate) fn stored_result(c: StoredColumns) -> StoreResult<ProbeResult> {
    let target = match (c.bank, c.channel) {
        (Some(bank), Some(channel)) => ProbeTarget::Bank {
            bank,
            channel: channel
                .parse()
                .map_err(|_| StoreError::Malformed(format!("result channel `{channel}`")))?,
        },
        _ => ProbeTarget::Control,
    };
    let outcome = match c.outcome.as_str() {
        "up" => Outcome::Up,
        "degraded" => Outcome::Degraded,
        "down" => Outcome::Down {
            class: c
                .error_class
                .as_deref()
                .and_then(ErrorClass::parse)
                .unwrap_or(ErrorClass::Status),
            detail: c.detail.unwrap_or_default(),
        },
        other => return Err(StoreError::Malformed(format!("result outcome `{other}`"))),
    };
    Ok(ProbeResult {
        probe_id: c.probe_id,
        target,
        at: from_ms(c.at),
        latency_ms: u32::try_from(c.latency_ms).unwrap_or(u32::MAX),
        http_status: c.http_status.and_then(|s| u16::try_from(s).ok()),
        outcome,
        counted: c.counted != 0,
        region: c.region,
    })
}

/// Adds one result to a roll-up bucket.
pub(crate) fn tally(c: &mut Counts, r: &ProbeResult) {
    match (&r.outcome, r.counted) {
        (o, _) if !o.is_down() => {
            if matches!(o, crate::domain::Outcome::Up) {
                c.up += 1;
            } else {
                c.degraded += 1;
            }
            c.latency_sum_ms += i64::from(r.latency_ms);
            c.latency_count += 1;
        }
        (_, true) => c.down += 1,
        (_, false) => c.uncounted += 1,
    }
}
