//! Pages, errors and operations endpoints answer as people and scripts expect.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{bank_config, eventually, probe, FakeBank, TestApp};

/// One bank, `cdm`, probed every second against a healthy fake.
pub async fn app() -> (FakeBank, TestApp) {
    let fake = FakeBank::start().await;
    let probes = [probe("web", &fake.url("/up"), "  interval = \"1s\"\n")];
    let app = TestApp::spawn(&bank_config("cdm", &probes, &[])).await;
    (fake, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_speak_the_chosen_language() {
    let (_fake, app) = app().await;
    let (status, html) = app.text("/?lang=ar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(html.contains("حالة البنوك"));

    // The explicit choice is remembered in a cookie.
    let r = app.get("/banks/cdm?lang=fr").await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=fr;"), "{cookie}");
    let r = app
        .client
        .get(app.url("/"))
        .header("cookie", "lang=fr")
        .send()
        .await
        .unwrap();
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<html lang=\"fr\" dir=\"ltr\">"));

    // Accept-Language with q-values, when nothing else says.
    let r = app
        .client
        .get(app.url("/"))
        .header("accept-language", "de, en;q=0.4, ar;q=0.8")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("<html lang=\"ar\""));
    // The configured default otherwise.
    let (_, html) = app.text("/").await;
    assert!(html.contains("<html lang=\"en\" dir=\"ltr\">"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_things_get_real_errors() {
    let (_fake, app) = app().await;
    for path in [
        "/banks/nope",
        "/incidents/999",
        "/incidents/abc",
        "/no/such/page",
        "/static/style.css",
    ] {
        let (status, html) = app.text(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            html.contains("Page not found") || html.contains("الصفحة غير موجودة"),
            "{path}: {html}"
        );
    }
    for path in [
        "/api/v1/banks/nope",
        "/api/v1/incidents/abc",
        "/api/v1/incidents/12",
        "/api/v1/nothing",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert_eq!(body["error"], "not_found", "{path}");
        assert!(body["message"].as_str().unwrap().len() > 10, "{path}");
    }
    let long = "x".repeat(10_000);
    for path in [
        "/?lang=xx".to_owned(),
        format!("/banks/cdm?lang={long}"),
        "/?lang=%ff%fe".to_owned(),
    ] {
        let (status, _) = app.text(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_endpoints_and_headers() {
    let (_fake, app) = app().await;
    let (status, body) = app.text("/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));

    eventually(Duration::from_secs(10), "a stored result", || async {
        (app.metric("bankstatus_results_written_total").await >= 1.0).then_some(())
    })
    .await;
    let (_, metrics) = app.text("/metrics").await;
    for name in [
        "bankstatus_probe_runs_total{outcome=\"up\"}",
        "bankstatus_probe_failures_total{class=\"timeout\"}",
        "bankstatus_schedule_lag_seconds_bucket{le=\"+Inf\"}",
        "bankstatus_write_queue_depth",
        "bankstatus_open_incidents",
    ] {
        assert!(metrics.contains(name), "/metrics lacks {name}");
    }

    let r = app.get("/").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let html = r.text().await.unwrap();
    // The stylesheet link is content-hashed and cached for a long time.
    let href = html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let css = app.get(&href).await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert!(!html.contains("<script"), "pages need no JavaScript");
}
