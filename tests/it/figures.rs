//! Figures a journalist would quote: each incident's evidence stays inside its own span,
//! and no French or Arabic message carries a library's English error.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::DateTime;

use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp};

fn at(v: &serde_json::Value) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_outages_in_a_row_each_keep_their_own_evidence() {
    let fake = FakeBank::start().await;
    let p = probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n  successes_before_recovery = 1\n",
    );
    let mut text = bank_config("trio", &[p], &[]);
    text.push_str("\n[probing]\nreopen_within = \"0s\"\n");
    let mut app = TestApp::spawn(&text).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        fake.state.failing.store(true, Ordering::SeqCst);
        let id = eventually(Duration::from_secs(10), "an outage", || async {
            channel_status(&app, "trio", "web").await["incident_id"]
                .as_i64()
                .filter(|id| !ids.contains(id))
        })
        .await;
        app.counter_grows("bankstatus_probe_runs_total{outcome=\"down\"}", 3.0)
            .await;
        fake.state.failing.store(false, Ordering::SeqCst);
        eventually(Duration::from_secs(10), "the recovery", || async {
            let i = app.json(&format!("/api/v1/incidents/{id}")).await;
            (i["state"] == "resolved").then_some(())
        })
        .await;
        ids.push(id);
    }
    for id in ids {
        let ev = eventually(Duration::from_secs(10), "every check stored", || async {
            let ev = app.json(&format!("/incidents/{id}?format=json")).await;
            (ev["probes"][0]["failing"].as_i64() >= Some(2)).then_some(ev)
        })
        .await;
        let (start, end) = (at(&ev["started_at"]), at(&ev["resolved_at"]));
        let p = &ev["probes"][0];
        let first = at(&p["first_failure"]["at"]);
        let last = at(&p["last_failure"]);
        assert!(
            start <= first && first <= end,
            "incident {id}: first failure outside: {ev}"
        );
        assert!(
            start <= last && last <= end,
            "incident {id}: last failure outside: {ev}"
        );
        let failing = p["failing"].as_i64().unwrap();
        // Checks every 200 ms: the span holds no more failures than fit in it.
        let fit = (end - start).num_milliseconds() / 150 + 2;
        assert!(
            failing <= fit,
            "incident {id}: {failing} failures in {fit} slots: {ev}"
        );
    }
    app.stop().await;
}

/// English words of the HTTP and TLS libraries that must never reach a reader in French or
/// Arabic.
const LIBRARY_WORDS: [&str; 8] = [
    "error sending request",
    "operation timed out",
    "onnection refused",
    "tcp connect",
    "invalid peer certificate",
    "InvalidContentType",
    "client error",
    "CaUsedAsEndEntity",
];

/// The page without the labelled technical detail, which keeps the library's own words.
fn public_words(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<code dir=\"ltr\">") {
        out.push_str(&rest[..i]);
        rest = rest[i..].split_once("</code>").map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_french_or_arabic_message_carries_a_library_error() {
    let fake = FakeBank::start().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let fast = "  interval = \"200ms\"\n  timeout = \"500ms\"\n  failures_before_outage = 2\n";
    let mut text = bank_config("slow", &[probe("web", &fake.url("/hang"), fast)], &[]);
    for (slug, url) in [
        ("shut", format!("http://{closed}/")),
        ("tlsx", fake.url("/up").replace("http://", "https://")),
    ] {
        text.push_str(&format!(
            "\n[[banks]]\nslug = \"{slug}\"\nname = {{ ar = \"بنك\", fr = \"Banque {slug}\", en = \"Bank {slug}\" }}\n  [[banks.probes]]\n{}\n",
            probe("web", &url, fast)
        ));
    }
    let mut app = TestApp::spawn(&text).await;
    let mut incidents = Vec::new();
    for slug in ["slow", "shut", "tlsx"] {
        let id = eventually(Duration::from_secs(15), "an outage", || async {
            channel_status(&app, slug, "web").await["incident_id"].as_i64()
        })
        .await;
        incidents.push((slug, id));
    }
    let mut pages = vec!["/?lang=fr".to_owned(), "/?lang=ar".to_owned()];
    for (slug, id) in &incidents {
        for lang in ["fr", "ar"] {
            pages.push(format!("/banks/{slug}?lang={lang}"));
            pages.push(format!("/incidents/{id}?lang={lang}"));
            pages.push(format!("/banks/{slug}/feed.rss?lang={lang}"));
            pages.push(format!("/banks/{slug}/feed.atom?lang={lang}"));
        }
    }
    for path in &pages {
        let (status, body) = app.text(path).await;
        assert!(status.is_success(), "{path}: {status}");
        let words = public_words(&body);
        for w in LIBRARY_WORDS {
            assert!(!words.contains(w), "{path} carries `{w}`");
        }
    }
    // The detail is kept, labelled, for whoever needs it.
    let (_, page) = app
        .text(&format!("/incidents/{}?lang=fr", incidents[1].1))
        .await;
    assert!(page.contains("Détail technique"), "no technical detail");
    let raw = page.split("<code dir=\"ltr\">").nth(1).unwrap_or_default();
    assert!(
        LIBRARY_WORDS.iter().any(|w| raw.contains(w)) || raw.contains("refused"),
        "the detail is the library's own: {raw}"
    );
    app.stop().await;
}

/// Per bank and channel, the time figures of a scorecard JSON: seconds unannounced,
/// announced and overrun.
pub(crate) fn seconds_of(card: &serde_json::Value) -> std::collections::BTreeMap<String, [i64; 3]> {
    let mut out = std::collections::BTreeMap::new();
    let figures = |v: &serde_json::Value| {
        [
            "unannounced_seconds",
            "announced_seconds",
            "overrun_seconds",
        ]
        .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("no {k} in {v}")))
    };
    for b in card["banks"].as_array().unwrap() {
        let slug = b["slug"].as_str().unwrap();
        out.insert(slug.to_owned(), figures(b));
        for c in b["channels"].as_array().unwrap() {
            out.insert(
                format!("{slug}/{}", c["channel"].as_str().unwrap()),
                figures(c),
            );
        }
    }
    out
}

fn add<const N: usize>(
    into: &mut std::collections::BTreeMap<String, [i64; N]>,
    more: std::collections::BTreeMap<String, [i64; N]>,
) {
    for (k, v) in more {
        let e = into.entry(k).or_insert([0; N]);
        for i in 0..N {
            e[i] += v[i];
        }
    }
}

/// The CSV's per-row seconds, keyed by bank/channel.
pub(crate) fn csv_seconds(csv: &str) -> std::collections::BTreeMap<String, [i64; 3]> {
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (bank, channel) = (col("bank"), col("channel"));
    let cols = [
        col("unannounced_seconds"),
        col("announced_seconds"),
        col("overrun_seconds"),
    ];
    lines
        .map(|l| {
            // A quoted bank name may hold commas: columns after it are counted from the end.
            let f: Vec<&str> = l.split(',').collect();
            let back = |c: usize| f[f.len() - (header.len() - c)];
            (
                format!("{}/{}", f[bank], back(channel)),
                cols.map(|c| back(c).parse::<i64>().unwrap()),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_is_the_sum_of_its_months_and_of_its_quarters_to_the_second() {
    use crate::record::{config, hourly_checks, past_outage, utc, window};
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&config(&fake)).await;
    // Across the year's start, a month's end, a quarter's end, both channels at once, odd
    // seconds, and a window with an outage inside it.
    past_outage(
        &app,
        "aaa",
        &["web"],
        "2024-12-31T23:30",
        "2025-01-01T00:30:07",
    )
    .await;
    let both = past_outage(
        &app,
        "aaa",
        &["web", "mobile"],
        "2025-02-10T09:00:13",
        "2025-02-10T10:30:59",
    )
    .await;
    past_outage(
        &app,
        "aaa",
        &["mobile"],
        "2025-03-31T23:10:01",
        "2025-04-01T01:00:02",
    )
    .await;
    past_outage(
        &app,
        "bbb",
        &["web"],
        "2025-06-30T23:59:30",
        "2025-07-01T00:00:31",
    )
    .await;
    window(&app, "aaa", "2025-08-09T22:00", "2025-08-10T02:00").await;
    past_outage(
        &app,
        "aaa",
        &["web"],
        "2025-08-09T23:00",
        "2025-08-10T00:00:09",
    )
    .await;
    past_outage(
        &app,
        "bbb",
        &["web"],
        "2025-11-30T22:00:05",
        "2025-12-01T03:00:00",
    )
    .await;
    // Checks of aaa's web across January's end and around the August window, so the time
    // monitored, available and in maintenance has something to add up.
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();
    let tz = chrono_tz::Africa::Casablanca;
    for (from, to) in [
        (utc(2025, 1, 25, 0, 0), utc(2025, 2, 15, 0, 0)),
        (utc(2025, 8, 9, 0, 0), utc(2025, 8, 11, 0, 0)),
    ] {
        store
            .insert_results(&hourly_checks("aaa", from, to, (from, from)), tz)
            .await
            .unwrap();
    }
    app.logged().await;

    // The incident's time in the API is its time in the month's figures, to the second.
    let api = app.json(&format!("/api/v1/incidents/{both}")).await;
    let feb = app.json("/scorecard/2025-02?format=json").await;
    assert_eq!(api["down_seconds"], 5446, "{api}");
    assert_eq!(seconds_of(&feb)["aaa/web"][0], 5446);
    assert_eq!(api["since"], api["started_at"], "never reopened");

    let year = app.json("/scorecard/2025?format=json").await;
    assert_eq!(year["month"], "2025");
    assert_eq!(year["period"], "year");
    let year_seconds = seconds_of(&year);
    let mut months = std::collections::BTreeMap::new();
    let mut quarters = std::collections::BTreeMap::new();
    for m in 1..=12 {
        let card = app
            .json(&format!("/scorecard/2025-{m:02}?format=json"))
            .await;
        assert_eq!(card["period"], "month");
        add(&mut months, seconds_of(&card));
    }
    for q in 1..=4 {
        let card = app.json(&format!("/scorecard/2025-Q{q}?format=json")).await;
        assert_eq!(card["period"], "quarter");
        add(&mut quarters, seconds_of(&card));
    }
    assert_eq!(year_seconds, months, "the year against its months");
    assert_eq!(year_seconds, quarters, "the year against its quarters");
    // The figures people compare add up the same way: significant outages, time monitored,
    // available and in announced windows, for each bank and channel.
    let year_compared = compared_of(&year);
    let (mut months_compared, mut quarters_compared) = Default::default();
    for m in 1..=12 {
        let card = app
            .json(&format!("/scorecard/2025-{m:02}?format=json"))
            .await;
        add(&mut months_compared, compared_of(&card));
    }
    for q in 1..=4 {
        let card = app.json(&format!("/scorecard/2025-Q{q}?format=json")).await;
        add(&mut quarters_compared, compared_of(&card));
    }
    assert_eq!(
        year_compared, months_compared,
        "compared: the year against its months"
    );
    assert_eq!(
        year_compared, quarters_compared,
        "compared: against its quarters"
    );
    // Outages of 30 unannounced minutes or more, counted where they began: aaa's February
    // one (both channels, one for the bank) and its March one (mobile); not the one begun
    // on 31 December, nor the one inside the August window; bbb's November one, not its
    // minute at the end of June.
    assert_eq!(year_compared["aaa"][0], 2);
    assert_eq!(year_compared["aaa/web"][0], 1);
    assert_eq!(year_compared["aaa/mobile"][0], 2);
    assert_eq!(year_compared["bbb"][0], 1);
    let web = year_compared["aaa/web"];
    assert!(web[1] > 0 && web[2] < web[1] && web[3] > 0, "{web:?}");
    // Both availabilities come from those seconds, truncated.
    let aaa_web = year["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "aaa")
        .and_then(|b| b["channels"].as_array())
        .and_then(|c| c.iter().find(|c| c["channel"] == "web"))
        .unwrap();
    let truncated = |a: i64, b: i64| (a * 10_000 / b) as f64 / 100.0;
    assert_eq!(aaa_web["availability_percent"], truncated(web[2], web[1]));
    assert_eq!(
        aaa_web["availability_maintenance_excluded_percent"],
        truncated(web[2], web[1] - web[3])
    );
    // Something to add up: the Feb outage on both channels counts once for the bank.
    let aaa = year_seconds["aaa"];
    assert!(aaa[0] > 0 && aaa[1] > 0, "{aaa:?}");
    assert!(aaa[0] < year_seconds["aaa/web"][0] + year_seconds["aaa/mobile"][0]);
    assert_eq!(year_seconds["bbb"][0], year_seconds["bbb/web"][0]);

    // CSV: the same seconds, row by row.
    let (_, csv) = app.text("/scorecard/2025?format=csv").await;
    let mut csv_months = std::collections::BTreeMap::new();
    for m in 1..=12 {
        let (_, c) = app
            .text(&format!("/scorecard/2025-{m:02}?format=csv"))
            .await;
        add(&mut csv_months, csv_seconds(&c));
    }
    let year_rows = csv_seconds(&csv);
    assert_eq!(year_rows, csv_months);
    assert_eq!(year_rows["aaa/web"], year_seconds["aaa/web"]);
    // And the compared figures' columns, the bank's repeated on each of its rows.
    let mut csv_compared_months = std::collections::BTreeMap::new();
    for m in 1..=12 {
        let (_, c) = app
            .text(&format!("/scorecard/2025-{m:02}?format=csv"))
            .await;
        add(&mut csv_compared_months, csv_compared(&c));
    }
    let year_compared_rows = csv_compared(&csv);
    assert_eq!(year_compared_rows, csv_compared_months);
    assert_eq!(year_compared_rows["aaa/web"], year_compared["aaa/web"]);
    assert_eq!(year_compared_rows["aaa/bank"][0], year_compared["aaa"][0]);

    // HTML: each bank's totals to the second, as the JSON gives them.
    let (status, html) = app.text("/scorecard/2025?lang=en").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let said = format!("{} s unannounced", group(aaa[0]));
    assert!(html.contains(&said), "{said} not in the year's page");
    assert!(
        html.contains("<h1>Yearly scorecard: 2025"),
        "the year's page says so"
    );
    assert!(!html.contains("over the month"));
    // The page's figures in the shapes people compare add up to its months' pages, row by
    // row, and the year's month-by-month line is each month's total.
    let year_table = html_compared(&html, "aaa");
    let mut month_tables: std::collections::BTreeMap<String, [i64; 4]> = Default::default();
    let by_month = html_by_month(&html, "aaa");
    assert_eq!(by_month.len(), 13, "twelve months and the year's total");
    for m in 1..=12 {
        let month = format!("2025-{m:02}");
        let (_, page) = app.text(&format!("/scorecard/{month}?lang=en")).await;
        let table = html_compared(&page, "aaa");
        let total = table.get("All channels").copied().unwrap_or_default();
        assert_eq!(
            by_month[&month], total,
            "{month}: the year's line against its page"
        );
        add(&mut month_tables, table);
    }
    assert_eq!(
        year_table, month_tables,
        "the year's table against its months'"
    );
    assert_eq!(by_month["Whole period"], year_table["All channels"]);
    assert_eq!(
        year_table["All channels"],
        [year_compared["aaa"][0], aaa[0], aaa[1], aaa[2],]
    );
    assert!(html.contains("Significant outages (≥ 30 min)"));
    assert!(
        !html.contains("100.00 %"),
        "no channel with downtime reads 100.00 %"
    );
    let (status, html) = app.text("/scorecard/2025-Q1?lang=fr").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(html.contains("1e trimestre 2025"));
    assert!(
        html.contains("<h1>Bilan trimestriel : 1e trimestre 2025")
            || html.contains("<h1>Bilan trimestriel: 1e trimestre 2025")
    );
    for bad in ["/scorecard/2025-Q5", "/scorecard/19999"] {
        let (status, _) = app.text(bad).await;
        assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{bad}");
    }
    app.stop().await;
}

/// Per bank and channel of a scorecard JSON, the figures people compare that add up:
/// significant outages, seconds monitored, available and in announced windows.
fn compared_of(card: &serde_json::Value) -> std::collections::BTreeMap<String, [i64; 4]> {
    let mut out = std::collections::BTreeMap::new();
    let figures = |v: &serde_json::Value| {
        [
            "significant_outages",
            "monitored_seconds",
            "available_seconds",
            "maintenance_monitored_seconds",
        ]
        .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("no {k} in {v}")))
    };
    for b in card["banks"].as_array().unwrap() {
        let slug = b["slug"].as_str().unwrap();
        out.insert(slug.to_owned(), figures(b));
        for c in b["channels"].as_array().unwrap() {
            out.insert(
                format!("{slug}/{}", c["channel"].as_str().unwrap()),
                figures(c),
            );
        }
    }
    out
}

/// The CSV's compared columns by bank/channel, and each bank's own as `bank/bank`
/// (significant outages, unannounced, announced and overrun seconds).
fn csv_compared(csv: &str) -> std::collections::BTreeMap<String, [i64; 4]> {
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (bank, channel) = (col("bank"), col("channel"));
    let mine = [
        col("significant_outages"),
        col("monitored_seconds"),
        col("available_seconds"),
        col("maintenance_monitored_seconds"),
    ];
    let banks = [
        col("bank_significant_outages"),
        col("bank_unannounced_seconds"),
        col("bank_announced_seconds"),
        col("bank_overrun_seconds"),
    ];
    let mut out = std::collections::BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let back = |c: usize| f[f.len() - (header.len() - c)].parse::<i64>().unwrap();
        out.insert(
            format!("{}/{}", f[bank], f[f.len() - (header.len() - channel)]),
            mine.map(back),
        );
        // Repeated on each row of the bank: kept once.
        out.insert(format!("{}/bank", f[bank]), banks.map(back));
    }
    out
}

/// `h:mm:ss` back into seconds.
fn clock_seconds(s: &str) -> i64 {
    let parts: Vec<i64> = s.split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600 + parts[1] * 60 + parts[2]
}

/// The cells of each row of one of a bank's tables on the page, by the row's head.
fn table_rows(html: &str, id: &str) -> Vec<(String, Vec<String>)> {
    let Some(at) = html.find(&format!("id=\"{id}\"")) else {
        return Vec::new();
    };
    let table = html[at..].split("</table>").next().unwrap();
    table
        .split("<tr")
        .filter(|r| r.contains("scope=\"row\""))
        .map(|r| {
            let head = r.split("scope=\"row\">").nth(1).unwrap();
            let head = head.split("</th>").next().unwrap();
            // A month's head is a link to its page.
            let head = head.rsplit("\">").next().unwrap().trim_end_matches("</a>");
            let cells = r
                .split("<td")
                .skip(1)
                .map(|c| {
                    c.split_once('>')
                        .unwrap()
                        .1
                        .split("</td>")
                        .next()
                        .unwrap()
                        .to_owned()
                })
                .collect();
            (head.to_owned(), cells)
        })
        .collect()
}

/// A bank's compared table on the page, by row: significant outages, and the unannounced,
/// announced and overrun seconds.
fn html_compared(html: &str, slug: &str) -> std::collections::BTreeMap<String, [i64; 4]> {
    table_rows(html, &format!("compare-{slug}"))
        .into_iter()
        .map(|(head, c)| {
            (
                head,
                [
                    c[0].parse().unwrap(),
                    clock_seconds(&c[1]),
                    clock_seconds(&c[4]),
                    clock_seconds(&c[5]),
                ],
            )
        })
        .collect()
}

/// A bank's month-by-month line on a quarter's or a year's page, as [`html_compared`].
fn html_by_month(html: &str, slug: &str) -> std::collections::BTreeMap<String, [i64; 4]> {
    table_rows(html, &format!("months-{slug}"))
        .into_iter()
        .map(|(head, c)| {
            (
                head,
                [
                    c[0].parse().unwrap(),
                    clock_seconds(&c[1]),
                    clock_seconds(&c[2]),
                    clock_seconds(&c[3]),
                ],
            )
        })
        .collect()
}

/// Thousands grouped as the English page writes them.
pub(crate) fn group(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_channel_failing_at_three_banks_is_said_to_be_shared() {
    use crate::record::past_outage;
    let fake = FakeBank::start().await;
    let url = fake.url("/up");
    let mut text = String::from("timezone = \"Africa/Casablanca\"\ndefault_language = \"en\"\n");
    for slug in ["aaa", "bbb", "ccc", "ddd"] {
        text.push_str(&format!(
            "[[banks]]\nslug = \"{slug}\"\nname = {{ fr = \"Banque {slug}\", en = \"Bank {slug}\" }}\n\
             [[banks.probes]]\nchannel = \"web\"\nurl = \"{url}\"\ninterval = \"1m\"\n"
        ));
    }
    let mut app = TestApp::spawn(&text).await;
    // ATMs of three banks within two minutes (two probe intervals)...
    let mut ids = Vec::new();
    for (slug, at) in [("aaa", "10:00"), ("bbb", "10:01"), ("ccc", "10:02")] {
        let from = format!("2025-03-04T{at}");
        ids.push(past_outage(&app, slug, &["atm"], &from, "2025-03-04T10:40").await);
    }
    // ...and a bank alone, on another day.
    let alone = past_outage(
        &app,
        "ddd",
        &["atm"],
        "2025-03-05T10:00",
        "2025-03-05T10:40",
    )
    .await;
    app.logged().await;
    let card = app.json("/scorecard/2025-03?format=json").await;
    let shared = card["shared"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{shared:?}");
    assert_eq!(shared[0]["banks"], serde_json::json!(["aaa", "bbb", "ccc"]));
    assert_eq!(shared[0]["channel"], "atm");
    for b in card["banks"].as_array().unwrap() {
        let want = i64::from(b["slug"] != "ddd");
        assert_eq!(b["shared_outages"], want, "{}", b["slug"]);
    }
    let (_, html) = app.text("/scorecard/2025-03?lang=en").await;
    assert!(html.contains(
        "Several banks at once: possibly a shared system (interbank switch, card network, telecom)"
    ));
    let listed = html.split("id=\"shared\"").nth(1).unwrap_or_default();
    for name in ["Bank aaa", "Bank bbb", "Bank ccc"] {
        assert!(listed.contains(name), "{name} not listed apart");
    }
    assert!(!listed.contains("Bank ddd"), "a bank alone is not shared");

    // Each incident page says so and links the other two, in its page and its data.
    let label =
        "Several banks at once: possibly a shared system (interbank switch, card network, telecom)";
    for &id in &ids {
        let (_, page) = app.text(&format!("/incidents/{id}?lang=en")).await;
        let shared = page.split("id=\"shared-atm\"").nth(1).unwrap_or_default();
        assert!(page.contains(label), "incident {id} not labelled");
        assert!(shared.contains("ATMs failed at 3 banks"), "{shared}");
        for other in ids.iter().filter(|o| **o != id) {
            assert!(
                shared.contains(&format!("href=\"/incidents/{other}\"")),
                "incident {id} does not link {other}"
            );
        }
        let ev = app.json(&format!("/incidents/{id}?format=json")).await;
        let linked: Vec<i64> = ev["shared"][0]["others"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        let others: Vec<i64> = ids.iter().copied().filter(|o| *o != id).collect();
        assert_eq!(linked, others, "{ev}");
        assert_eq!(
            ev["shared"][0]["banks"],
            serde_json::json!(["aaa", "bbb", "ccc"])
        );
        for lang in ["fr", "ar"] {
            let (_, page) = app.text(&format!("/incidents/{id}?lang={lang}")).await;
            assert!(page.contains("id=\"shared-atm\""), "{lang}: not labelled");
        }
    }
    let (_, page) = app.text(&format!("/incidents/{alone}?lang=en")).await;
    assert!(
        !page.contains(label),
        "a failure at one bank is labelled shared"
    );
    let ev = app.json(&format!("/incidents/{alone}?format=json")).await;
    assert_eq!(ev["shared"], serde_json::json!([]));
    app.stop().await;
}
