//! Several instances on one database. Bank probes are claimed from the shared schedule, so
//! each runs once per interval across all instances; every instance runs the controls
//! itself, its own vantage point. One instance at a time holds the `engine` lease: it reads
//! every instance's results back from the database, opens and resolves incidents, and
//! shares its snapshot, which the others show.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

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
/// How often an instance renews its lease, reads new results and shares or reads the
/// snapshot: pages on every instance agree within about this.
const BEAT: Duration = Duration::from_millis(500);
/// Results read back per query.
const TAIL_BATCH: u32 = 5000;
/// The shared value that holds the engine's snapshot.
const SNAPSHOT_KEY: &str = "snapshot";

/// What an instance shares with its parts.
pub struct Member {
    pub config: Arc<Config>,
    pub store: DynStore,
    pub live: Arc<Live>,
    pub metrics: Arc<Metrics>,
    /// This instance's name in the schedule and the lease: host, process and a random part.
    pub name: String,
}

impl Member {
    pub fn new(
        config: Arc<Config>,
        store: DynStore,
        live: Arc<Live>,
        metrics: Arc<Metrics>,
    ) -> Member {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_default();
        let name = format!(
            "{host}-{}-{:08x}",
            std::process::id(),
            rand::thread_rng().gen::<u32>()
        );
        Member {
            config,
            store,
            live,
            metrics,
            name,
        }
    }

    /// Registers the bank probes in the shared schedule and starts this instance's part:
    /// claimed probes, its own controls, its vantage point, and the engine lease.
    pub async fn start(
        self,
        rt: ProbeRuntime,
        results: mpsc::Receiver<ProbeResult>,
        writer: mpsc::Sender<ProbeResult>,
        commands: mpsc::Receiver<Command>,
        tasks: &mut JoinSet<()>,
    ) -> StoreResult<()> {
        let now = Utc::now();
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
        tasks.spawn(vantage(
            Tracker::new(&self.config.banks, &self.config.controls)
                .vantage(&self.config.probing.region, self.config.probing.quorum),
            results,
            writer,
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

    /// Every [`BEAT`] until `shutdown`: see [`Member::beat`]. Commands for the engine reach
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

    /// Renews or takes the engine lease, feeds new results to the engine while holding it,
    /// and shares the snapshot; without the lease, shows the shared one.
    async fn beat(&self, st: &mut Beat, shutdown: &CancellationToken) {
        let now = Utc::now();
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
            }
            (false, true) => {
                if let Some(e) = st.engine.take() {
                    e.stop().await;
                }
                tracing::warn!(instance = %self.name, "another instance runs the engine now");
            }
            _ => {}
        }
        st.cursor = self.tail(st.cursor, st.engine.as_ref()).await;
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
            let batch = match self.store.results_after(cursor, TAIL_BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read new probe results");
                    return cursor;
                }
            };
            let full = batch.len() == TAIL_BATCH as usize;
            for stored in batch {
                cursor = stored.id;
                self.live.record_check(&stored.result);
                if let Some(e) = engine {
                    let _ = e.results.send(stored.result).await;
                }
            }
            if !full {
                return cursor;
            }
        }
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
) {
    while let Some(mut result) = results.recv().await {
        // What changes is the engine's to record; here only the verdict on the result
        // counts. Agents' results come judged by their own controls.
        if result.region.is_none() {
            let _ = tracker.apply(&mut result);
            let _ = tracker.take_changed();
        }
        if writer.send(result).await.is_err() {
            tracing::error!("the writer stopped; probe results are no longer stored");
            return;
        }
    }
}
