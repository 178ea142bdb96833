//! Fusion: every signal about a channel made into one status, and how sure the tracker is
//! of it. The confidence rule here is the only one: the incident page uses it too.

use super::book::Unheld;
use super::live::{ChannelNow, CrowdNote};
use super::surge::Surge;
use super::tracker::ProbeStatus;
use crate::domain::{Channel, Confidence, Status};
use crate::store::WindowRow;
use chrono::{DateTime, Utc};

/// What backs a status or an incident.
#[derive(Debug, Clone, Copy, Default)]
pub struct Backing {
    /// The operator declared an outage.
    pub operator: bool,
    /// The bank announced it (a maintenance window).
    pub announced: bool,
    /// Probes see an outage.
    pub probes: bool,
    /// Customers' reports surge.
    pub reports: bool,
}

/// `confirmed` when the operator says so or probes and reports agree, `announced` for an
/// announced window, `likely` on probes alone, `reported` on customers alone.
pub fn confidence(b: Backing) -> Option<Confidence> {
    if b.operator {
        Some(Confidence::Confirmed)
    } else if b.announced {
        Some(Confidence::Announced)
    } else if b.probes && b.reports {
        Some(Confidence::Confirmed)
    } else if b.probes {
        Some(Confidence::Likely)
    } else if b.reports {
        Some(Confidence::Reported)
    } else {
        None
    }
}

/// Everything known of one channel right now.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signals<'a> {
    pub probe: Option<ProbeStatus>,
    pub surge: Option<&'a Surge>,
    /// The operator's open outage on it.
    pub operator: Option<i64>,
    /// The automatic incident that holds it.
    pub held: Option<i64>,
    /// Customers' reports hold that incident.
    pub held_by_reports: bool,
    /// The start of the open span of the incident behind the channel (the operator's, else
    /// the automatic one): an outage's "since", as every page reads it from the record.
    pub incident_since: Option<DateTime<Utc>>,
    /// Why a surge on it opened nothing, if it did not.
    pub unheld: Option<Unheld>,
    /// The window in force on it.
    pub window: Option<&'a WindowRow>,
    /// It changed state often lately; see [`super::core`].
    pub unstable: bool,
}

/// One channel's status: maintenance in progress shows `maintenance`; an operator outage is
/// `major_outage`; reports that hold an incident make it at least `partial_outage`;
/// otherwise what probes say. Reports against probes that pass change no status: the note
/// says customers report problems while our checks pass.
pub fn fuse(channel: Channel, s: Signals<'_>) -> ChannelNow {
    let probe_status = s.probe.map_or(Status::Unknown, |p| p.status);
    let probed = s.probe.is_some();
    let surging = s.surge.is_some_and(|s| s.active);
    let mut status = probe_status;
    let mut since = s.probe.and_then(|p| p.since);
    let mut note = None;
    if surging && !probe_status.is_outage() {
        if s.held_by_reports {
            status = Status::worst([status, Status::PartialOutage]);
            since = s.surge.and_then(|s| s.since);
        } else if probed && probe_status != Status::Unknown {
            note = Some(CrowdNote::ChecksPass);
        } else if s.unheld == Some(Unheld::TooMany) {
            note = Some(CrowdNote::Waiting);
        }
        if !probed {
            note = note.or(Some(CrowdNote::Unchecked));
        }
    }
    if s.operator.is_some() {
        status = Status::MajorOutage;
    }
    // An outage with an incident behind it dates from the incident's open span, not from
    // the probes' first failure (an overrun starts at the window's end, a reopening at its
    // entry, an operator's outage when the operator says).
    if status.is_outage() {
        since = s.incident_since.or(since);
    }
    let window = s.window.filter(|_| s.operator.is_none());
    if let Some(w) = window {
        status = Status::Maintenance;
        since = Some(w.starts);
        note = None;
    }
    ChannelNow {
        channel,
        status,
        since,
        incident: s
            .operator
            .or(s.held)
            .or_else(|| s.window.map(|w| w.incident_id)),
        confidence: confidence(Backing {
            operator: s.operator.is_some(),
            announced: window.is_some(),
            probes: probe_status.is_outage(),
            reports: surging && s.held_by_reports,
        }),
        reports: s.surge.map_or(0, |s| s.count),
        networks: s.surge.map_or(0, |s| s.networks),
        works: s.surge.map_or(0, |s| s.works),
        baseline: s.surge.map_or(0.0, |s| s.baseline),
        surge: surging,
        crowd_note: note,
        failing: s.probe.and_then(|p| p.class),
        retry_after: s.probe.and_then(|p| p.retry_after),
        unstable: s.unstable,
    }
}
