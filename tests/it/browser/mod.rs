//! End to end in headless Chromium, driven over the DevTools protocol: Arabic lays out right
//! to left, no page is wider than a 360 px phone, nothing is logged as an error, and the
//! report form works without JavaScript. Screenshots land in `target/screenshots/`. The
//! operator's desk, used with the keyboard alone, is `desk.rs`; every public page on a phone
//! in three languages, with banks failing, is `phone.rs`.

mod desk;
mod phone;

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
    /// Starts headless Chromium. A cold start on a loaded machine now and then never
    /// reaches "DevTools listening"; such a browser is killed and started again.
    async fn launch() -> Browser {
        let mut seen = Vec::new();
        for _ in 0..3 {
            if let Some(browser) = Self::try_launch(&mut seen).await {
                return browser;
            }
        }
        panic!("chromium did not start in three tries of 30 s; its last words: {seen:?}");
    }

    async fn try_launch(seen: &mut Vec<String>) -> Option<Browser> {
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
            .expect("chromium is installed (scripts/test.sh installs it)");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        seen.clear();
        let ws = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return Some(url.trim().to_owned());
                }
                seen.push(line);
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(ws) = ws else {
            let _ = child.kill().await;
            return None;
        };
        // Keep draining stderr so the browser never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let endpoint = ws
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .map(|host| format!("http://{host}"))
            .unwrap();
        Some(Browser {
            child,
            endpoint,
            _profile: profile,
        })
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

    /// Runs axe-core on the page; the serious and critical violations, each with a node.
    async fn axe(&mut self, source: &str) -> Vec<String> {
        self.call(
            "Runtime.evaluate",
            json!({"expression": source, "returnByValue": true}),
        )
        .await;
        let r = self
            .call(
                "Runtime.evaluate",
                json!({
                    "expression": "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))",
                    "awaitPromise": true,
                    "returnByValue": true
                }),
            )
            .await;
        serde_json::from_value(r["result"]["value"].clone())
            .unwrap_or_else(|_| vec![format!("axe failed: {r}")])
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

/// axe-core's script, which `scripts/setup.sh` installs.
fn axe_source() -> String {
    let axe_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/npm/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&axe_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/setup.sh installs axe-core)",
            axe_path.display()
        )
    })
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

    // BMCE's web down now, with no estimate, and CDM's mobile in a window that ends soon.
    let now = chrono::Utc::now();
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["web"],
                    "title": {"ar": "تعذر الولوج إلى البنك عبر الإنترنت", "fr": "Banque en ligne inaccessible", "en": "Online banking unreachable"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (status, v) = app
        .post(
            "/api/v1/maintenance",
            &json!({"bank": "cdm", "channels": ["mobile"],
                    "starts": (now - chrono::Duration::hours(1)).to_rfc3339(),
                    "ends": (now + chrono::Duration::hours(2)).to_rfc3339(),
                    "title": {"ar": "صيانة التطبيق", "fr": "Maintenance de l’application", "en": "App maintenance"}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    // What BMCE says: of the outage now, in French with a translation made here and a
    // promise; of the press outage, in both its languages.
    let said = chrono::Utc::now();
    for body in [
        json!({"bank": "bmce", "channels": ["web"],
               "text": {"fr": "Nous rencontrons un problème technique dans le système.\nNos équipes sont mobilisées."},
               "translations": {"ar": "نواجه مشكلا تقنيا في النظام. فرقنا معبأة.", "en": "We are meeting a technical problem in the system. Our teams are at work."},
               "source_url": "https://www.facebook.com/BankofAfrica.ma", "source_kind": "facebook",
               "said_at": said.to_rfc3339(), "expected_back_at": (said + chrono::Duration::hours(2)).to_rfc3339()}),
        json!({"bank": "bmce", "incident": incident,
               "text": {"ar": "نعتذر عن هذا العطل.", "fr": "Nous nous excusons pour cette panne."},
               "source_url": "https://lematin.ma/", "source_kind": "press",
               "said_at": "2026-02-10T15:30", "expected_back_at": "2026-02-10T17:00"}),
    ] {
        let (status, v) = app.post("/api/v1/statements", &body, true).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    crate::helpers::eventually(
        Duration::from_secs(10),
        "the window in progress",
        || async {
            (crate::helpers::channel_status(&app, "cdm", "mobile").await["status"] == "maintenance")
                .then_some(())
        },
    )
    .await;

    let axe = axe_source();
    let browser = Browser::launch().await;
    let mut pages = Vec::new();
    for lang in ["ar", "fr", "en"] {
        pages.extend([
            (format!("home-{lang}"), format!("/?lang={lang}")),
            (
                format!("bank-cdm-{lang}"),
                format!("/banks/cdm?lang={lang}"),
            ),
            (
                format!("bank-bmce-{lang}"),
                format!("/banks/bmce?lang={lang}"),
            ),
            (
                format!("incident-{lang}"),
                format!("/incidents/{incident}?lang={lang}"),
            ),
            (format!("report-{lang}"), format!("/report?lang={lang}")),
            (
                format!("scorecard-{lang}"),
                format!("/scorecard/2026-02?lang={lang}"),
            ),
            (format!("history-{lang}"), format!("/history?lang={lang}")),
            (
                format!("embed-{lang}"),
                format!("/embed/banks/cdm?lang={lang}"),
            ),
            (
                format!("accessibility-{lang}"),
                format!("/accessibility?lang={lang}"),
            ),
        ]);
    }
    for (width, height) in [(360, 800), (1280, 800)] {
        let mut tab = browser.tab(width, height).await;
        for (name, path) in &pages {
            tab.goto(&app.url(path)).await;
            let errors = tab.errors();
            assert!(errors.is_empty(), "{path} at {width}px: {errors:?}");
            let violations = tab.axe(&axe).await;
            assert!(
                violations.is_empty(),
                "axe at {width}px on {path}: {violations:?}"
            );
            if path.starts_with("/banks/") && width == 360 {
                // The answer first: until when, within the first screen of a phone.
                let top = tab
                    .eval("document.querySelector('.until')?.getBoundingClientRect().top ?? 1e9")
                    .await;
                if top.as_f64().unwrap() >= 800.0 {
                    let shown = tab.eval("document.querySelector('main').innerText").await;
                    panic!("{path}: the channel's 'until' is {top} px down, under {shown}");
                }
            }
            let overflow = tab
                .eval(&format!(
                    "document.documentElement.scrollWidth - Math.min(window.innerWidth, {width})"
                ))
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

    // Another site may frame the embed, and nothing else.
    let mut tab = browser.tab(1280, 800).await;
    let (embed, bank) = (app.url("/embed/banks/cdm"), app.url("/banks/cdm"));
    let framing = format!(
        "{}?src={}&src={}",
        fake.url("/frames"),
        form_urlencoded::byte_serialize(embed.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(bank.as_bytes()).collect::<String>()
    );
    tab.goto(&framing).await;
    let tree = tab.call("Page.getFrameTree", json!({})).await;
    let children = tree["frameTree"]["childFrames"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let loaded = |url: &str| {
        children.iter().any(|c| {
            c["frame"]["url"].as_str() == Some(url) && c["frame"]["unreachableUrl"].is_null()
        })
    };
    assert!(loaded(&embed), "the embed was not framed: {tree}");
    assert!(!loaded(&bank), "the bank page was framed: {tree}");

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
