//! Agents probe from other networks: a quorum of regions opens an outage and the incident
//! names them, a region whose own network is cut is left out and shown so, batches are
//! stored once, and an agent keeps its results through a server restart.

use std::time::Duration;

use bankstatus::agent::AgentArgs;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::helpers::{bank_config, channel_status, eventually, probe, FakeBank, TestApp, AGENT};

const PROBE: &str =
    "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 3\n  successes_before_recovery = 2\n";

/// One bank probed at `/regional`, controls at `/regional-control`; the server is region
/// `rabat` and an outage needs two regions.
fn config(fake: &FakeBank) -> String {
    let mut text = bank_config(
        "acme",
        &[probe("web", &fake.url("/regional"), PROBE)],
        &[fake.url("/regional-control")],
    );
    text.push_str("\n[probing]\nregion = \"rabat\"\nquorum = 2\n");
    text
}

fn start_agent(app: &TestApp, region: &str, shutdown: &CancellationToken) {
    let args = AgentArgs {
        server: app.url(""),
        token: AGENT.to_owned(),
        region: region.to_owned(),
    };
    tokio::spawn(bankstatus::agent::run(args, shutdown.clone()));
}

fn set(list: &std::sync::Mutex<Vec<String>>, regions: &[&str]) {
    *list.lock().unwrap() = regions.iter().map(|r| (*r).to_owned()).collect();
}

async fn regions(app: &TestApp) -> Vec<Value> {
    app.json("/api/v1/status").await["regions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorum_of_regions_opens_the_outage_and_a_cut_region_is_left_out() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    let shutdown = CancellationToken::new();
    start_agent(&app, "casa", &shutdown);
    start_agent(&app, "fes", &shutdown);
    eventually(
        Duration::from_secs(15),
        "three regions checking",
        || async {
            let r = regions(&app).await;
            let web = channel_status(&app, "acme", "web").await;
            (r.len() == 3 && web["status"] == "operational").then_some(())
        },
    )
    .await;

    // One region of three sees the bank down: no outage with a quorum of two.
    set(&fake.state.failing_regions, &["casa"]);
    let casa_down = "SELECT COUNT(*) FROM probe_results WHERE region = 'casa' AND outcome = 'down'";
    eventually(Duration::from_secs(10), "casa's failures", || async {
        (app.count(casa_down).await >= 6).then_some(())
    })
    .await;
    // Twice casa's threshold is stored; the engine has taken it all in.
    app.engine_takes(10).await;
    assert!(channel_status(&app, "acme", "web").await["incident_id"].is_null());
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 0);
    assert!(
        app.count("SELECT COUNT(*) FROM probe_results WHERE region = 'casa' AND outcome = 'down'")
            .await
            >= 3,
        "casa's failures were stored"
    );

    // A second region agrees: the outage opens and says who saw it.
    set(&fake.state.failing_regions, &["casa", "fes"]);
    let id = eventually(Duration::from_secs(10), "an outage", || async {
        channel_status(&app, "acme", "web").await["incident_id"].as_i64()
    })
    .await;
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    let first = incident["updates"][0]["message"]["en"].as_str().unwrap();
    assert!(first.contains("Seen from casa, fes"), "{first}");
    let fr = incident["updates"][0]["message"]["fr"].as_str().unwrap();
    assert!(fr.contains("casa") && fr.contains("fes"), "{fr}");

    set(&fake.state.failing_regions, &[]);
    eventually(Duration::from_secs(10), "the recovery", || async {
        let i = app.json(&format!("/api/v1/incidents/{id}")).await;
        (i["state"] == "resolved").then_some(())
    })
    .await;

    // casa's own network is cut: its failures are left out instead of voting, so fes alone
    // opens nothing, and the page says casa is cut off.
    set(&fake.state.cut_regions, &["casa"]);
    set(&fake.state.failing_regions, &["casa", "fes"]);
    let cut = eventually(Duration::from_secs(10), "casa cut off", || async {
        regions(&app)
            .await
            .into_iter()
            .find(|r| r["name"] == "casa" && r["cut_since"].is_string())
    })
    .await;
    assert!(cut["cut_since"].as_str().unwrap().starts_with("20"));
    let fes_down = "SELECT COUNT(*) FROM probe_results WHERE region = 'fes' AND outcome = 'down'";
    let before = app.count(fes_down).await;
    eventually(Duration::from_secs(10), "fes's failures", || async {
        (app.count(fes_down).await >= before + 6).then_some(())
    })
    .await;
    app.engine_takes(10).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 1);
    assert!(channel_status(&app, "acme", "web").await["incident_id"].is_null());
    assert!(
        app.count(
            "SELECT COUNT(*) FROM probe_results WHERE region = 'casa' AND outcome = 'down' \
             AND counted = 0 AND bank IS NOT NULL"
        )
        .await
            > 0,
        "casa's failures while cut off do not count"
    );
    let (_, html) = app.text("/?lang=en").await;
    assert!(html.contains("Vantage points"), "{html}");
    assert!(html.contains("<bdi>casa</bdi>: <strong>cut off"), "{html}");
    let (_, html) = app.text("/?lang=ar").await;
    assert!(html.contains("نقاط المراقبة"));
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_api_takes_each_batch_once_and_refuses_bad_ones() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    let post = |body: Value, token: Option<&'static str>| {
        let mut req = app
            .client
            .post(app.url("/api/v1/agents/results"))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let r = req.send().await.unwrap();
            let status = r.status();
            (
                status,
                serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap(),
            )
        }
    };
    let result = json!({
        "probe_id": "acme/web/0",
        "target": { "Bank": { "bank": "acme", "channel": "web" } },
        "at": chrono::Utc::now().to_rfc3339(),
        "latency_ms": 12,
        "http_status": 200,
        "outcome": "Up",
        "counted": true
    });
    let batch = json!({ "agent": "casa-1", "region": "casa", "seq": 1, "results": [result.clone(), result.clone()] });
    let (status, v) = post(batch.clone(), Some(AGENT)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["stored"], 2);
    assert_eq!(v["duplicate"], false);
    // The answer was lost, the agent sends the batch again: stored once.
    let (status, v) = post(batch.clone(), Some(AGENT)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["duplicate"], true);
    eventually(Duration::from_secs(5), "the batch stored", || async {
        (app.count("SELECT COUNT(*) FROM probe_results WHERE region = 'casa'")
            .await
            == 2)
            .then_some(())
    })
    .await;

    // A probe the server does not have is ignored, not stored.
    let unknown = json!({ "agent": "casa-1", "region": "casa", "seq": 2,
        "results": [ { "probe_id": "other/web/0", "target": { "Bank": { "bank": "other", "channel": "web" } },
            "at": chrono::Utc::now().to_rfc3339(), "latency_ms": 1, "http_status": 200, "outcome": "Up", "counted": true } ] });
    let (_, v) = post(unknown, Some(AGENT)).await;
    assert_eq!(v["ignored"], 1);

    let (status, v) = post(batch.clone(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        v["message"].as_str().unwrap().contains("Authorization"),
        "{v}"
    );
    let (status, _) = post(batch.clone(), Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for (body, field) in [
        (
            json!({ "agent": "casa-1", "region": "Casa!", "seq": 3, "results": [] }),
            "region",
        ),
        (
            json!({ "agent": "casa-1", "region": "rabat", "seq": 3, "results": [] }),
            "region",
        ),
        (
            json!({ "agent": "", "region": "casa", "seq": 3, "results": [] }),
            "agent",
        ),
        (
            json!({ "agent": "casa-1", "region": "casa", "seq": 0, "results": [] }),
            "seq",
        ),
    ] {
        let (status, v) = post(body, Some(AGENT)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {v}");
        assert!(v["message"].as_str().unwrap().contains(field), "{v}");
    }
    let many: Vec<Value> = (0..501).map(|_| result.clone()).collect();
    let (status, v) = post(
        json!({ "agent": "casa-1", "region": "casa", "seq": 4, "results": many }),
        Some(AGENT),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["message"].as_str().unwrap().contains("500"), "{v}");
    let (status, _) = post(json!({ "agent": 5 }), Some(AGENT)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Results older than the raw retention would only rewrite the past: ignored. A failure's
    // detail is kept to 500 characters.
    let old = json!({ "agent": "casa-1", "region": "casa", "seq": 5, "results": [
        { "probe_id": "acme/web/0", "target": { "Bank": { "bank": "acme", "channel": "web" } },
          "at": "2020-01-01T00:00:00Z", "latency_ms": 1, "http_status": 200, "outcome": "Up", "counted": true },
        { "probe_id": "acme/web/0", "target": { "Bank": { "bank": "acme", "channel": "web" } },
          "at": chrono::Utc::now().to_rfc3339(), "latency_ms": 1, "http_status": null,
          "outcome": { "Down": { "class": "timeout", "detail": "x".repeat(100_000) } }, "counted": true } ] });
    let (status, v) = post(old, Some(AGENT)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["stored"].as_i64(), v["ignored"].as_i64()),
        (Some(1), Some(1))
    );
    eventually(Duration::from_secs(5), "the failure stored", || async {
        let sql =
            "SELECT COUNT(*) FROM probe_results WHERE region = 'casa' AND LENGTH(detail) = 500";
        (app.count(sql).await == 1).then_some(())
    })
    .await;

    for (query, want) in [
        ("", StatusCode::UNPROCESSABLE_ENTITY),
        ("?region=rabat", StatusCode::UNPROCESSABLE_ENTITY),
        ("?region=%FF%FE", StatusCode::UNPROCESSABLE_ENTITY),
        (
            &*format!("?region={}", "a".repeat(5000)),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/agents/assignment{query}")))
            .bearer_auth(AGENT)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want, "{query}");
        let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert!(v["message"].is_string(), "{v}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/agents/assignment?region=casa"))
        .bearer_auth(AGENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let a: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(a["probes"][0]["id"], "acme/web/0");
    assert_eq!(a["controls"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_keeps_its_results_through_a_server_restart() {
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&config(&fake)).await;
    let shutdown = CancellationToken::new();
    start_agent(&app, "casa", &shutdown);
    eventually(
        Duration::from_secs(10),
        "the agent's first results",
        || async {
            (app.count("SELECT COUNT(*) FROM probe_results WHERE region = 'casa'")
                .await
                > 0)
            .then_some(())
        },
    )
    .await;

    app.stop().await;
    let down_from = chrono::Utc::now();
    // The server is away while the agent checks 15 more times (about 3 s).
    let stopped = tokio::time::Instant::now();
    eventually(
        Duration::from_secs(10),
        "the agent's checks meanwhile",
        || async {
            let since = fake
                .hits("/regional")
                .iter()
                .filter(|t| **t > stopped)
                .count();
            (since >= 15).then_some(())
        },
    )
    .await;
    let down_until = chrono::Utc::now();
    app.restart_in_place().await;

    // What the agent checked while the server was away arrives once it is back, once.
    let during = format!(
        "SELECT COUNT(*) FROM probe_results WHERE region = 'casa' AND bank IS NOT NULL AND at >= {} AND at < {}",
        down_from.timestamp_millis() + 500,
        down_until.timestamp_millis() - 500
    );
    eventually(Duration::from_secs(15), "the buffered results", || async {
        (app.count(&during).await >= 8).then_some(())
    })
    .await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM (SELECT probe_id, at FROM probe_results WHERE region = 'casa' \
             GROUP BY probe_id, at HAVING COUNT(*) > 1) AS twice"
        )
        .await,
        0,
        "no result stored twice"
    );
    shutdown.cancel();
}
