//! The record: the monthly scorecard to the minute (HTML, CSV, JSON), bad and empty months,
//! the history page, and incident pages as evidence.

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use bankstatus::domain::{
    Channel, IncidentKind, IncidentState, Names, Outcome, ProbeResult, ProbeTarget, Source,
};
use bankstatus::store::{NewIncident, NewUpdate};

use crate::helpers::{eventually, FakeBank, TestApp, REPORTS};

pub(crate) fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Two banks: `aaa` probed on web and mobile (its English name needs CSV quoting), `bbb`
/// on web only.
pub(crate) fn config(fake: &FakeBank) -> String {
    let url = fake.url("/up");
    format!(
        "timezone = \"Africa/Casablanca\"\ndefault_language = \"en\"\n{REPORTS}\n\
         [[banks]]\nslug = \"aaa\"\nname = {{ ar = \"بنك أ\", fr = \"Banque A\", en = \"Bank, \\\"A\\\"\" }}\n\
         [[banks.probes]]\nchannel = \"web\"\nurl = \"{url}\"\ninterval = \"1h\"\n\
         [[banks.probes]]\nchannel = \"mobile\"\nurl = \"{url}\"\ninterval = \"1h\"\n\
         [[banks]]\nslug = \"bbb\"\nname = {{ fr = \"Banque B\", en = \"Bank B\" }}\n\
         [[banks.probes]]\nchannel = \"web\"\nurl = \"{url}\"\ninterval = \"1h\"\n"
    )
}

/// One counted check in every UTC hour of `[from, to)` but those in `skip`.
pub(crate) fn hourly_checks(
    bank: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    skip: (DateTime<Utc>, DateTime<Utc>),
) -> Vec<ProbeResult> {
    let mut out = Vec::new();
    let mut h = from;
    while h < to {
        if !(skip.0..skip.1).contains(&h) {
            out.push(ProbeResult {
                probe_id: format!("{bank}/web/0"),
                target: ProbeTarget::Bank {
                    bank: bank.into(),
                    channel: Channel::Web,
                },
                at: h,
                latency_ms: 80,
                http_status: Some(200),
                outcome: Outcome::Up,
                counted: true,
                region: None,
                evidence: Default::default(),
                covers_ms: 3_600_000,
            });
        }
        h += Duration::hours(1);
    }
    out
}

pub(crate) async fn past_outage(
    app: &TestApp,
    bank: &str,
    channels: &[&str],
    from: &str,
    to: &str,
) -> i64 {
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": [bank], "channels": channels,
                    "title": {"en": "Outage", "fr": "Panne"}, "message": {"en": "Known from the press."},
                    "started_at": from, "resolved_at": to, "state": "resolved"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

pub(crate) async fn window(app: &TestApp, bank: &str, starts: &str, ends: &str) -> i64 {
    let (status, v) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": bank, "channels": ["web"], "starts": starts, "ends": ends,
                    "title": {"en": "Planned maintenance"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// February 2026 in Casablanca: 1 Feb 00:00 +01 (31 Jan 23:00 UTC) to 1 Mar 00:00 +00, with
/// the Ramadan change on 15 Feb: 673 hours, 40,380 minutes.
pub(crate) async fn seed_february(app: &TestApp) {
    let tz = chrono_tz::Africa::Casablanca;
    let (from, to) = (utc(2026, 1, 31, 23, 0), utc(2026, 3, 1, 0, 0));
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();
    // aaa/web: no check at all on 3 February (local), so 649 hours are checked.
    let no_data = (utc(2026, 2, 2, 23, 0), utc(2026, 2, 3, 23, 0));
    store
        .insert_results(&hourly_checks("aaa", from, to, no_data), tz)
        .await
        .unwrap();
    store
        .insert_results(&hourly_checks("bbb", from, to, (from, from)), tz)
        .await
        .unwrap();

    // A 4 h window (local times, +01) with a 1 h outage inside it: all announced.
    window(app, "aaa", "2026-02-07T22:00", "2026-02-08T02:00").await;
    past_outage(app, "aaa", &["web"], "2026-02-07T23:00", "2026-02-08T00:00").await;
    // A 2 h window (+00 after the change) that the bank overran by 45 min.
    let w2 = window(app, "aaa", "2026-02-20T10:00", "2026-02-20T12:00").await;
    let overrun = store
        .open_incident(&NewIncident {
            kind: IncidentKind::Outage,
            title: Names::new("", "", "Overrun"),
            started_at: utc(2026, 2, 20, 12, 0),
            recorded_at: utc(2026, 2, 20, 12, 0),
            open_key: None,
            overrun_of: Some(w2),
            scopes: vec![("aaa".into(), Channel::Web)],
            first_update: NewUpdate {
                at: utc(2026, 2, 20, 12, 0),
                state: IncidentState::Investigating,
                source: Source::Probe,
                message: Names::new("", "", "Still down after the window."),
                alert: true,
            },
            later: Vec::new(),
            audit: None,
            reopen: None,
        })
        .await
        .unwrap()
        .id();
    store
        .add_update(
            overrun,
            &NewUpdate {
                at: utc(2026, 2, 20, 12, 45),
                state: IncidentState::Resolved,
                source: Source::Probe,
                message: Names::new("", "", "Back."),
                alert: true,
            },
        )
        .await
        .unwrap();
    // Unannounced, 90 min.
    past_outage(app, "aaa", &["web"], "2026-02-10T09:00", "2026-02-10T10:30").await;
    // Straddling the month's start (30 of its 60 min in February, ended in February)...
    past_outage(app, "aaa", &["web"], "2026-01-31T23:30", "2026-02-01T00:30").await;
    // ...and its end (60 of 120 min in February, ended in March).
    past_outage(app, "aaa", &["web"], "2026-02-28T23:00", "2026-03-01T01:00").await;
    // Across the clock change: 01:30 +01 to 02:30 +00 is 120 real minutes.
    past_outage(
        app,
        "aaa",
        &["web"],
        "2026-02-15T01:30:00+01:00",
        "2026-02-15T02:30:00+00:00",
    )
    .await;
    // bbb: one 30 min outage of web and ATM (ATM has no probe).
    past_outage(
        app,
        "bbb",
        &["web", "atm"],
        "2026-02-12T10:00:00Z",
        "2026-02-12T10:30:00Z",
    )
    .await;
}

fn bank<'a>(card: &'a Value, slug: &str) -> &'a Value {
    card["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == slug)
        .unwrap()
}

fn channel<'a>(bank: &'a Value, channel: &str) -> &'a Value {
    bank["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == channel)
        .unwrap_or_else(|| panic!("no {channel} in {bank}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn february_2026_scorecard_to_the_minute() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    seed_february(&app).await;

    // JSON
    // The scorecard is computed from the log: once a checkpoint holds every fact.
    app.logged().await;
    let card = app.json("/scorecard/2026-02?format=json").await;

    assert_eq!(card["month"], "2026-02");
    assert_eq!(card["minutes"], 40_380);
    assert_eq!(card["complete"], true);
    assert_eq!(card["has_data"], true);
    let a = bank(&card, "aaa");
    assert_eq!(a["rank"], 1);
    let web = channel(a, "web");
    let expect_web = json!({
        "channel": "web",
        "monitored_minutes": 649 * 60,
        "available_minutes": 649 * 60 - 705,
        // Over the time watched, not the whole month: 38,235 of 38,940 minutes, truncated.
        "availability_percent": 98.18,
        "coverage_percent": 96.43,
        "partial": false,
        "announced_minutes": 360,
        "unannounced_minutes": 345,
        "announced_seconds": 360 * 60,
        "unannounced_seconds": 345 * 60,
        "unannounced_channel_minutes": 345,
        "overrun_minutes": 45,
        "overrun_seconds": 45 * 60,
        "incidents": 6,
        "maintenance_windows": 2,
        "median_recovery_minutes": 60,
        "worst_recovery_minutes": 120,
        // The figures people compare: to the second, the window's 6 h left out of the time
        // meant to be available (38,235 of 38,580 min), and the outages of at least 30
        // unannounced minutes begun in February (not the one begun on 31 January, nor the
        // one inside the window).
        "median_recovery_seconds": 3600,
        "monitored_seconds": 649 * 3600,
        "available_seconds": (649 * 60 - 705) * 60,
        "maintenance_monitored_seconds": 360 * 60,
        "availability_maintenance_excluded_percent": 99.10,
        "significant_outages": 4,
    });
    assert_eq!(web, &expect_web);
    // Probed but never checked: no figure, not 100 %.
    let mobile = channel(a, "mobile");
    assert_eq!(mobile["availability_percent"], Value::Null);
    assert_eq!(mobile["monitored_minutes"], 0);
    assert_eq!(a["unannounced_minutes"], 345);
    assert_eq!(a["incidents"], 6);
    // The chart: January holds the 30 min before the month's start.
    let months = a["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(months[11]["month"], "2026-02");
    assert_eq!(months[11]["unannounced_minutes"], 345);
    assert_eq!(months[11]["announced_minutes"], 360);
    assert_eq!(months[10]["month"], "2026-01");
    assert_eq!(months[10]["unannounced_minutes"], 30);
    assert_eq!(months[0]["month"], "2025-03");

    let b = bank(&card, "bbb");
    assert_eq!(b["rank"], 2);
    assert_eq!(channel(b, "web")["availability_percent"], 99.92);
    assert_eq!(channel(b, "web")["unannounced_minutes"], 30);
    let atm = channel(b, "atm");
    assert_eq!(atm["unannounced_minutes"], 30);
    assert_eq!(atm["availability_percent"], Value::Null);
    // One incident on two channels is one incident of the bank, and its half hour counts
    // once; the channel-minutes, labelled apart, count it on each channel.
    assert_eq!(b["unannounced_minutes"], 30);
    assert_eq!(b["unannounced_channel_minutes"], 60);
    assert_eq!(b["incidents"], 1);
    assert_eq!(b["median_recovery_minutes"], 30);

    // CSV: a header, one row per bank and channel, RFC 4180 quoting.
    let r = app.get("/scorecard/2026-02?format=csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "month,rank,bank,bank_name,channel,minutes_in_month,monitored_minutes,available_minutes,availability_percent,announced_minutes,unannounced_minutes,overrun_minutes,incidents,maintenance_windows,median_recovery_minutes,worst_recovery_minutes,complete,bank_outages_begun,bank_outages_with_statement,bank_outages_without_statement,bank_median_first_word_minutes,bank_promises,bank_promises_kept,bank_promises_missed,bank_minutes_past_promises,log_tree_size,log_root_hash,announced_seconds,unannounced_seconds,overrun_seconds,period,significant_outages,monitored_seconds,available_seconds,maintenance_monitored_seconds,availability_maintenance_excluded_percent,median_recovery_seconds,bank_significant_outages,bank_unannounced_seconds,bank_announced_seconds,bank_overrun_seconds"
    );
    assert_eq!(lines.len(), 1 + 2 + 2);
    // The bank's word: no statement, so every outage begun in the month went without one.
    let word = &a["word"];
    assert_eq!(word["outages_with_statement"], 0);
    assert_eq!(word["outages_without_statement"], word["outages"]);
    assert_eq!(word["median_first_word_minutes"], Value::Null);
    let said = format!(",{},0,{},,0,0,0,0", word["outages"], word["outages"]);
    // Each row ends with the log's checkpoint its figures were computed from.
    let named = format!(
        ",{},{}",
        card["checkpoint"]["size"],
        card["checkpoint"]["root"].as_str().unwrap()
    );
    assert_eq!(
        lines[1],
        format!("2026-02,1,aaa,\"Bank, \"\"A\"\"\",web,40380,38940,38235,98.18,360,345,45,6,2,60,120,true{said}{named},21600,20700,2700,month,4,2336400,2294100,21600,99.10,3600,4,20700,21600,2700")
    );
    assert_eq!(
        lines[2],
        format!(
            "2026-02,1,aaa,\"Bank, \"\"A\"\"\",mobile,40380,0,0,,0,0,0,0,0,,,true{said}{named},0,0,0,month,0,0,0,0,,,4,20700,21600,2700"
        )
    );
    assert!(
        lines[3].starts_with("2026-02,2,bbb,Bank B,web,40380,40380,40350,99.92,0,30,0,1,0,30,30,")
    );
    assert!(lines[4].starts_with("2026-02,2,bbb,Bank B,atm,40380,0,0,,0,30,0,1,0,30,30,"));

    // HTML: the same figures, ranked, with how they are computed.
    let (status, html) = app.text("/scorecard/2026-02?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("February 2026"));
    assert!(html.contains("40380"));
    let a_at = html.find("id=\"bank-aaa\"").unwrap();
    let b_at = html.find("id=\"bank-bbb\"").unwrap();
    assert!(a_at < b_at, "aaa is ranked first");
    let a_html = &html[a_at..b_at];
    let web_row = a_html
        .split("<tr>")
        .find(|r| r.contains(">Online banking<"))
        .unwrap();
    // Each cell carries its column's name, for the cards a phone shows.
    for cell in [
        "data-label=\"Availability\">98.18 %</td>",
        "data-label=\"Announced (min)\">360</td>",
        "data-label=\"Unannounced (min)\">345</td>",
        "data-label=\"Overrun\">45 min</td>",
        "data-label=\"Incidents\">6</td>",
        "data-label=\"Maintenance windows\">2</td>",
        "data-label=\"Median recovery\">1 h</td>",
        "data-label=\"Longest recovery\">2 h</td>",
    ] {
        assert!(web_row.contains(cell), "{cell} missing from {web_row}");
    }
    assert!(a_html.contains("<svg class=\"months\""));
    assert!(html.contains("a minute is monitored when a check covered it"));
    assert!(web_row.contains(">38,940 of 40,380 min</td>"), "{web_row}");
    let (_, fr) = app.text("/scorecard/2026-02?lang=fr").await;
    assert!(fr.contains("février 2026"));
    assert!(fr.contains("98.18 %"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_and_empty_months() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    for (path, want, says) in [
        ("/scorecard/2026-13", StatusCode::BAD_REQUEST, "no month 13"),
        ("/scorecard/abc", StatusCode::BAD_REQUEST, "YYYY-MM"),
        ("/scorecard/2099-01", StatusCode::NOT_FOUND, "has not begun"),
        (
            "/scorecard/2026-02?format=xml",
            StatusCode::BAD_REQUEST,
            "format",
        ),
    ] {
        let (status, body) = app.text(path).await;
        assert_eq!(status, want, "{path}");
        assert!(body.contains(says), "{path}: {body}");
        assert!(body.contains("<html"), "{path} answers a page");
    }
    let r = app.get("/scorecard/2026-13?format=json").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("no month 13"),
        "{v}"
    );

    let (status, html) = app.text("/scorecard/2025-06").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"no-data\""));
    assert!(!html.contains("100.00 %"));
    let card = app.json("/scorecard/2025-06?format=json").await;
    assert_eq!(card["has_data"], false);
    assert_eq!(
        channel(bank(&card, "aaa"), "web")["availability_percent"],
        Value::Null
    );
    // The month in progress answers too.
    let (status, html) = app.text("/scorecard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("so far"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_filters_and_pages() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    seed_february(&app).await;
    // 35 past advisories of bbb in January, to page through.
    for i in 0..35 {
        let (status, v) = app
            .post(
                "/api/v1/incidents",
                &json!({"kind": "advisory", "banks": ["bbb"], "title": {"en": format!("Phishing wave {i}")},
                        "started_at": format!("2026-01-{:02}T10:00", i % 28 + 1),
                        "resolved_at": format!("2026-01-{:02}T11:00", i % 28 + 1)}),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let (status, html) = app
        .text("/history?bank=aaa&month=2026-02&kind=outage")
        .await;
    assert_eq!(status, StatusCode::OK);
    // The five outages touching February plus the overrun; no window, nothing of bbb.
    assert_eq!(html.matches("class=\"inc inc-outage").count(), 6, "{html}");
    assert!(!html.contains("inc-maintenance"));
    assert!(!html.contains("Phishing"));
    // Newest first: the one straddling into March leads.
    let first = html
        .split("<li class=\"inc ")
        .nth(1)
        .unwrap()
        .split("</li>")
        .next()
        .unwrap();
    assert!(first.contains("28 Feb 2026, 23:00"), "{first}");

    let (_, html) = app.text("/history?kind=advisory").await;
    assert_eq!(html.matches("Phishing wave").count(), 30);
    let older = html
        .split("href=\"")
        .find_map(|s| {
            s.strip_prefix("/history?")
                .filter(|s| s.contains("before="))
        })
        .map(|s| {
            s.split('"')
                .next()
                .unwrap()
                .replace("&amp;", "&")
                .replace("&#38;", "&")
        })
        .expect("a link to older entries");
    let (status, html) = app.text(&format!("/history?{older}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("Phishing wave").count(), 5);
    assert!(!html.contains("rel=\"next\""));

    let (_, fr) = app.text("/history?lang=fr&channel=atm").await;
    assert!(fr.contains("Historique"));
    assert!(fr.contains("Banque B"));
    for bad in [
        "/history?month=2026-13",
        "/history?kind=party",
        "/history?channel=fax",
        "/history?before=x",
    ] {
        let (status, _) = app.text(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, _) = app.text("/history?bank=nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_page_is_evidence() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    seed_february(&app).await;
    let tz = chrono_tz::Africa::Casablanca;
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();

    // A live outage of bbb/web seen first by a failing probe, then by customers.
    let start = Utc::now() - Duration::minutes(20);
    let failing = |k: i64| ProbeResult {
        probe_id: "bbb/web/0".into(),
        target: ProbeTarget::Bank {
            bank: "bbb".into(),
            channel: Channel::Web,
        },
        at: start + Duration::minutes(k),
        latency_ms: 10_000,
        http_status: None,
        outcome: Outcome::Down {
            class: bankstatus::domain::ErrorClass::Timeout,
            detail: "no answer in 10 s".into(),
        },
        counted: true,
        region: None,
        evidence: Default::default(),
        covers_ms: 60_000,
    };
    store
        .insert_results(&(0..5).map(failing).collect::<Vec<_>>(), tz)
        .await
        .unwrap();
    for i in 0..4 {
        let (status, _) = app.report("bbb", "web", &format!("10.9.0.{i}")).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    // Still open: what the sources saw runs up to now.
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bbb"], "channels": ["web"],
                    "title": {"en": "Online banking down"}, "message": {"en": "Known from the press."},
                    "started_at": start.to_rfc3339(), "state": "identified"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let ev = app.json(&format!("/incidents/{id}?format=json")).await;
    assert_eq!(ev["permalink"], format!("/incidents/{id}"));
    // Times with the zone's offset, as in /api/v1, never in Z.
    let api = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(ev["started_at"], api["started_at"], "{ev}");
    assert!(!ev.to_string().contains("Z\""), "{ev}");
    assert!(
        (20..=21).contains(&ev["duration_minutes"].as_i64().unwrap()),
        "{ev}"
    );
    let probes = &ev["probes"][0];
    assert_eq!(probes["failing"], 5);
    assert_eq!(probes["first_failure"]["error_class"], "timeout");
    assert_eq!(probes["first_failure"]["url"], fake.url("/up"));
    let first_at: DateTime<Utc> = probes["first_failure"]["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first_at.timestamp_millis(), start.timestamp_millis());
    assert_eq!(ev["reports"][0]["reporters"], 4);
    assert_eq!(ev["operator"][0]["message"]["en"], "Known from the press.");
    let (_, html) = app.text(&format!("/incidents/{id}?lang=en")).await;
    assert!(html.contains("What each source saw"));
    assert!(html.contains("First failing check"));
    // Five failing checks of all those made. The live probe of bbb/web may add a good one
    // at any moment: the page is read between two equal counts.
    let (checks, html) = eventually(
        std::time::Duration::from_secs(10),
        "a still count",
        || async {
            let path = format!("/incidents/{id}?format=json");
            let before = app.json(&path).await["probes"][0]["checks"].clone();
            let (_, html) = app.text(&format!("/incidents/{id}?lang=en")).await;
            let after = app.json(&path).await["probes"][0]["checks"].clone();
            (before == after).then_some((before, html))
        },
    )
    .await;
    assert!(html.contains(&format!("5 / {checks}")), "{html}");
    assert!(html.contains("Customers who reported"));
    assert!(html.contains("Known from the press."));
    assert!(html.contains(&format!("href=\"/incidents/{id}?format=json\"")));

    // Put on the record months later, by the operator.
    let old = app
        .json("/api/v1/incidents?bank=aaa&kind=outage&limit=200")
        .await;
    let across = old["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["started_at"]
                .as_str()
                .unwrap()
                .starts_with("2026-02-15T01:30")
        })
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let ev = app.json(&format!("/incidents/{across}?format=json")).await;
    assert_eq!(ev["recorded_later_by"], "operator");
    assert_eq!(ev["duration_minutes"], 120);
    // Raw checks of February are past the 30-day retention: the page says so.
    assert_eq!(ev["probes"][0]["raw_results_kept"], false);
    let (_, html) = app.text(&format!("/incidents/{across}?lang=fr")).await;
    assert!(html.contains("id=\"recorded-later\""));
    assert!(html.contains("2 h"));

    // The tracker's overrun opened late is not "recorded later by the operator".
    let overrun = old["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| !i["overrun_of"].is_null())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let ev = app.json(&format!("/incidents/{overrun}?format=json")).await;
    assert_eq!(ev["recorded_later_by"], Value::Null, "{ev}");
    assert_eq!(ev["overrun_of"]["minutes"], 45);

    // The window overrun: the window's page names the overrun, with its minutes.
    let windows = app
        .json("/api/v1/incidents?bank=aaa&kind=maintenance")
        .await;
    let w2 = windows["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["started_at"].as_str().unwrap().starts_with("2026-02-20"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let ev = app.json(&format!("/incidents/{w2}?format=json")).await;
    assert_eq!(ev["window"]["overruns"][0]["minutes"], 45);
    let (status, _) = app.text(&format!("/incidents/{w2}?format=pdf")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = app.get("/incidents/999999?format=json").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
