//! Incidents and their timelines: opening, updates, the lists pages and feeds read, and the
//! outage spans the scorecard counts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, StoreResult};
use crate::domain::{
    Channel, Correction, IncidentKind, IncidentState, Names, OpenKey, OpenSpans, Source,
};

/// A new incident with its first timeline entry.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub kind: IncidentKind,
    pub title: Names,
    pub started_at: DateTime<Utc>,
    /// When it is put on the record (now, for all but past events).
    pub recorded_at: DateTime<Utc>,
    /// For automatic incidents: the key that makes them unique while open.
    pub open_key: Option<OpenKey>,
    pub overrun_of: Option<i64>,
    pub scopes: Vec<(String, Channel)>,
    pub first_update: NewUpdate,
    /// Entries that follow the first at once, e.g. the resolution of a past event.
    pub later: Vec<NewUpdate>,
    /// The operator action that opened it, written in the same transaction with the new
    /// incident as its target.
    pub audit: Option<AuditEntry>,
    /// An automatic incident resolved lately under the same key: reopened with the first
    /// update instead of a new one, unless another is already open under the key.
    pub reopen: Option<i64>,
}

/// One timeline entry.
#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub at: DateTime<Utc>,
    pub state: IncidentState,
    pub source: Source,
    pub message: Names,
    /// Whether subscribers are told of it: not while only customers report an incident
    /// that nothing has confirmed yet.
    pub alert: bool,
}

/// An operator's change to an incident, written in one transaction: its entry, a new
/// title, and for a window, the change calendars see.
#[derive(Debug, Clone)]
pub struct OperatorUpdate {
    pub update: NewUpdate,
    pub title: Option<Names>,
    /// For maintenance: the window changed; `Some(at)` closes it at `at` (cancelled when
    /// before its announced end).
    pub window: Option<Option<DateTime<Utc>>>,
    pub audit: AuditEntry,
}

/// Whether `open_incident` made a new incident or found the one already open under its key
/// (which it then joined with the first update).
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
    pub kind: IncidentKind,
    pub state: IncidentState,
    pub title: Names,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while an automatic incident is open.
    pub open_key: Option<OpenKey>,
    /// The maintenance incident this outage is the overrun of.
    pub overrun_of: Option<i64>,
    /// The bank and channel of an automatic incident, kept after it resolves.
    pub channel_key: Option<OpenKey>,
    /// How often it failed again after it had resolved.
    pub reopens: i64,
    /// The stretches it was closed between a resolution and a reopening, in order.
    pub gaps: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Whether subscribers were told of any of its entries.
    pub alerted: bool,
    pub scopes: Vec<(String, Channel)>,
    /// The signals that back it, in the order they first saw it.
    pub sources: Vec<SourceSeen>,
}

impl IncidentRow {
    /// Its open spans: the one account of its duration, "since" and overrun.
    pub fn account(&self) -> OpenSpans {
        OpenSpans::with_gaps(self.started_at, self.resolved_at, &self.gaps)
    }

    pub fn has_source(&self, source: Source) -> bool {
        self.sources.iter().any(|s| s.source == source)
    }
}

/// A signal behind an incident and when it first saw it.
#[derive(Debug, Clone)]
pub struct SourceSeen {
    pub source: Source,
    pub first_seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct UpdateRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub state: IncidentState,
    pub source: Source,
    pub message: Names,
    /// The incident's title when this entry was written.
    pub title: Names,
    /// Whether subscribers were told of it.
    pub alerted: bool,
    /// Its corrections, in the order they were made. Filled by
    /// [`IncidentStore::incident`]; a feed entry carries none, as it never changes.
    pub corrections: Vec<Correction>,
}

/// A correction to append to a published timeline entry: the entry's whole text from `at`
/// on, and the operator's audit entry.
#[derive(Debug, Clone)]
pub struct NewCorrection {
    pub incident_id: i64,
    pub update_id: i64,
    pub at: DateTime<Utc>,
    pub message: Names,
    pub audit: AuditEntry,
}

/// A correction as a feed entry of its own: its incident, and the entry it corrects with
/// that entry's corrections up to and including this one (the last).
#[derive(Debug, Clone)]
pub struct CorrectionEntry {
    pub incident: IncidentRow,
    pub update: UpdateRow,
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
    /// Withdrawn incidents too: only the record's own lists (the API, the history) show
    /// them; live pages, feeds' incidents, Statuspage documents and figures leave them out.
    pub include_withdrawn: bool,
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

/// One bank and channel of an outage: the scorecard's unit.
#[derive(Debug, Clone)]
pub struct OutageSpan {
    pub incident_id: i64,
    pub bank: String,
    pub channel: Channel,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Set when the outage continued a maintenance window past its end.
    pub overrun_of: Option<i64>,
}

impl OutageSpan {
    /// The stretches of a reopened incident between its (re)openings and resolutions,
    /// from its timeline in order: it was not down in the gaps.
    pub fn split_at_gaps(&self, timeline: &[(DateTime<Utc>, IncidentState)]) -> Vec<OutageSpan> {
        OpenSpans::from_timeline(self.started_at, timeline)
            .spans()
            .iter()
            .map(|&(started_at, resolved_at)| OutageSpan {
                started_at,
                resolved_at,
                ..self.clone()
            })
            .collect()
    }
}

#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Opens an incident, or, when one is already open under the same `open_key`, adds the
    /// first update to it instead; one transaction either way.
    async fn open_incident(&self, new: &NewIncident) -> StoreResult<Opened>;

    /// Appends a timeline entry and moves the incident to the entry's state; a closing
    /// state sets `resolved_at` and frees the incident's `open_key`.
    async fn add_update(&self, incident_id: i64, update: &NewUpdate) -> StoreResult<()>;

    /// An operator's update, its retitle, window change and audit entry, in one transaction.
    async fn operator_update(&self, incident_id: i64, change: &OperatorUpdate) -> StoreResult<()>;

    /// Withdraws an outage or advisory as a false alarm: its state becomes `withdrawn`, its
    /// key is freed, its times stay as they were (an open one ends at the entry's time), and
    /// `entry` (the reason) and the audit entry are written, in one transaction. Subscribers
    /// hear of it only if they heard of the incident. False when there is no such incident
    /// that can be withdrawn (a window, or one withdrawn already).
    async fn withdraw_incident(
        &self,
        incident_id: i64,
        entry: &NewUpdate,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;

    /// Appends a correction of one timeline entry, with its audit entry, in one
    /// transaction; the entry and earlier corrections are never changed. Its id, or `None`
    /// when the incident has no such entry.
    async fn correct_update(&self, correction: &NewCorrection) -> StoreResult<Option<i64>>;

    /// Corrections as feed entries, newest first, filtered as [`Self::feed_entries`] is
    /// (a withdrawn incident's are left out, as its entries are).
    async fn correction_entries(&self, filter: &FeedFilter) -> StoreResult<Vec<CorrectionEntry>>;

    /// An incident with its timeline, each entry with its corrections.
    async fn incident(&self, id: i64) -> StoreResult<Option<(IncidentRow, Vec<UpdateRow>)>>;

    /// Newest first.
    async fn incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>>;

    /// Incident updates, newest first, with their incidents.
    async fn feed_entries(&self, filter: &FeedFilter) -> StoreResult<Vec<FeedEntry>>;

    /// Every bank and channel of the outages that touch `[from, to)`.
    async fn outage_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<OutageSpan>>;
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_reopened_incident_is_down_only_while_open() {
        let t = |m: i64| {
            Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0)
                .single()
                .expect("time")
                + chrono::Duration::minutes(m)
        };
        let span = OutageSpan {
            incident_id: 4,
            bank: "bmce".into(),
            channel: Channel::Web,
            started_at: t(0),
            resolved_at: Some(t(30)),
            overrun_of: None,
        };
        use IncidentState::{Investigating, Resolved};
        let timeline = [
            (t(0), Investigating),
            (t(5), Resolved),
            (t(12), Investigating),
            (t(20), Resolved),
            (t(25), Investigating),
            (t(30), Resolved),
        ];
        let spans: Vec<_> = span
            .split_at_gaps(&timeline)
            .iter()
            .map(|s| (s.started_at, s.resolved_at))
            .collect();
        assert_eq!(
            spans,
            [
                (t(0), Some(t(5))),
                (t(12), Some(t(20))),
                (t(25), Some(t(30)))
            ]
        );
    }
}
