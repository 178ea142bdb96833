//! `ResultStore`: raw checks and their roll-ups by UTC hour and local day, agents' batches
//! stored once, the runs of time the checks cover, what they show of a span, reading on by
//! id, and the purge that keeps the roll-ups.

use bankstatus::domain::{
    Channel, CheckEvidence, ErrorClass, Hop, Outcome, ProbeResult, ProbeTarget,
};
use bankstatus::store::{Counts, HourlyRollup};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Africa::Casablanca;

use super::{ms, t, Fresh};

fn check(channel: Channel, at: DateTime<Utc>, outcome: Outcome, latency_ms: u32) -> ProbeResult {
    ProbeResult {
        probe_id: format!("bmce/{}/0", channel.as_str()),
        target: ProbeTarget::Bank {
            bank: "bmce".into(),
            channel,
        },
        at,
        latency_ms,
        http_status: Some(match outcome {
            Outcome::Down { .. } => 503,
            _ => 200,
        }),
        outcome,
        counted: true,
        region: None,
        evidence: CheckEvidence::default(),
        covers_ms: 60_000,
    }
}

fn down(class: ErrorClass, detail: &str) -> Outcome {
    Outcome::Down {
        class,
        detail: detail.into(),
    }
}

/// What a stored result reads back as: the result itself, its span no longer needed.
fn as_stored(r: &ProbeResult) -> serde_json::Value {
    serde_json::to_value(ProbeResult {
        covers_ms: 0,
        ..r.clone()
    })
    .unwrap()
}

fn counts(up: i64, degraded: i64, down: i64, uncounted: i64, latency: &[i64]) -> Counts {
    Counts {
        up,
        degraded,
        down,
        uncounted,
        latency_sum_ms: latency.iter().sum(),
        latency_count: latency.len() as i64,
    }
}

/// The web's first five minutes (up, slow, a 503 with evidence, a failure put down to the
/// tracker's network, a refused connection seen from an agent), the mobile app, a control
/// site, and two checks either side of local midnight (23:00 UTC in June).
fn morning() -> Vec<ProbeResult> {
    let mut status = check(
        Channel::Web,
        t(120),
        down(ErrorClass::Status, "HTTP 503"),
        50,
    );
    status.evidence = CheckEvidence {
        hops: vec![Hop {
            status: 302,
            location: "/maintenance".into(),
        }],
        final_url: Some("https://bmce.example/maintenance".into()),
        retry_after: Some(t(3600)),
        ..Default::default()
    };
    let mut network = check(
        Channel::Web,
        t(180),
        down(ErrorClass::Timeout, "timed out"),
        0,
    );
    network.counted = false;
    network.http_status = None;
    let mut agent = check(
        Channel::Web,
        t(240),
        down(ErrorClass::Connect, "refused"),
        3,
    );
    agent.region = Some("rabat".into());
    let mut mobile = check(Channel::Mobile, t(30), Outcome::Up, 40);
    mobile.covers_ms = 0;
    let mut control = check(Channel::Web, t(10), Outcome::Up, 20);
    control.probe_id = "control/0".into();
    control.target = ProbeTarget::Control;
    vec![
        check(Channel::Web, t(0), Outcome::Up, 100),
        control,
        mobile,
        check(Channel::Web, t(60), Outcome::Degraded, 900),
        status,
        network,
        agent,
        check(Channel::Web, t(53_999), Outcome::Up, 10),
        check(Channel::Web, t(54_000), Outcome::Up, 20),
    ]
}

#[tokio::test]
async fn results_roll_up_by_hour_and_local_day_and_read_back_in_order() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert_eq!(store.last_result_id().await.unwrap(), 0);
    assert!(store.results_after(0, 10).await.unwrap().is_empty());
    assert!(store
        .hourly_rollups("bmce", t(-1))
        .await
        .unwrap()
        .is_empty());
    store.insert_results(&[], Casablanca).await.unwrap();
    assert_eq!(store.last_result_id().await.unwrap(), 0);

    let batch = morning();
    store.insert_results(&batch, Casablanca).await.unwrap();
    store
        .insert_results(&[check(Channel::Web, t(300), Outcome::Up, 200)], Casablanca)
        .await
        .unwrap();

    // Every result, control sites too, in the order stored, as it was made.
    let stored = store.results_after(0, 100).await.unwrap();
    assert_eq!(stored.len(), batch.len() + 1);
    for (s, r) in stored.iter().zip(&batch) {
        assert_eq!(as_stored(&s.result), as_stored(r));
    }
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(
        store.last_result_id().await.unwrap(),
        stored.last().unwrap().id
    );
    let first = store.results_after(0, 4).await.unwrap();
    let rest = store.results_after(first[3].id, 100).await.unwrap();
    let paged: Vec<i64> = first.iter().chain(&rest).map(|s| s.id).collect();
    let all: Vec<i64> = stored.iter().map(|s| s.id).collect();
    assert_eq!(paged, all, "reading on from the last id misses none");
    assert!(store
        .results_after(stored.last().unwrap().id, 10)
        .await
        .unwrap()
        .is_empty());

    // Hourly buckets in UTC; the second write added to the first's.
    let hour = |h: i64| t(h * 3600) - ms(250);
    let mut hourly: Vec<_> = store
        .hourly_rollups("bmce", t(-1))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.hour, r.channel, r.counts))
        .collect();
    hourly.sort_by_key(|(h, c, _)| (*h, c.as_str()));
    assert_eq!(
        hourly,
        [
            (hour(0), Channel::Mobile, counts(1, 0, 0, 0, &[40])),
            (hour(0), Channel::Web, counts(2, 1, 2, 1, &[100, 900, 200])),
            (hour(14), Channel::Web, counts(1, 0, 0, 0, &[10])),
            (hour(15), Channel::Web, counts(1, 0, 0, 0, &[20])),
        ]
    );
    let late: Vec<_> = store
        .hourly_rollups("bmce", hour(14))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.hour)
        .collect();
    assert_eq!(
        late,
        [hour(14), hour(15)],
        "from the hour given, oldest first"
    );
    assert!(store.hourly_rollups("cih", t(-1)).await.unwrap().is_empty());

    // Daily buckets in the local zone: 23:00 UTC is the next day in Casablanca.
    let june = |d: u32| NaiveDate::from_ymd_opt(2026, 6, d).unwrap();
    let mut daily: Vec<_> = store
        .daily_rollups("bmce", june(10))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.day, r.channel, r.counts))
        .collect();
    daily.sort_by_key(|(d, c, _)| (*d, c.as_str()));
    assert_eq!(
        daily,
        [
            (june(10), Channel::Mobile, counts(1, 0, 0, 0, &[40])),
            (
                june(10),
                Channel::Web,
                counts(3, 1, 2, 1, &[100, 900, 200, 10])
            ),
            (june(11), Channel::Web, counts(1, 0, 0, 0, &[20])),
        ]
    );
    let from_11: Vec<_> = store
        .daily_rollups("bmce", june(11))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.day)
        .collect();
    assert_eq!(from_11, [june(11)]);
}

#[tokio::test]
async fn checks_cover_runs_of_time_and_show_what_failed() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert!(store
        .monitored_spans(t(-1), t(86_400))
        .await
        .unwrap()
        .is_empty());
    let nothing = store
        .probe_evidence("bmce", Channel::Web, t(0), t(300))
        .await
        .unwrap();
    assert_eq!((nothing.checks, nothing.failing), (0, 0));
    assert!(nothing.first_failure.is_none() && nothing.last_failure.is_none());

    let batch = morning();
    store.insert_results(&batch, Casablanca).await.unwrap();
    // A later write continues the run the last one left.
    store
        .insert_results(&[check(Channel::Web, t(300), Outcome::Up, 200)], Casablanca)
        .await
        .unwrap();
    let spans = |from: i64, to: i64| {
        let store = db.store.clone();
        async move {
            store
                .monitored_spans(t(from), t(to))
                .await
                .unwrap()
                .into_iter()
                .map(|s| (s.bank, s.channel, s.start, s.end))
                .collect::<Vec<_>>()
        }
    };
    let b = || "bmce".to_owned();
    assert_eq!(
        spans(-1, 86_400).await,
        [
            (b(), Channel::Mobile, t(30), t(90)),
            (b(), Channel::Web, t(0), t(180)),
            (b(), Channel::Web, t(240), t(360)),
            (b(), Channel::Web, t(53_999), t(54_060)),
        ],
        "by bank, channel and start; a failure put down to the network watched nothing"
    );
    assert_eq!(spans(180, 240).await, [], "runs touching, not overlapping");
    assert_eq!(spans(179, 241).await.len(), 2);

    // What the web's counted checks show from its first check to just before the
    // agent's failure, and then to the end of the morning.
    let seen = store
        .probe_evidence("bmce", Channel::Web, t(0), t(240))
        .await
        .unwrap();
    assert_eq!((seen.checks, seen.failing), (3, 1), "to is not included");
    assert_eq!(seen.last_failure, Some(t(120)));
    let seen = store
        .probe_evidence("bmce", Channel::Web, t(0), t(300))
        .await
        .unwrap();
    assert_eq!((seen.checks, seen.failing), (4, 2));
    assert_eq!(seen.last_failure, Some(t(240)));
    let first = seen.first_failure.unwrap();
    assert_eq!((first.at, first.probe_id.as_str()), (t(120), "bmce/web/0"));
    assert_eq!(first.error_class, Some(ErrorClass::Status));
    assert_eq!(first.http_status, Some(503));
    assert_eq!(first.detail.as_deref(), Some("HTTP 503"));
    assert_eq!(first.evidence, batch[4].evidence);
    let mobile = store
        .probe_evidence("bmce", Channel::Mobile, t(0), t(300))
        .await
        .unwrap();
    assert_eq!((mobile.checks, mobile.failing), (1, 0));
}

#[tokio::test]
async fn an_agents_batch_is_stored_once_and_the_purge_keeps_the_roll_ups() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert_eq!(store.purge_results_before(t(0)).await.unwrap(), 0);
    store.insert_results(&morning(), Casablanca).await.unwrap();
    let mut from_agent = check(Channel::Web, t(400), Outcome::Up, 30);
    from_agent.region = Some("rabat".into());
    let batch = [from_agent];
    let batch_of = |agent: &'static str, seq: i64| {
        let store = db.store.clone();
        let batch = batch.clone();
        async move {
            store
                .insert_batch(agent, seq, &batch, Casablanca, t(400))
                .await
                .unwrap()
        }
    };
    let before = store.last_result_id().await.unwrap();
    assert!(batch_of("rabat-1", 1).await, "a new batch");
    let after_one = store.last_result_id().await.unwrap();
    assert!(!batch_of("rabat-1", 1).await, "sent again: stored once");
    assert_eq!(store.last_result_id().await.unwrap(), after_one);
    assert!(batch_of("rabat-1", 2).await);
    assert!(
        batch_of("fes-1", 1).await,
        "another agent's numbers are its own"
    );
    assert_eq!(
        store.results_after(before, 10).await.unwrap().len(),
        3,
        "three batches of one"
    );
    let web_up = |hourly: Vec<HourlyRollup>| {
        hourly
            .into_iter()
            .find(|r| r.channel == Channel::Web)
            .unwrap()
            .counts
            .up
    };
    assert_eq!(
        web_up(store.hourly_rollups("bmce", t(0) - ms(250)).await.unwrap()),
        1 + 3
    );

    // The purge deletes raw results before the time given, control sites too, and keeps
    // the roll-ups; with them go the records of batches, so a batch that old is new again.
    assert_eq!(store.purge_results_before(t(200)).await.unwrap(), 6);
    let left: Vec<_> = store
        .results_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.result.at)
        .collect();
    assert_eq!(left, [t(240), t(53_999), t(54_000), t(400), t(400), t(400)]);
    let seen = store
        .probe_evidence("bmce", Channel::Web, t(0), t(300))
        .await
        .unwrap();
    assert_eq!(seen.checks, 1, "evidence is read from the raw results left");
    assert_eq!(
        web_up(store.hourly_rollups("bmce", t(0) - ms(250)).await.unwrap()),
        4
    );
    assert!(!batch_of("rabat-1", 1).await);
    assert_eq!(store.purge_results_before(t(401)).await.unwrap(), 4);
    assert!(batch_of("rabat-1", 1).await);
}
