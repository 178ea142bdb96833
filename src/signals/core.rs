//! The functional core: probe results, report counts, the windows and the incidents found
//! in the database go in, with the time; the effects to write and the status snapshot come
//! out. No IO and no clock here, so every rule is tested by feeding it.
//!
//! Which rule lives where: probe thresholds, regions and controls in [`super::tracker`];
//! maintenance windows in [`super::windows`]; report surges in [`super::crowd`] and
//! [`super::surge`]; opening, joining and releasing incidents in [`super::book`]; statuses
//! and confidence in [`super::fusion`].

use std::collections::{BTreeSet, HashMap, VecDeque};

use chrono::{DateTime, Utc};

use super::book::{Failing, IncidentBook, Overran, Surging, Unheld};
use super::crowd::Crowd;
use super::effects::{Effect, Entry, Target};
use super::fusion::{fuse, Signals};
use super::live::{BankNow, Snapshot};
use super::surge::SurgeChange;
use super::tracker::{Tracker, Transition, Why};
use super::windows::WindowBook;
use crate::config::Config;
use crate::domain::{Channel, IncidentState, OpenKey, ProbeResult, Source, Status};
use crate::i18n::Msg;
use crate::store::{IncidentRow, ReportCount, WindowRow};

/// A channel is shown unstable when its probes' verdict changed more than this many times
/// within `[probing]`'s `unstable_within` (ten minutes; only the demo's compressed clock
/// shortens it), and until it has not.
pub const UNSTABLE_CHANGES: usize = 3;

pub struct Core {
    tracker: Tracker,
    windows: WindowBook,
    crowd: Crowd,
    book: IncidentBook,
    /// Every bank with the channels its probes watch, in the config's order.
    banks: Vec<(String, Vec<Channel>)>,
    report_window_minutes: u64,
    /// How long an incident only customers report lasts before subscribers hear of it.
    confirm_after: chrono::Duration,
    /// Surges that opened nothing, and why: shown beside the channel's status.
    unheld: HashMap<OpenKey, Unheld>,
    /// When each channel's probes went down or up lately, oldest first.
    changes: HashMap<OpenKey, VecDeque<DateTime<Utc>>>,
    /// How long those changes are remembered: `unstable_within`.
    unstable_window: chrono::Duration,
    /// The channels last shown unstable, to publish again when one settles.
    unstable_shown: BTreeSet<OpenKey>,
    /// Channels whose probes pass again while they are unstable, and since when: their
    /// incident is resolved then, once they are steady (see [`Core::tick`]).
    settling: HashMap<OpenKey, DateTime<Utc>>,
    /// Set when something shown changed since the last [`Core::take_changed`].
    changed: bool,
}

impl Core {
    pub fn new(config: &Config) -> Core {
        let probed: Vec<OpenKey> = config
            .banks
            .iter()
            .flat_map(|b| {
                b.probed_channels()
                    .into_iter()
                    .map(|c| OpenKey::new(&b.slug, c))
            })
            .collect();
        Core {
            tracker: Tracker::new(&config.banks, &config.controls)
                .vantage(&config.probing.region, config.probing.quorum),
            windows: WindowBook::default(),
            crowd: Crowd::new(config.reports.surge_floor),
            book: IncidentBook::new(
                config
                    .banks
                    .iter()
                    .map(|b| (b.slug.clone(), b.names.clone()))
                    .collect(),
                config.timezone,
                chrono::Duration::from_std(config.probing.reopen_within)
                    .unwrap_or(chrono::Duration::minutes(30)),
            )
            .watching(probed),
            banks: config
                .banks
                .iter()
                .map(|b| (b.slug.clone(), b.probed_channels()))
                .collect(),
            report_window_minutes: config.reports.window.as_secs() / 60,
            confirm_after: chrono::Duration::from_std(config.reports.confirm_after)
                .unwrap_or(chrono::Duration::minutes(10)),
            unheld: HashMap::new(),
            changes: HashMap::new(),
            unstable_window: chrono::Duration::from_std(config.probing.unstable_within)
                .unwrap_or_default(),
            unstable_shown: BTreeSet::new(),
            settling: HashMap::new(),
            changed: true,
        }
    }

    /// For results read back from a database several instances share, each judged by the
    /// instance that ran it.
    pub fn judged_at_source(mut self) -> Core {
        self.tracker = self.tracker.judged_at_source();
        self
    }

    /// At start: takes back the open incidents and the windows, so the same incidents stay
    /// open (each channel counts as down, or surging, until its signal recovers); resolves
    /// those no signal can hold any more, and catches up with the windows. `resolved` are
    /// the automatic incidents resolved lately, which a channel failing again reopens.
    pub fn restore(
        &mut self,
        open: &[IncidentRow],
        resolved: &[IncidentRow],
        windows: Vec<WindowRow>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        self.windows.replace(windows);
        let tracker = &self.tracker;
        let orphans = self.book.restore(open, &self.windows, |k| {
            tracker.probe_status(&k.bank, k.channel).is_some()
        });
        self.book.remember_resolved(resolved, &self.windows);
        let effects = self.book.release_orphans(&orphans, now);
        for row in open {
            let Some(key) = &row.open_key else { continue };
            let Some(held) = self.book.held(key) else {
                continue;
            };
            if held.probe {
                self.tracker
                    .restore_down(&key.bank, key.channel, row.started_at);
            }
            if held.reports {
                // Counted again at the next count; released then if the surge is over.
                self.crowd.restore(key.clone(), row.started_at);
            }
        }
        self.changed = true;
        effects
    }

    /// After a write failed: takes the database's word again, and sets each signal back so
    /// that what was not recorded is decided again by its next input.
    pub fn resync(
        &mut self,
        open: &[IncidentRow],
        windows: Vec<WindowRow>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        self.windows.replace(windows);
        let tracker = &self.tracker;
        let orphans = self.book.restore(open, &self.windows, |k| {
            tracker.probe_status(&k.bank, k.channel).is_some()
        });
        let effects = self.book.release_orphans(&orphans, now);
        let channels: Vec<OpenKey> = self
            .banks
            .iter()
            .flat_map(|(slug, channels)| channels.iter().map(|c| OpenKey::new(slug, *c)))
            .collect();
        for key in &channels {
            let held = self.book.held(key).is_some_and(|h| h.probe);
            let excused = self.windows.active(&key.bank, key.channel, now).is_some()
                || self.book.operator_outage(key).is_some();
            let down = self.tracker.is_down(&key.bank, key.channel);
            let undone = if down && !held && !excused {
                self.tracker.set_down(&key.bank, key.channel, false);
                true
            } else if !down && held && !self.settling.contains_key(key) {
                self.tracker.set_down(&key.bank, key.channel, true);
                true
            } else {
                false
            };
            if undone {
                // The change the record refused is made again by the next input: counted
                // once, not as a flip back and forth.
                if let Some(changes) = self.changes.get_mut(key) {
                    changes.pop_back();
                }
            }
        }
        let surging: Vec<OpenKey> = self.crowd.keys().cloned().collect();
        for key in surging {
            let active = self.crowd.get(&key).is_some_and(|s| s.active);
            let held = self.book.held(&key).is_some_and(|h| h.reports);
            let excused = self.windows.active(&key.bank, key.channel, now).is_some()
                || self.book.operator_outage(&key).is_some();
            if active && !held && !excused {
                self.crowd.set_active(&key, false);
            }
        }
        let held: Vec<OpenKey> = self.book.held_keys().cloned().collect();
        for key in held {
            if self.book.held(&key).is_some_and(|h| h.reports) {
                self.crowd.set_active(&key, true);
            }
        }
        self.changed = true;
        effects
    }

    /// Takes the windows and open incidents as they are now in the database (others wrote
    /// them: the operator, another instance). A window closed early ends there.
    pub fn reload(
        &mut self,
        open: &[IncidentRow],
        windows: Vec<WindowRow>,
        now: DateTime<Utc>,
    ) -> Vec<Effect> {
        let closed = self.windows.replace(windows);
        let mut effects = Vec::new();
        for w in &closed {
            effects.extend(self.window_ended(w, now));
        }
        for key in self.book.follow_operator(open) {
            // Closed or withdrawn by the operator while customers still report it: the
            // same surge opens nothing again.
            self.crowd.mute(&key);
        }
        self.changed = true;
        effects
    }

    /// One probe result. Returns the effects, and the results now judged (a failure may
    /// wait for the controls' word; see [`Tracker::apply`]) to store.
    pub fn result(&mut self, result: ProbeResult) -> (Vec<Effect>, Vec<ProbeResult>) {
        let applied = self.tracker.apply(result);
        (self.transitions(applied.transitions), applied.judged)
    }

    /// At shutdown: the failures still waiting for the controls, to store all the same.
    pub fn drain(&mut self) -> Vec<ProbeResult> {
        self.tracker.drain()
    }

    /// With several instances: since when every instance's own controls fail.
    pub fn home_cut(&mut self, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Vec<Effect> {
        let transitions = self.tracker.set_home_cut(since, now);
        self.transitions(transitions)
    }

    fn transitions(&mut self, transitions: Vec<Transition>) -> Vec<Effect> {
        if self.tracker.take_changed() {
            self.changed = true;
        }
        let mut effects = Vec::new();
        for t in transitions {
            self.changed = true;
            match t {
                Transition::Down {
                    bank,
                    channel,
                    started_at,
                    at,
                    status,
                    why,
                    regions,
                } => {
                    let failing = Failing {
                        started_at,
                        at,
                        status,
                        why,
                        regions,
                    };
                    let key = OpenKey::new(&bank, channel);
                    self.changed_state(&key, at);
                    // Failing again before it settled: the same incident, still open.
                    self.settling.remove(&key);
                    effects.extend(self.probe_down(&key, failing).into_iter().flatten());
                }
                Transition::Severity {
                    bank,
                    channel,
                    at,
                    status,
                } => effects.extend(self.book.probe_severity(
                    &OpenKey::new(&bank, channel),
                    status,
                    at,
                )),
                Transition::Up { bank, channel, at } => {
                    let key = OpenKey::new(&bank, channel);
                    self.changed_state(&key, at);
                    effects.extend(self.probe_up(&key, at));
                }
                Transition::NetworkCut { at } => {
                    tracing::warn!(%at, "control sites fail too: bank failures are put down to the tracker's network");
                }
                Transition::NetworkRestored { at } => {
                    tracing::info!(%at, "control sites answer again");
                }
            }
        }
        effects
    }

    /// Notes a change of the probes' verdict, forgetting those too old to count. A change
    /// while a window is in force on the channel was announced: it is no flap.
    fn changed_state(&mut self, key: &OpenKey, at: DateTime<Utc>) {
        if self.windows.active(&key.bank, key.channel, at).is_some() {
            return;
        }
        let window = self.unstable_window;
        let changes = self.changes.entry(key.clone()).or_default();
        changes.push_back(at);
        while changes.front().is_some_and(|t| at - *t > window) {
            changes.pop_front();
        }
    }

    fn unstable(&self, key: &OpenKey, now: DateTime<Utc>) -> bool {
        self.changes.get(key).is_some_and(|c| {
            c.iter()
                .filter(|t| now - **t <= self.unstable_window)
                .count()
                > UNSTABLE_CHANGES
        })
    }

    /// Every probe of the channel passes again. A channel shown unstable (the rule pages
    /// show) keeps its incident open, said once to be intermittent, until it is steady:
    /// one open span rather than a resolution and a reopening at every flip. Where every
    /// outage is its own incident (`reopen_within` zero), each one resolves; so does an
    /// overrun, which ends at its first recovery whatever follows.
    fn probe_up(&mut self, key: &OpenKey, at: DateTime<Utc>) -> Option<Effect> {
        let held = self
            .book
            .held(key)
            .is_some_and(|h| h.probe && h.overrun.is_none());
        if held && self.book.joins_flaps() && self.unstable(key, at) {
            self.settling.insert(key.clone(), at);
            return self.book.probe_intermittent(key, at);
        }
        self.settling.remove(key);
        self.book.probe_up(key, at)
    }

    /// The channels that came back while unstable and are steady at `now`: their incident
    /// is resolved, dated when the channel came back for good.
    fn settled(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let steady: Vec<(OpenKey, DateTime<Utc>)> = self
            .settling
            .iter()
            .filter(|(k, _)| !self.unstable(k, now))
            .map(|(k, at)| (k.clone(), *at))
            .collect();
        let mut effects = Vec::new();
        for (key, back) in steady {
            self.settling.remove(&key);
            effects.extend(self.book.probe_up(&key, back));
        }
        effects
    }

    fn probe_down(&mut self, key: &OpenKey, failing: Failing) -> Option<Vec<Effect>> {
        if self
            .windows
            .active(&key.bank, key.channel, failing.at)
            .is_some()
        {
            // Announced: failures inside the window open nothing.
            return None;
        }
        let overrun = self
            .windows
            .overran(&key.bank, key.channel, failing.started_at, failing.at)
            .map(|(window, ends)| Overran { window, ends });
        let at = failing.at;
        let opened = self.book.probe_down(key, failing, overrun);
        // Customers already reporting it confirm what the probes see.
        if opened.is_some() {
            return Some(opened.into_iter().chain(self.join_surge(key, at)).collect());
        }
        opened.map(|e| vec![e])
    }

    /// The surge on `key`, if one is on and holds nothing yet, joining what is open.
    fn join_surge(&mut self, key: &OpenKey, at: DateTime<Utc>) -> Option<Effect> {
        let surge = self
            .crowd
            .get(key)
            .filter(|s| s.active && !s.muted)?
            .clone();
        if self.book.held(key).is_some_and(|h| h.reports) {
            return None;
        }
        self.unheld.remove(key);
        self.book
            .surge_started(key, self.surging(&surge, at), false)
            .ok()
    }

    fn surging(&self, surge: &super::surge::Surge, at: DateTime<Utc>) -> Surging {
        Surging {
            count: surge.count,
            networks: surge.networks,
            baseline: surge.baseline,
            window_minutes: self.report_window_minutes,
            at,
        }
    }

    /// A surge started on `key`: what it opens or joins, if anything. Inside an announced
    /// window reports are expected; a muted surge (its incident was closed by the operator)
    /// opens nothing until it is over.
    fn surge_started(&mut self, key: &OpenKey, now: DateTime<Utc>) -> Option<Effect> {
        let surge = self.crowd.get(key).filter(|s| !s.muted)?.clone();
        if self.windows.active(&key.bank, key.channel, now).is_some() {
            return None;
        }
        let probes_pass = self
            .tracker
            .probe_status(&key.bank, key.channel)
            .is_some_and(|p| p.status != Status::Unknown && !p.status.is_outage());
        match self
            .book
            .surge_started(key, self.surging(&surge, now), probes_pass)
        {
            Ok(effect) => {
                self.unheld.remove(key);
                Some(effect)
            }
            Err(why) => {
                self.unheld.insert(key.clone(), why);
                None
            }
        }
    }

    /// Follows the windows on the clock: each step goes on the window's timeline, and a
    /// window that ends hands what still fails or is still reported to an outage.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let (steps, completed) = self.windows.follow(now);
        let mut effects: Vec<Effect> = steps
            .into_iter()
            .map(|s| Effect::Add {
                to: Target::Incident(s.window),
                entry: Entry {
                    at: s.at,
                    state: s.state,
                    source: Source::Operator,
                    message: vec![Msg::new(match s.state {
                        IncidentState::InProgress => "window-started",
                        _ => "window-ended",
                    })],
                    alert: true,
                },
            })
            .collect();
        if !effects.is_empty() {
            self.changed = true;
        }
        let unstable: BTreeSet<OpenKey> = self
            .changes
            .keys()
            .filter(|k| self.unstable(k, now))
            .cloned()
            .collect();
        if unstable != self.unstable_shown {
            self.unstable_shown = unstable;
            self.changed = true;
        }
        let settled = self.settled(now);
        if !settled.is_empty() {
            self.changed = true;
            effects.extend(settled);
        }
        for w in &completed {
            effects.extend(self.window_ended(w, now));
        }
        let confirmed = self.book.confirm_lasting(now, self.confirm_after);
        if !confirmed.is_empty() {
            self.changed = true;
            effects.extend(confirmed);
        }
        effects
    }

    /// At the end of a window, or when the operator closes it early: what still fails or
    /// is still reported is no longer announced, and opens an incident (an overrun).
    fn window_ended(&mut self, w: &WindowRow, now: DateTime<Utc>) -> Vec<Effect> {
        let mut effects = Vec::new();
        for &channel in &w.channels {
            let key = OpenKey::new(&w.bank, channel);
            let surging = self.crowd.get(&key).is_some_and(|s| s.active);
            if surging && !self.book.held(&key).is_some_and(|h| h.reports) {
                effects.extend(self.surge_started(&key, now));
            }
            if self.tracker.is_down(&w.bank, channel) {
                let (started_at, why) = self
                    .tracker
                    .failure(&w.bank, channel)
                    .unwrap_or((w.ends, Why::default()));
                let status = self
                    .tracker
                    .probe_status(&w.bank, channel)
                    .map_or(Status::MajorOutage, |p| p.status);
                let failing = Failing {
                    started_at,
                    at: now,
                    status,
                    why,
                    regions: self.tracker.down_regions(&w.bank, channel),
                };
                let reached_end = w.cancelled_at.is_none_or(|c| c >= w.ends) && w.ends <= now;
                if reached_end {
                    // Open at the announced end, however it began (before the window, or
                    // before the window was announced): from here it is the window's
                    // overrun, and what came before it was announced.
                    let o = Overran {
                        window: w.incident_id,
                        ends: w.ends,
                    };
                    effects.extend(self.book.hand_to_overrun(&key, o, now));
                    if self.windows.active(&w.bank, channel, now).is_none() {
                        effects.extend(self.book.probe_down(&key, failing, Some(o)));
                    }
                } else {
                    effects.extend(self.probe_down(&key, failing).into_iter().flatten());
                }
            }
        }
        effects
    }

    /// Whether the baselines are due at `now`; see [`Core::set_baselines`].
    pub fn baselines_due(&self, now: DateTime<Utc>) -> bool {
        self.crowd.baselines_due(now)
    }

    /// The weighed counts of the surge window at the same time of the week on each of the
    /// weeks before, last week first.
    pub fn set_baselines(&mut self, weeks: &[Vec<ReportCount>], now: DateTime<Utc>) {
        self.crowd.set_baselines(weeks, now);
    }

    /// Every channel's weighed reporters over the surge window ending now.
    pub fn reports(&mut self, counts: &[ReportCount], now: DateTime<Utc>) -> Vec<Effect> {
        let known: BTreeSet<&str> = self.banks.iter().map(|(b, _)| b.as_str()).collect();
        let counts: Vec<ReportCount> = counts
            .iter()
            .filter(|c| known.contains(c.bank.as_str()))
            .cloned()
            .collect();
        let (changed, changes) = self.crowd.count(&counts, now);
        self.changed |= changed;
        let mut effects = Vec::new();
        for c in changes {
            match c.change {
                // Reports of an announced outage are expected; if they go on past the end of
                // the window, the surge is taken up then.
                SurgeChange::Started => effects.extend(self.surge_started(&c.key, now)),
                SurgeChange::Ended => {
                    self.unheld.remove(&c.key);
                    effects.extend(self.book.surge_ended(&c.key, now));
                }
            }
        }
        effects
    }

    /// The effect that opened `key` was written as incident `id`.
    pub fn opened(&mut self, key: &OpenKey, id: i64) {
        self.book.opened(key, id);
    }

    /// The incident an entry for this channel goes to, once it is known.
    pub fn incident_of(&self, key: &OpenKey) -> Option<i64> {
        self.book.incident_of(key)
    }

    /// Whether anything shown changed since the last call: the snapshot must be published.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    pub fn open_incidents(&self) -> usize {
        self.book.open_count()
    }

    /// Every bank with every signal fused, as pages show it.
    pub fn snapshot(&self, now: DateTime<Utc>) -> Snapshot {
        let mut speaks: HashMap<&str, BTreeSet<Channel>> = HashMap::new();
        for key in self
            .book
            .held_keys()
            .chain(self.book.operator_keys())
            .chain(self.crowd.keys())
        {
            speaks.entry(&key.bank).or_default().insert(key.channel);
        }
        let banks = self
            .banks
            .iter()
            .map(|(slug, probed)| {
                // Probed channels, and any other channel a signal speaks of.
                let mut shown: BTreeSet<Channel> = probed.iter().copied().collect();
                shown.extend(speaks.get(slug.as_str()).into_iter().flatten());
                shown.extend(self.windows.active_channels(slug, now));
                let channels: Vec<_> = shown
                    .into_iter()
                    .map(|channel| {
                        let key = OpenKey::new(slug, channel);
                        fuse(
                            channel,
                            Signals {
                                probe: self.tracker.probe_status(slug, channel),
                                surge: self.crowd.get(&key),
                                operator: self.book.operator_outage(&key),
                                held: self.book.held(&key).and_then(|h| h.id),
                                held_by_reports: self.book.held(&key).is_some_and(|h| h.reports),
                                incident_since: self.book.down_since(&key),
                                unheld: self.unheld.get(&key).copied(),
                                window: self.windows.active(slug, channel, now),
                                unstable: self.unstable(&key, now),
                            },
                        )
                    })
                    .collect();
                BankNow {
                    slug: slug.clone(),
                    status: Status::worst(channels.iter().map(|c| c.status)),
                    channels,
                }
            })
            .collect();
        Snapshot {
            network_cut_since: self.tracker.network_cut_since(),
            banks,
            regions: self.tracker.regions(),
        }
    }
}

#[cfg(test)]
mod crowd_tests;
#[cfg(test)]
mod fake_ledger;
#[cfg(test)]
mod tests;
