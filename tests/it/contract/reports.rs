//! `ReportStore`: batches admitted with each reporter's hourly allowance and dedup span
//! (earlier batches and deletions included), comments, the operator's deletion, counts of
//! distinct reporters, the tally's reading on by id, and the chart's buckets.

use bankstatus::domain::Channel;
use bankstatus::store::{NewReport, ReportOutcome, TalliedReport};
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
        comment: comment.map(str::to_owned),
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
        .report_counts(t(-1), t(86_400))
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
            let mut counts: Vec<_> = store
                .report_counts(t(from), t(to))
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.bank, c.channel, c.reporters))
                .collect();
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
