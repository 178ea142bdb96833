//! End to end in headless Chromium, driven over the DevTools protocol: Arabic lays out right
//! to left, no page is wider than a 360 px phone, nothing is logged as an error, and the
//! report form works without JavaScript. Screenshots land in `target/screenshots/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{FakeBank, TestApp, REPORTS};

/// Headless Chromium with a fresh profile, killed on drop.
struct Browser {
    child: Child,
    /// `http://127.0.0.1:PORT` of the DevTools endpoint.
    endpoint: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium is installed (.ci/run installs it)");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let ws = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("chromium exited before listening");
        })
        .await
        .expect("chromium starts within 30 s");
        // Keep draining stderr so the browser never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let endpoint = ws
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .map(|host| format!("http://{host}"))
            .unwrap();
        Browser {
            child,
            endpoint,
            _profile: profile,
        }
    }

    /// A new tab with the given viewport.
    async fn tab(&self, width: u32, height: u32) -> Tab {
        let target = reqwest::Client::new()
            .put(format!("{}/json/new?about:blank", self.endpoint))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let target: Value = serde_json::from_str(&target).unwrap();
        let url = target["webSocketDebuggerUrl"].as_str().unwrap();
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut tab = Tab {
            ws,
            next_id: 0,
            events: Vec::new(),
        };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            tab.call(domain, json!({})).await;
        }
        tab.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        )
        .await;
        tab
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

struct Tab {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Every event received so far.
    events: Vec<Value>,
}

impl Tab {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(msg)).await.unwrap();
        loop {
            let v = self.next_message().await;
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    async fn next_message(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("DevTools answers within 30 s")
                .unwrap()
                .unwrap();
            if let Message::Text(text) = msg {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    /// Waits for a load event among the events from index `since` on.
    async fn wait_for_load(&mut self, since: usize) {
        loop {
            if self.events[since..]
                .iter()
                .any(|e| e["method"] == "Page.loadEventFired")
            {
                return;
            }
            let v = self.next_message().await;
            self.events.push(v);
        }
    }

    async fn goto(&mut self, url: &str) {
        self.events.clear();
        let nav = self.call("Page.navigate", json!({"url": url})).await;
        assert!(nav.get("errorText").is_none(), "{url}: {nav}");
        self.wait_for_load(0).await;
    }

    async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        r["result"]["value"].clone()
    }

    /// Console errors, uncaught exceptions, and errors the browser logged (failed loads,
    /// blocked by the Content-Security-Policy...).
    fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| {
                (e["method"] == "Runtime.consoleAPICalled" && e["params"]["type"] == "error")
                    || e["method"] == "Runtime.exceptionThrown"
                    || (e["method"] == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
            })
            .map(|e| e["params"].to_string())
            .collect()
    }

    async fn screenshot(&mut self, name: &str) {
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

fn screenshots_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("screenshots")
}

fn config(fake: &FakeBank) -> String {
    let url = fake.url("/up");
    format!(
        "timezone = \"Africa/Casablanca\"\ndefault_language = \"fr\"\n{REPORTS}\n\
         [[banks]]\nslug = \"bmce\"\nname = {{ ar = \"بنك إفريقيا\", fr = \"Bank of Africa (BMCE)\", en = \"Bank of Africa (BMCE)\" }}\n\
         [[banks.probes]]\nchannel = \"web\"\nurl = \"{url}\"\ninterval = \"1h\"\n\
         [[banks.probes]]\nchannel = \"mobile\"\nurl = \"{url}\"\ninterval = \"1h\"\n\
         [[banks]]\nslug = \"cdm\"\nname = {{ ar = \"مصرف المغرب\", fr = \"Crédit du Maroc\", en = \"Crédit du Maroc\" }}\n\
         [[banks.probes]]\nchannel = \"web\"\nurl = \"{url}\"\ninterval = \"1h\"\n\
         [[banks.probes]]\nchannel = \"mobile\"\nurl = \"{url}\"\ninterval = \"1h\"\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_a_real_browser() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    // Something to show: an outage of BMCE known from the press, and a CDM weekend window.
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm", "transfers"],
                    "title": {"ar": "تعذر السحب من الشبابيك والتحويلات", "fr": "Retraits et virements impossibles", "en": "No withdrawals or transfers"},
                    "message": {"fr": "Panne du système d’information signalée dans plusieurs villes."},
                    "started_at": "2026-02-10T09:00", "resolved_at": "2026-02-10T18:30", "state": "resolved"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let incident = v["id"].as_i64().unwrap();
    let (status, v) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "cdm", "channels": ["web", "mobile"], "starts": "2099-02-13T22:00", "ends": "2099-02-15T22:00",
                    "title": {"ar": "توقف التطبيق والموقع طيلة نهاية الأسبوع", "fr": "Application et banque en ligne arrêtées le week-end", "en": "App and web banking stopped for the weekend"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");

    let browser = Browser::launch().await;
    let pages = [
        ("home", "/".to_owned()),
        ("bank-cdm-ar", "/banks/cdm?lang=ar".to_owned()),
        ("incident-fr", format!("/incidents/{incident}?lang=fr")),
        ("report", "/report".to_owned()),
        ("scorecard-ar", "/scorecard/2026-02?lang=ar".to_owned()),
        ("history-en", "/history?lang=en".to_owned()),
    ];
    for (width, height) in [(360, 800), (1280, 800)] {
        let mut tab = browser.tab(width, height).await;
        for (name, path) in &pages {
            tab.goto(&app.url(path)).await;
            let errors = tab.errors();
            assert!(errors.is_empty(), "{path} at {width}px: {errors:?}");
            let overflow = tab
                .eval("document.documentElement.scrollWidth - window.innerWidth")
                .await;
            assert!(
                overflow.as_i64().unwrap() <= 0,
                "{path} is {overflow} px wider than {width} px"
            );
            let dir = tab
                .eval("getComputedStyle(document.documentElement).direction")
                .await;
            let lang = tab.eval("document.documentElement.lang").await;
            // Without `?lang=` the page follows the cookie an earlier choice set.
            if path.contains("lang=ar") {
                assert_eq!(lang, "ar", "{path}");
            }
            let want = if lang == "ar" { "rtl" } else { "ltr" };
            assert_eq!(dir, want, "{path} in {lang}");
            tab.screenshot(&format!("{name}-{width}x{height}")).await;
        }
    }

    // The report form, posted by the browser itself: no script on the page.
    let mut tab = browser.tab(360, 800).await;
    tab.goto(&app.url("/report?lang=ar")).await;
    assert_eq!(tab.eval("document.scripts.length").await, 0);
    let before_submit = tab.events.len();
    tab.eval(
        "document.getElementById('bank').value = 'bmce';\
         document.getElementById('channel').value = 'atm';\
         document.getElementById('comment').value = 'الشباك لا يعطي المال - Casablanca Maarif';\
         document.querySelector('form.report button[type=submit]').click()",
    )
    .await;
    tab.wait_for_load(before_submit).await;
    assert!(tab.errors().is_empty(), "{:?}", tab.errors());
    let notice = tab
        .eval("document.querySelector('[role=status]')?.textContent ?? ''")
        .await;
    assert!(
        !notice.as_str().unwrap().trim().is_empty(),
        "no thanks shown"
    );
    tab.screenshot("report-sent-360x800").await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM reports WHERE bank = 'bmce' AND channel = 'atm' AND counted = 1"
        )
        .await,
        1
    );
}

/// The subscribe page runs its own script under its CSP, shows the push option and
/// registers the service worker, which the service serves itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subscribe_page_registers_the_push_worker() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&config(&fake)).await;
    let browser = Browser::launch().await;
    let mut tab = browser.tab(360, 800).await;
    tab.goto(&app.url("/subscribe?lang=ar")).await;
    let shown = tab
        .eval("document.getElementById('push') && !document.getElementById('push').hidden")
        .await;
    assert_eq!(shown, json!(true), "the script ran and offers push");
    let registered = tab
        .call(
            "Runtime.evaluate",
            json!({
                "expression": "navigator.serviceWorker.register('/push-sw.js').then(() => navigator.serviceWorker.ready).then(r => r.active ? r.active.scriptURL : (r.installing || r.waiting).scriptURL)",
                "awaitPromise": true,
                "returnByValue": true,
            }),
        )
        .await;
    let url = registered["result"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(url.ends_with("/push-sw.js"), "{registered}");
    assert_eq!(tab.eval("document.dir").await, json!("rtl"));
    // The browser asks for a favicon on its own; the service has none.
    let errors: Vec<String> = tab
        .errors()
        .into_iter()
        .filter(|e| !e.contains("/favicon.ico"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
