//! `ReportStore`: batches admitted with each reporter's hourly allowance and dedup span
//! (earlier batches and deletions included), comments, the operator's deletion, distinct
//! reporters with their address and network, what they said (symptoms, cities, that it
//! works), the tally's reading on by id, and the chart's buckets.

use bankstatus::domain::{Channel, Symptom};
use bankstatus::store::{NewReport, ReportFacet, ReportOutcome, TalliedReport};
use chrono::{DateTime, Duration, Utc};

use super::{audit, ms, t, Fresh};

const PER_HOUR: u32 = 3;

fn dedup() -> Duration {
    Duration::minutes(10)
}

fn report(
    reporter: &str,
    bank: &str,
    channel: Channel,
    at: i64,
    comment: Option<&str>,
) -> NewReport {
    NewReport {
        bank: bank.into(),
        channel,
        at: t(at),
        reporter: reporter.into(),
        address: reporter.into(),
        network: format!("net-{reporter}"),
        comment: comment.map(str::to_owned),
        symptom: None,
        city: None,
        works: false,
    }
}

fn accepted(outcome: &ReportOutcome) -> (i64, bool) {
    match outcome {
        ReportOutcome::Accepted { id, counted } => (*id, *counted),
        ReportOutcome::RateLimited => panic!("refused: {outcome:?}"),
    }
}

/// A tallied report in brief: id, reporter, channel, time, counted, deleted.
type Brief<'a> = (i64, &'a str, Channel, DateTime<Utc>, bool, bool);

fn tallied(rows: &[TalliedReport]) -> Vec<Brief<'_>> {
    rows.iter()
        .map(|r| {
            (
                r.id,
                r.reporter.as_str(),
                r.channel,
                r.at,
                r.counted,
                r.deleted_at.is_some(),
            )
        })
        .collect()
}

#[tokio::test]
async fn reports_are_admitted_counted_deleted_and_read_on() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert!(store
        .add_reports(&[], PER_HOUR, dedup())
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .recent_comments("bmce", t(-1), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .report_units(t(-1), t(86_400))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .reports_after(None, t(-1), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store.reports_deleted(t(-1)).await.unwrap().is_empty());
    assert!(!store
        .delete_report(1, &audit(t(0), "delete_report"))
        .await
        .unwrap());
    assert_eq!(db.count("SELECT COUNT(*) FROM audit_log").await, 0);

    // One batch, judged in order: a repeat within the dedup span is stored uncounted;
    // another channel counts; past the hourly allowance nothing is stored.
    let first = [
        report("a", "bmce", Channel::Web, 0, Some("no login")),
        report("a", "bmce", Channel::Web, 60, None),
        report("b", "bmce", Channel::Web, 60, Some("same here")),
        report("a", "bmce", Channel::Atm, 120, None),
        report("a", "bmce", Channel::Web, 180, None),
        report("c", "cih", Channel::Mobile, 200, Some("app down")),
    ];
    let outcomes = store.add_reports(&first, PER_HOUR, dedup()).await.unwrap();
    assert_eq!(outcomes.len(), first.len());
    assert_eq!(outcomes[4], ReportOutcome::RateLimited);
    let kept: Vec<(i64, bool)> = outcomes
        .iter()
        .filter(|o| **o != ReportOutcome::RateLimited)
        .map(accepted)
        .collect();
    let counted: Vec<bool> = kept.iter().map(|k| k.1).collect();
    assert_eq!(counted, [true, false, true, true, true]);
    assert!(kept.windows(2).all(|w| w[0].0 < w[1].0), "ids in order");
    let [a0, a60, b60, a120, c200] = [kept[0].0, kept[1].0, kept[2].0, kept[3].0, kept[4].0];

    // A later batch is judged with the earlier ones: b's repeat is uncounted; a's hour has
    // moved on.
    let second = [
        report("b", "bmce", Channel::Web, 600, None),
        report("a", "bmce", Channel::Web, 3700, None),
    ];
    let outcomes = store.add_reports(&second, PER_HOUR, dedup()).await.unwrap();
    let (b600, b600_counted) = accepted(&outcomes[0]);
    let (a3700, a3700_counted) = accepted(&outcomes[1]);
    assert!(!b600_counted);
    assert!(a3700_counted);

    let counts = |from: i64, to: i64| {
        let store = db.store.clone();
        async move {
            let units = store.report_units(t(from), t(to)).await.unwrap();
            assert!(units
                .iter()
                .all(|u| u.address == u.reporter && u.network == format!("net-{}", u.reporter)));
            let mut counts: Vec<(String, Channel, i64)> = Vec::new();
            for u in units {
                match counts
                    .iter_mut()
                    .find(|c| c.0 == u.bank && c.1 == u.channel)
                {
                    Some(c) => c.2 += 1,
                    None => counts.push((u.bank, u.channel, 1)),
                }
            }
            counts.sort_by(|x, y| (&x.0, x.1.as_str()).cmp(&(&y.0, y.1.as_str())));
            counts
        }
    };
    let b = |s: &str| s.to_owned();
    assert_eq!(
        counts(0, 600).await,
        [
            (b("bmce"), Channel::Atm, 1),
            (b("bmce"), Channel::Web, 2),
            (b("cih"), Channel::Mobile, 1)
        ]
    );
    assert_eq!(
        counts(0, 60).await,
        [(b("bmce"), Channel::Web, 1)],
        "to is not included"
    );

    // Comments: newest first, by bank, since, up to the limit.
    let comments = |since: i64, limit: u32| {
        let store = db.store.clone();
        async move {
            store
                .recent_comments("bmce", t(since), limit)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.id, r.channel, r.at, r.comment))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        comments(0, 10).await,
        [
            (b60, Channel::Web, t(60), Some(b("same here"))),
            (a0, Channel::Web, t(0), Some(b("no login")))
        ]
    );
    assert_eq!(comments(0, 1).await.len(), 1);
    assert_eq!(comments(60, 10).await.len(), 1, "since included");

    // The operator deletes b's report: once, whatever the repeats, each one audited.
    assert!(store
        .delete_report(b60, &audit(t(700), "delete_report"))
        .await
        .unwrap());
    assert!(store
        .delete_report(b60, &audit(t(800), "delete_report"))
        .await
        .unwrap());
    let deleted = store.reports_deleted(t(700)).await.unwrap();
    assert_eq!(
        tallied(&deleted),
        [(b60, "b", Channel::Web, t(60), true, true)]
    );
    assert_eq!(
        deleted[0].deleted_at,
        Some(t(700)),
        "the first deletion holds"
    );
    assert!(store
        .reports_deleted(t(700) + ms(1))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE target = 'report:{b60}'"
        ))
        .await,
        2
    );
    assert_eq!(
        comments(0, 10).await.len(),
        1,
        "a deleted comment is not shown"
    );
    assert_eq!(
        counts(0, 600).await[1],
        (b("bmce"), Channel::Web, 1),
        "nor counted"
    );
    // Deleted, it no longer holds b's next report back.
    let third = [report("b", "bmce", Channel::Web, 620, None)];
    let (b620, b620_counted) =
        accepted(&store.add_reports(&third, PER_HOUR, dedup()).await.unwrap()[0]);
    assert!(b620_counted);

    // The tally reads on by id: from the first report at or after `since`, or after an id.
    let all = store.reports_after(None, t(0), 100).await.unwrap();
    assert_eq!(
        tallied(&all),
        [
            (a0, "a", Channel::Web, t(0), true, false),
            (a60, "a", Channel::Web, t(60), false, false),
            (b60, "b", Channel::Web, t(60), true, true),
            (a120, "a", Channel::Atm, t(120), true, false),
            (c200, "c", Channel::Mobile, t(200), true, false),
            (b600, "b", Channel::Web, t(600), false, false),
            (a3700, "a", Channel::Web, t(3700), true, false),
            (b620, "b", Channel::Web, t(620), true, false),
        ]
    );
    assert_eq!(all[0].bank, "bmce");
    let ids = |rows: Vec<TalliedReport>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.reports_after(None, t(3000), 100).await.unwrap()),
        [a3700, b620],
        "every report stored after the first one at or after since"
    );
    assert_eq!(
        ids(store.reports_after(Some(c200), t(0), 2).await.unwrap()),
        [b600, a3700]
    );
    assert!(store
        .reports_after(None, t(3701), 100)
        .await
        .unwrap()
        .is_empty());

    // One reporter's reports of one bank and channel since a time, deleted ones too.
    let mut mine = store
        .reporter_reports("bmce", Channel::Web, "b", t(60))
        .await
        .unwrap();
    mine.sort_by_key(|r| r.id);
    assert_eq!(ids(mine), [b60, b600, b620]);
    assert!(store
        .reporter_reports("bmce", Channel::Atm, "b", t(0))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn report_buckets_count_distinct_reporters_per_channel() {
    let db = Fresh::open().await;
    let store = &db.store;
    let five = Duration::minutes(5);
    assert!(store
        .report_buckets("bmce", t(0), t(3600), five)
        .await
        .unwrap()
        .is_empty());
    let batch = [
        report("a", "bmce", Channel::Web, 0, None),
        report("b", "bmce", Channel::Web, 30, None),
        report("a", "bmce", Channel::Web, 40, None),
        report("a", "bmce", Channel::Atm, 50, None),
        report("c", "bmce", Channel::Web, 620, None),
        report("d", "cih", Channel::Web, 10, None),
        report("e", "bmce", Channel::Web, 3600, None),
    ];
    let outcomes = store.add_reports(&batch, 10, dedup()).await.unwrap();
    let b_id = accepted(&outcomes[1]).0;
    assert!(store
        .delete_report(b_id, &audit(t(100), "delete_report"))
        .await
        .unwrap());
    let mut buckets: Vec<_> = store
        .report_buckets("bmce", t(0), t(3600), five)
        .await
        .unwrap()
        .into_iter()
        .map(|b| (b.start, b.channel, b.reporters))
        .collect();
    buckets.sort_by_key(|b| (b.0, b.1.as_str()));
    // t(0) is 08:00:00.250: buckets start on whole multiples of their width.
    let at = |m: i64| t(m * 60) - ms(250);
    assert_eq!(
        buckets,
        [
            (at(0), Channel::Atm, 1),
            (at(0), Channel::Web, 1),
            (at(10), Channel::Web, 1)
        ],
        "counted, not deleted, distinct, of the bank, until excluded"
    );
}

#[tokio::test]
async fn what_reporters_said_is_counted_once_each() {
    let db = Fresh::open().await;
    let store = &db.store;
    let said =
        |reporter: &str, at: i64, symptom: Option<Symptom>, city: Option<&str>, works| NewReport {
            symptom,
            city: city.map(str::to_owned),
            works,
            ..report(reporter, "bmce", Channel::Atm, at, None)
        };
    let batch = [
        said("a", 0, Some(Symptom::NoCash), Some("rabat"), false),
        // A repeat within the dedup span is stored uncounted: it says nothing more.
        said("a", 60, Some(Symptom::CardRetained), Some("fes"), false),
        said("b", 0, Some(Symptom::NoCash), Some("rabat"), false),
        said("c", 0, None, None, false),
        said("d", 0, None, None, true),
        // Saying it works is kept apart from a problem: not a repeat of a's.
        said("a", 120, None, None, true),
        said("e", 0, Some(Symptom::NoCash), Some("casablanca"), false),
    ];
    let outcomes = store.add_reports(&batch, 10, dedup()).await.unwrap();
    let counted: Vec<bool> = outcomes.iter().map(|o| accepted(o).1).collect();
    assert_eq!(counted, [true, false, true, true, true, true, true]);
    let e = accepted(&outcomes[6]).0;
    assert!(store
        .delete_report(e, &audit(t(200), "delete_report"))
        .await
        .unwrap());
    let mut facets = store.report_facets("bmce", t(0), t(3600)).await.unwrap();
    facets.sort_by(|x, y| {
        (x.works, x.city.clone(), x.symptom).cmp(&(y.works, y.city.clone(), y.symptom))
    });
    let facet = |works, symptom, city: Option<&str>, reporters| ReportFacet {
        channel: Channel::Atm,
        works,
        symptom,
        city: city.map(str::to_owned),
        reporters,
    };
    assert_eq!(
        facets,
        [
            facet(false, None, None, 1),
            facet(false, Some(Symptom::NoCash), None, 2),
            facet(false, None, Some("rabat"), 2),
            facet(true, None, None, 2),
        ],
        "counted and not deleted, each reporter once per thing said"
    );
    assert!(store
        .report_facets("cih", t(0), t(3600))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .report_facets("bmce", t(3600), t(7200))
        .await
        .unwrap()
        .is_empty());
    // Units are problems only, counted and not deleted.
    let mut units: Vec<String> = store
        .report_units(t(0), t(3600))
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.reporter)
        .collect();
    units.sort();
    assert_eq!(units, ["a", "b", "c"]);
    let tallied = store.reports_after(None, t(0), 100).await.unwrap();
    assert_eq!(tallied.iter().filter(|r| r.works).count(), 2);
    assert!(tallied
        .iter()
        .all(|r| r.network == format!("net-{}", r.reporter)));
}

#[tokio::test]
async fn moderation_shows_where_reports_come_from_and_deletes_a_reporter_s() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert_eq!(
        store.moderation(None, t(0), 10).await.unwrap(),
        bankstatus::store::Moderation::default()
    );
    assert_eq!(
        store
            .delete_reporter_reports(1, &audit(t(0), "delete_reporter_reports"))
            .await
            .unwrap(),
        None
    );
    let batch = [
        report("flood", "bmce", Channel::Atm, 0, Some("spam 1")),
        report("flood", "bmce", Channel::Atm, 10, Some("spam 2")),
        report("flood", "bmce", Channel::Transfers, 20, None),
        report("amina", "bmce", Channel::Atm, 30, Some("pas d'argent")),
        report("omar", "cih", Channel::Web, 40, None),
    ];
    let ids: Vec<i64> = store
        .add_reports(&batch, 20, dedup())
        .await
        .unwrap()
        .iter()
        .map(|o| accepted(o).0)
        .collect();
    let m = store.moderation(Some("bmce"), t(0), 10).await.unwrap();
    let listed: Vec<(i64, &str, i64, bool)> = m
        .reports
        .iter()
        .map(|r| (r.id, r.reporter.as_str(), r.reporter_reports, r.counted))
        .collect();
    assert_eq!(
        listed,
        [
            (ids[3], "amina", 1, true),
            (ids[2], "flood", 3, true),
            (ids[1], "flood", 3, false),
            (ids[0], "flood", 3, true)
        ],
        "newest first, the repeat within the dedup span uncounted"
    );
    assert_eq!(m.reports[0].comment.as_deref(), Some("pas d'argent"));
    assert_eq!(m.reports[0].network, "net-amina");
    let channels: Vec<(&str, Channel, i64, i64, i64)> = m
        .channels
        .iter()
        .map(|c| {
            (
                c.bank.as_str(),
                c.channel,
                c.reports,
                c.reporters,
                c.networks,
            )
        })
        .collect();
    assert_eq!(
        channels,
        [
            ("bmce", Channel::Atm, 3, 2, 2),
            ("bmce", Channel::Transfers, 1, 1, 1)
        ]
    );
    let networks: Vec<(&str, i64, DateTime<Utc>)> = m
        .networks
        .iter()
        .map(|n| (n.network.as_str(), n.reports, n.last_at))
        .collect();
    assert_eq!(networks, [("net-flood", 3, t(20)), ("net-amina", 1, t(30))]);
    // Since a time, and at most so many.
    let late = store.moderation(None, t(25), 1).await.unwrap();
    assert_eq!(
        late.reports.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[4]]
    );
    assert_eq!(late.channels.len(), 2);
    // Every report of the flood's reporter, by one of them.
    let entry = audit(t(50), "delete_reporter_reports");
    assert_eq!(
        store.delete_reporter_reports(ids[1], &entry).await.unwrap(),
        Some(3)
    );
    assert_eq!(
        store.delete_reporter_reports(ids[0], &entry).await.unwrap(),
        Some(0),
        "nothing left to delete, still recorded as asked"
    );
    let m = store.moderation(Some("bmce"), t(0), 10).await.unwrap();
    assert_eq!(m.reports.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[3]]);
    let deleted: Vec<i64> = store
        .reports_deleted(t(50))
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(deleted, ids[..3]);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'delete_reporter_reports'")
            .await,
        2
    );
}
