//! The log at scale, against `bankstatus serve` in its own process (release build), SQLite
//! in a temporary directory.
//!
//! - `tiles` (default): a log of `BENCH_ENTRIES` entries (1,000,000; 1,000 incidents of
//!   1,000 timeline entries each, as canonical JSON, written straight into the entries
//!   table) is sequenced, signed and followed at start; then `BENCH_CLIENTS` clients (32)
//!   fetch random full tiles of hashes and random entry bundles for `BENCH_SECONDS` (10).
//!   Prints how long the tree took to build, requests/s with p50/p99 for each kind, and
//!   the server's resident memory.
//! - `verify`: a heavy year of the shipped banks' facts (each bank down one day in two, each
//!   outage opened, updated and resolved; a window a month per bank), written through the
//!   store as the service writes them; then `bankstatus verify URL --month` of the year's
//!   last month, timed, once the log has settled.
//!
//! `cargo bench --bench log -- [tiles|verify]` (or `scripts/bench.sh log`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng};
use sqlx::QueryBuilder;

use bankstatus::domain::fact::{Affected, FactKind, IncidentFact};
use bankstatus::domain::{Channel, IncidentKind, IncidentState, Names, Source};
use bankstatus::store::{NewIncident, NewUpdate, NewWindow};
use bankstatus::tlog::paths::TilePath;

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
        .unwrap_or_else(|| "tiles".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match mode.as_str() {
        "tiles" => runtime.block_on(tiles()),
        "verify" => runtime.block_on(verify()),
        other => eprintln!("unknown mode {other}; use tiles or verify"),
    }
}

const CONFIG: &str = "timezone = \"Africa/Casablanca\"\ndefault_language = \"fr\"\n\
    [[banks]]\nslug = \"bmce\"\nname = { fr = \"Bank of Africa\" }\n\
    [log]\ncheckpoint_every = \"2s\"\n";

fn serve(dir: &Path, config: &str) -> (Child, String) {
    let path = dir.join("banks.toml");
    std::fs::write(&path, config).expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_bankstatus"))
        .arg("serve")
        .arg("--config")
        .arg(&path)
        .arg("--database")
        .arg(format!("sqlite://{}", dir.join("log.db").display()))
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bankstatus");
    (child, format!("http://127.0.0.1:{port}"))
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The size of the log's latest checkpoint, once one is served.
async fn checkpoint_size(client: &reqwest::Client, base: &str) -> Option<u64> {
    let note = client
        .get(format!("{base}/log/checkpoint"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    note.lines().nth(1)?.parse().ok()
}

async fn tiles() {
    let entries = env_u64("BENCH_ENTRIES", 1_000_000);
    let clients = env_u64("BENCH_CLIENTS", 32) as usize;
    let seconds = env_u64("BENCH_SECONDS", 10);
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("log.db").display());
    drop(bankstatus::store::connect(&url).await.expect("database"));
    let started = Instant::now();
    seed_entries(&url, entries).await;
    println!(
        "{entries} entries written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let (mut child, base) = serve(dir.path(), CONFIG);
    let client = reqwest::Client::new();
    loop {
        if checkpoint_size(&client, &base).await == Some(entries) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "hashed, signed and followed in {:.1} s ({:.0} MiB resident)",
        started.elapsed().as_secs_f64(),
        rss_mb(child.id())
    );
    let full = entries / 256;
    for kind in ["tiles", "entry bundles"] {
        let stop = Arc::new(AtomicBool::new(false));
        let times = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for c in 0..clients {
            let (client, base, stop, times) =
                (client.clone(), base.clone(), stop.clone(), times.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(c as u64);
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let n = rng.gen_range(0..full);
                    let path = match kind {
                        "tiles" => TilePath::Hashes {
                            level: 0,
                            n,
                            width: 256,
                        },
                        _ => TilePath::Entries { n, width: 256 },
                    }
                    .path();
                    let t = Instant::now();
                    let r = client.get(format!("{base}/log/tile/{path}")).send().await;
                    let ok = match r {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        _ => false,
                    };
                    assert!(ok, "{path} not served");
                    mine.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                times.lock().expect("times").extend(mine);
            }));
        }
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.expect("client");
        }
        let mut all = times.lock().expect("times").clone();
        all.sort_by(f64::total_cmp);
        let pick = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
        println!(
            "random full {kind}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms ({} requests, {clients} clients)",
            all.len() as f64 / seconds as f64,
            pick(0.5),
            pick(0.99),
            all.len()
        );
    }
    println!("{:.0} MiB resident after", rss_mb(child.id()));
    let _ = child.kill();
    let _ = child.wait();
}

/// `n` entries of 1,000 incidents, each opened, updated and resolved, straight into the
/// entries table in batches.
async fn seed_entries(url: &str, n: u64) {
    let pool = sqlx::SqlitePool::connect(url).await.expect("pool");
    let t0 = Utc
        .with_ymd_and_hms(2025, 3, 1, 0, 0, 0)
        .single()
        .expect("time");
    let per = 1000;
    let mut tx = pool.begin().await.expect("tx");
    let mut batch: Vec<(i64, String, i64, i64, Vec<u8>)> = Vec::new();
    for i in 0..n {
        let incident = (i / per) as i64 + 1;
        let step = i % per;
        let (fact, state) = match step {
            0 => (FactKind::IncidentOpened, IncidentState::Investigating),
            s if s == per - 1 => (FactKind::IncidentResolved, IncidentState::Resolved),
            _ => (FactKind::IncidentUpdated, IncidentState::Monitoring),
        };
        let at = t0 + chrono::Duration::minutes(i as i64);
        let body = IncidentFact {
            fact,
            incident,
            update: Some(i as i64 + 1),
            kind: IncidentKind::Outage,
            state,
            at,
            source: Source::Operator,
            message: Names::new(
                "تعذر السحب من الشبابيك في عدة مدن",
                "Retraits impossibles aux guichets dans plusieurs villes.",
                "Withdrawals fail at ATMs in several cities.",
            ),
            title: Names::new("عطل في الشبابيك", "Panne des guichets", "ATM outage"),
            affected: vec![Affected {
                bank: "bmce".into(),
                channel: Channel::Atm,
            }],
            started_at: t0 + chrono::Duration::minutes((incident - 1) * per as i64),
            recorded_at: None,
            overrun_of: None,
            window: None,
        }
        .to_entry();
        batch.push((
            i as i64,
            fact.as_str().to_owned(),
            incident,
            i as i64 + 1,
            body,
        ));
        if batch.len() == 500 || i + 1 == n {
            let mut q: QueryBuilder<sqlx::Sqlite> = QueryBuilder::new(
                "INSERT INTO log_entries (idx, kind, incident_id, update_id, body) ",
            );
            q.push_values(batch.drain(..), |mut b, (idx, kind, inc, upd, body)| {
                b.push_bind(idx)
                    .push_bind(kind)
                    .push_bind(inc)
                    .push_bind(upd)
                    .push_bind(body);
            });
            q.build().execute(&mut *tx).await.expect("entries");
        }
        if (i + 1) % 50_000 == 0 {
            tx.commit().await.expect("commit");
            tx = pool.begin().await.expect("tx");
        }
    }
    sqlx::query("UPDATE log_head SET size = $1")
        .bind(n as i64)
        .execute(&mut *tx)
        .await
        .expect("head");
    tx.commit().await.expect("commit");
    pool.close().await;
}

async fn verify() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("log.db").display());
    let config =
        bankstatus::config::parse(bankstatus::config::SHIPPED, "banks.toml").expect("config");
    let store = bankstatus::store::connect(&url).await.expect("database");
    let started = Instant::now();
    let end = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("time");
    let facts = seed_year(&store, &config, end).await;
    println!(
        "a year of facts ({facts} timeline entries) written through the store in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(store);
    let text = std::fs::read_to_string("config/banks.toml")
        .unwrap_or_else(|_| bankstatus::config::SHIPPED.to_owned());
    // The shipped banks without their probes: nothing else is written meanwhile.
    let quiet: String = text
        .split("\n[[")
        .filter(|part| !part.starts_with("banks.probes]]") && !part.starts_with("controls]]"))
        .collect::<Vec<_>>()
        .join("\n[[");
    let (mut child, base) = serve(
        dir.path(),
        &format!("{quiet}\n[log]\ncheckpoint_every = \"1s\"\n"),
    );
    let client = reqwest::Client::new();
    // Settled: the engine has moved the windows on, and the checkpoint stayed 3 s the same.
    let mut last = (0, Instant::now());
    loop {
        match checkpoint_size(&client, &base).await {
            Some(s) if s >= facts && s == last.0 && last.1.elapsed() > Duration::from_secs(3) => {
                break
            }
            Some(s) if s != last.0 => last = (s, Instant::now()),
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let facts = last.0;
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_bankstatus"))
        .args(["verify", &base, "--month", "2026-02"])
        .output()
        .expect("verify");
    let took = started.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        println!("  {line}");
    }
    println!(
        "bankstatus verify of a year ({facts} entries): {took:.2} s, exit {:?}",
        out.status.code()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// A heavy year for the shipped banks: each down one day in two (each outage opened,
/// updated and resolved), and a maintenance window per bank a month.
async fn seed_year(
    store: &bankstatus::store::DynStore,
    config: &bankstatus::config::Config,
    end: chrono::DateTime<Utc>,
) -> u64 {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let start = end - chrono::Duration::days(365);
    let update = |at, state| NewUpdate {
        at,
        state,
        source: Source::Probe,
        message: Names::new("تعذر الولوج", "Connexion impossible.", "Cannot log in."),
        alert: true,
    };
    let mut entries = 0;
    for day in 0..365 {
        for bank in &config.banks {
            if rng.gen_range(0..2) != 0 {
                continue;
            }
            let channel = Channel::ALL[rng.gen_range(0..Channel::ALL.len())];
            let at = start
                + chrono::Duration::days(day)
                + chrono::Duration::minutes(rng.gen_range(0..1400));
            let id = store
                .open_incident(&NewIncident {
                    kind: IncidentKind::Outage,
                    title: Names::new("عطل", "Panne", "Outage"),
                    started_at: at,
                    recorded_at: at,
                    open_key: None,
                    overrun_of: None,
                    scopes: vec![(bank.slug.clone(), channel)],
                    first_update: update(at, IncidentState::Investigating),
                    later: vec![
                        update(
                            at + chrono::Duration::minutes(10),
                            IncidentState::Identified,
                        ),
                        update(
                            at + chrono::Duration::minutes(rng.gen_range(20..600)),
                            IncidentState::Resolved,
                        ),
                    ],
                    audit: None,
                    reopen: None,
                })
                .await
                .expect("incident")
                .id();
            let _ = id;
            entries += 3;
        }
    }
    for m in 0..12 {
        for bank in &config.banks {
            let starts = start + chrono::Duration::days(30 * m + 10);
            store
                .upsert_window(
                    &NewWindow {
                        bank: bank.slug.clone(),
                        channels: vec![Channel::Web, Channel::Mobile],
                        starts,
                        ends: starts + chrono::Duration::hours(6),
                        title: Names::new("صيانة", "Maintenance", "Maintenance"),
                        source: None,
                        config_key: None,
                    },
                    starts - chrono::Duration::days(2),
                    None,
                )
                .await
                .expect("window");
            entries += 1;
        }
    }
    entries
}
