//! The Statuspage-compatible read API: every field a consumer such as a status aggregator
//! reads, with Statuspage's types and words, agreeing with `/api/v1/status`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp};

const COMPONENT_STATES: [&str; 5] = [
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
];

fn is_time(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

fn check_page(doc: &Value) {
    let page = &doc["page"];
    for k in ["id", "name", "url", "time_zone"] {
        assert!(page[k].is_string(), "page.{k}: {doc}");
    }
    assert!(is_time(&page["updated_at"]), "{doc}");
}

fn check_component(c: &Value) {
    for k in ["id", "name", "page_id"] {
        assert!(c[k].is_string(), "component.{k}: {c}");
    }
    assert!(
        COMPONENT_STATES.contains(&c["status"].as_str().unwrap()),
        "{c}"
    );
    assert!(
        is_time(&c["created_at"]) && is_time(&c["updated_at"]),
        "{c}"
    );
    assert!(c["position"].is_u64(), "{c}");
    for k in ["showcase", "group", "only_show_if_degraded"] {
        assert!(c[k].is_boolean(), "component.{k}: {c}");
    }
    for k in ["description", "start_date", "group_id"] {
        assert!(c[k].is_null() || c[k].is_string(), "component.{k}: {c}");
    }
}

fn check_incident(i: &Value, maintenance: bool) {
    for k in ["id", "name", "status", "impact", "shortlink", "page_id"] {
        assert!(i[k].is_string(), "incident.{k}: {i}");
    }
    for k in ["created_at", "updated_at", "started_at"] {
        assert!(is_time(&i[k]), "incident.{k}: {i}");
    }
    for k in ["monitoring_at", "resolved_at"] {
        assert!(i[k].is_null() || is_time(&i[k]), "incident.{k}: {i}");
    }
    let states: &[&str] = if maintenance {
        &["scheduled", "in_progress", "verifying", "completed"]
    } else {
        &[
            "investigating",
            "identified",
            "monitoring",
            "resolved",
            "postmortem",
        ]
    };
    assert!(states.contains(&i["status"].as_str().unwrap()), "{i}");
    assert!(["none", "minor", "major", "critical", "maintenance"]
        .contains(&i["impact"].as_str().unwrap()));
    for u in i["incident_updates"].as_array().unwrap() {
        for k in ["id", "status", "body", "incident_id"] {
            assert!(u[k].is_string(), "update.{k}: {u}");
        }
        for k in ["created_at", "updated_at", "display_at"] {
            assert!(is_time(&u[k]), "update.{k}: {u}");
        }
        assert!(u["deliver_notifications"].is_boolean());
        assert_eq!(u["incident_id"], i["id"]);
    }
    for c in i["components"].as_array().unwrap() {
        check_component(c);
    }
    if maintenance {
        assert!(
            is_time(&i["scheduled_for"]) && is_time(&i["scheduled_until"]),
            "{i}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuspage_documents_parse_and_agree_with_v1() {
    let fake = FakeBank::start().await;
    let p = probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n",
    );
    let mut text = bank_config("bmce", &[p], &[]);
    text.push_str(&format!(
        "\n[[banks]]\nslug = \"cdm\"\nname = {{ fr = \"Crédit du Maroc\", en = \"Crédit du Maroc\" }}\n  [[banks.probes]]\n{}\n",
        probe("mobile", &fake.url("/up"), "  interval = \"200ms\"\n")
    ));
    let mut app = TestApp::spawn(&text).await;
    fake.state.failing.store(true, Ordering::SeqCst);
    let id = eventually(Duration::from_secs(10), "the outage", || async {
        channel_status(&app, "bmce", "web").await["incident_id"].as_i64()
    })
    .await;
    let now = chrono::Utc::now();
    let (status, _) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "cdm", "channels": ["mobile"],
                "starts": (now + chrono::Duration::hours(1)).to_rfc3339(),
                "ends": (now + chrono::Duration::hours(3)).to_rfc3339(),
                "title": {"en": "myCDM stops"}}),
            true,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    eventually(Duration::from_secs(10), "cdm checked", || async {
        (channel_status(&app, "cdm", "mobile").await["status"] == "operational").then_some(())
    })
    .await;

    let summary = app.json("/api/v2/summary.json?lang=en").await;
    check_page(&summary);
    assert_eq!(summary["status"]["indicator"], "critical", "{summary}");
    assert!(summary["status"]["description"].is_string());
    let components = summary["components"].as_array().unwrap();
    components.iter().for_each(check_component);
    let group = components.iter().find(|c| c["id"] == "bmce").unwrap();
    assert_eq!(group["group"], true);
    assert_eq!(group["components"], json!(["bmce-web"]));
    let web = components.iter().find(|c| c["id"] == "bmce-web").unwrap();
    assert_eq!(web["group_id"], "bmce");
    assert_eq!(web["status"], "major_outage");
    // Agrees with /api/v1/status on every bank.
    let v1 = app.json("/api/v1/status").await;
    for b in v1["banks"].as_array().unwrap() {
        let slug = b["slug"].as_str().unwrap();
        let g = components.iter().find(|c| c["id"] == slug).unwrap();
        let expected = match b["status"].as_str().unwrap() {
            "degraded" => "degraded_performance",
            "maintenance" => "under_maintenance",
            "unknown" => "operational",
            other => other,
        };
        assert_eq!(g["status"], expected, "{slug}");
    }
    let unresolved = summary["incidents"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{summary}");
    check_incident(&unresolved[0], false);
    assert_eq!(unresolved[0]["id"], id.to_string());
    assert!(unresolved[0]["shortlink"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/incidents/{id}")));
    let upcoming = summary["scheduled_maintenances"].as_array().unwrap();
    assert_eq!(upcoming.len(), 1);
    check_incident(&upcoming[0], true);
    assert_eq!(upcoming[0]["status"], "scheduled");

    for path in [
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
        "/banks/bmce/api/v2/summary.json",
        "/banks/cdm/api/v2/scheduled-maintenances/upcoming.json",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), reqwest::StatusCode::OK, "{path}");
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "*",
            "{path}: CORS like /api/v1"
        );
        let doc: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        check_page(&doc);
        for i in doc["incidents"].as_array().into_iter().flatten() {
            check_incident(i, false);
        }
        for i in doc["scheduled_maintenances"]
            .as_array()
            .into_iter()
            .flatten()
        {
            check_incident(i, true);
        }
    }
    // Per bank: the bank is the page, its channels the components, no groups.
    let bank = app.json("/banks/bmce/api/v2/components.json").await;
    assert_eq!(bank["page"]["id"], "bmce");
    assert_eq!(bank["components"].as_array().unwrap().len(), 1);
    assert_eq!(bank["components"][0]["group"], false);
    assert_eq!(
        app.json("/banks/cdm/api/v2/status.json").await["status"]["indicator"],
        "none"
    );
    assert_eq!(
        app.get("/banks/nosuch/api/v2/status.json").await.status(),
        404
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_lists_the_newest_first_and_sets_the_indicator() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&bank_config(
        "bmce",
        &[probe("web", &fake.url("/up"), "")],
        &[],
    ))
    .await;
    let tz = chrono_tz::Africa::Casablanca;
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
    };
    let now = chrono::Utc::now();
    // 52 windows of the past, one to come, one in progress.
    let post = |starts, ends, title: String| {
        let app = &app;
        async move {
            let (status, v) = app
                .post(
                    "/api/v1/maintenance",
                    &json!({"bank": "bmce", "channels": ["web"], "starts": starts,
                            "ends": ends, "title": {"en": title}}),
                    true,
                )
                .await;
            assert_eq!(status, reqwest::StatusCode::CREATED, "{v}");
            v["id"].as_i64().unwrap()
        }
    };
    for d in 0..52 {
        let start = now - chrono::Duration::days(60 - d);
        post(
            local(start),
            local(start + chrono::Duration::hours(1)),
            format!("past {d}"),
        )
        .await;
    }
    let upcoming = post(
        local(now + chrono::Duration::days(3)),
        local(now + chrono::Duration::days(3) + chrono::Duration::hours(2)),
        "to come".into(),
    )
    .await;
    let active = post(
        local(now - chrono::Duration::minutes(5)),
        local(now + chrono::Duration::hours(1)),
        "in progress".into(),
    )
    .await;
    let listed = app.json("/api/v2/scheduled-maintenances.json").await;
    let ids: Vec<String> = listed["scheduled_maintenances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 50);
    assert_eq!(ids[0], upcoming.to_string(), "newest first: {ids:?}");
    assert_eq!(ids[1], active.to_string());
    let status = eventually(Duration::from_secs(10), "the window in force", || async {
        let s = app.json("/api/v2/status.json").await;
        (s["status"]["indicator"] == "maintenance").then_some(s)
    })
    .await;
    assert_eq!(status["status"]["description"], "Service Under Maintenance");
    let bank = app.json("/banks/bmce/api/v2/status.json").await;
    assert_eq!(bank["status"]["indicator"], "maintenance");
    // An unknown language is refused, as on /api/v1.
    let r = app.get("/api/v2/status.json?lang=xx").await;
    assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST);
}
