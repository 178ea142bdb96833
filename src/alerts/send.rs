//! Sending: due deliveries claimed under a lease, each sent in its own task under a cap on
//! deliveries in flight, each attempt bounded by a timeout; outcomes go to one recorder
//! that writes them in batches. What an attempt's outcome means for the delivery (done,
//! again later, given up, gone) is [`finish`], a pure function of the attempt and `now`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use super::attempt::Attempt;
use super::{rules, Dispatcher};
use crate::store::alerts::{Delivery, Finish, Subscription};

/// Deliveries in flight at once; each holds a permit until its receiver answers or times out.
/// A waiting delivery costs a socket and a small task, so the bound is high enough that
/// receivers that hang (each held up to the timeout) leave room for those that answer.
pub(super) const IN_FLIGHT: usize = 1024;
/// How long one attempt may take before it counts as failed.
pub(super) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed delivery is someone else's to retry after this, should its dispatcher die;
/// longer than any attempt may take.
const LEASE: chrono::Duration = chrono::Duration::seconds(20);
/// Done deliveries are kept this long, so a re-run fan-out cannot send them twice.
const KEEP_DONE: chrono::Duration = chrono::Duration::days(7);
/// How often expired subscriptions and old deliveries are swept.
const SWEEP_EVERY: chrono::Duration = chrono::Duration::minutes(10);
/// Finished attempts written in one transaction at most.
const RECORD_BATCH: usize = 500;
/// The first retry's wait when the config's cannot be read as one.
const FIRST_RETRY_FALLBACK: chrono::Duration = chrono::Duration::seconds(30);

impl Dispatcher {
    /// Claims due deliveries and sends each in its own task; what is still in flight at
    /// `shutdown` keeps its lease, and another start retries it with the same id.
    pub(super) async fn send_loop(self: Arc<Self>, shutdown: CancellationToken) {
        let permits = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut tasks = tokio::task::JoinSet::new();
        let mut sweep_at = self.alerts.clock.now();
        loop {
            let free = permits.available_permits();
            let mut claimed = 0;
            if free > 0 {
                let now = self.alerts.clock.now();
                match self
                    .alerts
                    .store
                    .claim_deliveries(now, LEASE, free as i64)
                    .await
                {
                    Ok(batch) => {
                        claimed = batch.len();
                        let subs = self.subscriptions_of(&batch).await;
                        for d in batch {
                            // Deleted meanwhile: its deliveries went with it.
                            let Some(sub) = subs.get(&d.subscription_id).cloned() else {
                                continue;
                            };
                            let Ok(permit) = permits.clone().try_acquire_owned() else {
                                break;
                            };
                            let me = self.clone();
                            tasks.spawn(async move {
                                me.deliver(d, &sub).await;
                                drop(permit);
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "could not claim alert deliveries"),
                }
            }
            while tasks.try_join_next().is_some() {}
            let now = self.alerts.clock.now();
            if now >= sweep_at {
                sweep_at = now + SWEEP_EVERY;
                if let Err(e) = self.alerts.store.sweep_alerts(now, KEEP_DONE).await {
                    tracing::error!(error = %e, "could not sweep expired subscriptions");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.alerts.wake.notified() => {}
                () = tokio::time::sleep(pause(free, claimed)) => {}
            }
        }
        // What is still in flight keeps its lease; another start retries it.
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }

    /// The subscriptions claimed deliveries are owed to, by id. On a failed read none is
    /// sent: their leases run out and they are claimed again.
    async fn subscriptions_of(&self, batch: &[Delivery]) -> HashMap<String, Arc<Subscription>> {
        let ids: Vec<String> = batch.iter().map(|d| d.subscription_id.clone()).collect();
        match self.alerts.store.subscriptions(&ids).await {
            Ok(subs) => subs
                .into_iter()
                .map(|s| (s.id.clone(), Arc::new(s)))
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "could not read subscriptions");
                HashMap::new()
            }
        }
    }

    /// One attempt at one delivery; its outcome goes to the recorder.
    async fn deliver(&self, d: Delivery, sub: &Subscription) {
        let attempt = self.attempt(&d, sub).await;
        let first = chrono::Duration::from_std(self.alerts.config.alerts.first_retry)
            .unwrap_or(FIRST_RETRY_FALLBACK);
        let jitter = rand::thread_rng().gen::<f64>();
        let finish = finish(attempt, &d, self.alerts.clock.now(), jitter, first);
        match &finish {
            Finish::Retry { error, .. } | Finish::GiveUp { error } => {
                tracing::info!(delivery = %d.id, via = sub.via.as_str(), attempts = d.attempts, error = %error, "alert not delivered");
            }
            _ => {}
        }
        self.alerts.metrics.record(sub.via, &finish);
        if self.finished.send((d, finish)).await.is_err() {
            tracing::error!("the alert recorder stopped; the delivery is tried again later");
        }
    }

    /// Records finished attempts, as many as are waiting in one transaction, so the
    /// database sees one write per batch rather than one per delivery. An attempt lost
    /// with a crash before it is recorded is sent again, with the same id, once its lease
    /// runs out. Ends once `sent` is cancelled, after recording what is left.
    pub(super) async fn record_loop(
        self: Arc<Self>,
        mut rx: mpsc::Receiver<(Delivery, Finish)>,
        sent: CancellationToken,
    ) {
        loop {
            let first = tokio::select! {
                f = rx.recv() => f,
                () = sent.cancelled() => None,
            };
            let Some(first) = first else { break };
            let mut batch = vec![first];
            while batch.len() < RECORD_BATCH {
                match rx.try_recv() {
                    Ok(f) => batch.push(f),
                    Err(_) => break,
                }
            }
            self.record(&batch).await;
        }
        // Sending has stopped: record what is left.
        let mut rest = Vec::new();
        while let Ok(f) = rx.try_recv() {
            rest.push(f);
        }
        if !rest.is_empty() {
            self.record(&rest).await;
        }
    }

    async fn record(&self, batch: &[(Delivery, Finish)]) {
        let now = self.alerts.clock.now();
        if let Err(e) = self.alerts.store.finish_deliveries(batch, now).await {
            // The leases run out and the deliveries are tried again with the same ids.
            tracing::error!(error = %e, count = batch.len(), "could not record alert deliveries");
        }
    }
}

/// What an attempt at `d` means for it at `now`: a failure is retried with backoff from
/// `first`, spread by `jitter` (0..1), until the delivery is too old ([`rules::retry_at`]).
fn finish(
    attempt: Attempt,
    d: &Delivery,
    now: DateTime<Utc>,
    jitter: f64,
    first: chrono::Duration,
) -> Finish {
    match attempt {
        Attempt::Done => Finish::Delivered,
        Attempt::Gone => Finish::Gone,
        Attempt::Failed { error, retry_after } => {
            match rules::retry_at(d.created_at, d.attempts, now, retry_after, jitter, first) {
                Some(due) => Finish::Retry { due, error },
                None => Finish::GiveUp { error },
            }
        }
    }
}

/// How long the send loop waits before claiming again, unless woken: soon when every
/// permit was busy or the claim came back full (more are due), so what freed up meanwhile
/// is claimed in one query rather than one per finished delivery.
fn pause(free: usize, claimed: usize) -> Duration {
    if free == 0 || (claimed > 0 && claimed == free) {
        Duration::from_millis(20)
    } else {
        Duration::from_millis(250)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::alerts::Purpose;

    const FIRST: chrono::Duration = chrono::Duration::seconds(30);

    fn created() -> DateTime<Utc> {
        "2026-02-13T16:00:00Z".parse().expect("time")
    }

    fn delivery(attempts: u32) -> Delivery {
        Delivery {
            id: "msg_1_sub_1".into(),
            subscription_id: "sub_1".into(),
            purpose: Purpose::Event,
            event_id: Some(1),
            ends_it: false,
            created_at: created(),
            attempts,
        }
    }

    fn failed(retry_after: Option<chrono::Duration>) -> Attempt {
        Attempt::Failed {
            error: "HTTP 503".into(),
            retry_after,
        }
    }

    #[test]
    fn an_answer_or_a_gone_receiver_ends_the_delivery() {
        let now = created();
        assert_eq!(
            finish(Attempt::Done, &delivery(1), now, 0.5, FIRST),
            Finish::Delivered
        );
        assert_eq!(
            finish(Attempt::Gone, &delivery(1), now, 0.5, FIRST),
            Finish::Gone
        );
    }

    #[test]
    fn a_first_failure_is_retried_within_the_jitter_of_the_first_wait() {
        let now = created();
        for jitter in [0.0, 0.5, 1.0] {
            let Finish::Retry { due, error } =
                finish(failed(None), &delivery(1), now, jitter, FIRST)
            else {
                panic!("a first failure is retried");
            };
            assert_eq!(error, "HTTP 503");
            let wait = due - now;
            assert!(wait >= chrono::Duration::seconds(24), "{wait}");
            assert!(wait <= chrono::Duration::seconds(36), "{wait}");
        }
    }

    #[test]
    fn a_receivers_longer_retry_after_is_honoured() {
        let now = created();
        let asked = Some(chrono::Duration::minutes(10));
        let Finish::Retry { due, .. } = finish(failed(asked), &delivery(1), now, 0.5, FIRST) else {
            panic!("retried");
        };
        assert_eq!(due - now, chrono::Duration::minutes(10));
    }

    #[test]
    fn a_delivery_failing_for_three_days_is_given_up() {
        let now = created() + chrono::Duration::days(3);
        assert_eq!(
            finish(failed(None), &delivery(30), now, 0.5, FIRST),
            Finish::GiveUp {
                error: "HTTP 503".into()
            }
        );
    }

    #[test]
    fn the_loop_looks_again_soon_only_when_more_are_due() {
        let soon = Duration::from_millis(20);
        let later = Duration::from_millis(250);
        assert_eq!(pause(0, 0), soon, "every permit busy");
        assert_eq!(pause(100, 100), soon, "a full claim");
        assert_eq!(pause(100, 3), later);
        assert_eq!(pause(100, 0), later, "nothing due");
    }
}
