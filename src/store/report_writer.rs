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
/// How long a request waits for its report to be stored. A database that hangs without
/// failing (a PostgreSQL server gone silent) would otherwise hold every report request.
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

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

    /// Stores one report; answers once it is committed (or the batch failed), or with an
    /// error after [`WAIT`]. A report given up on before its batch starts is not stored.
    pub async fn add(&self, report: NewReport) -> StoreResult<ReportOutcome> {
        let handed = async {
            let (reply, answer) = oneshot::channel();
            self.queue
                .send((report, reply))
                .await
                .map_err(|_| stopped())?;
            answer.await.map_err(|_| stopped())?
        };
        tokio::time::timeout(WAIT, handed)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Shared {
                    cause: WriteCause::Connection,
                    message: format!("the database did not answer within {} s", WAIT.as_secs()),
                })
            })
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
        // A request that gave up waiting was answered 503: its report is not stored.
        for (report, reply) in batch.drain(..).filter(|(_, reply)| !reply.is_closed()) {
            reports.push(report);
            replies.push(reply);
        }
        if reports.is_empty() {
            continue;
        }
        match store_batch(&store, rules, &metrics, &reports).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            // The database refuses writes (full, gone, read-only): no report of the batch
            // could be stored alone either.
            Err(e) if e.cause() != WriteCause::Other || reports.len() == 1 => {
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(e.shared()));
                }
            }
            // A failure of the batch's own making: each report on its own, so one that the
            // database refuses fails alone.
            Err(_) => {
                let waiting = reports.iter().zip(replies.drain(..));
                for (report, reply) in waiting.filter(|(_, reply)| !reply.is_closed()) {
                    let alone = store_batch(&store, rules, &metrics, std::slice::from_ref(report));
                    let answer = alone.await.map(|mut o| o.remove(0));
                    let _ = reply.send(answer);
                }
            }
        }
        reports.clear();
    }
}

/// One transaction of reports, counted in `/metrics`; a failure is logged, a few seconds
/// apart at most, since while the disk is full every batch fails.
async fn store_batch(
    store: &DynStore,
    rules: ReportRules,
    metrics: &Metrics,
    reports: &[NewReport],
) -> StoreResult<Vec<ReportOutcome>> {
    match store
        .add_reports(reports, rules.per_hour, rules.dedup)
        .await
    {
        Ok(outcomes) => {
            metrics.report_batches.fetch_add(1, Ordering::Relaxed);
            metrics
                .reports_stored
                .fetch_add(accepted(&outcomes), Ordering::Relaxed);
            Ok(outcomes)
        }
        Err(e) => {
            if let Some(held_back) = FAILED.admit(std::time::Instant::now()) {
                tracing::error!(error = %e, reports = reports.len(), earlier_not_logged = held_back, "could not store reports");
            }
            Err(e)
        }
    }
}

fn accepted(outcomes: &[ReportOutcome]) -> u64 {
    outcomes
        .iter()
        .filter(|o| matches!(o, ReportOutcome::Accepted { .. }))
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Channel;

    fn report(reporter: &str) -> NewReport {
        NewReport {
            bank: "bmce".into(),
            channel: Channel::Atm,
            at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::days(20_500),
            reporter: reporter.into(),
            address: reporter.into(),
            network: reporter.into(),
            comment: None,
            symptom: None,
            city: None,
            works: false,
        }
    }

    /// A database that refuses one report of a batch (here a trigger) fails that report
    /// alone; the others of its batch are stored and answered as such.
    #[tokio::test(flavor = "current_thread")]
    async fn one_refused_report_fails_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = super::super::connect(&url).await.expect("store");
        let side = sqlx::SqlitePool::connect(&url).await.expect("side");
        sqlx::query(
            "CREATE TRIGGER refuse BEFORE INSERT ON reports WHEN NEW.reporter = 'bad' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&side)
        .await
        .expect("trigger");

        let metrics = Arc::new(Metrics::default());
        let rules = ReportRules {
            per_hour: 20,
            dedup: chrono::Duration::minutes(10),
        };
        let (writer, run) = ReportWriter::new(store, rules, metrics.clone());
        // Every report is queued before the writer first looks: they make one batch.
        let adds: Vec<_> = ["a", "bad", "c"]
            .into_iter()
            .map(|who| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.add(report(who)).await })
            })
            .collect();
        tokio::task::yield_now().await;
        drop(writer);
        let run = tokio::spawn(run);
        let mut answers = Vec::new();
        for add in adds {
            answers.push(add.await.expect("task"));
        }
        run.await.expect("writer");

        assert!(
            matches!(answers[0], Ok(ReportOutcome::Accepted { .. })),
            "{answers:?}"
        );
        assert!(answers[1].is_err(), "{answers:?}");
        assert!(
            matches!(answers[2], Ok(ReportOutcome::Accepted { .. })),
            "{answers:?}"
        );
        assert_eq!(metrics.reports_stored.load(Ordering::Relaxed), 2);
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
            .fetch_one(&side)
            .await
            .expect("count");
        assert_eq!(stored, 2);
    }
}
