//! When the control sites fail as well as the banks, the tracker blames its own network:
//! no outage opens and every page says it cannot see the banks.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_network_opens_no_outage_until_controls_answer_again() {
    let fake = FakeBank::start().await;
    fake.state.failing.store(true, Ordering::SeqCst);
    fake.state.control_failing.store(true, Ordering::SeqCst);
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n",
    )];
    let app = TestApp::spawn(&bank_config("acme", &probes, &[fake.url("/control")])).await;

    // Far more failures than the threshold, all while the controls fail.
    eventually(
        Duration::from_secs(15),
        "ten failed bank checks",
        || async {
            (app.metric("bankstatus_probe_runs_total{outcome=\"down\"}")
                .await
                >= 14.0)
                .then_some(())
        },
    )
    .await;
    let status = app.json("/api/v1/status").await;
    assert!(status["network_cut_since"].is_string(), "{status}");
    let web = channel_status(&app, "acme", "web").await;
    assert_eq!(web["status"], "unknown");
    assert!(
        web["incident_id"].is_null(),
        "no outage opens while the network is cut"
    );
    assert_eq!(status["banks"][0]["status"], "unknown");
    assert_eq!(app.metric("bankstatus_network_cut").await, 1.0);
    for path in ["/", "/banks/acme"] {
        let (_, html) = app.text(path).await;
        assert!(
            html.contains("The tracker cannot see the banks right now"),
            "{path} says nothing of the cut"
        );
    }
    let (_, html) = app.text("/?lang=fr").await;
    assert!(html.contains("Le suivi ne voit pas les banques"));

    fake.state.control_failing.store(false, Ordering::SeqCst);
    let id = eventually(
        Duration::from_secs(10),
        "an outage once controls answer",
        || async { channel_status(&app, "acme", "web").await["incident_id"].as_i64() },
    )
    .await;
    assert!(id > 0);
    let status = app.json("/api/v1/status").await;
    assert!(status["network_cut_since"].is_null());
    let (_, html) = app.text("/").await;
    assert!(!html.contains("The tracker cannot see the banks right now"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_control_is_not_a_cut_network() {
    let fake = FakeBank::start().await;
    fake.state.failing.store(true, Ordering::SeqCst);
    fake.state.control_failing.store(true, Ordering::SeqCst);
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n",
    )];
    // One control fails, the other answers: the banks are to blame.
    let controls = [fake.url("/control"), fake.url("/up")];
    let app = TestApp::spawn(&bank_config("acme", &probes, &controls)).await;
    eventually(Duration::from_secs(10), "an outage", || async {
        channel_status(&app, "acme", "web").await["incident_id"].as_i64()
    })
    .await;
}
