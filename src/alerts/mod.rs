//! Alerts that reach people: webhooks, email and Web Push. Every timeline entry leaves an
//! event in its own transaction (`store/sql/mod.rs`); the dispatcher fans each event out to
//! the subscriptions that cover it, a page at a time, as delivery rows (the outbox), then
//! claims due deliveries and sends them, each with a stable id, retrying with backoff.
//!
//! Where each part lives:
//! - [`rules`]: who is told what and when, pure;
//! - [`tokens`]: manage tokens and the links that carry them;
//! - `fanout.rs`: events into deliveries, a page of subscriptions at a time;
//! - `send.rs`: claiming due deliveries, the in-flight cap, recording outcomes;
//! - `attempt.rs`: one attempt by channel, over [`webhook`], [`email`] and [`push`];
//! - `events.rs`: an event with its incident and entry, read once for all its messages;
//! - [`metrics`]: the delivery counters of `/metrics`; [`guard`]: the address guard.
//!
//! This module holds [`Alerts`], what the web layer reaches, and starts the dispatcher.

mod attempt;
pub mod email;
mod events;
mod fanout;
pub mod guard;
pub mod message;
pub mod metrics;
pub mod push;
pub mod rules;
mod send;
pub mod tokens;
pub mod webhook;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::clock::DynClock;
use crate::config::Config;
use crate::store::alerts::{Delivery, Finish, NewDelivery, Subscription};
use crate::store::{DynStore, StoreResult};

use email::Mailer;
use events::Events;
use push::Vapid;

pub use metrics::AlertMetrics;
pub use tokens::{manage_token, manage_url, token_hash, unsubscribe_url};

/// How long a pending email subscription waits for its confirmation.
pub const CONFIRM_WITHIN: chrono::Duration = chrono::Duration::hours(24);

/// What the web layer and the dispatcher share.
pub struct Alerts {
    pub store: DynStore,
    pub config: Arc<Config>,
    pub clock: DynClock,
    pub vapid: Vapid,
    /// Keys manage tokens.
    pub key: Vec<u8>,
    pub metrics: AlertMetrics,
    /// Woken when a delivery is written, so a challenge or confirmation goes out at once.
    pub wake: Notify,
    /// The bounded check of new webhook and push targets.
    pub targets: guard::TargetCheck,
    /// Held while a new email subscription is counted against the mail limits and stored.
    pub mail_gate: tokio::sync::Mutex<()>,
    /// When each client (by keyed hash) subscribed within the hour.
    recent: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl Alerts {
    /// The handle the web layer keeps, and the dispatcher for the caller to spawn: it fans
    /// out and sends until `shutdown`, then records what finished and ends. What is still
    /// in flight then keeps its lease, and another start sends it with the same id.
    pub async fn start(
        store: DynStore,
        config: Arc<Config>,
        clock: DynClock,
        key: Vec<u8>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<(Arc<Alerts>, impl Future<Output = ()> + Send + 'static)> {
        let mailer = match &config.email {
            Some(e) => Some(
                Mailer::new(e, &config.dns, send::ATTEMPT_TIMEOUT).map_err(anyhow::Error::msg)?,
            ),
            None => None,
        };
        let vapid = Vapid::load(&store, vapid_contact(&config)).await?;
        let allow_private = config.alerts.allow_private_targets;
        let client = guard::alert_client(&config.dns, allow_private, send::ATTEMPT_TIMEOUT)?;
        let targets = guard::TargetCheck::new(&config.dns, allow_private)?;
        let alerts = Arc::new(Alerts {
            store: store.clone(),
            config,
            clock,
            vapid,
            key,
            metrics: AlertMetrics::default(),
            wake: Notify::new(),
            targets,
            mail_gate: tokio::sync::Mutex::new(()),
            recent: Mutex::new(HashMap::new()),
        });
        let (finished, finished_rx) = mpsc::channel(4 * send::IN_FLIGHT);
        let dispatcher = Arc::new(Dispatcher {
            alerts: alerts.clone(),
            client,
            mailer,
            events: Events::new(store),
            finished,
        });
        Ok((alerts, dispatcher.run(finished_rx, shutdown)))
    }

    /// Whether `client` may subscribe once more now; see [`rules::admit`].
    pub fn admit(&self, client: &str) -> bool {
        let now = self.clock.now();
        let per_hour = self.config.alerts.subscriptions_per_hour;
        let Ok(mut recent) = self.recent.lock() else {
            return true;
        };
        if recent.len() > 100_000 {
            recent.retain(|_, h| {
                h.last()
                    .is_some_and(|t| now - *t < chrono::Duration::hours(1))
            });
        }
        let admitted = rules::admit(recent.entry(client.to_owned()).or_default(), now, per_hour);
        if !admitted {
            self.metrics
                .throttled
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        admitted
    }

    /// Stores a subscription with its first delivery and wakes the dispatcher.
    pub async fn subscribe(
        &self,
        s: &Subscription,
        first: Option<&NewDelivery>,
    ) -> StoreResult<()> {
        self.store.add_subscription(s, first).await?;
        self.wake.notify_one();
        Ok(())
    }
}

/// Who push services may write to about this instance's VAPID key (RFC 8292 `sub`): the
/// sender's address, else the public page.
fn vapid_contact(config: &Config) -> String {
    config
        .email
        .as_ref()
        .and_then(|e| e.from.parse::<lettre::message::Mailbox>().ok())
        .map(|m| format!("mailto:{}", m.email))
        .or_else(|| config.public_url.clone())
        .unwrap_or_else(|| "mailto:admin@localhost".to_owned())
}

/// What the dispatcher's loops share: the handle, the senders, the events read so far, and
/// the way to the one recorder of outcomes.
struct Dispatcher {
    alerts: Arc<Alerts>,
    client: reqwest::Client,
    mailer: Option<Mailer>,
    events: Events,
    /// Finished attempts on their way to the recorder, which writes them in batches.
    finished: mpsc::Sender<(Delivery, Finish)>,
}

impl Dispatcher {
    /// Fan-out, sending and the recorder side by side, so the first deliveries of a large
    /// fan-out leave while its last pages are still written. The recorder outlives sending
    /// to write what the last attempts finished.
    async fn run(
        self: Arc<Self>,
        finished: mpsc::Receiver<(Delivery, Finish)>,
        shutdown: CancellationToken,
    ) {
        let sent = CancellationToken::new();
        let sending = async {
            self.clone().send_loop(shutdown.clone()).await;
            sent.cancel();
        };
        tokio::join!(
            self.clone().fan_out_loop(shutdown.clone()),
            sending,
            self.clone().record_loop(finished, sent.clone()),
        );
    }
}
