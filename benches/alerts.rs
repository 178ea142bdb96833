//! Alert fan-out at scale: one incident to `BENCH_PUSH` Web Push subscriptions (default
//! 100,000) and `BENCH_WEBHOOKS` webhooks (default 10,000), a tenth of which never answer,
//! all on loopback receivers in a child process, through the whole app on SQLite (or
//! `BENCH_DATABASE`). Prints the time from the update to the last answered delivery,
//! deliveries per second, and resident memory.
//!
//! `cargo bench --bench alerts`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bankstatus::domain::Lang;
use bankstatus::store::alerts::{SubState, Subscription, Via};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use tokio_util::sync::CancellationToken;

const ROLE: &str = "BANKSTATUS_BENCH_ROLE";
const TOKEN: &str = "bench-admin-token-0123456789abcdefghij";

fn env_usize(name: &str, default: usize) -> usize {
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
    let push = env_usize("BENCH_PUSH", 100_000);
    let hooks = env_usize("BENCH_WEBHOOKS", 10_000);
    let exe = std::env::current_exe().expect("own path");
    let mut target = Command::new(exe)
        .env(ROLE, "target")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the receivers");
    let mut line = String::new();
    BufReader::new(target.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("receivers' port");
    let base = format!("http://{}", line.trim());
    std::env::set_var("BANKSTATUS_ADMIN_TOKEN", TOKEN);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(&base, push, hooks));
    let _ = target.kill();
    let _ = target.wait();
}

/// Push endpoints answer 201; webhooks 200, except every tenth, which never answers.
fn run_target() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("addr"));
        let app = axum::Router::new()
            .route(
                "/push/{n}",
                axum::routing::post(|| async { axum::http::StatusCode::CREATED }),
            )
            .route(
                "/hook/{n}",
                axum::routing::post(
                    |axum::extract::Path(n): axum::extract::Path<u64>| async move {
                        if n % 10 == 0 {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        "ok"
                    },
                ),
            );
        axum::serve(listener, app).await.expect("serve");
    });
}

/// Peak resident memory of this process, in MiB.
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

fn subscription(i: usize, via: Via, target: String, secret: Option<String>) -> Subscription {
    Subscription {
        id: format!("sub_{i:08}"),
        via,
        target,
        secret,
        manage_hash: String::new(),
        banks: Vec::new(),
        channels: Vec::new(),
        incident_kinds: Vec::new(),
        incident_id: None,
        lang: Lang::Fr,
        base_url: "http://127.0.0.1".into(),
        state: SubState::Active,
        created_at: chrono::Utc::now(),
        expires_at: None,
        quarantined_at: None,
    }
}

async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.expect("pool");
        let n = sqlx::query_scalar(sql)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.expect("pool");
        let n = sqlx::query_scalar(sql)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    }
}

async fn bench(base: &str, push: usize, hooks: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = std::env::var("BENCH_DATABASE")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = bankstatus::store::connect(&url).await.expect("database");
    // One browser's keys for every push subscription: each message is still encrypted anew.
    let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let keys = serde_json::json!({
        "p256dh": URL_SAFE_NO_PAD.encode(key.public_key().to_sec1_bytes()),
        "auth": URL_SAFE_NO_PAD.encode([7u8; 16]),
    })
    .to_string();
    let t = Instant::now();
    for i in 0..push {
        let s = subscription(i, Via::Push, format!("{base}/push/{i}"), Some(keys.clone()));
        store.add_subscription(&s, None).await.expect("subscribe");
    }
    for i in 0..hooks {
        let s = subscription(
            push + i,
            Via::Webhook,
            format!("{base}/hook/{i}"),
            Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
        );
        store.add_subscription(&s, None).await.expect("subscribe");
    }
    eprintln!(
        "{push} push and {hooks} webhook subscriptions stored in {:.1} s on {url}",
        t.elapsed().as_secs_f64()
    );
    let config = bankstatus::config::parse(
        "default_language = \"fr\"\n[[banks]]\nslug = \"bmce\"\nname = { fr = \"Bank of Africa\" }\n[alerts]\nallow_private_targets = true\n",
        "bench.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app_url = format!("http://{}", listener.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    let app = tokio::spawn(bankstatus::app::run(
        config,
        store,
        listener,
        shutdown.clone(),
    ));
    let client = reqwest::Client::new();
    let answering = push + hooks - hooks.div_ceil(10);
    let t0 = Instant::now();
    let r = client
        .post(format!("{app_url}/api/v1/incidents"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(r#"{"kind":"outage","banks":["bmce"],"channels":["transfers"],"title":{"fr":"Virements bloqués"}}"#)
        .send()
        .await
        .expect("incident");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let mut hooks_done_at = None;
    let answering_hooks = hooks - hooks.div_ceil(10);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let done = count(
            &url,
            "SELECT COUNT(*) FROM deliveries WHERE outcome = 'delivered' AND purpose = 'event'",
        )
        .await as usize;
        if hooks_done_at.is_none() {
            let h = count(
                &url,
                "SELECT COUNT(*) FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id \
                 WHERE d.outcome = 'delivered' AND s.kind = 'webhook'",
            )
            .await as usize;
            if h >= answering_hooks {
                hooks_done_at = Some(t0.elapsed());
            }
        }
        if done >= answering || t0.elapsed() > Duration::from_secs(600) {
            let wall = t0.elapsed().as_secs_f64();
            println!(
                "subscriptions:        {push} push, {hooks} webhooks ({} never answer)",
                hooks.div_ceil(10)
            );
            println!("update to last answered delivery: {wall:.1} s ({done} delivered)");
            println!("deliveries per second: {:.0}", done as f64 / wall);
            if let Some(h) = hooks_done_at {
                println!(
                    "answering webhooks all delivered after {:.1} s",
                    h.as_secs_f64()
                );
            }
            println!(
                "peak resident memory: {} MiB (the service and this bench)",
                peak_mib()
            );
            break;
        }
    }
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(15), app).await;
}
