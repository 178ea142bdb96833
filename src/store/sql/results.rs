//! Probe results, their roll-ups and coverage runs.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::QueryBuilder;

use super::super::{Backend, Db, DbRow};
use super::{Tx, INSERT_CHUNK};
use crate::domain::{Channel, ProbeResult, ProbeTarget};
use crate::store::day_time::{self, Check, DayTime};
use crate::store::decode::{get, parse, probe_result, time, word, word_opt, RESULT_COLUMNS};
use crate::store::{
    to_ms, Counts, DailyRollup, FailedCheck, HourlyRollup, Lock, MonitoredSpan, ProbeEvidence,
    ResultStore, StoreResult, StoredResult,
};

const HOUR_MS: i64 = 3_600_000;

fn counts(row: &DbRow) -> StoreResult<Counts> {
    Ok(Counts {
        up: get(row, "up")?,
        degraded: get(row, "degraded")?,
        down: get(row, "down")?,
        uncounted: get(row, "uncounted")?,
        latency_sum_ms: get(row, "latency_sum_ms")?,
        latency_count: get(row, "latency_count")?,
    })
}

#[async_trait]
impl ResultStore for Backend {
    #[tracing::instrument(skip_all, fields(results = batch.len()))]
    async fn insert_results(&self, batch: &[ProbeResult], tz: Tz) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Results).await?;
        write_results(&mut tx, batch, tz).await?;
        self.commit(tx).await?;
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
        .execute(&mut tx)
        .await?
        .rows_affected()
            == 1;
        if new {
            write_results(&mut tx, batch, tz).await?;
            self.commit(tx).await?;
        }
        Ok(new)
    }

    async fn purge_results_before(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin_write(Lock::Results).await?;
        let done = sqlx::query("DELETE FROM probe_results WHERE at < $1")
            .bind(to_ms(before))
            .execute(&mut tx)
            .await?;
        // An agent resends a batch within minutes, never after the raw results are gone.
        sqlx::query("DELETE FROM agent_batches WHERE at < $1")
            .bind(to_ms(before))
            .execute(&mut tx)
            .await?;
        self.commit(tx).await?;
        Ok(done.rows_affected())
    }

    async fn daily_rollups(&self, bank: &str, from: NaiveDate) -> StoreResult<Vec<DailyRollup>> {
        let rows = sqlx::query(
            "SELECT channel, day, up, degraded, down, uncounted, latency_sum_ms, latency_count, \
             passing_ms, covered_ms FROM rollups_daily WHERE bank = $1 AND day >= $2 ORDER BY day",
        )
        .bind(bank)
        .bind(from.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let day: String = get(r, "day")?;
                Ok(DailyRollup {
                    channel: word(r, "channel")?,
                    day: parse(&day, "roll-up day")?,
                    counts: counts(r)?,
                    time: DayTime {
                        passing_ms: get(r, "passing_ms")?,
                        covered_ms: get(r, "covered_ms")?,
                    },
                })
            })
            .collect()
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
                    channel: word(r, "channel")?,
                    hour: time(r, "hour")?,
                    counts: counts(r)?,
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
                    bank: get(r, "bank")?,
                    channel: word(r, "channel")?,
                    start: time(r, "starts")?,
                    end: time(r, "ends")?,
                })
            })
            .collect()
    }

    async fn probe_evidence(
        &self,
        bank: &str,
        channel: Channel,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<ProbeEvidence> {
        const SCOPE: &str = "FROM probe_results WHERE bank = $1 AND channel = $2 \
             AND counted = 1 AND at >= $3 AND at < $4";
        let totals = sqlx::query(&format!(
            "SELECT COUNT(*) AS checks, \
             COALESCE(SUM(CASE WHEN outcome = 'down' THEN 1 ELSE 0 END), 0) AS failing, \
             MAX(CASE WHEN outcome = 'down' THEN at END) AS last_failure {SCOPE}"
        ))
        .bind(bank)
        .bind(channel.as_str())
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_one(&self.pool)
        .await?;
        let first = sqlx::query(&format!(
            "SELECT at, probe_id, error_class, http_status, detail, evidence {SCOPE} \
             AND outcome = 'down' \
             ORDER BY at LIMIT 1"
        ))
        .bind(bank)
        .bind(channel.as_str())
        .bind(to_ms(from))
        .bind(to_ms(to))
        .fetch_optional(&self.pool)
        .await?;
        Ok(ProbeEvidence {
            checks: get(&totals, "checks")?,
            failing: get(&totals, "failing")?,
            last_failure: crate::store::decode::time_opt(&totals, "last_failure")?,
            first_failure: first
                .map(|r| -> StoreResult<FailedCheck> {
                    Ok(FailedCheck {
                        at: time(&r, "at")?,
                        probe_id: get(&r, "probe_id")?,
                        error_class: word_opt(&r, "error_class")?,
                        http_status: get(&r, "http_status")?,
                        detail: get(&r, "detail")?,
                        evidence: crate::store::decode::evidence(get(&r, "evidence")?)?,
                    })
                })
                .transpose()?,
        })
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
        let rows = sqlx::query(&format!(
            "SELECT id, {RESULT_COLUMNS} FROM probe_results WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredResult {
                    id: get(r, "id")?,
                    result: probe_result(r)?,
                })
            })
            .collect()
    }
}

/// Stores raw results and adds them to the hourly and daily roll-ups and coverage runs.
async fn write_results(tx: &mut Tx, batch: &[ProbeResult], tz: Tz) -> StoreResult<()> {
    // In order, so that coverage runs grow hour by hour instead of breaking up.
    let mut hourly: BTreeMap<(&str, Channel, i64), Counts> = BTreeMap::new();
    let mut daily: HashMap<(&str, Channel, String), (Counts, DayTime)> = HashMap::new();
    let mut covered: BTreeMap<(&str, Channel), Vec<(i64, i64)>> = BTreeMap::new();
    // Before the batch is stored: the time its checks stand for, against the stored ones.
    for ((bank, channel), days) in day_times(tx, batch, tz).await? {
        for (day, time) in days {
            daily
                .entry((bank, channel, day.to_string()))
                .or_default()
                .1
                .add(time);
        }
    }
    for r in batch {
        if let ProbeTarget::Bank { bank, channel } = &r.target {
            let at = to_ms(r.at);
            let hour = at - at.rem_euclid(HOUR_MS);
            hourly.entry((bank, *channel, hour)).or_default().tally(r);
            let day = r.at.with_timezone(&tz).date_naive().to_string();
            daily.entry((bank, *channel, day)).or_default().0.tally(r);
            // A check put down to the tracker's own network watched nothing.
            if r.counted {
                covered
                    .entry((bank, *channel))
                    .or_default()
                    .push(r.covers());
            }
        }
    }
    for chunk in batch.chunks(INSERT_CHUNK) {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
            "INSERT INTO probe_results ({}, covers_ms) ",
            crate::store::decode::RESULT_COLUMNS
        ));
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
                .push_bind(r.region.as_deref())
                .push_bind(
                    (!r.evidence.is_empty())
                        .then(|| serde_json::to_string(&r.evidence).ok())
                        .flatten(),
                )
                .push_bind(covers_of(r));
        });
        q.build().execute(&mut *tx).await?;
    }
    for ((bank, channel, hour), c) in &hourly {
        upsert_rollup(tx, Rollup::Hourly(*hour), bank, *channel, c, None).await?;
    }
    for ((bank, channel), spans) in covered {
        for (start, end, slack) in runs(spans) {
            cover(tx, bank, channel, (start, end), slack).await?;
        }
    }
    for ((bank, channel, day), (c, time)) in &daily {
        upsert_rollup(tx, Rollup::Daily(day), bank, *channel, c, Some(time)).await?;
    }
    Ok(())
}

/// How long a check stands for: its probe's interval.
fn covers_of(r: &ProbeResult) -> i64 {
    let (start, end) = r.covers();
    end - start
}

/// The checks of one probe in one region, and the stored ones around them.
#[derive(Default)]
struct Around {
    new: Vec<Check>,
    stored: Vec<Check>,
}

/// A probe of the batch: its bank and channel, and the stored checks to read around its
/// own, from one interval before the first to one after the last.
struct Reach<'a> {
    bank: &'a str,
    channel: Channel,
    from: i64,
    to: i64,
}

/// Per bank and channel, what a batch changes in each local day's time.
type DayTimes<'a> = Vec<((&'a str, Channel), BTreeMap<NaiveDate, DayTime>)>;

/// What the batch changes in the time each local day's checks stand for, per bank and
/// channel (`day_time.rs`), against the stored checks of its probes around its own, read in
/// one statement per chunk of probes.
async fn day_times<'a>(tx: &mut Tx, batch: &'a [ProbeResult], tz: Tz) -> StoreResult<DayTimes<'a>> {
    let mut probes: BTreeMap<&str, Reach<'_>> = BTreeMap::new();
    let mut groups: BTreeMap<(&str, Option<&str>), Around> = BTreeMap::new();
    for r in batch {
        let ProbeTarget::Bank { bank, channel } = &r.target else {
            continue;
        };
        let (at, covers) = (to_ms(r.at), covers_of(r));
        let p = probes.entry(&r.probe_id).or_insert(Reach {
            bank,
            channel: *channel,
            from: at - covers,
            to: at + covers,
        });
        p.from = p.from.min(at - covers);
        p.to = p.to.max(at + covers);
        groups
            .entry((&r.probe_id, r.region.as_deref()))
            .or_default()
            .new
            .push(Check {
                at,
                covers,
                counted: r.counted,
                passing: !r.outcome.is_down(),
            });
    }
    let listed: Vec<(&str, &Reach<'_>)> = probes.iter().map(|(id, r)| (*id, r)).collect();
    let mut stored: HashMap<(String, Option<String>), Vec<Check>> = HashMap::new();
    for chunk in listed.chunks(INSERT_CHUNK) {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(
            "SELECT probe_id, region, at, outcome, counted, covers_ms FROM probe_results WHERE ",
        );
        let mut terms = q.separated(" OR ");
        for (id, reach) in chunk {
            terms.push("(probe_id = ");
            terms.push_bind_unseparated(*id);
            terms.push_unseparated(" AND at >= ");
            terms.push_bind_unseparated(reach.from);
            terms.push_unseparated(" AND at <= ");
            terms.push_bind_unseparated(reach.to);
            terms.push_unseparated(")");
        }
        for row in q.build().fetch_all(&mut *tx).await? {
            let outcome: String = get(&row, "outcome")?;
            let covers: Option<i64> = get(&row, "covers_ms")?;
            stored
                .entry((get(&row, "probe_id")?, get(&row, "region")?))
                .or_default()
                .push(Check {
                    at: get(&row, "at")?,
                    // Stored before intervals were kept: the probe's interval now.
                    covers: covers.unwrap_or(-1),
                    counted: get::<i64, _>(&row, "counted")? != 0,
                    passing: outcome != "down",
                });
        }
    }
    let mut out = Vec::new();
    for ((probe, region), mut g) in groups {
        let Some(reach) = probes.get(probe) else {
            continue;
        };
        let interval = g.new.first().map_or(0, |c| c.covers);
        g.stored = stored
            .remove(&(probe.to_owned(), region.map(str::to_owned)))
            .unwrap_or_default();
        for c in &mut g.stored {
            if c.covers < 0 {
                c.covers = interval;
            }
        }
        out.push((
            (reach.bank, reach.channel),
            day_time::delta(&g.stored, &g.new, tz),
        ));
    }
    Ok(out)
}

/// Which roll-up a bucket belongs to, with its key.
enum Rollup<'a> {
    Hourly(i64),
    Daily(&'a str),
}

/// Adds `c` to a bucket, and to a day the time its checks stand for.
async fn upsert_rollup(
    tx: &mut Tx,
    bucket: Rollup<'_>,
    bank: &str,
    channel: Channel,
    c: &Counts,
    time: Option<&DayTime>,
) -> StoreResult<()> {
    let (table, key_column) = match bucket {
        Rollup::Hourly(_) => ("rollups_hourly", "hour"),
        Rollup::Daily(_) => ("rollups_daily", "day"),
    };
    let (time_columns, time_values, time_update) = match time {
        Some(_) => (
            ", passing_ms, covered_ms",
            ", $10, $11",
            ", passing_ms = rollups_daily.passing_ms + excluded.passing_ms, \
             covered_ms = rollups_daily.covered_ms + excluded.covered_ms",
        ),
        None => ("", "", ""),
    };
    let sql = format!(
        "INSERT INTO {table} (bank, channel, {key_column}, up, degraded, down, uncounted, \
         latency_sum_ms, latency_count{time_columns}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9{time_values}) \
         ON CONFLICT (bank, channel, {key_column}) DO UPDATE SET \
         up = {table}.up + excluded.up, degraded = {table}.degraded + excluded.degraded, \
         down = {table}.down + excluded.down, uncounted = {table}.uncounted + excluded.uncounted, \
         latency_sum_ms = {table}.latency_sum_ms + excluded.latency_sum_ms, \
         latency_count = {table}.latency_count + excluded.latency_count{time_update}"
    );
    let q = sqlx::query(&sql).bind(bank).bind(channel.as_str());
    let q = match bucket {
        Rollup::Hourly(hour) => q.bind(hour),
        Rollup::Daily(day) => q.bind(day),
    };
    let q = q
        .bind(c.up)
        .bind(c.degraded)
        .bind(c.down)
        .bind(c.uncounted)
        .bind(c.latency_sum_ms)
        .bind(c.latency_count);
    let q = match time {
        Some(t) => q.bind(t.passing_ms).bind(t.covered_ms),
        None => q,
    };
    q.execute(&mut *tx).await?;
    Ok(())
}

/// Checks a little late still continue the run before them: schedules jitter by a few
/// per cent of the interval.
fn slack(start: i64, end: i64) -> i64 {
    ((end - start) / 10).max(1000)
}

/// The spans checks cover, merged into runs where each begins before the last ends, each
/// with the slack of its first check.
fn runs(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64, i64)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 + slack(s, e) => last.1 = last.1.max(e),
            _ => out.push((s, e, slack(s, e))),
        }
    }
    out
}

/// Marks `[start, end)` as watched: extends the run it continues (ending at most `slack`
/// before it), or opens a run.
async fn cover(
    tx: &mut Tx,
    bank: &str,
    channel: Channel,
    (start, end): (i64, i64),
    slack: i64,
) -> StoreResult<()> {
    let extended = sqlx::query(
        "UPDATE coverage SET ends = CASE WHEN ends > $1 THEN ends ELSE $1 END \
         WHERE bank = $2 AND channel = $3 AND starts <= $4 AND ends >= $5",
    )
    .bind(end)
    .bind(bank)
    .bind(channel.as_str())
    .bind(start)
    .bind(start - slack)
    .execute(&mut *tx)
    .await?;
    if extended.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO coverage (bank, channel, starts, ends) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (bank, channel, starts) DO UPDATE SET ends = \
             CASE WHEN coverage.ends > excluded.ends THEN coverage.ends ELSE excluded.ends END",
        )
        .bind(bank)
        .bind(channel.as_str())
        .bind(start)
        .bind(end)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
