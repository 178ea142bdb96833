//! Alerts end to end, against real parts on 127.0.0.1: webhooks checked by the Standard
//! Webhooks reference library, email through a real SMTP server (aiosmtpd), Web Push
//! decrypted by http_ece with the VAPID token verified by `cryptography`. The Python side
//! is installed by scripts/setup.sh in target/alerts-venv.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt;
use tokio::time::Instant;

use crate::helpers::{bank_config, closely, eventually, TestApp, ADMIN};

const WAIT: Duration = Duration::from_secs(20);

pub fn python() -> PathBuf {
    std::env::var_os("BANKSTATUS_TEST_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/alerts-venv/bin/python"),
        PathBuf::from,
    )
}

pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/py")
        .join(name)
}

/// A Python helper whose stdout is JSON lines, collected as they come.
pub struct Helper {
    lines: Arc<Mutex<Vec<Value>>>,
    _child: tokio::process::Child,
}

impl Helper {
    pub async fn start(name: &str, args: &[String]) -> Helper {
        let mut child = tokio::process::Command::new(python())
            .arg(script(name))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh)", python().display()));
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        tokio::spawn(async move {
            let mut reader = tokio::io::BufReader::new(out).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Ok(v) = serde_json::from_str(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        let helper = Helper {
            lines,
            _child: child,
        };
        eventually(WAIT, "the helper to start", || async {
            helper.all().first().filter(|v| v["ready"] == true).cloned()
        })
        .await;
        helper
    }

    fn all(&self) -> Vec<Value> {
        self.lines.lock().unwrap().clone()
    }

    pub fn first(&self) -> Value {
        self.all()[0].clone()
    }

    /// The lines after the ready line that `keep` accepts.
    pub fn matching(&self, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.all().into_iter().skip(1).filter(|v| keep(v)).collect()
    }
}

/// Verifies a delivery with the Standard Webhooks library; the payload, or the error.
pub async fn verify(
    secret: &str,
    headers: &HashMap<String, String>,
    body: &str,
) -> Result<Value, String> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(python())
        .arg(script("verify_webhook.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = json!({ "secret": secret, "headers": headers, "body": body });
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// One request a receiver saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub headers: HashMap<String, String>,
    pub body: String,
    at: Instant,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
    pub fn id(&self) -> &str {
        &self.headers["webhook-id"]
    }
}

#[derive(Default)]
pub struct Receivers {
    seen: Mutex<HashMap<String, Vec<Seen>>>,
}

/// Webhook receivers on one server, by path: `ok` answers, `flaky` fails the first event
/// with 503, `hang` never answers an event, `slow...` answers after 300 ms, `echo` sends back
/// whatever it is sent. All but `echo` answer their verification challenge.
pub async fn receivers() -> (String, Arc<Receivers>) {
    async fn hook(
        State(r): State<Arc<Receivers>>,
        Path(name): Path<String>,
        headers: HeaderMap,
        body: String,
    ) -> (StatusCode, String) {
        let headers: HashMap<String, String> = headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let events_before = {
            let mut seen = r.seen.lock().unwrap();
            let list = seen.entry(name.clone()).or_default();
            let n = list
                .iter()
                .filter(|s| s.json()["type"] != "webhook.verify")
                .count();
            list.push(Seen {
                headers,
                body: body.clone(),
                at: Instant::now(),
            });
            n
        };
        if name == "echo" {
            return (StatusCode::OK, body);
        }
        if v["type"] == "webhook.verify" {
            let challenge = v["data"]["challenge"].as_str().unwrap_or("").to_owned();
            return (
                StatusCode::OK,
                json!({ "challenge": challenge }).to_string(),
            );
        }
        if name == "hang" {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        if name.starts_with("slow") {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        if name == "flaky" && events_before == 0 {
            return (StatusCode::SERVICE_UNAVAILABLE, "later".into());
        }
        (StatusCode::OK, String::new())
    }
    let state = Arc::new(Receivers::default());
    let app = Router::new()
        .route("/hook/{name}", post(hook))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, state)
}

impl Receivers {
    pub fn events(&self, name: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .get(name)
            .map(|l| {
                l.iter()
                    .filter(|s| s.json()["type"] != "webhook.verify")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
    fn verifications(&self, name: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .get(name)
            .map(|l| {
                l.iter()
                    .filter(|s| s.json()["type"] == "webhook.verify")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub const ALERTS: &str = "\n[alerts]\nallow_private_targets = true\nsubscriptions_per_hour = 2000\nfirst_retry = \"300ms\"\n";

fn config(extra: &str) -> String {
    format!("{}{ALERTS}{extra}", bank_config("bmce", &[], &[]))
}

async fn open_incident(app: &TestApp, title: &str) -> i64 {
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm"],
                    "title": {"en": title, "fr": title, "ar": title}, "state": "investigating"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

async fn update_incident(app: &TestApp, id: i64, state: &str) {
    let (status, v) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": state, "message": {"en": format!("now {state}")}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
}

/// Waits until every alert event is fanned out.
pub async fn fanned_out(app: &TestApp) {
    eventually(WAIT, "events fanned out", || async {
        (app.count("SELECT COUNT(*) FROM alert_events WHERE fanned_out = 0")
            .await
            == 0)
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_verified_signed_retried_with_one_id_and_never_held_up() {
    let (base, rx) = receivers().await;
    let app = TestApp::spawn(&config("")).await;
    let mut secrets = HashMap::new();
    for name in ["ok", "flaky", "hang"] {
        let (status, v) = app
            .post(
                "/api/v1/subscriptions",
                &json!({"kind": "webhook", "url": format!("{base}/hook/{name}"), "banks": ["bmce"]}),
                false,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let secret = v["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{v}");
        assert!(v["manage_url"]
            .as_str()
            .unwrap()
            .contains("/subscriptions/"));
        secrets.insert(name, secret);
    }
    // Each answers the signed challenge and becomes active.
    eventually(WAIT, "three active webhooks", || async {
        (app.count("SELECT COUNT(*) FROM subscriptions WHERE state = 'active'")
            .await
            == 3)
            .then_some(())
    })
    .await;
    let challenge = &rx.verifications("ok")[0];
    let payload = verify(&secrets["ok"], &challenge.headers, &challenge.body)
        .await
        .unwrap();
    assert_eq!(payload["type"], "webhook.verify");

    let sent = Instant::now();
    let id = open_incident(&app, "ATMs give no cash").await;
    let got = eventually(WAIT, "the answering receiver's event", || async {
        rx.events("ok").first().cloned()
    })
    .await;
    // The hanging receiver holds its own delivery for the 10 s timeout, nobody else's.
    assert!(
        got.at - sent < Duration::from_secs(5),
        "{:?}",
        got.at - sent
    );
    let payload = verify(&secrets["ok"], &got.headers, &got.body)
        .await
        .unwrap();
    assert_eq!(payload["type"], "incident.updated");
    assert_eq!(payload["version"], 1);
    assert_eq!(payload["data"]["change"], "opened");
    assert_eq!(payload["data"]["incident"]["id"], id);
    assert_eq!(payload["data"]["incident"]["banks"], json!(["bmce"]));
    assert!(payload["data"]["incident"]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/incidents/{id}")));
    // Another receiver's secret does not verify it.
    assert!(verify(&secrets["flaky"], &got.headers, &got.body)
        .await
        .is_err());
    // A tampered body does not verify.
    let tampered = got.body.replace("ATMs", "Cards");
    assert!(verify(&secrets["ok"], &got.headers, &tampered)
        .await
        .is_err());

    // The flaky one failed once, then got the same message with the same webhook-id.
    let flaky = eventually(WAIT, "the retried delivery", || async {
        let e = rx.events("flaky");
        (e.len() >= 2).then_some(e)
    })
    .await;
    assert_eq!(flaky[0].id(), flaky[1].id());
    assert_eq!(flaky[0].json()["data"], flaky[1].json()["data"]);
    verify(&secrets["flaky"], &flaky[1].headers, &flaky[1].body)
        .await
        .unwrap();
    assert_ne!(flaky[0].id(), got.id(), "ids are per receiver");

    // Resolution reaches the answering receiver too.
    update_incident(&app, id, "resolved").await;
    let resolved = eventually(WAIT, "the resolution", || async {
        rx.events("ok")
            .into_iter()
            .find(|s| s.json()["data"]["change"] == "resolved")
    })
    .await;
    verify(&secrets["ok"], &resolved.headers, &resolved.body)
        .await
        .unwrap();
    let delivered = app
        .metric("bankstatus_alert_deliveries_total{channel=\"webhook\",outcome=\"delivered\"} ")
        .await;
    assert!(delivered >= 6.0, "{delivered}");
    let retried = app
        .metric("bankstatus_alert_deliveries_total{channel=\"webhook\",outcome=\"retry\"} ")
        .await;
    assert!(retried >= 1.0, "{retried}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_echoes_its_request_never_passes_the_challenge() {
    let (base, rx) = receivers().await;
    let app = TestApp::spawn(&config("")).await;
    for name in ["echo", "ok"] {
        let (status, v) = app
            .post(
                "/api/v1/subscriptions",
                &json!({"kind": "webhook", "url": format!("{base}/hook/{name}")}),
                false,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    eventually(WAIT, "the echo asked twice", || async {
        (rx.verifications("echo").len() >= 2).then_some(())
    })
    .await;
    eventually(WAIT, "the answering webhook active", || async {
        (app.count("SELECT COUNT(*) FROM subscriptions WHERE state = 'active'")
            .await
            == 1)
            .then_some(())
    })
    .await;
    let echo_active = app
        .count(&format!(
            "SELECT COUNT(*) FROM subscriptions WHERE state = 'active' AND target = '{base}/hook/echo'"
        ))
        .await;
    assert_eq!(echo_active, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_without_the_switch() {
    let (base, _rx) = receivers().await;
    let app = TestApp::spawn(&bank_config("bmce", &[], &[])).await;
    for url in [
        format!("{base}/hook/ok"),
        "http://localhost:9/hook".to_owned(),
        "http://169.254.169.254/latest".to_owned(),
        "http://[::1]:9/".to_owned(),
    ] {
        let (status, v) = app
            .post(
                "/api/v1/subscriptions",
                &json!({"kind": "webhook", "url": url}),
                false,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains("public address"),
            "{v}"
        );
    }
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "webhook", "url": "ftp://example.org/x"}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Without [email], email is not offered.
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "email", "email": "a@example.org"}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, page) = app.text("/subscribe").await;
    assert!(
        !page.contains("type=\"email\""),
        "no email field without [email]"
    );
    for (body, want) in [
        (json!({"kind": "fax"}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"kind": "webhook"}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"kind": "webhook", "url": "https://x.example", "banks": ["nope"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"kind": "push", "subscription": {"endpoint": "https://x.example", "keys": {"p256dh": "AA", "auth": "AA"}}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (status, v) = app.post("/api/v1/subscriptions", &body, false).await;
        assert_eq!(status, want, "{body}: {v}");
        assert!(v["message"].is_string(), "{v}");
    }
    let r = app
        .client
        .delete(app.url("/api/v1/subscriptions/sub_00ff?token=bad"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The email test's `public_url`: no Host header reaches an email's links.
const PUBLIC: &str = "https://status.example.ma";

/// The link in a plain-text message that contains `part`.
pub fn link(text: &str, part: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(part))
        .unwrap_or_else(|| panic!("no {part} link in {text}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_is_double_opt_in_in_the_subscribers_language_with_one_click_unsubscribe() {
    let smtp = Helper::start("smtp_sink.py", &[]).await;
    let port = smtp.first()["port"].as_i64().unwrap();
    let email = format!(
        "\n[email]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"bankstatus <alerts@example.org>\"\n"
    );
    // Links in emails come from `public_url` only; here they are followed to the app itself.
    let app = TestApp::spawn(&format!("public_url = \"{PUBLIC}\"\n{}", config(&email))).await;
    let local = |url: &str| {
        assert!(url.starts_with(PUBLIC), "{url}");
        url.replace(PUBLIC, &app.url(""))
    };
    let link = |text: &str, part: &str| local(&link(text, part));
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "email", "email": "Karim@Example.org", "lang": "ar", "banks": ["bmce"]}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let mail_to = |m: &Value| m["to"] == json!(["karim@example.org"]);
    let confirm = eventually(WAIT, "the confirmation", || async {
        smtp.matching(mail_to).first().cloned()
    })
    .await;
    assert_eq!(
        confirm["headers"]["Subject"],
        "أكّد اشتراكك في تنبيهات bankstatus"
    );
    // Nothing is sent before the address is confirmed.
    let first = open_incident(&app, "first").await;
    fanned_out(&app).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM deliveries WHERE purpose = 'event'")
            .await,
        0
    );
    update_incident(&app, first, "resolved").await;
    fanned_out(&app).await;
    let url = link(confirm["text"].as_str().unwrap(), "/confirm?token=");
    // Opening the link (as a mail scanner does) asks for one press and confirms nothing.
    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\"") && html.contains("method=\"post\""));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM subscriptions WHERE state = 'active'")
            .await,
        0,
        "a fetched link confirms nothing"
    );
    let page = app.client.post(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("dir=\"rtl\""));
    // A confirmation link with another token does nothing.
    let forged = url.rsplit_once('=').unwrap().0.to_owned() + "=0000";
    assert_eq!(
        app.client.post(&forged).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    let id = open_incident(&app, "تعطل الشبابيك").await;
    let opened = eventually(WAIT, "the opening message", || async {
        smtp.matching(mail_to).get(1).cloned()
    })
    .await;
    let subject = opened["headers"]["Subject"].as_str().unwrap();
    assert!(
        subject.contains("بنك") && subject.contains("فُتح حادث"),
        "{subject}"
    );
    assert_eq!(opened["content_type"], "multipart/alternative");
    assert!(opened["html"].as_str().unwrap().contains("dir=\"rtl\""));
    let text = opened["text"].as_str().unwrap();
    assert!(text.contains(&format!("/incidents/{id}")), "{text}");
    assert_eq!(
        opened["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(opened["headers"]["Auto-Submitted"], "auto-generated");
    let unsubscribe = local(
        opened["headers"]["List-Unsubscribe"]
            .as_str()
            .unwrap()
            .trim_matches(['<', '>']),
    );
    assert!(opened["headers"]["Message-ID"]
        .as_str()
        .unwrap()
        .starts_with("<msg_"));

    // An update or a resolution minutes after the opening waits: at most one email per
    // incident per 15 minutes, whatever changed.
    update_incident(&app, id, "identified").await;
    fanned_out(&app).await;
    update_incident(&app, id, "resolved").await;
    fanned_out(&app).await;
    assert_eq!(
        smtp.matching(mail_to).len(),
        2,
        "the update and the resolution were throttled"
    );
    // The next incident is another matter: its opening goes.
    let next = open_incident(&app, "second").await;
    let resolved = eventually(WAIT, "the next opening message", || async {
        smtp.matching(mail_to).get(2).cloned()
    })
    .await;
    assert!(resolved["text"]
        .as_str()
        .unwrap()
        .contains(&format!("/incidents/{next}")));

    // One click, as a mail client does it (RFC 8058).
    let r = app
        .client
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.count("SELECT COUNT(*) FROM subscriptions").await, 0);
    open_incident(&app, "after").await;
    fanned_out(&app).await;
    let owed = app
        .count("SELECT COUNT(*) FROM deliveries WHERE done_at IS NULL")
        .await;
    assert_eq!(owed, 0);
    assert_eq!(
        smtp.matching(mail_to).len(),
        3,
        "nothing after unsubscribing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_push_is_encrypted_signed_and_ends_on_410_and_on_the_fix() {
    let push = Helper::start("push_endpoint.py", &[]).await;
    let app = TestApp::spawn(&config("")).await;
    let key = app.json("/api/v1/push/vapid-public-key").await;
    assert_eq!(key["key"].as_str().unwrap().len(), 87, "{key}");
    let ready = push.first();
    for name in ["ok", "gone"] {
        let (status, v) = app
            .post(
                "/api/v1/subscriptions",
                &json!({"kind": "push", "subscription": ready[name], "lang": "fr"}),
                false,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let id = open_incident(&app, "Distributeurs vides").await;
    let got = eventually(WAIT, "a push", || async {
        push.matching(|v| v["endpoint"] == "ok").first().cloned()
    })
    .await;
    assert_eq!(got["vapid_error"], Value::Null, "{got}");
    assert_eq!(got["decrypt_error"], Value::Null, "{got}");
    assert_eq!(got["headers"]["content-encoding"], "aes128gcm");
    let payload = &got["payload"];
    assert!(
        payload["title"].as_str().unwrap().contains("Banque bmce"),
        "{payload}"
    );
    assert!(
        payload["title"]
            .as_str()
            .unwrap()
            .contains("incident ouvert"),
        "{payload}"
    );
    assert!(payload["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/incidents/{id}")));
    // 410 from the push service ends that subscription.
    eventually(WAIT, "the gone subscription deleted", || async {
        (app.count("SELECT COUNT(*) FROM subscriptions WHERE target LIKE '%/push/gone'")
            .await
            == 0)
            .then_some(())
    })
    .await;

    // "Tell me when it's fixed": one incident, until it resolves.
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "push", "subscription": ready["ok"], "lang": "en", "incident": id}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let follow = v["id"].as_str().unwrap().to_owned();
    update_incident(&app, id, "resolved").await;
    eventually(WAIT, "the fix told", || async {
        push.matching(|v| {
            v["payload"]["lang"] == "en"
                && v["payload"]["title"]
                    .as_str()
                    .unwrap_or("")
                    .contains("resolved")
        })
        .first()
        .cloned()
    })
    .await;
    eventually(WAIT, "the follow ended", || async {
        (app.count(&format!(
            "SELECT COUNT(*) FROM subscriptions WHERE id = '{follow}'"
        ))
        .await
            == 0)
            .then_some(())
    })
    .await;
    // A resolved incident cannot be followed.
    let (status, _) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "push", "subscription": ready["ok"], "incident": id}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let stats = app
        .client
        .get(app.url("/api/v1/subscriptions/stats"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), StatusCode::OK);
    let stats: Value = serde_json::from_str(&stats.text().await.unwrap()).unwrap();
    assert_eq!(stats["by_kind"][0]["kind"], "push", "{stats}");
}

/// Subscribes `n` webhooks `{prefix}{i}` and waits until every one answered its challenge.
pub async fn subscribe_many(base_app: &str, receivers: &str, prefix: &str, n: usize, db: &str) {
    let client = reqwest::Client::new();
    let urls: Vec<String> = (0..n)
        .map(|i| format!("{receivers}/hook/{prefix}{i}"))
        .collect();
    for chunk in urls.chunks(16) {
        let calls = chunk.iter().map(|url| {
            client
                .post(format!("{base_app}/api/v1/subscriptions"))
                .header("content-type", "application/json")
                .body(json!({"kind": "webhook", "url": url}).to_string())
                .send()
        });
        for r in futures_util::future::join_all(calls).await {
            assert_eq!(r.unwrap().status(), StatusCode::CREATED);
        }
    }
    eventually(Duration::from_secs(60), "every webhook active", || async {
        (db_count(
            db,
            "SELECT COUNT(*) FROM subscriptions WHERE state = 'active'",
        )
        .await
            == n as i64)
            .then_some(())
    })
    .await;
}

pub async fn db_count(url: &str, sql: &str) -> i64 {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    }
}

/// `bankstatus serve` as its own process, with the operator token.
fn serve_process(config: &std::path::Path, db: &str, port: u16) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_bankstatus"))
        .arg("serve")
        .arg("--config")
        .arg(config)
        .arg("--database")
        .arg(db)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("BANKSTATUS_ADMIN_TOKEN", ADMIN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

async fn healthy(base: &str) {
    let client = reqwest::Client::new();
    eventually(Duration::from_secs(30), "the service to answer", || async {
        let r = client.get(format!("{base}/healthz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_fan_out_loses_nothing_and_repeats_keep_their_id() {
    const N: usize = 1000;
    let (receivers, rx) = receivers().await;
    let db = crate::helpers::TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("banks.toml");
    std::fs::write(&path, config("")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve_process(&path, &db.url, port);
    healthy(&base).await;
    subscribe_many(&base, &receivers, "slow", N, &db.url).await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(
            json!({"kind": "outage", "banks": ["bmce"], "title": {"en": "Transfers stopped"}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let got = |rx: &Receivers| {
        (0..N)
            .filter(|i| !rx.events(&format!("slow{i}")).is_empty())
            .count()
    };
    eventually(WAIT, "the fan-out under way", || async {
        (got(&rx) >= 50).then_some(())
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let before = got(&rx);
    assert!(before < N, "killed after the fan-out ended: {before}");

    let mut child = serve_process(&path, &db.url, port);
    healthy(&base).await;
    eventually(Duration::from_secs(90), "every receiver told", || async {
        (got(&rx) == N).then_some(())
    })
    .await;
    for i in 0..N {
        let events = rx.events(&format!("slow{i}"));
        let first = events[0].id().to_owned();
        assert!(
            events.iter().all(|e| e.id() == first),
            "slow{i}: {events:?}"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subscribe_page_works_without_javascript_and_only_it_runs_a_script() {
    let (hooks, rx) = receivers().await;
    let app = TestApp::spawn(&config("")).await;
    let id = open_incident(&app, "Cards refused").await;
    let (_, incident) = app.text(&format!("/incidents/{id}")).await;
    assert!(
        incident.contains(&format!("/subscribe?incident={id}")),
        "tell me when it's fixed"
    );
    let (_, bank) = app.text("/banks/bmce").await;
    assert!(bank.contains("/subscribe?bank=bmce"));
    let home = app.get("/").await;
    let csp = home.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!csp.contains("script-src"), "{csp}");

    let page = app.get(&format!("/subscribe?incident={id}&lang=fr")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains("<script src=\"/push.js\""));
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/push.js").await.status(), StatusCode::OK);
    assert_eq!(app.get("/push-sw.js").await.status(), StatusCode::OK);

    // The form alone: a webhook that follows the incident, its secret shown once.
    let form = format!(
        "csrf={csrf}&kind=webhook&url={}&incident={id}&lang=fr",
        form_urlencoded::byte_serialize(format!("{hooks}/hook/ok").as_bytes()).collect::<String>()
    );
    let r = app
        .client
        .post(app.url("/subscribe?lang=fr"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.clone())
        .send()
        .await
        .unwrap();
    // Post, redirect, get: the manage page shows the secret once, from a cookie of its own.
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/subscriptions/sub_"), "{location}");
    let once = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(once.starts_with("whsec_once=whsec_"), "{once}");
    let shown = app
        .client
        .get(app.url(&location))
        .header("cookie", &once)
        .send()
        .await
        .unwrap();
    let cleared = shown.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let shown = shown.text().await.unwrap();
    assert!(shown.contains("whsec_"), "{shown}");
    let manage = app.url(location.trim_end_matches("&created=1"));
    let again = app
        .client
        .get(&manage)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains("whsec_"), "once only");
    eventually(WAIT, "the webhook verified", || async {
        (!rx.verifications("ok").is_empty()).then_some(())
    })
    .await;
    // Without the form's cookie, nothing is made.
    let r = app
        .client
        .post(app.url("/subscribe"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The manage page names what it follows and ends it in one click.
    let page = app.client.get(&manage).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("#{id}")), "{html}");
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let r = app.client.post(app.url(&action)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.count("SELECT COUNT(*) FROM subscriptions").await, 0);
}

/// Unsubscribing while the outcome of one's own delivery is being recorded waits for it
/// rather than deadlocking: on PostgreSQL the two took a subscription and its delivery in
/// opposite orders, and the unsubscribe was answered 503 and counted as the storage failing.
/// Each webhook here is deleted the moment its receiver sees the challenge, as the answer is
/// being recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribing_while_a_delivery_is_recorded_is_never_refused() {
    const N: usize = 60;
    let (hooks, rx) = receivers().await;
    let app = std::sync::Arc::new(TestApp::spawn(&config("")).await);
    let mut deletes = tokio::task::JoinSet::new();
    for i in 0..N {
        let name = format!("race{i}");
        let (status, v) = app
            .post(
                "/api/v1/subscriptions",
                &json!({"kind": "webhook", "url": format!("{hooks}/hook/{name}")}),
                false,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let manage = v["manage_url"].as_str().unwrap();
        let (_, id_and_token) = manage.split_once("/subscriptions/").unwrap();
        let delete = app.url(&format!("/api/v1/subscriptions/{id_and_token}"));
        let (app, rx) = (app.clone(), rx.clone());
        deletes.spawn(async move {
            // Watched every millisecond: the delete must overlap the recording.
            closely(WAIT, &format!("a challenge for {name}"), || {
                !rx.verifications(&name).is_empty()
            })
            .await;
            app.client.delete(&delete).send().await.unwrap().status()
        });
    }
    while let Some(status) = deletes.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::NO_CONTENT);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM subscriptions").await, 0);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .filter(|l| l.starts_with("bankstatus_storage_write_failures_total{"))
            .all(|l| l.ends_with(" 0")),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_and_windows_alert_but_a_flap_does_not() {
    use std::sync::atomic::Ordering;
    let fake = crate::helpers::FakeBank::start().await;
    let (hooks, rx) = receivers().await;
    let probes = [crate::helpers::probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  failures_before_outage = 3\n  successes_before_recovery = 2\n",
    )];
    let text = format!("{}{ALERTS}", bank_config("bmce", &probes, &[]));
    let app = TestApp::spawn(&text).await;
    subscribe_many(&app.url(""), &hooks, "ok", 1, &app.db_url).await;

    // One failing check is a flap: no incident, so nothing to tell.
    let seen = fake.hits("/toggle").len();
    fake.state.failing.store(true, Ordering::SeqCst);
    eventually(WAIT, "one failing check", || async {
        (fake.hits("/toggle").len() > seen).then_some(())
    })
    .await;
    fake.state.failing.store(false, Ordering::SeqCst);
    app.engine_takes(5).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM alert_events").await, 0);

    // A real outage: opened, then resolved when the bank answers again.
    fake.state.failing.store(true, Ordering::SeqCst);
    let opened = eventually(WAIT, "the outage told", || async {
        rx.events("ok0")
            .into_iter()
            .find(|s| s.json()["data"]["change"] == "opened")
    })
    .await;
    assert_eq!(
        opened.json()["data"]["incident"]["scopes"][0]["channel"],
        "web"
    );
    fake.state.failing.store(false, Ordering::SeqCst);
    eventually(WAIT, "the recovery told", || async {
        rx.events("ok0")
            .into_iter()
            .find(|s| s.json()["data"]["change"] == "resolved")
    })
    .await;

    // An announced window: announced, started and ended, each told once.
    let now = chrono::Utc::now();
    let (status, v) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "bmce", "channels": ["mobile"], "title": {"fr": "Migration"},
                    "starts": (now + chrono::Duration::seconds(2)).to_rfc3339(),
                    "ends": (now + chrono::Duration::seconds(4)).to_rfc3339()}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    eventually(WAIT, "the window's steps told", || async {
        let changes: Vec<Value> = rx
            .events("ok0")
            .iter()
            .map(|s| s.json()["data"]["change"].clone())
            .filter(|c| {
                c.as_str()
                    .is_some_and(|c| c != "opened" && c != "resolved" && c != "updated")
            })
            .collect();
        (changes
            == [
                json!("announced"),
                json!("window_started"),
                json!("window_ended"),
            ])
        .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_bank_sends_one_email_in_fifteen_minutes_and_every_webhook() {
    use std::sync::atomic::Ordering;
    let smtp = Helper::start("smtp_sink.py", &[]).await;
    let port = smtp.first()["port"].as_i64().unwrap();
    let fake = crate::helpers::FakeBank::start().await;
    let (hooks, rx) = receivers().await;
    let probes = [crate::helpers::probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  failures_before_outage = 2\n  successes_before_recovery = 2\n",
    )];
    let text = format!(
        "public_url = \"{PUBLIC}\"\n{}{ALERTS}\n[email]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"bankstatus <alerts@example.org>\"\n",
        bank_config("bmce", &probes, &[])
    );
    let app = TestApp::spawn(&text).await;
    subscribe_many(&app.url(""), &hooks, "ok", 1, &app.db_url).await;
    let (status, v) = app
        .post(
            "/api/v1/subscriptions",
            &json!({"kind": "email", "email": "nadia@example.org", "lang": "fr", "banks": ["bmce"]}),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let mail_to = |m: &Value| m["to"] == json!(["nadia@example.org"]);
    let confirm = eventually(WAIT, "the confirmation", || async {
        smtp.matching(mail_to).first().cloned()
    })
    .await;
    let url =
        link(confirm["text"].as_str().unwrap(), "/confirm?token=").replace(PUBLIC, &app.url(""));
    assert_eq!(
        app.client.post(&url).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Down, up, down, up: opened, resolved, reopened, then intermittent (held open).
    let told = |n: usize| {
        let rx = rx.clone();
        async move {
            eventually(WAIT, "the next change told", || async {
                let changes: Vec<String> = rx
                    .events("ok0")
                    .iter()
                    .filter_map(|s| s.json()["data"]["change"].as_str().map(str::to_owned))
                    .collect();
                (changes.len() >= n).then_some(changes)
            })
            .await
        }
    };
    for (n, failing) in [(1, true), (2, false), (3, true), (4, false)] {
        fake.state.failing.store(failing, Ordering::SeqCst);
        told(n).await;
    }
    let changes = told(4).await;
    assert_eq!(changes, ["opened", "resolved", "opened", "updated"]);
    fanned_out(&app).await;
    // Every delivery due is made; one email waits for the gap's end, the latest change:
    // the two held before it gave way.
    eventually(WAIT, "every delivery due made", || async {
        let waiting = app
            .count("SELECT COUNT(*) FROM deliveries WHERE done_at IS NULL")
            .await;
        let gave_way = app
            .count("SELECT COUNT(*) FROM deliveries WHERE outcome = 'superseded'")
            .await;
        (waiting == 1 && gave_way == 2).then_some(())
    })
    .await;
    let held = app
        .count(
            "SELECT COUNT(*) FROM deliveries WHERE done_at IS NULL \
             AND due_at - created_at BETWEEN 14 * 60000 AND 15 * 60000",
        )
        .await;
    assert_eq!(held, 1, "held to 15 minutes after the opening's email");
    let mails = smtp.matching(mail_to);
    assert_eq!(
        mails.len(),
        2,
        "the confirmation and the opening, nothing more within 15 minutes: {mails:?}"
    );
}

/// A client whose connections come from `ip`, one of loopback's many addresses.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmations_aimed_at_one_mailbox_send_one_and_a_domain_has_its_cap() {
    let smtp = Helper::start("smtp_sink.py", &[]).await;
    let port = smtp.first()["port"].as_i64().unwrap();
    // Clients known by their own address, each with its own allowance.
    let text = format!(
        "public_url = \"{PUBLIC}\"\n{}\n[alerts]\nconfirmations_per_domain = 5\n\n[email]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"bankstatus <alerts@example.org>\"\n",
        bank_config("bmce", &[], &[]).replace("trust_forwarded_for = true", "trust_forwarded_for = false")
    );
    let app = TestApp::spawn(&text).await;
    let subscribe = |ip: String, email: String| {
        let url = app.url("/api/v1/subscriptions");
        async move {
            client_from(&ip)
                .post(url)
                .header("content-type", "application/json")
                .body(json!({"kind": "email", "email": email}).to_string())
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // 50 spellings of one mailbox, at once, from 50 addresses.
    let aimed: Vec<_> = (0..50)
        .map(|i| {
            let email = match i % 3 {
                0 => format!("victim+{i}@example.org"),
                1 => format!("VICTIM+{i}@Example.ORG"),
                _ => "Victim@example.org".to_owned(),
            };
            tokio::spawn(subscribe(format!("127.0.61.{}", i + 1), email))
        })
        .collect();
    for a in aimed {
        assert_eq!(a.await.unwrap(), StatusCode::ACCEPTED);
    }
    // Quoted and hidden spellings are refused outright.
    for email in ["\"victim\"@example.org", "victim\u{202e}@example.org"] {
        let status = subscribe("127.0.61.99".into(), email.into()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email:?}");
    }
    // Other mailboxes of the domain: the first four fill its cap of five for the day.
    let mut statuses = Vec::new();
    for i in 0..8 {
        statuses.push(
            subscribe(
                format!("127.0.62.{}", i + 1),
                format!("user{i}@example.org"),
            )
            .await,
        );
    }
    assert_eq!(statuses[..4], [StatusCode::ACCEPTED; 4]);
    assert_eq!(statuses[4..], [StatusCode::TOO_MANY_REQUESTS; 4]);
    // Another domain is not held up by it.
    let status = subscribe("127.0.62.99".into(), "someone@example.net".into()).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // Every confirmation owed is one stored subscription; once all are delivered, the
    // victim got one and the domain five.
    let owed = app
        .count("SELECT COUNT(*) FROM subscriptions WHERE kind = 'email'")
        .await;
    assert_eq!(owed, 6);
    let mails = eventually(WAIT, "every confirmation delivered", || async {
        let all = smtp.matching(|m| m["to"].is_array());
        (all.len() as i64 >= owed).then_some(all)
    })
    .await;
    let to = |m: &Value| m["to"][0].as_str().unwrap().to_lowercase();
    let victim = mails.iter().filter(|m| to(m).starts_with("victim")).count();
    assert_eq!(victim, 1, "{mails:?}");
    let domain = mails
        .iter()
        .filter(|m| to(m).ends_with("@example.org"))
        .count();
    assert_eq!(domain, 5);
    assert_eq!(mails.len(), 6);
}
