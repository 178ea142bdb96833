//! An alert event with what every message about it needs: its incident, its timeline entry
//! (or the bank's statement, with every incident it speaks of) and the change it makes. Read once from the store and kept for the fan-out and
//! every delivery of the event, so a hundred thousand messages cost one read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::rules::{self, Change};
use crate::domain::Statement;
use crate::store::alerts::Subscription;
use crate::store::{DynStore, IncidentRow, StoreResult, UpdateRow};

/// Events kept at most; past this the cache starts again empty, as the events of a burst
/// are sent within minutes.
const KEPT: usize = 1_000;

/// An event with what every message about it needs.
#[derive(Debug)]
pub(super) struct EventData {
    /// The incident it is sent under: the entry's, or a statement's first.
    pub incident: IncidentRow,
    pub entry: Entry,
    pub change: Change,
}

/// What was published: a timeline entry, or a bank's statement with every incident it
/// speaks of.
#[derive(Debug)]
pub(super) enum Entry {
    Update(UpdateRow),
    Statement {
        statement: Statement,
        incidents: Vec<IncidentRow>,
    },
}

impl EventData {
    /// When what it tells happened: the entry's time, or when the bank spoke.
    pub fn at(&self) -> DateTime<Utc> {
        match &self.entry {
            Entry::Update(u) => u.at,
            Entry::Statement { statement, .. } => statement.said_at,
        }
    }

    /// Whether `sub` covers it: its incident, or for a statement any incident it speaks of.
    pub fn covered_by(&self, sub: &Subscription) -> bool {
        match &self.entry {
            Entry::Update(_) => rules::covers(sub, &self.incident),
            Entry::Statement { incidents, .. } => incidents.iter().any(|i| rules::covers(sub, i)),
        }
    }
}

/// Events read so far, by id.
pub(super) struct Events {
    store: DynStore,
    kept: Mutex<HashMap<i64, Arc<EventData>>>,
}

impl Events {
    pub fn new(store: DynStore) -> Events {
        Events {
            store,
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// The event `event_id`, or `None` once its incident or entry is gone.
    pub async fn get(&self, event_id: i64) -> StoreResult<Option<Arc<EventData>>> {
        if let Some(d) = self
            .kept
            .lock()
            .ok()
            .and_then(|m| m.get(&event_id).cloned())
        {
            return Ok(Some(d));
        }
        let Some(event) = self.store.alert_event(event_id).await? else {
            return Ok(None);
        };
        let Some((incident, updates)) = self.store.incident(event.incident_id).await? else {
            return Ok(None);
        };
        let data = match event.statement_id {
            Some(id) => self.statement_data(incident, id).await?,
            None => event_data(incident, updates, event.update_id),
        };
        let Some(data) = data.map(Arc::new) else {
            return Ok(None);
        };
        if let Ok(mut m) = self.kept.lock() {
            if m.len() > KEPT {
                m.clear();
            }
            m.insert(event_id, data.clone());
        }
        Ok(Some(data))
    }
}

impl Events {
    /// A statement's event: the statement and every incident it speaks of, still there.
    async fn statement_data(
        &self,
        incident: IncidentRow,
        statement_id: i64,
    ) -> StoreResult<Option<EventData>> {
        let Some(statement) = self.store.statement(statement_id).await? else {
            return Ok(None);
        };
        let mut incidents = Vec::with_capacity(statement.incidents.len());
        for id in &statement.incidents {
            if *id == incident.id {
                incidents.push(incident.clone());
            } else if let Some((row, _)) = self.store.incident(*id).await? {
                incidents.push(row);
            }
        }
        Ok(Some(EventData {
            incident,
            entry: Entry::Statement {
                statement,
                incidents,
            },
            change: Change::Statement,
        }))
    }
}

/// The event of entry `update_id` in an incident's timeline: the change is read against the
/// last entry before it (by id, the order they were written in) that subscribers were told
/// of, whatever came after: the first they hear of an incident only customers reported
/// before it was confirmed is its opening.
fn event_data(
    incident: IncidentRow,
    mut updates: Vec<UpdateRow>,
    update_id: i64,
) -> Option<EventData> {
    updates.sort_by_key(|u| u.id);
    let pos = updates.iter().position(|u| u.id == update_id)?;
    let previous = updates[..pos]
        .iter()
        .rev()
        .find(|u| u.alerted)
        .map(|u| u.state);
    let update = updates.swap_remove(pos);
    let change = rules::change(incident.kind, previous, update.state);
    Some(EventData {
        incident,
        entry: Entry::Update(update),
        change,
    })
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::domain::{IncidentKind, IncidentState, Source};

    fn incident(kind: IncidentKind) -> IncidentRow {
        IncidentRow {
            id: 7,
            kind,
            state: IncidentState::Investigating,
            title: Default::default(),
            started_at: DateTime::UNIX_EPOCH,
            resolved_at: None,
            updated_at: DateTime::UNIX_EPOCH,
            created_at: DateTime::UNIX_EPOCH,
            open_key: None,
            overrun_of: None,
            channel_key: None,
            reopens: 0,
            gaps: Vec::new(),
            scopes: Vec::new(),
            sources: Vec::new(),
            alerted: true,
        }
    }

    fn update(id: i64, state: IncidentState) -> UpdateRow {
        UpdateRow {
            id,
            at: DateTime::UNIX_EPOCH,
            state,
            source: Source::Operator,
            message: Default::default(),
            title: Default::default(),
            alerted: true,
            corrections: Vec::new(),
        }
    }

    #[test]
    fn what_subscribers_were_not_told_of_does_not_count_as_before() {
        use IncidentState::*;
        // Customers alone reported it (not told), then it lasted and was told, then it was
        // withdrawn.
        let quiet = UpdateRow {
            alerted: false,
            ..update(1, Investigating)
        };
        let timeline = vec![quiet, update(2, Investigating), update(3, Withdrawn)];
        let at = |id| event_data(incident(IncidentKind::Outage), timeline.clone(), id);
        assert_eq!(at(2).expect("told").change, Change::Opened);
        let withdrawn = at(3).expect("withdrawn");
        assert_eq!(withdrawn.change, Change::Withdrawn);
        assert_eq!(withdrawn.change.event_type(), "incident.withdrawn");
    }

    #[test]
    fn the_change_is_read_against_the_entry_before_it() {
        use IncidentState::*;
        // Handed over newest first, as a page shows them.
        let timeline = vec![
            update(3, Resolved),
            update(2, Identified),
            update(1, Investigating),
        ];
        let at = |id| event_data(incident(IncidentKind::Outage), timeline.clone(), id);
        let first = at(1).expect("first entry");
        assert_eq!(first.change, Change::Opened);
        assert!(matches!(first.entry, Entry::Update(ref u) if u.id == 1));
        assert_eq!(at(2).expect("second").change, Change::Updated);
        let last = at(3).expect("last");
        assert_eq!(last.change, Change::Resolved);
        assert!(matches!(last.entry, Entry::Update(ref u) if u.state == Resolved));
    }

    #[test]
    fn a_window_announced_then_started() {
        use IncidentState::*;
        let timeline = vec![update(1, Scheduled), update(2, InProgress)];
        let at = |id| event_data(incident(IncidentKind::Maintenance), timeline.clone(), id);
        assert_eq!(at(1).expect("announced").change, Change::Announced);
        assert_eq!(at(2).expect("started").change, Change::WindowStarted);
    }

    #[test]
    fn an_entry_no_longer_in_the_timeline_is_no_event() {
        let timeline = vec![update(1, IncidentState::Investigating)];
        assert!(event_data(incident(IncidentKind::Outage), timeline, 9).is_none());
    }
}
