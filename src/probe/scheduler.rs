//! Runs every probe on its own interval, with jitter, under one concurrency cap; or, with
//! several instances on one database, the probes the shared schedule gives this one.
//!
//! Each probe is its own task sleeping until its next tick, so a target that hangs holds up
//! only its own probe (bounded by its timeout) and never the others' schedules.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::check::{run_check, Reading};
use crate::clock::DynClock;
use crate::domain::{ProbeResult, ProbeSpec, ProbeTarget};
use crate::metrics::Metrics;
use crate::store::DynStore;

/// What every probe task shares.
#[derive(Clone)]
pub struct ProbeRuntime {
    pub client: reqwest::Client,
    pub permits: Arc<Semaphore>,
    pub reading: Reading,
    pub sink: mpsc::Sender<ProbeResult>,
    pub metrics: Arc<Metrics>,
    /// Stamps each check and each claim of the shared schedule.
    pub clock: DynClock,
    pub shutdown: CancellationToken,
    /// Asks the controls for a check now; see [`ControlCall`].
    pub controls: ControlCall,
}

/// A bank failure counts only once the controls have been checked after it, so each one
/// asks them for a check at once rather than waiting for their interval. Asks that come
/// while a control is being checked are kept for the next.
#[derive(Clone, Debug)]
pub struct ControlCall(Arc<watch::Sender<u64>>);

impl Default for ControlCall {
    fn default() -> Self {
        ControlCall(Arc::new(watch::Sender::new(0)))
    }
}

impl ControlCall {
    pub fn ask(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn listen(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// Controls asked for often (every bank failing at once) are checked at most this often.
const CONTROL_GAP: Duration = Duration::from_secs(1);

/// Starts one task per probe; they stop when `rt.shutdown` is cancelled.
pub fn spawn_probes(specs: Vec<ProbeSpec>, rt: ProbeRuntime, tasks: &mut JoinSet<()>) {
    for spec in specs {
        tasks.spawn(run_probe(spec, rt.clone()));
    }
}

/// The first check comes within the first interval (at most 10 s) so many probes do not
/// all fire at the same instant at start-up.
fn first_delay(interval: Duration) -> Duration {
    let spread = interval.min(Duration::from_secs(10));
    spread.mul_f64(rand::thread_rng().gen_range(0.0..1.0))
}

/// Up to ±2 % of the interval, so probes that started together drift apart.
fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(rand::thread_rng().gen_range(0.98..1.02))
}

/// After the first check, the second comes half an interval to one and a half later, so
/// probes that all checked at start-up spread over the whole interval from then on.
fn spread(interval: Duration) -> Duration {
    interval.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
}

async fn run_probe(spec: ProbeSpec, rt: ProbeRuntime) {
    let mut next = Instant::now() + first_delay(spec.interval);
    let mut first = true;
    let mut asked = (spec.target == ProbeTarget::Control).then(|| rt.controls.listen());
    let mut last_start: Option<Instant> = None;
    loop {
        let called = async {
            match asked.as_mut() {
                Some(rx) => rx.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = rt.shutdown.cancelled() => return,
            () = tokio::time::sleep_until(next) => {}
            ok = called => {
                if !ok {
                    asked = None;
                    continue;
                }
                let soonest = last_start.map_or_else(Instant::now, |t| t + CONTROL_GAP);
                next = next.min(soonest.max(Instant::now()));
                tokio::select! {
                    () = rt.shutdown.cancelled() => return,
                    () = tokio::time::sleep_until(next) => {}
                }
            }
        }
        let scheduled = next;
        last_start = Some(Instant::now());
        if let Some(rx) = asked.as_mut() {
            // This check answers every ask made so far.
            rx.borrow_and_update();
        }
        if !check_once(&spec, &rt, scheduled).await {
            return;
        }
        next = scheduled
            + if std::mem::take(&mut first) {
                spread(spec.interval)
            } else {
                jittered(spec.interval)
            };
        let now = Instant::now();
        if next < now {
            // The check outlasted its interval: skip the missed ticks rather than firing
            // a burst to catch up.
            next = now
                + jittered(spec.interval)
                    .min(spec.interval / 2)
                    .max(Duration::from_millis(100));
        }
    }
}

/// Runs one check under the concurrency cap and hands its result on; false once the
/// service is stopping.
async fn check_once(spec: &ProbeSpec, rt: &ProbeRuntime, scheduled: Instant) -> bool {
    let permit = tokio::select! {
        () = rt.shutdown.cancelled() => return false,
        p = rt.permits.clone().acquire_owned() => match p {
            Ok(p) => p,
            Err(_) => return false,
        },
    };
    rt.metrics
        .schedule_lag
        .observe(Instant::now().saturating_duration_since(scheduled));
    // Boxed so that a sleeping probe task holds only its small loop state, not the
    // whole request future: ten thousand probes stay light.
    let check = Box::pin(run_check(&rt.client, spec, &rt.reading, rt.clock.now()));
    let result = tokio::select! {
        () = rt.shutdown.cancelled() => return false,
        r = check => r,
    };
    drop(permit);
    // A refusal by the bank's protection is an answer: the network works.
    if result.outcome.is_down()
        && !result.outcome.is_blocked()
        && result.target != ProbeTarget::Control
    {
        rt.controls.ask();
    }
    rt.metrics.record_probe(&result.probe_id, &result.outcome);
    rt.sink.send(result).await.is_ok()
}

/// How often an instance asks the shared schedule for the probes due soon...
const CLAIM_EVERY: Duration = Duration::from_millis(100);
/// ...up to this far ahead, so that each runs at its time, not at the next claim.
const CLAIM_AHEAD: Duration = Duration::from_millis(250);

/// Runs the probes of `specs` that the shared schedule gives this instance (`holder`), each
/// when it is due, until `rt.shutdown`; other instances on the database run the rest.
pub async fn run_claimed(
    store: DynStore,
    holder: String,
    specs: HashMap<String, ProbeSpec>,
    rt: ProbeRuntime,
) {
    let mut checks = JoinSet::new();
    loop {
        // Jittered, so that which instance claims a probe first changes from turn to turn
        // rather than the same one always winning.
        let pause = CLAIM_EVERY.mul_f64(rand::thread_rng().gen_range(0.5..1.5));
        tokio::select! {
            () = rt.shutdown.cancelled() => break,
            () = tokio::time::sleep(pause) => {}
        }
        while checks.try_join_next().is_some() {}
        // Only what this instance can start now: the rest stays due for the others.
        let room = rt.permits.available_permits().min(1000);
        if room == 0 {
            continue;
        }
        let now = rt.clock.now();
        let horizon = now + chrono::Duration::from_std(CLAIM_AHEAD).unwrap_or_default();
        let claimed = match store.claim_due(&holder, now, horizon, room as u32).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim due probes");
                continue;
            }
        };
        let started = Instant::now();
        for (id, due) in claimed {
            if let Some(spec) = specs.get(&id) {
                let (spec, rt) = (spec.clone(), rt.clone());
                let at = started + (due - now).to_std().unwrap_or_default();
                checks.spawn(async move {
                    tokio::select! {
                        () = rt.shutdown.cancelled() => return,
                        () = tokio::time::sleep_until(at) => {}
                    }
                    check_once(&spec, &rt, at).await;
                });
            }
        }
    }
    while checks.join_next().await.is_some() {}
}
