//! Several instances on one database. Bank probes are claimed from the shared schedule, so
//! each runs once per interval across all instances; every instance runs the controls
//! itself, its own vantage point. One instance at a time holds the `engine` lease: it reads
//! every instance's results back from the database, opens and resolves incidents, and
//! shares its snapshot, which the others show.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::clock::DynClock;
use crate::config::Config;
use crate::domain::ProbeResult;
use crate::metrics::Metrics;
use crate::probe::scheduler::{run_claimed, ProbeRuntime};
use crate::probe::spawn_probes;
use crate::signals::engine::{Command, Engine};
use crate::signals::live::Snapshot;
use crate::signals::tracker::Tracker;
use crate::signals::Live;
use crate::store::{DynStore, ScheduledProbe, StoreResult};

/// The lease of the instance that runs the engine.
const ENGINE_LEASE: &str = "engine";
/// An engine lease not renewed for this long is taken over by another instance.
const LEASE_TTL: chrono::Duration = chrono::Duration::seconds(5);
/// How often an instance renews its lease and shares or reads the snapshot: pages on every
/// instance agree within about this.
const BEAT: Duration = Duration::from_millis(500);
/// How often new results are read back, for the engine and the last checks.
const TAIL_EVERY: Duration = Duration::from_millis(100);
/// Results read back per query.
const TAIL_BATCH: u32 = 5000;
/// The shared value that holds the engine's snapshot.
const SNAPSHOT_KEY: &str = "snapshot";
/// Shared values `vantage/NAME`: whether instance NAME's own controls fail.
const VANTAGE_PREFIX: &str = "vantage/";
/// An instance that has not said for this long how its network is has stopped.
const VANTAGE_FRESH: chrono::Duration = chrono::Duration::seconds(5);
/// ...and after this long its entry is removed.
const VANTAGE_FORGOTTEN: chrono::Duration = chrono::Duration::hours(1);

/// What an instance says of its own network.
#[derive(Debug, Serialize, Deserialize)]
struct Vantage {
    /// When it said so, in milliseconds since the epoch.
    at: i64,
    /// Set while every control fails from it.
    cut_since: Option<DateTime<Utc>>,
}

/// What an instance shares with its parts.
pub struct Member {
    pub config: Arc<Config>,
    pub store: DynStore,
    pub live: Arc<Live>,
    pub metrics: Arc<Metrics>,
    pub clock: DynClock,
    /// This instance's name in the schedule and the lease: host, process and a random part.
    pub name: String,
    /// Since when this instance's own controls all fail, as its vantage point says.
    cut: watch::Receiver<Option<DateTime<Utc>>>,
    cut_tx: Option<watch::Sender<Option<DateTime<Utc>>>>,
}

impl Member {
    pub fn new(
        config: Arc<Config>,
        store: DynStore,
        live: Arc<Live>,
        metrics: Arc<Metrics>,
        clock: DynClock,
    ) -> Member {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_default();
        let name = format!(
            "{host}-{}-{:08x}",
            std::process::id(),
            rand::thread_rng().gen::<u32>()
        );
        let (cut_tx, cut) = watch::channel(None);
        Member {
            config,
            store,
            live,
            metrics,
            clock,
            name,
            cut,
            cut_tx: Some(cut_tx),
        }
    }

    /// Registers the bank probes in the shared schedule and starts this instance's part:
    /// claimed probes, its own controls, its vantage point, and the engine lease.
    pub async fn start(
        mut self,
        rt: ProbeRuntime,
        results: mpsc::Receiver<ProbeResult>,
        writer: mpsc::Sender<ProbeResult>,
        commands: mpsc::Receiver<Command>,
        tasks: &mut JoinSet<()>,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        let shutdown = rt.shutdown.clone();
        let banks: HashMap<String, _> = self
            .config
            .banks
            .iter()
            .flat_map(|b| b.probes.iter())
            .map(|p| (p.id.clone(), p.clone()))
            .collect();
        let scheduled: Vec<ScheduledProbe> = banks
            .values()
            .map(|p| ScheduledProbe {
                id: p.id.clone(),
                interval: p.interval,
                // Spread over the first interval, as a single instance does.
                first_at: now
                    + chrono::Duration::from_std(
                        p.interval
                            .min(Duration::from_secs(10))
                            .mul_f64(rand::thread_rng().gen_range(0.0..1.0)),
                    )
                    .unwrap_or_default(),
            })
            .collect();
        self.store.register_probes(&scheduled).await?;
        tracing::info!(
            instance = %self.name,
            probes = scheduled.len(),
            "sharing probes with the other instances on this database"
        );
        spawn_probes(self.config.controls.clone(), rt.clone(), tasks);
        tasks.spawn(run_claimed(
            self.store.clone(),
            self.name.clone(),
            banks,
            rt,
        ));
        let cut = self.cut_tx.take().unwrap_or_else(|| watch::channel(None).0);
        tasks.spawn(vantage(
            Tracker::new(&self.config.banks, &self.config.controls)
                .vantage(&self.config.probing.region, self.config.probing.quorum),
            results,
            writer,
            cut,
        ));
        // One beat before serving, so the first page already shows the status.
        let mut beat = Beat {
            cursor: self.store.last_result_id().await?,
            ..Beat::default()
        };
        self.beat(&mut beat, &shutdown).await;
        tasks.spawn(self.lead_or_follow(beat, commands, shutdown));
        Ok(())
    }

    /// Every [`BEAT`] until `shutdown`: see [`Member::beat`]; new results every
    /// [`TAIL_EVERY`]. Commands for the engine reach
    /// it while this instance runs it, and are dropped otherwise (the engine that runs
    /// elsewhere reads the database again every few seconds).
    async fn lead_or_follow(
        self,
        mut beat_state: Beat,
        mut commands: mpsc::Receiver<Command>,
        shutdown: CancellationToken,
    ) {
        let mut beat = tokio::time::interval(BEAT);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        beat.tick().await;
        let mut tail = tokio::time::interval(TAIL_EVERY);
        tail.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(c) = commands.recv() => {
                    if let Some(e) = &beat_state.engine {
                        // A full queue already holds a pending reload.
                        let _ = e.commands.try_send(c);
                    }
                    continue;
                }
                _ = tail.tick() => {
                    beat_state.cursor = self
                        .tail(beat_state.cursor, beat_state.engine.as_ref())
                        .await;
                    continue;
                }
                _ = beat.tick() => {}
            }
            self.beat(&mut beat_state, &shutdown).await;
        }
        if let Some(e) = beat_state.engine.take() {
            e.stop().await;
            // Handed over at once rather than when the lease runs out.
            if let Err(e) = self.store.release_lease(ENGINE_LEASE, &self.name).await {
                tracing::warn!(error = %e, "could not release the engine lease");
            }
        }
    }

    /// Renews or takes the engine lease and shares the snapshot; without the lease, shows
    /// the shared one.
    async fn beat(&self, st: &mut Beat, shutdown: &CancellationToken) {
        let now = self.clock.now();
        let held = match self
            .store
            .hold_lease(ENGINE_LEASE, &self.name, now, now + LEASE_TTL)
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, "could not renew the engine lease");
                false
            }
        };
        match (held, st.engine.is_some()) {
            (true, false) => {
                st.engine = self.start_engine(shutdown).await;
                st.shared_generation = 0;
                st.home_cut = None;
            }
            (false, true) => {
                if let Some(e) = st.engine.take() {
                    e.stop().await;
                }
                tracing::warn!(instance = %self.name, "another instance runs the engine now");
            }
            _ => {}
        }
        self.tell_vantage(now).await;
        if let Some(e) = &st.engine {
            let cut = self.home_cut(now).await;
            if cut != st.home_cut && e.commands.try_send(Command::HomeCut(cut)).is_ok() {
                st.home_cut = cut;
            }
        }
        if st.engine.is_some() {
            let generation = self.live.generation();
            if generation != st.shared_generation {
                self.share_snapshot().await;
                st.shared_generation = generation;
            }
        } else {
            st.seen_version = self.follow_snapshot(st.seen_version).await;
        }
    }

    async fn start_engine(&self, shutdown: &CancellationToken) -> Option<Running> {
        let engine = match Engine::start(
            self.config.clone(),
            self.store.clone(),
            self.live.clone(),
            self.metrics.clone(),
            self.clock.clone(),
        )
        .await
        {
            Ok(e) => e.shared(),
            Err(e) => {
                tracing::error!(error = %e, "could not load open incidents to run the engine");
                return None;
            }
        };
        let (results, results_rx) = mpsc::channel(TAIL_BATCH as usize * 2);
        let (commands, commands_rx) = mpsc::channel(64);
        let stop = shutdown.child_token();
        let task = tokio::spawn(engine.run(results_rx, commands_rx, None, stop.clone()));
        tracing::info!(instance = %self.name, "this instance runs the engine");
        Some(Running {
            results,
            commands,
            stop,
            task,
        })
    }

    /// Reads the results stored since `cursor` by every instance: each is this instance's
    /// last check of its probe, and the engine's input while this instance runs it.
    async fn tail(&self, mut cursor: i64, engine: Option<&Running>) -> i64 {
        loop {
            // No more than the engine has room for, so a busy engine delays its own input,
            // never the beat that renews the lease.
            let room = engine.map_or(TAIL_BATCH as usize, |e| e.results.capacity());
            let limit = TAIL_BATCH.min(room as u32);
            if limit == 0 {
                return cursor;
            }
            let batch = match self.store.results_after(cursor, limit).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read new probe results");
                    return cursor;
                }
            };
            let full = batch.len() == limit as usize;
            for stored in batch {
                cursor = stored.id;
                self.live.record_check(&stored.result);
                if let Some(e) = engine {
                    let _ = e.results.try_send(stored.result);
                }
            }
            if !full {
                return cursor;
            }
        }
    }

    /// Says in the database how this instance's own network is.
    async fn tell_vantage(&self, now: DateTime<Utc>) {
        let vantage = Vantage {
            at: now.timestamp_millis(),
            cut_since: *self.cut.borrow(),
        };
        let key = format!("{VANTAGE_PREFIX}{}", self.name);
        let Ok(json) = serde_json::to_string(&vantage) else {
            return;
        };
        if let Err(e) = self.store.put_shared(&key, &json).await {
            tracing::warn!(error = %e, "could not share this instance's network state");
        }
    }

    /// Since when every running instance's own controls fail, or `None` while any can see.
    async fn home_cut(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let entries = match self.store.shared_with_prefix(VANTAGE_PREFIX).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the instances' network states");
                return None;
            }
        };
        let mut cut = Vec::new();
        for (key, json) in entries {
            let Ok(v) = serde_json::from_str::<Vantage>(&json) else {
                continue;
            };
            let age = now.timestamp_millis() - v.at;
            if age > VANTAGE_FORGOTTEN.num_milliseconds() {
                let _ = self.store.delete_shared(&key).await;
            }
            if age <= VANTAGE_FRESH.num_milliseconds() {
                cut.push(v.cut_since);
            }
        }
        cut.into_iter()
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()
    }

    async fn share_snapshot(&self) {
        let snapshot = self.live.snapshot();
        match serde_json::to_string(&*snapshot) {
            Ok(json) => {
                if let Err(e) = self.store.put_shared(SNAPSHOT_KEY, &json).await {
                    tracing::warn!(error = %e, "could not share the status snapshot");
                }
            }
            Err(e) => tracing::error!(error = %e, "could not encode the status snapshot"),
        }
    }

    /// Shows the engine's snapshot when it changed since `seen`; returns the version shown.
    async fn follow_snapshot(&self, seen: i64) -> i64 {
        match self.store.shared_since(SNAPSHOT_KEY, seen).await {
            Ok(Some((version, json))) => match serde_json::from_str::<Snapshot>(&json) {
                Ok(snapshot) => {
                    self.live.publish(snapshot);
                    version
                }
                Err(e) => {
                    // Another version of the service wrote it: keep what is shown.
                    tracing::warn!(error = %e, "cannot read the shared status snapshot");
                    version
                }
            },
            Ok(None) => seen,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the shared status snapshot");
                seen
            }
        }
    }
}

/// What one beat leaves for the next.
#[derive(Default)]
struct Beat {
    engine: Option<Running>,
    /// The last result read back.
    cursor: i64,
    /// The shared snapshot's version last shown.
    seen_version: i64,
    /// What the engine was last told of the instances' networks.
    home_cut: Option<DateTime<Utc>>,
    /// The live generation last shared.
    shared_generation: u64,
}

/// The engine while this instance holds the lease.
struct Running {
    results: mpsc::Sender<ProbeResult>,
    commands: mpsc::Sender<Command>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        self.stop.cancel();
        drop(self.results);
        let _ = self.task.await;
    }
}

/// This instance's vantage point: its own controls decide whether a failure it saw counts
/// against the bank, before the result is stored for the engine, wherever that runs.
async fn vantage(
    mut tracker: Tracker,
    mut results: mpsc::Receiver<ProbeResult>,
    writer: mpsc::Sender<ProbeResult>,
    cut: watch::Sender<Option<DateTime<Utc>>>,
) {
    while let Some(result) = results.recv().await {
        // What changes is the engine's to record; here only the verdict on the result
        // counts, and whether this instance can see at all. Agents' results come judged
        // by their own controls.
        let judged = if result.region.is_none() {
            let judged = tracker.apply(result).judged;
            let _ = tracker.take_changed();
            let since = tracker.network_cut_since();
            cut.send_if_modified(|c| std::mem::replace(c, since) != since);
            judged
        } else {
            vec![result]
        };
        for r in judged {
            if writer.send(r).await.is_err() {
                tracing::error!("the writer stopped; probe results are no longer stored");
                return;
            }
        }
    }
    for r in tracker.drain() {
        let _ = writer.send(r).await;
    }
}
