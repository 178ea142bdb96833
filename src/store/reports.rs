//! Crowd reports: accepted with their allowance and dedup in one transaction, counted per
//! channel for surges, bucketed for charts, moderated by the operator.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, StoreResult};
use crate::domain::{Channel, Symptom};

/// A crowd report as accepted from a customer.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub bank: String,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    /// The counting unit: a keyed hash of the client address, and of the browser when the
    /// report form vouched for one.
    pub reporter: String,
    /// Keyed hash of the client address (IPv4, or IPv6 by its /64).
    pub address: String,
    /// Keyed hash of the address's network (IPv4 /24, IPv6 /48).
    pub network: String,
    pub comment: Option<String>,
    pub symptom: Option<Symptom>,
    /// A slug of `[[cities]]`, chosen by the person.
    pub city: Option<String>,
    /// "It works for me": counter-evidence rather than a problem.
    pub works: bool,
}

/// What became of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Stored; `counted` is false for a repeat from the same reporter within the dedup span.
    Accepted { id: i64, counted: bool },
    /// The reporter sent more than its hourly allowance; nothing was stored.
    RateLimited,
}

/// One bank channel's counted reporters over a span, weighed as the surge rules weigh them
/// (browsers per address and each network capped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCount {
    pub bank: String,
    pub channel: Channel,
    /// Reporters of a problem, weighed.
    pub reporters: i64,
    /// The distinct networks they come from.
    pub networks: i64,
    /// Those who say it works for them, weighed the same way.
    pub works: i64,
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
    pub address: String,
    pub network: String,
    pub works: bool,
    pub counted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl TalliedReport {
    /// Whether the report counts towards its channel's reporters.
    pub fn counts(&self) -> bool {
        self.counted && self.deleted_at.is_none()
    }
}

/// A report's public part: what was reported, when, where, and the comment.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: i64,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
    pub symptom: Option<Symptom>,
    pub city: Option<String>,
}

/// Distinct reporters of one bank channel saying one thing (a symptom, a city, or that it
/// works), over a span: what the bank page's shares are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFacet {
    pub channel: Channel,
    pub works: bool,
    pub symptom: Option<Symptom>,
    pub city: Option<String>,
    pub reporters: i64,
}

/// One distinct reporter of a bank channel over a span, with what weighs it: its address
/// and network. The usual level is weighed from these as the live count is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportUnit {
    pub bank: String,
    pub channel: Channel,
    pub reporter: String,
    pub address: String,
    pub network: String,
}

/// Reporters of one channel in one time bucket, for the 24-hour chart.
#[derive(Debug, Clone)]
pub struct ReportBucket {
    pub channel: Channel,
    pub start: DateTime<Utc>,
    pub reporters: i64,
}

/// A report as the operator moderates it: what it says and, by keyed hash, who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratedReport {
    pub id: i64,
    pub bank: String,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
    pub symptom: Option<Symptom>,
    pub city: Option<String>,
    pub works: bool,
    pub counted: bool,
    /// The counting unit's keyed hash (an address, or an address and a browser).
    pub reporter: String,
    pub network: String,
    /// The reports its reporter sent in the same span, deleted ones left out.
    pub reporter_reports: i64,
}

/// Reports of one bank channel over a span: how many, from how many reporters and networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelActivity {
    pub bank: String,
    pub channel: Channel,
    pub reports: i64,
    pub reporters: i64,
    pub networks: i64,
}

/// Reports from one network over a span: a flood shows as one network sending many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkActivity {
    pub network: String,
    pub reports: i64,
    pub reporters: i64,
    pub last_at: DateTime<Utc>,
}

/// What the operator sees to moderate reports made since a time: the latest reports, and
/// where they come from, busiest first. Deleted reports are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moderation {
    pub reports: Vec<ModeratedReport>,
    pub channels: Vec<ChannelActivity>,
    pub networks: Vec<NetworkActivity>,
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

    /// The reports made at or after `since` (of `bank`, or all), newest first, at most
    /// `limit`, with the channels and networks they come from, busiest first.
    async fn moderation(
        &self,
        bank: Option<&str>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Moderation>;

    /// Marks deleted every report of the reporter who sent report `id`, whenever sent, with
    /// the operator's audit entry, in one transaction; how many were deleted now, or `None`
    /// when there is no such report.
    async fn delete_reporter_reports(
        &self,
        id: i64,
        audit: &AuditEntry,
    ) -> StoreResult<Option<u64>>;

    /// Every distinct reporter of a problem (not "it works") per bank and channel, counted
    /// and not deleted, with reports in `[from, to)`: the usual level weighs them.
    async fn report_units(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<ReportUnit>>;

    /// A bank's counted reporters in `[since, until)`, per channel, by symptom and by city
    /// (of those reporting a problem), and those it works for.
    async fn report_facets(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<ReportFacet>>;

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

    /// Distinct counted reporters of a problem at one bank per channel and bucket in
    /// `[since, until)`.
    async fn report_buckets(
        &self,
        bank: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket: chrono::Duration,
    ) -> StoreResult<Vec<ReportBucket>>;
}
