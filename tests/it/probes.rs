//! Each kind of broken target gives the right status and error class, and targets that
//! hang never delay another probe's schedule.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{bank_config, eventually, probe, FakeBank, TestApp};

/// The last check of every probe of `bank`, by URL, once each has one.
async fn last_checks(app: &TestApp, bank: &str, expected: usize) -> HashMap<String, Value> {
    eventually(
        Duration::from_secs(20),
        "a check of every probe",
        || async {
            let v = app.json(&format!("/api/v1/banks/{bank}")).await;
            let checks: HashMap<String, Value> = v["channels"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["probes"].as_array().unwrap().clone())
                .filter(|p| !p["last_check"].is_null())
                .map(|p| {
                    (
                        p["url"].as_str().unwrap().to_owned(),
                        p["last_check"].clone(),
                    )
                })
                .collect();
            (checks.len() == expected).then_some(checks)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_gets_its_class() {
    let fake = FakeBank::start().await;
    // A port that was bound and released: nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let tls_to_plain = fake.url("/up").replace("http://", "https://");
    let cases: Vec<(String, &str)> = vec![
        (fake.url("/up"), ""),
        (fake.url("/down"), ""),
        (fake.url("/hang"), ""),
        (fake.url("/slow"), "  degraded_after = \"200ms\"\n"),
        (fake.url("/drip"), ""),
        (fake.url("/huge"), ""),
        (fake.url("/redirect"), ""),
        (format!("http://{closed}/"), ""),
        (tls_to_plain.clone(), ""),
        (fake.url("/up"), "  body_contains = \"no such words\"\n"),
        (fake.url("/down"), "  expect_status = [500]\n"),
    ];
    let probes: Vec<String> = cases
        .iter()
        .map(|(url, extra)| {
            probe(
                "web",
                url,
                &format!("  interval = \"30s\"\n  timeout = \"1500ms\"\n{extra}"),
            )
        })
        .collect();
    // Same URL twice (up, and up with a body condition): tell them apart by a query.
    let mut probes = probes;
    probes[9] = probe(
        "web",
        &fake.url("/up?needle"),
        "  interval = \"30s\"\n  timeout = \"1500ms\"\n  body_contains = \"no such words\"\n",
    );
    probes[10] = probe(
        "web",
        &fake.url("/down?expected"),
        "  interval = \"30s\"\n  timeout = \"1500ms\"\n  expect_status = [500]\n",
    );
    let app = TestApp::spawn(&bank_config("lab", &probes, &[])).await;
    let checks = last_checks(&app, "lab", cases.len()).await;

    let expect = |url: &str, outcome: &str, class: Option<&str>, status: Option<u64>| {
        let c = &checks[url];
        assert_eq!(c["outcome"], outcome, "{url}: {c}");
        assert_eq!(c["error_class"].as_str(), class, "{url}: {c}");
        assert_eq!(c["http_status"].as_u64(), status, "{url}: {c}");
    };
    expect(&fake.url("/up"), "up", None, Some(200));
    expect(&fake.url("/down"), "down", Some("status"), Some(500));
    expect(&fake.url("/hang"), "down", Some("timeout"), None);
    expect(&fake.url("/slow"), "degraded", None, Some(200));
    expect(&fake.url("/drip"), "down", Some("timeout"), Some(200));
    expect(&fake.url("/huge"), "up", None, Some(200));
    // The last answer was itself a redirect; every hop is in the evidence.
    expect(&fake.url("/redirect"), "down", Some("redirect"), Some(302));
    assert_eq!(
        checks[&fake.url("/redirect")]["hops"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    expect(&format!("http://{closed}/"), "down", Some("connect"), None);
    expect(&tls_to_plain, "down", Some("tls"), None);
    expect(&fake.url("/up?needle"), "down", Some("body"), Some(200));
    expect(&fake.url("/down?expected"), "up", None, Some(500));

    // The hanging and dripping targets were cut at the timeout.
    for url in ["/hang", "/drip"] {
        let latency = checks[&fake.url(url)]["latency_ms"].as_u64().unwrap();
        assert!((1400..3000).contains(&latency), "{url} took {latency} ms");
    }
    // The 1 GiB body cost the cap (256 KiB by default), plus what sockets buffer.
    let produced = fake.state.huge_bytes.load(Ordering::SeqCst);
    assert!(
        produced < 32 << 20,
        "the huge target produced {produced} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_targets_never_delay_a_healthy_probe() {
    let fake = FakeBank::start().await;
    let mut probes: Vec<String> = (0..5)
        .map(|i| {
            probe(
                "web",
                &fake.url(&format!("/hang?{i}")),
                "  interval = \"1s\"\n  timeout = \"10s\"\n",
            )
        })
        .collect();
    probes.push(probe(
        "mobile",
        &fake.url("/counted"),
        "  interval = \"1s\"\n  timeout = \"1s\"\n",
    ));
    let _app = TestApp::spawn(&bank_config("lab", &probes, &[])).await;

    let hits = eventually(
        Duration::from_secs(30),
        "8 checks of the healthy probe",
        || async {
            let h = fake.hits("/counted");
            (h.len() >= 8).then_some(h)
        },
    )
    .await;
    assert!(fake.hits("/hang").len() >= 5, "the hanging probes ran");
    // The second run is placed anywhere in half an interval to spread probes; from then on
    // the cadence is the interval.
    for pair in hits[1..].windows(2) {
        let gap = pair[1] - pair[0];
        // One second, give or take the 2 % jitter and a busy test machine.
        assert!(
            gap >= Duration::from_millis(900) && gap <= Duration::from_millis(1300),
            "a healthy probe ran {gap:?} after the previous run"
        );
    }
}
