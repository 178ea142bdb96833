//! The probe engine at scale: `BENCH_PROBES` probes (default 10,000) at a 60 s interval
//! against a loopback target running in a child process, through the whole app (engine,
//! writer, SQLite, or `BENCH_DATABASE`, e.g. a PostgreSQL URL, where probes are claimed from
//! the shared schedule and results read back). Prints CPU share, resident memory and
//! schedule lag p99.
//!
//! The target answers an HTML page in Arabic and French shaped like a bank's notice (no
//! login form, few links), so every check runs the whole maintenance detector on it:
//! visible text, normalisation, the phrases and words. `BENCH_PAGE=plain` answers the
//! small plain-text page of earlier runs instead.
//!
//! `cargo bench --bench probe_engine` (or `scripts/bench.sh`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

const ROLE: &str = "BANKSTATUS_BENCH_ROLE";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if std::env::var(ROLE).as_deref() == Ok("target") {
        run_target();
        return;
    }
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let probes = env_u64("BENCH_PROBES", 10_000) as usize;
    let warmup = env_u64("BENCH_WARMUP_SECONDS", 70);
    let measure = env_u64("BENCH_SECONDS", 120);
    let exe = std::env::current_exe().expect("own path");
    let mut target = Command::new(exe)
        .env(ROLE, "target")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the target");
    let mut line = String::new();
    BufReader::new(target.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("target port");
    let base = format!("http://{}", line.trim());

    detector_cost();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(&base, probes, warmup, measure));
    let _ = target.kill();
    let _ = target.wait();
}

/// What the target answers by default: a bank's short page with nothing to find (1.5 KB),
/// which the detector reads on every check and folds and matches whole until the probe
/// knows it as its usual page.
const PAGE: &str = r#"<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Banque du Banc d'Essai</title>
<link rel="stylesheet" href="/assets/site.css"><script src="/assets/app.js" defer></script></head>
<body><header><img src="/assets/logo.svg" alt="Banque du Banc d'Essai"><a href="/ar">العربية</a> <a href="/fr">Français</a></header>
<main><h1>Bienvenue dans votre espace</h1><p>Consultez vos comptes, vos cartes et vos virements où que vous soyez. Le virement instantané vers toutes les banques du Maroc est désormais disponible, à toute heure, même le dimanche.</p>
<p>Téléchargez l'application pour suivre vos dépenses, bloquer une carte perdue et recevoir une alerte à chaque paiement.</p>
<div dir="rtl" lang="ar"><h2>مرحبا بكم في فضائكم</h2><p>اطّلعوا على حساباتكم وبطاقاتكم وتحويلاتكم أينما كنتم. التحويل الفوري نحو جميع البنوك المغربية متاح الآن في كل ساعة، حتى يوم الأحد.</p>
<p>حمّلوا التطبيق لتتبّع مصاريفكم، وإيقاف بطاقة ضائعة، والتوصّل بتنبيه عند كل أداء.</p></div>
<p>Service client : 05 22 00 00 00, du lundi au samedi de 8h à 20h.</p></main>
<footer><a href="/mentions">Mentions légales</a> <a href="/tarifs">Tarifs</a> <a href="/contact">Contact</a> &copy; 2026</footer>
<script>window.dataLayer=window.dataLayer||[];</script></body></html>"#;

/// The target: answers every path with the same page, in its own process so its work does
/// not count against the engine.
fn run_target() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("addr"));
        let app = if std::env::var("BENCH_PAGE").as_deref() == Ok("plain") {
            axum::Router::new().fallback(|| async { "<html>bank home</html>" })
        } else {
            axum::Router::new().fallback(|| async { axum::response::Html(PAGE) })
        };
        axum::serve(listener, app).await.expect("serve");
    });
}

/// The detector alone on the target's page, as on a probe's first checks (no usual page
/// yet: the page is folded and matched whole) and once the usual page is known (a page that
/// looks like it is not folded at all). The best of five rounds, so that other work on the
/// machine counts as little as possible.
fn detector_cost() {
    use bankstatus::probe::maintenance::{builtin_phrases, Detector};
    use bankstatus::probe::normalise::fold;
    use bankstatus::probe::page::{Page, Usual};
    let detector = Detector::new(&builtin_phrases());
    let mut usual = Usual::default();
    for _ in 0..3 {
        usual.learn(&Page::read(PAGE));
    }
    let page = Page::read(PAGE);
    // Each measured closure returns how many maintenance pages it found: none.
    let best = |f: &mut dyn FnMut() -> usize| {
        const N: u32 = 4_000;
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let mut found = 0;
                for _ in 0..N {
                    found += f();
                }
                assert_eq!(found, 0, "the target's page is no maintenance page");
                t.elapsed().as_secs_f64() * 1e6 / f64::from(N)
            })
            .fold(f64::INFINITY, f64::min)
    };
    let read = best(&mut || usize::from(Page::read(std::hint::black_box(PAGE)).words == 0));
    let folded = best(&mut || usize::from(fold(std::hint::black_box(&page.text)).is_empty()));
    let cold = best(&mut || {
        let page = Page::read(std::hint::black_box(PAGE));
        usize::from(detector.judge(&page, None).is_some())
    });
    let known = best(&mut || {
        let page = Page::read(std::hint::black_box(PAGE));
        usize::from(detector.judge(&page, Some(&usual)).is_some())
    });
    println!(
        "detector on the {} byte page: read {read:.1} µs, fold {folded:.1} µs; whole check {cold:.1} µs before the usual page is known, {known:.1} µs after",
        PAGE.len()
    );
}

fn config_text(base: &str, probes: usize) -> String {
    let mut text = String::from("default_language = \"en\"\n[probing]\nmax_concurrent = 256\n");
    let per_bank = 100;
    for b in 0..probes.div_ceil(per_bank) {
        text.push_str(&format!(
            "\n[[banks]]\nslug = \"b{b:03}\"\nname = {{ en = \"Bank {b}\" }}\n"
        ));
        for p in 0..per_bank.min(probes - b * per_bank) {
            text.push_str(&format!(
                "  [[banks.probes]]\n  channel = \"web\"\n  url = \"{base}/b{b}/p{p}\"\n  interval = \"60s\"\n  timeout = \"10s\"\n"
            ));
        }
    }
    text
}

/// (user + system CPU seconds, resident KiB, peak resident KiB) of this process.
fn usage() -> (f64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; here, 11 and 12 past the name.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (cpu, kib("VmRSS:"), kib("VmHWM:"))
}

/// Cumulative lag histogram from `/metrics`: (upper bound in seconds, count).
async fn lag_buckets(client: &reqwest::Client, url: &str) -> Vec<(f64, u64)> {
    let text = client
        .get(url)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");
    text.lines()
        .filter_map(|l| l.strip_prefix("bankstatus_schedule_lag_seconds_bucket{le=\""))
        .filter_map(|l| {
            let (le, count) = l.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count.parse().ok()?))
        })
        .collect()
}

/// The bucket bound under which a share `q` of the checks between two readings started.
fn quantile(before: &[(f64, u64)], after: &[(f64, u64)], q: f64) -> (f64, u64) {
    let diff: Vec<(f64, u64)> = after
        .iter()
        .zip(before)
        .map(|((le, a), (_, b))| (*le, a - b))
        .collect();
    let total = diff.last().map_or(0, |d| d.1);
    let rank = (q * total as f64).ceil() as u64;
    let le = diff
        .iter()
        .find(|d| d.1 >= rank.max(1))
        .map_or(f64::INFINITY, |d| d.0);
    (le, total)
}

async fn bench(base: &str, probes: usize, warmup: u64, measure: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = bankstatus::config::parse(&config_text(base, probes), "bench.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    let url = std::env::var("BENCH_DATABASE")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = bankstatus::store::connect(&url).await.expect("database");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let metrics_url = format!("http://{}/metrics", listener.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    let app = tokio::spawn(bankstatus::app::run(
        config,
        store,
        listener,
        shutdown.clone(),
    ));
    let client = reqwest::Client::new();

    eprintln!("{probes} probes at 60 s on {url}; warming up for {warmup} s, then measuring for {measure} s");
    tokio::time::sleep(Duration::from_secs(warmup)).await;
    let (cpu0, _, _) = usage();
    let lag0 = lag_buckets(&client, &metrics_url).await;
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(measure)).await;
    let (cpu1, rss, peak) = usage();
    let lag1 = lag_buckets(&client, &metrics_url).await;
    let wall = t0.elapsed().as_secs_f64();
    let (p50, checks) = quantile(&lag0, &lag1, 0.50);
    let (p99, _) = quantile(&lag0, &lag1, 0.99);
    let (_, all_checks) = quantile(&[(f64::INFINITY, 0)], &lag1[lag1.len() - 1..], 1.0);

    println!("probes:              {probes} at a 60 s interval");
    println!(
        "checks measured:     {checks} in {wall:.0} s ({:.0}/s); {all_checks} since start",
        checks as f64 / wall
    );
    println!(
        "CPU share:           {:.1} % of one core",
        (cpu1 - cpu0) / wall * 100.0
    );
    println!(
        "resident memory:     {} MiB now, {} MiB peak",
        rss / 1024,
        peak / 1024
    );
    println!("schedule lag p50:    <= {:.0} ms", p50 * 1000.0);
    println!("schedule lag p99:    <= {:.0} ms", p99 * 1000.0);

    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), app).await;
}
