//! The command line: config mistakes exit 2 with `PATH:LINE:COL: message`, bad arguments
//! exit 2, and SIGTERM stops the service cleanly with exit 0.

use std::io::Write as _;
use std::process::Command;
use std::time::Duration;

use crate::helpers::{bank_config, poll_blocking, probe, FakeBank};

const BIN: &str = env!("CARGO_BIN_EXE_bankstatus");

fn check_config(text: &str) -> (i32, String, String) {
    check_config_with(text, &[])
}

/// `check-config` on `text`, with each variable of `env` set to its value, or removed.
fn check_config_with(text: &str, env: &[(&str, Option<&str>)]) -> (i32, String, String) {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let mut command = Command::new(BIN);
    command.arg("check-config").arg(file.path());
    for (name, value) in env {
        match value {
            Some(v) => command.env(name, v),
            None => command.env_remove(name),
        };
    }
    let out = command.output().unwrap();
    let path = file.path().display().to_string();
    let stderr = String::from_utf8(out.stderr).unwrap().replace(&path, "F");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        stderr,
    )
}

const BANK: &str = "[[banks]]\nslug = \"cdm\"\nname = { fr = \"Crédit du Maroc\" }\n";

#[test]
fn agent_arguments_are_checked() {
    for (args, says) in [
        (
            [
                "--server",
                "http://127.0.0.1:1",
                "--token",
                "t",
                "--region",
                "Casa!",
            ],
            "bad region",
        ),
        (
            [
                "--server",
                "status.example.ma",
                "--token",
                "t",
                "--region",
                "casa",
            ],
            "bad server address",
        ),
        (
            [
                "--server",
                "http://127.0.0.1:1",
                "--token",
                " ",
                "--region",
                "casa",
            ],
            "token is empty",
        ),
    ] {
        let out = Command::new(BIN).arg("agent").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// An agent with a token the server would refuse stops at once, as `serve` does, and never
/// reaches its server: the token is judged before anything is sent.
#[test]
fn a_weak_agent_token_stops_the_agent_before_it_reaches_the_server() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    server.set_nonblocking(true).unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let many_a = "a".repeat(40);
    for (flag, env, says) in [
        (
            Some("1234"),
            None,
            "the agent token (--token or BANKSTATUS_AGENT_TOKEN) has 4 characters; use at least 32",
        ),
        (
            None,
            Some(many_a.as_str()),
            "the agent token (--token or BANKSTATUS_AGENT_TOKEN) has only 1 distinct characters; use at least 10",
        ),
    ] {
        let mut command = Command::new(BIN);
        command
            .arg("agent")
            .args(["--server", &url, "--region", "casa"])
            .env_remove("BANKSTATUS_AGENT_TOKEN");
        if let Some(token) = flag {
            command.args(["--token", token]);
        }
        if let Some(token) = env {
            command.env("BANKSTATUS_AGENT_TOKEN", token);
        }
        let mut child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let exited = poll_blocking(Duration::from_secs(10), || {
            child.try_wait().unwrap().is_some()
        });
        if !exited {
            let _ = child.kill();
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(exited, "the agent ran on with a weak token: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(says), "{stderr}");
        assert!(!stderr.contains("1234") && !stderr.contains("aaaa"), "{stderr}");
        assert!(
            server.accept().is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
            "the agent connected to its server"
        );
    }
}

#[test]
fn shipped_config_passes() {
    let out = Command::new(BIN)
        .args(["check-config", "config/banks.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("12 banks"), "{stdout}");
}

#[test]
fn every_config_mistake_is_placed() {
    let probe = |body: &str| format!("{BANK}  [[banks.probes]]\n{body}");
    let cases: Vec<(String, &str)> = vec![
        (format!("{BANK}colour = \"red\"\n"), "F:4:1: unknown field `colour`"),
        (probe("  channel = \"fax\"\n  url = \"https://a.ma\"\n"), "F:5:13: unknown channel `fax`"),
        (format!("{BANK}{BANK}"), "F:5:8: duplicate bank slug `cdm`"),
        (probe("  channel = \"web\"\n  url = \"not a url\"\n"), "F:6:9: bad URL `not a url`"),
        (probe("  channel = \"web\"\n  url = \"https://a.ma\"\n  interval = \"often\"\n"), "F:7:14: bad duration `often`"),
        (
            format!("{BANK}[[maintenance]]\nbank = \"cdm\"\nchannels = [\"web\"]\nstarts = \"2026-02-15T18:00\"\nends = \"2026-02-13T16:00\"\ntitle = {{ fr = \"x\" }}\n"),
            "F:8:8: `ends` must be after `starts`",
        ),
        (format!("{BANK}[[maintenance]]\nbank = \"bmce\"\nchannels = [\"web\"]\nstarts = \"2026-02-13T16:00\"\nends = \"2026-02-15T18:00\"\ntitle = {{ fr = \"x\" }}\n"), "F:5:8: unknown bank `bmce`"),
        ("[[banks]\nslug = 1\n".to_owned(), "F:1:"),
        (format!("{BANK}  [[banks.probes]]\n  channel = \"web\"\n  url = \"https://a.ma\"\n  failures_before_outage = -1\n"), "F:7:28: `failures_before_outage` must be between 1 and 100"),
        ("[[banks]]\nslug = \"Not A Slug\"\nname = { fr = \"x\" }\n".to_owned(), "F:2:8: bad bank slug"),
        ("default_language = \"de\"\n".to_owned(), "F:1:20: unknown language `de`"),
        ("timezone = \"Mars/Olympus\"\n".to_owned(), "F:1:12: unknown time zone"),
        ("[probing]\nregion = \"Casa Blanca\"\n".to_owned(), "F:2:10: bad region `Casa Blanca`"),
        ("[probing]\nquorum = 0\n".to_owned(), "F:2:10: `quorum` must be between 1 and 100"),
        ("[reports]\nsurge_floor = \"ten\"\n".to_owned(), "F:2:15:"),
        (probe("  channel = \"web\"\n  url = \"https://a.ma\"\n  body_matches = \"(unclosed\"\n"), "F:7:18: bad pattern in `body_matches`: unclosed group"),
        (probe("  channel = \"web\"\n  url = \"https://a.ma\"\n  json = { path = \"status\", equals = \"UP\" }\n"), "F:7:19: bad JSON path `status`: it must start with `$`"),
        (probe("  channel = \"web\"\n  url = \"https://a.ma\"\n  redirects = \"sometimes\"\n"), "F:7:15: `redirects` must be \"follow\", \"refuse\""),
        ("[probing]\nca_file = \"/no/such/ca.pem\"\n".to_owned(), "F:2:11: cannot read `/no/such/ca.pem`: no such file"),
        ("[probing]\nreopen_within = \"30d\"\n".to_owned(), "F:2:17: duration `30d` is out of range (0s to 7d)"),
    ];
    for (text, expected) in cases {
        let (code, _, stderr) = check_config(&text);
        assert_eq!(code, 2, "{expected}: {stderr}");
        assert!(
            stderr.starts_with(expected),
            "expected `{expected}`, got `{stderr}`"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn controls_checked_too_rarely_are_a_warning_not_an_error() {
    let text = format!(
        "{BANK}  [[banks.probes]]\n  channel = \"web\"\n  url = \"https://a.ma\"\n  interval = \"1s\"\n  failures_before_outage = 2\n[[controls]]\nurl = \"https://c.ma\"\ninterval = \"5s\"\n"
    );
    let (code, stdout, stderr) = check_config(&text);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("ok"), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("F:9:1: warning: this control is checked every 5s"),
        "{stderr}"
    );
}

#[test]
fn operator_tokens_are_checked_in_the_environment() {
    const VAR: &str = "BANKSTATUS_TEST_DESK_1";
    let text = format!("[[operators]]\nname = \"desk-1\"\ntoken_env = \"{VAR}\"\n");
    let (code, _, stderr) = check_config_with(&text, &[(VAR, Some("twelve-chars"))]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "F:3:13: the token in {VAR} has 12 characters; use at least 32"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("twelve-chars"), "{stderr}");
    let strong = "3f1c9a7be2d84f06a5c1e9b7d2f48a60c3e7b1d95f2a8c4e6b0d7f1a9c3e5b72";
    let (code, stdout, stderr) = check_config_with(&text, &[(VAR, Some(strong))]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("1 operators"), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
    // An operator without a name is refused with its place, whatever its token.
    let nameless = format!("[[operators]]\ntoken_env = \"{VAR}\"\n");
    let (code, _, stderr) = check_config_with(&nameless, &[(VAR, Some(strong))]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with("F:1:1: an operator needs a `name`, shown in the audit log"),
        "{stderr}"
    );
    let (code, _, stderr) = check_config_with(&text, &[(VAR, None)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.starts_with(&format!("F:3:13: warning: {VAR} is not set here")),
        "{stderr}"
    );
}

#[test]
fn a_four_character_token_stops_serve_and_check_config() {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(BANK.as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    for var in ["BANKSTATUS_ADMIN_TOKEN", "BANKSTATUS_AGENT_TOKEN"] {
        let out = Command::new(BIN)
            .arg("serve")
            .arg("--config")
            .arg(file.path())
            .args(["--database", &db, "--listen", "127.0.0.1:0"])
            .env_remove("BANKSTATUS_ADMIN_TOKEN")
            .env_remove("BANKSTATUS_AGENT_TOKEN")
            .env(var, "1234")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!(
                "{}:1:1: the token in {var} has 4 characters; use at least 32",
                file.path().display()
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("1234"), "{stderr}");
        let (code, _, stderr) = check_config_with(BANK, &[(var, Some("1234"))]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.starts_with("F:1:1: the token in"), "{stderr}");
    }
}

#[test]
fn bad_arguments_exit_2_and_missing_files_are_placed() {
    let out = Command::new(BIN)
        .args(["check-config", "/no/such/file.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("/no/such/file.toml:1:1: cannot read the file"));
    for args in [
        vec!["frobnicate"],
        vec!["serve", "--listen", "not-an-address"],
        vec!["serve", "--database", "mysql://localhost/x"],
        vec!["serve", "--config", "/no/such/file.toml"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.is_empty(),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_service_and_flushes_results() {
    let fake = FakeBank::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("banks.toml");
    std::fs::write(
        &config,
        bank_config(
            "acme",
            &[probe(
                "web",
                &fake.url("/counted"),
                "  interval = \"100ms\"\n",
            )],
            &[],
        ),
    )
    .unwrap();
    let db = crate::helpers::TestDb::new();
    let (mut child, _) = crate::helpers::serve(&config, &db.url);
    crate::helpers::eventually(Duration::from_secs(20), "checks by the service", || async {
        (fake.hits("/counted").len() >= 5).then_some(())
    })
    .await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = crate::helpers::exit_code_within(&mut child, Duration::from_secs(10)).await;
    assert_eq!(code, Some(0));
    let checks = fake.hits("/counted").len() as i64;
    let store = bankstatus::store::connect(&db.url).await.unwrap();
    let stored: i64 = store
        .hourly_rollups("acme", chrono::Utc::now() - chrono::Duration::hours(2))
        .await
        .unwrap()
        .iter()
        .map(|h| h.counts.up + h.counts.degraded + h.counts.down)
        .sum();
    // Every check that finished before the stop was written; one may have been cut short.
    assert!(
        stored >= checks - 1 && stored <= checks,
        "{stored} stored of {checks} checks"
    );
}
