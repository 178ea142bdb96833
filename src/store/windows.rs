//! Announced maintenance windows: each is a `maintenance` incident with its announced start
//! and end, from the config file or the operator API.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, NewUpdate, StoreResult};
use crate::domain::{Channel, IncidentState, Names};

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
    pub channels: Vec<Channel>,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub title: Names,
    pub source: Option<String>,
    pub state: IncidentState,
    pub sequence: i64,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl WindowRow {
    /// Whether the window covers `channel` of `bank`.
    pub fn covers(&self, bank: &str, channel: Channel) -> bool {
        self.bank == bank && self.channels.contains(&channel)
    }

    /// Whether it is in force at `now`: begun, not past its announced end, and not closed
    /// (a completed window is over, even one cancelled before its announced end).
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.state != IncidentState::Completed && self.starts <= now && now < self.ends
    }
}

/// A new announcement of a window that has not begun: its channels, times, title and
/// source, and the timeline entry that says what changed.
#[derive(Debug, Clone)]
pub struct WindowChange {
    pub channels: Vec<Channel>,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub title: Names,
    pub source: Option<String>,
    pub entry: NewUpdate,
}

/// What became of a [`WindowChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowChanged {
    Changed,
    /// No window has this id.
    Missing,
    /// It has begun, ended or been called off: what was announced stays on the record.
    Begun,
    /// It comes from the config file, which says what it is at every start.
    FromConfig,
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
    /// The latest start first (else the soonest first): the newest `limit`, whatever came
    /// before them.
    pub newest_first: bool,
    pub limit: u32,
}

#[async_trait]
pub trait WindowStore: Send + Sync {
    /// Announces a window as a `maintenance` incident, with the operator's audit entry (its
    /// target the new incident) when one is given. A config window already stored under its
    /// key is updated instead (title, source) and keeps its id; a change moves its
    /// sequence and its last change to `now`, as calendars need. Returns the incident id.
    async fn upsert_window(
        &self,
        window: &NewWindow,
        now: DateTime<Utc>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<i64>;

    /// Announces a window that has not begun anew (channels, times, title, source), with
    /// its timeline entry and audit entry, in one transaction; calendars see a new sequence.
    async fn change_window(
        &self,
        incident_id: i64,
        change: &WindowChange,
        audit: &AuditEntry,
    ) -> StoreResult<WindowChanged>;

    async fn windows(&self, filter: &WindowFilter) -> StoreResult<Vec<WindowRow>>;

    /// The window of one maintenance incident.
    async fn window(&self, incident_id: i64) -> StoreResult<Option<WindowRow>>;
}
