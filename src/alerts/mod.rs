//! Alerts that reach people: webhooks, email and Web Push. Every timeline entry leaves an
//! event in its own transaction (`store/sql/mod.rs`); the [`Dispatcher`] fans each event
//! out to the subscriptions that cover it, a page at a time, as delivery rows (the outbox),
//! then claims due deliveries and sends them, each with a stable id, retrying with backoff.
//! Who gets what and when is decided in [`rules`]; this module is the IO around it.

pub mod email;
pub mod guard;
pub mod message;
pub mod push;
pub mod rules;
pub mod webhook;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::clock::DynClock;
use crate::config::Config;
use crate::i18n::Msg;
use crate::store::alerts::{Delivery, FanOut, Finish, NewDelivery, Purpose, Subscription, Via};
use crate::store::{DynStore, IncidentRow, StoreResult, UpdateRow};

use email::{Mail, Mailer};
use push::{BrowserKeys, Vapid};
use rules::Change;
use webhook::Format;

/// Subscriptions read per fan-out step: the whole list is streamed, never loaded.
const FAN_OUT_PAGE: i64 = 1_000;
/// Deliveries in flight at once; each holds a permit until its receiver answers or times out.
/// A waiting delivery costs a socket and a small task, so the bound is high enough that
/// receivers that hang (each held up to the timeout) leave room for those that answer.
const IN_FLIGHT: usize = 1024;
/// How long one attempt may take before it counts as failed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed delivery is someone else's to retry after this, should its dispatcher die;
/// longer than any attempt may take.
const LEASE: chrono::Duration = chrono::Duration::seconds(20);
/// How long a pending email subscription waits for its confirmation.
pub const CONFIRM_WITHIN: chrono::Duration = chrono::Duration::hours(24);
/// Done deliveries are kept this long, so a re-run fan-out cannot send them twice.
const KEEP_DONE: chrono::Duration = chrono::Duration::days(7);

/// The token that manages (and unsubscribes) a subscription: a keyed hash of its id, so
/// every message can carry it without the database holding it.
pub fn manage_token(key: &[u8], subscription: &str) -> String {
    crate::keys::mac_hex(key, "manage", subscription.as_bytes())
}

/// What the database keeps of a manage token.
pub fn token_hash(token: &str) -> String {
    crate::keys::hex(&crate::keys::sha256(token.as_bytes()))
}

/// The unsubscribe link of a subscription, with its token.
pub fn unsubscribe_url(key: &[u8], sub: &Subscription) -> String {
    format!(
        "{}/subscriptions/{}/unsubscribe?token={}",
        sub.base_url.trim_end_matches('/'),
        sub.id,
        manage_token(key, &sub.id)
    )
}

/// The manage page of a subscription, with its token.
pub fn manage_url(key: &[u8], base_url: &str, id: &str) -> String {
    format!(
        "{}/subscriptions/{id}?token={}",
        base_url.trim_end_matches('/'),
        manage_token(key, id)
    )
}

/// Deliveries by channel and outcome, for `/metrics`.
#[derive(Default)]
pub struct AlertMetrics {
    counts: [[AtomicU64; 4]; 3],
}

const OUTCOMES: [&str; 4] = ["delivered", "retry", "failed", "gone"];

impl AlertMetrics {
    fn record(&self, via: Via, finish: &Finish) {
        let o = match finish {
            Finish::Delivered => 0,
            Finish::Retry { .. } => 1,
            Finish::GiveUp { .. } => 2,
            Finish::Gone => 3,
        };
        let v = Via::ALL.iter().position(|x| *x == via).unwrap_or(0);
        self.counts[v][o].fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, out: &mut String, depth: i64, oldest_secs: f64) {
        use std::fmt::Write;
        out.push_str("# HELP bankstatus_alert_deliveries_total Alert delivery attempts by channel and outcome.\n# TYPE bankstatus_alert_deliveries_total counter\n");
        for (v, via) in Via::ALL.iter().enumerate() {
            for (o, outcome) in OUTCOMES.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "bankstatus_alert_deliveries_total{{channel=\"{}\",outcome=\"{outcome}\"}} {}",
                    via.as_str(),
                    self.counts[v][o].load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(out, "# HELP bankstatus_alert_queue_depth Alert deliveries not yet done.\n# TYPE bankstatus_alert_queue_depth gauge\nbankstatus_alert_queue_depth {depth}");
        let _ = writeln!(out, "# HELP bankstatus_alert_oldest_undelivered_seconds Age of the oldest delivery not yet done.\n# TYPE bankstatus_alert_oldest_undelivered_seconds gauge\nbankstatus_alert_oldest_undelivered_seconds {oldest_secs}");
    }
}

/// What the web layer and the dispatcher share.
pub struct Alerts {
    pub store: DynStore,
    pub config: Arc<Config>,
    pub clock: DynClock,
    pub client: reqwest::Client,
    pub mailer: Option<Mailer>,
    pub vapid: Vapid,
    /// Keys manage tokens.
    pub key: Vec<u8>,
    pub metrics: AlertMetrics,
    /// Woken when a delivery is written, so a challenge or confirmation goes out at once.
    pub wake: Notify,
    events: Mutex<HashMap<i64, Arc<EventData>>>,
    /// When each client (by keyed hash) subscribed within the hour.
    recent: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
    /// Finished attempts on their way to the one writer that records them in batches.
    finished: mpsc::Sender<(Delivery, Finish)>,
    finished_rx: Mutex<Option<mpsc::Receiver<(Delivery, Finish)>>>,
}

/// An event with what every message about it needs.
struct EventData {
    incident: IncidentRow,
    update: UpdateRow,
    change: Change,
}

impl Alerts {
    pub async fn start(
        store: DynStore,
        config: Arc<Config>,
        clock: DynClock,
        key: Vec<u8>,
    ) -> anyhow::Result<Alerts> {
        let mailer = match &config.email {
            Some(e) => Some(Mailer::new(e, ATTEMPT_TIMEOUT).map_err(anyhow::Error::msg)?),
            None => None,
        };
        let contact = config
            .email
            .as_ref()
            .and_then(|e| e.from.parse::<lettre::message::Mailbox>().ok())
            .map(|m| format!("mailto:{}", m.email))
            .or_else(|| config.public_url.clone())
            .unwrap_or_else(|| "mailto:admin@localhost".to_owned());
        let vapid = Vapid::load(&store, contact).await?;
        let client = guard::alert_client(config.alerts.allow_private_targets, ATTEMPT_TIMEOUT)?;
        let (finished, finished_rx) = mpsc::channel(4 * IN_FLIGHT);
        Ok(Alerts {
            store,
            config,
            clock,
            client,
            mailer,
            vapid,
            key,
            metrics: AlertMetrics::default(),
            wake: Notify::new(),
            events: Mutex::new(HashMap::new()),
            recent: Mutex::new(HashMap::new()),
            finished,
            finished_rx: Mutex::new(Some(finished_rx)),
        })
    }

    /// Fans out and sends until `shutdown`. Fan-out runs beside sending, so the first
    /// deliveries of a large fan-out leave while the last pages are still written.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let fan_out = tokio::spawn(self.clone().fan_out_loop(shutdown.clone()));
        let sent = CancellationToken::new();
        let recorder = self
            .finished_rx
            .lock()
            .ok()
            .and_then(|mut r| r.take())
            .map(|rx| tokio::spawn(self.clone().record_loop(rx, sent.clone())));
        self.send_loop(shutdown).await;
        sent.cancel();
        let _ = fan_out.await;
        if let Some(r) = recorder {
            let _ = r.await;
        }
    }

    /// Records finished attempts, as many as are waiting in one transaction, so the
    /// database sees one write per batch rather than one per delivery. An attempt lost
    /// with a crash before it is recorded is sent again, with the same id, once its lease
    /// runs out.
    async fn record_loop(
        self: Arc<Self>,
        mut rx: mpsc::Receiver<(Delivery, Finish)>,
        sent: CancellationToken,
    ) {
        const BATCH: usize = 500;
        loop {
            let first = tokio::select! {
                f = rx.recv() => f,
                () = sent.cancelled() => None,
            };
            let Some(first) = first else { break };
            let mut batch = vec![first];
            while batch.len() < BATCH {
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
        if let Err(e) = self.store.finish_deliveries(batch, self.clock.now()).await {
            // The leases run out and the deliveries are tried again with the same ids.
            tracing::error!(error = %e, count = batch.len(), "could not record alert deliveries");
        }
    }

    async fn fan_out_loop(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.fan_out_pending().await {
                tracing::error!(error = %e, "could not fan alerts out; trying again");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }

    /// Claims due deliveries and sends each in its own task; what is still in flight at
    /// `shutdown` keeps its lease, and another start retries it with the same id.
    async fn send_loop(self: Arc<Self>, shutdown: CancellationToken) {
        let permits = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut tasks = tokio::task::JoinSet::new();
        let mut sweep_at = self.clock.now();
        loop {
            let free = permits.available_permits();
            let mut claimed = 0;
            if free > 0 {
                match self
                    .store
                    .claim_deliveries(self.clock.now(), LEASE, free as i64)
                    .await
                {
                    Ok(batch) => {
                        claimed = batch.len();
                        let ids: Vec<String> =
                            batch.iter().map(|d| d.subscription_id.clone()).collect();
                        let subs: HashMap<String, Arc<Subscription>> =
                            match self.store.subscriptions(&ids).await {
                                Ok(subs) => subs
                                    .into_iter()
                                    .map(|s| (s.id.clone(), Arc::new(s)))
                                    .collect(),
                                Err(e) => {
                                    // Their leases run out and they are claimed again.
                                    tracing::error!(error = %e, "could not read subscriptions");
                                    HashMap::new()
                                }
                            };
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
            let now = self.clock.now();
            if now >= sweep_at {
                sweep_at = now + chrono::Duration::minutes(10);
                if let Err(e) = self.store.sweep_alerts(now, KEEP_DONE).await {
                    tracing::error!(error = %e, "could not sweep expired subscriptions");
                }
            }
            // Every permit busy, or a full claim (more are due): look again soon, claiming
            // what freed up meanwhile in one query rather than one per finished delivery.
            let pause = if free == 0 || (claimed > 0 && claimed == free) {
                Duration::from_millis(20)
            } else {
                Duration::from_millis(250)
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        // What is still in flight keeps its lease; another start retries it.
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }

    async fn event_data(&self, event_id: i64) -> StoreResult<Option<Arc<EventData>>> {
        if let Some(d) = self
            .events
            .lock()
            .ok()
            .and_then(|m| m.get(&event_id).cloned())
        {
            return Ok(Some(d));
        }
        let Some(event) = self.store.alert_event(event_id).await? else {
            return Ok(None);
        };
        let Some((incident, mut updates)) = self.store.incident(event.incident_id).await? else {
            return Ok(None);
        };
        updates.sort_by_key(|u| u.id);
        let Some(pos) = updates.iter().position(|u| u.id == event.update_id) else {
            return Ok(None);
        };
        let previous = pos.checked_sub(1).map(|p| updates[p].state);
        let update = updates.swap_remove(pos);
        let change = rules::change(incident.kind, previous, update.state);
        let data = Arc::new(EventData {
            incident,
            update,
            change,
        });
        if let Ok(mut m) = self.events.lock() {
            if m.len() > 1_000 {
                m.clear();
            }
            m.insert(event_id, data.clone());
        }
        Ok(Some(data))
    }

    async fn fan_out_pending(&self) -> StoreResult<()> {
        for event in self.store.pending_events(100).await? {
            let now = self.clock.now();
            let data = self.event_data(event.id).await?;
            let Some(data) = data.filter(|d| !rules::is_stale(d.update.at, now)) else {
                // Gone, or recorded long after the fact: nothing to tell anyone.
                self.store
                    .fan_out(
                        &FanOut {
                            event_id: event.id,
                            deliveries: Vec::new(),
                            throttled: Vec::new(),
                            cursor: event.cursor.clone(),
                            done: true,
                        },
                        now,
                    )
                    .await?;
                continue;
            };
            let mut cursor = event.cursor.clone();
            loop {
                let page = self
                    .store
                    .active_subscriptions(cursor.as_deref(), FAN_OUT_PAGE)
                    .await?;
                let done = (page.len() as i64) < FAN_OUT_PAGE;
                let step = self.step(&event.id, &data, &page, now).await?;
                cursor = page.last().map(|s| s.id.clone()).or(cursor);
                self.store
                    .fan_out(
                        &FanOut {
                            cursor: cursor.clone(),
                            done,
                            ..step
                        },
                        now,
                    )
                    .await?;
                self.wake.notify_one();
                if done {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The deliveries one page of subscriptions is owed.
    async fn step(
        &self,
        event_id: &i64,
        data: &EventData,
        page: &[Subscription],
        now: DateTime<Utc>,
    ) -> StoreResult<FanOut> {
        let covered: Vec<&Subscription> = page
            .iter()
            .filter(|s| rules::covers(s, &data.incident))
            .collect();
        let emails: Vec<String> = covered
            .iter()
            .filter(|s| s.via == Via::Email)
            .map(|s| s.id.clone())
            .collect();
        let last: HashMap<String, DateTime<Utc>> = if emails.is_empty() {
            HashMap::new()
        } else {
            self.store
                .last_updates(&emails, data.incident.id)
                .await?
                .into_iter()
                .collect()
        };
        let mut step = FanOut {
            event_id: *event_id,
            deliveries: Vec::new(),
            throttled: Vec::new(),
            cursor: None,
            done: false,
        };
        for s in covered {
            if s.via == Via::Email {
                if !rules::email_wanted(data.change, last.get(&s.id).copied(), now) {
                    continue;
                }
                step.throttled.push((s.id.clone(), data.incident.id));
            }
            step.deliveries.push(NewDelivery {
                id: rules::event_delivery_id(*event_id, &s.id),
                subscription_id: s.id.clone(),
                purpose: Purpose::Event,
                event_id: Some(*event_id),
                ends_it: s.incident_id == Some(data.incident.id) && data.change.ends_incident(),
                due_at: now,
            });
        }
        Ok(step)
    }

    /// One attempt at one delivery; its outcome goes to the recorder.
    async fn deliver(&self, d: Delivery, sub: &Subscription) {
        let attempt = self.attempt(&d, sub).await;
        let now = self.clock.now();
        let finish = match attempt {
            Attempt::Done => Finish::Delivered,
            Attempt::Gone => Finish::Gone,
            Attempt::Failed { error, retry_after } => {
                let jitter = rand::thread_rng().gen::<f64>();
                let first = chrono::Duration::from_std(self.config.alerts.first_retry)
                    .unwrap_or(chrono::Duration::seconds(30));
                match rules::retry_at(d.created_at, d.attempts, now, retry_after, jitter, first) {
                    Some(due) => Finish::Retry { due, error },
                    None => Finish::GiveUp { error },
                }
            }
        };
        match &finish {
            Finish::Retry { error, .. } | Finish::GiveUp { error } => {
                tracing::info!(delivery = %d.id, via = sub.via.as_str(), attempts = d.attempts, error = %error, "alert not delivered");
            }
            _ => {}
        }
        self.metrics.record(sub.via, &finish);
        if self.finished.send((d, finish)).await.is_err() {
            tracing::error!("the alert recorder stopped; the delivery is tried again later");
        }
    }

    async fn attempt(&self, d: &Delivery, sub: &Subscription) -> Attempt {
        let data = match d.event_id {
            Some(id) => match self.event_data(id).await {
                Ok(Some(data)) => Some(data),
                Ok(None) => return Attempt::Done,
                Err(e) => return Attempt::failed(e.to_string()),
            },
            None => None,
        };
        match (sub.via, d.purpose, data) {
            (Via::Webhook, Purpose::Verify, _) => self.verify_webhook(d, sub).await,
            (Via::Webhook, _, Some(data)) => self.send_webhook(d, sub, &data).await,
            (Via::Email, Purpose::Confirm, _) => self.send_confirmation(d, sub).await,
            (Via::Email, _, Some(data)) => self.send_email(d, sub, &data).await,
            (Via::Push, _, Some(data)) => self.send_push(sub, &data).await,
            _ => Attempt::Done,
        }
    }

    async fn post_json(
        &self,
        sub: &Subscription,
        d: &Delivery,
        body: &serde_json::Value,
    ) -> Result<String, Attempt> {
        let format = Format::of(&sub.target);
        let Ok(url) = reqwest::Url::parse(&sub.target) else {
            return Err(Attempt::failed("not a URL".into()));
        };
        if !guard::literal_allowed(&url, self.config.alerts.allow_private_targets) {
            return Err(Attempt::failed("a private address".into()));
        }
        let bytes = body.to_string().into_bytes();
        let mut req = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if format == Format::Standard {
            let ts = self.clock.now().timestamp();
            let secret = sub.secret.as_deref().unwrap_or("");
            req = req
                .header("webhook-id", &d.id)
                .header("webhook-timestamp", ts.to_string())
                .header(
                    "webhook-signature",
                    webhook::signature(secret, &d.id, ts, &bytes),
                );
        }
        let res = req
            .body(bytes)
            .send()
            .await
            .map_err(|e| Attempt::failed(error_chain(&e)))?;
        let status = res.status();
        if status.is_success() {
            return Ok(res.text().await.unwrap_or_default());
        }
        if status == reqwest::StatusCode::GONE {
            return Err(Attempt::Gone);
        }
        Err(Attempt::Failed {
            error: format!("HTTP {}", status.as_u16()),
            retry_after: retry_after(&res),
        })
    }

    async fn verify_webhook(&self, d: &Delivery, sub: &Subscription) -> Attempt {
        let format = Format::of(&sub.target);
        let challenge = webhook::challenge(sub.secret.as_deref().unwrap_or(""), &sub.id);
        let text = Msg::new("alert-webhook-ready").text(sub.lang);
        let body = webhook::verify_body(format, &challenge, &text);
        match self.post_json(sub, d, &body).await {
            Ok(answer) if webhook::answers(format, &answer, &challenge) => Attempt::Done,
            Ok(_) => Attempt::failed("the answer does not echo the challenge".into()),
            Err(a) => a,
        }
    }

    /// What a message says of this event, in the subscriber's language.
    fn notice(&self, sub: &Subscription, data: &EventData) -> message::Notice {
        message::notice(
            &self.config,
            &data.incident,
            &data.update,
            data.change,
            sub.lang,
            &sub.base_url,
        )
    }

    async fn send_webhook(&self, d: &Delivery, sub: &Subscription, data: &EventData) -> Attempt {
        let notice = self.notice(sub, data);
        let body = webhook::event_body(
            Format::of(&sub.target),
            &data.incident,
            &data.update,
            data.change,
            &sub.base_url,
            &notice,
        );
        match self.post_json(sub, d, &body).await {
            Ok(_) => Attempt::Done,
            Err(a) => a,
        }
    }

    async fn send_confirmation(&self, d: &Delivery, sub: &Subscription) -> Attempt {
        let Some(mailer) = &self.mailer else {
            return Attempt::Done;
        };
        let lang = sub.lang;
        let url = format!(
            "{}/subscriptions/{}/confirm?token={}",
            sub.base_url.trim_end_matches('/'),
            sub.id,
            manage_token(&self.key, &sub.id)
        );
        let paragraphs = vec![
            Msg::new("alert-confirm-body").text(lang),
            Msg::new("alert-confirm-expires")
                .arg("hours", CONFIRM_WITHIN.num_hours())
                .text(lang),
        ];
        let subject = Msg::new("alert-confirm-subject").text(lang);
        let link_words = Msg::new("alert-confirm-link").text(lang);
        let footer = Msg::new("alert-confirm-ignore").text(lang);
        let mail = Mail {
            to: &sub.target,
            id: &d.id,
            lang,
            subject: &subject,
            paragraphs: &paragraphs,
            link: Some((&url, &link_words)),
            unsubscribe: None,
            footer: &footer,
        };
        match mailer.send(&mail).await {
            Ok(()) => Attempt::Done,
            Err(e) => Attempt::failed(e),
        }
    }

    async fn send_email(&self, d: &Delivery, sub: &Subscription, data: &EventData) -> Attempt {
        let Some(mailer) = &self.mailer else {
            return Attempt::Done;
        };
        let lang = sub.lang;
        let notice = self.notice(sub, data);
        let mut paragraphs = vec![notice.title.clone()];
        if !notice.message.is_empty() && notice.message != notice.title {
            paragraphs.push(notice.message.clone());
        }
        paragraphs.push(notice.status_line.clone());
        let unsubscribe = unsubscribe_url(&self.key, sub);
        let details = Msg::new("alert-details").text(lang);
        let footer = Msg::new("alert-unsubscribe").text(lang);
        let mail = Mail {
            to: &sub.target,
            id: &d.id,
            lang,
            subject: &notice.subject,
            paragraphs: &paragraphs,
            link: Some((&notice.url, &details)),
            unsubscribe: Some(&unsubscribe),
            footer: &footer,
        };
        match mailer.send(&mail).await {
            Ok(()) => Attempt::Done,
            Err(e) => Attempt::failed(e),
        }
    }

    async fn send_push(&self, sub: &Subscription, data: &EventData) -> Attempt {
        let Some(keys) = sub
            .secret
            .as_deref()
            .and_then(|s| serde_json::from_str::<BrowserKeys>(s).ok())
        else {
            return Attempt::Gone;
        };
        let notice = self.notice(sub, data);
        let payload = serde_json::json!({
            "title": notice.subject,
            "body": format!("{}\n{}", notice.title, notice.status_line),
            "url": notice.url,
            "tag": format!("incident-{}", data.incident.id),
            "lang": sub.lang.as_str(),
            "dir": if sub.lang.is_rtl() { "rtl" } else { "ltr" },
        });
        let Some(body) = push::encrypt(&keys, payload.to_string().as_bytes()) else {
            return Attempt::Gone;
        };
        let Ok(url) = reqwest::Url::parse(&sub.target) else {
            return Attempt::Gone;
        };
        if !guard::literal_allowed(&url, self.config.alerts.allow_private_targets) {
            return Attempt::failed("a private address".into());
        }
        let auth = self.vapid.authorization(&url, self.clock.now().timestamp());
        let urgency = if matches!(data.change, Change::Opened) {
            "high"
        } else {
            "normal"
        };
        let res = self
            .client
            .post(url)
            .header("TTL", push::TTL_SECS.to_string())
            .header("Urgency", urgency)
            .header("Topic", format!("incident-{}", data.incident.id))
            .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::AUTHORIZATION, auth)
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => Attempt::Done,
            // The browser unsubscribed or the push service forgot it: the subscription ends.
            Ok(r) if matches!(r.status().as_u16(), 404 | 410) => Attempt::Gone,
            Ok(r) => Attempt::Failed {
                error: format!("HTTP {}", r.status().as_u16()),
                retry_after: retry_after(&r),
            },
            Err(e) => Attempt::failed(error_chain(&e)),
        }
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
        rules::admit(recent.entry(client.to_owned()).or_default(), now, per_hour)
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

/// How an attempt went.
enum Attempt {
    Done,
    Gone,
    Failed {
        error: String,
        retry_after: Option<chrono::Duration>,
    },
}

impl Attempt {
    fn failed(error: String) -> Attempt {
        Attempt::Failed {
            error,
            retry_after: None,
        }
    }
}

fn retry_after(res: &reqwest::Response) -> Option<chrono::Duration> {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(chrono::Duration::seconds)
}

fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
