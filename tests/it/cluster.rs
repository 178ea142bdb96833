//! Several instances on one PostgreSQL database: probes run once per interval across them,
//! a killed instance's probes are taken over, and incidents, pages and report limits are
//! the same whichever instance is asked. These tests always run on PostgreSQL.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;

use crate::helpers::{
    bank_config, channel_status, eventually, probe, serve, FakeBank, TestApp, TestDb,
};

const PROBES: usize = 50;

async fn wait_healthy(base: &str) {
    let client = reqwest::Client::new();
    eventually(Duration::from_secs(30), "the instance to serve", || async {
        let r = client.get(format!("{base}/healthz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
}

/// Checks of each probe in `[from, to)`.
fn hits_between(fake: &FakeBank, from: Instant, to: Instant) -> Vec<usize> {
    (0..PROBES)
        .map(|n| {
            fake.hits(&format!("/probe/{n}"))
                .iter()
                .filter(|t| **t >= from && **t < to)
                .count()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_probes_and_survive_a_sigkill() {
    let fake = FakeBank::start().await;
    let probes: Vec<String> = (0..PROBES)
        .map(|n| {
            probe(
                "web",
                &fake.url(&format!("/probe/{n}")),
                "  interval = \"1s\"\n  timeout = \"1s\"\n",
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("banks.toml");
    std::fs::write(&config, bank_config("acme", &probes, &[])).unwrap();
    let db = TestDb::postgres();
    // The first creates and migrates the database; the second joins it.
    let (mut first, first_base) = serve(&config, &db.url);
    wait_healthy(&first_base).await;
    let (mut second, second_base) = serve(&config, &db.url);
    wait_healthy(&second_base).await;

    // Past the start-up spread (every probe has run), until every probe has run 20 times:
    // at 1 s, about 20 s, with no probe run twice in a turn.
    eventually(Duration::from_secs(15), "every probe running", || async {
        hits_between(
            &fake,
            Instant::now() - Duration::from_secs(3600),
            Instant::now(),
        )
        .iter()
        .all(|c| *c > 0)
        .then_some(())
    })
    .await;
    let from = Instant::now();
    eventually(
        Duration::from_secs(40),
        "20 turns of every probe",
        || async {
            hits_between(&fake, from, Instant::now())
                .iter()
                .all(|c| *c >= 20)
                .then_some(())
        },
    )
    .await;
    let took = from.elapsed();
    let counts = hits_between(&fake, from, Instant::now());
    assert!(
        (Duration::from_secs(18)..=Duration::from_secs(23)).contains(&took),
        "20 turns at 1 s took {took:?}: {counts:?}"
    );
    for (n, c) in counts.iter().enumerate() {
        assert!((20..=23).contains(c), "probe {n} ran {c} times in {took:?}");
    }
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let holders: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT holder) FROM probe_schedule")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(holders, 2, "both instances run probes");

    // SIGKILL: no goodbye, the lease and claims simply stop being renewed.
    first.kill().unwrap();
    first.wait().unwrap();
    let killed = Instant::now();
    // Until every probe has run 8 times since: each taken over within two intervals, then
    // once a second from the survivor alone.
    eventually(
        Duration::from_secs(30),
        "8 turns after the kill",
        || async {
            hits_between(&fake, killed, Instant::now())
                .iter()
                .all(|c| *c >= 8)
                .then_some(())
        },
    )
    .await;
    for n in 0..PROBES {
        let first_after = fake
            .hits(&format!("/probe/{n}"))
            .into_iter()
            .find(|t| *t > killed)
            .unwrap_or_else(|| panic!("probe {n} never ran after the kill"));
        assert!(
            first_after - killed <= Duration::from_millis(2200),
            "probe {n} ran again only {:?} after the kill",
            first_after - killed
        );
    }
    let steady = killed + Duration::from_secs(3);
    let span = steady.elapsed();
    let counts = hits_between(&fake, steady, Instant::now());
    let expected = span.as_secs_f64();
    for (n, c) in counts.iter().enumerate() {
        assert!(
            (*c as f64 - expected).abs() <= 1.5,
            "probe {n} ran {c} times in {span:?} alone"
        );
    }
    // The survivor took the engine over too: it serves the status of the bank.
    let status: serde_json::Value = serde_json::from_str(
        &reqwest::get(format!("{second_base}/api/v1/status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(status["banks"][0]["channels"][0]["status"], "operational");
    second.kill().unwrap();
    second.wait().unwrap();
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_outage_seen_by_two_instances_is_one_incident() {
    let fake = FakeBank::start().await;
    let probes = [
        probe(
            "web",
            &fake.url("/toggle"),
            "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 3\n  successes_before_recovery = 2\n",
        ),
        probe(
            "web",
            &fake.url("/toggle"),
            "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 3\n  successes_before_recovery = 2\n",
        ),
    ];
    let config = bank_config("acme", &probes, &[]);
    let db = TestDb::postgres();
    let one = TestApp::spawn_on(&config, db).await;
    let two = one.spawn_beside(&config).await;
    for app in [&one, &two] {
        eventually(Duration::from_secs(10), "a first check", || async {
            (channel_status(app, "acme", "web").await["status"] == "operational").then_some(())
        })
        .await;
    }

    fake.state.failing.store(true, Ordering::SeqCst);
    let id = eventually(Duration::from_secs(10), "an outage", || async {
        channel_status(&one, "acme", "web").await["incident_id"].as_i64()
    })
    .await;
    // The other instance shows the same incident within a few seconds.
    eventually(
        Duration::from_secs(5),
        "the same outage on both",
        || async {
            (channel_status(&two, "acme", "web").await["incident_id"].as_i64() == Some(id))
                .then_some(())
        },
    )
    .await;
    // Both instances go on failing a while (ten more checks): still one incident.
    let seen = fake.hits("/toggle").len();
    eventually(Duration::from_secs(10), "ten more failures", || async {
        (fake.hits("/toggle").len() >= seen + 10).then_some(())
    })
    .await;
    assert_eq!(one.count("SELECT COUNT(*) FROM incidents").await, 1);
    let (_, html) = two.text(&format!("/incidents/{id}")).await;
    assert!(html.contains("Bank acme"), "{html}");

    fake.state.failing.store(false, Ordering::SeqCst);
    for app in [&one, &two] {
        eventually(Duration::from_secs(10), "the recovery on both", || async {
            (channel_status(app, "acme", "web").await["status"] == "operational").then_some(())
        })
        .await;
    }
    assert_eq!(one.count("SELECT COUNT(*) FROM incidents").await, 1);
    let resolved = two.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(resolved["state"], "resolved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_counted_across_instances() {
    let config = bank_config("acme", &[], &[]);
    let db = TestDb::postgres();
    let one = TestApp::spawn_on(&config, db).await;
    let two = one.spawn_beside(&config).await;

    // One address, its requests spread over both instances: one allowance of 20 an hour.
    let mut accepted = 0;
    for i in 0..26 {
        let app = if i % 2 == 0 { &one } else { &two };
        let (status, _) = app.report("acme", "atm", "198.51.100.7").await;
        match status {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("report {i}: {other}"),
        }
    }
    assert_eq!(accepted, 20);

    // Three people of three networks, two on one instance and one on the other: together
    // they reach the floor of 3, and one incident opens.
    for (app, ip) in [
        (&one, "192.0.2.1"),
        (&two, "198.51.100.2"),
        (&one, "203.0.113.3"),
    ] {
        let (status, _) = app.report("acme", "cards", ip).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let id = eventually(Duration::from_secs(10), "a surge", || async {
        channel_status(&two, "acme", "cards").await["incident_id"].as_i64()
    })
    .await;
    eventually(Duration::from_secs(5), "the surge on both", || async {
        (channel_status(&one, "acme", "cards").await["incident_id"].as_i64() == Some(id))
            .then_some(())
    })
    .await;
    assert_eq!(
        one.count("SELECT COUNT(*) FROM incidents WHERE kind = 'outage'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_cut_off_does_not_blind_the_others() {
    let fake = FakeBank::start().await;
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 3\n",
    )];
    // Each instance judges its own network by its own controls: the second one's fail.
    let seeing = bank_config("acme", &probes, &[fake.url("/up")]);
    let blind = bank_config("acme", &probes, &[fake.url("/down")]);
    let one = TestApp::spawn_on(&seeing, TestDb::postgres()).await;
    let two = one.spawn_beside(&blind).await;
    eventually(Duration::from_secs(10), "a first check", || async {
        (channel_status(&two, "acme", "web").await["status"] == "operational").then_some(())
    })
    .await;
    // The blind instance's controls have failed ten times and it has told the others.
    let seen = fake.hits("/down").len();
    eventually(Duration::from_secs(10), "ten failed controls", || async {
        (fake.hits("/down").len() >= seen + 10).then_some(())
    })
    .await;
    let status = two.json("/api/v1/status").await;
    assert!(status["network_cut_since"].is_null(), "{status}");

    fake.state.failing.store(true, Ordering::SeqCst);
    for app in [&one, &two] {
        eventually(Duration::from_secs(10), "the outage on both", || async {
            channel_status(app, "acme", "web").await["incident_id"].as_i64()
        })
        .await;
    }
    // The blind instance's failures are stored as not counted; the other's count.
    eventually(Duration::from_secs(10), "the blind instance's checks", || async {
        let sql = "SELECT COUNT(*) FROM probe_results WHERE bank = 'acme' AND outcome = 'down' AND counted = 0";
        (one.count(sql).await > 0).then_some(())
    })
    .await;
    assert!(
        one.count("SELECT COUNT(*) FROM probe_results WHERE bank = 'acme' AND outcome = 'down' AND counted = 1")
            .await
            >= 3
    );
    let (_, html) = one.text("/").await;
    assert!(!html.contains("The tracker cannot see the banks right now"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_each_alert_once() {
    use crate::alerts::{db_count, receivers, subscribe_many, ALERTS};
    const N: usize = 100;
    let (hooks, rx) = receivers().await;
    let config = format!("{}{ALERTS}", bank_config("bmce", &[], &[]));
    let a = TestApp::spawn_on(&config, TestDb::postgres()).await;
    let b = a.spawn_beside(&config).await;
    subscribe_many(&a.url(""), &hooks, "once", N, &a.db_url).await;
    let (status, v) = b
        .post(
            "/api/v1/incidents",
            &serde_json::json!({"kind": "advisory", "banks": ["bmce"], "title": {"fr": "Hameçonnage"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    eventually(Duration::from_secs(30), "every delivery done", || async {
        let pending = db_count(
            &a.db_url,
            "SELECT COUNT(*) FROM alert_events WHERE fanned_out = 0",
        )
        .await;
        let done = db_count(
            &a.db_url,
            "SELECT COUNT(*) FROM deliveries WHERE purpose = 'event' AND done_at IS NOT NULL",
        )
        .await;
        (done == N as i64 && pending == 0).then_some(())
    })
    .await;
    for i in 0..N {
        assert_eq!(rx.events(&format!("once{i}")).len(), 1, "once{i}");
    }
}

/// Two instances take facts at once: one log, numbered without a gap, one tree, and every
/// checkpoint either instance published a prefix of every later one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_keep_one_log() {
    let fake = FakeBank::start().await;
    let config = format!(
        "{}\n[log]\ncheckpoint_every = \"200ms\"\n",
        crate::helpers::quiet_bank(&fake)
    );
    let first = TestApp::spawn_on(&config, TestDb::postgres()).await;
    let second = first.spawn_beside(&config).await;
    let dir = tempfile::tempdir().unwrap();
    let mut saved = Vec::new();
    // Both take facts at the same time.
    let post = |app: std::sync::Arc<TestApp>, round: usize, n: usize| async move {
        for i in 0..5 {
            let (status, v) = app
                .post(
                    "/api/v1/incidents",
                    &serde_json::json!({"kind": "outage", "banks": ["bmce"], "channels": ["web"],
                        "title": {"fr": format!("Panne {round}.{n}.{i}")},
                        "started_at": "2026-02-10T09:00", "resolved_at": "2026-02-10T10:00", "state": "resolved"}),
                    true,
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{v}");
        }
        app.text("/log/checkpoint").await.1
    };
    let (first, second) = (std::sync::Arc::new(first), std::sync::Arc::new(second));
    for round in 0..6 {
        let (a, b) = tokio::join!(
            post(first.clone(), round, 0),
            post(second.clone(), round, 1)
        );
        for (n, note) in [a, b].into_iter().enumerate() {
            let file = dir.path().join(format!("{round}-{n}.checkpoint"));
            std::fs::write(&file, note).unwrap();
            saved.push(file);
        }
    }
    let size = first.logged().await;
    assert_eq!(size, 6 * 2 * 5 * 2);
    assert_eq!(
        first.count("SELECT COUNT(*) FROM log_entries").await,
        size as i64
    );
    assert_eq!(
        first.count("SELECT MAX(idx) + 1 FROM log_entries").await,
        size as i64
    );
    // Both instances serve the same tree.
    eventually(Duration::from_secs(10), "the second to follow", || async {
        let (_, a) = first.text("/log/checkpoint").await;
        let (_, b) = second.text("/log/checkpoint").await;
        (a.lines().take(3).eq(b.lines().take(3))).then_some(())
    })
    .await;
    let path = format!("/log/tile/entries/000.p/{size}");
    let a = first.get(&path).await.bytes().await.unwrap();
    let b = second.get(&path).await.bytes().await.unwrap();
    assert_eq!(a, b);
    // Each checkpoint either published is a prefix of the latest, as both serve it.
    for app in [first.as_ref(), second.as_ref()] {
        for file in &saved {
            let (code, out) =
                crate::verify::verify(&[&app.url("/"), "--since", &file.display().to_string()]);
            assert_eq!(code, 0, "{}: {out}", file.display());
            assert!(out.contains("is a prefix of the current one"), "{out}");
        }
    }
}
