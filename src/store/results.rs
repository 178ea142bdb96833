//! Probe results: the raw checks, their hourly and daily roll-ups, the hours they cover, and
//! what they show of one incident.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::day_time::DayTime;
use super::StoreResult;
use crate::domain::{Channel, CheckEvidence, ErrorClass, ProbeResult};

/// Counts of one roll-up bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub up: i64,
    pub degraded: i64,
    pub down: i64,
    /// Failures put down to the tracker's own network.
    pub uncounted: i64,
    pub latency_sum_ms: i64,
    pub latency_count: i64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.up += other.up;
        self.degraded += other.degraded;
        self.down += other.down;
        self.uncounted += other.uncounted;
        self.latency_sum_ms += other.latency_sum_ms;
        self.latency_count += other.latency_count;
    }

    /// Adds one result.
    pub fn tally(&mut self, r: &ProbeResult) {
        match (&r.outcome, r.counted) {
            (o, _) if !o.is_down() => {
                if matches!(o, crate::domain::Outcome::Up) {
                    self.up += 1;
                } else {
                    self.degraded += 1;
                }
                self.latency_sum_ms += i64::from(r.latency_ms);
                self.latency_count += 1;
            }
            (_, true) => self.down += 1,
            (_, false) => self.uncounted += 1,
        }
    }

    /// Checks that count: those not put down to the tracker's own network.
    pub fn counted(&self) -> i64 {
        self.up + self.degraded + self.down
    }

    /// Share of counted checks that answered, `None` without any.
    pub fn availability(&self) -> Option<f64> {
        let total = self.counted();
        (total > 0).then(|| (self.up + self.degraded) as f64 / total as f64)
    }

    pub fn mean_latency_ms(&self) -> Option<i64> {
        (self.latency_count > 0).then(|| self.latency_sum_ms / self.latency_count)
    }
}

#[derive(Debug, Clone)]
pub struct DailyRollup {
    pub channel: Channel,
    pub day: NaiveDate,
    pub counts: Counts,
    /// The time the day's checks stood for (`day_time.rs`); zero on days stored before it
    /// was kept.
    pub time: DayTime,
}

#[derive(Debug, Clone)]
pub struct HourlyRollup {
    pub channel: Channel,
    pub hour: DateTime<Utc>,
    pub counts: Counts,
}

/// A run of time one bank and channel was watched: each counted check covers its probe's
/// interval from when it ran, and a check that follows on (late by at most a tenth of its
/// interval, or a second) continues the run.
#[derive(Debug, Clone)]
pub struct MonitoredSpan {
    pub bank: String,
    pub channel: Channel,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What the probes of one bank and channel saw over a span, from the raw results.
#[derive(Debug, Clone, Default)]
pub struct ProbeEvidence {
    /// Counted checks; failures put down to the tracker's own network are left out.
    pub checks: i64,
    pub failing: i64,
    pub first_failure: Option<FailedCheck>,
    pub last_failure: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct FailedCheck {
    pub at: DateTime<Utc>,
    pub probe_id: String,
    pub error_class: Option<ErrorClass>,
    pub http_status: Option<i64>,
    pub detail: Option<String>,
    pub evidence: CheckEvidence,
}

/// A stored probe result with its id, in the order results were stored.
#[derive(Debug, Clone)]
pub struct StoredResult {
    pub id: i64,
    pub result: ProbeResult,
}

#[async_trait]
pub trait ResultStore: Send + Sync {
    /// Stores raw results and adds them to the hourly and daily roll-ups, in one transaction.
    /// Daily buckets are local days in `tz`.
    async fn insert_results(&self, batch: &[ProbeResult], tz: Tz) -> StoreResult<()>;

    /// Stores an agent's batch `seq` as [`ResultStore::insert_results`] does, with the record
    /// that it arrived, in one transaction; false, storing nothing, when it had arrived
    /// before, so a batch sent again after a lost answer is stored once.
    async fn insert_batch(
        &self,
        agent: &str,
        seq: i64,
        batch: &[ProbeResult],
        tz: Tz,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Deletes raw results (and the record of agent batches) older than `before`; returns
    /// how many results.
    async fn purge_results_before(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Daily roll-ups of one bank from `from` on.
    async fn daily_rollups(&self, bank: &str, from: NaiveDate) -> StoreResult<Vec<DailyRollup>>;

    /// Hourly roll-ups of one bank since `since`.
    async fn hourly_rollups(
        &self,
        bank: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<HourlyRollup>>;

    /// The runs of watched time (see [`MonitoredSpan`]) of every bank and channel that
    /// overlap `[from, to)`, by bank, channel and start; runs may overlap or touch.
    async fn monitored_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<MonitoredSpan>>;

    /// What the raw probe results of one bank and channel show in `[from, to)`.
    async fn probe_evidence(
        &self,
        bank: &str,
        channel: Channel,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<ProbeEvidence>;

    /// The highest stored result id, 0 without any.
    async fn last_result_id(&self) -> StoreResult<i64>;

    /// Up to `limit` results stored after id `after`, oldest first.
    async fn results_after(&self, after: i64, limit: u32) -> StoreResult<Vec<StoredResult>>;
}
