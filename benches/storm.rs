//! The day a bank fails, and the day someone wants the tracker down, against
//! `bankstatus serve` in its own process (release build), SQLite in a temporary directory.
//!
//! - `storm` (default): BMCE's probes fail (a closed loopback port) while `BENCH_REPORTERS`
//!   clients (48) post reports as fast as they are answered, each from its own loopback
//!   address (127.1.0.0/16, one report each, so none is refused for its rate), and
//!   `BENCH_READERS` clients (32) reload `/banks/bmce` over keep-alive, for `BENCH_SECONDS`
//!   (30). With `BENCH_REPORT_RATE` the reporters instead keep to that many reports a second
//!   between them, and a report's time runs from when it was due, so a stall counts for
//!   every report it held back. Prints reports/s, page and report p50/p99, 5xx, and
//!   accepted reports missing from the database.
//! - `conns`: 2,000 idle connections and 1,500 that sent 30 KB of an unfinished head;
//!   prints the server's resident memory before, with them, and after they left, and `/`
//!   latency for a normal client meanwhile.
//! - `slowbodies`: one address (127.0.0.9) keeps `BENCH_SLOW` (6,000) report requests open,
//!   each with the first byte of a 4,000-byte body, opening one again a second after the
//!   server closes it, for `BENCH_SECONDS` (20); visitors, each from an address of its
//!   own, read `/api/v1/status` every 20 ms meanwhile. Then the attacker closes them all and
//!   the server's resident memory is read each second for `BENCH_AFTER` (60) seconds:
//!   prints the peak and the time until it is under 60 MB. `BENCH_PER_ADDRESS` raises
//!   `[server] max_connections_per_address` and `max_connections` to let the attack in.
//!
//! The memory modes run the server with the allocator settings of the shipped unit
//! (`deploy/bankstatus.service`), as a deployment runs it; a `MIMALLOC_*` variable the bench
//! is run with is passed on over the unit's, to measure another setting.
//!
//! `cargo bench --bench storm -- [storm|conns|slowbodies]` (or `scripts/bench.sh
//! storm|conns|slowbodies`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let mode = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| "storm".to_owned());
    raise_open_files();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match mode.as_str() {
        "storm" => runtime.block_on(storm()),
        "conns" => runtime.block_on(conns()),
        "slowbodies" => runtime.block_on(slow_bodies()),
        other => eprintln!("unknown mode {other}; use storm, conns or slowbodies"),
    }
}

fn raise_open_files() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let l = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: l.maximum,
            maximum: l.maximum,
        },
    );
}

/// The server in its own process, and where it listens.
struct Server {
    child: Child,
    addr: SocketAddr,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The allocator settings the shipped unit gives the service: its `Environment=`
/// assignments of `MIMALLOC_*` variables, then any `MIMALLOC_*` the bench itself is run with
/// (to measure another setting against them).
fn unit_allocator_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = include_str!("../deploy/bankstatus.service")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Environment="))
        .flat_map(str::split_whitespace)
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.starts_with("MIMALLOC_"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for (k, v) in std::env::vars().filter(|(k, _)| k.starts_with("MIMALLOC_")) {
        env.retain(|(known, _)| *known != k);
        env.push((k, v));
    }
    env
}

async fn start(config: &str) -> Server {
    start_with(config, &[]).await
}

/// The server with `env` set besides `RUST_LOG`.
async fn start_with(config: &str, env: &[(String, String)]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("banks.toml");
    std::fs::write(&path, config).expect("config");
    let db = dir.path().join("bench.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let child = Command::new(env!("CARGO_BIN_EXE_bankstatus"))
        .arg("serve")
        .arg("--config")
        .arg(&path)
        .arg("--database")
        .arg(format!("sqlite://{}", db.display()))
        .arg("--listen")
        .arg(addr.to_string())
        .env("RUST_LOG", "error")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bankstatus");
    let server = Server {
        child,
        addr,
        db,
        _dir: dir,
    };
    for _ in 0..200 {
        if get(addr, "/healthz").await.is_some_and(|(s, _)| s == 200) {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

/// One request on a fresh connection; the status and the time to the whole answer.
async fn once(stream: TcpStream, request: &[u8]) -> Option<(u16, Duration)> {
    let started = Instant::now();
    let mut stream = stream;
    stream.write_all(request).await.ok()?;
    let mut answer = Vec::with_capacity(4096);
    stream.read_to_end(&mut answer).await.ok()?;
    let status = std::str::from_utf8(answer.get(9..12)?).ok()?.parse().ok()?;
    Some((status, started.elapsed()))
}

async fn get(addr: SocketAddr, path: &str) -> Option<(u16, Duration)> {
    let stream = TcpStream::connect(addr).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    once(stream, req.as_bytes()).await
}

/// Reads one keep-alive answer with a Content-Length body; its status.
async fn read_answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<u16> {
    buf.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = std::str::from_utf8(&buf[..end]).ok()?.to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buf.len() >= end + 4 + length {
            return std::str::from_utf8(buf.get(9..12)?).ok()?.parse().ok();
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

const BANKS: &str = r#"timezone = "Africa/Casablanca"
default_language = "fr"

[[banks]]
slug = "bmce"
name = { ar = "بنك أفريقيا", fr = "Bank of Africa", en = "Bank of Africa" }

  [[banks.probes]]
  channel = "web"
  url = "http://127.0.0.1:9/"
  interval = "1s"
  timeout = "1s"
  failures_before_outage = 2

  [[banks.probes]]
  channel = "mobile"
  url = "http://127.0.0.1:9/app"
  interval = "1s"
  timeout = "1s"
  failures_before_outage = 2

[[banks]]
slug = "cih"
name = { ar = "سي آي إتش", fr = "CIH Bank", en = "CIH Bank" }

[[cities]]
slug = "casablanca"
name = { ar = "الدار البيضاء", fr = "Casablanca", en = "Casablanca" }
[[cities]]
slug = "rabat"
name = { ar = "الرباط", fr = "Rabat", en = "Rabat" }
[[cities]]
slug = "fes"
name = { ar = "فاس", fr = "Fès", en = "Fez" }
"#;

/// What the storm's reporters say, each client one of these: every report carries a
/// symptom and a city, as the form sends them.
const REPORT_BODIES: [&str; 3] = [
    r#"{"bank":"bmce","channel":"atm","symptom":"no_cash","city":"casablanca","comment":"pas de billets"}"#,
    r#"{"bank":"bmce","channel":"atm","symptom":"out_of_service","city":"rabat","comment":"hors service"}"#,
    r#"{"bank":"bmce","channel":"atm","symptom":"card_retained","city":"fes","comment":"carte avalée"}"#,
];

async fn storm() {
    let reporters = env_u64("BENCH_REPORTERS", 48);
    let readers = env_u64("BENCH_READERS", 32);
    let seconds = env_u64("BENCH_SECONDS", 30);
    let rate = env_u64("BENCH_REPORT_RATE", 0);
    let server = start(BANKS).await;
    let addr = server.addr;
    // The outage is open before the storm starts.
    tokio::time::sleep(Duration::from_secs(4)).await;

    let stop = Arc::new(AtomicBool::new(false));
    let next_ip = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let report_times = Arc::new(Mutex::new(Vec::new()));
    let page_times = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    let began = Instant::now();
    for k in 0..reporters {
        let (stop, next_ip, accepted, errors, times) = (
            stop.clone(),
            next_ip.clone(),
            accepted.clone(),
            errors.clone(),
            report_times.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let body = REPORT_BODIES[k as usize % REPORT_BODIES.len()];
            let req = format!(
                "POST /api/v1/reports HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let mut mine = Vec::new();
            let mut slot = k;
            while !stop.load(Ordering::Relaxed) {
                // Paced: this client's reports are due every `reporters / rate` seconds.
                let due = (rate > 0).then(|| {
                    began + Duration::from_secs_f64(slot as f64 / rate as f64)
                });
                slot += reporters;
                if let Some(due) = due {
                    tokio::time::sleep_until(due.into()).await;
                }
                let n = next_ip.fetch_add(1, Ordering::Relaxed);
                let ip = Ipv4Addr::new(127, 1 + (n >> 16) as u8, (n >> 8) as u8, n as u8);
                let Ok(socket) = TcpSocket::new_v4() else {
                    continue;
                };
                if socket.bind(SocketAddr::new(IpAddr::V4(ip), 0)).is_err() {
                    continue;
                }
                let Ok(stream) = socket.connect(addr).await else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                match once(stream, req.as_bytes()).await {
                    Some((202, t)) => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                        mine.push(due.map_or(t, |d| d.elapsed()));
                    }
                    Some((s, _)) if s >= 500 => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
            times.lock().expect("times").extend(mine);
        }));
    }
    for _ in 0..readers {
        let (stop, errors, times) = (stop.clone(), errors.clone(), page_times.clone());
        tasks.push(tokio::spawn(async move {
            let req = b"GET /banks/bmce HTTP/1.1\r\nHost: bench\r\n\r\n";
            let mut mine = Vec::new();
            let mut buf = Vec::new();
            let mut conn = None::<TcpStream>;
            while !stop.load(Ordering::Relaxed) {
                let stream = match conn.as_mut() {
                    Some(s) => s,
                    None => match TcpStream::connect(addr).await {
                        Ok(s) => conn.insert(s),
                        Err(_) => continue,
                    },
                };
                let started = Instant::now();
                if stream.write_all(req).await.is_err() {
                    conn = None;
                    continue;
                }
                match read_answer(stream, &mut buf).await {
                    Some(200) => mine.push(started.elapsed()),
                    Some(s) if s >= 500 => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(_) => {}
                    None => conn = None,
                }
            }
            times.lock().expect("times").extend(mine);
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut reports = std::mem::take(&mut *report_times.lock().expect("times"));
    let mut pages = std::mem::take(&mut *page_times.lock().expect("times"));
    reports.sort();
    pages.sort();
    let accepted = accepted.load(Ordering::Relaxed);

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", server.db.display()))
        .await
        .expect("database");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(&pool)
        .await
        .expect("count");
    let pace = if rate > 0 {
        format!("paced at {rate} reports/s")
    } else {
        "each as fast as answered".to_owned()
    };
    println!(
        "storm {seconds} s: {reporters} reporters ({pace}), {readers} readers on /banks/bmce (BMCE probes failing)"
    );
    println!(
        "reports  {:>8.0} /s   p50 {:>9}   p99 {:>9}   accepted {accepted}, stored {stored}, lost {}",
        accepted as f64 / elapsed,
        ms(percentile(&reports, 0.5)),
        ms(percentile(&reports, 0.99)),
        (accepted as i64 - stored).max(0)
    );
    println!(
        "page     {:>8.0} /s   p50 {:>9}   p99 {:>9}",
        pages.len() as f64 / elapsed,
        ms(percentile(&pages, 0.5)),
        ms(percentile(&pages, 0.99))
    );
    println!(
        "5xx or failed connections: {}",
        errors.load(Ordering::Relaxed)
    );
    let wal = std::fs::metadata(server.db.with_extension("db-wal")).map_or(0, |m| m.len());
    println!("WAL at the end: {:.1} MB", wal as f64 / 1e6);
    engine_counts(addr, &pool).await;
}

/// What the engine's counts of the reporters cost during the storm, from `/metrics`, beside
/// what one count by a `COUNT(DISTINCT reporter)` over the window costs at the end.
async fn engine_counts(addr: SocketAddr, pool: &sqlx::SqlitePool) {
    let metrics = http_body(addr, "/metrics").await.unwrap_or_default();
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let count = value("bankstatus_report_count_seconds_count ");
    let sum = value("bankstatus_report_count_seconds_sum ");
    let slowest = metrics
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("bankstatus_report_count_seconds_bucket{le=\"")?;
            let (le, n) = rest.split_once("\"} ")?;
            Some((le.to_owned(), n.parse::<f64>().ok()?))
        })
        .find(|(_, n)| *n >= count)
        .map_or_else(|| "?".to_owned(), |(le, _)| le);
    let window_from = chrono::Utc::now().timestamp_millis() - 15 * 60 * 1000;
    let started = Instant::now();
    let _: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT bank, channel, COUNT(DISTINCT reporter) FROM reports \
         WHERE at >= ? AND counted = 1 AND deleted_at IS NULL GROUP BY bank, channel",
    )
    .bind(window_from)
    .fetch_all(pool)
    .await
    .expect("count query");
    println!(
        "engine counts: {count:.0}, mean {:.1} ms, all within {slowest} s; one COUNT(DISTINCT) over the window now: {}",
        if count > 0.0 { sum / count * 1000.0 } else { 0.0 },
        ms(started.elapsed())
    );
}

async fn http_body(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// The server's resident memory, in MB.
fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `/` latency over `n` fresh connections, one after the other: p50 and p99.
async fn home_latency(addr: SocketAddr, n: usize) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(n);
    let mut failed = 0;
    for _ in 0..n {
        match get(addr, "/").await {
            Some((200, t)) => times.push(t),
            _ => failed += 1,
        }
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99), failed)
}

async fn conns() {
    let idle = env_u64("BENCH_IDLE", 2000) as usize;
    let half = env_u64("BENCH_HALF", 1500) as usize;
    let env = unit_allocator_env();
    println!("allocator settings of the unit: {}", show_env(&env));
    let server = start_with(BANKS, &env).await;
    let (addr, pid) = (server.addr, server.child.id());
    let _ = home_latency(addr, 200).await;
    let (p50, p99, _) = home_latency(addr, 1000).await;
    println!(
        "quiet:           rss {:>6.1} MB   GET / p50 {} p99 {}",
        rss_mb(pid),
        ms(p50),
        ms(p99)
    );

    let mut held = Vec::with_capacity(idle + half);
    for _ in 0..idle {
        if let Ok(s) = TcpStream::connect(addr).await {
            held.push(s);
        }
    }
    let filler = vec![b'a'; 30 * 1024];
    for _ in 0..half {
        if let Ok(mut s) = TcpStream::connect(addr).await {
            let _ = s
                .write_all(b"GET / HTTP/1.1\r\nHost: bench\r\nX-Pad: ")
                .await;
            let _ = s.write_all(&filler).await;
            held.push(s);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (p50, p99, failed) = home_latency(addr, 1000).await;
    println!(
        "{idle} idle + {half} half-head ({} open): rss {:>6.1} MB   GET / p50 {} p99 {} ({failed} failed)",
        held.len(),
        rss_mb(pid),
        ms(p50),
        ms(p99)
    );
    // The header timeout (10 s) closes them all; count the ones still open after it.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let mut closed = 0;
    for s in &mut held {
        let mut b = [0u8; 1];
        // Data (an error answer) or an end both mean the server let go; a timeout, not.
        if tokio::time::timeout(Duration::from_millis(5), s.read(&mut b))
            .await
            .is_ok()
        {
            closed += 1;
        }
    }
    println!(
        "after 11 s:      {closed} of {} closed by the server",
        held.len()
    );
    drop(held);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (p50, p99, _) = home_latency(addr, 1000).await;
    println!(
        "clients gone:    rss {:>6.1} MB   GET / p50 {} p99 {}",
        rss_mb(pid),
        ms(p50),
        ms(p99)
    );
}

fn show_env(env: &[(String, String)]) -> String {
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if shown.is_empty() {
        "none".to_owned()
    } else {
        shown.join(" ")
    }
}

/// A number from the server's `/metrics`, by the start of its line.
async fn metric(addr: SocketAddr, line_start: &str) -> Option<f64> {
    http_body(addr, "/metrics")
        .await?
        .lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
}

/// The resident memory under which the service must be back within a minute (issue 26).
const BACK_UNDER_MB: f64 = 60.0;

async fn slow_bodies() {
    let slots = env_u64("BENCH_SLOW", 6000) as usize;
    let seconds = env_u64("BENCH_SECONDS", 20);
    let after = env_u64("BENCH_AFTER", 60);
    let per_address = env_u64("BENCH_PER_ADDRESS", 0);
    let config = if per_address > 0 {
        format!(
            "{BANKS}\n[server]\nmax_connections = {per_address}\nmax_connections_per_address = {per_address}\n"
        )
    } else {
        BANKS.to_owned()
    };
    let env = unit_allocator_env();
    let server = start_with(&config, &env).await;
    let (addr, pid) = (server.addr, server.child.id());
    let _ = home_latency(addr, 200).await;
    let cap = if per_address > 0 {
        format!("max_connections_per_address = {per_address}")
    } else {
        "the default per-address cap".to_owned()
    };
    println!(
        "slow bodies: {slots} from 127.0.0.9 for {seconds} s, {cap}, release build, allocator settings of the unit: {}",
        show_env(&env)
    );
    println!("quiet:        rss {:>6.1} MB", rss_mb(pid));

    let attacker = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let opened = Arc::new(AtomicU64::new(0));
    let mut attack = tokio::task::JoinSet::new();
    for _ in 0..slots {
        let opened = opened.clone();
        attack.spawn(async move {
            while Instant::now() < deadline {
                let Some(mut s) = slow_body(attacker, addr).await else {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                };
                opened.fetch_add(1, Ordering::Relaxed);
                // Held until the server closes it (an answer or an end) or the attack ends.
                let mut sink = [0u8; 1024];
                let left = deadline.saturating_duration_since(Instant::now());
                let _ = tokio::time::timeout(left, async {
                    while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
                })
                .await;
                drop(s);
                tokio::time::sleep(Duration::from_secs(1).min(left)).await;
            }
        });
    }
    // Visitors, each from an address of its own, every 20 ms on a fresh connection.
    let visitors = tokio::spawn(async move {
        let (mut visits, mut answered, mut times) = (0u64, 0u64, Vec::new());
        let mut pace = tokio::time::interval(Duration::from_millis(20));
        while Instant::now() < deadline {
            pace.tick().await;
            let from = Ipv4Addr::new(
                127,
                0,
                1 + (visits / 250 % 200) as u8,
                1 + (visits % 250) as u8,
            );
            visits += 1;
            let visit = tokio::time::timeout(
                Duration::from_secs(5),
                get_from(from, addr, "/api/v1/status"),
            );
            if let Ok(Some((200, t))) = visit.await {
                answered += 1;
                times.push(t);
            }
        }
        times.sort();
        (visits, answered, times)
    });
    let (mut peak, mut most_open) = (0.0f64, 0.0f64);
    while Instant::now() < deadline {
        peak = peak.max(rss_mb(pid));
        most_open = most_open.max(
            metric(addr, "bankstatus_connections_open ")
                .await
                .unwrap_or(0.0),
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    while attack.join_next().await.is_some() {}
    let (visits, answered, times) = visitors.await.expect("visitors");
    println!(
        "attack:       {} opened, at most {most_open:.0} open on the server; rss peak {peak:.1} MB",
        opened.load(Ordering::Relaxed)
    );
    println!(
        "visitors:     {answered} of {visits} answered ({:.2} %), p50 {} p99 {}",
        answered as f64 * 100.0 / visits.max(1) as f64,
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );
    // Every attack socket is closed now: memory each second from here.
    let closed = Instant::now();
    let mut samples = Vec::new();
    let mut open = Vec::new();
    let mut under = None;
    for second in 0..=after {
        tokio::time::sleep_until((closed + Duration::from_secs(second)).into()).await;
        let mb = rss_mb(pid);
        samples.push(mb);
        if under.is_none() && mb < BACK_UNDER_MB {
            under = Some(second);
        }
        open.push(
            metric(addr, "bankstatus_connections_open ")
                .await
                .unwrap_or(-1.0),
        );
    }
    let peak_after = samples.iter().copied().fold(0.0, f64::max);
    println!(
        "after close:  rss peak {peak_after:.1} MB; under {BACK_UNDER_MB:.0} MB {}; {:.1} MB at {after} s",
        under.map_or_else(|| format!("not within {after} s"), |s| format!("after {s} s")),
        samples.last().copied().unwrap_or(0.0)
    );
    let shown: Vec<String> = samples.iter().map(|mb| format!("{mb:.0}")).collect();
    println!("rss each second after close (MB): {}", shown.join(" "));
    let shown: Vec<String> = open.iter().map(|n| format!("{n:.0}")).collect();
    println!(
        "connections open each second after close: {}",
        shown.join(" ")
    );
}

/// Opens a connection from `from` with a report's head and the first byte of a body that
/// never comes; `None` when it could not be opened or written.
async fn slow_body(from: IpAddr, to: SocketAddr) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(from, 0)).ok()?;
    let mut s = socket.connect(to).await.ok()?;
    s.write_all(
        b"POST /api/v1/reports HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{",
    )
    .await
    .ok()?;
    Some(s)
}

/// [`get`] from the loopback address `from`.
async fn get_from(from: Ipv4Addr, addr: SocketAddr, path: &str) -> Option<(u16, Duration)> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).ok()?;
    let stream = socket.connect(addr).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    once(stream, req.as_bytes()).await
}
