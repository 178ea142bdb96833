//! `AlertStore`: subscriptions as stored, confirmed and deleted; the events every timeline
//! entry leaves; fan-out steps that write a delivery once; deliveries claimed under a
//! lease, finished each way, and swept; the operator's figures.

use bankstatus::domain::{mail_address, Channel, IncidentKind, IncidentState, Lang, Source};
use bankstatus::store::alerts::{
    AlertStats, Delivery, FanOut, Finish, NewDelivery, Purpose, SubState, Subscription, Via,
};
use bankstatus::store::{NewIncident, NewUpdate};
use chrono::{DateTime, Duration, Utc};

use super::{ms, names, t, Fresh};

fn subscription(id: &str, via: Via, state: SubState, created: i64) -> Subscription {
    Subscription {
        id: id.into(),
        via,
        target: format!("{}:{id}", via.as_str()),
        secret: None,
        manage_hash: format!("hash of {id}"),
        banks: Vec::new(),
        channels: Vec::new(),
        incident_kinds: Vec::new(),
        incident_id: None,
        lang: Lang::Fr,
        base_url: "https://status.example".into(),
        state,
        created_at: t(created),
        expires_at: (state == SubState::Pending).then(|| t(created + 86_400)),
        quarantined_at: None,
    }
}

fn delivery(id: &str, to: &str, purpose: Purpose, event: Option<i64>, due: i64) -> NewDelivery {
    NewDelivery {
        id: id.into(),
        subscription_id: to.into(),
        purpose,
        event_id: event,
        ends_it: false,
        due_at: t(due),
    }
}

/// A webhook for two banks' outages on two channels, waiting for its challenge; an email
/// for everything, waiting for its confirmation; a push following one incident.
fn three() -> [Subscription; 3] {
    let mut hook = subscription("sub_a", Via::Webhook, SubState::Pending, 0);
    hook.secret = Some("whsec_a".into());
    hook.banks = vec!["bmce".into(), "cih".into()];
    hook.channels = vec![Channel::Web, Channel::Mobile];
    hook.incident_kinds = vec![IncidentKind::Outage];
    hook.lang = Lang::En;
    let mut mail = subscription("sub_b", Via::Email, SubState::Pending, 5);
    mail.target = "salma+alerts@example.ma".into();
    mail.lang = Lang::Ar;
    mail.expires_at = Some(t(5) + ms(3_600_000));
    let mut push = subscription("sub_c", Via::Push, SubState::Active, 10);
    push.secret = Some(r#"{"p256dh":"key","auth":"secret"}"#.into());
    push.banks = vec!["bmce".into()];
    push.incident_id = Some(42);
    [hook, mail, push]
}

fn ids(subs: &[Subscription]) -> Vec<&str> {
    subs.iter().map(|s| s.id.as_str()).collect()
}

#[tokio::test]
async fn subscriptions_are_stored_confirmed_listed_and_deleted() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert!(store.subscription("sub_a").await.unwrap().is_none());
    assert!(store
        .active_subscriptions(None, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .subscriptions(&["sub_a".into()])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.alert_stats().await.unwrap(), AlertStats::default());
    assert!(!store.activate("sub_a").await.unwrap());
    assert!(!store.delete_subscription("sub_a").await.unwrap());

    let [hook, mail, push] = three();
    let mut old = subscription("sub_d", Via::Email, SubState::Pending, -7200);
    old.target = "salma@example.ma".into();
    old.expires_at = Some(t(-3600));
    let challenge = delivery("d_verify", "sub_a", Purpose::Verify, None, 0);
    let confirm = delivery("d_confirm", "sub_b", Purpose::Confirm, None, 5);
    store
        .add_subscription(&hook, Some(&challenge))
        .await
        .unwrap();
    store.add_subscription(&mail, Some(&confirm)).await.unwrap();
    store.add_subscription(&push, None).await.unwrap();
    store.add_subscription(&old, None).await.unwrap();
    for s in [&hook, &mail, &push, &old] {
        assert_eq!(
            store.subscription(&s.id).await.unwrap().as_ref(),
            Some(s),
            "read back as stored"
        );
    }
    assert!(
        store.add_subscription(&hook, None).await.is_err(),
        "one subscription per id"
    );

    // Confirmation mail is counted by mailbox (case and `+tag` folded) and by domain.
    let counts = |address: &str, hour: DateTime<Utc>, day: DateTime<Utc>| {
        let store = db.store.clone();
        let mail = mail_address(address).unwrap();
        async move {
            let c = store.mail_counts(&mail, hour, day).await.unwrap();
            (c.mailbox_hour, c.mailbox_day, c.domain_day)
        }
    };
    assert_eq!(
        counts("SALMA+2@example.ma", t(5), t(-9999)).await,
        (1, 2, 2)
    );
    assert_eq!(
        counts("salma@example.ma", t(5) + ms(1), t(-7200)).await,
        (0, 2, 2)
    );
    assert_eq!(
        counts("salma@example.ma", t(5) + ms(1), t(-7199)).await,
        (0, 1, 1)
    );
    assert_eq!(
        counts("karim@example.ma", t(-9999), t(-9999)).await,
        (0, 0, 2)
    );
    assert_eq!(
        counts("salma@example.org", t(-9999), t(-9999)).await,
        (0, 0, 0)
    );

    assert_eq!(
        store.alert_stats().await.unwrap(),
        AlertStats {
            by_kind: vec![
                ("email".into(), "pending".into(), 2),
                ("push".into(), "active".into(), 1),
                ("webhook".into(), "pending".into(), 1),
            ],
            by_bank: vec![("*".into(), 2), ("bmce".into(), 2), ("cih".into(), 1)],
            quarantined: Vec::new(),
            queue_depth: 2,
            oldest_undelivered: Some(t(0)),
        }
    );

    // Confirmed once: active, no longer expiring.
    assert!(store.activate("sub_b").await.unwrap());
    assert!(!store.activate("sub_b").await.unwrap());
    assert!(!store.activate("sub_c").await.unwrap(), "active already");
    let confirmed = store.subscription("sub_b").await.unwrap().unwrap();
    assert_eq!(
        (confirmed.state, confirmed.expires_at),
        (SubState::Active, None)
    );

    // The active ones by id, a page at a time.
    assert_eq!(
        ids(&store.active_subscriptions(None, 10).await.unwrap()),
        ["sub_b", "sub_c"]
    );
    assert_eq!(
        ids(&store.active_subscriptions(None, 1).await.unwrap()),
        ["sub_b"]
    );
    assert_eq!(
        ids(&store.active_subscriptions(Some("sub_b"), 1).await.unwrap()),
        ["sub_c"]
    );
    assert!(store
        .active_subscriptions(Some("sub_c"), 10)
        .await
        .unwrap()
        .is_empty());
    let mut some = store
        .subscriptions(&["sub_c".into(), "sub_x".into(), "sub_a".into()])
        .await
        .unwrap();
    some.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(ids(&some), ["sub_a", "sub_c"], "those that exist");

    // Deleted with its deliveries.
    assert!(store.delete_subscription("sub_a").await.unwrap());
    assert!(!store.delete_subscription("sub_a").await.unwrap());
    assert!(store.subscription("sub_a").await.unwrap().is_none());
    let stats = store.alert_stats().await.unwrap();
    assert_eq!(
        (stats.queue_depth, stats.oldest_undelivered),
        (1, Some(t(5)))
    );
}

/// An outage of bmce's web with two entries: two alert events.
async fn outage(db: &Fresh) -> i64 {
    let first = NewUpdate {
        at: t(0),
        state: IncidentState::Investigating,
        source: Source::Probe,
        message: names("down"),
        alert: true,
    };
    let id = db
        .store
        .open_incident(&NewIncident {
            kind: IncidentKind::Outage,
            title: names("outage"),
            started_at: t(0),
            recorded_at: t(0),
            open_key: None,
            overrun_of: None,
            scopes: vec![("bmce".into(), Channel::Web)],
            first_update: first.clone(),
            later: Vec::new(),
            audit: None,
            reopen: None,
        })
        .await
        .unwrap()
        .id();
    db.store
        .add_update(
            id,
            &NewUpdate {
                at: t(30),
                state: IncidentState::Identified,
                alert: true,
                ..first
            },
        )
        .await
        .unwrap();
    id
}

/// Claims at `now` with a minute's lease, sorted by id.
async fn claim(db: &Fresh, now: DateTime<Utc>, limit: i64) -> Vec<Delivery> {
    let mut claimed = db
        .store
        .claim_deliveries(now, Duration::minutes(1), limit)
        .await
        .unwrap();
    claimed.sort_by(|x, y| x.id.cmp(&y.id));
    claimed
}

fn brief(claimed: &[Delivery]) -> Vec<(&str, u32)> {
    claimed
        .iter()
        .map(|d| (d.id.as_str(), d.attempts))
        .collect()
}

#[tokio::test]
async fn events_fan_out_once_and_deliveries_are_claimed_finished_and_swept() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert!(store.pending_events(10).await.unwrap().is_empty());
    assert!(claim(&db, t(0), 10).await.is_empty());
    assert_eq!(
        store.sweep_alerts(t(0), Duration::days(1)).await.unwrap(),
        0
    );

    let [hook, mut mail, push] = three();
    mail.state = SubState::Active;
    mail.expires_at = None;
    let challenge = delivery("d_verify", "sub_a", Purpose::Verify, None, 0);
    store
        .add_subscription(&hook, Some(&challenge))
        .await
        .unwrap();
    store.add_subscription(&mail, None).await.unwrap();
    store.add_subscription(&push, None).await.unwrap();
    let mut lapsing = subscription("sub_d", Via::Email, SubState::Pending, 0);
    lapsing.expires_at = Some(t(100));
    store.add_subscription(&lapsing, None).await.unwrap();

    // Each timeline entry left an event, oldest first.
    let incident = outage(&db).await;
    let (_, updates) = store.incident(incident).await.unwrap().unwrap();
    let events = store.pending_events(10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events[0].id < events[1].id);
    for (e, u) in events.iter().zip(&updates) {
        assert_eq!(
            (e.incident_id, e.update_id, &e.cursor),
            (incident, u.id, &None)
        );
    }
    let (e1, e2) = (events[0].id, events[1].id);
    assert_eq!(store.pending_events(1).await.unwrap(), events[..1]);
    assert_eq!(
        store.alert_event(e1).await.unwrap().as_ref(),
        Some(&events[0])
    );
    assert!(store.alert_event(e2 + 100).await.unwrap().is_none());

    // A page of subscriptions, then the rest: a delivery written again is kept as first
    // written, and the email's last update moves on.
    let mut ends = delivery("ev_c", "sub_c", Purpose::Event, Some(e1), 11);
    ends.ends_it = true;
    let first_page = FanOut {
        event_id: e1,
        deliveries: vec![
            delivery("ev_a", "sub_a", Purpose::Event, Some(e1), 9),
            delivery("ev_b", "sub_b", Purpose::Event, Some(e1), 10),
            ends,
        ],
        throttled: vec![("sub_b".into(), incident, t(10))],
        cursor: Some("sub_b".into()),
        done: false,
    };
    store.fan_out(&first_page, t(10)).await.unwrap();
    let pending = store.pending_events(10).await.unwrap();
    assert_eq!(
        pending[0].cursor.as_deref(),
        Some("sub_b"),
        "where it stopped"
    );
    let emails = ["sub_b".to_owned(), "sub_c".to_owned()];
    assert_eq!(
        store.last_updates(&emails, incident).await.unwrap(),
        [("sub_b".to_owned(), t(10))]
    );
    assert!(store
        .last_updates(&emails, incident + 1)
        .await
        .unwrap()
        .is_empty());
    let again = FanOut {
        deliveries: vec![delivery("ev_b", "sub_b", Purpose::Event, Some(e1), 999)],
        throttled: vec![("sub_b".into(), incident, t(20))],
        cursor: Some("sub_c".into()),
        done: true,
        ..first_page.clone()
    };
    store.fan_out(&again, t(20)).await.unwrap();
    assert_eq!(
        store.pending_events(10).await.unwrap(),
        events[1..],
        "fanned out"
    );
    assert_eq!(
        store.last_updates(&emails, incident).await.unwrap(),
        [("sub_b".to_owned(), t(20))]
    );
    let stats = store.alert_stats().await.unwrap();
    assert_eq!(
        (stats.queue_depth, stats.oldest_undelivered),
        (4, Some(t(0)))
    );

    // Claimed earliest due first, under a lease; a pending subscription gets its
    // challenge but no events yet.
    let claimed = claim(&db, t(11), 2).await;
    assert_eq!(brief(&claimed), [("d_verify", 1), ("ev_b", 1)]);
    let ev_b = &claimed[1];
    assert_eq!(
        (ev_b.purpose, ev_b.event_id, ev_b.created_at, ev_b.ends_it),
        (Purpose::Event, Some(e1), t(10), false),
        "as first written"
    );
    let rest = claim(&db, t(11), 10).await;
    assert_eq!(brief(&rest), [("ev_c", 1)]);
    assert!(rest[0].ends_it);
    assert!(claim(&db, t(12), 10).await.is_empty(), "leased");
    assert_eq!(
        brief(&claim(&db, t(71), 10).await),
        [("d_verify", 2), ("ev_b", 2), ("ev_c", 2)],
        "the lease ran out"
    );

    // Finished: the challenge answered makes the webhook active; a retry waits for its
    // time; the last delivery owed ends its subscription.
    let finished = [
        (claimed[0].clone(), Finish::Delivered),
        (
            claimed[1].clone(),
            Finish::Retry {
                due: t(200),
                error: "HTTP 503".into(),
            },
        ),
        (rest[0].clone(), Finish::Delivered),
    ];
    store.finish_deliveries(&finished, t(80)).await.unwrap();
    let live = store.subscription("sub_a").await.unwrap().unwrap();
    assert_eq!((live.state, live.expires_at), (SubState::Active, None));
    assert!(store.subscription("sub_c").await.unwrap().is_none());
    let ev_a = claim(&db, t(100), 10).await;
    assert_eq!(brief(&ev_a), [("ev_a", 1)], "its events once it is live");

    // Given up, the subscription is quarantined and sent nothing more; gone, it is deleted.
    let give_up = Finish::GiveUp {
        error: "refused for days".into(),
    };
    store
        .finish_deliveries(&[(ev_a[0].clone(), give_up)], t(110))
        .await
        .unwrap();
    assert!(claim(&db, t(150), 10).await.is_empty(), "the retry waits");
    let retried = claim(&db, t(200), 10).await;
    assert_eq!(brief(&retried), [("ev_b", 3)]);
    store
        .finish_deliveries(&[(retried[0].clone(), Finish::Gone)], t(210))
        .await
        .unwrap();
    let quarantined = store.subscription("sub_a").await.unwrap().unwrap();
    assert_eq!(
        (quarantined.state, quarantined.quarantined_at),
        (SubState::Quarantined, Some(t(110)))
    );
    assert!(store.subscription("sub_b").await.unwrap().is_none());
    let later = FanOut {
        event_id: e2,
        deliveries: vec![delivery("ev2_a", "sub_a", Purpose::Event, Some(e2), 210)],
        throttled: Vec::new(),
        cursor: Some("sub_a".into()),
        done: true,
    };
    store.fan_out(&later, t(210)).await.unwrap();
    assert!(claim(&db, t(300), 10).await.is_empty());
    let stats = store.alert_stats().await.unwrap();
    assert_eq!(ids(&stats.quarantined), ["sub_a"]);
    assert_eq!(
        (stats.queue_depth, stats.oldest_undelivered),
        (1, Some(t(210)))
    );

    // The sweep: the lapsed pending subscription, deliveries done more than a day ago, and
    // the events fanned out that long ago with nothing left to deliver.
    assert_eq!(
        store.sweep_alerts(t(99), Duration::days(1)).await.unwrap(),
        0
    );
    let day_on = t(210) + Duration::days(1) + ms(1);
    assert_eq!(
        store.sweep_alerts(day_on, Duration::days(1)).await.unwrap(),
        1 + 2 + 1
    );
    assert!(store.subscription("sub_d").await.unwrap().is_none());
    assert!(store.alert_event(e1).await.unwrap().is_none());
    assert!(
        store.alert_event(e2).await.unwrap().is_some(),
        "a delivery still owed"
    );
    let stats = store.alert_stats().await.unwrap();
    assert_eq!(
        stats.by_kind,
        [("webhook".to_owned(), "quarantined".to_owned(), 1)]
    );
}

#[tokio::test]
async fn an_email_held_by_the_gap_gives_way_to_the_next_one_held() {
    let db = Fresh::open().await;
    let store = &db.store;
    let [_, mut mail, _] = three();
    mail.state = SubState::Active;
    mail.expires_at = None;
    store.add_subscription(&mail, None).await.unwrap();
    let incident = outage(&db).await;
    let events = store.pending_events(10).await.unwrap();
    let (e1, e2) = (events[0].id, events[1].id);
    let step = |event: i64, id: &str, due: i64| FanOut {
        event_id: event,
        deliveries: vec![delivery(id, "sub_b", Purpose::Event, Some(event), due)],
        throttled: vec![("sub_b".into(), incident, t(due))],
        cursor: Some("sub_b".into()),
        done: true,
    };

    // Both changes came within the gap: the second takes the first one's place.
    store.fan_out(&step(e1, "ev_1", 900), t(10)).await.unwrap();
    store.fan_out(&step(e2, "ev_2", 900), t(20)).await.unwrap();
    assert!(
        claim(&db, t(899), 10).await.is_empty(),
        "held to the gap's end"
    );
    assert_eq!(brief(&claim(&db, t(900), 10).await), [("ev_2", 1)]);
    assert_eq!(
        store
            .last_updates(&["sub_b".into()], incident)
            .await
            .unwrap(),
        [("sub_b".to_owned(), t(900))]
    );

    // An email sent at once meanwhile (a statement) leaves the held one's slot, and one
    // already due is never replaced.
    let statement = FanOut {
        throttled: vec![("sub_b".into(), incident, t(30))],
        deliveries: Vec::new(),
        ..step(e2, "unused", 30)
    };
    store.fan_out(&statement, t(30)).await.unwrap();
    assert_eq!(
        store
            .last_updates(&["sub_b".into()], incident)
            .await
            .unwrap(),
        [("sub_b".to_owned(), t(900))]
    );
    store
        .fan_out(&step(e1, "ev_3", 1_800), t(950))
        .await
        .unwrap();
    let due = claim(&db, t(1_800), 10).await;
    assert_eq!(brief(&due), [("ev_2", 2), ("ev_3", 1)]);
}
