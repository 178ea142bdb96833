//! The task that fuses the three signals: it applies probe results to the [`Tracker`],
//! follows maintenance windows on the clock, watches report surges, records the incidents
//! they open and resolve (one per bank and channel, whatever its sources), publishes the
//! snapshot, and passes results on to the writer.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::live::{BankNow, ChannelNow, Live, Snapshot};
use super::maintenance::state_at;
use super::surge::{self, Surge, SurgeChange};
use super::tracker::{Tracker, Transition};
use crate::config::Config;
use crate::domain::{
    Channel, Confidence, IncidentKind, IncidentState, Lang, Names, ProbeResult, Source, Status,
};
use crate::i18n::{channel_name, duration, list, local_time, message, message_with, status_name};
use crate::metrics::Metrics;
use crate::store::{
    DynStore, IncidentFilter, NewIncident, NewUpdate, Opened, StoreResult, WindowFilter, WindowRow,
};

/// What other parts of the service tell the engine.
#[derive(Debug, Clone, Copy)]
pub enum Command {
    /// Incidents or windows changed in the database: read them again.
    Reload,
    /// A report was accepted or deleted: count again.
    ReportsChanged,
    /// With several instances: since when every instance's own controls fail, or `None`.
    HomeCut(Option<DateTime<Utc>>),
}

type Key = (String, Channel);

/// An open automatic incident and the signals that hold it open.
#[derive(Debug, Clone)]
struct Held {
    id: i64,
    probe: bool,
    reports: bool,
    /// The maintenance window this outage overran: its incident and announced end.
    overrun: Option<(i64, DateTime<Utc>)>,
}

/// What the probes say of a channel that went down.
struct Failing {
    /// The first failure.
    started_at: DateTime<Utc>,
    at: DateTime<Utc>,
    status: Status,
    detail: String,
    /// The regions that see it down, when more than one judges the channel.
    regions: Vec<String>,
}

/// Reports are counted again at least this often, and on every change.
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// Baselines move slowly: computed again at most this often.
const BASELINE_EVERY: chrono::Duration = chrono::Duration::minutes(5);

pub struct Engine {
    tracker: Tracker,
    store: DynStore,
    live: Arc<Live>,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
    held: HashMap<Key, Held>,
    windows: Vec<WindowRow>,
    operator_outages: HashMap<Key, i64>,
    surges: HashMap<Key, Surge>,
    baselines: HashMap<Key, f64>,
    baselines_at: Option<DateTime<Utc>>,
    reports_due: bool,
    reports_at: Option<tokio::time::Instant>,
    /// Set when other instances share the database: what they change reaches this engine
    /// only by reading the database again, every [`SHARED_RELOAD`].
    shared: bool,
}

/// How often an engine on a shared database reads incidents, windows and reports again.
const SHARED_RELOAD: Duration = Duration::from_secs(2);

fn open_key(bank: &str, channel: Channel) -> String {
    format!("outage:{bank}:{channel}")
}

impl Engine {
    /// Builds the tracker and takes back the automatic incidents still open in the database.
    pub async fn start(
        config: Arc<Config>,
        store: DynStore,
        live: Arc<Live>,
        metrics: Arc<Metrics>,
    ) -> StoreResult<Self> {
        let mut engine = Engine {
            tracker: Tracker::new(&config.banks, &config.controls)
                .vantage(&config.probing.region, config.probing.quorum),
            store,
            live,
            config,
            metrics,
            held: HashMap::new(),
            windows: Vec::new(),
            operator_outages: HashMap::new(),
            surges: HashMap::new(),
            baselines: HashMap::new(),
            baselines_at: None,
            reports_due: true,
            reports_at: None,
            shared: false,
        };
        let open = engine
            .store
            .incidents(&IncidentFilter {
                bank: None,
                open_only: true,
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        for row in open {
            let Some(key) = row.open_key.as_deref() else {
                continue;
            };
            let mut parts = key.splitn(3, ':');
            let (Some("outage"), Some(bank), Some(channel)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(channel) = channel.parse::<Channel>() else {
                continue;
            };
            // A channel no longer probed (its probes left the config) cannot be held by
            // probes: its incident is released below instead of staying open for ever.
            let watched = engine.tracker.probe_status(bank, channel).is_some();
            let probe = watched && row.has_source("probe");
            let reports = row.has_source("reports");
            if probe {
                engine.tracker.restore_down(bank, channel, row.started_at);
            }
            if reports {
                // Counted again at the first tick; released then if the surge is over.
                engine.surges.insert(
                    (bank.to_owned(), channel),
                    Surge {
                        active: true,
                        since: Some(row.started_at),
                        ..Surge::default()
                    },
                );
            }
            let overrun = match row.overrun_of {
                Some(w) => engine
                    .store
                    .window(w)
                    .await?
                    .map(|w| (w.incident_id, w.ends)),
                None => None,
            };
            let key = (bank.to_owned(), channel);
            engine.held.insert(
                key.clone(),
                Held {
                    id: row.id,
                    probe: probe || !reports,
                    reports,
                    overrun,
                },
            );
            if !probe && !reports {
                engine
                    .release(bank, channel, Source::Probe, Utc::now())
                    .await?;
            }
        }
        engine.reload().await?;
        engine.publish();
        Ok(engine)
    }

    /// For a database other instances share: reads what they changed every few seconds.
    pub fn shared(mut self) -> Self {
        self.shared = true;
        self.tracker = self.tracker.judged_at_source();
        self
    }

    /// Runs until `shutdown`, then applies the results still queued and returns (dropping
    /// `writer`, which lets the writer flush and stop). Without a writer, the results come
    /// from the database and are not stored again.
    pub async fn run(
        mut self,
        mut results: mpsc::Receiver<ProbeResult>,
        mut commands: mpsc::Receiver<Command>,
        writer: Option<mpsc::Sender<ProbeResult>>,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut reload = tokio::time::interval(SHARED_RELOAD);
        reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut results_open = true;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                r = results.recv(), if results_open => match r {
                    Some(r) => self.on_result(r, writer.as_ref()).await,
                    None => results_open = false,
                },
                Some(c) = commands.recv() => self.on_command(c).await,
                _ = reload.tick(), if self.shared => {
                    self.on_command(Command::ReportsChanged).await;
                    self.on_command(Command::Reload).await;
                }
                _ = tick.tick() => self.on_tick(Utc::now()).await,
            }
        }
        while let Some(r) = results.recv().await {
            self.on_result(r, writer.as_ref()).await;
        }
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::Reload => {
                if let Err(e) = self.reload().await {
                    tracing::error!(error = %e, "could not reload incidents and windows");
                }
                self.publish();
            }
            Command::ReportsChanged => self.reports_due = true,
            Command::HomeCut(since) => {
                for t in self.tracker.set_home_cut(since, Utc::now()) {
                    if let Err(e) = self.on_transition(t).await {
                        tracing::error!(error = %e, "could not record an incident change");
                    }
                }
                if self.tracker.take_changed() {
                    self.publish();
                }
            }
        }
    }

    async fn on_result(
        &mut self,
        mut result: ProbeResult,
        writer: Option<&mpsc::Sender<ProbeResult>>,
    ) {
        let transitions = self.tracker.apply(&mut result);
        self.live.record_check(&result);
        let recorded = !transitions.is_empty();
        for t in transitions {
            // If recording fails, the channel goes back to where it was, so the next
            // result tries again rather than the change being lost.
            let undo = match &t {
                Transition::Down { bank, channel, .. } => Some((bank.clone(), *channel, false)),
                Transition::Up { bank, channel, .. } => Some((bank.clone(), *channel, true)),
                _ => None,
            };
            if let Err(e) = self.on_transition(t).await {
                tracing::error!(error = %e, "could not record an incident change; retrying with the next result");
                if let Some((bank, channel, down)) = undo {
                    self.tracker.set_down(&bank, channel, down);
                }
            }
        }
        if self.tracker.take_changed() || recorded {
            self.publish();
        }
        // Agents' results were stored by the API as they arrived.
        if let Some(writer) = writer.filter(|_| result.region.is_none()) {
            if writer.send(result).await.is_err() {
                tracing::error!("the writer stopped; probe results are no longer stored");
            }
        }
    }

    async fn on_tick(&mut self, now: DateTime<Utc>) {
        let mut changed = false;
        match self.follow_windows(now).await {
            Ok(c) => changed |= c,
            Err(e) => tracing::error!(error = %e, "could not follow maintenance windows"),
        }
        let due = self.reports_at.is_none_or(|t| t.elapsed() >= REPORT_EVERY);
        if self.reports_due || due {
            self.reports_due = false;
            self.reports_at = Some(tokio::time::Instant::now());
            match self.count_reports(now).await {
                Ok(c) => changed |= c,
                Err(e) => tracing::error!(error = %e, "could not count reports"),
            }
        }
        if changed {
            self.publish();
        }
    }

    /// Reads windows and operator incidents again, and forgets automatic incidents that
    /// were closed by an operator.
    async fn reload(&mut self) -> StoreResult<()> {
        let now = Utc::now();
        // Windows still to follow, whatever their age (one announced while the service was
        // down is caught up), and those ended within a day, for overruns.
        let mut windows = self
            .store
            .windows(&WindowFilter {
                bank: None,
                open_only: true,
                ended_after: None,
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let recent = self
            .store
            .windows(&WindowFilter {
                bank: None,
                open_only: false,
                ended_after: Some(now - chrono::Duration::days(1)),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        windows.extend(
            recent
                .into_iter()
                .filter(|w| w.state == IncidentState::Completed.as_str()),
        );
        // Windows the operator closed early: what they covered is no longer announced.
        let closed: Vec<WindowRow> = windows
            .iter()
            .filter(|w| w.state == IncidentState::Completed.as_str())
            .filter(|w| {
                self.windows.iter().any(|old| {
                    old.incident_id == w.incident_id
                        && old.state != IncidentState::Completed.as_str()
                })
            })
            .cloned()
            .collect();
        self.windows = windows;
        for w in &closed {
            self.window_ended(w, now).await?;
        }
        let open = self
            .store
            .incidents(&IncidentFilter {
                bank: None,
                open_only: true,
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        self.operator_outages.clear();
        for row in &open {
            if row.kind == IncidentKind::Outage.as_str() && row.open_key.is_none() {
                for (bank, channel) in &row.scopes {
                    if let Ok(channel) = channel.parse() {
                        self.operator_outages
                            .insert((bank.clone(), channel), row.id);
                    }
                }
            }
        }
        let open_ids: BTreeSet<i64> = open.iter().map(|r| r.id).collect();
        self.held.retain(|_, h| open_ids.contains(&h.id));
        Ok(())
    }

    fn in_maintenance(
        &self,
        bank: &str,
        channel: Channel,
        now: DateTime<Utc>,
    ) -> Option<&WindowRow> {
        // A completed window is over, even one cancelled before its announced end.
        self.windows.iter().find(|w| {
            w.bank == bank
                && w.channels.iter().any(|c| c == channel.as_str())
                && w.state != IncidentState::Completed.as_str()
                && w.starts <= now
                && now < w.ends
        })
    }

    /// The window of this channel that ended after `failing_since` and before `at`: an
    /// outage then is that window's overrun.
    fn overran(
        &self,
        bank: &str,
        channel: Channel,
        failing_since: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Option<(i64, DateTime<Utc>)> {
        self.windows
            .iter()
            .filter(|w| w.bank == bank && w.channels.iter().any(|c| c == channel.as_str()))
            .filter(|w| w.ends <= at && failing_since < w.ends)
            .max_by_key(|w| w.ends)
            .map(|w| (w.incident_id, w.ends))
    }

    /// Moves windows to the state the clock gives them; opens overrun outages at their end.
    async fn follow_windows(&mut self, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut changed = false;
        for i in 0..self.windows.len() {
            let w = &self.windows[i];
            let want = state_at(w.starts, w.ends, now);
            // Completed is final: a window cancelled by the operator stays so.
            if w.state == want.as_str() || w.state == IncidentState::Completed.as_str() {
                continue;
            }
            let id = w.incident_id;
            // A window caught up late (e.g. after downtime) still gets both entries, each
            // at the time it happened.
            let mut steps = Vec::new();
            if w.state == IncidentState::Scheduled.as_str() && want == IncidentState::Completed {
                steps.push((IncidentState::InProgress, w.starts));
            }
            steps.push((
                want,
                if want == IncidentState::Completed {
                    w.ends
                } else {
                    w.starts
                },
            ));
            for (state, at) in steps {
                let text_id = match state {
                    IncidentState::InProgress => "window-started",
                    _ => "window-ended",
                };
                let [ar, fr, en] = Lang::ALL.map(|l| Some(message(l, text_id).to_owned()));
                let message = Names { ar, fr, en };
                self.store
                    .add_update(
                        id,
                        &NewUpdate {
                            at: at.min(now),
                            state,
                            source: Source::Operator,
                            message,
                        },
                    )
                    .await?;
            }
            self.windows[i].state = want.as_str().to_owned();
            changed = true;
            if want == IncidentState::Completed {
                let w = self.windows[i].clone();
                self.window_ended(&w, now).await?;
            }
        }
        Ok(changed)
    }

    /// At the end of a window, or when the operator closes it early: what still fails or
    /// is still reported is no longer announced, and opens an incident (an overrun).
    async fn window_ended(&mut self, w: &WindowRow, now: DateTime<Utc>) -> StoreResult<()> {
        for channel in w.channels.iter().filter_map(|c| c.parse::<Channel>().ok()) {
            let key = (w.bank.clone(), channel);
            if let Some(surge) = self.surges.get(&key).filter(|s| s.active).cloned() {
                if !self.held.get(&key).is_some_and(|h| h.reports) {
                    self.surge_started(&w.bank, channel, surge.count, surge.baseline, now)
                        .await?;
                }
            }
            if self.tracker.is_down(&w.bank, channel) {
                let (since, detail) = self
                    .tracker
                    .failure(&w.bank, channel)
                    .unwrap_or((w.ends, String::new()));
                let status = self
                    .tracker
                    .probe_status(&w.bank, channel)
                    .map_or(Status::MajorOutage, |p| p.status);
                let failing = Failing {
                    started_at: since,
                    at: now,
                    status,
                    detail,
                    regions: self.tracker.down_regions(&w.bank, channel),
                };
                self.probe_down(&w.bank, channel, failing).await?;
            }
        }
        Ok(())
    }

    async fn count_reports(&mut self, now: DateTime<Utc>) -> StoreResult<bool> {
        let window = chrono::Duration::from_std(self.config.reports.window)
            .unwrap_or(chrono::Duration::minutes(15));
        if self.baselines_at.is_none_or(|t| now - t >= BASELINE_EVERY) {
            let mut per_day: HashMap<Key, Vec<i64>> = HashMap::new();
            for d in 1..=surge::BASELINE_DAYS {
                let end = now - chrono::Duration::days(d);
                for c in self.store.report_counts(end - window, end).await? {
                    if let Ok(channel) = c.channel.parse() {
                        per_day
                            .entry((c.bank, channel))
                            .or_default()
                            .push(c.reporters);
                    }
                }
            }
            // Days without a report count as zero.
            self.baselines = per_day
                .into_iter()
                .map(|(k, mut v)| {
                    v.resize(surge::BASELINE_DAYS as usize, 0);
                    (k, surge::baseline(&v))
                })
                .collect();
            self.baselines_at = Some(now);
        }
        let mut counts: HashMap<Key, i64> = HashMap::new();
        for c in self
            .store
            .report_counts(now - window, now + chrono::Duration::seconds(1))
            .await?
        {
            if self.config.bank(&c.bank).is_none() {
                continue;
            }
            if let Ok(channel) = c.channel.parse() {
                counts.insert((c.bank, channel), c.reporters);
            }
        }
        let keys: BTreeSet<Key> = counts.keys().chain(self.surges.keys()).cloned().collect();
        let mut changed = false;
        let floor = self.config.reports.surge_floor;
        for key in keys {
            let count = counts.get(&key).copied().unwrap_or(0);
            let baseline = self.baselines.get(&key).copied().unwrap_or(0.0);
            let surge = self.surges.entry(key.clone()).or_default();
            let before = (surge.count, surge.active);
            let change = surge.update(count, baseline, floor, now);
            changed |= before != (surge.count, surge.active);
            let (bank, channel) = key.clone();
            let recorded = match change {
                Some(SurgeChange::Started) => {
                    self.surge_started(&bank, channel, count, baseline, now)
                        .await
                }
                Some(SurgeChange::Ended) => self.surge_ended(&bank, channel, now).await,
                None => Ok(()),
            };
            if let Err(e) = recorded {
                // Undo the change so the next count tries again.
                tracing::error!(error = %e, "could not record a report surge; retrying at the next count");
                if let Some(s) = self.surges.get_mut(&key) {
                    s.active = !s.active;
                }
            }
            if count == 0 && !self.surges.get(&key).is_some_and(|s| s.active) {
                self.surges.remove(&key);
            }
        }
        Ok(changed)
    }

    fn names(&self, bank: &str, f: impl Fn(Lang, &str) -> String) -> Names {
        let bank_names = self
            .config
            .bank(bank)
            .map(|b| b.names.clone())
            .unwrap_or_default();
        let [ar, fr, en] = Lang::ALL.map(|l| Some(f(l, bank_names.get(l))));
        Names { ar, fr, en }
    }

    /// Opens the automatic incident of a bank and channel, or joins the one already open.
    /// Returns its id and whether it is new.
    async fn open_or_join(
        &mut self,
        bank: &str,
        channel: Channel,
        title: Names,
        started_at: DateTime<Utc>,
        update: NewUpdate,
        overrun: Option<(i64, DateTime<Utc>)>,
    ) -> StoreResult<i64> {
        let key = (bank.to_owned(), channel);
        if let Some(held) = self.held.get(&key) {
            let id = held.id;
            self.store.add_update(id, &update).await?;
            return Ok(id);
        }
        // The operator already declared this outage: the signal adds to it, and the
        // operator, not the signal, closes it.
        if let Some(&id) = self.operator_outages.get(&key) {
            self.store.add_update(id, &update).await?;
            return Ok(id);
        }
        let opened = self
            .store
            .open_incident(&NewIncident {
                kind: IncidentKind::Outage,
                title,
                started_at,
                open_key: Some(open_key(bank, channel)),
                overrun_of: overrun.map(|o| o.0),
                scopes: vec![(bank.to_owned(), channel)],
                first_update: update.clone(),
            })
            .await?;
        if let Opened::Existing(id) = opened {
            // Opened meanwhile by another instance: this signal joins it.
            self.store.add_update(id, &update).await?;
        }
        self.held.insert(
            key,
            Held {
                id: opened.id(),
                probe: false,
                reports: false,
                overrun,
            },
        );
        tracing::warn!(bank, channel = %channel, incident = opened.id(), source = update.source.as_str(), "outage opened");
        Ok(opened.id())
    }

    async fn probe_down(
        &mut self,
        bank: &str,
        channel: Channel,
        failing: Failing,
    ) -> StoreResult<()> {
        let Failing {
            started_at,
            at,
            status,
            detail,
            regions,
        } = failing;
        if self.in_maintenance(bank, channel, at).is_some() {
            // Announced: failures inside the window open nothing.
            return Ok(());
        }
        if self
            .held
            .get(&(bank.to_owned(), channel))
            .is_some_and(|h| h.probe)
        {
            return Ok(());
        }
        let tz = self.config.timezone;
        let overrun = self.overran(bank, channel, started_at, at);
        let title = self.names(bank, |l, name| {
            let id = if overrun.is_some() {
                "overrun-title"
            } else {
                "outage-title"
            };
            message_with(
                l,
                id,
                &[("bank", name), ("channel", channel_name(channel, l))],
            )
        });
        let message = self.names(bank, |l, _| {
            let c = channel_name(channel, l);
            let s = status_name(status, l);
            let failing = match overrun {
                None => message_with(
                    l,
                    "probe-failing",
                    &[("channel", c), ("status", s), ("detail", &detail)],
                ),
                Some((_, ends)) => message_with(
                    l,
                    "probe-failing-overrun",
                    &[
                        ("channel", c),
                        ("late", &duration(ends, at, l)),
                        ("end", &local_time(ends, tz, l)),
                        ("detail", &detail),
                    ],
                ),
            };
            if regions.is_empty() {
                failing
            } else {
                let seen = message_with(l, "probe-seen-from", &[("regions", &list(&regions, l))]);
                format!("{failing} {seen}")
            }
        });
        let update = NewUpdate {
            at,
            state: IncidentState::Investigating,
            source: Source::Probe,
            message,
        };
        let id = self
            .open_or_join(bank, channel, title, started_at, update, overrun)
            .await?;
        if let Some(h) = self.held.get_mut(&(bank.to_owned(), channel)) {
            h.probe = true;
            debug_assert_eq!(h.id, id);
        }
        Ok(())
    }

    /// Closes the incident when no signal holds it any more; otherwise says what changed.
    async fn release(
        &mut self,
        bank: &str,
        channel: Channel,
        source: Source,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let key = (bank.to_owned(), channel);
        let Some(mut held) = self.held.get(&key).cloned() else {
            return Ok(());
        };
        match source {
            Source::Probe => held.probe = false,
            Source::Reports => held.reports = false,
            Source::Operator => {}
        }
        let still = held.probe || held.reports;
        let overrun = held.overrun;
        let message = self.names(bank, |l, _| {
            let c = channel_name(channel, l);
            match (source, still, overrun) {
                (Source::Probe, true, _) => {
                    message_with(l, "probes-back-reports-high", &[("channel", c)])
                }
                (_, true, _) => message(l, "reports-back-probes-failing").to_owned(),
                (_, false, Some((_, ends))) => message_with(
                    l,
                    "channel-back-overran",
                    &[("channel", c), ("late", &duration(ends, at, l))],
                ),
                (_, false, None) => message_with(l, "channel-back", &[("channel", c)]),
            }
        });
        let state = if still {
            IncidentState::Investigating
        } else {
            IncidentState::Resolved
        };
        self.store
            .add_update(
                held.id,
                &NewUpdate {
                    at,
                    state,
                    source,
                    message,
                },
            )
            .await?;
        if still {
            self.held.insert(key, held);
        } else {
            self.held.remove(&key);
            tracing::info!(bank, channel = %channel, incident = held.id, "outage resolved");
        }
        Ok(())
    }

    async fn surge_started(
        &mut self,
        bank: &str,
        channel: Channel,
        count: i64,
        baseline: f64,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        if self.in_maintenance(bank, channel, at).is_some() {
            // Reports of an announced outage are expected; if they go on past the end of
            // the window, the surge is taken up then.
            return Ok(());
        }
        let minutes = self.config.reports.window.as_secs() / 60;
        let title = self.names(bank, |l, name| {
            message_with(
                l,
                "surge-title",
                &[("bank", name), ("channel", channel_name(channel, l))],
            )
        });
        let message = self.names(bank, |l, _| {
            message_with(
                l,
                "surge-message",
                &[
                    ("count", &count.to_string()),
                    ("channel", channel_name(channel, l)),
                    ("minutes", &minutes.to_string()),
                    ("baseline", &format!("{baseline:.1}")),
                ],
            )
        });
        let update = NewUpdate {
            at,
            state: IncidentState::Investigating,
            source: Source::Reports,
            message,
        };
        self.open_or_join(bank, channel, title, at, update, None)
            .await?;
        if let Some(h) = self.held.get_mut(&(bank.to_owned(), channel)) {
            h.reports = true;
        }
        Ok(())
    }

    async fn surge_ended(
        &mut self,
        bank: &str,
        channel: Channel,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        if self
            .held
            .get(&(bank.to_owned(), channel))
            .is_some_and(|h| h.reports)
        {
            self.release(bank, channel, Source::Reports, at).await?;
        }
        Ok(())
    }

    async fn on_transition(&mut self, t: Transition) -> StoreResult<()> {
        match t {
            Transition::Down {
                bank,
                channel,
                started_at,
                at,
                status,
                detail,
                regions,
            } => {
                let failing = Failing {
                    started_at,
                    at,
                    status,
                    detail,
                    regions,
                };
                self.probe_down(&bank, channel, failing).await?;
            }
            Transition::Severity {
                bank,
                channel,
                at,
                status,
            } => {
                let Some(held) = self.held.get(&(bank.clone(), channel)).filter(|h| h.probe) else {
                    return Ok(());
                };
                let id = held.id;
                let message = self.names(&bank, |l, _| {
                    let c = channel_name(channel, l);
                    match (l, status) {
                        (Lang::Ar, Status::MajorOutage) => format!("كل فحوصات {c} تفشل الآن."),
                        (Lang::Ar, _) => format!("بعض فحوصات {c} تنجح من جديد."),
                        (Lang::Fr, Status::MajorOutage) => {
                            format!("Toutes les vérifications de « {c} » échouent désormais.")
                        }
                        (Lang::Fr, _) => {
                            format!("Une partie des vérifications de « {c} » répond de nouveau.")
                        }
                        (Lang::En, Status::MajorOutage) => format!("Every check of {c} fails now."),
                        (Lang::En, _) => format!("Some checks of {c} answer again."),
                    }
                });
                self.store
                    .add_update(
                        id,
                        &NewUpdate {
                            at,
                            state: IncidentState::Investigating,
                            source: Source::Probe,
                            message,
                        },
                    )
                    .await?;
            }
            Transition::Up { bank, channel, at } => {
                if self
                    .held
                    .get(&(bank.clone(), channel))
                    .is_some_and(|h| h.probe)
                {
                    self.release(&bank, channel, Source::Probe, at).await?;
                }
            }
            Transition::NetworkCut { at } => {
                tracing::warn!(%at, "control sites fail too: bank failures are put down to the tracker's network");
            }
            Transition::NetworkRestored { at } => {
                tracing::info!(%at, "control sites answer again");
            }
        }
        Ok(())
    }

    /// One channel with every signal fused.
    fn channel_now(&self, bank: &str, channel: Channel, now: DateTime<Utc>) -> ChannelNow {
        let key = (bank.to_owned(), channel);
        let probe = self.tracker.probe_status(bank, channel);
        let probe_status = probe.map_or(Status::Unknown, |p| p.status);
        let surge = self.surges.get(&key);
        let surging = surge.is_some_and(|s| s.active);
        let operator = self.operator_outages.get(&key).copied();
        let window = self.in_maintenance(bank, channel, now);
        let mut status = probe_status;
        let mut since = probe.and_then(|p| p.since);
        if surging && !probe_status.is_outage() {
            status = Status::worst([status, Status::PartialOutage]);
            since = surge.and_then(|s| s.since);
        }
        if operator.is_some() {
            status = Status::MajorOutage;
        }
        let confidence = if operator.is_some() || (surging && probe_status.is_outage()) {
            Some(Confidence::Confirmed)
        } else if surging || probe_status.is_outage() {
            Some(Confidence::Likely)
        } else {
            None
        };
        let (status, confidence) = match window {
            Some(w) if operator.is_none() => {
                since = Some(w.starts);
                (Status::Maintenance, Some(Confidence::Announced))
            }
            _ => (status, confidence),
        };
        ChannelNow {
            channel,
            status,
            since,
            incident: operator
                .or_else(|| self.held.get(&key).map(|h| h.id))
                .or_else(|| window.map(|w| w.incident_id)),
            confidence,
            reports: surge.map_or(0, |s| s.count),
            baseline: surge.map_or(0.0, |s| s.baseline),
            surge: surging,
        }
    }

    fn publish(&self) {
        let now = Utc::now();
        let banks = self
            .config
            .banks
            .iter()
            .map(|b| {
                // Probed channels, and any other channel a signal speaks of.
                let mut shown: BTreeSet<Channel> = b.probed_channels().into_iter().collect();
                let speaks = |(bank, channel): &Key| (bank == &b.slug).then_some(*channel);
                shown.extend(self.held.keys().filter_map(speaks));
                shown.extend(self.operator_outages.keys().filter_map(speaks));
                shown.extend(self.surges.keys().filter_map(speaks));
                shown.extend(
                    self.windows
                        .iter()
                        .filter(|w| {
                            w.bank == b.slug
                                && w.state != IncidentState::Completed.as_str()
                                && w.starts <= now
                                && now < w.ends
                        })
                        .flat_map(|w| w.channels.iter().filter_map(|c| c.parse::<Channel>().ok())),
                );
                let channels: Vec<ChannelNow> = shown
                    .into_iter()
                    .map(|c| self.channel_now(&b.slug, c, now))
                    .collect();
                BankNow {
                    slug: b.slug.clone(),
                    status: Status::worst(channels.iter().map(|c| c.status)),
                    channels,
                }
            })
            .collect();
        let cut = self.tracker.network_cut_since();
        self.metrics
            .network_cut
            .store(i64::from(cut.is_some()), Ordering::Relaxed);
        self.metrics.open_incidents.store(
            (self.held.len() + self.operator_outages.len()) as i64,
            Ordering::Relaxed,
        );
        self.live.publish(Snapshot {
            network_cut_since: cut,
            banks,
            regions: self.tracker.regions(),
        });
    }
}
