//! Checks refused by a bank's bot protection: a 403 from Akamai, Cloudflare, AWS WAF or
//! Imperva (with their headers and pages) opens no incident, resolves none, and shows the
//! channel `unknown` with the refusal explained on every surface; a plain 403 from the
//! bank's own server is still an outage. Every check names the status page in its
//! User-Agent. Fake banks on 127.0.0.1.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::helpers::{channel_status, eventually, probe, TestApp, REPORTS};

const AKAMAI: &str = "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n\nYou don't have permission to access \"http&#58;&#47;&#47;bank&#46;example&#47;\" on this server.<P>\nReference&#32;&#35;18&#46;2f1e3c4d&#46;1770000000&#46;5a6b7c8d\n</BODY>\n</HTML>\n";
const CLOUDFLARE: &str = "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body><noscript>Enable JavaScript and cookies to continue</noscript><script>window._cf_chl_opt={cvId:'3'};</script></body></html>";
const IMPERVA: &str = "<html><head><META NAME=\"robots\" CONTENT=\"noindex,nofollow\"><script src=\"/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3\"></script></head><body>Request unsuccessful. Incapsula incident ID: 1234000560078901-23456789012345678</body></html>";

/// How `/turn` answers: the bank's page, its own 503, or Akamai's refusal.
const UP: u8 = 0;
const DOWN: u8 = 1;
const REFUSED: u8 = 2;

/// A loopback bank behind each vendor's protection, remembering the User-Agents it saw.
struct Guarded {
    base: String,
    turn: Arc<AtomicU8>,
    agents: Arc<Mutex<Vec<String>>>,
}

fn with_headers(status: StatusCode, headers: &[(&str, &str)], body: &'static str) -> Response {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("text/html"));
    for (k, v) in headers {
        h.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    (status, h, body).into_response()
}

fn akamai() -> Response {
    with_headers(
        StatusCode::FORBIDDEN,
        &[("server", "AkamaiGHost"), ("mime-version", "1.0")],
        AKAMAI,
    )
}

impl Guarded {
    async fn start() -> Guarded {
        let turn = Arc::new(AtomicU8::new(UP));
        let agents: Arc<Mutex<Vec<String>>> = Arc::default();
        let (t, seen) = (turn.clone(), agents.clone());
        let app = Router::new()
            .route("/akamai", get(|| async { akamai() }))
            .route(
                "/cloudflare",
                get(|| async {
                    with_headers(
                        StatusCode::FORBIDDEN,
                        &[
                            ("server", "cloudflare"),
                            ("cf-ray", "8c1f2e3d4a5b6c7d-CDG"),
                            ("cf-mitigated", "challenge"),
                        ],
                        CLOUDFLARE,
                    )
                }),
            )
            .route(
                "/aws",
                get(|| async {
                    with_headers(
                        StatusCode::FORBIDDEN,
                        &[
                            ("x-amzn-requestid", "6e9f1c2a-0000-4d1e-9b7a-3c2d1e0f9a8b"),
                            ("x-amzn-waf-block-reason", "bot-control"),
                        ],
                        "<html><body><h1>403 Forbidden</h1></body></html>",
                    )
                }),
            )
            .route(
                // Imperva serves its page with 200: a body check would have failed on it.
                "/imperva",
                get(|| async {
                    with_headers(
                        StatusCode::OK,
                        &[
                            (
                                "x-iinfo",
                                "5-12345678-0 0NNN RT(1770000000000 0) q(0 -1 -1 -1) r(0 -1)",
                            ),
                            ("x-cdn", "Imperva"),
                        ],
                        IMPERVA,
                    )
                }),
            )
            .route(
                "/plain",
                get(|| async {
                    with_headers(
                        StatusCode::FORBIDDEN,
                        &[("server", "nginx")],
                        "<html><body><h1>403 Forbidden</h1><hr>nginx</body></html>",
                    )
                }),
            )
            .route(
                "/turn",
                get(move |h: HeaderMap| {
                    let (t, seen) = (t.clone(), seen.clone());
                    async move {
                        if let Some(ua) = h.get("user-agent").and_then(|v| v.to_str().ok()) {
                            let mut seen = seen.lock().unwrap();
                            if !seen.iter().any(|s| s == ua) {
                                seen.push(ua.to_owned());
                            }
                        }
                        match t.load(Ordering::SeqCst) {
                            UP => Html("<html><h1>Banque Tournante</h1></html>").into_response(),
                            DOWN => (StatusCode::SERVICE_UNAVAILABLE, "down").into_response(),
                            _ => akamai(),
                        }
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Guarded { base, turn, agents }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

const FAST: &str = "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n  successes_before_recovery = 2\n  body_matches = \"(?i)banque\"\n";

fn config(g: &Guarded) -> String {
    let mut text = format!(
        "timezone = \"Africa/Casablanca\"\ndefault_language = \"en\"\npublic_url = \"https://status.example.ma\"\n{REPORTS}\n[probing]\nreopen_within = \"0s\"\n"
    );
    for slug in ["akamai", "cloudflare", "aws", "imperva", "plain", "turn"] {
        text.push_str(&format!(
            "[[banks]]\nslug = \"{slug}\"\nname = {{ fr = \"Banque {slug}\", en = \"Bank {slug}\" }}\n  [[banks.probes]]\n{}\n",
            probe("web", &g.url(&format!("/{slug}")), FAST)
        ));
    }
    text
}

/// Checks of `probe` refused so far, from `/metrics` (none before the first).
async fn refusals(app: &TestApp, probe: &str) -> f64 {
    let (_, text) = app.text("/metrics").await;
    let line = format!("bankstatus_probe_blocked_total{{probe=\"{probe}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

async fn incidents(app: &TestApp, bank: &str) -> Vec<Value> {
    app.json(&format!("/api/v1/incidents?bank={bank}")).await["incidents"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_check_is_no_outage_and_a_plain_403_still_is() {
    let g = Guarded::start().await;
    let app = TestApp::spawn(&config(&g)).await;

    // The bank's own 403 opens its outage at the threshold, as any failure does.
    eventually(
        Duration::from_secs(15),
        "the plain 403's outage",
        || async {
            channel_status(&app, "plain", "web").await["incident_id"]
                .as_i64()
                .map(|_| ())
        },
    )
    .await;
    let plain = app.json("/api/v1/banks/plain").await;
    assert_eq!(
        plain["channels"][0]["probes"][0]["last_check"]["error_class"], "status",
        "{plain}"
    );
    // Every refused probe has been refused many times over meanwhile.
    for (slug, vendor) in [
        ("akamai", "Akamai"),
        ("cloudflare", "Cloudflare"),
        ("aws", "AWS WAF"),
        ("imperva", "Imperva"),
    ] {
        let id = format!("{slug}/web/0");
        eventually(Duration::from_secs(10), "refusals counted", || async {
            (refusals(&app, &id).await >= 4.0).then_some(())
        })
        .await;
        let web = channel_status(&app, slug, "web").await;
        assert_eq!(web["status"], "unknown", "{slug}: {web}");
        assert_eq!(web["failing"], "blocked", "{slug}: {web}");
        assert!(web["incident_id"].is_null(), "{slug}: {web}");
        assert!(incidents(&app, slug).await.is_empty(), "{slug}");
        let bank = app.json(&format!("/api/v1/banks/{slug}")).await;
        assert_eq!(bank["status"], "unknown", "{slug}: {bank}");
        let check = &bank["channels"][0]["probes"][0]["last_check"];
        assert_eq!(check["error_class"], "blocked", "{slug}: {check}");
        assert!(
            check["refused_by"].as_str().unwrap().starts_with(vendor),
            "{slug}: {check}"
        );
        let (_, page) = app.text(&format!("/banks/{slug}?lang=en")).await;
        assert!(
            page.contains("Our checks are being refused by the bank"),
            "{slug}: the page does not explain the refusal"
        );
        // The link preview says so too, rather than "not checked yet".
        assert!(
            page.contains(&format!(
                "Bank {slug}: our checks are being refused by the bank"
            )),
            "{slug}: the preview does not explain the refusal"
        );
        let (_, fr) = app.text(&format!("/banks/{slug}?lang=fr")).await;
        assert!(fr.contains("Nos vérifications sont refusées par la protection de la banque"));
        let sp = app
            .json(&format!("/banks/{slug}/api/v2/components.json"))
            .await;
        assert_eq!(sp["components"][0]["status"], "operational", "{sp}");
        assert!(
            sp["components"][0]["description"]
                .as_str()
                .unwrap()
                .contains("refused by the bank's protection"),
            "{sp}"
        );
    }
    // Refused checks darken no uptime bar: they are stored, not counted.
    let stored = app
        .count("SELECT COUNT(*) FROM probe_results WHERE probe_id = 'akamai/web/0' AND error_class = 'blocked' AND counted = 0")
        .await;
    assert!(stored >= 1, "{stored}");
    let counted = app
        .count("SELECT COUNT(*) FROM probe_results WHERE probe_id = 'akamai/web/0' AND counted = 1")
        .await;
    assert_eq!(counted, 0);
    assert!(
        app.metric("bankstatus_probe_failures_total{class=\"blocked\"} ")
            .await
            >= 16.0
    );
    // Every check names the status page.
    let agents = g.agents.lock().unwrap().clone();
    assert_eq!(
        agents,
        [format!(
            "bankstatus/{} (+https://status.example.ma; public status page)",
            env!("CARGO_PKG_VERSION")
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_neither_resolves_an_open_outage_nor_hides_it_once_through() {
    let g = Guarded::start().await;
    let app = TestApp::spawn(&config(&g)).await;
    eventually(Duration::from_secs(10), "operational", || async {
        (channel_status(&app, "turn", "web").await["status"] == "operational").then_some(())
    })
    .await;
    g.turn.store(DOWN, Ordering::SeqCst);
    let id = eventually(Duration::from_secs(10), "the outage", || async {
        channel_status(&app, "turn", "web").await["incident_id"].as_i64()
    })
    .await;
    // The bank's protection starts refusing while it is down: the outage stays open.
    g.turn.store(REFUSED, Ordering::SeqCst);
    let before = refusals(&app, "turn/web/0").await;
    eventually(Duration::from_secs(10), "refusals", || async {
        (refusals(&app, "turn/web/0").await >= before + 4.0).then_some(())
    })
    .await;
    let web = channel_status(&app, "turn", "web").await;
    assert_eq!(web["status"], "unknown", "{web}");
    assert_eq!(web["failing"], "blocked", "{web}");
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["state"], "investigating", "{incident}");
    // Through again and answering: the usual recovery resolves it.
    g.turn.store(UP, Ordering::SeqCst);
    eventually(Duration::from_secs(10), "the resolution", || async {
        let i = app.json(&format!("/api/v1/incidents/{id}")).await;
        (i["state"] == "resolved").then_some(())
    })
    .await;
    assert_eq!(
        channel_status(&app, "turn", "web").await["status"],
        "operational"
    );
}
