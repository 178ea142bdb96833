//! The incident book: which automatic incident holds each bank channel and by which
//! signals, which outages the operator declared, and the rules that open, join and release
//! them, with the words of each timeline entry and whether subscribers hear of it (not while
//! only customers report an incident nothing confirmed). Pure: it returns effects to write.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::effects::{Effect, Entry, Target};
use super::tracker::Why;
use super::windows::WindowBook;
use crate::domain::{IncidentKind, IncidentState, Names, OpenKey, Source, Status};
use crate::i18n::{Arg, Msg, OneDecimal};
use crate::store::IncidentRow;

/// The maintenance window an outage overran: its incident and announced end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overran {
    pub window: i64,
    pub ends: DateTime<Utc>,
}

/// An open automatic incident and the signals that hold it open.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// `None` until the effect that opens it has been written.
    pub id: Option<i64>,
    pub probe: bool,
    pub reports: bool,
    pub overrun: Option<Overran>,
    /// Since when it holds the channel: the start of the incident's open span, as
    /// [`crate::domain::OpenSpans::since`] reads it from the record (its start, or the
    /// reopening entry's time).
    pub since: DateTime<Utc>,
    /// Subscribers were told of it.
    pub alerted: bool,
    /// The operator spoke for it.
    pub confirmed: bool,
    /// Its timeline says the channel works only now and then: said once per incident.
    pub intermittent: bool,
}

impl Held {
    /// Only customers report it: no probe and no operator has spoken for it.
    pub fn reported_only(&self) -> bool {
        self.reports && !self.probe && !self.confirmed
    }
}

/// The most incidents only customers report that may be open at once. Past it, a surge is
/// shown beside the channel's status but opens nothing until the operator looks: a few
/// addresses cannot put many channels in outage.
pub const MAX_REPORTED_ONLY: usize = 3;

/// What the probes say of a channel that went down.
#[derive(Debug, Clone)]
pub struct Failing {
    /// The first failure.
    pub started_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub status: Status,
    pub why: Why,
    /// The regions that see it down, when more than one judges the channel.
    pub regions: Vec<String>,
}

/// What a report surge that started was judged on.
#[derive(Debug, Clone, Copy)]
pub struct Surging {
    pub count: i64,
    pub networks: i64,
    pub baseline: f64,
    pub window_minutes: u64,
    pub at: DateTime<Utc>,
}

/// An automatic incident resolved lately: one that fails again within `reopen_within` of
/// its resolution reopens it rather than opening another.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub overrun: Option<Overran>,
}

/// Why a surge opened nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unheld {
    /// The channel's probes pass: reports against them never make an outage.
    ChecksPass,
    /// [`MAX_REPORTED_ONLY`] incidents only customers report are open already.
    TooMany,
}

#[derive(Debug)]
pub struct IncidentBook {
    held: HashMap<OpenKey, Held>,
    recent: HashMap<OpenKey, Resolved>,
    reopen_within: Duration,
    /// Outages the operator declared, by the channels they cover, with the start of each
    /// one's open span.
    operator: HashMap<OpenKey, (i64, DateTime<Utc>)>,
    /// The channels probes watch: reports alone never hold an incident open on them.
    probed: BTreeSet<OpenKey>,
    banks: HashMap<String, Names>,
    tz: Tz,
}

impl IncidentBook {
    /// `banks` names each bank in the three languages, for titles.
    pub fn new(banks: HashMap<String, Names>, tz: Tz, reopen_within: Duration) -> IncidentBook {
        IncidentBook {
            held: HashMap::new(),
            recent: HashMap::new(),
            reopen_within,
            operator: HashMap::new(),
            probed: BTreeSet::new(),
            banks,
            tz,
        }
    }

    /// The channels probes watch, on which reports alone never hold an incident open.
    pub fn watching(mut self, probed: impl IntoIterator<Item = OpenKey>) -> IncidentBook {
        self.probed = probed.into_iter().collect();
        self
    }

    fn bank(&self, key: &OpenKey) -> Arg {
        Arg::Names(self.banks.get(&key.bank).cloned().unwrap_or_default())
    }

    pub fn held(&self, key: &OpenKey) -> Option<&Held> {
        self.held.get(key)
    }

    pub fn held_keys(&self) -> impl Iterator<Item = &OpenKey> {
        self.held.keys()
    }

    pub fn operator_keys(&self) -> impl Iterator<Item = &OpenKey> {
        self.operator.keys()
    }

    pub fn operator_outage(&self, key: &OpenKey) -> Option<i64> {
        self.operator.get(key).map(|o| o.0)
    }

    /// Since when the incident behind the channel (the operator's, else the automatic
    /// one) has been open: the start of its open span, the "since" every page shows.
    pub fn down_since(&self, key: &OpenKey) -> Option<DateTime<Utc>> {
        self.operator
            .get(key)
            .map(|o| o.1)
            .or_else(|| self.held.get(key).map(|h| h.since))
    }

    /// Whether a channel failing again soon after its resolution goes on as the same
    /// outage (`reopen_within` above zero): only then is a flapping channel held open.
    pub fn joins_flaps(&self) -> bool {
        self.reopen_within > Duration::zero()
    }

    /// The open incidents the book knows: automatic and the operator's.
    pub fn open_count(&self) -> usize {
        self.held.len() + self.operator.len()
    }

    /// The incident an entry for this channel goes to: the automatic one, else the
    /// operator's.
    pub fn incident_of(&self, key: &OpenKey) -> Option<i64> {
        self.held
            .get(key)
            .and_then(|h| h.id)
            .or_else(|| self.operator_outage(key))
    }

    /// The effect that opened `key` was written as incident `id`.
    pub fn opened(&mut self, key: &OpenKey, id: i64) {
        if let Some(h) = self.held.get_mut(key) {
            h.id = Some(id);
        }
    }

    /// How many open incidents only customers report.
    pub fn reported_only_count(&self) -> usize {
        self.held.values().filter(|h| h.reported_only()).count()
    }

    /// Takes the automatic incidents open in the database as they are. `watched` says
    /// whether probes still watch a channel: one no longer probed cannot be held by them.
    /// Returns the channels whose incident no signal holds any more, for
    /// [`IncidentBook::release_orphans`].
    pub fn restore(
        &mut self,
        open: &[IncidentRow],
        windows: &WindowBook,
        watched: impl Fn(&OpenKey) -> bool,
    ) -> Vec<OpenKey> {
        self.held.clear();
        let mut orphans = Vec::new();
        for row in open {
            let Some(key) = &row.open_key else { continue };
            let probe = watched(key) && row.has_source(Source::Probe);
            let reports = row.has_source(Source::Reports);
            let overrun = row.overrun_of.and_then(|w| {
                windows.get(w).map(|w| Overran {
                    window: w.incident_id,
                    ends: w.ends,
                })
            });
            if !probe && !reports {
                orphans.push(key.clone());
            }
            self.held.insert(
                key.clone(),
                Held {
                    id: Some(row.id),
                    // An orphan is held as by probes until it is released.
                    probe: probe || !reports,
                    reports,
                    overrun,
                    since: row.account().since(),
                    alerted: row.alerted,
                    confirmed: row.has_source(Source::Operator),
                    intermittent: false,
                },
            );
        }
        self.follow_operator(open);
        orphans
    }

    /// Takes the automatic incidents resolved lately (read at start), so that a channel
    /// failing again soon reopens its incident.
    pub fn remember_resolved(&mut self, resolved: &[IncidentRow], windows: &WindowBook) {
        for row in resolved {
            let (Some(key), Some(at)) = (&row.channel_key, row.resolved_at) else {
                continue;
            };
            if row.open_key.is_some() || self.held.contains_key(key) {
                continue;
            }
            if self.recent.get(key).is_some_and(|r| r.at >= at) {
                continue;
            }
            let overrun = row.overrun_of.and_then(|w| {
                windows.get(w).map(|w| Overran {
                    window: w.incident_id,
                    ends: w.ends,
                })
            });
            self.recent.insert(
                key.clone(),
                Resolved {
                    id: row.id,
                    at,
                    overrun,
                },
            );
        }
    }

    /// Reads the operator's open outages again, notes the automatic incidents the operator
    /// spoke for, and forgets those closed meanwhile (resolved or withdrawn by an operator).
    /// Returns the channels whose incident was closed so, for the core to hold back the
    /// signal that opened it.
    pub fn follow_operator(&mut self, open: &[IncidentRow]) -> Vec<OpenKey> {
        self.operator.clear();
        for row in open {
            if row.kind == IncidentKind::Outage && row.open_key.is_none() {
                let since = row.account().since();
                for (bank, channel) in &row.scopes {
                    self.operator
                        .insert(OpenKey::new(bank, *channel), (row.id, since));
                }
            }
        }
        let rows: HashMap<i64, &IncidentRow> = open.iter().map(|r| (r.id, r)).collect();
        let mut closed = Vec::new();
        self.held.retain(|key, h| {
            let Some(id) = h.id else { return true };
            match rows.get(&id) {
                Some(row) => {
                    h.alerted |= row.alerted;
                    h.confirmed |= row.has_source(Source::Operator);
                    true
                }
                None => {
                    closed.push(key.clone());
                    false
                }
            }
        });
        closed
    }

    /// Resolves the incidents [`IncidentBook::restore`] found held by no signal.
    pub fn release_orphans(&mut self, orphans: &[OpenKey], now: DateTime<Utc>) -> Vec<Effect> {
        orphans
            .iter()
            .filter_map(|k| self.release(k, Source::Probe, now))
            .collect()
    }

    /// The probes of a channel crossed their threshold outside any window.
    pub fn probe_down(
        &mut self,
        key: &OpenKey,
        failing: Failing,
        overrun: Option<Overran>,
    ) -> Option<Effect> {
        if self.held.get(key).is_some_and(|h| h.probe) {
            return None;
        }
        // "Unavailable" only when every probe fails: some answering is a partial outage.
        let title = Msg::new(match (overrun.is_some(), failing.status) {
            (true, _) => "overrun-title",
            (false, Status::MajorOutage) => "outage-title",
            (false, _) => "outage-title-partial",
        })
        .with("bank", self.bank(key))
        .with("channel", Arg::Channel(key.channel));
        let what = Arg::Failure(failing.why.class, failing.why.detail.clone());
        let mut message = vec![match overrun {
            None => Msg::new("probe-failing")
                .with("channel", Arg::Channel(key.channel))
                .with("status", Arg::Status(failing.status))
                .with("detail", what),
            // Found at the very end (the window's last tick), there is no "0 s after" to
            // tell: it still fails at the announced end.
            Some(o) if !late(o, failing.at) => Msg::new("probe-failing-overrun-at-end")
                .with("channel", Arg::Channel(key.channel))
                .with("end", Arg::Time(o.ends, self.tz))
                .with("detail", what),
            Some(o) => Msg::new("probe-failing-overrun")
                .with("channel", Arg::Channel(key.channel))
                .with("late", Arg::Elapsed(o.ends, failing.at))
                .with("end", Arg::Time(o.ends, self.tz))
                .with("detail", what),
        }];
        if !failing.regions.is_empty() {
            message.push(Msg::new("probe-seen-from").with("regions", Arg::List(failing.regions)));
        }
        let entry = Entry {
            at: failing.at,
            state: IncidentState::Investigating,
            source: Source::Probe,
            message,
            alert: true,
        };
        // An overrun starts at the announced end: the minutes before it were announced.
        let started_at = overrun.map_or(failing.started_at, |o| o.ends.max(failing.started_at));
        let effect = self.open_or_join(key, title, started_at, entry, overrun);
        if let Some(h) = self.held.get_mut(key) {
            h.probe = true;
            h.alerted = true;
        }
        Some(effect)
    }

    /// At a window's announced end, the automatic incident of a channel that failed since
    /// before the window (or before it was announced) and still fails ends here: the
    /// failure goes on as the window's overrun, a new incident from the announced end.
    pub fn hand_to_overrun(
        &mut self,
        key: &OpenKey,
        window: Overran,
        at: DateTime<Utc>,
    ) -> Option<Effect> {
        let held = self.held.get(key)?;
        if !held.probe || held.reports || held.overrun.is_some_and(|o| o.window == window.window) {
            return None;
        }
        let to = target(key, held);
        // Not remembered for reopening: the overrun is its own incident.
        self.held.remove(key);
        Some(Effect::Add {
            to,
            entry: Entry {
                at,
                state: IncidentState::Resolved,
                source: Source::Probe,
                message: vec![Msg::new("continues-as-overrun")
                    .with("channel", Arg::Channel(key.channel))
                    .with("end", Arg::Time(window.ends, self.tz))],
                alert: true,
            },
        })
    }

    /// Still down, but now between partial and major outage the other way.
    pub fn probe_severity(
        &self,
        key: &OpenKey,
        status: Status,
        at: DateTime<Utc>,
    ) -> Option<Effect> {
        let held = self.held.get(key).filter(|h| h.probe)?;
        let id = if status == Status::MajorOutage {
            "probes-all-failing"
        } else {
            "probes-some-answer"
        };
        Some(Effect::Add {
            to: target(key, held),
            entry: Entry {
                at,
                state: IncidentState::Investigating,
                source: Source::Probe,
                message: vec![Msg::new(id).with("channel", Arg::Channel(key.channel))],
                alert: held.alerted,
            },
        })
    }

    /// Every probe of the channel recovered.
    pub fn probe_up(&mut self, key: &OpenKey, at: DateTime<Utc>) -> Option<Effect> {
        if !self.held.get(key).is_some_and(|h| h.probe) {
            return None;
        }
        self.release(key, Source::Probe, at)
    }

    /// The probes of a channel shown unstable pass again: the incident stays open until the
    /// channel is steady, and its timeline says once, not at every flip, that it works only
    /// now and then.
    pub fn probe_intermittent(&mut self, key: &OpenKey, at: DateTime<Utc>) -> Option<Effect> {
        let held = self.held.get_mut(key).filter(|h| h.probe)?;
        if std::mem::replace(&mut held.intermittent, true) {
            return None;
        }
        Some(Effect::Add {
            to: target(key, held),
            entry: Entry {
                at,
                state: IncidentState::Investigating,
                source: Source::Probe,
                message: vec![
                    Msg::new("channel-intermittent").with("channel", Arg::Channel(key.channel))
                ],
                alert: held.alerted,
            },
        })
    }

    /// Customers' reports of a channel surged outside any window. On a channel whose probes
    /// pass they open nothing (reports against a passing probe never make an outage); they
    /// join an incident the probes or the operator hold; otherwise they open one only
    /// customers report, which subscribers hear of once it has lasted or someone confirmed
    /// it, unless [`MAX_REPORTED_ONLY`] such are open.
    pub fn surge_started(
        &mut self,
        key: &OpenKey,
        s: Surging,
        probes_pass: bool,
    ) -> Result<Effect, Unheld> {
        let alert = match self.held.get(key) {
            Some(h) => h.alerted,
            None if self.operator_outage(key).is_some() => true,
            None if probes_pass => return Err(Unheld::ChecksPass),
            None if self.reported_only_count() >= MAX_REPORTED_ONLY => return Err(Unheld::TooMany),
            None => false,
        };
        let title = Msg::new("surge-title")
            .with("bank", self.bank(key))
            .with("channel", Arg::Channel(key.channel));
        let entry = Entry {
            at: s.at,
            state: IncidentState::Investigating,
            source: Source::Reports,
            message: vec![Msg::new("surge-message-networks")
                .arg("count", s.count)
                .arg("networks", s.networks)
                .with("channel", Arg::Channel(key.channel))
                .arg("minutes", s.window_minutes)
                .with("baseline", Arg::Decimal(OneDecimal::of(s.baseline)))],
            alert,
        };
        let effect = self.open_or_join(key, title, s.at, entry, None);
        if let Some(h) = self.held.get_mut(key) {
            h.reports = true;
        }
        Ok(effect)
    }

    pub fn surge_ended(&mut self, key: &OpenKey, at: DateTime<Utc>) -> Option<Effect> {
        if !self.held.get(key).is_some_and(|h| h.reports) {
            return None;
        }
        self.release(key, Source::Reports, at)
    }

    /// Incidents only customers report that have lasted `after` and were not told of yet:
    /// subscribers hear of them now.
    pub fn confirm_lasting(&mut self, now: DateTime<Utc>, after: Duration) -> Vec<Effect> {
        let mut effects = Vec::new();
        for (key, held) in &mut self.held {
            if held.alerted || !held.reports || now - held.since < after {
                continue;
            }
            held.alerted = true;
            effects.push(Effect::Add {
                to: target(key, held),
                entry: Entry {
                    at: now,
                    state: IncidentState::Investigating,
                    source: Source::Reports,
                    message: vec![Msg::new("reports-lasting")
                        .with("channel", Arg::Channel(key.channel))
                        .with("lasted", Arg::Elapsed(held.since, now))],
                    alert: true,
                },
            });
        }
        effects
    }

    /// Joins the incident open for this channel, or the operator's, or opens one.
    fn open_or_join(
        &mut self,
        key: &OpenKey,
        title: Msg,
        started_at: DateTime<Utc>,
        entry: Entry,
        overrun: Option<Overran>,
    ) -> Effect {
        if let Some(held) = self.held.get(key) {
            return Effect::Add {
                to: target(key, held),
                entry,
            };
        }
        // The operator already declared this outage: the signal adds to it, and the
        // operator, not the signal, closes it.
        if let Some(id) = self.operator_outage(key) {
            return Effect::Add {
                to: Target::Incident(id),
                entry,
            };
        }
        let mut entry = entry;
        let reopen = self
            .recent
            .remove(key)
            .filter(|r| reopens(r, overrun, entry.at, self.reopen_within));
        if let Some(r) = reopen {
            // Flapping: the same outage, failing again; it keeps its first start.
            entry.message.insert(
                0,
                Msg::new("failing-again")
                    .with("channel", Arg::Channel(key.channel))
                    .with("after", Arg::Elapsed(r.at, entry.at)),
            );
        }
        self.held.insert(
            key.clone(),
            Held {
                id: reopen.map(|r| r.id),
                probe: false,
                reports: false,
                overrun,
                // A reopening's span begins with its entry; a new incident's at its start.
                since: if reopen.is_some() {
                    entry.at
                } else {
                    started_at
                },
                alerted: entry.alert,
                confirmed: false,
                intermittent: false,
            },
        );
        Effect::Open {
            key: key.clone(),
            title,
            started_at,
            overrun_of: overrun.map(|o| o.window),
            entry,
            reopen: reopen.map(|r| r.id),
        }
    }

    /// Closes the incident when no signal holds it any more; otherwise says what changed.
    /// On a probed channel, probes that pass again close it whatever the reports say.
    fn release(&mut self, key: &OpenKey, source: Source, at: DateTime<Utc>) -> Option<Effect> {
        let probed = self.probed.contains(key);
        let held = self.held.get_mut(key)?;
        let reports_high = held.reports;
        match source {
            Source::Probe => held.probe = false,
            Source::Reports => held.reports = false,
            Source::Operator => {}
        }
        if source == Source::Probe && probed {
            held.reports = false;
        }
        let still = held.probe || held.reports;
        let channel = Arg::Channel(key.channel);
        let message = match (source, still, held.overrun) {
            (Source::Probe, true, _) => {
                Msg::new("probes-back-reports-high").with("channel", channel)
            }
            (_, true, _) => Msg::new("reports-back-probes-failing"),
            (Source::Probe, false, None) if reports_high => {
                Msg::new("channel-back-reports-still").with("channel", channel)
            }
            (_, false, Some(o)) if !late(o, at) => {
                Msg::new("channel-back-overran-briefly").with("channel", channel)
            }
            (_, false, Some(o)) => Msg::new("channel-back-overran")
                .with("channel", channel)
                .with("late", Arg::Elapsed(o.ends, at)),
            (_, false, None) => Msg::new("channel-back").with("channel", channel),
        };
        let to = target(key, held);
        let alert = held.alerted;
        if !still {
            if let Some(id) = held.id {
                let overrun = held.overrun;
                self.recent
                    .insert(key.clone(), Resolved { id, at, overrun });
            }
            self.held.remove(key);
        }
        Some(Effect::Add {
            to,
            entry: Entry {
                at,
                state: if still {
                    IncidentState::Investigating
                } else {
                    IncidentState::Resolved
                },
                source,
                message: vec![message],
                alert,
            },
        })
    }
}

/// Whether a failure at `at` reopens the incident `r` resolved lately rather than opening
/// one of its own: only an ordinary outage failing again within `within`. Each overrun
/// names the window it overran and ends at its first recovery, so an overrun is never
/// reopened (a failure after it is an outage of its own), and a window's overrun never
/// reopens an earlier incident (filed there, it would name that incident's window, or none).
fn reopens(r: &Resolved, overrun: Option<Overran>, at: DateTime<Utc>, within: Duration) -> bool {
    r.overrun.is_none() && overrun.is_none() && at - r.at <= within
}

/// Whether `at` is a whole second or more past the window's announced end: durations are
/// written in whole seconds, and "0 s after the end" says nothing.
fn late(o: Overran, at: DateTime<Utc>) -> bool {
    at - o.ends >= chrono::Duration::seconds(1)
}

/// Where an entry for a held incident goes: its id once known.
fn target(key: &OpenKey, held: &Held) -> Target {
    held.id
        .map_or_else(|| Target::Open(key.clone()), Target::Incident)
}
