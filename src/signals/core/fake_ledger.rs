//! The core tests' stand-in for the record: every effect applied as the engine writes it.
//! It keeps the store's contract (`the_fake_ledger_keeps_the_store_contract` runs the same
//! story the store answers on both backends).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Core;
use crate::domain::{IncidentKind, OpenSpans};
use crate::signals::effects::{Effect, Entry, Target};
use crate::signals::ledger::{self, Ledger, Line};
use crate::store::{
    IncidentRow, NewIncident, NewUpdate, Opened, SourceSeen, StoreError, StoreResult,
};

/// The record as the engine would leave it: every effect applied as the engine writes it,
/// or refused while `failing` is set. It keeps the store's contract: it tells the same
/// story as the store (`the_fake_ledger_keeps_the_store_contract`).
#[derive(Default)]
pub(in crate::signals::core) struct FakeLedger {
    pub(in crate::signals::core) incidents: Vec<IncidentRow>,
    /// Each incident's timeline, as written.
    lines: HashMap<i64, Vec<Line>>,
    /// The catalogue id of each entry's first sentence, windows' entries included.
    words: HashMap<i64, Vec<String>>,
    /// Each entry as written in English, by incident.
    pub(in crate::signals::core) english: HashMap<i64, Vec<String>>,
    pub(in crate::signals::core) failing: bool,
    /// Whether each entry was told to subscribers, by incident.
    pub(in crate::signals::core) alerts: HashMap<i64, Vec<bool>>,
}

impl FakeLedger {
    /// Applies effects in order as the engine does: on the first refusal the rest are
    /// dropped and the core takes the record's word again.
    pub(in crate::signals::core) fn apply(
        &mut self,
        core: &mut Core,
        effects: Vec<Effect>,
        now: DateTime<Utc>,
    ) {
        for effect in effects {
            if self.failing {
                let open = self.still_open();
                let windows = Vec::new();
                let more = core.resync(&open, windows, now);
                assert!(more.is_empty(), "{more:?}");
                return;
            }
            self.write(core, &effect, now);
        }
    }

    fn write(&mut self, core: &mut Core, effect: &Effect, now: DateTime<Utc>) {
        match effect {
            Effect::Open { key, entry, .. } => {
                let new = effect.incident(now).expect("an opening writes an incident");
                let id = self.open_incident(&new).id();
                core.opened(key, id);
                self.said(id, entry);
            }
            Effect::Add { to, entry } => {
                let id = match to {
                    Target::Incident(id) => *id,
                    Target::Open(key) => core.incident_of(key).expect("opened before"),
                };
                // A window's entries: the ledger holds no windows, only the words said.
                if self.holds(id) {
                    self.update(id, &entry.update());
                }
                self.said(id, entry);
            }
        }
    }

    /// As `IncidentStore::open_incident`: joins the incident open under the key, reopens
    /// the one named if it is resolved, or opens a new one.
    fn open_incident(&mut self, new: &NewIncident) -> Opened {
        let first = &new.first_update;
        if let Some(key) = &new.open_key {
            if let Some(id) = self
                .incidents
                .iter()
                .find(|r| r.open_key.as_ref() == Some(key))
                .map(|r| r.id)
            {
                self.update(id, first);
                return Opened::Existing(id);
            }
            if let Some(row) = new
                .reopen
                .and_then(|id| self.incidents.iter_mut().find(|r| r.id == id))
                .filter(|r| r.open_key.is_none() && r.resolved_at.is_some())
            {
                row.open_key = Some(key.clone());
                row.reopens += 1;
                let id = row.id;
                self.update(id, first);
                return Opened::Existing(id);
            }
        }
        let id = self.incidents.len() as i64 + 1;
        let mut scopes = new.scopes.clone();
        scopes.sort_by(|x, y| (&x.0, x.1.as_str()).cmp(&(&y.0, y.1.as_str())));
        scopes.dedup();
        self.incidents.push(IncidentRow {
            id,
            kind: new.kind,
            state: first.state,
            title: new.title.clone(),
            started_at: new.started_at,
            resolved_at: None,
            created_at: new.recorded_at,
            updated_at: first.at,
            open_key: new.open_key.clone(),
            overrun_of: new.overrun_of,
            channel_key: new.open_key.clone(),
            reopens: 0,
            gaps: Vec::new(),
            scopes,
            sources: Vec::new(),
            alerted: true,
        });
        self.line(id, first);
        for later in &new.later {
            self.update(id, later);
        }
        Opened::New(id)
    }

    /// As `IncidentStore::add_update`, for an incident the ledger holds: the entry's state,
    /// and a closing state frees the key.
    pub(in crate::signals::core) fn update(&mut self, id: i64, update: &NewUpdate) {
        if let Some(row) = self.incidents.iter_mut().find(|r| r.id == id) {
            let closed = update.state.is_closed();
            row.state = update.state;
            row.updated_at = row.updated_at.max(update.at);
            row.resolved_at = closed.then_some(update.at);
            if closed {
                row.open_key = None;
            }
        }
        self.line(id, update);
    }

    /// Appends an entry to the timeline and records its source as backing the incident.
    fn line(&mut self, id: i64, update: &NewUpdate) {
        self.lines
            .entry(id)
            .or_default()
            .push((update.at, update.state, update.source));
        let Some(row) = self.incidents.iter_mut().find(|r| r.id == id) else {
            return;
        };
        if !row.sources.iter().any(|s| s.source == update.source) {
            row.sources.push(SourceSeen {
                source: update.source,
                first_seen_at: update.at,
            });
            row.sources
                .sort_by_key(|s| (s.first_seen_at, s.source.as_str()));
        }
    }

    fn said(&mut self, id: i64, entry: &Entry) {
        self.words
            .entry(id)
            .or_default()
            .push(entry.message[0].id().to_owned());
        self.english.entry(id).or_default().push(
            crate::i18n::sentences(&entry.message)
                .en
                .unwrap_or_default(),
        );
        self.alerts.entry(id).or_default().push(entry.alert);
    }

    fn holds(&self, id: i64) -> bool {
        self.incidents.iter().any(|r| r.id == id)
    }

    /// Newest first, as the store lists them.
    fn newest_first(&self, keep: impl Fn(&IncidentRow) -> bool) -> Vec<IncidentRow> {
        let mut rows: Vec<IncidentRow> =
            self.incidents.iter().filter(|r| keep(r)).cloned().collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.started_at, r.id)));
        rows
    }

    pub(in crate::signals::core) fn still_open(&self) -> Vec<IncidentRow> {
        self.newest_first(|r| r.resolved_at.is_none())
    }

    /// An incident's open spans read from its timeline, as the store reads them.
    pub(in crate::signals::core) fn account(&self, id: i64) -> OpenSpans {
        let row = self.incidents.iter().find(|r| r.id == id).expect("held");
        let timeline: Vec<_> = self.lines[&id].iter().map(|l| (l.0, l.1)).collect();
        OpenSpans::from_timeline(row.started_at, &timeline)
    }

    pub(in crate::signals::core) fn words(&self, id: i64) -> Vec<&str> {
        self.words
            .get(&id)
            .map(|w| w.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl Ledger for FakeLedger {
    async fn open(&mut self, new: &NewIncident) -> StoreResult<Opened> {
        Ok(self.open_incident(new))
    }

    async fn add(&mut self, id: i64, update: &NewUpdate) -> StoreResult<()> {
        if !self.holds(id) {
            return Err(StoreError::Malformed(format!("no incident {id}")));
        }
        self.update(id, update);
        Ok(())
    }

    async fn open_incidents(&mut self) -> StoreResult<Vec<IncidentRow>> {
        Ok(self.still_open())
    }

    async fn resolved_since(&mut self, since: DateTime<Utc>) -> StoreResult<Vec<IncidentRow>> {
        // The engine's filter: outages started since, or not resolved before it; of those,
        // the resolved ones with a channel.
        Ok(self.newest_first(|r| {
            r.kind == IncidentKind::Outage
                && (r.started_at >= since || r.resolved_at.is_none_or(|at| at >= since))
                && r.resolved_at.is_some()
                && r.channel_key.is_some()
        }))
    }

    async fn timeline(&mut self, id: i64) -> StoreResult<Vec<Line>> {
        let mut lines = self.lines.get(&id).cloned().unwrap_or_default();
        lines.sort_by_key(|(at, _, _)| *at);
        Ok(lines)
    }
}

#[tokio::test]
async fn the_fake_ledger_keeps_the_store_contract() {
    ledger::story(&mut FakeLedger::default())
        .await
        .expect("the fake refuses nothing the store accepts");
}
