//! Fan-out: each pending event streamed against the active subscriptions a page at a time,
//! each page's deliveries written with the event's cursor in one transaction, so a restart
//! picks up where the last page stopped and a page written twice keeps its first rows.
//! What a page is owed is decided by [`page_step`], a pure function of the page, what the
//! email throttle remembers and `now`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::events::EventData;
use super::rules;
use super::Dispatcher;
use crate::store::alerts::{FanOut, NewDelivery, Purpose, Subscription, Via};
use crate::store::StoreResult;

/// Subscriptions read per fan-out step: the whole list is streamed, never loaded.
const FAN_OUT_PAGE: i64 = 1_000;
/// Events taken per look at the pending ones.
const EVENTS_PER_LOOK: i64 = 100;
/// How often pending events are looked for.
const LOOK_EVERY: Duration = Duration::from_millis(200);

impl Dispatcher {
    /// Fans pending events out until `shutdown`; a failed look is logged and tried again.
    pub(super) async fn fan_out_loop(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.fan_out_pending().await {
                tracing::error!(error = %e, "could not fan alerts out; trying again");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(LOOK_EVERY) => {}
            }
        }
    }

    async fn fan_out_pending(&self) -> StoreResult<()> {
        let store = &self.alerts.store;
        for event in store.pending_events(EVENTS_PER_LOOK).await? {
            let now = self.alerts.clock.now();
            let data = self.events.get(event.id).await?;
            let Some(data) = data.filter(|d| !rules::is_stale(d.at(), now)) else {
                // Gone, or recorded long after the fact: nothing to tell anyone.
                store
                    .fan_out(&nothing_owed(event.id, event.cursor.clone()), now)
                    .await?;
                continue;
            };
            let mut cursor = event.cursor.clone();
            loop {
                let page = store
                    .active_subscriptions(cursor.as_deref(), FAN_OUT_PAGE)
                    .await?;
                let done = (page.len() as i64) < FAN_OUT_PAGE;
                let covered = covered(&page, &data);
                let last = self.last_updates(&covered, &data).await?;
                let step = page_step(event.id, &data, &covered, &last, now);
                cursor = page.last().map(|s| s.id.clone()).or(cursor);
                store
                    .fan_out(
                        &FanOut {
                            cursor: cursor.clone(),
                            done,
                            ..step
                        },
                        now,
                    )
                    .await?;
                self.alerts.wake.notify_one();
                if done {
                    break;
                }
            }
        }
        Ok(())
    }

    /// When each covered email subscription was last emailed about this incident, for the
    /// email throttle; the other channels are not throttled.
    async fn last_updates(
        &self,
        covered: &[&Subscription],
        data: &EventData,
    ) -> StoreResult<HashMap<String, DateTime<Utc>>> {
        let emails: Vec<String> = covered
            .iter()
            .filter(|s| s.via == Via::Email)
            .map(|s| s.id.clone())
            .collect();
        if emails.is_empty() {
            return Ok(HashMap::new());
        }
        let last = self
            .alerts
            .store
            .last_updates(&emails, data.incident.id)
            .await?;
        Ok(last.into_iter().collect())
    }
}

/// The subscriptions of a page that the event concerns.
fn covered<'a>(page: &'a [Subscription], data: &EventData) -> Vec<&'a Subscription> {
    page.iter().filter(|s| data.covered_by(s)).collect()
}

/// The step that ends an event owed to nobody: gone, or recorded long after the fact.
fn nothing_owed(event_id: i64, cursor: Option<String>) -> FanOut {
    FanOut {
        event_id,
        deliveries: Vec::new(),
        throttled: Vec::new(),
        cursor,
        done: true,
    }
}

/// The deliveries a page of covered subscriptions is owed, given when each email one was
/// last emailed, or is due to be, about the incident (`last`). An email held back by the
/// throttle is due at the gap's end and takes the place of one held before it; each email
/// is remembered with when it goes (`throttled`) for the next. The cursor and `done` are
/// the caller's: they depend on the page, not on who was covered.
fn page_step(
    event_id: i64,
    data: &EventData,
    covered: &[&Subscription],
    last: &HashMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> FanOut {
    let mut step = FanOut {
        event_id,
        deliveries: Vec::new(),
        throttled: Vec::new(),
        cursor: None,
        done: false,
    };
    for s in covered {
        let mut due_at = now;
        if s.via == Via::Email {
            due_at = rules::email_due(data.change, last.get(&s.id).copied(), now);
            step.throttled
                .push((s.id.clone(), data.incident.id, due_at));
        }
        step.deliveries.push(NewDelivery {
            id: rules::event_delivery_id(event_id, &s.id),
            subscription_id: s.id.clone(),
            purpose: Purpose::Event,
            event_id: Some(event_id),
            ends_it: s.incident_id == Some(data.incident.id) && data.change.ends_incident(),
            due_at,
        });
    }
    step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::events::Entry;
    use crate::domain::{Channel, IncidentKind, IncidentState, Lang, Source};
    use crate::store::alerts::SubState;
    use crate::store::{IncidentRow, UpdateRow};
    use rules::Change;

    fn now() -> DateTime<Utc> {
        "2026-02-13T16:00:00Z".parse().expect("time")
    }

    fn sub(id: &str, via: Via, banks: &[&str]) -> Subscription {
        Subscription {
            id: id.into(),
            via,
            target: "https://example.org/hook".into(),
            secret: None,
            manage_hash: String::new(),
            banks: banks.iter().map(|b| (*b).to_owned()).collect(),
            channels: Vec::new(),
            incident_kinds: Vec::new(),
            incident_id: None,
            lang: Lang::Ar,
            base_url: String::new(),
            state: SubState::Active,
            created_at: DateTime::UNIX_EPOCH,
            expires_at: None,
            quarantined_at: None,
        }
    }

    fn event(change: Change) -> EventData {
        EventData {
            incident: IncidentRow {
                id: 7,
                kind: IncidentKind::Outage,
                state: IncidentState::Investigating,
                title: Default::default(),
                started_at: DateTime::UNIX_EPOCH,
                resolved_at: None,
                updated_at: DateTime::UNIX_EPOCH,
                created_at: DateTime::UNIX_EPOCH,
                open_key: None,
                overrun_of: None,
                channel_key: None,
                reopens: 0,
                gaps: Vec::new(),
                scopes: vec![("bmce".to_owned(), Channel::Atm)],
                sources: Vec::new(),
                alerted: true,
            },
            entry: Entry::Update(UpdateRow {
                id: 3,
                at: now(),
                state: IncidentState::Investigating,
                source: Source::Probe,
                message: Default::default(),
                title: Default::default(),
                alerted: true,
                corrections: Vec::new(),
            }),
            change,
        }
    }

    fn ids(step: &FanOut) -> Vec<&str> {
        step.deliveries
            .iter()
            .map(|d| d.subscription_id.as_str())
            .collect()
    }

    #[test]
    fn only_the_subscriptions_the_incident_concerns_are_covered() {
        let page = vec![
            sub("sub_1", Via::Push, &[]),
            sub("sub_2", Via::Webhook, &["cdm"]),
            sub("sub_3", Via::Email, &["bmce"]),
        ];
        let data = event(Change::Opened);
        let ids: Vec<&str> = covered(&page, &data)
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(ids, ["sub_1", "sub_3"]);
    }

    #[test]
    fn every_covered_subscription_is_owed_one_delivery_with_a_stable_id() {
        let (a, b, c) = (
            sub("sub_1", Via::Push, &[]),
            sub("sub_2", Via::Webhook, &[]),
            sub("sub_3", Via::Email, &[]),
        );
        let data = event(Change::Opened);
        let step = page_step(41, &data, &[&a, &b, &c], &HashMap::new(), now());
        assert_eq!(step.event_id, 41);
        assert_eq!(ids(&step), ["sub_1", "sub_2", "sub_3"]);
        for d in &step.deliveries {
            assert_eq!(d.id, format!("msg_41_{}", d.subscription_id));
            assert_eq!(d.purpose, Purpose::Event);
            assert_eq!(d.event_id, Some(41));
            assert_eq!(d.due_at, now());
            assert!(!d.ends_it);
        }
        // Only the email one is remembered by the throttle.
        assert_eq!(step.throttled, [("sub_3".to_owned(), 7, now())]);
        // Where the page stopped is the caller's to say.
        assert_eq!((step.cursor, step.done), (None, false));
        let again = page_step(41, &data, &[&a, &b, &c], &HashMap::new(), now());
        assert_eq!(again.deliveries, step.deliveries);
    }

    #[test]
    fn an_email_within_the_gap_is_held_to_its_end_but_not_the_rest() {
        let mail = sub("sub_3", Via::Email, &[]);
        let hook = sub("sub_2", Via::Webhook, &[]);
        let push = sub("sub_1", Via::Push, &[]);
        let sent = now() - chrono::Duration::minutes(5);
        let slot = sent + rules::EMAIL_GAP;
        let recent = HashMap::from([("sub_3".to_owned(), sent)]);
        for (id, change) in [
            (41, Change::Updated),
            (42, Change::Resolved),
            (43, Change::Opened),
        ] {
            let step = page_step(id, &event(change), &[&mail, &hook, &push], &recent, now());
            assert_eq!(ids(&step), ["sub_3", "sub_2", "sub_1"], "{change:?}");
            let due: Vec<_> = step.deliveries.iter().map(|d| d.due_at).collect();
            assert_eq!(due, [slot, now(), now()], "{change:?}");
            assert_eq!(step.throttled, [("sub_3".to_owned(), 7, slot)]);
        }

        let long_ago = HashMap::from([("sub_3".to_owned(), now() - chrono::Duration::minutes(15))]);
        let later = page_step(44, &event(Change::Resolved), &[&mail], &long_ago, now());
        assert_eq!(later.deliveries[0].due_at, now());
        assert_eq!(later.throttled, [("sub_3".to_owned(), 7, now())]);
    }

    #[test]
    fn the_end_of_a_followed_incident_ends_its_subscription() {
        let mut follower = sub("sub_1", Via::Push, &[]);
        follower.incident_id = Some(7);
        let everyone = sub("sub_2", Via::Push, &[]);
        let resolved = page_step(
            41,
            &event(Change::Resolved),
            &[&follower, &everyone],
            &HashMap::new(),
            now(),
        );
        let ends: Vec<bool> = resolved.deliveries.iter().map(|d| d.ends_it).collect();
        assert_eq!(ends, [true, false]);

        let updated = page_step(
            42,
            &event(Change::Updated),
            &[&follower],
            &HashMap::new(),
            now(),
        );
        assert!(!updated.deliveries[0].ends_it);
    }

    #[test]
    fn an_event_owed_to_nobody_ends_where_it_stood() {
        let step = nothing_owed(41, Some("sub_9".into()));
        assert!(step.done);
        assert_eq!(step.cursor.as_deref(), Some("sub_9"));
        assert!(step.deliveries.is_empty() && step.throttled.is_empty());
    }
}
