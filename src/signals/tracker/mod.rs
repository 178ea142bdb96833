//! The rules that turn probe results into channel statuses and incident transitions.
//! Pure: time comes from the results, so tests drive it without sleeping.
//!
//! The [`Tracker`] combines the rules, one module each: a probe's failure and recovery
//! thresholds (`thresholds.rs`), whether a region's failures are the bank's or its own
//! network's (`controls.rs`), which regions judge a channel and the quorum an outage needs
//! (`regions.rs`), and when a channel's status makes a [`Transition`] (`channels.rs`).
//! Here they meet: a result is counted against its probe, and its channel judged again.
//!
//! A check refused by the bank's protection (class `blocked`) is, like a cut network, a
//! signal about bankstatus itself: it proves the network works, takes its probe's vote away
//! (a channel no probe can see is `unknown`, which opens and resolves nothing) and is stored
//! as not counted.

mod channels;
mod controls;
#[cfg(test)]
mod fixtures;
mod regions;
mod thresholds;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use self::channels::{ChannelState, Judgement, ProbeKey};
pub use self::regions::RegionNow;
use self::regions::{down_of, vote, Region};
use self::thresholds::{ProbeState, Thresholds};
use crate::domain::{Bank, Channel, ErrorClass, ProbeResult, ProbeSpec, ProbeTarget, Status};

/// What changed for a channel's probes; the engine turns these into incident updates.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// The channel's probes crossed their failure threshold.
    Down {
        bank: String,
        channel: Channel,
        started_at: DateTime<Utc>,
        at: DateTime<Utc>,
        status: Status,
        /// How the first failing probe fails: its class and the raw detail.
        why: Why,
        /// The regions that see it down, when more than one region judges the channel.
        regions: Vec<String>,
    },
    /// Still down, but now between partial and major outage the other way.
    Severity {
        bank: String,
        channel: Channel,
        at: DateTime<Utc>,
        status: Status,
    },
    /// Every probe of the channel recovered.
    Up {
        bank: String,
        channel: Channel,
        at: DateTime<Utc>,
    },
    /// The controls of the service's own region fail.
    NetworkCut { at: DateTime<Utc> },
    /// They answer again.
    NetworkRestored { at: DateTime<Utc> },
}

/// How a probe fails: its class, for words in each language, and the library's own detail,
/// kept as technical evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Why {
    pub class: Option<ErrorClass>,
    pub detail: String,
}

/// The state of every bank channel and vantage point.
#[derive(Debug)]
pub struct Tracker {
    thresholds: HashMap<String, Thresholds>,
    probes: HashMap<ProbeKey, ProbeState>,
    channels: BTreeMap<(String, Channel), ChannelState>,
    regions: BTreeMap<String, Region>,
    control_ids: Vec<String>,
    /// The service's own region, where results without one come from.
    home: String,
    quorum: usize,
    /// A region silent this long (its agent stopped) no longer judges.
    stale_after: chrono::Duration,
    /// The latest result time seen from any region: the tracker's clock.
    latest: DateTime<Utc>,
    /// Set when the service's own results come already judged by the instance that ran
    /// them (several instances, each with its own controls): their controls are not mixed.
    judged_at_source: bool,
    /// Set when a status changed since the last `take_changed`.
    changed: bool,
    /// How long controls must fail with nothing answering before the network is blamed:
    /// the interval of the fastest bank probe, which would have answered by then.
    grace: Duration,
}

/// What a channel's probes say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeStatus {
    pub status: Status,
    pub since: Option<DateTime<Utc>>,
    /// How its failing probes fail (the first of them), while any does.
    pub class: Option<ErrorClass>,
    /// When the bank says it is back, the latest any failing probe was told.
    pub retry_after: Option<DateTime<Utc>>,
}

/// What one result changed: transitions to record, and the results now judged (this one
/// or failures that waited for the controls), `counted` settled, to store.
#[derive(Debug, Default)]
pub struct Applied {
    pub transitions: Vec<Transition>,
    pub judged: Vec<ProbeResult>,
}

impl Tracker {
    /// A tracker of every bank's probes, judged against these controls.
    pub fn new(banks: &[Bank], controls: &[ProbeSpec]) -> Self {
        let probes: Vec<&ProbeSpec> = banks.iter().flat_map(|b| b.probes.iter()).collect();
        Self::of_probes(&probes, controls)
    }

    /// A tracker of these bank probes, as an agent knows them.
    pub fn of_probes(probes: &[&ProbeSpec], controls: &[ProbeSpec]) -> Self {
        let mut thresholds = HashMap::new();
        let mut channels: BTreeMap<(String, Channel), ChannelState> = BTreeMap::new();
        let mut longest = std::time::Duration::ZERO;
        let mut fastest: Option<std::time::Duration> = None;
        for p in probes {
            if let ProbeTarget::Bank { bank, channel } = &p.target {
                thresholds.insert(
                    p.id.clone(),
                    Thresholds {
                        failures_before_outage: p.failures_before_outage,
                        successes_before_recovery: p.successes_before_recovery,
                        channel: (bank.clone(), *channel),
                    },
                );
                longest = longest.max(p.interval);
                fastest = Some(fastest.map_or(p.interval, |f| f.min(p.interval)));
                channels.entry((bank.clone(), *channel)).or_default();
            }
        }
        let mut t = Tracker {
            thresholds,
            probes: HashMap::new(),
            channels,
            regions: BTreeMap::new(),
            control_ids: controls.iter().map(|c| c.id.clone()).collect(),
            home: "local".to_owned(),
            quorum: 2,
            stale_after: chrono::Duration::from_std(longest * 5)
                .unwrap_or(chrono::Duration::MAX)
                .max(chrono::Duration::seconds(30)),
            latest: DateTime::<Utc>::MIN_UTC,
            judged_at_source: false,
            changed: true,
            grace: fastest
                .and_then(|f| Duration::from_std(f).ok())
                .unwrap_or_else(Duration::zero),
        };
        t.add_home_probes();
        t
    }

    /// Names the service's own region and sets the quorum of regions an outage needs.
    pub fn vantage(mut self, home: &str, quorum: usize) -> Self {
        self.home = home.to_owned();
        self.quorum = quorum.max(1);
        self.probes.clear();
        self.regions.clear();
        for ch in self.channels.values_mut() {
            ch.probes.clear();
        }
        self.add_home_probes();
        self
    }

    /// For results read back from a database several instances share: each instance judged
    /// its own against its own controls, so they are taken as they come.
    pub fn judged_at_source(mut self) -> Self {
        self.judged_at_source = true;
        self
    }

    /// The service's own probes exist from the start, so an outage can be taken back.
    fn add_home_probes(&mut self) {
        let home = self.home.clone();
        self.region(&home, DateTime::<Utc>::MIN_UTC);
        let ids: Vec<String> = self.thresholds.keys().cloned().collect();
        for id in ids {
            self.probe(&id, &home, None);
        }
    }

    /// The region's state, made on its first result.
    fn region(&mut self, name: &str, at: DateTime<Utc>) -> &mut Region {
        let controls = &self.control_ids;
        let region = self
            .regions
            .entry(name.to_owned())
            .or_insert_with(|| Region::new(controls));
        if !region.heard() && at > region.last_at {
            // A region heard from for the first time: pages list it.
            self.changed = true;
        }
        region.last_at = region.last_at.max(at);
        region
    }

    /// The state of a configured probe as run from `region`, made on its first result;
    /// `down_since` makes a new one start down.
    fn probe(
        &mut self,
        id: &str,
        region: &str,
        down_since: Option<DateTime<Utc>>,
    ) -> Option<&mut ProbeState> {
        let key = (id.to_owned(), region.to_owned());
        if !self.probes.contains_key(&key) {
            let thresholds = self.thresholds.get(id)?;
            let mut state = ProbeState::new(thresholds);
            if let Some(since) = down_since {
                state.set_down(since);
            }
            self.channels
                .entry(thresholds.channel.clone())
                .or_default()
                .probes
                .push(key.clone());
            self.probes.insert(key.clone(), state);
        }
        self.probes.get_mut(&key)
    }

    /// Whether any status changed since the last call: the snapshot must be published.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// Takes back an outage found open at start-up: the channel counts as down until its
    /// probes recover.
    pub fn restore_down(&mut self, bank: &str, channel: Channel, since: DateTime<Utc>) {
        let Some(keys) = self
            .channels
            .get(&(bank.to_owned(), channel))
            .map(|c| c.probes.clone())
        else {
            return;
        };
        for key in keys {
            if let Some(p) = self.probes.get_mut(&key) {
                p.set_down(since);
            }
        }
        let home = self.home.clone();
        self.region(&home, since);
        let status = self.compute(bank, channel);
        if let Some(ch) = self.channels.get_mut(&(bank.to_owned(), channel)) {
            ch.down = true;
            ch.since = Some(since);
            ch.status = Some(status);
        }
    }

    /// Sets whether the channel counts as down, so that a transition the engine failed to
    /// record is emitted again by the next result.
    pub fn set_down(&mut self, bank: &str, channel: Channel, down: bool) {
        if let Some(ch) = self.channels.get_mut(&(bank.to_owned(), channel)) {
            ch.down = down;
        }
    }

    /// Whether the channel's probes say outage.
    pub fn is_down(&self, bank: &str, channel: Channel) -> bool {
        self.channels
            .get(&(bank.to_owned(), channel))
            .is_some_and(|c| c.down)
    }

    /// Why the channel's probes fail, and since when, while they do.
    pub fn failure(&self, bank: &str, channel: Channel) -> Option<(DateTime<Utc>, Why)> {
        let failing = || {
            self.channel_probes(bank, channel)
                .filter(|(region, p)| p.down && !p.blocked && self.judges(region))
                .map(|(_, p)| p)
        };
        let first = failing().filter_map(|p| p.first_failure_at).min()?;
        let why = failing()
            .next()
            .map(|p| Why {
                class: p.last_class,
                detail: p.last_detail.clone(),
            })
            .unwrap_or_default();
        Some((first, why))
    }

    /// Set while no region can judge, because the controls of every one still heard from
    /// fail.
    pub fn network_cut_since(&self) -> Option<DateTime<Utc>> {
        self.regions
            .iter()
            .filter(|(name, r)| **name == self.home || !self.silent(r))
            .map(|(_, r)| r.controls.cut_since)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()
    }

    /// A region heard from before, but not for [`Tracker::stale_after`].
    fn silent(&self, r: &Region) -> bool {
        r.silent(self.latest, self.stale_after)
    }

    /// A region heard again after a silence starts afresh: what its probes said before
    /// is old news.
    fn revive(&mut self, region: &str) {
        if !self.regions.get(region).is_some_and(|r| self.silent(r)) {
            return;
        }
        self.probes.retain(|k, _| k.1 != region);
        for ch in self.channels.values_mut() {
            ch.probes.retain(|k| k.1 != region);
        }
        if let Some(r) = self.regions.get_mut(region) {
            r.controls.forget();
        }
    }

    /// Every region heard from, once there are two or more.
    pub fn regions(&self) -> Vec<RegionNow> {
        let heard: Vec<RegionNow> = self
            .regions
            .iter()
            .filter(|(_, r)| r.heard())
            .map(|(name, r)| RegionNow {
                name: name.clone(),
                cut_since: r.controls.cut_since,
                last_at: r.last_at,
            })
            .collect();
        if heard.len() > 1 {
            heard
        } else {
            Vec::new()
        }
    }

    /// Whether a region's checks count now: its controls answer and it is not silent.
    fn judges(&self, region: &str) -> bool {
        self.regions
            .get(region)
            .is_some_and(|r| r.judges(self.latest, self.stale_after))
    }

    /// Takes one result. A bank failure from a region with controls waits until the
    /// controls have had their word after it (see `controls.rs`); the results judged by
    /// this call, this one or earlier ones, come back with `counted` settled, to be stored.
    pub fn apply(&mut self, result: ProbeResult) -> Applied {
        let mut out = Applied::default();
        let region = result.region.clone().unwrap_or_else(|| self.home.clone());
        let home = region == self.home;
        if !home {
            self.revive(&region);
        }
        self.latest = self.latest.max(result.at);
        let judged = !home || self.judged_at_source;
        match result.target.clone() {
            ProbeTarget::Control => {
                if self.control_ids.contains(&result.probe_id) && !(home && self.judged_at_source) {
                    // A control behind bot protection that refuses us still answered.
                    let up = !result.outcome.is_down() || result.outcome.is_blocked();
                    self.region(&region, result.at)
                        .controls
                        .heard(&result.probe_id, result.at, up);
                    self.settle(&region, result.at, &mut out);
                }
                out.judged.push(result);
            }
            ProbeTarget::Bank { .. } if result.outcome.is_blocked() => {
                if judged {
                    self.region(&region, result.at);
                } else {
                    // The bank's protection answered: the network works.
                    self.region(&region, result.at).controls.answered(result.at);
                    self.settle(&region, result.at, &mut out);
                }
                self.block(&result, &region, &mut out.transitions);
                out.judged.push(ProbeResult {
                    counted: false,
                    ..result
                });
            }
            ProbeTarget::Bank { .. } if !result.counted => out.judged.push(result),
            ProbeTarget::Bank { .. } if judged => {
                // Judged by the agent or instance that ran it: only a cut seen here
                // overrides it.
                self.region(&region, result.at);
                self.settle(&region, self.latest, &mut out);
                let cut = self.region(&region, result.at).controls.cut();
                if result.outcome.is_down() && cut {
                    out.judged.push(ProbeResult {
                        counted: false,
                        ..result
                    });
                } else {
                    self.count(&result, &region, &mut out.transitions);
                    out.judged.push(result);
                }
            }
            ProbeTarget::Bank { .. } => {
                let controls = &mut self.region(&region, result.at).controls;
                if result.outcome.is_down() {
                    out.judged.extend(controls.wait(result));
                    self.settle(&region, self.latest, &mut out);
                } else {
                    controls.answered(result.at);
                    // What failed before this answer counts, in order, then the answer.
                    self.settle(&region, result.at, &mut out);
                    self.count(&result, &region, &mut out.transitions);
                    out.judged.push(result);
                }
            }
        }
        out
    }

    /// Decides the waiting failures of a region that its controls and answers now speak
    /// for, in the order they came, and follows whether it is cut off.
    fn settle(&mut self, region: &str, at: DateTime<Utc>, out: &mut Applied) {
        let (latest, grace) = (self.latest, self.grace);
        let Some(r) = self.regions.get_mut(region) else {
            return;
        };
        let (decided, cut) = r.controls.settle(latest, grace);
        for (f, counted) in decided {
            if counted {
                self.count(&f, region, &mut out.transitions);
            }
            out.judged.push(ProbeResult { counted, ..f });
        }
        self.set_cut(region, cut, at, &mut out.transitions);
    }

    /// Whether failures are waiting for the controls' word.
    pub fn waiting(&self) -> usize {
        self.regions.values().map(|r| r.controls.waiting()).sum()
    }

    /// At shutdown: the failures still waiting, put down to the network since they could
    /// not be judged, so they are stored all the same.
    pub fn drain(&mut self) -> Vec<ProbeResult> {
        self.regions
            .values_mut()
            .flat_map(|r| r.controls.drain())
            .collect()
    }

    /// Counts one bank result against its probe and judges its channel again.
    fn count(&mut self, result: &ProbeResult, region: &str, out: &mut Vec<Transition>) {
        let ProbeTarget::Bank { bank, channel } = &result.target else {
            return;
        };
        // A region first heard while the channel is down starts down: it sees the
        // channel recover like the others rather than outvote them at once.
        let down_since = self
            .channels
            .get(&(bank.clone(), *channel))
            .filter(|c| c.down)
            .map(|_| result.at);
        let Some(p) = self.probe(&result.probe_id, region, down_since) else {
            return;
        };
        p.count(result);
        let (bank, channel) = (bank.clone(), *channel);
        // A verdict is dated when it was reached, not when its check began.
        self.refresh(&bank, channel, result.finished_at(), out);
    }

    /// A check of a bank refused by its protection: the probe has no vote until a check
    /// gets through, and its channel is judged again without it.
    fn block(&mut self, result: &ProbeResult, region: &str, out: &mut Vec<Transition>) {
        let ProbeTarget::Bank { bank, channel } = &result.target else {
            return;
        };
        let Some(p) = self.probe(&result.probe_id, region, None) else {
            return;
        };
        // The channel's note changes even when its status does not.
        self.changed |= p.block();
        let (bank, channel) = (bank.clone(), *channel);
        self.refresh(&bank, channel, result.at, out);
    }

    /// Records whether a region is cut off (`since` the given time); when that changes,
    /// every channel is judged again.
    fn set_cut(
        &mut self,
        region: &str,
        since: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        out: &mut Vec<Transition>,
    ) {
        let home = region == self.home;
        let r = &mut self.region(region, at).controls;
        match (since, r.cut()) {
            (Some(since), false) => {
                r.cut_since = Some(since);
                if home {
                    out.push(Transition::NetworkCut { at: since });
                }
            }
            (None, true) => {
                r.cut_since = None;
                if home {
                    out.push(Transition::NetworkRestored { at });
                }
            }
            _ => return,
        }
        self.changed = true;
        let keys: Vec<_> = self.channels.keys().cloned().collect();
        for (bank, channel) in keys {
            self.refresh(&bank, channel, at, out);
        }
    }

    /// With several instances: whether every instance's own controls fail, as they tell
    /// through the database; the service's own region is cut off while they all do.
    pub fn set_home_cut(
        &mut self,
        since: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Vec<Transition> {
        let mut out = Vec::new();
        let home = self.home.clone();
        self.set_cut(&home, since, at, &mut out);
        out
    }

    /// The probes of one channel, in every region, with their region.
    fn channel_probes(
        &self,
        bank: &str,
        channel: Channel,
    ) -> impl Iterator<Item = (&str, &ProbeState)> {
        self.channels
            .get(&(bank.to_owned(), channel))
            .into_iter()
            .flat_map(|c| c.probes.iter())
            .filter_map(|key| self.probes.get(key).map(|p| (key.1.as_str(), p)))
    }

    /// What each region that judges says of a channel, leaving out those with no check.
    fn votes(&self, bank: &str, channel: Channel) -> Vec<(&str, Status)> {
        let mut per_region: BTreeMap<&str, (usize, usize, bool)> = BTreeMap::new();
        for (region, p) in self.channel_probes(bank, channel) {
            if !p.seen || p.blocked || !self.judges(region) {
                continue;
            }
            let e = per_region.entry(region).or_default();
            e.0 += 1;
            e.1 += usize::from(p.down);
            e.2 |= p.degraded;
        }
        per_region
            .into_iter()
            .map(|(region, (seen, down, degraded))| (region, vote(seen, down, degraded)))
            .collect()
    }

    /// The status of a channel from its probes: one region's own verdict, or, from two
    /// regions or more, an outage only when a quorum of them sees one.
    fn compute(&self, bank: &str, channel: Channel) -> Status {
        regions::verdict(&self.votes(bank, channel), self.quorum)
    }

    /// The regions that see a channel down, when more than one judges it.
    pub fn down_regions(&self, bank: &str, channel: Channel) -> Vec<String> {
        down_of(&self.votes(bank, channel))
    }

    /// Judges a channel again from its probes, recording the transition it makes.
    fn refresh(
        &mut self,
        bank: &str,
        channel: Channel,
        at: DateTime<Utc>,
        out: &mut Vec<Transition>,
    ) {
        let votes = self.votes(bank, channel);
        let now = Judgement {
            status: regions::verdict(&votes, self.quorum),
            failure: self.failure(bank, channel),
            regions: down_of(&votes),
        };
        let Some(ch) = self.channels.get_mut(&(bank.to_owned(), channel)) else {
            return;
        };
        let (changed, transition) = ch.judge(bank, channel, now, at);
        self.changed |= changed;
        out.extend(transition);
    }

    /// What a channel's probes say now; `None` for a channel no probe watches. A channel
    /// that is unknown because the bank's protection refuses every check that could judge
    /// it says so (class `blocked`).
    pub fn probe_status(&self, bank: &str, channel: Channel) -> Option<ProbeStatus> {
        let ch = self.channels.get(&(bank.to_owned(), channel))?;
        let judged = || {
            self.channel_probes(bank, channel)
                .filter(|(region, _)| self.judges(region))
                .map(|(_, p)| p)
        };
        let failing = || judged().filter(|p| p.last_class.is_some() && !p.blocked);
        let status = ch.status.unwrap_or(Status::Unknown);
        let refused = status == Status::Unknown && judged().any(|p| p.blocked);
        Some(ProbeStatus {
            status,
            since: ch.since,
            class: failing()
                .find_map(|p| p.last_class)
                .or(refused.then_some(ErrorClass::Blocked)),
            retry_after: failing().filter_map(|p| p.retry_after).max(),
        })
    }
}
