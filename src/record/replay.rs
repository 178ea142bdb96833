//! The record rebuilt from the log's entries alone: every incident with its timeline, and
//! the outages and windows the scorecard counts, as the store gives them. The site computes
//! each month's scorecard from this at a signed checkpoint, and `bankstatus verify`
//! rebuilds it from the published entries with the same code, so both agree by
//! construction, and a figure can always be traced to the entries it rests on.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::fact::{
    ended_after, read_entry, Affected, CorrectionFact, FactKind, IncidentFact, Logged, WindowFact,
};
use crate::domain::{IncidentKind, IncidentState, Names, Statement};
use crate::store::{OutageSpan, WindowRow};

/// An incident as its entries tell it.
#[derive(Debug, Clone)]
pub struct Followed {
    pub id: i64,
    pub kind: IncidentKind,
    pub state: IncidentState,
    pub title: Names,
    pub affected: Vec<Affected>,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub overrun_of: Option<i64>,
    pub window: Option<WindowFact>,
    /// How often it failed again after it had resolved.
    pub reopens: u32,
    /// Its timeline entries: time, entry id, state, in the order they were logged.
    pub timeline: Vec<(DateTime<Utc>, i64, IncidentState)>,
    /// Corrections of its timeline entries, in the order they were logged.
    pub corrections: Vec<CorrectionFact>,
    /// The log entries about it, by index.
    pub entries: Vec<u64>,
}

/// Why an entry cannot be taken in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("entry {index} comes after {size} entries: the log has a gap")]
    Gap { index: u64, size: u64 },
    #[error("entry {index} cannot be read: {why}")]
    Unreadable { index: u64, why: String },
    #[error("entry {index} is about incident {incident}, which no earlier entry opened")]
    NotOpened { index: u64, incident: i64 },
    #[error("entry {index} opens incident {incident} a second time")]
    OpenedTwice { index: u64, incident: i64 },
}

/// The record as of the first `size` entries.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    size: u64,
    incidents: BTreeMap<i64, Followed>,
    /// The banks' statements, in the order they were logged.
    statements: Vec<Statement>,
    /// Entries of kinds this version does not follow, by type.
    others: BTreeMap<String, u64>,
}

impl Replay {
    /// Entries taken in.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Takes in the entry at `index`, which must be the next one.
    pub fn apply(&mut self, index: u64, entry: &[u8]) -> Result<(), ReplayError> {
        if index != self.size {
            return Err(ReplayError::Gap {
                index,
                size: self.size,
            });
        }
        match read_entry(entry).map_err(|e| ReplayError::Unreadable { index, why: e.0 })? {
            Logged::Incident(fact) => self.follow(index, *fact)?,
            Logged::Statement(fact) => self.statements.push(fact.statement()),
            Logged::Correction(fact) => {
                let incident = fact.incident;
                let Some(i) = self.incidents.get_mut(&incident) else {
                    return Err(ReplayError::NotOpened { index, incident });
                };
                i.corrections.push(*fact);
                i.entries.push(index);
            }
            Logged::Other(kind) => *self.others.entry(kind).or_default() += 1,
        }
        self.size += 1;
        Ok(())
    }

    fn follow(&mut self, index: u64, f: IncidentFact) -> Result<(), ReplayError> {
        let opens = matches!(
            f.fact,
            FactKind::IncidentOpened | FactKind::AdvisoryPosted | FactKind::WindowAnnounced
        );
        let incident = f.incident;
        if opens {
            if self.incidents.contains_key(&incident) {
                return Err(ReplayError::OpenedTwice { index, incident });
            }
            self.incidents.insert(
                incident,
                Followed {
                    id: incident,
                    kind: f.kind,
                    state: f.state,
                    title: f.title.clone(),
                    affected: f.affected.clone(),
                    started_at: f.started_at,
                    resolved_at: None,
                    overrun_of: f.overrun_of,
                    window: None,
                    reopens: 0,
                    timeline: Vec::new(),
                    corrections: Vec::new(),
                    entries: Vec::new(),
                },
            );
        }
        let Some(i) = self.incidents.get_mut(&incident) else {
            return Err(ReplayError::NotOpened { index, incident });
        };
        if f.fact == FactKind::IncidentReopened {
            i.reopens += 1;
        }
        if let Some(update) = f.update {
            // As the store does: the entry's state is the incident's, and a closing one
            // sets when it ended.
            i.timeline.push((f.at, update, f.state));
            i.state = f.state;
            i.resolved_at = ended_after(i.resolved_at, f.state, f.at);
        }
        // Each entry carries the incident as it stands after it: a window announced anew
        // moves its start and may change its channels.
        i.title = f.title;
        i.window = f.window;
        i.affected = f.affected;
        i.started_at = f.started_at;
        i.entries.push(index);
        Ok(())
    }

    pub fn incident(&self, id: i64) -> Option<&Followed> {
        self.incidents.get(&id)
    }

    pub fn incidents(&self) -> impl Iterator<Item = &Followed> {
        self.incidents.values()
    }

    /// The statements said at or after `since`, newest said first, as
    /// `StatementStore::statements` gives them.
    pub fn statements_since(&self, since: DateTime<Utc>) -> Vec<Statement> {
        let mut out: Vec<Statement> = self
            .statements
            .iter()
            .filter(|s| s.said_at >= since)
            .cloned()
            .collect();
        out.sort_by_key(|s| std::cmp::Reverse((s.said_at, s.id)));
        out
    }

    /// Entries of kinds this version does not follow, by type.
    pub fn others(&self) -> &BTreeMap<String, u64> {
        &self.others
    }

    /// Every bank and channel of the outages that touch `[from, to)`, as
    /// `IncidentStore::outage_spans` gives them.
    pub fn outage_spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<OutageSpan> {
        let mut touching: Vec<&Followed> = self
            .incidents
            .values()
            .filter(|i| {
                i.kind == IncidentKind::Outage
                    && i.state != IncidentState::Withdrawn
                    && i.started_at < to
                    && i.resolved_at.is_none_or(|r| r > from)
            })
            .collect();
        touching.sort_by_key(|i| (i.started_at, i.id));
        let mut spans = Vec::new();
        for i in touching {
            let mut timeline = i.timeline.clone();
            timeline.sort_by_key(|(at, id, _)| (*at, *id));
            let timeline: Vec<(DateTime<Utc>, IncidentState)> =
                timeline.into_iter().map(|(at, _, s)| (at, s)).collect();
            for a in &i.affected {
                let span = OutageSpan {
                    incident_id: i.id,
                    bank: a.bank.clone(),
                    channel: a.channel,
                    started_at: i.started_at,
                    resolved_at: i.resolved_at,
                    overrun_of: i.overrun_of,
                };
                if i.reopens == 0 {
                    spans.push(span);
                } else {
                    spans.extend(span.split_at_gaps(&timeline));
                }
            }
        }
        spans
    }

    /// The announced windows that end after `ended_after` and start before `starts_before`,
    /// soonest first, as `WindowStore::windows` gives them (without the calendar's sequence,
    /// which the log does not hold).
    pub fn windows(
        &self,
        ended_after: DateTime<Utc>,
        starts_before: DateTime<Utc>,
    ) -> Vec<WindowRow> {
        let mut rows: Vec<WindowRow> = self
            .incidents
            .values()
            .filter(|i| i.kind == IncidentKind::Maintenance)
            .filter_map(|i| {
                let w = i.window.as_ref()?;
                (w.ends > ended_after && w.starts < starts_before).then(|| {
                    let mut channels: Vec<_> = i.affected.iter().map(|a| a.channel).collect();
                    channels.sort();
                    channels.dedup();
                    WindowRow {
                        incident_id: i.id,
                        bank: i
                            .affected
                            .first()
                            .map(|a| a.bank.clone())
                            .unwrap_or_default(),
                        channels,
                        starts: w.starts,
                        ends: w.ends,
                        title: i.title.clone(),
                        source: w.source_url.clone(),
                        state: i.state,
                        sequence: 0,
                        cancelled_at: w.cancelled_at,
                        updated_at: i.timeline.last().map_or(i.started_at, |t| t.0),
                    }
                })
            })
            .collect();
        rows.sort_by_key(|w| (w.starts, w.incident_id));
        rows
    }
}

/// The signed checkpoint a figure was computed from, as pages and data name it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointRef {
    pub origin: String,
    /// Entries in the tree: the figures rest on entries 0 to `size - 1`.
    pub size: u64,
    /// The tree's root hash, in base64.
    pub root: String,
    pub signed_at: DateTime<Utc>,
    /// The signed note itself, checkable with the log's key.
    pub note: String,
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::{Channel, Source};

    fn t(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0)
            .single()
            .expect("time")
            + Duration::minutes(m)
    }

    fn fact(fact: FactKind, incident: i64, update: i64, at: i64, state: IncidentState) -> Vec<u8> {
        IncidentFact {
            fact,
            incident,
            update: Some(update),
            kind: IncidentKind::Outage,
            state,
            at: t(at),
            source: Source::Probe,
            message: Names::default(),
            title: Names::new("", "", "Outage"),
            affected: vec![Affected {
                bank: "bmce".into(),
                channel: Channel::Atm,
            }],
            started_at: t(0),
            recorded_at: None,
            overrun_of: None,
            window: None,
        }
        .to_entry()
    }

    #[test]
    fn a_reopened_outage_is_counted_only_while_open() {
        use IncidentState::{Investigating, Resolved};
        let mut r = Replay::default();
        let entries = [
            fact(FactKind::IncidentOpened, 1, 10, 0, Investigating),
            fact(FactKind::IncidentResolved, 1, 11, 5, Resolved),
            fact(FactKind::IncidentReopened, 1, 12, 12, Investigating),
            fact(FactKind::IncidentResolved, 1, 13, 20, Resolved),
        ];
        for (i, e) in entries.iter().enumerate() {
            r.apply(i as u64, e).expect("taken in");
        }
        let spans: Vec<_> = r
            .outage_spans(t(-60), t(60))
            .iter()
            .map(|s| (s.started_at, s.resolved_at))
            .collect();
        assert_eq!(spans, [(t(0), Some(t(5))), (t(12), Some(t(20)))]);
        assert_eq!(
            r.incident(1).map(|i| i.entries.clone()),
            Some(vec![0, 1, 2, 3])
        );
        assert!(r.outage_spans(t(20), t(60)).is_empty(), "over by then");
    }

    #[test]
    fn gaps_strays_and_junk_are_refused() {
        use IncidentState::Investigating;
        let mut r = Replay::default();
        let open = fact(FactKind::IncidentOpened, 1, 10, 0, Investigating);
        assert_eq!(
            r.apply(1, &open),
            Err(ReplayError::Gap { index: 1, size: 0 })
        );
        r.apply(0, &open).expect("first");
        assert_eq!(
            r.apply(1, &open),
            Err(ReplayError::OpenedTwice {
                index: 1,
                incident: 1
            })
        );
        let stray = fact(FactKind::IncidentUpdated, 2, 11, 1, Investigating);
        assert_eq!(
            r.apply(1, &stray),
            Err(ReplayError::NotOpened {
                index: 1,
                incident: 2
            })
        );
        assert!(matches!(
            r.apply(1, b"{"),
            Err(ReplayError::Unreadable { .. })
        ));
        r.apply(1, b"{\"type\":\"statement.published\"}")
            .expect("kept apart");
        assert_eq!(r.size(), 2);
        assert_eq!(r.others().get("statement.published"), Some(&1));
    }
}
