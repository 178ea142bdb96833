//! The bank page's 90 daily bars come from the roll-ups, not from raw results.

use chrono::{Duration, NaiveTime, TimeZone, Utc};

use bankstatus::domain::{Channel, ErrorClass, Outcome, ProbeResult, ProbeTarget};

use crate::helpers::{bank_config, probe, FakeBank, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ninety_days_of_bars_render_from_rollups() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&bank_config(
        "hist",
        &[probe("web", &fake.url("/up"), "  interval = \"1h\"\n")],
        &[],
    ))
    .await;
    let tz = chrono_tz::Africa::Casablanca;
    let today = Utc::now().with_timezone(&tz).date_naive();

    // Ten checks at local noon on each of the 89 days before today:
    // every 10th day all down, day 5 one down in ten, days 60 to 69 without data.
    let mut results = Vec::new();
    for d in 1..=89i64 {
        if (60..=69).contains(&d) {
            continue;
        }
        let noon = tz
            .from_local_datetime(
                &(today - Duration::days(d)).and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap()),
            )
            .earliest()
            .unwrap()
            .with_timezone(&Utc);
        for k in 0..10 {
            let down = d % 10 == 0 || (d == 5 && k == 0);
            results.push(ProbeResult {
                probe_id: "hist/web/0".into(),
                target: ProbeTarget::Bank {
                    bank: "hist".into(),
                    channel: Channel::Web,
                },
                at: noon + Duration::minutes(k),
                latency_ms: 100,
                http_status: Some(if down { 503 } else { 200 }),
                outcome: if down {
                    Outcome::Down {
                        class: ErrorClass::Status,
                        detail: "HTTP 503".into(),
                    }
                } else {
                    Outcome::Up
                },
                counted: true,
                region: None,
                evidence: Default::default(),
                covers_ms: 60_000,
            });
        }
    }
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();
    store.insert_results(&results, tz).await.unwrap();
    // Raw results are gone: whatever the page shows comes from the roll-ups.
    // (The app's own retention purge may have taken those past 30 days already.)
    store
        .purge_results_before(Utc::now() - Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM probe_results WHERE bank = 'hist' AND at < {}",
            (Utc::now() - Duration::hours(1)).timestamp_millis()
        ))
        .await,
        0
    );

    let (_, html) = app.text("/banks/hist").await;
    let bars = html
        .split("<svg class=\"bars\"")
        .nth(1)
        .unwrap()
        .split("</svg>")
        .next()
        .unwrap();
    assert_eq!(bars.matches("<rect").count(), 90);
    let class_of = |d: i64| {
        let day = (today - Duration::days(d)).to_string();
        let at = bars
            .find(&format!("<title>{day}:"))
            .unwrap_or_else(|| panic!("no bar for {day}"));
        let class = bars[..at].rsplit("class=\"").next().unwrap();
        class.split('"').next().unwrap().to_owned()
    };
    for d in [10, 20, 30, 40, 50, 70, 80] {
        assert_eq!(class_of(d), "b-major", "day -{d}");
    }
    assert_eq!(class_of(5), "b-partial");
    assert!(bars.contains(&format!("{}: 90.00 %", today - Duration::days(5))));
    for d in 60..=69 {
        assert_eq!(class_of(d), "b-none", "day -{d}");
    }
    for d in [1, 2, 11, 59, 71, 89] {
        assert_eq!(class_of(d), "b-ok", "day -{d}");
    }
    // The 90-day figure is time-weighted like the scorecard's: ten one-minute checks a
    // day watch 790 minutes of 90 days, and no outage was recorded in them, so it is a
    // partial figure, said as such.
    assert!(
        html.contains("partial: 100.00 % of the time monitored"),
        "no partial availability shown"
    );
}

/// A day's bar is the time passing checks stood for over the time any check did: a probe
/// that checks every ten seconds while it fails weighs its failures by their ten seconds,
/// not by their number. Stored in two batches, the second cutting short the last check of
/// the first, the day reads the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_bar_is_weighed_by_time_not_by_checks() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&bank_config(
        "wtime",
        &[probe("web", &fake.url("/up"), "  interval = \"1m\"\n")],
        &[],
    ))
    .await;
    let tz = chrono_tz::Africa::Casablanca;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let day = today - Duration::days(3);
    let midnight = tz
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let check = |at: chrono::DateTime<Utc>, up: bool| ProbeResult {
        probe_id: "wtime/web/0".into(),
        target: ProbeTarget::Bank {
            bank: "wtime".into(),
            channel: Channel::Web,
        },
        at,
        latency_ms: 100,
        http_status: Some(if up { 200 } else { 503 }),
        outcome: if up {
            Outcome::Up
        } else {
            Outcome::Down {
                class: ErrorClass::Status,
                detail: "HTTP 503".into(),
            }
        },
        counted: true,
        region: None,
        evidence: Default::default(),
        covers_ms: 60_000,
    };
    // Nine hours passing, a check a minute; a quarter of an hour failing, a check every ten
    // seconds; then 45 minutes passing. By checks 585 of 675 passed (86.66 %); by time 585
    // of 600 minutes (97.50 %).
    let mut results: Vec<ProbeResult> = (0..540)
        .map(|m| check(midnight + Duration::minutes(m), true))
        .collect();
    let failing_from = midnight + Duration::hours(9);
    results.extend((0..90).map(|k| check(failing_from + Duration::seconds(10 * k), false)));
    let back = failing_from + Duration::minutes(15);
    results.extend((0..45).map(|m| check(back + Duration::minutes(m), true)));
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();
    // The first batch ends on a failing check that stands for its minute until the second
    // batch's first check, ten seconds later, cuts it short.
    let (first, second) = results.split_at(540 + 44);
    store.insert_results(first, tz).await.unwrap();
    store.insert_results(second, tz).await.unwrap();

    let (_, html) = app.text("/banks/wtime?lang=en").await;
    let bars = html
        .split("<svg class=\"bars\"")
        .nth(1)
        .unwrap()
        .split("</svg>")
        .next()
        .unwrap();
    let title = format!("<title>{day}: 97.50 %</title>");
    assert!(bars.contains(&title), "{title} not in {bars}");
    let at = bars.find(&title).unwrap();
    let class = bars[..at].rsplit("class=\"").next().unwrap();
    assert!(class.starts_with("b-minor"), "{class}");
    let (_, fr) = app.text("/banks/wtime?lang=fr").await;
    assert!(fr.contains(&format!("<title>{day}: 97.50 %</title>")));
}
