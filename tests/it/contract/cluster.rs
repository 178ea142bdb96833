//! `ClusterStore`: the shared probe schedule (claimed once a turn, in rhythm, caught up
//! after falling behind, kept across registrations), leases that expire and are given up,
//! and shared values with their versions. Every backend answers alike; only PostgreSQL
//! says it may be shared.

use std::collections::BTreeSet;
use std::time::Duration as StdDuration;

use bankstatus::store::ScheduledProbe;
use chrono::{DateTime, Utc};

use super::{ms, t, Fresh};

fn probe(id: &str, interval_s: u64, first_at: DateTime<Utc>) -> ScheduledProbe {
    ScheduledProbe {
        id: id.into(),
        interval: StdDuration::from_secs(interval_s),
        first_at,
    }
}

/// Claims for `holder` at `now` up to `horizon`, sorted by probe.
async fn claim(
    db: &Fresh,
    holder: &str,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
    limit: u32,
) -> Vec<(String, DateTime<Utc>)> {
    let mut claimed = db
        .store
        .claim_due(holder, now, horizon, limit)
        .await
        .unwrap();
    claimed.sort();
    claimed
}

fn due(id: &str, at: DateTime<Utc>) -> (String, DateTime<Utc>) {
    (id.to_owned(), at)
}

#[tokio::test]
async fn probes_are_claimed_once_a_turn_in_their_rhythm() {
    let db = Fresh::open().await;
    assert_eq!(db.store.shared(), db.postgres());
    assert!(claim(&db, "i1", t(0), t(3600), 10).await.is_empty());
    db.store
        .register_probes(&[
            probe("a", 1, t(0)),
            probe("b", 10, t(5)),
            probe("c", 60, t(0)),
        ])
        .await
        .unwrap();

    let soon = |s: i64| t(s) + ms(500);
    assert_eq!(
        claim(&db, "i1", t(0), soon(0), 10).await,
        [due("a", t(0)), due("c", t(0))]
    );
    assert!(
        claim(&db, "i2", t(0), soon(0), 10).await.is_empty(),
        "claimed once a turn"
    );
    assert_eq!(claim(&db, "i2", t(1), soon(1), 10).await, [due("a", t(1))]);
    // Late: claimed at once, never before now, and the earliest due first.
    assert_eq!(claim(&db, "i1", t(5), soon(5), 1).await, [due("a", t(5))]);
    assert_eq!(claim(&db, "i1", t(5), soon(5), 10).await, [due("b", t(5))]);
    // Within the horizon, a turn due later is claimed with its own time.
    assert_eq!(
        claim(&db, "i1", t(14), t(15), 10).await,
        [due("a", t(14)), due("b", t(15))]
    );
    // Fallen a whole interval behind, a probe starts again from now.
    assert_eq!(
        claim(&db, "i1", t(600), t(600), 10).await,
        [due("a", t(600)), due("b", t(600)), due("c", t(600))]
    );
    assert_eq!(
        claim(&db, "i1", t(601), t(601), 10).await,
        [due("a", t(601))]
    );

    // Registered again: the probes kept keep their turn and take their new interval; the
    // others are forgotten.
    db.store
        .register_probes(&[probe("a", 2, t(9999)), probe("b", 10, t(9999))])
        .await
        .unwrap();
    assert_eq!(
        claim(&db, "i1", t(602), t(602), 10).await,
        [due("a", t(602))]
    );
    assert!(
        claim(&db, "i1", t(603), t(603), 10).await.is_empty(),
        "every two seconds now"
    );
    assert_eq!(
        claim(&db, "i1", t(700), t(700), 10).await,
        [due("a", t(700)), due("b", t(700))]
    );
}

#[tokio::test]
async fn claims_at_the_same_moment_share_the_probes_out() {
    let db = Fresh::open().await;
    let probes: Vec<_> = (0..40)
        .map(|i| probe(&format!("p{i:02}"), 60, t(0)))
        .collect();
    db.store.register_probes(&probes).await.unwrap();
    let (one, other) = tokio::join!(
        db.store.claim_due("i1", t(0), t(0), 30),
        db.store.claim_due("i2", t(0), t(0), 30)
    );
    let one: BTreeSet<String> = one.unwrap().into_iter().map(|c| c.0).collect();
    let other: BTreeSet<String> = other.unwrap().into_iter().map(|c| c.0).collect();
    assert!(one.is_disjoint(&other), "{one:?} and {other:?}");
    assert_eq!(one.len() + other.len(), 40);
}

#[tokio::test]
async fn leases_are_held_renewed_expired_and_given_up() {
    let db = Fresh::open().await;
    let store = &db.store;
    let hold = |holder: &'static str, now: DateTime<Utc>, until: DateTime<Utc>| {
        let store = db.store.clone();
        async move {
            store
                .hold_lease("engine", holder, now, until)
                .await
                .unwrap()
        }
    };
    assert!(hold("i1", t(0), t(10)).await);
    assert!(!hold("i2", t(5), t(15)).await, "held by another");
    assert!(hold("i1", t(5), t(15)).await, "renewed by its holder");
    assert!(!hold("i2", t(15), t(25)).await, "held to the end");
    assert!(hold("i2", t(15) + ms(1), t(25)).await, "expired: taken");
    store.release_lease("engine", "i1").await.unwrap();
    assert!(
        !hold("i1", t(16), t(26)).await,
        "given up by another: still held"
    );
    store.release_lease("engine", "i2").await.unwrap();
    assert!(hold("i1", t(16), t(26)).await, "given up: taken at once");
    assert!(
        store
            .hold_lease("schedule", "i2", t(16), t(26))
            .await
            .unwrap(),
        "each lease by its name"
    );
    store.release_lease("unknown", "i2").await.unwrap();
}

#[tokio::test]
async fn shared_values_carry_their_versions() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert!(store.shared_since("snapshot", 0).await.unwrap().is_none());
    assert!(store.shared_with_prefix("net:").await.unwrap().is_empty());

    store.put_shared("snapshot", "one").await.unwrap();
    assert_eq!(
        store.shared_since("snapshot", 0).await.unwrap(),
        Some((1, "one".to_owned()))
    );
    assert!(
        store.shared_since("snapshot", 1).await.unwrap().is_none(),
        "seen"
    );
    store.put_shared("snapshot", "two").await.unwrap();
    assert_eq!(
        store.shared_since("snapshot", 1).await.unwrap(),
        Some((2, "two".to_owned()))
    );

    store.put_shared("net:i2", "cut").await.unwrap();
    store.put_shared("net:i1", "ok").await.unwrap();
    store.put_shared("netx", "not an instance").await.unwrap();
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        store.shared_with_prefix("net:").await.unwrap(),
        [pair("net:i1", "ok"), pair("net:i2", "cut")],
        "by key"
    );
    store.delete_shared("net:i1").await.unwrap();
    store.delete_shared("net:unknown").await.unwrap();
    assert_eq!(
        store.shared_with_prefix("net:").await.unwrap(),
        [pair("net:i2", "cut")]
    );
    assert!(store.shared_since("net:i1", 0).await.unwrap().is_none());
}
