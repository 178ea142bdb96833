//! Public input never delays a probe: a name server on loopback answers for the bank and
//! never for one other domain, which the public names in subscription after subscription
//! while the bank, probed by name through the same server, keeps answering on time. The
//! mail relay a subscriber's confirmation goes through is resolved the same way.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::header;
use axum::routing::get;
use axum::Router;
use reqwest::StatusCode;
use serde_json::json;
use tokio::time::Instant;

use crate::helpers::{bank_config, eventually, probe, TestApp};

/// How long the public names the silent domain.
const STORM: Duration = Duration::from_secs(30);
/// Subscription requests a second during the storm.
const PER_SECOND: u64 = 100;
/// The bank's name; the server answers it with 127.0.0.1.
const BANK: &str = "bank.test";
/// The domain whose queries are never answered.
const SILENT: &str = "silent.test";
/// The mail relay's name; the server answers it with 127.0.0.1.
const RELAY: &str = "relay.test";

/// Queries the test name server has seen, by name.
#[derive(Default)]
struct Queries {
    bank: AtomicU64,
    silent: AtomicU64,
    relay: AtomicU64,
}

/// A name server on 127.0.0.1 UDP: `A` of [`BANK`] and of [`RELAY`] is 127.0.0.1 with a zero
/// TTL, so every check asks again; [`SILENT`] gets no answer at all; any other name does not
/// exist.
async fn name_server() -> (std::net::SocketAddr, Arc<Queries>) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let queries = Arc::new(Queries::default());
    let seen = queries.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            let Some(answer) = answer(&buf[..n], &seen) else {
                continue;
            };
            let _ = socket.send_to(&answer, from).await;
        }
    });
    (addr, queries)
}

/// The reply to one query, or none for the silent domain or what is not a query.
fn answer(query: &[u8], seen: &Queries) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    // The question's name, label by label, then its type and class.
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = *query.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    let question_end = at + 4;
    let name = labels.join(".");
    let (rcode, address) = if name == SILENT {
        seen.silent.fetch_add(1, Ordering::SeqCst);
        return None;
    } else if name == BANK || name == RELAY {
        let counter = if name == BANK {
            &seen.bank
        } else {
            &seen.relay
        };
        counter.fetch_add(1, Ordering::SeqCst);
        (0u8, (qtype == 1).then_some([127u8, 0, 0, 1]))
    } else {
        (3, None)
    };
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&query[..2]);
    // QR and AA set, opcode and RD kept; RA set; the code.
    out.push(0x84 | (query[2] & 0x79));
    out.push(0x80 | rcode);
    out.extend_from_slice(&[0, 1, 0, u8::from(address.is_some()), 0, 0, 0, 0]);
    out.extend_from_slice(query.get(12..question_end)?);
    if let Some(ip) = address {
        out.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]);
        out.extend_from_slice(&ip);
    }
    Some(out)
}

/// A bank that answers 200 and closes every connection, so each check connects, and so
/// resolves, again.
async fn closing_bank() -> (u16, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicU64::new(0));
    let counted = hits.clone();
    let app = Router::new().route(
        "/up",
        get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                (
                    [(header::CONNECTION, "close")],
                    "<html>welcome to the bank</html>",
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_domain_named_by_the_public_never_delays_a_probe() {
    let (dns, queries) = name_server().await;
    let (port, hits) = closing_bank().await;
    let config = format!(
        "{}\n[dns]\nnameservers = [\"{dns}\"]\ntimeout = \"500ms\"\ncheck_timeout = \"1s\"\n",
        bank_config(
            "bmce",
            &[probe(
                "web",
                &format!("http://{BANK}:{port}/up"),
                "  interval = \"250ms\"\n  timeout = \"1s\"\n"
            )],
            &[],
        )
    );
    let app = TestApp::spawn(&config).await;
    app.counter_reaches("bankstatus_probe_runs_total{outcome=\"up\"}", 2.0)
        .await;
    let up_before = app
        .counter("bankstatus_probe_runs_total{outcome=\"up\"}")
        .await;
    let bank_queries_before = queries.bank.load(Ordering::SeqCst);

    // The storm: PER_SECOND requests a second, each from one of 200 clients (so some use up their allowance), every one
    // naming the silent domain.
    let url = app.url("/api/v1/subscriptions");
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / PER_SECOND as u32);
    let mut sent = Vec::new();
    let mut i = 0u64;
    while started.elapsed() < STORM {
        tick.tick().await;
        let client = app.client.clone();
        let url = url.clone();
        let from = format!("10.9.0.{}", i % 200 + 1);
        i += 1;
        sent.push(tokio::spawn(async move {
            let asked = Instant::now();
            let r = client
                .post(url)
                .header("x-forwarded-for", from)
                .header("content-type", "application/json")
                .body(
                    json!({"kind": "webhook", "url": format!("https://{SILENT}/hook")}).to_string(),
                )
                .send()
                .await
                .unwrap();
            (r.status(), asked.elapsed())
        }));
    }
    let mut took = Vec::new();
    for s in sent {
        let (status, elapsed) = s.await.unwrap();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
        took.push(elapsed);
    }
    let storm = started.elapsed();
    took.sort();
    let n = took.len();
    let p99 = took[n * 99 / 100];
    let max = took[n - 1];
    eprintln!(
        "{n} requests in {storm:?}: median {:?}, p99 {p99:?}, max {max:?}; silent queries {}",
        took[n / 2],
        queries.silent.load(Ordering::SeqCst)
    );
    // Refused fast: no request waits past the check's deadline and a little.
    assert!(max < Duration::from_millis(2500), "slowest {max:?}");
    assert!(
        queries.silent.load(Ordering::SeqCst) > 0,
        "the lookups were made"
    );

    // The bank, resolved by name all along, kept answering on time and nothing opened.
    let up = app
        .counter("bankstatus_probe_runs_total{outcome=\"up\"}")
        .await
        - up_before;
    let checks_due = storm.as_secs_f64() / 0.25;
    assert!(up >= checks_due * 0.8, "{up} of {checks_due} checks up");
    assert_eq!(
        app.counter("bankstatus_probe_runs_total{outcome=\"down\"}")
            .await,
        0.0
    );
    assert!(
        queries.bank.load(Ordering::SeqCst) - bank_queries_before >= (checks_due * 0.8) as u64,
        "the bank was resolved through the server on every check"
    );
    assert!(hits.load(Ordering::SeqCst) as f64 >= checks_due * 0.8);
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 0);

    // Every request counted: a checked target refused, a full slot, or the allowance.
    let counted = eventually(Duration::from_secs(5), "every request counted", || async {
        let mut total = app
            .counter("bankstatus_subscriptions_throttled_total")
            .await;
        for outcome in ["unreachable", "busy"] {
            total += app
                .counter(&format!(
                    "bankstatus_target_checks_total{{outcome=\"{outcome}\"}}"
                ))
                .await;
        }
        (total >= n as f64).then_some(total)
    })
    .await;
    assert_eq!(counted, n as f64);
    assert!(
        app.counter("bankstatus_subscriptions_throttled_total")
            .await
            > 0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_of_a_private_address_is_refused_alike_and_never_reached() {
    let (dns, _) = name_server().await;
    // Where loopback in each of its spellings leads: the test listens there.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let reached = Arc::new(AtomicU64::new(0));
    let counted = reached.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    let config = format!(
        "{}\n[alerts]\nsubscriptions_per_hour = 1000\n\n[dns]\nnameservers = [\"{dns}\"]\ncheck_timeout = \"1s\"\n",
        bank_config("bmce", &[], &[])
    );
    let app = TestApp::spawn(&config).await;
    let leads_here = [
        format!("127.0.0.1:{port}"),
        format!("[::ffff:127.0.0.1]:{port}"),
        format!("[::ffff:7f00:1]:{port}"),
        format!("[::127.0.0.1]:{port}"),
        format!("[64:ff9b::127.0.0.1]:{port}"),
        format!("[64:ff9b:1::7f00:1]:{port}"),
        format!("[2002:7f00:1::1]:{port}"),
        // Teredo, its client 127.0.0.1 stored inverted.
        format!("[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}"),
        // A name the test's server resolves to 127.0.0.1, and one that does not exist:
        // told alike, so nobody learns which internal names resolve.
        format!("{BANK}:{port}"),
        format!("nowhere.test:{port}"),
    ];
    let elsewhere = [
        "[fec0::1]",
        "198.18.0.1",
        "198.19.1.1",
        "192.0.0.8",
        "[100::1]",
        "[fd00::1]",
        "169.254.169.254",
        "100.64.0.1",
        "[64:ff9b::a9fe:a9fe]",
        "[2002:a9fe:a9fe::1]",
    ];
    let mut messages = std::collections::HashSet::new();
    for host in leads_here.iter().map(String::as_str).chain(elsewhere) {
        for kind in ["webhook", "push"] {
            let url = format!("http://{host}/hook");
            let body = if kind == "webhook" {
                json!({"kind": "webhook", "url": url})
            } else {
                json!({"kind": "push", "subscription": {"endpoint": url, "keys": {
                    "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                    "auth": "BTBZMqHH6r4Tts7J_aSIgg"}}})
            };
            let (status, v) = app.post("/api/v1/subscriptions", &body, false).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {v}");
            let message = v["message"].as_str().unwrap();
            assert!(message.contains(&url), "{message}");
            messages.insert(message.replace(&url, "URL"));
        }
    }
    assert_eq!(
        messages.len(),
        1,
        "one sentence for every refusal: {messages:?}"
    );
    // Credentials in a target are refused before anything else.
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "webhook", "url": format!("http://user:pass@127.0.0.1:{port}/hook")}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["message"].as_str().unwrap().contains("password"), "{v}");
    // Nothing was stored, so nothing is ever sent: the listener saw no connection.
    assert_eq!(app.count("SELECT COUNT(*) FROM subscriptions").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM deliveries").await, 0);
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_name_that_does_not_exist_fails_as_dns() {
    let (dns, _) = name_server().await;
    let config = format!(
        "{}\n[dns]\nnameservers = [\"{dns}\"]\n",
        bank_config(
            "bmce",
            &[probe(
                "web",
                "http://nowhere.test:9/up",
                "  interval = \"250ms\"\n  timeout = \"1s\"\n"
            )],
            &[],
        )
    );
    let app = TestApp::spawn(&config).await;
    app.counter_reaches("bankstatus_probe_failures_total{class=\"dns\"}", 1.0)
        .await;
}

/// A subscriber's confirmation reaches the relay by a name only the configured name server
/// knows: the relay is resolved by the service's own resolver, not by the system's on the
/// blocking pool. A relay whose name never gets an answer fails the attempt at that
/// resolver's deadline, and the confirmation waits for its next try.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mail_relay_is_resolved_by_the_services_resolver_within_its_deadline() {
    let (dns, queries) = name_server().await;
    let smtp = crate::alerts::Helper::start("smtp_sink.py", &[]).await;
    let port = smtp.first()["port"].as_i64().unwrap();
    let config = |relay: &str| {
        format!(
            "public_url = \"https://status.example.ma\"\n{}\n[dns]\nnameservers = [\"{dns}\"]\ntimeout = \"300ms\"\nattempts = 1\n\n[email]\nsmtp_url = \"smtp://{relay}:{port}\"\nfrom = \"bankstatus <alerts@example.org>\"\n",
            bank_config("bmce", &[], &[])
        )
    };
    let subscribe = async |app: &TestApp, email: &str| {
        let (status, v) = app
            .post(
                "/api/v1/subscriptions",
                &json!({"kind": "email", "email": email, "lang": "fr"}),
                false,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    };

    let app = TestApp::spawn(&config(RELAY)).await;
    subscribe(&app, "nadia@example.org").await;
    eventually(Duration::from_secs(20), "the confirmation", || async {
        smtp.matching(|m| m["to"] == json!(["nadia@example.org"]))
            .first()
            .cloned()
    })
    .await;
    assert!(queries.relay.load(Ordering::SeqCst) >= 1);

    let app = TestApp::spawn(&config(SILENT)).await;
    let asked = Instant::now();
    subscribe(&app, "omar@example.org").await;
    eventually(Duration::from_secs(10), "the attempt to fail", || async {
        let failed = app
            .count("SELECT COUNT(*) FROM deliveries WHERE purpose = 'confirm' AND attempts >= 1 AND last_error LIKE '%silent.test%'")
            .await;
        (failed == 1).then_some(())
    })
    .await;
    // One query of 300 ms and the half second beside it, not the attempt's 10 s.
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    assert!(queries.silent.load(Ordering::SeqCst) >= 1);
    assert!(smtp
        .matching(|m| m["to"] == json!(["omar@example.org"]))
        .is_empty());
}
