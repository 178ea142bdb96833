//! The SPEC's scenarios end to end: announced maintenance with an overrun, a sudden
//! failure seen by probes and customers, and a security advisory.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    bank_config, channel_status, eventually, probe, quiet_bank, FakeBank, TestApp,
};

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announced_maintenance_then_overrun() {
    let fake = FakeBank::start().await;
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n",
    )];
    let app = TestApp::spawn(&bank_config("cdm", &probes, &[])).await;

    let starts = Utc::now() + chrono::Duration::seconds(3);
    let ends = starts + chrono::Duration::seconds(4);
    let (status, window) = app
        .post(
            "/api/v1/maintenance",
            &json!({
                "bank": "cdm", "channels": ["web", "mobile"],
                "starts": rfc3339(starts), "ends": rfc3339(ends),
                "title": {"fr": "Maintenance de myCDM", "en": "myCDM maintenance"},
                "source": "https://www.creditdumaroc.ma/annonce"
            }),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{window}");
    let wid = window["id"].as_i64().unwrap();
    assert_eq!(window["state"], "scheduled");

    // Upcoming: listed, and on the home page.
    let upcoming = app.json("/api/v1/maintenance?upcoming=true").await;
    assert_eq!(upcoming["maintenance"][0]["id"], wid);
    let (_, home) = app.text("/").await;
    assert!(home.contains("Upcoming maintenance") && home.contains("myCDM maintenance"));

    // In progress: the channels show maintenance, and failures inside open nothing.
    eventually(Duration::from_secs(10), "the window to start", || async {
        (channel_status(&app, "cdm", "web").await["status"] == "maintenance").then_some(())
    })
    .await;
    fake.state.failing.store(true, Ordering::SeqCst);
    let down_before = app
        .metric("bankstatus_probe_runs_total{outcome=\"down\"}")
        .await;
    eventually(
        Duration::from_secs(5),
        "failures inside the window",
        || async {
            (app.metric("bankstatus_probe_runs_total{outcome=\"down\"}")
                .await
                >= down_before + 5.0)
                .then_some(())
        },
    )
    .await;
    let web = channel_status(&app, "cdm", "web").await;
    assert_eq!(web["status"], "maintenance");
    assert_eq!(web["confidence"], "announced");
    assert_eq!(
        web["incident_id"], wid,
        "the channel points at the maintenance, not an outage"
    );
    let (_, home) = app.text("/").await;
    assert!(home.contains("Maintenance in progress"));

    // Still failing after the end: an outage opens that says the maintenance overran.
    let outage = eventually(Duration::from_secs(10), "the overrun outage", || async {
        let c = channel_status(&app, "cdm", "web").await;
        c["incident_id"].as_i64().filter(|id| *id != wid)
    })
    .await;
    let incident = app.json(&format!("/api/v1/incidents/{outage}")).await;
    assert_eq!(incident["kind"], "outage");
    assert_eq!(incident["overrun_of"], wid);
    let first = incident["updates"][0]["message"]["en"].as_str().unwrap();
    assert!(first.contains("The maintenance overran"), "{first}");
    let maintenance = app.json(&format!("/api/v1/incidents/{wid}")).await;
    assert_eq!(maintenance["state"], "completed");
    let states: Vec<&str> = maintenance["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["scheduled", "in_progress", "completed"]);

    // Back: resolved, saying by how much it overran; the record keeps both.
    fake.state.failing.store(false, Ordering::SeqCst);
    let resolved = eventually(Duration::from_secs(10), "the recovery", || async {
        let i = app.json(&format!("/api/v1/incidents/{outage}")).await;
        (i["state"] == "resolved").then_some(i)
    })
    .await;
    let last = resolved["updates"].as_array().unwrap().last().unwrap()["message"]["en"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(last.contains("overran its announced end by"), "{last}");
    let (_, page) = app.text(&format!("/incidents/{outage}")).await;
    assert!(
        page.contains("Overran the announced maintenance")
            && page.contains(&format!("href=\"/incidents/{wid}\""))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_window_across_the_clock_change_keeps_its_local_times() {
    let fake = FakeBank::start().await;
    let mut config = bank_config("cdm", &[probe("web", &fake.url("/up"), "")], &[]);
    config.push_str(
        "\n[[maintenance]]\nbank = \"cdm\"\nchannels = [\"mobile\", \"web\"]\nstarts = \"2026-02-13T16:00\"\nends = \"2026-02-15T18:00\"\n\
         title = { ar = \"توقف خدمات مصرف المغرب\", fr = \"Arrêt de myCDM et du web\", en = \"myCDM and web stop\" }\nsource = \"https://www.creditdumaroc.ma\"\n",
    );
    let mut app = TestApp::spawn(&config).await;
    let windows = eventually(Duration::from_secs(5), "the config window", || async {
        let w = app.json("/api/v1/maintenance?bank=cdm").await;
        (w["maintenance"][0]["state"] == "completed").then_some(w)
    })
    .await;
    let w = &windows["maintenance"][0];
    // 16:00 is UTC+1 on Friday; 18:00 on Sunday is after the switch to UTC+0 for Ramadan.
    assert_eq!(w["starts"], "2026-02-13T16:00:00+01:00");
    assert_eq!(w["ends"], "2026-02-15T18:00:00+00:00");
    let id = w["id"].as_i64().unwrap();
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    let updates: Vec<(&str, &str)> = incident["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["state"].as_str().unwrap(), u["at"].as_str().unwrap()))
        .collect();
    assert_eq!(
        updates[1..],
        [
            ("in_progress", "2026-02-13T16:00:00+01:00"),
            ("completed", "2026-02-15T18:00:00+00:00")
        ]
    );

    // A restart announces it once, not twice.
    app.restart().await;
    let again = app.json("/api/v1/maintenance?bank=cdm").await;
    assert_eq!(again["maintenance"].as_array().unwrap().len(), 1);

    // The operator API converts local times the same way, around the clock change too.
    let (status, posted) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "cdm", "channels": ["web"], "starts": "2026-02-14T20:00", "ends": "2026-02-15T02:30",
                    "title": {"en": "night work"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(posted["starts"], "2026-02-14T20:00:00+01:00");
    // 02:30 happens twice that night; the documented rule takes the earlier one.
    assert_eq!(posted["ends"], "2026-02-15T02:30:00+01:00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_and_reports_make_one_incident() {
    let fake = FakeBank::start().await;
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 3\n",
    )];
    let app = TestApp::spawn(&bank_config("bmce", &probes, &[])).await;
    eventually(Duration::from_secs(10), "a first check", || async {
        (channel_status(&app, "bmce", "web").await["status"] == "operational").then_some(())
    })
    .await;

    fake.state.failing.store(true, Ordering::SeqCst);
    let id = eventually(Duration::from_secs(10), "an outage", || async {
        channel_status(&app, "bmce", "web").await["incident_id"].as_i64()
    })
    .await;
    assert_eq!(
        channel_status(&app, "bmce", "web").await["confidence"],
        "likely"
    );
    let mut report_ids = Vec::new();
    // Four networks: more than the fewest a surge comes from.
    for ip in ["192.0.2.11", "198.51.100.12", "203.0.113.13", "100.64.0.14"] {
        let (_, v) = app.report("bmce", "web", ip).await;
        report_ids.push(v["id"].as_i64().unwrap());
    }
    let web = eventually(Duration::from_secs(10), "reports to join", || async {
        let c = channel_status(&app, "bmce", "web").await;
        (c["confidence"] == "confirmed").then_some(c)
    })
    .await;
    assert_eq!(
        web["incident_id"], id,
        "the surge joined the probes' incident"
    );
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["sources"], json!(["probe", "reports"]));
    let bank = app.json("/api/v1/banks/bmce").await;
    assert_eq!(
        bank["open_incidents"].as_array().unwrap().len(),
        1,
        "one incident, whatever its sources"
    );

    // Probes recover while reports are still high: still open.
    // Probes recover while reports are still high: reports against checks that pass make
    // no outage, so it resolves, and the channel says customers still report problems.
    fake.state.failing.store(false, Ordering::SeqCst);
    let resolved = eventually(Duration::from_secs(10), "the probes to recover", || async {
        let i = app.json(&format!("/api/v1/incidents/{id}")).await;
        (i["state"] == "resolved").then_some(i)
    })
    .await;
    let last = resolved["updates"].as_array().unwrap().last().unwrap()["message"]["en"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        last.contains("some customers still report problems"),
        "{last}"
    );
    let web = eventually(Duration::from_secs(10), "the note", || async {
        let c = channel_status(&app, "bmce", "web").await;
        (c["crowd_note"] == "checks_pass").then_some(c)
    })
    .await;
    assert_eq!(web["status"], "operational");
    assert!(web["incident_id"].is_null());
    let (_, bank) = app.text("/banks/bmce").await;
    assert!(bank.contains("our checks of this service pass"));
    for rid in report_ids {
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/reports/{rid}")))
            .bearer_auth(crate::helpers::ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    eventually(Duration::from_secs(10), "the note to go", || async {
        channel_status(&app, "bmce", "web").await["crowd_note"]
            .is_null()
            .then_some(())
    })
    .await;
    let (_, page) = app.text(&format!("/incidents/{id}")).await;
    assert!(page.contains("Automatic checks, Customer reports"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advisory_reaches_the_page() {
    let fake = FakeBank::start().await;
    let mut config = bank_config("bmce", &[probe("web", &fake.url("/up"), "")], &[]);
    config.push_str("\n[[banks]]\nslug = \"cih\"\nname = { en = \"CIH Bank\" }\n\n[[banks]]\nslug = \"cdm\"\nname = { en = \"Crédit du Maroc\" }\n");
    let app = TestApp::spawn(&config).await;
    let (status, advisory) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "advisory", "banks": ["bmce", "cih"], "title": {"en": "Phishing links impersonate banks", "fr": "Liens d'hameçonnage"},
                    "message": {"en": "Bank Al-Maghrib warns of fake calls and links."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{advisory}");
    assert_eq!(advisory["kind"], "advisory");
    assert_eq!(advisory["sources"], json!(["operator"]));
    assert_eq!(
        advisory["affected"].as_array().unwrap().len(),
        12,
        "two banks, every channel"
    );
    let (_, home) = app.text("/").await;
    assert!(
        home.contains("Phishing links impersonate banks") && home.contains("Security advisory")
    );
    let (_, fr) = app.text("/?lang=fr").await;
    assert!(
        fr.contains("Liens d&#39;hameçonnage")
            || fr.contains("Liens d&#x27;hameçonnage")
            || fr.contains("Liens d'hameçonnage")
    );
    let (_, cdm) = app.text("/banks/cdm").await;
    assert!(!cdm.contains("Phishing"), "not on another bank's page");
    // An advisory does not change channel statuses.
    assert_ne!(
        channel_status(&app, "bmce", "web").await["status"],
        "major_outage"
    );
}

/// A demo report as the director sends it.
fn demo_body(r: &bankstatus::demo::director::DemoReport) -> serde_json::Value {
    let mut body = json!({ "bank": "bmce", "channel": r.channel, "works": r.works });
    if let Some(s) = r.symptom {
        body["symptom"] = json!(s);
    }
    if let Some(c) = r.city {
        body["city"] = json!(c);
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_report_story_counts_in_every_cycle() {
    use bankstatus::demo::director::{forged, reporter, FORGED, REPORTERS};
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&quiet_bank(&fake)).await;
    // Two cycles in compressed time: the second comes well within the 10 minutes in which
    // a reporter counts once, so it counts only with reporters of its own.
    for cycle in 0..2 {
        let mut counted = 0;
        for n in 0..REPORTERS {
            let r = reporter(cycle, n);
            let (status, v) = app.report_with(&r.ip, demo_body(&r)).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{v}");
            counted += i32::from(v["counted"] == true);
        }
        assert_eq!(counted, REPORTERS as i32, "cycle {cycle}");
        for n in 0..FORGED {
            let f = forged(cycle, n);
            let (status, v) = app.report_with(&f.ip, demo_body(&f)).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{v}");
        }
    }
    // Both cycles' web reporters (8 each, one of them saying it works) count in the one
    // surge, each from a network of its own.
    let web = eventually(Duration::from_secs(15), "both cycles counted", || async {
        let c = channel_status(&app, "bmce", "web").await;
        (c["reports"] == 14).then_some(c)
    })
    .await;
    assert_eq!(web["report_surge"], true, "{web}");
    assert_eq!(web["report_networks"], 14, "{web}");
    assert_eq!(web["reports_works"], 2, "{web}");
    // The forged burst: 24 reports from one network weigh as one network, and open nothing.
    let cards = channel_status(&app, "bmce", "cards").await;
    assert_eq!(cards["report_surge"], false, "{cards}");
    assert!(cards["reports"].as_i64().unwrap() <= 4, "{cards}");
    assert!(cards["incident_id"].is_null(), "{cards}");
    app.stop().await;
}
