//! One figure everywhere. On a seeded history (outages, a reopened one, overruns of two
//! different windows, one of them reopened, a window ended early, a failure at three banks
//! at once) and a live outage that failed again, every duration, overrun, "since" and
//! availability reads the same, field by field, on the incident page and its data, `/`, the
//! bank page, the history, the feeds, `/api/v1`, the Statuspage and CDR documents and the
//! month, quarter and year scorecards; none shows 100.00 % for a channel with downtime.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bankstatus::domain::{
    Channel, IncidentKind, IncidentState, Lang, Names, OpenKey, Outcome, ProbeResult, ProbeTarget,
    Source,
};
use bankstatus::i18n::{duration_seconds, local_time};
use bankstatus::store::{DynStore, NewIncident, NewUpdate};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde_json::{json, Value};

use crate::figures::{csv_seconds, group, seconds_of};
use crate::helpers::{channel_in, channel_status, eventually, FakeBank, TestApp, REPORTS};
use crate::record::{past_outage, window};

const TZ: chrono_tz::Tz = chrono_tz::Africa::Casablanca;

/// `aaa` probed on web and mobile, `bbb` and `ccc` on web, all hourly on a page that
/// answers; `live` every 200 ms on one a test turns off and on.
fn config(fake: &FakeBank) -> String {
    let mut text =
        format!("timezone = \"Africa/Casablanca\"\ndefault_language = \"en\"\n{REPORTS}\n");
    let up = fake.url("/up");
    for (slug, channels) in [
        ("aaa", &["web", "mobile"][..]),
        ("bbb", &["web"]),
        ("ccc", &["web"]),
    ] {
        text.push_str(&format!(
            "[[banks]]\nslug = \"{slug}\"\nname = {{ fr = \"Banque {slug}\", en = \"Bank {slug}\" }}\n"
        ));
        for c in channels {
            text.push_str(&format!(
                "[[banks.probes]]\nchannel = \"{c}\"\nurl = \"{up}\"\ninterval = \"1h\"\n"
            ));
        }
    }
    text.push_str(&format!(
        "[[banks]]\nslug = \"live\"\nname = {{ fr = \"Banque live\", en = \"Bank live\" }}\n\
         [[banks.probes]]\nchannel = \"web\"\nurl = \"{}\"\ninterval = \"200ms\"\ntimeout = \"1s\"\n\
         failures_before_outage = 2\nsuccesses_before_recovery = 1\n",
        fake.url("/toggle")
    ));
    text
}

fn entry(at: DateTime<Utc>, state: IncidentState) -> NewUpdate {
    NewUpdate {
        at,
        state,
        source: Source::Probe,
        message: Names::new("", "", if state.is_closed() { "Back." } else { "Down." }),
        alert: true,
    }
}

/// An automatic outage as the engine writes one: opened (or reopened) at `from` and
/// resolved at `to`.
async fn automatic(
    store: &DynStore,
    (bank, channel): (&str, Channel),
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    overrun_of: Option<i64>,
    reopen: Option<i64>,
) -> i64 {
    let id = store
        .open_incident(&NewIncident {
            kind: IncidentKind::Outage,
            title: Names::new("", "", "Outage"),
            started_at: from,
            recorded_at: from,
            open_key: Some(OpenKey::new(bank, channel)),
            overrun_of,
            scopes: vec![(bank.into(), channel)],
            first_update: entry(from, IncidentState::Investigating),
            later: Vec::new(),
            audit: None,
            reopen,
        })
        .await
        .unwrap()
        .id();
    store
        .add_update(id, &entry(to, IncidentState::Resolved))
        .await
        .unwrap();
    id
}

/// A counted check of probe `n` every hour of `[from, from + hours)`.
fn hourly(
    (bank, channel, n): (&str, Channel, usize),
    from: DateTime<Utc>,
    hours: i64,
) -> Vec<ProbeResult> {
    (0..hours)
        .map(|h| ProbeResult {
            probe_id: format!("{bank}/{channel}/{n}"),
            target: ProbeTarget::Bank {
                bank: bank.into(),
                channel,
            },
            at: from + chrono::Duration::hours(h),
            latency_ms: 80,
            http_status: Some(200),
            outcome: Outcome::Up,
            counted: true,
            region: None,
            evidence: Default::default(),
            covers_ms: 3_600_000,
        })
        .collect()
}

/// The text between `after` and the next `until`, after the first `after` in `hay`.
fn between<'a>(hay: &'a str, after: &str, until: &str) -> Option<&'a str> {
    let rest = &hay[hay.find(after)? + after.len()..];
    Some(&rest[..rest.find(until)?])
}

/// The duration an incident card of a list says for incident `id`.
fn card_duration(html: &str, id: i64) -> Option<&str> {
    let card = between(html, &format!("<a href=\"/incidents/{id}\">"), "</li>")?;
    between(card, "Duration <bdi>", "</bdi>")
}

fn instant(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// To the millisecond, as the record keeps times.
fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// What each seeded incident should read: its time down and, for an overrun, the window
/// and the time past its end until the first recovery.
struct Expect {
    id: i64,
    bank: &'static str,
    down: i64,
    overrun: Option<(i64, i64)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_figure_agrees_across_every_page_feed_and_document() {
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&config(&fake)).await;
    let store = bankstatus::store::connect(&app.db_url).await.unwrap();
    // Yesterday from midnight, in minutes and seconds: one month, quarter and year.
    let day = Utc::now().with_timezone(&TZ).date_naive() - chrono::Days::new(1);
    let base = TZ
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let t = |min: i64, s: i64| base + chrono::Duration::seconds(min * 60 + s);
    let rfc = |min: i64, s: i64| t(min, s).to_rfc3339();
    let web = Channel::Web;

    // Checked every hour of the day's first twelve, where every outage falls.
    for probe in [
        ("aaa", web, 0),
        ("aaa", Channel::Mobile, 1),
        ("bbb", web, 0),
    ] {
        store
            .insert_results(&hourly(probe, base, 12), TZ)
            .await
            .unwrap();
    }
    // Failed again twice after it resolved: three spans of 33 s.
    let mobile = ("aaa", Channel::Mobile);
    let flapped = automatic(&store, mobile, (t(120, 0), t(120, 33)), None, None).await;
    for m in [125, 130] {
        automatic(&store, mobile, (t(m, 0), t(m, 33)), None, Some(flapped)).await;
    }
    // Two windows, each overrun: by 45 s, and by 70 s before an ordinary failure that an
    // older rule filed under the same incident (20 s, not overrun).
    let w1 = window(&app, "aaa", &rfc(180, 0), &rfc(240, 0)).await;
    let w2 = window(&app, "aaa", &rfc(300, 0), &rfc(360, 0)).await;
    let over1 = automatic(
        &store,
        ("aaa", web),
        (t(240, 0), t(240, 45)),
        Some(w1),
        None,
    )
    .await;
    let over2 = automatic(
        &store,
        ("aaa", web),
        (t(360, 0), t(361, 10)),
        Some(w2),
        None,
    )
    .await;
    automatic(
        &store,
        ("aaa", web),
        (t(363, 0), t(363, 20)),
        Some(w2),
        Some(over2),
    )
    .await;
    // Known from the press.
    let press = past_outage(&app, "aaa", &["web"], &rfc(60, 0), &rfc(80, 7)).await;
    // A two-hour window closed after half an hour, then an outage in what was its time.
    let w3 = window(&app, "bbb", &rfc(420, 0), &rfc(540, 0)).await;
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{w3}/updates"),
            &json!({"state": "completed", "at": rfc(450, 0), "message": {"en": "Done early."}}),
            true,
        )
        .await;
    assert!(status.is_success(), "{v}");
    let after_window = past_outage(&app, "bbb", &["web"], &rfc(480, 0), &rfc(490, 0)).await;
    // ATMs at three banks within two probe intervals.
    let mut shared = Vec::new();
    for (i, bank) in ["aaa", "bbb", "ccc"].into_iter().enumerate() {
        shared.push(past_outage(&app, bank, &["atm"], &rfc(600 + i as i64, 0), &rfc(640, 0)).await);
    }
    let expected = [
        Expect {
            id: press,
            bank: "aaa",
            down: 1207,
            overrun: None,
        },
        Expect {
            id: flapped,
            bank: "aaa",
            down: 99,
            overrun: None,
        },
        Expect {
            id: over1,
            bank: "aaa",
            down: 45,
            overrun: Some((w1, 45)),
        },
        Expect {
            id: over2,
            bank: "aaa",
            down: 90,
            overrun: Some((w2, 70)),
        },
        Expect {
            id: after_window,
            bank: "bbb",
            down: 600,
            overrun: None,
        },
        Expect {
            id: shared[0],
            bank: "aaa",
            down: 2400,
            overrun: None,
        },
        Expect {
            id: shared[1],
            bank: "bbb",
            down: 2340,
            overrun: None,
        },
        Expect {
            id: shared[2],
            bank: "ccc",
            down: 2280,
            overrun: None,
        },
    ];

    // A live outage that comes back and fails again: open, since its reopening.
    fake.state.failing.store(true, Ordering::SeqCst);
    let live = eventually(Duration::from_secs(10), "the live outage", || async {
        channel_status(&app, "live", "web").await["incident_id"].as_i64()
    })
    .await;
    fake.state.failing.store(false, Ordering::SeqCst);
    eventually(Duration::from_secs(10), "its recovery", || async {
        let i = app.json(&format!("/api/v1/incidents/{live}")).await;
        (i["state"] == "resolved").then_some(())
    })
    .await;
    fake.state.failing.store(true, Ordering::SeqCst);
    let live_api = eventually(Duration::from_secs(10), "it failing again", || async {
        let i = app.json(&format!("/api/v1/incidents/{live}")).await;
        let shown = channel_status(&app, "live", "web").await;
        (i["state"] != "resolved" && shown["incident_id"] == live).then_some(i)
    })
    .await;
    app.logged().await;

    for e in &expected {
        incident_agrees(&app, e).await;
    }
    lists_agree(&app, &expected).await;
    feeds_agree(&app, &expected, flapped).await;
    statuspage_agrees(&app, &expected).await;
    live_agrees(&app, live, &live_api).await;
    // The overruns' windows list them by the same seconds; the one closed early says so.
    for e in &expected {
        let Some((w, seconds)) = e.overrun else {
            continue;
        };
        let ev = app.json(&format!("/incidents/{w}?format=json")).await;
        let listed = &ev["window"]["overruns"][0];
        assert_eq!(
            (listed["incident_id"].as_i64(), listed["seconds"].as_i64()),
            (Some(e.id), Some(seconds)),
            "{ev}"
        );
        let (_, page) = app.text(&format!("/incidents/{w}?lang=en")).await;
        let words = duration_seconds(seconds, Lang::En);
        assert!(
            page.contains(&format!("Overran by <bdi>{words}</bdi>")),
            "window {w}: {words}"
        );
    }
    let ev = app.json(&format!("/incidents/{w3}?format=json")).await;
    assert_eq!(
        ms(instant(&ev["window"]["closed_early_at"])),
        ms(t(450, 0)),
        "{ev}"
    );

    // The month, the quarter and the year: the same seconds in JSON, CSV and HTML.
    let month = format!("{:04}-{:02}", day.year(), day.month());
    let quarter = format!("{:04}-Q{}", day.year(), (day.month() - 1) / 3 + 1);
    let year = format!("{:04}", day.year());
    let want: BTreeMap<String, [i64; 3]> = [
        ("aaa", [1207 + 45 + 90 + 99 + 2400, 7200, 45 + 70]),
        ("aaa/web", [1207 + 45 + 90, 7200, 45 + 70]),
        ("aaa/mobile", [99, 0, 0]),
        ("aaa/atm", [2400, 0, 0]),
        ("bbb", [600 + 2340, 1800, 0]),
        ("bbb/web", [600, 1800, 0]),
        ("bbb/atm", [2340, 0, 0]),
        ("ccc", [2280, 0, 0]),
        ("ccc/web", [0, 0, 0]),
        ("ccc/atm", [2280, 0, 0]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let seeded = |m: BTreeMap<String, [i64; 3]>| -> BTreeMap<String, [i64; 3]> {
        m.into_iter()
            .filter(|(k, _)| !k.starts_with("live"))
            .collect()
    };
    for period in [&month, &quarter, &year] {
        let card = app.json(&format!("/scorecard/{period}?format=json")).await;
        assert_eq!(seeded(seconds_of(&card)), want, "{period}");
        let (_, csv) = app.text(&format!("/scorecard/{period}?format=csv")).await;
        let rows: BTreeMap<String, [i64; 3]> = seeded(csv_seconds(&csv));
        let channels: BTreeMap<String, [i64; 3]> = want
            .clone()
            .into_iter()
            .filter(|(k, _)| k.contains('/'))
            .collect();
        assert_eq!(rows, channels, "{period} CSV");
        let (_, html) = app.text(&format!("/scorecard/{period}?lang=en")).await;
        for bank in ["aaa", "bbb", "ccc"] {
            let [u, a, o] = want[bank];
            let said = format!(
                "{} s unannounced, {} s announced, {} s overrun",
                group(u),
                group(a),
                group(o)
            );
            let section = between(&html, &format!("id=\"bank-{bank}\""), "</section>").unwrap();
            assert!(section.contains(&said), "{period} {bank}: {said}");
        }
        availability_agrees(&card, &html, period);
        // The reopened outage recovered in its whole account, 99 s, as its page says.
        let mobile = &card["banks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["slug"] == "aaa")
            .unwrap()["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "mobile")
            .unwrap()
            .clone();
        assert_eq!(mobile["worst_recovery_minutes"], 2, "{period}: {mobile}");
    }
    // The bank page's 90 days: below 100 % where there was downtime.
    let (_, page) = app.text("/banks/aaa?lang=en").await;
    for figure in page.split("Availability: <bdi dir=\"ltr\">").skip(1) {
        let figure = &figure[..figure.find("</bdi>").unwrap()];
        assert!(!figure.starts_with("100.00"), "the bank page says {figure}");
    }
    app.stop().await;
}

/// The incident page, its data and `/api/v1` say the same time down and overrun.
async fn incident_agrees(app: &TestApp, e: &Expect) {
    let id = e.id;
    let api = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(api["down_seconds"], e.down, "{api}");
    let ev = app.json(&format!("/incidents/{id}?format=json")).await;
    assert_eq!(
        ev["duration_minutes"],
        (e.down * 1000 + 30_000) / 60_000,
        "{ev}"
    );
    assert_eq!(api["started_at"], ev["started_at"]);
    assert_eq!(api["resolved_at"], ev["resolved_at"]);
    let (_, page) = app.text(&format!("/incidents/{id}?lang=en")).await;
    let words = duration_seconds(e.down, Lang::En);
    assert_eq!(
        between(&page, "<dt>Duration</dt><dd>", "</dd>"),
        Some(words.as_str()),
        "incident {id}"
    );
    match e.overrun {
        Some((window, seconds)) => {
            assert_eq!(api["overrun_of"], window);
            assert_eq!(ev["overrun_of"]["incident_id"], window, "{ev}");
            assert_eq!(ev["overrun_of"]["seconds"], seconds, "{ev}");
            let late = duration_seconds(seconds, Lang::En);
            assert!(
                page.contains(&format!("Overran by <bdi>{late}</bdi>")),
                "incident {id}: {late}"
            );
        }
        None => assert!(ev["overrun_of"].is_null(), "{ev}"),
    }
}

/// The bank page's and the history's cards say each incident's duration as its page does.
async fn lists_agree(app: &TestApp, expected: &[Expect]) {
    for path in ["/banks/{}?lang=en", "/history?bank={}&lang=en"] {
        for bank in ["aaa", "bbb"] {
            let (_, html) = app.text(&path.replace("{}", bank)).await;
            for e in expected.iter().filter(|e| e.bank == bank) {
                let words = duration_seconds(e.down, Lang::En);
                assert_eq!(
                    card_duration(&html, e.id),
                    Some(words.as_str()),
                    "{path} {bank}: {}",
                    e.id
                );
            }
        }
    }
}

/// Each resolution in the bank's feeds says the time down until then: the last, the
/// incident's; a reopened one's, each span added as it came.
async fn feeds_agree(app: &TestApp, expected: &[Expect], flapped: i64) {
    for bank in ["aaa", "bbb"] {
        let body = app
            .get(&format!("/banks/{bank}/feed.atom?lang=en"))
            .await
            .bytes()
            .await
            .unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap();
        let said = |id: i64| -> Vec<String> {
            let mut out: Vec<(Option<DateTime<Utc>>, String)> = feed
                .entries
                .iter()
                .filter(|e| {
                    e.links
                        .iter()
                        .any(|l| l.href.contains(&format!("/incidents/{id}?")))
                })
                .filter_map(|e| {
                    let text = &e.summary.as_ref()?.content;
                    let d = between(text, "Duration: ", "\n")?;
                    Some((e.updated, d.to_owned()))
                })
                .collect();
            out.sort();
            out.into_iter().map(|(_, d)| d).collect()
        };
        for e in expected.iter().filter(|e| e.bank == bank) {
            let last = said(e.id).pop();
            assert_eq!(
                last,
                Some(duration_seconds(e.down, Lang::En)),
                "{bank} feed: {}",
                e.id
            );
        }
        if bank == "aaa" {
            assert_eq!(said(flapped), ["33 s", "1 min 6 s", "1 min 39 s"]);
        }
    }
}

/// The Statuspage documents date each incident as `/api/v1` does.
async fn statuspage_agrees(app: &TestApp, expected: &[Expect]) {
    for bank in ["aaa", "bbb"] {
        let doc = app
            .json(&format!("/banks/{bank}/api/v2/incidents.json"))
            .await;
        for e in expected.iter().filter(|e| e.bank == bank) {
            let id = e.id.to_string();
            let sp = doc["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == id.as_str())
                .unwrap_or_else(|| panic!("{} not in {bank}'s incidents.json", e.id));
            let api = app.json(&format!("/api/v1/incidents/{}", e.id)).await;
            assert_eq!(instant(&sp["started_at"]), instant(&api["started_at"]));
            assert_eq!(instant(&sp["resolved_at"]), instant(&api["resolved_at"]));
        }
    }
}

/// The outage open now, failed again since its reopening: every page and document says
/// since when as its own account does.
async fn live_agrees(app: &TestApp, live: i64, api: &Value) {
    let since = instant(&api["since"]);
    assert!(since > instant(&api["started_at"]), "reopened: {api}");
    let shown = channel_status(app, "live", "web").await;
    assert_eq!(
        ms(instant(&shown["since"])),
        ms(since),
        "/api/v1/status: {shown}"
    );
    let components = app.json("/banks/live/api/v2/components.json").await;
    let web = components["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "live-web")
        .unwrap()
        .clone();
    assert_eq!(
        ms(instant(&web["updated_at"])),
        ms(since),
        "Statuspage: {web}"
    );
    let cdr = app.json("/banks/live/discovery/status").await;
    assert_eq!(
        ms(instant(&cdr["data"]["detectionTime"])),
        ms(since),
        "CDR: {cdr}"
    );
    assert_eq!(
        ms(instant(&cdr["data"]["updateTime"])),
        ms(since),
        "CDR: {cdr}"
    );
    let when = local_time(since, TZ, Lang::En);
    let (_, page) = app.text("/banks/live?lang=en").await;
    assert!(
        page.contains(&format!("(<bdi>{when}</bdi>)")),
        "bank page: not since {when}"
    );
    let hhmm = since.with_timezone(&TZ).format("%H:%M").to_string();
    let preview = between(&page, "<meta property=\"og:description\" content=\"", "\"").unwrap();
    assert!(preview.contains(&format!("since {hhmm}")), "{preview}");
    for path in ["/?lang=en", "/embed/banks/live?lang=en"] {
        let (_, html) = app.text(path).await;
        assert!(
            html.contains(&format!("Outage since {when} (")),
            "{path}: not since {when}"
        );
    }
    let (_, home) = app.text("/?lang=en").await;
    let started = local_time(instant(&api["started_at"]), TZ, Lang::En);
    let card = between(&home, &format!("<a href=\"/incidents/{live}\">"), "</li>").unwrap();
    assert!(
        card.contains(&format!("Started <bdi>{started}</bdi>")),
        "{card}"
    );
    // Its page lists the spans its duration adds up.
    let (_, page) = app.text(&format!("/incidents/{live}?lang=en")).await;
    let spans = between(&page, "<ol class=\"spans\">", "</ol>").unwrap();
    assert_eq!(spans.matches("<li>").count(), 2, "{spans}");
    assert!(spans.contains(&format!("since {when}")), "{spans}");
}

/// Each channel with downtime has a figure below 100 %, the same in the page as in the data.
fn availability_agrees(card: &Value, html: &str, period: &str) {
    for (bank, channel, name) in [
        ("aaa", "web", "Online banking"),
        ("aaa", "mobile", "Mobile app"),
        ("bbb", "web", "Online banking"),
    ] {
        let c = channel_in(card, bank, channel)
            .unwrap_or_else(|| panic!("{period}: no {bank}/{channel}"));
        let a = c["availability_percent"]
            .as_f64()
            .unwrap_or_else(|| panic!("{period}: {c}"));
        assert!(a < 100.0, "{period} {bank}/{channel}: {a}");
        let section = between(html, &format!("id=\"bank-{bank}\""), "</section>").unwrap();
        let row = between(section, &format!("<th scope=\"row\">{name}</th>"), "</tr>").unwrap();
        assert!(
            row.contains(&format!("{a:.2} %")),
            "{period} {bank}/{channel}: {row}"
        );
        assert!(!row.contains("100.00"), "{period} {bank}/{channel}: {row}");
    }
}
