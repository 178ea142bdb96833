//! Storage, grouped by what it stores: probe results and roll-ups ([`ResultStore`]),
//! incidents and their timelines ([`IncidentStore`]), crowd reports ([`ReportStore`]),
//! announced windows ([`WindowStore`]), the banks' statements ([`StatementStore`]), what
//! several instances share ([`ClusterStore`]), the database's own settings
//! ([`SettingStore`]), alert subscriptions with their outbox ([`AlertStore`]), the log
//! of published facts ([`LogStore`]) and the operator desk's sessions with the audit trail
//! read back ([`DeskStore`]). [`Store`] is their sum. One implementation per backend, chosen
//! by the URL scheme, both on the SQL under `sql/`; `tests/it/contract/` holds each trait's
//! story.

pub mod admission;
pub mod alerts;
pub mod audit;
pub mod cluster;
pub mod day_time;
mod decode;
pub mod desk;
pub mod health;
pub mod incidents;
pub mod log;
pub mod postgres;
pub mod report_writer;
pub mod reports;
pub mod results;
pub mod settings;
pub mod sqlite;
pub mod statements;
pub mod windows;
pub mod writer;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use self::health::WriteCause;

pub use alerts::AlertStore;
pub use audit::{AuditEntry, AuditRow};
pub use cluster::{ClusterStore, ScheduledProbe};
pub use desk::{DeskStore, SessionRow};
pub use incidents::{
    CorrectionEntry, FeedEntry, FeedFilter, IncidentFilter, IncidentRow, IncidentStore,
    NewCorrection, NewIncident, NewUpdate, Opened, OperatorUpdate, OutageSpan, SourceSeen,
    UpdateRow,
};
pub use log::{LogEntry, LogStore, LogTip, Sequenced, StoredCheckpoint};
pub use reports::{
    ChannelActivity, ModeratedReport, Moderation, NetworkActivity, NewReport, ReportBucket,
    ReportCount, ReportFacet, ReportOutcome, ReportRow, ReportStore, ReportUnit, TalliedReport,
};
pub use results::{
    Counts, DailyRollup, FailedCheck, HourlyRollup, MonitoredSpan, ProbeEvidence, ResultStore,
    StoredResult,
};
pub use settings::SettingStore;
pub use statements::{NewStatement, StatementFilter, StatementStore};
pub use windows::{NewWindow, WindowChange, WindowChanged, WindowFilter, WindowRow, WindowStore};

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
    /// An action asked for under a request key that already carried one out: nothing of
    /// it was written.
    #[error("request `{0}` was already carried out")]
    Repeated(String),
    /// A failed write that several requests shared (a batch), as each of them sees it.
    #[error("{message}")]
    Shared { cause: WriteCause, message: String },
}

impl StoreError {
    /// Why a write failed, as far as the database says.
    pub fn cause(&self) -> WriteCause {
        match self {
            StoreError::Database(db) => WriteCause::of(db),
            StoreError::Shared { cause, .. } => *cause,
            _ => WriteCause::Other,
        }
    }

    /// The same failure again, for another request of the batch that met it.
    pub fn shared(&self) -> StoreError {
        StoreError::Shared {
            cause: self.cause(),
            message: self.to_string(),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What a write transaction serialises against, across every process on the database.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock {
    /// Probe results, their roll-ups and coverage runs.
    Results,
    /// Incidents, their timelines and windows: "one open incident per key" holds.
    Incidents,
    /// Crowd reports: each reporter's hourly allowance holds across instances. One lock for
    /// all, since reports are written in batches of many reporters.
    Reports,
    /// The shared probe schedule, when an instance registers its probes.
    Schedule,
    /// The log's tree and checkpoints: one sequencer at a time across every instance.
    Log,
    /// Nothing beyond the rows it touches: the database's own row locks suffice.
    Rows,
}

/// Everything the tracker keeps. Callers never see which database is behind it.
pub trait Store:
    ResultStore
    + IncidentStore
    + ReportStore
    + WindowStore
    + ClusterStore
    + SettingStore
    + AlertStore
    + StatementStore
    + LogStore
    + DeskStore
    + 'static
{
}

impl<T> Store for T where
    T: ResultStore
        + IncidentStore
        + ReportStore
        + WindowStore
        + ClusterStore
        + SettingStore
        + AlertStore
        + StatementStore
        + LogStore
        + DeskStore
        + 'static
{
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
