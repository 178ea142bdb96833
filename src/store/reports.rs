//! Crowd reports: accepted with their allowance and dedup in one transaction, counted per
//! channel for surges, bucketed for charts, moderated by the operator.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, StoreResult};
use crate::domain::Channel;

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
    pub channel: Channel,
    pub reporters: i64,
}

/// A stored report as the engine tallies it: who reported what when, whether it was
/// counted (not a repeat), and when it was deleted.
#[derive(Debug, Clone)]
pub struct TalliedReport {
    pub id: i64,
    pub bank: String,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub reporter: String,
    pub counted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl TalliedReport {
    /// Whether the report counts towards its channel's reporters.
    pub fn counts(&self) -> bool {
        self.counted && self.deleted_at.is_none()
    }
}

/// A report's public part: what was reported, when, and the comment.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: i64,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
}

/// Reporters of one channel in one time bucket, for the 24-hour chart.
#[derive(Debug, Clone)]
pub struct ReportBucket {
    pub channel: Channel,
    pub start: DateTime<Utc>,
    pub reporters: i64,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Stores reports in one transaction, in order, each unless its reporter sent
    /// `per_hour` reports in the last hour; one counts unless the same reporter had a
    /// counted report of the same bank and channel within `dedup`. One outcome per report,
    /// in the same order; on an error none is stored.
    async fn add_reports(
        &self,
        reports: &[NewReport],
        per_hour: u32,
        dedup: chrono::Duration,
    ) -> StoreResult<Vec<ReportOutcome>>;

    /// The latest reports of a bank that carry a comment, not deleted, newest first.
    async fn recent_comments(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ReportRow>>;

    /// Marks a report deleted, with the operator's audit entry, in one transaction; false
    /// when there is no such report.
    async fn delete_report(&self, id: i64, audit: &AuditEntry) -> StoreResult<bool>;

    /// Distinct counted reporters per bank and channel with reports in `[from, to)`.
    async fn report_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<ReportCount>>;

    /// Up to `limit` reports in id order: those after `after`, or without it, from the first
    /// report at or after `since`. Ids grow in commit order (reports are written one
    /// transaction at a time), so reading on from the last id misses none.
    async fn reports_after(
        &self,
        after: Option<i64>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<TalliedReport>>;

    /// The reports deleted at or after `since`, whenever they were made.
    async fn reports_deleted(&self, since: DateTime<Utc>) -> StoreResult<Vec<TalliedReport>>;

    /// One reporter's reports of one bank and channel made at or after `since`.
    async fn reporter_reports(
        &self,
        bank: &str,
        channel: Channel,
        reporter: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<TalliedReport>>;

    /// Distinct counted reporters of one bank per channel and bucket in `[since, until)`.
    async fn report_buckets(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket: chrono::Duration,
    ) -> StoreResult<Vec<ReportBucket>>;
}
