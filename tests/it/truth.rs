//! What a probe sees through: maintenance pages in Arabic, French and English, redirects,
//! body and JSON checks, the bank's announced return, certificates about to lapse, a cut
//! network, one dead control, and a flapping channel. Fake banks on 127.0.0.1; the TLS one
//! with a CA and a certificate made by `openssl` at test time.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use crate::helpers::{bank_config, channel_status, eventually, probe, TestApp, REPORTS};

/// A loopback bank that fails the ways real ones do.
struct Shapes {
    base: String,
    /// `/flap` answers at random (seeded) while set, else 200.
    flapping: Arc<AtomicBool>,
    /// `/bank` and `/control` answer 503 while set: the tracker's network is cut.
    cut: Arc<AtomicBool>,
    /// `/bank` alone answers 503 while set.
    bank_down: Arc<AtomicBool>,
}

/// One step of a xorshift generator: the same sequence of answers on every run.
fn next(seed: &AtomicU64) -> u64 {
    let mut x = seed.load(Ordering::SeqCst);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    seed.store(x, Ordering::SeqCst);
    x
}

impl Shapes {
    async fn start() -> Shapes {
        let flapping = Arc::new(AtomicBool::new(false));
        let cut = Arc::new(AtomicBool::new(false));
        let bank_down = Arc::new(AtomicBool::new(false));
        let seed = Arc::new(AtomicU64::new(0x9e37_79b9_7f4a_7c15));
        let retry_date = httpdate(Utc::now() + chrono::Duration::hours(2));
        let (f, c, b, c2) = (
            flapping.clone(),
            cut.clone(),
            bank_down.clone(),
            cut.clone(),
        );
        let app = Router::new()
            .route("/login", get(|| async { Html("<html><h1>Espace client</h1><form>Identifiant</form></html>") }))
            .route("/maint-fr", get(|| async { Html("<html><body><h1>Service momentan&eacute;ment indisponible</h1><p>Merci de votre patience.</p></body></html>") }))
            .route("/maint-ar", get(|| async { Html("<html dir=\"rtl\"><body><p>عزيزي الزبون، الخدمة غير متوفرة حاليا بسبب أعمال الصيانة.</p></body></html>") }))
            .route("/maint-en", get(|| async { Html("<html><body><h1>We'll be back soon!</h1><p>Our site is  under\n maintenance.</p></body></html>") }))
            .route("/to-maintenance", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/maintenance.html")]) }))
            .route("/maintenance.html", get(|| async { Html("<html><body>Back shortly.</body></html>") }))
            .route("/moved", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/login")]) }))
            .route("/to-error", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/login?error=session")]) }))
            .route("/json-up", get(|| async { ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"UP","components":[{"name":"core","up":true}]}"#) }))
            .route("/json-down", get(|| async { ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"DOWN","components":[{"name":"core","up":false}]}"#) }))
            .route("/retry-seconds", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "120")], "busy") }))
            .route("/retry-date", get(move || {
                let date = retry_date.clone();
                async move { (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, date)], "closed") }
            }))
            .route("/flap", get(move || {
                let (f, seed) = (f.clone(), seed.clone());
                async move {
                    if f.load(Ordering::SeqCst) && next(&seed).is_multiple_of(2) {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
            }))
            .route("/bank", get(move || {
                let (c, b) = (c.clone(), b.clone());
                async move {
                    if c.load(Ordering::SeqCst) || b.load(Ordering::SeqCst) {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
            }))
            .route("/control", get(move || {
                let c = c2.clone();
                async move {
                    if c.load(Ordering::SeqCst) { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }
                }
            }))
            .route("/dead-control", get(|| async { StatusCode::BAD_GATEWAY }))
            .route("/ok", get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Shapes {
            base,
            flapping,
            cut,
            bank_down,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// An IMF-fixdate (RFC 9110), as `Retry-After` carries it.
fn httpdate(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// A config of several one-channel banks, each `(slug, probe table)`.
fn banks(list: &[(&str, String)], tail: &str) -> String {
    let mut text =
        format!("timezone = \"Africa/Casablanca\"\ndefault_language = \"en\"\n{REPORTS}\n");
    for (slug, p) in list {
        text.push_str(&format!(
            "[[banks]]\nslug = \"{slug}\"\nname = {{ fr = \"Banque {slug}\", en = \"Bank {slug}\" }}\n  [[banks.probes]]\n{p}\n"
        ));
    }
    text.push_str(tail);
    text
}

/// The last check of a bank's only probe, once it has one.
async fn last_check(app: &TestApp, slug: &str) -> Value {
    eventually(Duration::from_secs(15), "a check", || async {
        let v = app.json(&format!("/api/v1/banks/{slug}")).await;
        let c = v["channels"][0]["probes"][0]["last_check"].clone();
        (!c.is_null()).then_some(c)
    })
    .await
}

const FAST: &str = "  interval = \"200ms\"\n  timeout = \"1s\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_pages_redirects_and_body_checks_are_seen() {
    let s = Shapes::start().await;
    let p = |path: &str, extra: &str| probe("web", &s.url(path), &format!("{FAST}{extra}"));
    let list = [
        ("fr", p("/maint-fr", "")),
        ("ar", p("/maint-ar", "")),
        ("en", p("/maint-en", "")),
        ("redir", p("/to-maintenance", "  expect_status = [200]\n")),
        ("refuse", p("/moved", "  redirects = \"refuse\"\n")),
        ("follow", p("/moved", "")),
        (
            "notto",
            p("/to-error", "  redirect_not_to = [\"error=\"]\n"),
        ),
        (
            "optout",
            p("/maint-fr", "  detect_maintenance_page = false\n"),
        ),
        (
            "notpass",
            p(
                "/login",
                "  body_not_contains = [\"indisponible\", \"erreur\"]\n",
            ),
        ),
        (
            "notfail",
            p(
                "/login",
                "  body_not_contains = [\"erreur\", \"Identifiant\"]\n",
            ),
        ),
        (
            "matchpass",
            p("/login", "  body_matches = \"(?i)espace\\\\s+CLIENT\"\n"),
        ),
        (
            "matchfail",
            p("/login", "  body_matches = \"Mot de passe\"\n"),
        ),
        (
            "jsonpass",
            p(
                "/json-up",
                "  json = { path = \"$.components[0].up\", equals = true }\n",
            ),
        ),
        (
            "jsonfail",
            p(
                "/json-down",
                "  json = { path = \"$.status\", equals = \"UP\" }\n",
            ),
        ),
    ];
    let mut app = TestApp::spawn(&banks(&list, "")).await;

    for slug in ["fr", "ar", "en"] {
        let c = last_check(&app, slug).await;
        assert_eq!(c["error_class"], "maintenance_page", "{slug}: {c}");
        assert_eq!(c["http_status"], 200, "{slug}: {c}");
        assert!(c["maintenance_match"].is_string(), "{slug}: {c}");
    }
    let c = last_check(&app, "redir").await;
    assert_eq!(c["error_class"], "maintenance_page", "{c}");
    assert_eq!(c["hops"][0]["status"], 302, "{c}");
    assert_eq!(c["hops"][0]["location"], s.url("/maintenance.html"), "{c}");
    let c = last_check(&app, "refuse").await;
    assert_eq!(
        (c["error_class"].as_str(), c["http_status"].as_u64()),
        (Some("redirect"), Some(302)),
        "{c}"
    );
    let c = last_check(&app, "follow").await;
    assert_eq!(c["outcome"], "up", "{c}");
    assert_eq!(c["final_url"], s.url("/login"), "{c}");
    assert_eq!(c["hops"].as_array().unwrap().len(), 1, "{c}");
    let c = last_check(&app, "notto").await;
    assert_eq!(c["error_class"], "redirect", "{c}");
    assert!(c["detail"].as_str().unwrap().contains("error="), "{c}");
    assert_eq!(last_check(&app, "optout").await["outcome"], "up");
    for (slug, outcome) in [
        ("notpass", "up"),
        ("notfail", "down"),
        ("matchpass", "up"),
        ("matchfail", "down"),
        ("jsonpass", "up"),
        ("jsonfail", "down"),
    ] {
        let c = last_check(&app, slug).await;
        assert_eq!(c["outcome"], outcome, "{slug}: {c}");
        if outcome == "down" {
            assert_eq!(c["error_class"], "body", "{slug}: {c}");
        }
    }

    // The channels behind a maintenance page are down, and the page says why.
    for slug in ["fr", "ar", "en", "redir"] {
        let web = eventually(Duration::from_secs(10), "an outage", || async {
            let c = channel_status(&app, slug, "web").await;
            (c["status"] == "major_outage").then_some(c)
        })
        .await;
        assert_eq!(web["failing"], "maintenance_page", "{web}");
    }
    let (_, html) = app.text("/banks/fr").await;
    assert!(
        html.contains("The bank shows a maintenance page."),
        "{html}"
    );
    let (_, html) = app.text("/banks/ar?lang=ar").await;
    assert!(html.contains("يعرض البنك صفحة صيانة"));
    assert_eq!(
        channel_status(&app, "optout", "web").await["status"],
        "operational"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banks_announced_return_is_kept_and_shown() {
    let s = Shapes::start().await;
    let list = [
        ("secs", probe("web", &s.url("/retry-seconds"), FAST)),
        ("date", probe("web", &s.url("/retry-date"), FAST)),
    ];
    let mut app = TestApp::spawn(&banks(&list, "")).await;
    let before = Utc::now();
    let c = last_check(&app, "secs").await;
    let after = Utc::now();
    let at = DateTime::parse_from_rfc3339(c["retry_after"].as_str().unwrap()).unwrap();
    let told = DateTime::parse_from_rfc3339(c["at"].as_str().unwrap()).unwrap();
    let delay = (at - told).num_seconds();
    assert!((119..=121).contains(&delay), "{c}");
    assert!(
        at.with_timezone(&Utc) > before
            && at.with_timezone(&Utc) < after + chrono::Duration::seconds(125)
    );

    let c = last_check(&app, "date").await;
    let at = DateTime::parse_from_rfc3339(c["retry_after"].as_str().unwrap()).unwrap();
    let expected = Utc::now() + chrono::Duration::hours(2);
    assert!(
        (at.with_timezone(&Utc) - expected).num_seconds().abs() < 30,
        "{c}"
    );

    eventually(Duration::from_secs(10), "the outage", || async {
        let c = channel_status(&app, "date", "web").await;
        (c["status"] == "major_outage" && c["retry_after"].is_string()).then_some(c)
    })
    .await;
    let local = at
        .with_timezone(&chrono_tz::Africa::Casablanca)
        .format("%H:%M")
        .to_string();
    let (_, html) = app.text("/banks/date").await;
    assert!(html.contains("The bank says it is back at"), "{html}");
    assert!(html.contains(&local), "{local} not on the page");
    app.stop().await;
}

/// A CA, and a server certificate for 127.0.0.1 it signed that lapses in `days`.
struct TestPki {
    dir: tempfile::TempDir,
    not_after: DateTime<Utc>,
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestPki {
    fn new(days: u32) -> TestPki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=bankstatus test CA/O=Test Trust",
        ]);
        openssl(d, &ca);
        let mut csr = vec!["req"];
        csr.extend(ec);
        csr.extend([
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        openssl(d, &csr);
        std::fs::write(
            d.join("leaf.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let days = days.to_string();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "leaf.pem",
                "-days",
                &days,
                "-extfile",
                "leaf.ext",
            ],
        );
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-enddate", "-in", "leaf.pem"])
            .current_dir(d)
            .output()
            .unwrap();
        let line = String::from_utf8(out.stdout).unwrap();
        let text = line
            .trim()
            .trim_start_matches("notAfter=")
            .replace("  ", " ");
        let not_after = NaiveDateTime::parse_from_str(&text, "%b %d %H:%M:%S %Y GMT")
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .and_utc();
        TestPki { dir, not_after }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// An HTTPS bank on 127.0.0.1 with the certificate of `pki`: every request gets a 200.
async fn tls_bank(pki: &TestPki) -> String {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(pki.path("leaf.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(pki.path("leaf.key")).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = "<html>Espace client</html>";
                let answer = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_about_to_lapse_is_a_notice_not_an_outage() {
    let pki = TestPki::new(5);
    let url = tls_bank(&pki).await;
    let list = [("tlsb", probe("web", &url, FAST))];
    let tail = format!("[probing]\nca_file = \"{}\"\n", pki.path("ca.pem"));
    let mut app = TestApp::spawn(&banks(&list, &tail)).await;
    let c = last_check(&app, "tlsb").await;
    assert_eq!(c["outcome"], "up", "{c}");
    let expires = DateTime::parse_from_rfc3339(c["tls_expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires.with_timezone(&Utc), pki.not_after, "{c}");
    assert!(
        c["tls_issuer"]
            .as_str()
            .unwrap()
            .contains("bankstatus test CA"),
        "{c}"
    );
    let web = eventually(Duration::from_secs(10), "operational", || async {
        let c = channel_status(&app, "tlsb", "web").await;
        (c["status"] == "operational").then_some(c)
    })
    .await;
    assert!(web["incident_id"].is_null());
    let (_, html) = app.text("/banks/tlsb").await;
    assert!(html.contains("The certificate of"), "no notice on the page");
    assert!(html.contains("customers are not affected yet"));
    let gauge = app
        .metric("bankstatus_tls_expires_seconds{probe=\"tlsb/web/0\"}")
        .await;
    assert_eq!(gauge as i64, pki.not_after.timestamp());
    app.stop().await;

    // Without the CA, the same server is a TLS failure.
    let mut app = TestApp::spawn(&banks(&list, "")).await;
    assert_eq!(last_check(&app, "tlsb").await["error_class"], "tls");
    app.stop().await;
}

/// The bank `cut` and its control, both on `s`: banks every 200 ms, 2 failures, and the
/// control five times less often, as with controls at 5 s and banks at 1 s.
fn cut_config(s: &Shapes) -> String {
    let probes = [probe(
        "web",
        &s.url("/bank"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n",
    )];
    let mut text = bank_config("cut", &probes, &[]);
    text.push_str(&format!(
        "\n[[controls]]\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"1s\"\n",
        s.url("/control")
    ));
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_network_opens_no_outage_in_five_runs() {
    let s = Shapes::start().await;
    let mut app = TestApp::spawn(&cut_config(&s)).await;
    for run in 1..=5 {
        eventually(Duration::from_secs(10), "operational", || async {
            (channel_status(&app, "cut", "web").await["status"] == "operational").then_some(())
        })
        .await;
        let down_before = app
            .metric("bankstatus_probe_runs_total{outcome=\"down\"}")
            .await;
        s.cut.store(true, Ordering::SeqCst);
        eventually(Duration::from_secs(10), "the cut seen", || async {
            app.json("/api/v1/status").await["network_cut_since"]
                .is_string()
                .then_some(())
        })
        .await;
        // Well past the threshold while cut.
        app.counter_grows("bankstatus_probe_runs_total{outcome=\"down\"}", 6.0)
            .await;
        assert!(
            app.metric("bankstatus_probe_runs_total{outcome=\"down\"}")
                .await
                >= down_before + 6.0
        );
        s.cut.store(false, Ordering::SeqCst);
        eventually(Duration::from_secs(10), "the cut over", || async {
            app.json("/api/v1/status").await["network_cut_since"]
                .is_null()
                .then_some(())
        })
        .await;
        let incidents = app.json("/api/v1/incidents?bank=cut").await;
        assert_eq!(
            incidents["incidents"].as_array().map_or(0, Vec::len),
            0,
            "run {run}: {incidents}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dead_control_hides_nothing_while_banks_answer() {
    let s = Shapes::start().await;
    let probes_of = |path: &str| {
        [probe(
            "web",
            &s.url(path),
            "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n",
        )]
    };
    let mut text = banks(
        &[
            ("okb", probes_of("/ok")[0].clone()),
            ("badb", probes_of("/bank")[0].clone()),
        ],
        "",
    );
    text.push_str(&format!(
        "\n[[controls]]\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"1s\"\n",
        s.url("/dead-control")
    ));
    let mut app = TestApp::spawn(&text).await;
    eventually(Duration::from_secs(10), "both operational", || async {
        let a = channel_status(&app, "okb", "web").await["status"] == "operational";
        let b = channel_status(&app, "badb", "web").await["status"] == "operational";
        (a && b).then_some(())
    })
    .await;
    app.counter_grows("bankstatus_probe_runs_total{outcome=\"down\"}", 3.0)
        .await;
    let status = app.json("/api/v1/status").await;
    assert!(status["network_cut_since"].is_null(), "{status}");

    let failed_at = Utc::now();
    s.bank_down.store(true, Ordering::SeqCst);
    let id = eventually(Duration::from_secs(10), "the outage", || async {
        channel_status(&app, "badb", "web").await["incident_id"].as_i64()
    })
    .await;
    assert_eq!(
        channel_status(&app, "okb", "web").await["status"],
        "operational"
    );
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    let started = DateTime::parse_from_rfc3339(incident["started_at"].as_str().unwrap()).unwrap();
    let lag = started.with_timezone(&Utc) - failed_at;
    assert!(
        lag < chrono::Duration::milliseconds(600),
        "dated from the first failure, not later: {lag}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_channel_is_one_incident_and_shows_unstable() {
    let s = Shapes::start().await;
    let probes = [probe(
        "web",
        &s.url("/flap"),
        "  interval = \"250ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n  successes_before_recovery = 2\n",
    )];
    let mut app = TestApp::spawn(&bank_config("flap", &probes, &[])).await;
    eventually(Duration::from_secs(10), "operational", || async {
        (channel_status(&app, "flap", "web").await["status"] == "operational").then_some(())
    })
    .await;
    // Seeded answers, half failing, for about 100 checks: what a minute and a half of
    // flapping gives at 1 s, in a quarter of the time.
    s.flapping.store(true, Ordering::SeqCst);
    eventually(
        Duration::from_secs(30),
        "the channel shown unstable",
        || async { (channel_status(&app, "flap", "web").await["unstable"] == true).then_some(()) },
    )
    .await;
    let (_, html) = app.text("/banks/flap").await;
    assert!(
        html.contains("Unstable: it went down and came back"),
        "no note on the page"
    );
    app.counter_grows("bankstatus_probe_runs_total{outcome=\"down\"}", 30.0)
        .await;
    s.flapping.store(false, Ordering::SeqCst);
    eventually(Duration::from_secs(10), "settled up", || async {
        (channel_status(&app, "flap", "web").await["status"] == "operational").then_some(())
    })
    .await;
    let list = app.json("/api/v1/incidents?bank=flap").await;
    let incidents = list["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{list}");
    let id = incidents[0]["id"].as_i64().unwrap();
    let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
    let updates = incident["updates"].as_array().unwrap();
    let saying = |words: &str| {
        updates
            .iter()
            .filter(|u| {
                u["message"]["en"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(words)
            })
            .count()
    };
    // Resolved and reopened until the channel is shown unstable, then one open span that
    // says once that it is intermittent: not a resolution at every flip.
    assert!(saying("fails again") <= 1, "{incident}");
    assert!(saying("works normally again") <= 1, "{incident}");
    assert_eq!(saying("only now and then"), 1, "{incident}");
    assert!(updates.len() <= 4, "{incident}");
    assert!(
        incident["resolved_at"].is_null(),
        "held open until it is steady: {incident}"
    );
    // The feed tells the same story: one entry per update, no more.
    let feed = app
        .get("/banks/flap/feed.atom?lang=en")
        .await
        .bytes()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(&feed[..]).unwrap();
    let back = feed
        .entries
        .iter()
        .filter(|e| {
            e.summary
                .as_ref()
                .is_some_and(|t| t.content.contains("works normally again"))
        })
        .count();
    assert!(back <= 1, "{:?}", feed.entries);
    assert!(feed.entries.len() <= updates.len(), "{:?}", feed.entries);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detection_opens_at_the_second_failing_check() {
    let s = Shapes::start().await;
    let probes = [probe(
        "web",
        &s.url("/bank"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n  successes_before_recovery = 1\n",
    )];
    let mut text = bank_config("fast", &probes, &[]);
    text.push_str(&format!(
        "\n[[controls]]\nurl = \"{}\"\ninterval = \"200ms\"\ntimeout = \"1s\"\n[probing]\nreopen_within = \"0s\"\n",
        s.url("/ok")
    ));
    let mut app = TestApp::spawn(&text).await;
    let mut checks = Vec::new();
    for _ in 0..5 {
        eventually(Duration::from_secs(10), "operational", || async {
            (channel_status(&app, "fast", "web").await["status"] == "operational").then_some(())
        })
        .await;
        let from = Utc::now();
        s.bank_down.store(true, Ordering::SeqCst);
        let id = eventually(Duration::from_secs(10), "the outage", || async {
            channel_status(&app, "fast", "web").await["incident_id"].as_i64()
        })
        .await;
        let incident = app.json(&format!("/api/v1/incidents/{id}")).await;
        let opened = DateTime::parse_from_rfc3339(incident["updates"][0]["at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc);
        s.bank_down.store(false, Ordering::SeqCst);
        // The failing checks up to the one the incident was opened on, from the record.
        let counted = eventually(Duration::from_secs(10), "the checks stored", || async {
            let n = app
                .count(&format!(
                    "SELECT COUNT(*) FROM probe_results WHERE probe_id = 'fast/web/0' AND outcome = 'down' AND at >= {} AND at <= {}",
                    from.timestamp_millis(),
                    opened.timestamp_millis()
                ))
                .await;
            (n >= 2).then_some(n)
        })
        .await;
        checks.push(counted);
    }
    checks.sort_unstable();
    eprintln!("failing checks until the outage opened, 5 runs: {checks:?}");
    assert_eq!(checks[2], 2, "median {checks:?}");
    app.stop().await;
}

/// The overrun of `bank`'s window, once its outage resolved: (incident id, seconds).
async fn resolved_overrun(app: &TestApp, bank: &str) -> (i64, i64, Value) {
    eventually(Duration::from_secs(30), "the overrun resolved", || async {
        let list = app
            .json(&format!("/api/v1/incidents?bank={bank}&kind=outage"))
            .await;
        let o = list["incidents"]
            .as_array()?
            .iter()
            .find(|i| i["overrun_of"].is_i64() && i["resolved_at"].is_string())?
            .clone();
        let id = o["id"].as_i64()?;
        let ev = app.json(&format!("/incidents/{id}?format=json")).await;
        let seconds = ev["overrun_of"]["seconds"].as_i64()?;
        Some((id, seconds, ev))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overruns_read_the_same_everywhere_and_start_at_the_announced_end() {
    let s = Shapes::start().await;
    let p = probe(
        "web",
        &s.url("/bank"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n  successes_before_recovery = 1\n",
    );
    let mut app = TestApp::spawn(&banks(&[("late", p)], "")).await;
    eventually(Duration::from_secs(10), "operational", || async {
        (channel_status(&app, "late", "web").await["status"] == "operational").then_some(())
    })
    .await;
    // Down before any window: an ordinary outage.
    s.bank_down.store(true, Ordering::SeqCst);
    let first = eventually(Duration::from_secs(10), "the outage", || async {
        channel_status(&app, "late", "web").await["incident_id"].as_i64()
    })
    .await;
    // Then the bank announces maintenance that started a minute ago and ends in 3 s.
    let now = Utc::now();
    let ends = now + chrono::Duration::seconds(3);
    let (status, window) = app
        .post(
            "/api/v1/maintenance",
            &serde_json::json!({"bank": "late", "channels": ["web"],
                "starts": (now - chrono::Duration::minutes(1)).to_rfc3339(),
                "ends": ends.to_rfc3339(), "title": {"en": "Upgrade"}}),
            true,
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{window}");
    let window_id = window["id"].as_i64().unwrap();
    // Still down past the announced end, then back.
    eventually(Duration::from_secs(15), "the overrun", || async {
        let list = app.json("/api/v1/incidents?bank=late&kind=outage").await;
        list["incidents"]
            .as_array()?
            .iter()
            .any(|i| i["overrun_of"] == window_id)
            .then_some(())
    })
    .await;
    app.counter_grows("bankstatus_probe_runs_total{outcome=\"down\"}", 5.0)
        .await;
    s.bank_down.store(false, Ordering::SeqCst);
    let (id, seconds, ev) = resolved_overrun(&app, "late").await;
    assert_ne!(id, first);
    let started = DateTime::parse_from_rfc3339(ev["started_at"].as_str().unwrap()).unwrap();
    let announced_end =
        DateTime::parse_from_rfc3339(ev["overrun_of"]["announced_ends"].as_str().unwrap()).unwrap();
    assert_eq!(
        started, announced_end,
        "the overrun starts at the announced end"
    );
    assert!((1..60).contains(&seconds), "{ev}");
    let words = format!("{seconds} s");
    // The earlier outage handed over at the end.
    let earlier = app.json(&format!("/api/v1/incidents/{first}")).await;
    assert_eq!(earlier["state"], "resolved", "{earlier}");

    let (_, page) = app.text(&format!("/incidents/{id}?lang=en")).await;
    assert!(page.contains("Overran"), "{page}");
    assert!(page.contains(&words), "{words} not on the incident page");
    assert!(!page.contains(" 0 min"), "{page}");
    let last = ev["updates"].as_array().unwrap().last().unwrap()["message"]["en"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(last.contains(&format!("by {words}")), "{last}");
    for path in [
        "/banks/late/feed.rss?lang=en",
        "/banks/late/feed.atom?lang=en",
    ] {
        let (_, body) = app.text(path).await;
        assert!(body.contains(&format!("by {words}")), "{path}: {body}");
    }
    let month = Utc::now()
        .with_timezone(&chrono_tz::Africa::Casablanca)
        .format("%Y-%m")
        .to_string();
    // The scorecard is computed from the log: once a checkpoint holds the overrun.
    app.logged().await;
    let card = app.json(&format!("/scorecard/{month}?format=json")).await;
    let late = card["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "late")
        .unwrap()
        .clone();
    assert_eq!(late["overrun_seconds"], seconds, "{late}");
    let (_, html) = app.text(&format!("/scorecard/{month}?lang=en")).await;
    assert!(
        html.contains(&format!(">{words}<")),
        "{words} not in the scorecard"
    );
    app.stop().await;
}
