//! Test helpers: the app on port 0 with a fresh database, and fake bank endpoints.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bankstatus::config;
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The operator token the test apps accept.
pub const ADMIN: &str = "test-admin-token-0123456789abcdefghij";
/// The agent token the test apps accept.
pub const AGENT: &str = "test-agent-token-0123456789abcdefghij";

/// What the fake banks saw and how they behave now.
#[derive(Default)]
pub struct FakeState {
    pub hits: Mutex<HashMap<String, Vec<Instant>>>,
    /// `/toggle` answers 503 while set.
    pub failing: AtomicBool,
    /// `/control` answers 503 while set.
    pub control_failing: AtomicBool,
    /// Bytes `/huge` has produced so far.
    pub huge_bytes: AtomicU64,
    /// `/regional` answers 503 to agents of these regions (by their User-Agent).
    pub failing_regions: Mutex<Vec<String>>,
    /// `/regional-control` answers 503 to agents of these regions.
    pub cut_regions: Mutex<Vec<String>>,
    /// `/stall` holds every answer back while set, as a target that stops answering.
    pub stalled: AtomicBool,
}

/// 503 when the request's User-Agent names one of `regions`.
fn regional(regions: &Mutex<Vec<String>>, headers: &axum::http::HeaderMap) -> StatusCode {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let failing = regions
        .lock()
        .unwrap()
        .iter()
        .any(|r| agent.contains(&format!("region {r})")));
    if failing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

pub struct FakeBank {
    pub base: String,
    pub state: Arc<FakeState>,
}

impl FakeBank {
    pub async fn start() -> FakeBank {
        let state = Arc::new(FakeState::default());
        let app = Router::new()
            .route("/up", get(|| async { "<html>welcome to the bank</html>" }))
            .route("/counted", get(|| async { "ok" }))
            .route(
                "/frames",
                get(
                    |axum::extract::RawQuery(q): axum::extract::RawQuery| async move {
                        // Another origin framing the pages listed in `?src=...&src=...`.
                        let frames: String =
                            form_urlencoded::parse(q.unwrap_or_default().as_bytes())
                                .filter(|(k, _)| k == "src")
                                .map(|(_, v)| {
                                    format!("<iframe src=\"{v}\" title=\"framed\"></iframe>")
                                })
                                .collect();
                        axum::response::Html(format!(
                            "<!doctype html><title>frames</title>{frames}"
                        ))
                    },
                ),
            )
            .route("/probe/{n}", get(|| async { "ok" }))
            .route(
                "/down",
                get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
            )
            .route(
                "/hang",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "late"
                }),
            )
            .route(
                "/stall",
                get(|State(s): State<Arc<FakeState>>| async move {
                    if s.stalled.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    "<html>welcome to the bank</html>"
                }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    "slow but fine"
                }),
            )
            .route("/drip", get(drip))
            .route("/huge", get(huge))
            .route(
                "/redirect",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/redirect")]) }),
            )
            .route(
                "/toggle",
                get(|State(s): State<Arc<FakeState>>| async move {
                    if s.failing.load(Ordering::SeqCst) {
                        (StatusCode::SERVICE_UNAVAILABLE, "down")
                    } else {
                        (StatusCode::OK, "up")
                    }
                }),
            )
            .route(
                "/regional",
                get(
                    |State(s): State<Arc<FakeState>>, h: axum::http::HeaderMap| async move {
                        regional(&s.failing_regions, &h)
                    },
                ),
            )
            .route(
                "/regional-control",
                get(
                    |State(s): State<Arc<FakeState>>, h: axum::http::HeaderMap| async move {
                        regional(&s.cut_regions, &h)
                    },
                ),
            )
            .route(
                "/control",
                get(|State(s): State<Arc<FakeState>>| async move {
                    if s.control_failing.load(Ordering::SeqCst) {
                        (StatusCode::SERVICE_UNAVAILABLE, "down")
                    } else {
                        (StatusCode::OK, "up")
                    }
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                count_hits,
            ))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeBank { base, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn hits(&self, path: &str) -> Vec<Instant> {
        self.state
            .hits
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default()
    }
}

async fn count_hits(
    State(s): State<Arc<FakeState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    s.hits
        .lock()
        .unwrap()
        .entry(req.uri().path().to_owned())
        .or_default()
        .push(Instant::now());
    next.run(req).await
}

/// One byte every 300 ms, for ever.
async fn drip() -> Response {
    let stream = futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some((
            Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b".")),
            (),
        ))
    });
    Body::from_stream(stream).into_response()
}

/// A 1 GiB body in 64 KiB chunks, counting what it produces.
async fn huge(State(s): State<Arc<FakeState>>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let s = s.clone();
        async move {
            if sent >= 1 << 30 {
                return None;
            }
            s.huge_bytes.fetch_add(CHUNK as u64, Ordering::SeqCst);
            Some((
                Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; CHUNK])),
                sent + CHUNK,
            ))
        }
    });
    Body::from_stream(stream).into_response()
}

/// `bankstatus serve` as its own process on a free port, with its base URL.
pub fn serve(config: &std::path::Path, database: &str) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bankstatus"))
        .arg("serve")
        .arg("--config")
        .arg(config)
        .arg("--database")
        .arg(database)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

/// The PostgreSQL server the tests use when they do not run on SQLite, and always for
/// what only PostgreSQL does (several instances on one database).
pub fn postgres_server() -> String {
    std::env::var("BANKSTATUS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A fresh database for one test: an SQLite file in a temporary directory or, when
/// `BANKSTATUS_TEST_POSTGRES` is set, a new PostgreSQL database, dropped at the end.
pub struct TestDb {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new() -> TestDb {
        if std::env::var_os("BANKSTATUS_TEST_POSTGRES").is_some() {
            Self::postgres()
        } else {
            Self::sqlite()
        }
    }

    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let db: PathBuf = dir.path().join("test.db");
        TestDb {
            url: format!("sqlite://{}", db.display()),
            postgres: None,
            _dir: dir,
        }
    }

    /// Another handle on a database some other [`TestDb`] owns and drops.
    pub fn borrowed(url: &str) -> TestDb {
        TestDb {
            url: url.to_owned(),
            postgres: None,
            _dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A database name no other test of any run uses; the service creates it on connect.
    pub fn postgres() -> TestDb {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let server = postgres_server();
        let name = format!(
            "bankstatus_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        TestDb {
            url: format!("{server}/{name}"),
            postgres: Some((server, name)),
            _dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on itself: a thread with
        // its own runtime drops the database, whatever connections are still open.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection as _;
                if let Ok(mut c) = sqlx::PgConnection::connect(&format!("{server}/postgres")).await
                {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            });
        })
        .join();
    }
}

/// The real app on 127.0.0.1:0 with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db_url: String,
    config_text: String,
    admin: Option<&'static str>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _db: TestDb,
}

impl TestApp {
    /// The app with the operator token [`ADMIN`].
    pub async fn spawn(config_text: &str) -> TestApp {
        Self::spawn_with(config_text, Some(ADMIN)).await
    }

    pub async fn spawn_with(config_text: &str, admin: Option<&'static str>) -> TestApp {
        Self::start_on(config_text, admin, TestDb::new()).await
    }

    /// The app on the given database, which it drops at the end.
    pub async fn spawn_on(config_text: &str, db: TestDb) -> TestApp {
        Self::start_on(config_text, Some(ADMIN), db).await
    }

    async fn start_on(config_text: &str, admin: Option<&'static str>, db: TestDb) -> TestApp {
        let mut app = TestApp {
            addr: "127.0.0.1:0".parse().unwrap(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            db_url: db.url.clone(),
            config_text: config_text.to_owned(),
            admin,
            shutdown: CancellationToken::new(),
            task: None,
            _db: db,
        };
        app.start().await;
        app
    }

    async fn start(&mut self) {
        self.start_at("127.0.0.1:0").await;
    }

    async fn start_at(&mut self, addr: &str) {
        let config =
            config::parse(&self.config_text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
        let store = bankstatus::store::connect(&self.db_url).await.unwrap();
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        self.addr = listener.local_addr().unwrap();
        self.shutdown = CancellationToken::new();
        let tokens = bankstatus::app::Tokens {
            admin: self.admin.map(bankstatus::web::auth::BearerToken::new),
            agent: Some(bankstatus::web::auth::BearerToken::new(AGENT)),
        };
        self.task = Some(tokio::spawn(bankstatus::app::run_with(
            config,
            store,
            listener,
            self.shutdown.clone(),
            tokens,
        )));
    }

    /// A second instance of the service on this app's database, with its own config text.
    pub async fn spawn_beside(&self, config_text: &str) -> TestApp {
        let mut app = TestApp {
            addr: "127.0.0.1:0".parse().unwrap(),
            client: self.client.clone(),
            db_url: self.db_url.clone(),
            config_text: config_text.to_owned(),
            admin: self.admin,
            shutdown: CancellationToken::new(),
            task: None,
            _db: TestDb::borrowed(&self.db_url),
        };
        app.start().await;
        app
    }

    /// Stops the app and starts it again on the same database and the same port, as a
    /// server restarts behind its address.
    pub async fn restart_in_place(&mut self) {
        self.stop().await;
        let addr = self.addr.to_string();
        self.start_at(&addr).await;
    }

    /// Stops the app (flushing its writer) and starts it again on the same database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        (r.status(), r.text().await.unwrap())
    }

    pub async fn json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        serde_json::from_str(&r.text().await.unwrap()).unwrap()
    }

    /// POSTs JSON, as the operator when `admin`; returns the status and the JSON answer.
    pub async fn post(&self, path: &str, body: &Value, admin: bool) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string());
        if admin {
            req = req.bearer_auth(ADMIN);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A crowd report through the JSON API from the client address `ip` (the test configs
    /// trust `X-Forwarded-For`).
    pub async fn report(&self, bank: &str, channel: &str, ip: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url("/api/v1/reports"))
            .header("content-type", "application/json")
            .header("x-forwarded-for", ip)
            .body(serde_json::json!({ "bank": bank, "channel": channel }).to_string())
            .send()
            .await
            .unwrap();
        let status = r.status();
        (
            status,
            serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
        )
    }

    /// A crowd report of any shape through the JSON API, from the client address `ip`.
    pub async fn report_with(&self, ip: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url("/api/v1/reports"))
            .header("content-type", "application/json")
            .header("x-forwarded-for", ip)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status();
        (
            status,
            serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
        )
    }

    /// Runs one SQL query returning a single integer against the app's database.
    pub async fn count(&self, sql: &str) -> i64 {
        if self.db_url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(&self.db_url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        } else {
            let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    }

    /// Runs one SQL statement against the app's database, as someone with its password could.
    pub async fn execute(&self, sql: &str) {
        if self.db_url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(&self.db_url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&self.db_url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }

    /// Waits until the log's checkpoint holds every entry appended so far: what was written
    /// is then in the record the scorecard is computed from. The checkpoint's size.
    pub async fn logged(&self) -> u64 {
        let appended = self.count("SELECT size FROM log_head").await as u64;
        eventually(
            Duration::from_secs(20),
            "a checkpoint of every entry",
            || async {
                let (status, note) = self.text("/log/checkpoint").await;
                let size: u64 = note.lines().nth(1)?.parse().ok()?;
                (status == StatusCode::OK && size >= appended).then_some(size)
            },
        )
        .await
    }

    /// A counter or gauge from `/metrics`.
    pub async fn metric(&self, line_start: &str) -> f64 {
        let (_, text) = self.text("/metrics").await;
        text.lines()
            .find_map(|l| {
                l.strip_prefix(line_start)
                    .map(|v| v.trim().parse::<f64>().unwrap())
            })
            .unwrap_or_else(|| panic!("no metric {line_start}"))
    }

    /// Waits until the counter `name` has grown by `more` from now: the engine has taken
    /// in that much since, so what it would have done with it is done.
    pub async fn counter_grows(&self, name: &str, more: f64) {
        let from = self.counter(name).await;
        self.counter_reaches(name, from + more).await;
    }

    /// The counter `name` now.
    pub async fn counter(&self, name: &str) -> f64 {
        self.metric(&format!("{name} ")).await
    }

    /// Waits until the counter `name` is at least `target`.
    pub async fn counter_reaches(&self, name: &str, target: f64) {
        let line = format!("{name} ");
        eventually(Duration::from_secs(20), name, || async {
            (self.metric(&line).await >= target).then_some(())
        })
        .await;
    }

    /// Waits until the engine has taken in `n` more probe results.
    pub async fn engine_takes(&self, n: u32) {
        self.counter_grows("bankstatus_engine_results_total", f64::from(n))
            .await;
    }

    /// How many times the engine has counted the reports, to wait on with
    /// [`TestApp::reports_counted_since`].
    pub async fn report_counts(&self) -> f64 {
        self.counter(REPORT_COUNTS).await
    }

    /// Waits until the engine has counted the reports `n` more times than `mark`. Two counts
    /// after a report's answer include it: the first may have begun before it was stored.
    pub async fn reports_counted_since(&self, mark: f64, n: u32) {
        self.counter_reaches(REPORT_COUNTS, mark + f64::from(n))
            .await;
    }
}

const REPORT_COUNTS: &str = "bankstatus_report_counts_total";

/// Polls `check` every 50 ms until it gives `Some`, failing after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// As [`eventually`], looking every millisecond: for a test that must act while what it
/// waits for is still going on.
pub async fn closely(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The exit code of `child` once it has exited, failing if it still runs after `limit`.
pub async fn exit_code_within(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let asked = Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("waiting for the child") {
            return s.code();
        }
        assert!(
            asked.elapsed() < limit,
            "still running {limit:?} after being asked to stop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`eventually`] for a test without a runtime: polls `check` every 50 ms for up to
/// `limit`; whether it ever gave `true`.
pub fn poll_blocking(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Crowd-report settings for tests: a low floor, and `X-Forwarded-For` trusted so a test
/// can speak as many clients.
pub const REPORTS: &str =
    "[reports]\nsurge_floor = 3\nper_reporter_per_hour = 20\ntrust_forwarded_for = true\n";

/// The cities reporters of the tests may name.
pub const CITIES: &str = "\n[[cities]]\nslug = \"casablanca\"\nname = { ar = \"الدار البيضاء\", fr = \"Casablanca\", en = \"Casablanca\" }\n\
     [[cities]]\nslug = \"rabat\"\nname = { ar = \"الرباط\", fr = \"Rabat\", en = \"Rabat\" }\n\
     [[cities]]\nslug = \"fes\"\nname = { ar = \"فاس\", fr = \"Fès\", en = \"Fez\" }\n\
     [[cities]]\nslug = \"marrakech\"\nname = { ar = \"مراكش\", fr = \"Marrakech\", en = \"Marrakesh\" }\n\
     [[cities]]\nslug = \"tangier\"\nname = { ar = \"طنجة\", fr = \"Tanger\", en = \"Tangier\" }\n\
     [[cities]]\nslug = \"agadir\"\nname = { ar = \"أكادير\", fr = \"Agadir\", en = \"Agadir\" }\n";

/// A one-bank config with the given probes (TOML of `[[banks.probes]]` tables) and controls.
pub fn bank_config(slug: &str, probes: &[String], controls: &[String]) -> String {
    let mut text = format!(
        "timezone = \"Africa/Casablanca\"\ndefault_language = \"en\"\n{REPORTS}\n[[banks]]\nslug = \"{slug}\"\nname = {{ ar = \"بنك\", fr = \"Banque {slug}\", en = \"Bank {slug}\" }}\n"
    );
    for p in probes {
        text.push_str("\n  [[banks.probes]]\n");
        text.push_str(p);
        text.push('\n');
    }
    for c in controls {
        text.push_str(&format!(
            "\n[[controls]]\nurl = \"{c}\"\ninterval = \"200ms\"\ntimeout = \"1s\"\n"
        ));
    }
    text.push_str(CITIES);
    text
}

/// BMCE with one web probe on `fake`'s `/up`, checked hourly: a bank that sits still while a
/// test drives the operator API, reports or feeds.
pub fn quiet_bank(fake: &FakeBank) -> String {
    bank_config(
        "bmce",
        &[probe("web", &fake.url("/up"), "  interval = \"1h\"\n")],
        &[],
    )
}

/// A probe table for `bank_config`.
pub fn probe(channel: &str, url: &str, extra: &str) -> String {
    format!("  channel = \"{channel}\"\n  url = \"{url}\"\n{extra}")
}

/// The channel of `bank` in a document listing banks and their channels (`/api/v1/status`,
/// a scorecard's JSON).
pub fn channel_in<'a>(doc: &'a Value, bank: &str, channel: &str) -> Option<&'a Value> {
    doc["banks"]
        .as_array()?
        .iter()
        .find(|b| b["slug"] == bank)?["channels"]
        .as_array()?
        .iter()
        .find(|c| c["channel"] == channel)
}

/// The channel of `bank` in `/api/v1/status`; null while the page does not show it.
pub async fn channel_status(app: &TestApp, bank: &str, channel: &str) -> Value {
    let status = app.json("/api/v1/status").await;
    channel_in(&status, bank, channel)
        .cloned()
        .unwrap_or(Value::Null)
}
