//! Outages open after the configured failures, resolve after the configured successes,
//! show on every page, and survive a restart.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_opens_shows_survives_a_restart_and_resolves() {
    let fake = FakeBank::start().await;
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 3\n  successes_before_recovery = 2\n",
    )];
    let mut app = TestApp::spawn(&bank_config("acme", &probes, &[])).await;

    let web = eventually(Duration::from_secs(10), "a first check", || async {
        let c = channel_status(&app, "acme", "web").await;
        (c["status"] != "unknown").then_some(c)
    })
    .await;
    assert_eq!(web["status"], "operational");
    assert!(web["incident_id"].is_null());

    fake.state.failing.store(true, Ordering::SeqCst);
    let failing_from = fake.hits("/toggle").len();
    let id = eventually(Duration::from_secs(10), "an outage", || async {
        channel_status(&app, "acme", "web").await["incident_id"].as_i64()
    })
    .await;
    // Exactly the configured number of failures opened it (give or take one in flight).
    let failures_seen = fake.hits("/toggle").len() - failing_from;
    assert!(
        (3..=5).contains(&failures_seen),
        "opened after {failures_seen} failures"
    );
    assert_eq!(
        channel_status(&app, "acme", "web").await["status"],
        "major_outage"
    );

    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["kind"], "outage");
    assert_eq!(incident["state"], "investigating");
    assert_eq!(incident["sources"], serde_json::json!(["probe"]));
    assert_eq!(incident["affected"][0]["bank"], "acme");
    assert!(incident["resolved_at"].is_null());

    for (path, needle) in [
        ("/".to_owned(), format!("href=\"/incidents/{id}\"")),
        (
            "/banks/acme".to_owned(),
            format!("href=\"/incidents/{id}\""),
        ),
        (
            format!("/incidents/{id}"),
            "Bank acme: Online banking unavailable".to_owned(),
        ),
    ] {
        let (status, html) = app.text(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(&needle), "{path} does not show the incident");
    }

    app.restart().await;
    let after = channel_status(&app, "acme", "web").await;
    assert_eq!(
        after["incident_id"].as_i64(),
        Some(id),
        "the incident is still open after a restart"
    );
    assert_eq!(after["status"], "major_outage");
    let (_, html) = app.text("/").await;
    assert!(html.contains(&format!("href=\"/incidents/{id}\"")));

    fake.state.failing.store(false, Ordering::SeqCst);
    let resolved = eventually(Duration::from_secs(10), "the recovery", || async {
        let i = app.json(&format!("/api/v1/incidents/{id}")).await;
        (i["state"] == "resolved").then_some(i)
    })
    .await;
    assert!(resolved["resolved_at"].is_string());
    let states: Vec<&str> = resolved["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["investigating", "resolved"]);
    assert_eq!(
        channel_status(&app, "acme", "web").await["status"],
        "operational"
    );
    assert_eq!(app.metric("bankstatus_open_incidents").await, 0.0);

    // Failing again soon after (within `reopen_within`) is the same outage going on: the
    // incident reopens with a "failing again" entry rather than a second incident.
    fake.state.failing.store(true, Ordering::SeqCst);
    let again = eventually(Duration::from_secs(10), "the outage again", || async {
        channel_status(&app, "acme", "web").await["incident_id"].as_i64()
    })
    .await;
    assert_eq!(again, id);
    let reopened = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(reopened["state"], "investigating", "{reopened}");
    assert!(reopened["resolved_at"].is_null(), "{reopened}");
    let last = reopened["updates"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["message"]["en"]
            .as_str()
            .unwrap()
            .contains("fails again"),
        "{last}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn some_probes_failing_is_a_partial_outage() {
    let fake = FakeBank::start().await;
    let extra = "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n";
    let probes = [
        probe("web", &fake.url("/down"), extra),
        probe("web", &fake.url("/up"), extra),
    ];
    let app = TestApp::spawn(&bank_config("half", &probes, &[])).await;
    let c = eventually(Duration::from_secs(10), "a partial outage", || async {
        let c = channel_status(&app, "half", "web").await;
        (c["status"] == "partial_outage").then_some(c)
    })
    .await;
    assert!(c["incident_id"].is_i64());
}
