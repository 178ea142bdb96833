//! The engine: the loop around the [`Core`]. It reads the inputs (probe results, report
//! counts, the windows and incidents in the database, the clock), hands them to the core,
//! writes the effects the core returns, one transaction each, and publishes the snapshot.
//! When a write fails, the core takes the database's word again and decides anew.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::core::Core;
use super::effects::{Effect, Target};
use super::ledger;
use super::live::Live;
use super::surge::BASELINE_DAYS;
use super::tally::Tally;
use crate::clock::DynClock;
use crate::config::Config;
use crate::domain::ProbeResult;
use crate::metrics::Metrics;
use crate::store::{DynStore, IncidentRow, StoreError, StoreResult, WindowFilter, WindowRow};
use crate::throttle::Throttle;

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

/// Reports are counted again at least this often, and on every change.
const REPORT_EVERY: chrono::Duration = chrono::Duration::seconds(10);
/// How often an engine on a shared database reads incidents, windows and reports again.
const SHARED_RELOAD: Duration = Duration::from_secs(2);
/// While the database refuses writes, every input fails again: a line every few seconds.
static WRITE_FAILED: Throttle = Throttle::new(Duration::from_secs(5));
/// Reports read per query when tallying.
const TALLY_PAGE: u32 = 10_000;

pub struct Engine {
    core: Core,
    store: DynStore,
    live: Arc<Live>,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
    clock: DynClock,
    reports_due: bool,
    reports_at: Option<DateTime<Utc>>,
    /// The window's reporters, read on from the last report taken in.
    tally: Tally,
    /// A write failed and the core could not yet take the database's word again.
    stale: bool,
    /// Set when other instances share the database: what they change reaches this engine
    /// only by reading the database again, every [`SHARED_RELOAD`].
    shared: bool,
}

impl Engine {
    /// Builds the core and takes back the automatic incidents still open in the database.
    pub async fn start(
        config: Arc<Config>,
        store: DynStore,
        live: Arc<Live>,
        metrics: Arc<Metrics>,
        clock: DynClock,
    ) -> StoreResult<Self> {
        let mut engine = Engine {
            core: Core::new(&config),
            store,
            live,
            config,
            metrics,
            clock,
            reports_due: true,
            reports_at: None,
            tally: Tally::default(),
            stale: false,
            shared: false,
        };
        let (open, windows) = engine.load().await?;
        let now = engine.clock.now();
        let resolved = engine.recently_resolved(now).await?;
        let effects = engine.core.restore(&open, &resolved, windows, now);
        engine.apply(effects).await;
        engine.publish();
        Ok(engine)
    }

    /// For a database other instances share: reads what they changed every few seconds.
    pub fn shared(mut self) -> Self {
        self.shared = true;
        self.core = self.core.judged_at_source();
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
                    self.reports_due = true;
                    self.on_command(Command::Reload).await;
                }
                _ = tick.tick() => self.on_tick().await,
            }
        }
        while let Some(r) = results.recv().await {
            self.on_result(r, writer.as_ref()).await;
        }
        store(self.core.drain(), writer.as_ref()).await;
    }

    async fn on_command(&mut self, command: Command) {
        let now = self.clock.now();
        let effects = match command {
            Command::Reload => match self.load().await {
                Ok((open, windows)) => self.core.reload(&open, windows, now),
                Err(e) => {
                    tracing::error!(error = %e, "could not reload incidents and windows");
                    Vec::new()
                }
            },
            Command::ReportsChanged => {
                self.reports_due = true;
                Vec::new()
            }
            Command::HomeCut(since) => self.core.home_cut(since, now),
        };
        self.apply(effects).await;
        self.publish_if_changed();
    }

    async fn on_result(&mut self, result: ProbeResult, writer: Option<&mpsc::Sender<ProbeResult>>) {
        self.live.record_check(&result);
        let (effects, judged) = self.core.result(result);
        self.metrics.engine_results.fetch_add(1, Ordering::Relaxed);
        self.apply(effects).await;
        self.publish_if_changed();
        store(judged, writer).await;
    }

    async fn on_tick(&mut self) {
        let now = self.clock.now();
        if self.stale {
            self.resync(now).await;
        }
        let effects = self.core.tick(now);
        self.apply(effects).await;
        let due = self.reports_at.is_none_or(|t| now - t >= REPORT_EVERY);
        if self.reports_due || due {
            self.reports_due = false;
            self.reports_at = Some(now);
            let started = std::time::Instant::now();
            let counted = self.count_reports(now).await;
            self.metrics.report_count_time.observe(started.elapsed());
            match counted {
                Ok(effects) => self.apply(effects).await,
                Err(e) => {
                    // A count cut short may have taken a deleted report's reporter out
                    // without reading them again: the next count starts afresh.
                    self.tally = Tally::default();
                    tracing::error!(error = %e, "could not count reports");
                }
            }
            self.metrics.report_counts.fetch_add(1, Ordering::Relaxed);
        }
        self.publish_if_changed();
    }

    /// The open incidents and the windows the core follows: those still open, whatever
    /// their age (one announced while the service was down is caught up), those ended
    /// within a day (for overruns), and those an open outage overran.
    async fn load(&self) -> StoreResult<(Vec<IncidentRow>, Vec<WindowRow>)> {
        let now = self.clock.now();
        let open = ledger::open_incidents(&*self.store).await?;
        let mut windows = self
            .store
            .windows(&WindowFilter {
                open_only: true,
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        let recent = self
            .store
            .windows(&WindowFilter {
                ended_after: Some(now - chrono::Duration::days(1)),
                limit: 10_000,
                ..Default::default()
            })
            .await?;
        windows.extend(recent.into_iter().filter(|w| w.state.is_closed()));
        for of in open.iter().filter_map(|r| r.overrun_of) {
            if !windows.iter().any(|w| w.incident_id == of) {
                windows.extend(self.store.window(of).await?);
            }
        }
        Ok((open, windows))
    }

    /// The outages resolved within `reopen_within`: one failing again reopens.
    async fn recently_resolved(&self, now: DateTime<Utc>) -> StoreResult<Vec<IncidentRow>> {
        let within = chrono::Duration::from_std(self.config.probing.reopen_within)
            .unwrap_or(chrono::Duration::minutes(30));
        ledger::resolved_since(&*self.store, now - within).await
    }

    async fn count_reports(&mut self, now: DateTime<Utc>) -> StoreResult<Vec<Effect>> {
        let window = chrono::Duration::from_std(self.config.reports.window)
            .unwrap_or(chrono::Duration::minutes(15));
        if self.core.baselines_due(now) {
            let mut days = Vec::new();
            for d in 1..=BASELINE_DAYS {
                let end = now - chrono::Duration::days(d);
                days.push(self.store.report_counts(end - window, end).await?);
            }
            self.core.set_baselines(&days, now);
        }
        let since = now - window;
        loop {
            let read = self
                .store
                .reports_after(self.tally.after(), since, TALLY_PAGE)
                .await?;
            self.tally.take(&read);
            if read.len() < TALLY_PAGE as usize {
                break;
            }
        }
        let deleted = self
            .store
            .reports_deleted(self.tally.deletions_from(now))
            .await?;
        for (key, reporter) in self.tally.forget(&deleted, now) {
            let again = self
                .store
                .reporter_reports(&key.bank, key.channel, &reporter, since)
                .await?;
            self.tally.retake(&again);
        }
        let counts = self.tally.counts(since);
        Ok(self.core.reports(&counts, now))
    }

    /// Writes each effect in turn. On a failure the rest are dropped and the core takes the
    /// database's word again: what was not written is decided anew by the next input.
    async fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            if let Err(e) = self.write(&effect).await {
                self.metrics
                    .engine_write_errors
                    .fetch_add(1, Ordering::Relaxed);
                if let Some(held_back) = WRITE_FAILED.admit(std::time::Instant::now()) {
                    tracing::error!(error = %e, earlier_not_logged = held_back, "could not record an incident change; deciding again from the record");
                }
                let now = self.clock.now();
                self.resync(now).await;
                return;
            }
        }
    }

    async fn write(&mut self, effect: &Effect) -> StoreResult<()> {
        match effect {
            Effect::Open {
                key, entry, reopen, ..
            } => {
                let new = effect.incident(self.clock.now()).ok_or_else(|| {
                    StoreError::Malformed("an opening without its incident".into())
                })?;
                let opened = self.store.open_incident(&new).await?;
                self.core.opened(key, opened.id());
                if reopen.is_some_and(|id| id == opened.id()) {
                    tracing::warn!(bank = %key.bank, channel = %key.channel, incident = opened.id(), source = entry.source.as_str(), "outage reopened: failing again");
                } else {
                    tracing::warn!(bank = %key.bank, channel = %key.channel, incident = opened.id(), source = entry.source.as_str(), "outage opened");
                }
            }
            Effect::Add { to, entry } => {
                let id = match to {
                    Target::Incident(id) => *id,
                    Target::Open(key) => self.core.incident_of(key).ok_or_else(|| {
                        StoreError::Malformed(format!("no incident open under `{key}`"))
                    })?,
                };
                self.store.add_update(id, &entry.update()).await?;
                if entry.state.is_closed() {
                    tracing::info!(incident = id, "incident closed");
                }
            }
        }
        Ok(())
    }

    /// Takes the database's word again; until it can be read, the engine stays stale and
    /// tries at every tick.
    async fn resync(&mut self, now: DateTime<Utc>) {
        match self.load().await {
            Ok((open, windows)) => {
                self.stale = false;
                for effect in self.core.resync(&open, windows, now) {
                    if let Err(e) = self.write(&effect).await {
                        if let Some(held_back) = WRITE_FAILED.admit(std::time::Instant::now()) {
                            tracing::error!(error = %e, earlier_not_logged = held_back, "could not record an incident change; trying again");
                        }
                        self.stale = true;
                        return;
                    }
                }
            }
            Err(e) => {
                self.stale = true;
                if let Some(held_back) = WRITE_FAILED.admit(std::time::Instant::now()) {
                    tracing::error!(error = %e, earlier_not_logged = held_back, "could not read the record back; trying again");
                }
            }
        }
    }

    fn publish_if_changed(&mut self) {
        if self.core.take_changed() {
            self.publish();
        }
    }

    fn publish(&self) {
        let snapshot = self.core.snapshot(self.clock.now());
        self.metrics.network_cut.store(
            i64::from(snapshot.network_cut_since.is_some()),
            Ordering::Relaxed,
        );
        self.metrics
            .open_incidents
            .store(self.core.open_incidents() as i64, Ordering::Relaxed);
        self.live.publish(snapshot);
    }
}

/// Hands judged results to the writer. Agents' results were stored by the API as they
/// arrived, and without a writer the results came from the database.
async fn store(judged: Vec<ProbeResult>, writer: Option<&mpsc::Sender<ProbeResult>>) {
    let Some(writer) = writer else { return };
    for r in judged.into_iter().filter(|r| r.region.is_none()) {
        if writer.send(r).await.is_err() {
            tracing::error!("the writer stopped; probe results are no longer stored");
            return;
        }
    }
}
