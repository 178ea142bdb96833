//! Storage: one [`Store`] trait, one implementation per backend, chosen by the URL scheme.

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
    pub updated_at: DateTime<Utc>,
    pub scopes: Vec<(String, String)>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct UpdateRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub state: String,
    pub source: String,
    pub message: Names,
}

/// An automatic incident still open, as found at start-up.
#[derive(Debug, Clone)]
pub struct OpenKeyed {
    pub id: i64,
    pub open_key: String,
    pub started_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub bank: Option<String>,
    pub open_only: bool,
    pub limit: u32,
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

/// Everything the tracker keeps. Callers never see which database is behind it.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers while the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// Stores raw results and adds them to the hourly and daily roll-ups, in one transaction.
    /// Daily buckets are local days in `tz`.
    async fn insert_results(&self, batch: &[ProbeResult], tz: Tz) -> StoreResult<()>;

    /// Deletes raw results older than `before`; returns how many.
    async fn purge_results_before(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Opens an incident, or returns the one already open under the same `open_key`.
    async fn open_incident(&self, new: &NewIncident) -> StoreResult<Opened>;

    /// Appends a timeline entry and moves the incident to the entry's state; a closing
    /// state sets `resolved_at` and frees the incident's `open_key`.
    async fn add_update(&self, incident_id: i64, update: &NewUpdate) -> StoreResult<()>;

    /// Automatic incidents still open.
    async fn open_keyed_incidents(&self) -> StoreResult<Vec<OpenKeyed>>;

    async fn incident(&self, id: i64) -> StoreResult<Option<(IncidentRow, Vec<UpdateRow>)>>;

    /// Newest first.
    async fn incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>>;

    /// Daily roll-ups of one bank from `from` on.
    async fn daily_rollups(&self, bank: &str, from: NaiveDate) -> StoreResult<Vec<DailyRollup>>;

    /// Hourly roll-ups of one bank since `since`.
    async fn hourly_rollups(
        &self,
        bank: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<HourlyRollup>>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the database at `url`, creating and migrating it as needed.
pub async fn connect(url: &str) -> StoreResult<DynStore> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Err(StoreError::UnsupportedUrl(
            "PostgreSQL is not supported by this build yet; use a sqlite:// URL".to_owned(),
        ))
    } else {
        Err(StoreError::UnsupportedUrl(format!(
            "unsupported database URL `{url}`; use sqlite://PATH"
        )))
    }
}

pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}
