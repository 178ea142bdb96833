//! Storage: one [`Store`] trait, one implementation per backend, chosen by the URL scheme.

pub mod postgres;
mod sql;
pub mod sqlite;
pub mod writer;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::{Channel, IncidentKind, IncidentState, Names, ProbeResult, Source};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    UnsupportedUrl(String),
    #[error("stored data is malformed: {0}")]
    Malformed(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A new incident with its first timeline entry.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub kind: IncidentKind,
    pub title: Names,
    pub started_at: DateTime<Utc>,
    /// For automatic incidents: the key that makes them unique while open.
    pub open_key: Option<String>,
    pub overrun_of: Option<i64>,
    pub scopes: Vec<(String, Channel)>,
    pub first_update: NewUpdate,
}

/// One timeline entry.
#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub at: DateTime<Utc>,
    pub state: IncidentState,
    pub source: Source,
    pub message: Names,
}

/// Whether `open_incident` made a new incident or found the one already open under its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    New(i64),
    Existing(i64),
}

impl Opened {
    pub fn id(self) -> i64 {
        match self {
            Opened::New(id) | Opened::Existing(id) => id,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IncidentRow {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub title: Names,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while an automatic incident is open.
    pub open_key: Option<String>,
    /// The maintenance incident this outage is the overrun of.
    pub overrun_of: Option<i64>,
    pub scopes: Vec<(String, String)>,
    /// The signals that back it, in the order they first saw it.
    pub sources: Vec<SourceSeen>,
}

impl IncidentRow {
    pub fn has_source(&self, source: &str) -> bool {
        self.sources.iter().any(|s| s.source == source)
    }
}

/// A signal behind an incident and when it first saw it.
#[derive(Debug, Clone)]
pub struct SourceSeen {
    pub source: String,
    pub first_seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct UpdateRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub state: String,
    pub source: String,
    pub message: Names,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub bank: Option<String>,
    pub channel: Option<Channel>,
    pub kind: Option<IncidentKind>,
    pub state: Option<IncidentState>,
    /// Only incidents still open at or started after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only incidents started before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only the overruns of this maintenance incident.
    pub overrun_of: Option<i64>,
    /// Keyset cursor: only incidents ordered after this (start, id), newest first.
    pub before: Option<(DateTime<Utc>, i64)>,
    pub open_only: bool,
    pub limit: u32,
}

/// Which incident updates a feed shows.
#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    pub bank: Option<String>,
    /// Any of these channels; empty means all.
    pub channels: Vec<Channel>,
    pub limit: u32,
}

/// One feed entry: an update and the incident it belongs to.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub incident: IncidentRow,
    pub update: UpdateRow,
}

/// A crowd report as accepted from a customer.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub bank: String,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    /// Keyed hash of the client address.
    pub reporter: String,
    pub comment: Option<String>,
}

/// What became of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Stored; `counted` is false for a repeat from the same reporter within the dedup span.
    Accepted { id: i64, counted: bool },
    /// The reporter sent more than its hourly allowance; nothing was stored.
    RateLimited,
}

/// Distinct counted reporters of one bank and channel over a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCount {
    pub bank: String,
    pub channel: String,
    pub reporters: i64,
}

/// A report's public part: what was reported, when, and the comment.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: i64,
    pub channel: String,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
}

/// Reporters of one channel in one time bucket, for the 24-hour chart.
#[derive(Debug, Clone)]
pub struct ReportBucket {
    pub channel: String,
    pub start: DateTime<Utc>,
    pub reporters: i64,
}

/// A maintenance window to announce (from the config file or the operator API).
#[derive(Debug, Clone)]
pub struct NewWindow {
    pub bank: String,
    pub channels: Vec<Channel>,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub title: Names,
    pub source: Option<String>,
    /// Set for windows from the config file, so a restart does not announce them twice.
    pub config_key: Option<String>,
}

/// An announced window with its incident's current state.
#[derive(Debug, Clone)]
pub struct WindowRow {
    pub incident_id: i64,
    pub bank: String,
    pub channels: Vec<String>,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub title: Names,
    pub source: Option<String>,
    pub state: String,
    pub sequence: i64,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct WindowFilter {
    /// One window by its incident id.
    pub id: Option<i64>,
    pub bank: Option<String>,
    /// Only windows not yet completed.
    pub open_only: bool,
    /// Only windows that ended after this.
    pub ended_after: Option<DateTime<Utc>>,
    /// Only windows that start before this.
    pub starts_before: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// One operator action, for the audit table.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

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

    /// Share of counted checks that answered, `None` without any.
    pub fn availability(&self) -> Option<f64> {
        let total = self.up + self.degraded + self.down;
        (total > 0).then(|| (self.up + self.degraded) as f64 / total as f64)
    }

    pub fn mean_latency_ms(&self) -> Option<i64> {
        (self.latency_count > 0).then(|| self.latency_sum_ms / self.latency_count)
    }
}

#[derive(Debug, Clone)]
pub struct DailyRollup {
    pub channel: String,
    pub day: NaiveDate,
    pub counts: Counts,
}

#[derive(Debug, Clone)]
pub struct HourlyRollup {
    pub channel: String,
    pub hour: DateTime<Utc>,
    pub counts: Counts,
}

/// A run of whole hours of one bank and channel, each with at least one counted check.
#[derive(Debug, Clone)]
pub struct MonitoredSpan {
    pub bank: String,
    pub channel: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One bank and channel of an outage: the scorecard's unit.
#[derive(Debug, Clone)]
pub struct OutageSpan {
    pub incident_id: i64,
    pub bank: String,
    pub channel: String,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Set when the outage continued a maintenance window past its end.
    pub overrun_of: Option<i64>,
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
    pub error_class: Option<String>,
    pub http_status: Option<i64>,
    pub detail: Option<String>,
}

/// Everything the tracker keeps. Callers never see which database is behind it.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers while the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// Stores raw results and adds them to the hourly and daily roll-ups, in one transaction.
    /// Daily buckets are local days in `tz`.
    async fn insert_results(&self, batch: &[ProbeResult], tz: Tz) -> StoreResult<()>;

    /// Deletes raw results (and the record of agent batches) older than `before`; returns
    /// how many results.
    async fn purge_results_before(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Opens an incident, or returns the one already open under the same `open_key`.
    async fn open_incident(&self, new: &NewIncident) -> StoreResult<Opened>;

    /// Appends a timeline entry and moves the incident to the entry's state; a closing
    /// state sets `resolved_at` and frees the incident's `open_key`.
    async fn add_update(&self, incident_id: i64, update: &NewUpdate) -> StoreResult<()>;

    async fn incident(&self, id: i64) -> StoreResult<Option<(IncidentRow, Vec<UpdateRow>)>>;

    /// Newest first.
    async fn incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>>;

    /// Incident updates, newest first, with their incidents.
    async fn feed_entries(&self, filter: &FeedFilter) -> StoreResult<Vec<FeedEntry>>;

    /// Daily roll-ups of one bank from `from` on.
    async fn daily_rollups(&self, bank: &str, from: NaiveDate) -> StoreResult<Vec<DailyRollup>>;

    /// The checked hours (at least one counted check) of every bank and channel that touch
    /// `[from, to)`, as runs of consecutive hours; runs may overlap or touch.
    async fn monitored_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<MonitoredSpan>>;

    /// Every bank and channel of the outages that touch `[from, to)`.
    async fn outage_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<OutageSpan>>;

    /// What the raw probe results of one bank and channel show in `[from, to)`.
    async fn probe_evidence(
        &self,
        bank: &str,
        channel: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<ProbeEvidence>;

    /// Hourly roll-ups of one bank since `since`.
    async fn hourly_rollups(
        &self,
        bank: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<HourlyRollup>>;

    /// The value stored under `key`, storing `value` first if there was none.
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String>;

    /// Stores a report unless its reporter sent `per_hour` reports in the last hour; it
    /// counts unless the same reporter had a counted report of the same bank and channel
    /// within `dedup`.
    async fn add_report(
        &self,
        report: &NewReport,
        per_hour: u32,
        dedup: chrono::Duration,
    ) -> StoreResult<ReportOutcome>;

    /// The latest reports of a bank that carry a comment, not deleted, newest first.
    async fn recent_comments(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ReportRow>>;

    /// Marks a report deleted; false when there is no such report.
    async fn delete_report(&self, id: i64, at: DateTime<Utc>) -> StoreResult<bool>;

    /// Distinct counted reporters per bank and channel with reports in `[from, to)`.
    async fn report_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<ReportCount>>;

    /// Distinct counted reporters of one bank per channel and bucket in `[since, until)`.
    async fn report_buckets(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket: chrono::Duration,
    ) -> StoreResult<Vec<ReportBucket>>;

    /// Announces a window as a `maintenance` incident. A config window already stored under
    /// its key is updated instead (title, source) and keeps its id. Returns the incident id.
    async fn upsert_window(&self, window: &NewWindow, now: DateTime<Utc>) -> StoreResult<i64>;

    async fn windows(&self, filter: &WindowFilter) -> StoreResult<Vec<WindowRow>>;

    /// The window of one maintenance incident.
    async fn window(&self, incident_id: i64) -> StoreResult<Option<WindowRow>>;

    /// Marks a window changed (its calendar SEQUENCE grows); closed at `cancelled_at` before its
    /// announced end, it is cancelled.
    async fn touch_window(
        &self,
        incident_id: i64,
        cancelled_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;

    /// Sets an incident's titles.
    async fn retitle(&self, incident_id: i64, title: &Names, at: DateTime<Utc>) -> StoreResult<()>;

    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()>;

    /// True when several instances may run on this database (PostgreSQL): they then claim
    /// probes, one of them runs the engine, and the others follow its snapshot.
    fn shared(&self) -> bool;

    /// Stores an agent's batch `seq` as [`Store::insert_results`] does, with the record that
    /// it arrived, in one transaction; false, storing nothing, when it had arrived before, so
    /// a batch sent again after a lost answer is stored once.
    async fn insert_batch(
        &self,
        agent: &str,
        seq: i64,
        batch: &[ProbeResult],
        tz: Tz,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Makes these probes claimable with their intervals, first due at the given times;
    /// probes already known keep their schedule, and probes left out are forgotten.
    async fn register_probes(&self, probes: &[ScheduledProbe]) -> StoreResult<()>;

    /// Claims for `holder` up to `limit` probes due before `horizon`, with the time each is
    /// due (never before `now`); each is due again one interval after. No probe is claimed
    /// twice for one turn, whatever runs concurrently.
    async fn claim_due(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>>;

    /// Takes the lease `name` for `holder` until `until`, or renews it; false while another
    /// holder's lease has not expired at `now`.
    async fn hold_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Gives the lease up, so another instance takes it at once.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;

    /// The highest stored result id, 0 without any.
    async fn last_result_id(&self) -> StoreResult<i64>;

    /// Up to `limit` results stored after id `after`, oldest first.
    async fn results_after(&self, after: i64, limit: u32) -> StoreResult<Vec<StoredResult>>;

    /// Stores `value` under `key` with a new version.
    async fn put_shared(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Every key starting with `prefix`, with its value.
    async fn shared_with_prefix(&self, prefix: &str) -> StoreResult<Vec<(String, String)>>;

    /// Forgets `key`.
    async fn delete_shared(&self, key: &str) -> StoreResult<()>;

    /// The value under `key` when its version is not `seen`, with its version.
    async fn shared_since(&self, key: &str, seen: i64) -> StoreResult<Option<(i64, String)>>;
}

/// A probe as the shared schedule knows it.
#[derive(Debug, Clone)]
pub struct ScheduledProbe {
    pub id: String,
    pub interval: std::time::Duration,
    pub first_at: DateTime<Utc>,
}

/// A stored probe result with its id, in the order results were stored.
#[derive(Debug, Clone)]
pub struct StoredResult {
    pub id: i64,
    pub result: ProbeResult,
}

pub type DynStore = Arc<dyn Store>;

/// Opens the database at `url`, creating and migrating it as needed.
pub async fn connect(url: &str) -> StoreResult<DynStore> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(format!(
            "unsupported database URL `{url}`; use sqlite://PATH or postgres://USER@HOST/DATABASE"
        )))
    }
}

pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}
