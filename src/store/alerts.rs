//! Alerts: subscriptions, the events every timeline entry leaves behind, and the outbox of
//! deliveries owed to each subscriber.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::{Channel, IncidentKind, Lang, MailAddress};

/// Email subscriptions counted for the limits on confirmation mail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailCounts {
    /// To the mailbox within the hour.
    pub mailbox_hour: i64,
    /// To the mailbox within the day.
    pub mailbox_day: i64,
    /// To any mailbox of the domain within the day.
    pub domain_day: i64,
}

/// How a subscriber is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    Webhook,
    Email,
    Push,
}

impl Via {
    pub const ALL: [Via; 3] = [Via::Webhook, Via::Email, Via::Push];

    pub fn as_str(self) -> &'static str {
        match self {
            Via::Webhook => "webhook",
            Via::Email => "email",
            Via::Push => "push",
        }
    }
}

impl FromStr for Via {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Via::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown subscription kind `{s}`"))
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubState {
    /// Waiting for its email confirmation or its webhook's answer to the challenge.
    Pending,
    Active,
    /// Deliveries kept failing for days: nothing more is sent until the operator acts.
    Quarantined,
}

impl SubState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubState::Pending => "pending",
            SubState::Active => "active",
            SubState::Quarantined => "quarantined",
        }
    }
}

impl FromStr for SubState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(SubState::Pending),
            "active" => Ok(SubState::Active),
            "quarantined" => Ok(SubState::Quarantined),
            other => Err(format!("unknown subscription state `{other}`")),
        }
    }
}

/// Why a delivery is owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// An incident changed.
    Event,
    /// A webhook's challenge: it becomes active once answered.
    Verify,
    /// The double opt-in message of an email subscription.
    Confirm,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Event => "event",
            Purpose::Verify => "verify",
            Purpose::Confirm => "confirm",
        }
    }
}

impl FromStr for Purpose {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "event" => Ok(Purpose::Event),
            "verify" => Ok(Purpose::Verify),
            "confirm" => Ok(Purpose::Confirm),
            other => Err(format!("unknown delivery purpose `{other}`")),
        }
    }
}

/// A subscription as stored. Empty scope lists mean "all".
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub via: Via,
    /// The webhook URL, the email address or the push endpoint.
    pub target: String,
    /// The webhook's signing secret, or the push subscription's keys as JSON.
    pub secret: Option<String>,
    pub manage_hash: String,
    pub banks: Vec<String>,
    pub channels: Vec<Channel>,
    pub incident_kinds: Vec<IncidentKind>,
    /// Follows this one incident only, until it resolves.
    pub incident_id: Option<i64>,
    pub lang: Lang,
    pub base_url: String,
    pub state: SubState,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub quarantined_at: Option<DateTime<Utc>>,
}

/// A timeline entry not yet fully turned into deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub id: i64,
    pub incident_id: i64,
    pub update_id: i64,
    /// Set for a statement's event: the statement, published under `incident_id` (then
    /// `update_id` is 0).
    pub statement_id: Option<i64>,
    /// The last subscription id already fanned out to.
    pub cursor: Option<String>,
}

/// A delivery to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// Stable: the same on every attempt.
    pub id: String,
    pub subscription_id: String,
    pub purpose: Purpose,
    pub event_id: Option<i64>,
    /// Delivered, it ends the subscription.
    pub ends_it: bool,
    pub due_at: DateTime<Utc>,
}

/// A delivery claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub subscription_id: String,
    pub purpose: Purpose,
    pub event_id: Option<i64>,
    pub ends_it: bool,
    pub created_at: DateTime<Utc>,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    Delivered,
    /// Try again at `due`.
    Retry {
        due: DateTime<Utc>,
        error: String,
    },
    /// Given up: the subscription is quarantined.
    GiveUp {
        error: String,
    },
    /// The receiver said the subscription is gone (404/410): it is deleted.
    Gone,
}

/// One fan-out step: the deliveries of a page of subscriptions, and where it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct FanOut {
    pub event_id: i64,
    pub deliveries: Vec<NewDelivery>,
    /// (subscription, incident, when) of each email owed, for the email throttle; one due
    /// later is held back by it, and takes the place of the incident's email held before.
    pub throttled: Vec<(String, i64, DateTime<Utc>)>,
    pub cursor: Option<String>,
    pub done: bool,
}

/// What the operator and `/metrics` see.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertStats {
    /// (kind, state, count).
    pub by_kind: Vec<(String, String, i64)>,
    /// (bank, count); `*` for subscriptions to every bank.
    pub by_bank: Vec<(String, i64)>,
    pub quarantined: Vec<Subscription>,
    /// Deliveries not yet done.
    pub queue_depth: i64,
    /// When the longest-owed delivery was first owed: when written, or for an email held
    /// back by the gap, when it falls due.
    pub oldest_undelivered: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Stores a subscription and, in the same transaction, its first delivery (the webhook's
    /// challenge or the email's confirmation).
    async fn add_subscription(
        &self,
        s: &Subscription,
        first: Option<&NewDelivery>,
    ) -> StoreResult<()>;

    /// Email subscriptions made to `mail`'s mailbox since `hour` and since `day`, and to its
    /// domain since `day`: what the limits on confirmation mail count.
    async fn mail_counts(
        &self,
        mail: &MailAddress,
        hour: DateTime<Utc>,
        day: DateTime<Utc>,
    ) -> StoreResult<MailCounts>;

    async fn subscription(&self, id: &str) -> StoreResult<Option<Subscription>>;

    /// Pending to active; false when it was not pending.
    async fn activate(&self, id: &str) -> StoreResult<bool>;

    /// Deletes it with its deliveries; false when there was none.
    async fn delete_subscription(&self, id: &str) -> StoreResult<bool>;

    async fn alert_event(&self, id: i64) -> StoreResult<Option<AlertEvent>>;

    /// Events not yet fully fanned out, oldest first.
    async fn pending_events(&self, limit: i64) -> StoreResult<Vec<AlertEvent>>;

    /// Active subscriptions after `after` by id, for streaming them a page at a time.
    async fn active_subscriptions(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<Subscription>>;

    /// When each of `subscriptions` was last sent an update of `incident_id`.
    async fn last_updates(
        &self,
        subscriptions: &[String],
        incident_id: i64,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>>;

    /// Writes one fan-out step in one transaction; a delivery already written is kept.
    async fn fan_out(&self, step: &FanOut, now: DateTime<Utc>) -> StoreResult<()>;

    /// Claims up to `limit` due deliveries for `lease`, skipping those another dispatcher
    /// holds.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>>;

    /// The subscriptions of these ids that still exist.
    async fn subscriptions(&self, ids: &[String]) -> StoreResult<Vec<Subscription>>;

    /// Records how attempts ended, in one transaction.
    async fn finish_deliveries(
        &self,
        finished: &[(Delivery, Finish)],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Deletes pending subscriptions past their expiry, and done deliveries and fanned-out
    /// events older than `keep_done`.
    async fn sweep_alerts(
        &self,
        now: DateTime<Utc>,
        keep_done: chrono::Duration,
    ) -> StoreResult<u64>;

    async fn alert_stats(&self) -> StoreResult<AlertStats>;
}
