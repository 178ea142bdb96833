//! Errors in the reader's language, the security headers of every answer, and the weight of
//! the home page on a slow phone connection.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::pages::app;

async fn error_in(app: &TestApp, path: &str, accept: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .get(app.url(path))
        .header("accept-language", accept)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_speak_the_readers_language() {
    let (_fake, app) = app().await;
    let (status, v) = error_in(&app, "/api/v1/banks/nope", "fr-MA, fr;q=0.9").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["error"], "not_found");
    assert_eq!(v["message"], "Aucune banque ne s’appelle « nope ».");
    let (_, v) = error_in(&app, "/api/v1/banks/nope?lang=ar", "fr").await;
    assert_eq!(v["message"], "لا يوجد بنك باسم «nope».");
    let (_, v) = error_in(&app, "/api/v1/incidents?channel=fax", "en").await;
    assert_eq!(
        v["message"],
        "`channel`: `fax` is not one of web, mobile, atm, cards, transfers, branches."
    );
    // Bodies too: a report with an unknown channel, read in Arabic.
    let r = app
        .client
        .post(app.url("/api/v1/reports"))
        .header("content-type", "application/json")
        .header("accept-language", "ar")
        .body(json!({"bank": "cdm", "channel": "fax"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-language"], "ar");
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("ليست من بين"),
        "{v}"
    );
    // Pages say it in the page's language.
    let (status, html) = app.text("/banks/nope?lang=fr").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("Aucune banque ne s’appelle « nope »."),
        "{html}"
    );
    // A hostile value is not echoed back whole.
    let long = "9".repeat(20_000);
    let (status, v) = error_in(
        &app,
        &format!("/api/v1/incidents?since={}", &long[..900]),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = v["message"].as_str().unwrap();
    assert!(message.len() < 600 && message.contains("…"), "{message}");
    let (status, html) = app.text(&format!("/scorecard/{long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.len() < 10_000, "the page echoes {} bytes", html.len());
    let (status, html) = app.text("/scorecard/2026-13?lang=ar").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("لا يوجد فيه الشهر 13"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let (_fake, app) = app().await;
    for path in [
        "/",
        "/banks/cdm",
        "/report",
        "/history",
        "/scorecard",
        "/feed.atom",
        "/maintenance.ics",
        "/badge/cdm.svg",
        "/api/v1/status",
        "/no/such/page",
        "/api/v1/banks/nope",
    ] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("script-src"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        // HTML is kept briefly at most; the report form, holding a token, not at all; a bank
        // page handing a browser its token, by that browser alone.
        if h["content-type"].to_str().unwrap().starts_with("text/html") && r.status().is_success() {
            let cache = h["cache-control"].to_str().unwrap();
            let hands_a_token = h
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("bid="));
            assert!(
                cache == "public, max-age=10"
                    || (path == "/report" && cache == "no-store")
                    || (hands_a_token && cache == "private, max-age=10"),
                "{path}: {cache}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_with_the_shipped_banks_fits_forty_kilobytes() {
    let app = TestApp::spawn(bankstatus::config::SHIPPED).await;
    let gzipped = |path: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(app.url(&path))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(r.headers()["content-encoding"], "gzip", "{path}");
            r.bytes().await.unwrap().len()
        }
    };
    for lang in ["ar", "fr", "en"] {
        let (_, html) = app.text(&format!("/?lang={lang}")).await;
        assert!(!html.contains("<script"));
        assert!(!html.contains("@font-face") && !html.contains("fonts."));
        let css = html
            .split("rel=\"stylesheet\" href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let total = gzipped(format!("/?lang={lang}")).await + gzipped(css).await;
        assert!(
            total <= 40 * 1024,
            "/ in {lang} weighs {total} bytes over the wire"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_push_button_speaks_the_pages_language() {
    let (_fake, app) = app().await;
    let (status, fr) = app.text("/subscribe?lang=fr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        fr.contains("data-denied=\"Les notifications sont bloquées"),
        "{fr}"
    );
    let (_, ar) = app.text("/subscribe?lang=ar").await;
    assert!(ar.contains("data-failed=\"تعذر تفعيل الإشعارات"), "{ar}");
    // The script writes only the page's sentences, never the browser's error text.
    let (_, js) = app.text("/push.js").await;
    assert!(js.contains("status.dataset.denied") && js.contains("NotAllowedError"));
    assert!(!js.contains("\"✕ \" + e") && !js.contains("+ e;"), "{js}");
}
