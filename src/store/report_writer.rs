//! Group commit for crowd reports: requests hand their report to one writer, which stores
//! every report waiting at that moment in one transaction and answers each once it is
//! committed. A storm of reports costs one commit per batch, not one per report, and a
//! lone report waits for nothing.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::health::WriteCause;
use super::{DynStore, NewReport, ReportOutcome, StoreError, StoreResult};
use crate::metrics::Metrics;
use crate::throttle::Throttle;

/// Most reports in one transaction; more wait for the next.
const BATCH_MAX: usize = 256;
/// Reports waiting for the writer before requests wait to hand theirs over.
const QUEUE: usize = 4096;

static FAILED: Throttle = Throttle::new(std::time::Duration::from_secs(5));

type Pending = (NewReport, oneshot::Sender<StoreResult<ReportOutcome>>);

/// The allowance and dedup span every report is judged by.
#[derive(Debug, Clone, Copy)]
pub struct ReportRules {
    pub per_hour: u32,
    pub dedup: chrono::Duration,
}

/// Where requests hand reports over; cloned into every request's state.
#[derive(Clone)]
pub struct ReportWriter {
    queue: mpsc::Sender<Pending>,
}

impl ReportWriter {
    /// The handle, and the writer to spawn; the writer ends once every handle is dropped,
    /// after storing what was handed over.
    pub fn new(
        store: DynStore,
        rules: ReportRules,
        metrics: Arc<Metrics>,
    ) -> (Self, impl std::future::Future<Output = ()>) {
        let (queue, waiting) = mpsc::channel(QUEUE);
        (ReportWriter { queue }, run(store, rules, metrics, waiting))
    }

    /// Stores one report; answers once it is committed (or the batch failed).
    pub async fn add(&self, report: NewReport) -> StoreResult<ReportOutcome> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((report, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Shared {
        cause: WriteCause::Connection,
        message: "the report writer has stopped".into(),
    }
}

async fn run(
    store: DynStore,
    rules: ReportRules,
    metrics: Arc<Metrics>,
    mut waiting: mpsc::Receiver<Pending>,
) {
    let mut reports = Vec::with_capacity(BATCH_MAX);
    let mut replies = Vec::with_capacity(BATCH_MAX);
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while waiting.recv_many(&mut batch, BATCH_MAX).await > 0 {
        for (report, reply) in batch.drain(..) {
            reports.push(report);
            replies.push(reply);
        }
        let stored = store
            .add_reports(&reports, rules.per_hour, rules.dedup)
            .await;
        match stored {
            Ok(outcomes) => {
                metrics.report_batches.fetch_add(1, Ordering::Relaxed);
                metrics
                    .reports_stored
                    .fetch_add(accepted(&outcomes), Ordering::Relaxed);
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                // While the disk is full every batch fails: a line every few seconds says so.
                if let Some(held_back) = FAILED.admit(std::time::Instant::now()) {
                    tracing::error!(error = %e, reports = reports.len(), earlier_not_logged = held_back, "could not store reports");
                }
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(e.shared()));
                }
            }
        }
        reports.clear();
    }
}

fn accepted(outcomes: &[ReportOutcome]) -> u64 {
    outcomes
        .iter()
        .filter(|o| matches!(o, ReportOutcome::Accepted { .. }))
        .count() as u64
}
