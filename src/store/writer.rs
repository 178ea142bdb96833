//! Background storage work: the one writer that batches probe results, and the purge of
//! raw results past their retention.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::DynStore;
use crate::clock::DynClock;
use crate::domain::ProbeResult;
use crate::metrics::Metrics;

/// A batch is written when it holds this many results...
const BATCH_MAX: usize = 1000;
/// ...or when its first result has waited this long. With several instances the engine
/// reads results back from the database, so they wait less there.
const BATCH_WAIT: Duration = Duration::from_millis(500);
const SHARED_BATCH_WAIT: Duration = Duration::from_millis(100);

/// Writes results in batches until every sender is dropped, then flushes what is left.
pub async fn run_writer(
    store: DynStore,
    tz: Tz,
    mut results: mpsc::Receiver<ProbeResult>,
    metrics: Arc<Metrics>,
) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while let Some(first) = results.recv().await {
        batch.push(first);
        let wait = if store.shared() {
            SHARED_BATCH_WAIT
        } else {
            BATCH_WAIT
        };
        let deadline = tokio::time::Instant::now() + wait;
        while batch.len() < BATCH_MAX {
            match tokio::time::timeout_at(deadline, results.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        write(&store, tz, &batch, &metrics).await;
        batch.clear();
    }
}

async fn write(store: &DynStore, tz: Tz, batch: &[ProbeResult], metrics: &Metrics) {
    for attempt in 1..=3u32 {
        match store.insert_results(batch, tz).await {
            Ok(()) => {
                metrics
                    .results_written
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                metrics.write_batches.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, attempt, results = batch.len(), "could not store probe results");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        }
    }
    metrics.write_errors.fetch_add(1, Ordering::Relaxed);
}

/// Deletes raw results older than `days`, once at start and then every hour.
pub async fn run_retention(
    store: DynStore,
    days: u32,
    clock: DynClock,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let before = clock.now() - chrono::Duration::days(i64::from(days));
        match store.purge_results_before(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "purged raw probe results past retention"),
            Err(e) => tracing::error!(error = %e, "could not purge old probe results"),
        }
    }
}
