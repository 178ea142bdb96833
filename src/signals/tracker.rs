//! The rules that turn probe results into channel statuses and incident transitions.
//! Pure: time comes from the results, so tests drive it without sleeping.
//!
//! Results come from vantage points (regions): the service's own instances and its agents.
//! Each region judges a channel from its own probes, and is left out while its own controls
//! fail. When two regions or more judge a channel, an outage needs a quorum of them.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use crate::domain::{
    Bank, Channel, ErrorClass, Outcome, ProbeResult, ProbeSpec, ProbeTarget, Status,
};

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
    NetworkCut {
        at: DateTime<Utc>,
    },
    NetworkRestored {
        at: DateTime<Utc>,
    },
}

#[derive(Debug)]
struct ProbeState {
    failures_before_outage: u32,
    successes_before_recovery: u32,
    failures: u32,
    successes: u32,
    /// Past the failure threshold and not yet recovered.
    down: bool,
    first_failure_at: Option<DateTime<Utc>>,
    last_detail: String,
    /// The class of its last failure, while it fails.
    last_class: Option<ErrorClass>,
    /// When the bank said it is back, on its last failure.
    retry_after: Option<DateTime<Utc>>,
    seen: bool,
    degraded: bool,
}

impl ProbeState {
    fn new(spec: &Thresholds) -> Self {
        ProbeState {
            failures_before_outage: spec.failures_before_outage,
            successes_before_recovery: spec.successes_before_recovery,
            failures: 0,
            successes: 0,
            down: false,
            first_failure_at: None,
            last_detail: String::new(),
            last_class: None,
            retry_after: None,
            seen: false,
            degraded: false,
        }
    }

    /// As after its failure threshold: it must see the channel recover like the others.
    fn set_down(&mut self, since: DateTime<Utc>) {
        self.down = true;
        self.seen = true;
        self.failures = self.failures_before_outage;
        self.first_failure_at = Some(since);
    }
}

#[derive(Debug, Clone)]
struct Thresholds {
    failures_before_outage: u32,
    successes_before_recovery: u32,
    /// The bank and channel the probe watches.
    channel: (String, Channel),
}

/// How a probe fails: its class, for words in each language, and the library's own detail,
/// kept as technical evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Why {
    pub class: Option<ErrorClass>,
    pub detail: String,
}

/// A probe as run from one region.
type ProbeKey = (String, String);

#[derive(Debug, Default)]
struct ChannelState {
    /// The channel's probes in every region heard from, so a result touches only its own
    /// channel.
    probes: Vec<ProbeKey>,
    status: Option<Status>,
    since: Option<DateTime<Utc>>,
    /// The probes say outage (a `Down` was emitted and no `Up` yet).
    down: bool,
}

/// What one control said last from a region.
#[derive(Debug, Default, Clone, Copy)]
struct ControlSeen {
    /// Its last answer: when, and whether it answered; `None` before its first.
    last: Option<(DateTime<Utc>, bool)>,
    /// The first failure of its current run of failures.
    failing_since: Option<DateTime<Utc>>,
}

/// Bank failures a region keeps waiting for the controls' word, at most; past this the
/// oldest is put down to the network (it cannot be judged).
const MAX_WAITING: usize = 50_000;

/// One vantage point.
#[derive(Debug)]
struct Region {
    controls: HashMap<String, ControlSeen>,
    cut_since: Option<DateTime<Utc>>,
    last_at: DateTime<Utc>,
    /// The latest time anything answered from here, a bank or a control: the network
    /// worked then.
    answered_at: DateTime<Utc>,
    /// Bank failures not yet counted or put down to the network, oldest first: a failure
    /// counts once something answered after it, and is the network's once every control
    /// failed after it with nothing answering.
    waiting: VecDeque<ProbeResult>,
}

/// What the controls and answers of a region say of one failure at `at`.
enum Verdict {
    Counts,
    Network,
    Wait,
}

impl Region {
    /// Something answered at `at`: the network worked then, and a control's failures
    /// before it no longer say the network is cut (only its failures after it can).
    fn answered(&mut self, at: DateTime<Utc>) {
        self.answered_at = self.answered_at.max(at);
        for c in self.controls.values_mut() {
            if c.failing_since.is_some_and(|t| t < self.answered_at) {
                c.failing_since = None;
            }
        }
    }

    fn cut(&self) -> bool {
        self.cut_since.is_some()
    }

    /// A failure counts once anything answered at or after it. It is the network's once
    /// every control failed after it and nothing answered for `grace` after that (the
    /// fastest bank's interval): a bank that answers proves the network works, so one
    /// dead control does not blind the tracker.
    /// A failure inside a cut already recognised is the network's, even when the first
    /// answer after the cut comes before the controls' word on it.
    fn verdict(&self, at: DateTime<Utc>, latest: DateTime<Utc>, grace: Duration) -> Verdict {
        if self.controls.is_empty() {
            return Verdict::Counts;
        }
        if self.answered_at >= at {
            return match self.cut_since {
                Some(since) if at >= since => Verdict::Network,
                _ => Verdict::Counts,
            };
        }
        let failed_after: Option<Vec<DateTime<Utc>>> = self
            .controls
            .values()
            .map(|c| match c.last {
                Some((t, false)) if t >= at => Some(t),
                _ => None,
            })
            .collect();
        match failed_after.and_then(|t| t.into_iter().max()) {
            // Once cut, a control failing after it is enough.
            Some(last) if self.cut() || latest - last >= grace => Verdict::Network,
            _ => Verdict::Wait,
        }
    }

    /// Cut since every control has been failing, when nothing answered since, for
    /// `grace` at least.
    fn cut_now(&self, latest: DateTime<Utc>, grace: Duration) -> Option<DateTime<Utc>> {
        if self.controls.is_empty() {
            return None;
        }
        let since = self
            .controls
            .values()
            .map(|c| match c.last {
                Some((_, false)) => c.failing_since,
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()?;
        (self.answered_at < since && latest - since >= grace).then_some(since)
    }
}

/// The regions that vote "down", when more than one votes.
fn down_of(votes: &[(&str, Status)]) -> Vec<String> {
    if votes.len() < 2 {
        return Vec::new();
    }
    votes
        .iter()
        .filter(|(_, s)| s.is_outage())
        .map(|(r, _)| (*r).to_owned())
        .collect()
}

/// A region as pages show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegionNow {
    pub name: String,
    /// Set while its own controls fail: its checks are left out.
    pub cut_since: Option<DateTime<Utc>>,
    /// Its latest result.
    pub last_at: DateTime<Utc>,
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
            .or_insert_with(|| Region {
                controls: controls
                    .iter()
                    .map(|c| (c.clone(), ControlSeen::default()))
                    .collect(),
                cut_since: None,
                last_at: DateTime::<Utc>::MIN_UTC,
                answered_at: DateTime::<Utc>::MIN_UTC,
                waiting: VecDeque::new(),
            });
        if region.last_at == DateTime::<Utc>::MIN_UTC && at > region.last_at {
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
                .filter(|(region, p)| p.down && self.judges(region))
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
            .map(|(_, r)| r.cut_since)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()
    }

    /// A region heard from before, but not for [`Tracker::stale_after`].
    fn silent(&self, r: &Region) -> bool {
        r.last_at > DateTime::<Utc>::MIN_UTC && self.latest - r.last_at > self.stale_after
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
            r.controls
                .values_mut()
                .for_each(|v| *v = ControlSeen::default());
            r.cut_since = None;
            r.answered_at = DateTime::<Utc>::MIN_UTC;
        }
    }

    /// Every region heard from, once there are two or more.
    pub fn regions(&self) -> Vec<RegionNow> {
        let heard: Vec<RegionNow> = self
            .regions
            .iter()
            .filter(|(_, r)| r.last_at > DateTime::<Utc>::MIN_UTC)
            .map(|(name, r)| RegionNow {
                name: name.clone(),
                cut_since: r.cut_since,
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
            .is_some_and(|r| !r.cut() && self.latest - r.last_at <= self.stale_after)
    }

    /// Takes one result. A bank failure from a region with controls waits until the
    /// controls have had their word after it (see [`Region`]); the results judged by this
    /// call, this one or earlier ones, come back with `counted` settled, to be stored.
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
                    let up = !result.outcome.is_down();
                    let r = self.region(&region, result.at);
                    let seen = r.controls.entry(result.probe_id.clone()).or_default();
                    seen.last = Some((result.at, up));
                    if up {
                        seen.failing_since = None;
                        r.answered(result.at);
                    } else {
                        seen.failing_since.get_or_insert(result.at);
                    }
                    self.settle(&region, result.at, &mut out);
                }
                out.judged.push(result);
            }
            ProbeTarget::Bank { .. } if !result.counted => out.judged.push(result),
            ProbeTarget::Bank { .. } if judged => {
                // Judged by the agent or instance that ran it: only a cut seen here
                // overrides it.
                self.region(&region, result.at);
                self.settle(&region, self.latest, &mut out);
                let cut = self.region(&region, result.at).cut();
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
                let r = self.region(&region, result.at);
                if result.outcome.is_down() {
                    r.waiting.push_back(result);
                    if r.waiting.len() > MAX_WAITING {
                        if let Some(old) = r.waiting.pop_front() {
                            out.judged.push(ProbeResult {
                                counted: false,
                                ..old
                            });
                        }
                    }
                    self.settle(&region, self.latest, &mut out);
                } else {
                    r.answered(result.at);
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
        let mut decided = Vec::new();
        let mut waiting = VecDeque::with_capacity(r.waiting.len());
        for f in std::mem::take(&mut r.waiting) {
            match r.verdict(f.at, latest, grace) {
                Verdict::Counts => decided.push((f, true)),
                Verdict::Network => decided.push((f, false)),
                Verdict::Wait => waiting.push_back(f),
            }
        }
        r.waiting = waiting;
        let cut = r.cut_now(latest, grace);
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
        self.regions.values().map(|r| r.waiting.len()).sum()
    }

    /// At shutdown: the failures still waiting, put down to the network since they could
    /// not be judged, so they are stored all the same.
    pub fn drain(&mut self) -> Vec<ProbeResult> {
        self.regions
            .values_mut()
            .flat_map(|r| std::mem::take(&mut r.waiting))
            .map(|f| ProbeResult {
                counted: false,
                ..f
            })
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
        p.seen = true;
        match &result.outcome {
            Outcome::Down { detail, class } => {
                p.successes = 0;
                p.failures = p.failures.saturating_add(1);
                p.first_failure_at.get_or_insert(result.at);
                p.last_detail.clone_from(detail);
                p.last_class = Some(*class);
                p.retry_after = result.evidence.retry_after;
                p.degraded = false;
                if p.failures >= p.failures_before_outage {
                    p.down = true;
                }
            }
            ok => {
                p.degraded = matches!(ok, Outcome::Degraded);
                p.failures = 0;
                p.last_class = None;
                p.retry_after = None;
                if p.down {
                    p.successes += 1;
                    if p.successes >= p.successes_before_recovery {
                        p.down = false;
                        p.successes = 0;
                        p.first_failure_at = None;
                    }
                } else {
                    p.first_failure_at = None;
                }
            }
        }
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
        let r = self.region(region, at);
        let was_cut = r.cut_since.is_some();
        match (since, was_cut) {
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
            if !p.seen || !self.judges(region) {
                continue;
            }
            let e = per_region.entry(region).or_default();
            e.0 += 1;
            e.1 += usize::from(p.down);
            e.2 |= p.degraded;
        }
        per_region
            .into_iter()
            .map(|(region, (seen, down, degraded))| {
                let status = if down == seen {
                    Status::MajorOutage
                } else if down > 0 {
                    Status::PartialOutage
                } else if degraded {
                    Status::Degraded
                } else {
                    Status::Operational
                };
                (region, status)
            })
            .collect()
    }

    /// The status of a channel from its probes: one region's own verdict, or, from two
    /// regions or more, an outage only when a quorum of them sees one.
    fn compute(&self, bank: &str, channel: Channel) -> Status {
        self.verdict(&self.votes(bank, channel))
    }

    /// The status the regions' votes give: see [`Tracker::compute`].
    fn verdict(&self, votes: &[(&str, Status)]) -> Status {
        match votes {
            [] => Status::Unknown,
            [(_, status)] => *status,
            _ => {
                let down = votes.iter().filter(|(_, s)| s.is_outage()).count();
                if down >= self.quorum.min(votes.len()) {
                    if votes.iter().all(|(_, s)| *s == Status::MajorOutage) {
                        Status::MajorOutage
                    } else {
                        Status::PartialOutage
                    }
                } else {
                    Status::worst(votes.iter().map(|(_, s)| *s).filter(|s| !s.is_outage()))
                }
            }
        }
    }

    /// The regions that see a channel down, when more than one judges it.
    pub fn down_regions(&self, bank: &str, channel: Channel) -> Vec<String> {
        down_of(&self.votes(bank, channel))
    }

    fn refresh(
        &mut self,
        bank: &str,
        channel: Channel,
        at: DateTime<Utc>,
        out: &mut Vec<Transition>,
    ) {
        let votes = self.votes(bank, channel);
        let status = self.verdict(&votes);
        let regions = down_of(&votes);
        let failure = self.failure(bank, channel);
        let Some(ch) = self.channels.get_mut(&(bank.to_owned(), channel)) else {
            return;
        };
        let before = ch.status;
        if before != Some(status) {
            self.changed = true;
            ch.status = Some(status);
            ch.since = Some(match (&failure, status.is_outage()) {
                (Some((first, _)), true) => *first,
                _ => at,
            });
        }
        // While no region can judge, nothing opens or resolves: the tracker cannot tell.
        if status == Status::Unknown {
            return;
        }
        let bank = bank.to_owned();
        match (ch.down, status.is_outage()) {
            (false, true) => {
                ch.down = true;
                let (started_at, why) = failure.unwrap_or((at, Why::default()));
                out.push(Transition::Down {
                    bank,
                    channel,
                    started_at,
                    at,
                    status,
                    why,
                    regions,
                });
            }
            (true, false) => {
                ch.down = false;
                out.push(Transition::Up { bank, channel, at });
            }
            (true, true) if before.is_some_and(Status::is_outage) && before != Some(status) => {
                out.push(Transition::Severity {
                    bank,
                    channel,
                    at,
                    status,
                });
            }
            _ => {}
        }
    }

    pub fn probe_status(&self, bank: &str, channel: Channel) -> Option<ProbeStatus> {
        let ch = self.channels.get(&(bank.to_owned(), channel))?;
        let failing = || {
            self.channel_probes(bank, channel)
                .filter(|(region, p)| p.last_class.is_some() && self.judges(region))
                .map(|(_, p)| p)
        };
        Some(ProbeStatus {
            status: ch.status.unwrap_or(Status::Unknown),
            since: ch.since,
            class: failing().find_map(|p| p.last_class),
            retry_after: failing().filter_map(|p| p.retry_after).max(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::domain::{ErrorClass, Names};

    fn spec(id: &str, channel: Channel) -> ProbeSpec {
        ProbeSpec {
            id: id.into(),
            target: ProbeTarget::Bank {
                bank: "bmce".into(),
                channel,
            },
            url: "http://127.0.0.1/".into(),
            method: "GET".into(),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            expect_status: None,
            expect: crate::domain::Expect::default(),
            degraded_after: None,
            failures_before_outage: 3,
            successes_before_recovery: 2,
        }
    }

    fn control() -> ProbeSpec {
        ProbeSpec {
            id: "control/0".into(),
            target: ProbeTarget::Control,
            ..spec("c", Channel::Web)
        }
    }

    fn tracker(with_control: bool) -> Tracker {
        let bank = Bank {
            slug: "bmce".into(),
            names: Names::new("بنك إفريقيا", "Bank of Africa", "Bank of Africa"),
            website: None,
            probes: vec![
                spec("bmce/web/0", Channel::Web),
                spec("bmce/web/1", Channel::Web),
            ],
        };
        let controls = if with_control {
            vec![control()]
        } else {
            vec![]
        };
        Tracker::new(&[bank], &controls)
    }

    fn result(id: &str, secs: i64, down: bool) -> ProbeResult {
        let target = if id.starts_with("control") {
            ProbeTarget::Control
        } else {
            ProbeTarget::Bank {
                bank: "bmce".into(),
                channel: Channel::Web,
            }
        };
        ProbeResult {
            probe_id: id.into(),
            target,
            at: Utc
                .timestamp_opt(1_770_000_000 + secs, 0)
                .single()
                .expect("time"),
            latency_ms: 5,
            http_status: Some(if down { 500 } else { 200 }),
            outcome: if down {
                Outcome::Down {
                    class: ErrorClass::Status,
                    detail: "HTTP 500".into(),
                }
            } else {
                Outcome::Up
            },
            counted: true,
            region: None,
            evidence: Default::default(),
            covers_ms: 1000,
        }
    }

    fn feed(t: &mut Tracker, id: &str, secs: i64, down: bool) -> Vec<Transition> {
        t.apply(result(id, secs, down)).transitions
    }

    #[test]
    fn no_result_is_unknown_not_operational() {
        let t = tracker(false);
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Unknown)
        );
    }

    #[test]
    fn opens_after_threshold_and_resolves_after_successes() {
        let mut t = tracker(false);
        assert!(feed(&mut t, "bmce/web/0", 0, true).is_empty());
        assert!(feed(&mut t, "bmce/web/0", 1, true).is_empty());
        let opened = feed(&mut t, "bmce/web/0", 2, true);
        assert!(
            matches!(&opened[..], [Transition::Down { status: Status::MajorOutage, started_at, .. }]
                if started_at.timestamp() == 1_770_000_000),
            "{opened:?}"
        );
        // The other probe answers: only part of the channel is down.
        let eased = feed(&mut t, "bmce/web/1", 3, false);
        assert!(
            matches!(
                &eased[..],
                [Transition::Severity {
                    status: Status::PartialOutage,
                    ..
                }]
            ),
            "{eased:?}"
        );
        assert!(feed(&mut t, "bmce/web/0", 4, false).is_empty());
        let resolved = feed(&mut t, "bmce/web/0", 5, false);
        assert!(
            matches!(&resolved[..], [Transition::Up { .. }]),
            "{resolved:?}"
        );
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Operational)
        );
    }

    #[test]
    fn a_success_resets_the_failure_streak() {
        let mut t = tracker(false);
        feed(&mut t, "bmce/web/0", 0, true);
        feed(&mut t, "bmce/web/0", 1, true);
        feed(&mut t, "bmce/web/0", 2, false);
        feed(&mut t, "bmce/web/0", 3, true);
        assert!(feed(&mut t, "bmce/web/0", 4, true).is_empty());
    }

    /// Applies and returns every judged result with its transitions.
    fn take(t: &mut Tracker, id: &str, secs: i64, down: bool) -> Applied {
        t.apply(result(id, secs, down))
    }

    #[test]
    fn failures_wait_for_the_controls_and_a_cut_takes_them_back() {
        let mut t = tracker(true);
        take(&mut t, "control/0", 0, false);
        for s in 1..=3 {
            let a = take(&mut t, "bmce/web/0", s, true);
            assert!(a.transitions.is_empty() && a.judged.is_empty(), "waits");
        }
        assert_eq!(t.waiting(), 3);
        // The control, checked after them, fails too; nothing answers for an interval
        // after it: the network.
        let a = take(&mut t, "control/0", 4, true);
        assert!(a.transitions.is_empty(), "{a:?}");
        let a = take(&mut t, "bmce/web/0", 5, true);
        assert!(
            matches!(&a.transitions[..], [Transition::NetworkCut { .. }]),
            "{a:?}"
        );
        assert_eq!(a.judged.iter().filter(|r| !r.counted).count(), 3);
        assert_eq!(t.waiting(), 1);
        take(&mut t, "bmce/web/0", 6, true);
        let a = take(&mut t, "control/0", 7, true);
        assert_eq!(a.judged.iter().filter(|r| !r.counted).count(), 2);
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Unknown)
        );
        let a = take(&mut t, "control/0", 10, false);
        assert!(matches!(
            &a.transitions[..],
            [Transition::NetworkRestored { .. }]
        ));
        // After the cut: dated from the first failure after it.
        take(&mut t, "bmce/web/0", 11, true);
        take(&mut t, "bmce/web/0", 12, true);
        take(&mut t, "control/0", 12, false);
        take(&mut t, "bmce/web/0", 13, true);
        let a = take(&mut t, "control/0", 13, false);
        assert!(
            matches!(&a.transitions[..], [Transition::Down { started_at, .. }]
                if started_at.timestamp() == 1_770_000_011),
            "{a:?}"
        );
    }

    #[test]
    fn failures_inside_a_cut_are_the_networks_when_it_ends() {
        let mut t = tracker(true);
        take(&mut t, "control/0", 0, false);
        take(&mut t, "bmce/web/0", 1, true);
        take(&mut t, "control/0", 2, true);
        take(&mut t, "bmce/web/0", 3, true);
        assert!(t.network_cut_since().is_some());
        // Three failures the control has not spoken for, then the bank answers: the cut is
        // over, and what failed inside it is taken back.
        take(&mut t, "bmce/web/0", 4, true);
        take(&mut t, "bmce/web/1", 4, true);
        let a = take(&mut t, "bmce/web/1", 5, false);
        assert!(t.network_cut_since().is_none());
        let taken_back = a.judged.iter().filter(|r| !r.counted).count();
        assert_eq!(taken_back, 3, "{a:?}");
        assert!(
            !a.transitions
                .iter()
                .any(|t| matches!(t, Transition::Down { .. })),
            "{a:?}"
        );
    }

    #[test]
    fn one_dead_control_waits_for_the_banks_word() {
        let mut t = tracker(true);
        take(&mut t, "control/0", 0, true);
        take(&mut t, "bmce/web/1", 0, false);
        // web/0 fails, the control fails after it, and web/1 answers within the interval:
        // the failure counts.
        take(&mut t, "bmce/web/0", 1, true);
        assert!(take(&mut t, "control/0", 1, true)
            .judged
            .iter()
            .all(|r| r.probe_id == "control/0"));
        let a = take(&mut t, "bmce/web/1", 1, false);
        assert!(
            a.judged
                .iter()
                .any(|r| r.probe_id == "bmce/web/0" && r.counted),
            "{a:?}"
        );
        assert!(t.network_cut_since().is_none());
    }

    #[test]
    fn a_second_cut_before_the_control_answers_again_is_seen() {
        let mut t = tracker(true);
        take(&mut t, "control/0", 0, false);
        take(&mut t, "bmce/web/0", 1, true);
        take(&mut t, "control/0", 2, true);
        let a = take(&mut t, "bmce/web/0", 3, true);
        assert!(
            matches!(&a.transitions[..], [Transition::NetworkCut { .. }]),
            "{a:?}"
        );
        // The bank answers: the cut is over, though the control has not answered yet.
        let a = take(&mut t, "bmce/web/0", 3, false);
        assert!(t.network_cut_since().is_none(), "{a:?}");
        // Cut again: the control's next failure says so, and the failures wait for it.
        take(&mut t, "bmce/web/0", 4, true);
        take(&mut t, "bmce/web/0", 5, true);
        take(&mut t, "control/0", 6, true);
        let a = take(&mut t, "bmce/web/0", 7, true);
        assert!(
            matches!(&a.transitions[..], [Transition::NetworkCut { .. }]),
            "{a:?}"
        );
        assert_eq!(a.judged.iter().filter(|r| !r.counted).count(), 2);
        assert_eq!(
            t.network_cut_since().map(|t| t.timestamp()),
            Some(1_770_000_006)
        );
    }

    #[test]
    fn a_bank_that_answers_proves_the_network_works() {
        let mut t = tracker(true);
        // The only control fails, but a probe answers after it: no cut, statuses known.
        take(&mut t, "control/0", 0, true);
        take(&mut t, "bmce/web/1", 0, false);
        assert!(t.network_cut_since().is_none());
        let mut opened = Vec::new();
        for s in 1..=3 {
            // Each failure counts once the other probe answers after it.
            assert!(take(&mut t, "bmce/web/0", s, true).judged.is_empty());
            let a = take(&mut t, "bmce/web/1", s, false);
            assert!(a.judged.iter().all(|r| r.counted));
            opened.extend(a.transitions);
        }
        assert!(
            matches!(&opened[..], [Transition::Down { status: Status::PartialOutage, started_at, .. }]
                if started_at.timestamp() == 1_770_000_001),
            "{opened:?}"
        );
    }

    #[test]
    fn without_controls_failures_count_at_once() {
        let mut t = tracker(false);
        let a = take(&mut t, "bmce/web/0", 0, true);
        assert_eq!(a.judged.len(), 1);
        assert!(a.judged[0].counted);
        assert_eq!(t.waiting(), 0);
        // Drained at shutdown: nothing is left behind.
        let mut t = tracker(true);
        take(&mut t, "bmce/web/0", 0, true);
        let left = t.drain();
        assert_eq!(left.len(), 1);
        assert!(!left[0].counted);
    }

    #[test]
    fn restored_incident_resolves_after_successes() {
        let mut t = tracker(false);
        let since = Utc.timestamp_opt(1_770_000_000, 0).single().expect("time");
        t.restore_down("bmce", Channel::Web, since);
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::MajorOutage)
        );
        for (i, id) in ["bmce/web/0", "bmce/web/1"].iter().enumerate() {
            feed(&mut t, id, 10 + i as i64, false);
        }
        let mut last = Vec::new();
        for (i, id) in ["bmce/web/0", "bmce/web/1"].iter().enumerate() {
            last = feed(&mut t, id, 20 + i as i64, false);
        }
        assert!(matches!(&last[..], [Transition::Up { .. }]), "{last:?}");
    }

    fn from(region: &str, id: &str, secs: i64, down: bool) -> ProbeResult {
        ProbeResult {
            region: Some(region.into()),
            ..result(id, secs, down)
        }
    }

    #[test]
    fn an_outage_seen_from_several_regions_needs_a_quorum() {
        let mut t = tracker(false).vantage("rabat", 2);
        for s in 0..3 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                feed(&mut t, id, s, false);
                t.apply(from("casa", id, s, false));
                t.apply(from("fes", id, s, false));
            }
        }
        // casa alone sees it down: one region of three is no quorum.
        for s in 3..8 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                assert!(t.apply(from("casa", id, s, true)).transitions.is_empty());
                feed(&mut t, id, s, false);
            }
        }
        assert_eq!(
            t.probe_status("bmce", Channel::Web).map(|c| c.status),
            Some(Status::Operational)
        );
        // fes agrees: down, naming both.
        let mut opened = Vec::new();
        for s in 8..11 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                t.apply(from("casa", id, s, true));
                opened.extend(t.apply(from("fes", id, s, true)).transitions);
            }
        }
        assert!(
            matches!(&opened[..], [Transition::Down { status: Status::PartialOutage, regions, .. }]
                if regions == &["casa", "fes"]),
            "{opened:?}"
        );
        assert_eq!(t.regions().len(), 3);
    }

    #[test]
    fn a_region_whose_controls_fail_is_left_out() {
        let mut t = tracker(true).vantage("rabat", 2);
        feed(&mut t, "control/0", 0, false);
        t.apply(from("casa", "control/0", 0, true));
        t.apply(from("fes", "control/0", 0, false));
        let mut all = Vec::new();
        for s in 1..6 {
            for id in ["bmce/web/0", "bmce/web/1"] {
                all.extend(feed(&mut t, id, s, false));
                all.extend(t.apply(from("casa", id, s, true)).transitions);
                all.extend(t.apply(from("fes", id, s, true)).transitions);
            }
        }
        // casa is cut off, so fes alone disagrees with rabat: no outage.
        assert!(
            !all.iter().any(|t| matches!(t, Transition::Down { .. })),
            "{all:?}"
        );
        let casa = t.regions().into_iter().find(|r| r.name == "casa").unwrap();
        assert!(casa.cut_since.is_some());
        assert!(t.network_cut_since().is_none());
    }
}
