//! The log of published facts: every fact is an entry, the tree is served as C2SP tiles, and
//! checkpoints, tiles, proofs and entries check out.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{eventually, quiet_bank, FakeBank, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fact_is_an_entry_in_a_signed_tree() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&format!(
        "{}\n[log]\ncheckpoint_every = \"100ms\"\n",
        quiet_bank(&fake)
    ))
    .await;
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm"], "title": {"fr": "Panne"}, "message": {"fr": "Pas de retrait."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let size = app.logged().await;
    assert_eq!(size, 2);
    let (_, key) = app.text("/log/key").await;
    let (_, note) = app.text("/log/checkpoint").await;
    let c = bankstatus::tlog::note::open(note.as_bytes(), &key).unwrap();
    assert_eq!(c.size, 2);
    let r = app.get("/log/tile/0/000.p/2").await;
    assert_eq!(r.status(), StatusCode::OK);
    let tile = r.bytes().await.unwrap();
    assert_eq!(tile.len(), 64);
    let r = app.get("/log/tile/entries/000.p/2").await;
    let bundle = r.bytes().await.unwrap();
    let entries = bankstatus::tlog::bundle::decode(&bundle).unwrap();
    assert_eq!(entries.len(), 2);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(
            &tile[i * 32..i * 32 + 32],
            &bankstatus::tlog::leaf_hash(e).0[..]
        );
    }
    let pack = app.json(&format!("/incidents/{id}/evidence.json")).await;
    assert_eq!(
        pack["log"]["entries"].as_array().unwrap().len(),
        2,
        "{pack}"
    );
}

/// The independent checker in `tests/it/go/verify`, built offline against Debian's
/// `golang.org/x/mod` (scripts/setup.sh installs Go and it).
fn go_checker(dir: &std::path::Path) -> std::path::PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = dir.join("go-verify");
    let built = std::process::Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(format!("{root}/tests/it/go/verify/main.go"))
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOCACHE", format!("{root}/target/go-cache"))
        .output()
        .expect(
            "go is installed (scripts/setup.sh installs golang-go and golang-golang-x-mod-dev)",
        );
    assert!(
        built.status.success(),
        "building the Go checker: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    out
}

fn run(program: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Posts `n` past outages, each two entries (opened, resolved).
async fn past_outages(app: &TestApp, n: usize) {
    for i in 0..n {
        let (status, v) = app
            .post(
                "/api/v1/incidents",
                &json!({"kind": "outage", "banks": ["bmce"], "channels": ["web"],
                        "title": {"fr": format!("Panne n° {i}"), "ar": "عطل"},
                        "started_at": "2026-02-10T09:00", "resolved_at": "2026-02-10T10:00", "state": "resolved"}),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_checks_the_signature_tiles_proofs_and_consistency() {
    let dir = tempfile::tempdir().unwrap();
    let go = go_checker(dir.path());
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&format!(
        "{}\n[log]\ncheckpoint_every = \"100ms\"\n",
        quiet_bank(&fake)
    ))
    .await;
    past_outages(&app, 40).await;
    assert_eq!(app.logged().await, 80);
    let (_, early) = app.text("/log/checkpoint").await;
    let since = dir.path().join("early.checkpoint");
    std::fs::write(&since, early).unwrap();
    // Past 256 entries: full tiles, a tile of level 1, proofs that climb it.
    past_outages(&app, 110).await;
    assert_eq!(app.logged().await, 300);
    let pack = app
        .get("/incidents/7/evidence.json")
        .await
        .bytes()
        .await
        .unwrap();
    let evidence = dir.path().join("pack.json");
    std::fs::write(&evidence, &pack).unwrap();
    let r = app.get("/log/tile/0/000").await;
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.bytes().await.unwrap().len(), 256 * 32);

    let url = app.url("/");
    let (code, out) = run(
        &go,
        &[
            "-since",
            &since.display().to_string(),
            "-evidence",
            &evidence.display().to_string(),
            &url,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok checkpoint: bankstatus, 300 entries, signature verified by note.Open"),
        "{out}"
    );
    assert!(
        out.contains("ok tiles and entries: 300 entries hash into the tree"),
        "{out}"
    );
    assert!(
        out.contains("ok consistency: the checkpoint of 80 entries is a prefix of the one of 300"),
        "{out}"
    );
    assert!(
        out.contains("ok evidence: 2 entries proven in the checkpoint of 300 entries"),
        "{out}"
    );

    // What Go's tlog sees when one byte of an entry is changed in the database.
    let swap = if app.db_url.starts_with("postgres") {
        "UPDATE log_entries SET body = convert_to(replace(convert_from(body, 'UTF8'), 'Panne', 'Penne'), 'UTF8') WHERE idx = 5"
    } else {
        "UPDATE log_entries SET body = CAST(replace(CAST(body AS TEXT), 'Panne', 'Penne') AS BLOB) WHERE idx = 5"
    };
    app.execute(swap).await;
    let (code, out) = run(&go, &[&url]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL entry 5: its hash is not the tree's"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evidence_pack_is_checked_offline_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeBank::start().await;
    let mut app = TestApp::spawn(&format!(
        "{}\n[log]\ncheckpoint_every = \"100ms\"\n",
        quiet_bank(&fake)
    ))
    .await;
    past_outages(&app, 3).await;
    app.logged().await;
    let (_, key) = app.text("/log/key").await;
    let key_file = dir.path().join("log.key.pub");
    std::fs::write(&key_file, &key).unwrap();
    let r = app.get("/incidents/2/evidence.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("bankstatus-incident-2-evidence.json"));
    let pack: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(pack["format"], "bankstatus evidence pack, version 1");
    assert_eq!(pack["incident"]["id"], 2);
    let file = dir.path().join("pack.json");
    std::fs::write(&file, serde_json::to_vec(&pack).unwrap()).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_bankstatus"));
    let file_arg = file.display().to_string();
    let key_arg = key_file.display().to_string();
    app.stop().await;

    // Offline: the site is gone, the pack and the key are enough.
    let (code, out) = run(bin, &["verify", "--evidence", &file_arg, "--key", &key_arg]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok   evidence: its 2 entries (2, 3) are proven in that checkpoint"),
        "{out}"
    );
    assert!(
        out.contains("ok   evidence: the facts of incident 2 agree with its entries"),
        "{out}"
    );

    // An entry edited in the pack no longer proves in.
    let mut edited = pack.clone();
    let entry = edited["log"]["entries"][0]["entry"]
        .as_str()
        .unwrap()
        .replace("Panne", "Penne");
    edited["log"]["entries"][0]["entry"] = entry.into();
    std::fs::write(&file, serde_json::to_vec(&edited).unwrap()).unwrap();
    let (code, out) = run(bin, &["verify", "--evidence", &file_arg, "--key", &key_arg]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL evidence entry 2: its inclusion proof does not hold"),
        "{out}"
    );

    // Facts edited in the pack disagree with its entries.
    let mut edited = pack.clone();
    edited["incident"]["started_at"] = "2026-02-10T09:30:00+01:00".into();
    std::fs::write(&file, serde_json::to_vec(&edited).unwrap()).unwrap();
    let (code, out) = run(bin, &["verify", "--evidence", &file_arg, "--key", &key_arg]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL incident 2 start: the site says 2026-02-10T08:30:00Z, the log says 2026-02-10T08:00:00Z"),
        "{out}"
    );

    // Another key, no key, a file that is no pack: said plainly.
    let other = bankstatus::tlog::note::LogKey::generate("bankstatus").unwrap();
    std::fs::write(&file, serde_json::to_vec(&pack).unwrap()).unwrap();
    let (code, out) = run(
        bin,
        &[
            "verify",
            "--evidence",
            &file_arg,
            "--key",
            other.verifier_key(),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL evidence: its checkpoint: the checkpoint carries no signature by the key bankstatus"), "{out}");
    let (code, out) = run(bin, &["verify", "--evidence", &file_arg]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--evidence needs --key"), "{out}");
    let (code, out) = run(bin, &["verify", "--evidence", &key_arg, "--key", &key_arg]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not an evidence pack"), "{out}");
    let (code, out) = run(
        bin,
        &["verify", "--evidence", &file_arg, "--key", "nonsense"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--key: the key is not a signed-note key"),
        "{out}"
    );
    let (code, _) = run(bin, &["verify", "http://127.0.0.1:9", "--month", "2026-13"]);
    assert_eq!(code, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_served_as_files_and_named_where_people_look() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&format!(
        "{}\n[log]\ncheckpoint_every = \"100ms\"\n",
        quiet_bank(&fake)
    ))
    .await;
    past_outages(&app, 2).await;
    app.logged().await;
    let r = app.get("/log/checkpoint").await;
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "public, max-age=1");
    let r = app.get("/log/key").await;
    assert!(r.text().await.unwrap().starts_with("bankstatus+"));
    for (path, status) in [
        ("/log/tile/0/000.p/4", StatusCode::OK),
        ("/log/tile/0/000.p/5", StatusCode::NOT_FOUND),
        ("/log/tile/0/000", StatusCode::NOT_FOUND),
        ("/log/tile/entries/000.p/4", StatusCode::OK),
        ("/log/tile/entries/000.p/9", StatusCode::NOT_FOUND),
        ("/log/tile/0/1", StatusCode::NOT_FOUND),
        ("/log/tile/9/000", StatusCode::NOT_FOUND),
        ("/log/tile/0/000.p/0", StatusCode::NOT_FOUND),
        ("/log/tile/data/000", StatusCode::NOT_FOUND),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), status, "{path}");
        if status == StatusCode::NOT_FOUND {
            let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
            assert_eq!(body["error"], "not_found", "{path}");
        } else {
            assert_eq!(
                r.headers()["cache-control"],
                "public, max-age=60",
                "{path}: a partial tile"
            );
        }
    }
    // The incident page names its entries and the checkpoint; the scorecard its checkpoint.
    let (_, page) = app.text("/incidents/1?lang=en").await;
    assert!(
        page.contains("This page rests on these entries of the public log: 0, 1."),
        "{page}"
    );
    assert!(
        page.contains("Each was checked against the checkpoint signed on"),
        "{page}"
    );
    assert!(page.contains("/incidents/1/evidence.json"), "{page}");
    let (_, ar) = app.text("/incidents/1?lang=ar").await;
    assert!(
        ar.contains("تستند هذه الصفحة إلى مُدخلات السجل العام التالية"),
        "{ar}"
    );
    let (_, card) = app.text("/scorecard/2026-02?lang=fr").await;
    assert!(
        card.contains("calculés à partir du journal public jusqu’à son point de contrôle signé le"),
        "{card}"
    );
    let json = app.json("/scorecard/2026-02?format=json").await;
    assert_eq!(json["checkpoint"]["size"], 4);
    assert_eq!(json["checkpoint"]["origin"], "bankstatus");
    let metrics = app.text("/metrics").await.1;
    assert!(metrics.contains("bankstatus_log_entries 4"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_feed_carries_the_checkpoint_of_the_days_start() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&format!(
        "{}\n[log]\ncheckpoint_every = \"100ms\"\n",
        quiet_bank(&fake)
    ))
    .await;
    past_outages(&app, 2).await;
    let size = app.logged().await;
    let (_, atom) = app.text("/feed.atom?lang=en").await;
    assert!(
        !atom.contains("urn:bankstatus:log:checkpoint"),
        "none signed before today yet"
    );
    // As if the log had been signed yesterday: today's feeds carry that checkpoint.
    app.execute("UPDATE log_checkpoints SET signed_at = signed_at - 86400000")
        .await;
    for (path, id) in [
        (
            "/feed.atom?lang=en",
            format!("urn:bankstatus:log:checkpoint:{size}:en:atom"),
        ),
        (
            "/feed.rss?lang=fr",
            format!("urn:bankstatus:log:checkpoint:{size}:fr:rss"),
        ),
        (
            "/banks/bmce/feed.atom?lang=ar&channel=atm",
            format!("urn:bankstatus:log:checkpoint:{size}:ar:atom"),
        ),
    ] {
        let body = eventually(
            std::time::Duration::from_secs(15),
            "the feed anew",
            || async {
                let (_, body) = app.text(path).await;
                body.contains(&id).then_some(body)
            },
        )
        .await;
        let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
        let entry = feed.entries.iter().find(|e| e.id == id).unwrap();
        assert_eq!(
            feed.entries
                .iter()
                .filter(|e| e.id.contains(":log:checkpoint:"))
                .count(),
            1,
            "{path}"
        );
        let text = entry.summary.as_ref().unwrap().content.clone();
        assert!(
            text.contains(&format!("bankstatus\n{size}\n")),
            "the signed note itself: {text}"
        );
    }
}
