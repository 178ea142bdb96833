//! Storage that heals: a full disk (SQLite) and a lost connection (PostgreSQL) make writes
//! answer 503 and the health check turn, and once storage is back, writes succeed again
//! with nothing accepted lost.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{
    bank_config, channel_status, eventually, postgres_server, probe, FakeBank, TestApp, TestDb,
};

/// A small tmpfs the test mounts, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None`, with the reason printed, when the test cannot mount one (not root).
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipped: mounting a small tmpfs needs root (run the suite as root)");
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills what is left of the disk with one file.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        while f.write_all(&[0]).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

async fn healthz(app: &TestApp) -> (StatusCode, String) {
    app.text("/healthz").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_heals_when_space_returns() {
    let Some(disk) = SmallDisk::mount("8m") else {
        return;
    };
    let fake = FakeBank::start().await;
    let probes = [probe(
        "web",
        &fake.url("/toggle"),
        "  interval = \"200ms\"\n  timeout = \"1s\"\n  failures_before_outage = 2\n",
    )];
    let config = format!(
        "{}\n[storage]\nunhealthy_after = \"1s\"\n",
        bank_config("acme", &probes, &[])
    );
    let db = TestDb::borrowed(&format!(
        "sqlite://{}",
        disk.path().join("bankstatus.db").display()
    ));
    let app = TestApp::spawn_on(&config, db).await;
    for i in 0..5 {
        let (status, _) = app.report("acme", "atm", &format!("10.0.0.{i}")).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }

    let filler = disk.fill();
    // Probes keep writing; a report is refused with 503 once the disk has no room.
    let mut ip = 100;
    let refused = eventually(Duration::from_secs(20), "a refused write", || {
        ip += 1;
        let ip = format!("10.0.1.{}", ip % 250);
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/reports"))
                .header("content-type", "application/json")
                .header("x-forwarded-for", &ip)
                .body(r#"{"bank":"acme","channel":"atm"}"#)
                .send()
                .await
                .unwrap();
            (r.status() != StatusCode::ACCEPTED).then_some(r)
        }
    })
    .await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap(),
        "5"
    );
    let body: serde_json::Value = serde_json::from_str(&refused.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "unavailable");
    let accepted_before: i64 = 5 + i64::from(ip - 101);

    // The bank fails meanwhile: the engine cannot record the incident yet.
    fake.state.failing.store(true, Ordering::SeqCst);
    let (status, body) = eventually(Duration::from_secs(10), "an unhealthy check", || async {
        let (status, body) = healthz(&app).await;
        (status != StatusCode::OK).then_some((status, body))
    })
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("disk_full"), "{body}");
    let (_, page) = app.text("/").await;
    assert!(page.contains("class=\"banner storage\""), "{page}");
    assert!(
        app.metric("bankstatus_storage_write_failures_total{cause=\"disk_full\"}")
            .await
            > 0.0
    );

    std::fs::remove_file(filler).unwrap();
    let (status, _) = eventually(
        Duration::from_secs(10),
        "a write once space returns",
        || async {
            let (status, v) = app.report("acme", "atm", "10.0.2.1").await;
            (status == StatusCode::ACCEPTED).then_some((status, v))
        },
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    eventually(Duration::from_secs(10), "a healthy check", || async {
        (healthz(&app).await.0 == StatusCode::OK).then_some(())
    })
    .await;
    eventually(Duration::from_secs(15), "the outage recorded", || async {
        channel_status(&app, "acme", "web").await["incident_id"]
            .as_i64()
            .map(|_| ())
    })
    .await;
    let (_, page) = app.text("/").await;
    assert!(!page.contains("class=\"banner storage\""));

    let stored = app.count("SELECT COUNT(*) FROM reports").await;
    assert!(
        stored > accepted_before,
        "{stored} stored, {accepted_before} accepted before the disk filled"
    );
    let pool = sqlx::SqlitePool::connect(&app.db_url).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    pool.close().await;
}

/// A TCP relay to PostgreSQL that the test can cut and restore.
struct Relay {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(tokio::sync::Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cut.notified() => {}
                    }
                });
            }
        });
        Relay { addr, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_postgres_connection_answers_503_and_heals() {
    if std::env::var_os("BANKSTATUS_TEST_POSTGRES").is_none() {
        return;
    }
    let owner = TestDb::postgres();
    let server = postgres_server();
    let host = server
        .rsplit('@')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let relay = Relay::start(host.clone()).await;
    let name = owner.url.rsplit('/').next().unwrap().to_owned();
    let through_relay = format!(
        "{}{}/{name}",
        &server[..server.len() - host.len()],
        relay.addr
    );
    let config = format!(
        "{}\n[storage]\nunhealthy_after = \"1s\"\n",
        bank_config("acme", &[], &[])
    );
    let app = TestApp::spawn_on(&config, TestDb::borrowed(&through_relay)).await;
    let (status, first) = app.report("acme", "atm", "10.0.0.1").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for page in ["/", "/banks/acme"] {
        assert_eq!(app.text(page).await.0, StatusCode::OK);
    }

    relay.cut();
    let (status, v) = app.report("acme", "atm", "10.0.0.2").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"], "unavailable");
    eventually(Duration::from_secs(20), "an unhealthy check", || async {
        (healthz(&app).await.0 == StatusCode::SERVICE_UNAVAILABLE).then_some(())
    })
    .await;
    assert!(
        app.metric("bankstatus_storage_write_failures_total{cause=\"connection\"}")
            .await
            > 0.0
    );
    // Pages rendered before the cut are still served, saying that nothing is recorded.
    for page in ["/", "/banks/acme"] {
        let (status, html) = app.text(page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(html.contains("class=\"banner storage\""), "{page}");
    }

    relay.restore();
    let last = eventually(
        Duration::from_secs(20),
        "a write once the database is back",
        || async {
            let (status, v) = app.report("acme", "atm", "10.0.0.3").await;
            (status == StatusCode::ACCEPTED).then_some(v)
        },
    )
    .await;
    eventually(Duration::from_secs(10), "a healthy check", || async {
        (healthz(&app).await.0 == StatusCode::OK).then_some(())
    })
    .await;
    // Both accepted reports are stored.
    for accepted in [&first, &last] {
        let id = accepted["id"].as_i64().unwrap();
        let sql = format!("SELECT COUNT(*) FROM reports WHERE id = {id}");
        assert_eq!(app.count(&sql).await, 1, "report {id}");
    }
    drop(app);
    drop(owner);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_failing_inside_a_transaction_is_counted_and_seen() {
    let config = format!(
        "{}\n[storage]\nunhealthy_after = \"1s\"\n",
        bank_config("acme", &[], &[])
    );
    let app = TestApp::spawn(&config).await;
    let before = app
        .metric("bankstatus_storage_write_failures_total{cause=\"other\"}")
        .await;
    // The transaction begins and its first statements succeed; the timeline entry fails.
    if app.db_url.starts_with("postgres") {
        app.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
        )
        .await;
        app.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON incident_updates \
             FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
        .await;
    } else {
        app.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON incident_updates \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .await;
    }
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            &serde_json::json!({"kind": "outage", "banks": ["acme"], "channels": ["web"],
                                "title": {"en": "Web down"}, "message": {"en": "Down."}}),
            true,
        )
        .await;
    assert!(status.is_server_error(), "{status} {body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 0);
    assert!(
        app.metric("bankstatus_storage_write_failures_total{cause=\"other\"}")
            .await
            > before
    );
    eventually(
        Duration::from_secs(10),
        "the health check naming the failure",
        || async {
            let (status, body) = healthz(&app).await;
            (status == StatusCode::SERVICE_UNAVAILABLE && body.contains("other")).then_some(())
        },
    )
    .await;
}

/// A PostgreSQL server of the test's own, in a temporary directory, on a free port; stopped
/// when dropped.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    child: std::process::Child,
    port: u16,
}

impl PrivatePostgres {
    /// The server's binaries: `pg_config --bindir`, else the newest under /usr/lib.
    fn bindir() -> PathBuf {
        if let Ok(out) = std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
        {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if dir.join("initdb").exists() {
                return dir;
            }
        }
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL installed by scripts/setup.sh")
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .filter(|d| d.join("initdb").exists())
            .collect();
        dirs.sort_by_key(|d| {
            d.parent()
                .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
                .unwrap_or(0)
        });
        dirs.pop().expect("initdb under /usr/lib/postgresql")
    }

    /// `program` with `args`, as the `postgres` user when the tests run as root (PostgreSQL
    /// refuses to run as root).
    fn command(program: &Path, args: &[&str]) -> std::process::Command {
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program).args(args);
            c
        } else {
            let mut c = std::process::Command::new(program);
            c.args(args);
            c
        }
    }

    fn start() -> PrivatePostgres {
        let bin = Self::bindir();
        let dir = tempfile::tempdir().unwrap();
        let _ = std::process::Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status();
        let data = dir.path().join("data");
        let data_s = data.to_str().unwrap();
        let out = Self::command(
            &bin.join("initdb"),
            &["-D", data_s, "-A", "trust", "-U", "postgres", "--no-sync"],
        )
        .output()
        .unwrap();
        assert!(out.status.success(), "initdb: {out:?}");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let sockets = dir.path().to_str().unwrap().to_owned();
        let port_s = port.to_string();
        let child = Self::command(
            &bin.join("postgres"),
            &[
                "-D",
                data_s,
                "-p",
                &port_s,
                "-k",
                &sockets,
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
        let ready = crate::helpers::poll_blocking(Duration::from_secs(30), || {
            std::process::Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port_s])
                .status()
                .is_ok_and(|s| s.success())
                && data.join("postmaster.pid").exists()
        });
        assert!(ready, "the private PostgreSQL did not start");
        PrivatePostgres { dir, child, port }
    }

    fn postmaster(&self) -> u32 {
        let pid = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid")).unwrap();
        pid.lines().next().unwrap().trim().parse().unwrap()
    }

    /// The postmaster and every process it started (backends, checkpointer, WAL writer...).
    fn processes(&self) -> Vec<u32> {
        let postmaster = self.postmaster();
        let mut pids = vec![postmaster];
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // The parent's pid is the second field after the parenthesised name.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
            if ppid == Some(postmaster) {
                pids.push(pid);
            }
        }
        pids
    }

    fn signal(&self, sig: &str, pids: &[u32]) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .args(pids.iter().map(u32::to_string))
            .status()
            .unwrap();
        assert!(status.success(), "kill -{sig} {pids:?}");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let pids = self.processes();
        let kill = |sig: &str| {
            let _ = std::process::Command::new("kill")
                .arg(format!("-{sig}"))
                .args(pids.iter().map(u32::to_string))
                .status();
        };
        kill("CONT");
        kill("KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_postgres_is_noticed_within_15_s_and_the_service_recovers() {
    if std::env::var_os("BANKSTATUS_TEST_POSTGRES").is_none() {
        return;
    }
    let pg = PrivatePostgres::start();
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/bankstatus_frozen",
        pg.port
    );
    let config = format!(
        "{}\n[storage]\nunhealthy_after = \"1s\"\n",
        bank_config("acme", &[], &[])
    );
    let app = TestApp::spawn_on(&config, TestDb::borrowed(&url)).await;
    let (status, first) = app.report("acme", "atm", "10.0.0.1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    for page in ["/", "/banks/acme"] {
        assert_eq!(app.text(page).await.0, StatusCode::OK);
    }

    // Every process of the server stops: its sockets stay open and its kernel answers TCP,
    // so nothing but the client's own deadlines can tell.
    let frozen = pg.processes();
    assert!(frozen.len() >= 3, "{frozen:?}");
    pg.signal("STOP", &frozen);
    let stopped = std::time::Instant::now();
    let (status, v) = tokio::time::timeout(
        Duration::from_secs(15),
        app.report("acme", "atm", "10.0.0.2"),
    )
    .await
    .expect("a write answered within 15 s");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let left = Duration::from_secs(15).saturating_sub(stopped.elapsed());
    eventually(left, "an unhealthy check", || async {
        (healthz(&app).await.0 == StatusCode::SERVICE_UNAVAILABLE).then_some(())
    })
    .await;
    assert!(
        app.metric("bankstatus_storage_write_failures_total{cause=\"connection\"}")
            .await
            > 0.0
    );
    // The last renderings are served meanwhile.
    for page in ["/", "/banks/acme"] {
        let (status, _) = tokio::time::timeout(Duration::from_secs(15), app.text(page))
            .await
            .expect("a page answered while the database is frozen");
        assert_eq!(status, StatusCode::OK, "{page}");
    }

    pg.signal("CONT", &frozen);
    let last = eventually(
        Duration::from_secs(30),
        "a write once the database answers again",
        || async {
            let (status, v) = app.report("acme", "atm", "10.0.0.3").await;
            (status == StatusCode::ACCEPTED).then_some(v)
        },
    )
    .await;
    eventually(Duration::from_secs(20), "a healthy check", || async {
        (healthz(&app).await.0 == StatusCode::OK).then_some(())
    })
    .await;
    for accepted in [&first, &last] {
        let id = accepted["id"].as_i64().unwrap();
        let sql = format!("SELECT COUNT(*) FROM reports WHERE id = {id}");
        assert_eq!(app.count(&sql).await, 1, "report {id}");
    }
    drop(app);
}
