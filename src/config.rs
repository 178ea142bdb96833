//! The TOML config file: raw types that keep source spans, then `validate` into the typed
//! [`Config`], reporting every mistake as `PATH:LINE:COL: message`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use crate::domain::expect::DEFAULT_TLS_WARNING;
use crate::domain::{
    Bank, Channel, Expect, JsonCheck, Lang, Names, Pattern, ProbeSpec, ProbeTarget, Redirects,
};
use crate::timezone::{local_to_utc, parse_local};

/// The shipped config, compiled in so `demo` runs from the binary alone.
pub const SHIPPED: &str = include_str!("../config/banks.toml");

const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_FAILURES: u32 = 3;
/// Long enough for a database restart, short enough that a load balancer acts the same minute.
const DEFAULT_UNHEALTHY_AFTER: Duration = Duration::from_secs(30);
const DEFAULT_SUCCESSES: u32 = 2;

/// A validated config: every default applied, every name checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub timezone: Tz,
    /// The address people reach the service at, for absolute links in feeds and calendars;
    /// without it, links are built from the request's `Host`.
    pub public_url: Option<String>,
    pub default_language: Lang,
    pub banks: Vec<Bank>,
    pub controls: Vec<ProbeSpec>,
    pub maintenance: Vec<MaintenanceDecl>,
    pub reports: ReportsConfig,
    pub storage: StorageConfig,
    pub probing: ProbingConfig,
    pub server: ServerConfig,
    /// SMTP for email alerts; without it, email is not offered.
    pub email: Option<EmailConfig>,
    pub alerts: AlertsConfig,
    /// What each probe id watches, for checking agents' results without a scan.
    targets: HashMap<String, ProbeTarget>,
    /// What is allowed but likely a mistake, with its place; `check-config` and `serve`
    /// print these.
    pub warnings: Vec<ConfigError>,
}

/// An announced maintenance window from the config file, already in UTC.
#[derive(Debug, Clone)]
pub struct MaintenanceDecl {
    pub bank: String,
    pub channels: Vec<Channel>,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub title: Names,
    pub source: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ReportsConfig {
    pub window: Duration,
    pub surge_floor: u32,
    pub per_reporter_per_hour: u32,
    pub trust_forwarded_for: bool,
}

/// `[email]`: the SMTP server alerts go out through. The password, if any, comes from
/// `BANKSTATUS_SMTP_PASSWORD`, never from the file.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `smtp://host:587` (STARTTLS with `?tls=required`), `smtps://host:465`; a user name
    /// may be in it.
    pub smtp_url: String,
    /// The sender, e.g. `bankstatus <alerts@example.org>`.
    pub from: String,
}

/// `[alerts]`.
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    /// Webhooks and push endpoints may be private, loopback or link-local addresses (tests,
    /// private deployments); off, such targets are refused.
    pub allow_private_targets: bool,
    /// New subscriptions one client address may make in an hour.
    pub subscriptions_per_hour: u32,
    /// The wait before the first retry of a failed delivery; each retry doubles it.
    pub first_retry: Duration,
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Raw probe results older than this are deleted; roll-ups are kept.
    pub raw_retention_days: u32,
    /// `/healthz` answers 503 once writes have failed for this long.
    pub unhealthy_after: Duration,
}

/// How long clients may hold a connection, and how many may: `[server]`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// A client has this long to send a complete request head (nginx
    /// `client_header_timeout`).
    pub header_timeout: Duration,
    /// A request body must arrive whole within this, or it is answered 408 (nginx
    /// `client_body_timeout`).
    pub body_timeout: Duration,
    /// A connection quiet this long after its last answer is closed (nginx
    /// `keepalive_timeout`).
    pub keepalive_timeout: Duration,
    /// Open connections at most; past it, the connection idle the longest is closed (nginx
    /// `worker_connections`). Lowered at start to fit the open-file limit.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_timeout: Duration::from_secs(10),
            // Under the 9 s that shutdown waits for requests in flight.
            body_timeout: Duration::from_secs(5),
            keepalive_timeout: Duration::from_secs(5),
            max_connections: 4096,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProbingConfig {
    /// At most this many checks are in flight at once, across all probes.
    pub max_concurrent: usize,
    /// Bodies are read up to this many bytes, then the connection is dropped.
    pub max_body_bytes: usize,
    /// The name of the vantage point the service's own instances probe from.
    pub region: String,
    /// When a channel is probed from two regions or more, an automatic outage needs this
    /// many of them (or all, when fewer answer) to see it down.
    pub quorum: usize,
    /// An extra CA the probes trust (PEM, read from `ca_file` when the config was read).
    pub ca_pem: Option<Vec<u8>>,
    /// An outage of a bank's channel that fails again this soon after its resolution
    /// reopens the same incident; zero never reopens.
    pub reopen_within: Duration,
    /// The phrases that show a maintenance page: the built-in list and the config's own.
    pub maintenance_phrases: Vec<String>,
}

impl Config {
    pub fn bank(&self, slug: &str) -> Option<&Bank> {
        self.banks.iter().find(|b| b.slug == slug)
    }

    /// What the probe `id` watches, controls included.
    pub fn probe_target(&self, id: &str) -> Option<&ProbeTarget> {
        self.targets.get(id)
    }

    /// Every probe, controls included.
    pub fn all_probes(&self) -> impl Iterator<Item = &ProbeSpec> {
        self.banks
            .iter()
            .flat_map(|b| b.probes.iter())
            .chain(self.controls.iter())
    }

    /// One line for `check-config`.
    pub fn summary(&self) -> String {
        format!(
            "{} banks, {} probes, {} controls, {} maintenance windows, timezone {}",
            self.banks.len(),
            self.banks.iter().map(|b| b.probes.len()).sum::<usize>(),
            self.controls.len(),
            self.maintenance.len(),
            self.timezone
        )
    }
}

/// One mistake in a config file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    /// Always one line, `PATH:LINE:COL: message`, free of control characters, whatever the
    /// file held: scripts split the output on newlines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            one_line(&self.path, usize::MAX),
            self.line,
            self.col,
            one_line(&self.message, MAX_MESSAGE)
        )
    }
}

/// The longest quoted value a message echoes, in characters.
const MAX_ECHO: usize = 80;
/// The longest message, in characters.
const MAX_MESSAGE: usize = 400;

/// `text` on one line: each run of control characters (line breaks included) becomes one
/// space, invisible formatting characters are dropped, a value quoted in backticks or
/// double quotes (as the TOML parser quotes them) is cut at [`MAX_ECHO`] characters and the
/// whole at `max`; an empty message says that the file could not be read there.
fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    // The quote that opened the value being echoed, and its length so far.
    let mut quoted = None::<(char, usize)>;
    let mut gap = false;
    for c in text.chars() {
        if c.is_control() {
            gap = true;
            continue;
        }
        if crate::domain::invisible(c) {
            continue;
        }
        if gap && !out.is_empty() {
            out.push(' ');
            if let Some((_, n)) = quoted.as_mut() {
                *n += 1;
            }
        }
        gap = false;
        match quoted {
            None if c == '`' || c == '"' => quoted = Some((c, 0)),
            Some((open, _)) if c == open => quoted = None,
            Some((open, n)) if n >= MAX_ECHO => {
                if n == MAX_ECHO {
                    out.push('…');
                    quoted = Some((open, n + 1));
                }
                continue;
            }
            Some((open, n)) => quoted = Some((open, n + 1)),
            None => {}
        }
        out.push(c);
        len += 1;
        if len >= max {
            out.push('…');
            break;
        }
    }
    let out = out.trim().to_owned();
    if out.is_empty() {
        "this cannot be read as TOML".to_owned()
    } else {
        out
    }
}

/// Every mistake found in a config file; displayed one per line.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}

/// Reads and validates the file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            path: shown.clone(),
            line: 1,
            col: 1,
            message: format!("cannot read the file: {e}"),
        }])
    })?;
    parse(&text, &shown)
}

/// Parses and validates config text; `path` only names it in errors.
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigErrors> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let (line, col) = line_col(text, span.start);
        ConfigErrors(vec![ConfigError {
            path: path.to_owned(),
            line,
            col,
            message: e.message().trim().to_owned(),
        }])
    })?;
    let mut v = Validator {
        text,
        path,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut config = v.config(raw);
    if v.errors.is_empty() {
        v.warnings.sort_by_key(|e| (e.line, e.col));
        config.warnings = v.warnings;
        Ok(config)
    } else {
        v.errors.sort_by_key(|e| (e.line, e.col));
        Err(ConfigErrors(v.errors))
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    timezone: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    default_language: Option<Spanned<String>>,
    #[serde(default)]
    banks: Vec<Spanned<RawBank>>,
    #[serde(default)]
    maintenance: Vec<Spanned<RawMaintenance>>,
    #[serde(default)]
    controls: Vec<Spanned<RawControl>>,
    reports: Option<RawReports>,
    storage: Option<RawStorage>,
    probing: Option<RawProbing>,
    server: Option<RawServer>,
    email: Option<Spanned<RawEmail>>,
    alerts: Option<RawAlerts>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    header_timeout: Option<Spanned<String>>,
    body_timeout: Option<Spanned<String>>,
    keepalive_timeout: Option<Spanned<String>>,
    max_connections: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    smtp_url: Spanned<String>,
    from: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    allow_private_targets: Option<bool>,
    subscriptions_per_hour: Option<Spanned<i64>>,
    first_retry: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    ar: Option<String>,
    fr: Option<String>,
    en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBank {
    slug: Spanned<String>,
    name: Spanned<RawNames>,
    website: Option<Spanned<String>>,
    #[serde(default)]
    probes: Vec<RawProbe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    channel: Spanned<String>,
    url: Spanned<String>,
    method: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    expect_status: Option<Spanned<Vec<Spanned<i64>>>>,
    body_contains: Option<String>,
    body_not_contains: Option<Spanned<Vec<Spanned<String>>>>,
    body_matches: Option<Spanned<String>>,
    json: Option<Spanned<RawJson>>,
    redirects: Option<Spanned<toml::Value>>,
    redirect_not_to: Option<Spanned<Vec<Spanned<String>>>>,
    detect_maintenance_page: Option<bool>,
    tls_expiry_warning: Option<Spanned<String>>,
    degraded_after: Option<Spanned<String>>,
    failures_before_outage: Option<Spanned<i64>>,
    successes_before_recovery: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJson {
    path: Spanned<String>,
    equals: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    url: Spanned<String>,
    method: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    expect_status: Option<Spanned<Vec<Spanned<i64>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaintenance {
    bank: Spanned<String>,
    channels: Spanned<Vec<Spanned<String>>>,
    starts: Spanned<String>,
    ends: Spanned<String>,
    title: Spanned<RawNames>,
    source: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReports {
    window: Option<Spanned<String>>,
    surge_floor: Option<Spanned<i64>>,
    per_reporter_per_hour: Option<Spanned<i64>>,
    trust_forwarded_for: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    raw_retention_days: Option<Spanned<i64>>,
    unhealthy_after: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbing {
    max_concurrent: Option<Spanned<i64>>,
    max_body_bytes: Option<Spanned<i64>>,
    region: Option<Spanned<String>>,
    quorum: Option<Spanned<i64>>,
    ca_file: Option<Spanned<String>>,
    reopen_within: Option<Spanned<String>>,
    maintenance_phrases: Option<Spanned<Vec<Spanned<String>>>>,
}

/// An IO error as a sentence without the OS's error number.
fn io_words(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::IsADirectory => "it is a directory",
        _ => "it cannot be read",
    }
}

/// A bound as one writes it: whole days as "365d", not "11months 30days 3h 50m 24s".
fn whole(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 86_400 && secs.is_multiple_of(86_400) && d.subsec_nanos() == 0 {
        format!("{}d", secs / 86_400)
    } else {
        humantime::format_duration(d).to_string()
    }
}

struct Validator<'a> {
    text: &'a str,
    path: &'a str,
    errors: Vec<ConfigError>,
    warnings: Vec<ConfigError>,
}

impl Validator<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let e = self.placed(span, message.into());
        self.errors.push(e);
    }

    fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        let e = self.placed(span, format!("warning: {}", message.into()));
        self.warnings.push(e);
    }

    fn placed(&self, span: Range<usize>, message: String) -> ConfigError {
        let (line, col) = line_col(self.text, span.start);
        ConfigError {
            path: self.path.to_owned(),
            line,
            col,
            message,
        }
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let timezone = match &raw.timezone {
            None => chrono_tz::Africa::Casablanca,
            Some(tz) => tz.get_ref().parse::<Tz>().unwrap_or_else(|_| {
                self.error(
                    tz.span(),
                    format!(
                        "unknown time zone `{}`; use a tz database name such as Africa/Casablanca",
                        tz.get_ref()
                    ),
                );
                chrono_tz::Africa::Casablanca
            }),
        };
        let default_language = match &raw.default_language {
            None => Lang::Ar,
            Some(l) => l.get_ref().parse().unwrap_or_else(|e: String| {
                self.error(l.span(), e);
                Lang::Ar
            }),
        };

        let mut slugs = HashSet::new();
        let mut banks = Vec::new();
        for bank in raw.banks {
            let span = bank.span();
            if let Some(b) = self.bank(bank.into_inner(), span, &mut slugs) {
                banks.push(b);
            }
        }

        let mut control_spans = Vec::new();
        let controls: Vec<ProbeSpec> = raw
            .controls
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let span = c.span();
                let spec = self.control(i, c.into_inner())?;
                control_spans.push(span);
                Some(spec)
            })
            .collect();
        self.controls_keep_up(&banks, &controls, &control_spans);

        let maintenance = raw
            .maintenance
            .into_iter()
            .filter_map(|m| self.maintenance(m.into_inner(), &slugs, timezone))
            .collect();

        let reports = self.reports(raw.reports);
        if let (Some(e), None) = (&raw.email, &raw.public_url) {
            // A confirmation goes to an address someone else typed: a link taken from that
            // request's Host header would let anyone send phishing links in our name.
            self.error(
                e.span(),
                "[email] needs `public_url`: the links in alert emails cannot come from the Host header of whoever subscribed the address",
            );
        }
        let email = raw.email.and_then(|e| self.email(e.into_inner()));
        let raw_alerts = raw.alerts.unwrap_or(RawAlerts {
            allow_private_targets: None,
            subscriptions_per_hour: None,
            first_retry: None,
        });
        let alerts = AlertsConfig {
            allow_private_targets: raw_alerts.allow_private_targets.unwrap_or(false),
            subscriptions_per_hour: self
                .int_in(
                    raw_alerts.subscriptions_per_hour,
                    1..=1_000_000,
                    "subscriptions_per_hour",
                )
                .unwrap_or(10) as u32,
            first_retry: self.duration(raw_alerts.first_retry, Duration::from_secs(30)),
        };
        let public_url = raw
            .public_url
            .and_then(|u| self.url(&u))
            .map(|u| u.trim_end_matches('/').to_owned());
        let (retention, unhealthy_after) = raw
            .storage
            .map_or((None, None), |s| (s.raw_retention_days, s.unhealthy_after));
        let storage = StorageConfig {
            raw_retention_days: self
                .int_in(retention, 1..=3650, "raw_retention_days")
                .unwrap_or(30) as u32,
            unhealthy_after: self.duration(unhealthy_after, DEFAULT_UNHEALTHY_AFTER),
        };
        let probing = raw.probing.unwrap_or(RawProbing {
            max_concurrent: None,
            max_body_bytes: None,
            region: None,
            quorum: None,
            ca_file: None,
            reopen_within: None,
            maintenance_phrases: None,
        });
        let ca_pem = probing.ca_file.and_then(|f| self.ca_file(&f));
        let reopen_within = self.duration_in(
            probing.reopen_within,
            Duration::from_secs(30 * 60),
            Duration::ZERO..=Duration::from_secs(7 * 86_400),
        );
        let mut maintenance_phrases = crate::probe::maintenance::builtin_phrases();
        if let Some(list) = probing.maintenance_phrases {
            for phrase in list.into_inner() {
                let cleaned = phrase.get_ref().trim();
                if cleaned.chars().count() < 4 {
                    self.error(
                        phrase.span(),
                        "a maintenance phrase needs at least 4 characters",
                    );
                } else {
                    maintenance_phrases.push(cleaned.to_owned());
                }
            }
        }
        let region = match probing.region {
            Some(r) if !crate::domain::region_name_ok(r.get_ref()) => {
                self.error(
                    r.span(),
                    format!(
                        "bad region `{}`: use 1 to 32 characters among a-z, 0-9 and -",
                        r.get_ref()
                    ),
                );
                String::new()
            }
            Some(r) => r.into_inner(),
            None => "local".to_owned(),
        };
        let probing = ProbingConfig {
            max_concurrent: self
                .int_in(probing.max_concurrent, 1..=100_000, "max_concurrent")
                .unwrap_or(256) as usize,
            max_body_bytes: self
                .int_in(
                    probing.max_body_bytes,
                    1..=64 * 1024 * 1024,
                    "max_body_bytes",
                )
                .unwrap_or(256 * 1024) as usize,
            region,
            quorum: self.int_in(probing.quorum, 1..=100, "quorum").unwrap_or(2) as usize,
            ca_pem,
            reopen_within,
            maintenance_phrases,
        };

        let targets = banks
            .iter()
            .flat_map(|b| b.probes.iter())
            .chain(&controls)
            .map(|p| (p.id.clone(), p.target.clone()))
            .collect();
        let server = self.server(raw.server);
        Config {
            timezone,
            public_url,
            default_language,
            banks,
            controls,
            maintenance,
            reports,
            storage,
            probing,
            server,
            email,
            alerts,
            targets,
            warnings: Vec::new(),
        }
    }

    fn email(&mut self, raw: RawEmail) -> Option<EmailConfig> {
        let url = raw.smtp_url.get_ref();
        let scheme_ok = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some());
        if scheme_ok.is_none() {
            self.error(
                raw.smtp_url.span(),
                format!("bad smtp_url `{url}`: use smtp://HOST:PORT or smtps://HOST:PORT"),
            );
        }
        if scheme_ok.as_ref().is_some_and(|u| u.password().is_some()) {
            self.error(
                raw.smtp_url.span(),
                "smtp_url holds a password: put it in BANKSTATUS_SMTP_PASSWORD instead",
            );
            return None;
        }
        if raw
            .from
            .get_ref()
            .parse::<lettre::message::Mailbox>()
            .is_err()
        {
            self.error(
                raw.from.span(),
                format!(
                    "bad from `{}`: use an address such as `bankstatus <alerts@example.org>`",
                    raw.from.get_ref()
                ),
            );
            return None;
        }
        scheme_ok?;
        Some(EmailConfig {
            smtp_url: url.clone(),
            from: raw.from.into_inner(),
        })
    }

    fn bank(
        &mut self,
        raw: RawBank,
        span: Range<usize>,
        slugs: &mut HashSet<String>,
    ) -> Option<Bank> {
        let slug = raw.slug.get_ref().clone();
        let slug_ok = !slug.is_empty()
            && slug.len() <= 32
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug_ok {
            self.error(
                raw.slug.span(),
                format!("bad bank slug `{slug}`: use 1 to 32 characters among a-z, 0-9 and -"),
            );
        } else if !slugs.insert(slug.clone()) {
            self.error(raw.slug.span(), format!("duplicate bank slug `{slug}`"));
        }
        let names = self.names(raw.name, "name");
        let website = raw.website.and_then(|w| self.url(&w));
        if raw.probes.is_empty() {
            // A bank with no probe is valid: crowd reports and operators can still speak of it.
            let _ = span;
        }
        let probes = raw
            .probes
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| self.probe(&slug, i, p))
            .collect();
        Some(Bank {
            slug,
            names,
            website,
            probes,
        })
    }

    fn names(&mut self, raw: Spanned<RawNames>, what: &str) -> Names {
        let span = raw.span();
        let raw = raw.into_inner();
        let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let names = Names {
            ar: clean(raw.ar),
            fr: clean(raw.fr),
            en: clean(raw.en),
        };
        if names.is_empty() {
            self.error(span, format!("`{what}` needs at least one of ar, fr, en"));
        }
        names
    }

    fn url(&mut self, raw: &Spanned<String>) -> Option<String> {
        match reqwest::Url::parse(raw.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                Some(raw.get_ref().clone())
            }
            Ok(_) => {
                self.error(
                    raw.span(),
                    format!(
                        "bad URL `{}`: only http and https URLs with a host",
                        raw.get_ref()
                    ),
                );
                None
            }
            Err(e) => {
                self.error(raw.span(), format!("bad URL `{}`: {e}", raw.get_ref()));
                None
            }
        }
    }

    fn duration(&mut self, raw: Option<Spanned<String>>, default: Duration) -> Duration {
        self.duration_in(
            raw,
            default,
            Duration::from_millis(100)..=Duration::from_secs(86_400),
        )
    }

    fn duration_in(
        &mut self,
        raw: Option<Spanned<String>>,
        default: Duration,
        range: std::ops::RangeInclusive<Duration>,
    ) -> Duration {
        let Some(raw) = raw else { return default };
        match humantime::parse_duration(raw.get_ref()) {
            Ok(d) if range.contains(&d) => d,
            Ok(_) => {
                self.error(
                    raw.span(),
                    format!(
                        "duration `{}` is out of range ({} to {})",
                        raw.get_ref(),
                        whole(*range.start()),
                        whole(*range.end())
                    ),
                );
                default
            }
            Err(e) => {
                self.error(
                    raw.span(),
                    format!(
                        "bad duration `{}`: {e} (write e.g. \"30s\" or \"2m\")",
                        raw.get_ref()
                    ),
                );
                default
            }
        }
    }

    fn server(&mut self, raw: Option<RawServer>) -> ServerConfig {
        let default = ServerConfig::default();
        let Some(raw) = raw else { return default };
        let timeouts = Duration::from_millis(100)..=Duration::from_secs(3600);
        let keepalive_span = raw.keepalive_timeout.as_ref().map(Spanned::span);
        let header_timeout =
            self.duration_in(raw.header_timeout, default.header_timeout, timeouts.clone());
        let body_timeout =
            self.duration_in(raw.body_timeout, default.body_timeout, timeouts.clone());
        let keepalive_timeout =
            self.duration_in(raw.keepalive_timeout, default.keepalive_timeout, timeouts);
        // The head timer also runs while a connection waits for its next request, so a
        // longer keep-alive would be cut at the head timeout anyway: it is capped there,
        // with a warning when it was set longer.
        if let Some(span) = keepalive_span.filter(|_| keepalive_timeout > header_timeout) {
            self.warn(
                span,
                format!(
                    "keepalive_timeout ({}) is longer than header_timeout ({}): a connection waiting for its next request is closed at header_timeout; raise header_timeout to keep connections longer",
                    whole(keepalive_timeout),
                    whole(header_timeout)
                ),
            );
        }
        let keepalive_timeout = keepalive_timeout.min(header_timeout);
        ServerConfig {
            header_timeout,
            body_timeout,
            keepalive_timeout,
            max_connections: self
                .int_in(raw.max_connections, 1..=1_000_000, "max_connections")
                .map_or(default.max_connections, |n| n as usize),
        }
    }

    fn int_in(
        &mut self,
        raw: Option<Spanned<i64>>,
        range: std::ops::RangeInclusive<i64>,
        what: &str,
    ) -> Option<i64> {
        let raw = raw?;
        let v = *raw.get_ref();
        if range.contains(&v) {
            Some(v)
        } else {
            self.error(
                raw.span(),
                format!(
                    "`{what}` must be between {} and {}, not {v}",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }

    fn method(&mut self, raw: Option<Spanned<String>>) -> String {
        let Some(raw) = raw else {
            return "GET".to_owned();
        };
        let m = raw.get_ref().to_ascii_uppercase();
        if matches!(m.as_str(), "GET" | "HEAD" | "POST" | "OPTIONS") {
            m
        } else {
            self.error(
                raw.span(),
                format!(
                    "unsupported method `{}`; use GET, HEAD, POST or OPTIONS",
                    raw.get_ref()
                ),
            );
            "GET".to_owned()
        }
    }

    fn statuses(&mut self, raw: Option<Spanned<Vec<Spanned<i64>>>>) -> Option<Vec<u16>> {
        let raw = raw?;
        if raw.get_ref().is_empty() {
            self.error(
                raw.span(),
                "`expect_status` is empty; omit it to accept any 2xx or 3xx",
            );
            return None;
        }
        let mut out = Vec::new();
        for s in raw.into_inner() {
            match u16::try_from(*s.get_ref()) {
                Ok(v) if (100..=599).contains(&v) => out.push(v),
                _ => self.error(
                    s.span(),
                    format!("`{}` is not an HTTP status (100 to 599)", s.get_ref()),
                ),
            }
        }
        Some(out)
    }

    fn probe(&mut self, bank: &str, index: usize, raw: RawProbe) -> Option<ProbeSpec> {
        let channel = match raw.channel.get_ref().parse::<Channel>() {
            Ok(c) => Some(c),
            Err(e) => {
                self.error(raw.channel.span(), e);
                None
            }
        };
        let url = self.url(&raw.url);
        let method = self.method(raw.method);
        let interval = self.duration(raw.interval, DEFAULT_INTERVAL);
        let timeout = self.duration(raw.timeout, DEFAULT_TIMEOUT);
        let degraded_after = raw
            .degraded_after
            .map(|d| self.duration(Some(d), DEFAULT_TIMEOUT));
        let expect_status = self.statuses(raw.expect_status);
        let failures = self
            .int_in(
                raw.failures_before_outage,
                1..=100,
                "failures_before_outage",
            )
            .unwrap_or(i64::from(DEFAULT_FAILURES)) as u32;
        let successes = self
            .int_in(
                raw.successes_before_recovery,
                1..=100,
                "successes_before_recovery",
            )
            .unwrap_or(i64::from(DEFAULT_SUCCESSES)) as u32;
        if let Some(body) = &raw.body_contains {
            if body.is_empty() {
                self.error(raw.url.span(), "`body_contains` is empty");
            }
        }
        let expect = Expect {
            body_contains: raw.body_contains.filter(|b| !b.is_empty()),
            body_not_contains: self.texts(raw.body_not_contains, "body_not_contains"),
            body_matches: raw.body_matches.and_then(|p| self.pattern(&p)),
            json: raw.json.and_then(|j| self.json_check(j)),
            redirects: raw
                .redirects
                .map_or_else(Redirects::default, |r| self.redirects(&r)),
            redirect_not_to: self.texts(raw.redirect_not_to, "redirect_not_to"),
            detect_maintenance_page: raw.detect_maintenance_page.unwrap_or(true),
            tls_expiry_warning: self.duration_in(
                raw.tls_expiry_warning,
                DEFAULT_TLS_WARNING,
                Duration::ZERO..=Duration::from_secs(365 * 86_400),
            ),
        };
        Some(ProbeSpec {
            id: format!("{bank}/{}/{index}", channel?.as_str()),
            target: ProbeTarget::Bank {
                bank: bank.to_owned(),
                channel: channel?,
            },
            url: url?,
            method,
            interval,
            timeout,
            expect_status,
            expect,
            degraded_after,
            failures_before_outage: failures,
            successes_before_recovery: successes,
        })
    }

    fn control(&mut self, index: usize, raw: RawControl) -> Option<ProbeSpec> {
        let url = self.url(&raw.url);
        let method = self.method(raw.method);
        let interval = self.duration(raw.interval, Duration::from_secs(30));
        let timeout = self.duration(raw.timeout, DEFAULT_TIMEOUT);
        let expect_status = self.statuses(raw.expect_status);
        Some(ProbeSpec {
            id: format!("control/{index}"),
            target: ProbeTarget::Control,
            url: url?,
            method,
            interval,
            timeout,
            expect_status,
            expect: Expect {
                detect_maintenance_page: false,
                ..Expect::default()
            },
            degraded_after: None,
            failures_before_outage: 1,
            successes_before_recovery: 1,
        })
    }

    /// A list of non-empty texts.
    fn texts(&mut self, raw: Option<Spanned<Vec<Spanned<String>>>>, what: &str) -> Vec<String> {
        let Some(raw) = raw else { return Vec::new() };
        let mut out = Vec::new();
        for t in raw.into_inner() {
            if t.get_ref().is_empty() {
                self.error(t.span(), format!("an entry of `{what}` is empty"));
            } else {
                out.push(t.into_inner());
            }
        }
        out
    }

    fn pattern(&mut self, raw: &Spanned<String>) -> Option<Pattern> {
        match Pattern::new(raw.get_ref()) {
            Ok(p) => Some(p),
            Err(e) => {
                // The regex crate explains over several lines; its last says what is wrong.
                let text = e.to_string();
                let why = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("invalid")
                    .trim()
                    .trim_start_matches("error: ")
                    .to_owned();
                self.error(raw.span(), format!("bad pattern in `body_matches`: {why}"));
                None
            }
        }
    }

    fn json_check(&mut self, raw: Spanned<RawJson>) -> Option<JsonCheck> {
        let raw = raw.into_inner();
        let steps = match JsonCheck::parse_path(raw.path.get_ref()) {
            Ok(s) => s,
            Err(e) => {
                self.error(raw.path.span(), e);
                return None;
            }
        };
        let equals = match serde_json::to_value(&raw.equals) {
            Ok(v) => v,
            Err(e) => {
                self.error(raw.path.span(), format!("`equals` cannot be compared: {e}"));
                return None;
            }
        };
        Some(JsonCheck {
            path: raw.path.into_inner(),
            steps,
            equals,
        })
    }

    fn redirects(&mut self, raw: &Spanned<toml::Value>) -> Redirects {
        match raw.get_ref() {
            toml::Value::String(s) if s == "follow" => Redirects::default(),
            toml::Value::String(s) if s == "refuse" => Redirects::Refuse,
            toml::Value::Integer(n) if (0..=20).contains(n) => Redirects::Follow(*n as u8),
            _ => {
                self.error(
                    raw.span(),
                    "`redirects` must be \"follow\", \"refuse\" or a number of hops from 0 to 20",
                );
                Redirects::default()
            }
        }
    }

    /// The PEM file of `ca_file`, checked to hold a certificate.
    fn ca_file(&mut self, raw: &Spanned<String>) -> Option<Vec<u8>> {
        let base = Path::new(self.path).parent().unwrap_or(Path::new(""));
        let file = base.join(raw.get_ref());
        match std::fs::read(&file) {
            Ok(pem)
                if reqwest::Certificate::from_pem(&pem).is_ok() && pem.starts_with(b"-----") =>
            {
                Some(pem)
            }
            Ok(_) => {
                self.error(
                    raw.span(),
                    format!("`{}` holds no PEM certificate", file.display()),
                );
                None
            }
            Err(e) => {
                self.error(
                    raw.span(),
                    format!("cannot read `{}`: {}", file.display(), io_words(&e)),
                );
                None
            }
        }
    }

    /// Controls checked less often than a bank reaches its failure threshold cannot tell a
    /// cut network in time: said, not refused.
    fn controls_keep_up(&mut self, banks: &[Bank], controls: &[ProbeSpec], spans: &[Range<usize>]) {
        let fastest = banks
            .iter()
            .flat_map(|b| &b.probes)
            .map(|p| p.interval * p.failures_before_outage)
            .min();
        let Some(fastest) = fastest else { return };
        for (c, span) in controls.iter().zip(spans) {
            if c.interval > fastest {
                self.warn(
                    span.clone(),
                    format!(
                        "this control is checked every {}, less often than the fastest bank reaches its failure threshold ({}): a cut network is told apart only by the extra checks a bank failure asks for",
                        humantime::format_duration(c.interval),
                        humantime::format_duration(fastest)
                    ),
                );
            }
        }
    }

    fn local_time(&mut self, raw: &Spanned<String>, tz: Tz) -> Option<DateTime<Utc>> {
        let s = raw.get_ref();
        match parse_local(s) {
            Some(local) => Some(local_to_utc(local, tz)),
            None => {
                self.error(
                    raw.span(),
                    format!(
                        "bad local time `{s}`; write it as YYYY-MM-DDTHH:MM, e.g. 2026-02-13T16:00"
                    ),
                );
                None
            }
        }
    }

    fn maintenance(
        &mut self,
        raw: RawMaintenance,
        slugs: &HashSet<String>,
        tz: Tz,
    ) -> Option<MaintenanceDecl> {
        if !slugs.contains(raw.bank.get_ref()) {
            self.error(
                raw.bank.span(),
                format!("unknown bank `{}` in maintenance", raw.bank.get_ref()),
            );
        }
        if raw.channels.get_ref().is_empty() {
            self.error(raw.channels.span(), "`channels` is empty");
        }
        let mut channels = Vec::new();
        for c in raw.channels.into_inner() {
            match c.get_ref().parse::<Channel>() {
                Ok(ch) => channels.push(ch),
                Err(e) => self.error(c.span(), e),
            }
        }
        let starts = self.local_time(&raw.starts, tz);
        let ends = self.local_time(&raw.ends, tz);
        if let (Some(s), Some(e)) = (starts, ends) {
            if e <= s {
                self.error(raw.ends.span(), "`ends` must be after `starts`");
            }
        }
        let title = self.names(raw.title, "title");
        let source = raw.source.and_then(|s| self.url(&s));
        Some(MaintenanceDecl {
            bank: raw.bank.into_inner(),
            channels,
            starts: starts?,
            ends: ends?,
            title,
            source,
        })
    }

    fn reports(&mut self, raw: Option<RawReports>) -> ReportsConfig {
        let raw = raw.unwrap_or(RawReports {
            window: None,
            surge_floor: None,
            per_reporter_per_hour: None,
            trust_forwarded_for: None,
        });
        ReportsConfig {
            window: self.duration(raw.window, Duration::from_secs(15 * 60)),
            surge_floor: self
                .int_in(raw.surge_floor, 1..=1_000_000, "surge_floor")
                .unwrap_or(10) as u32,
            per_reporter_per_hour: self
                .int_in(
                    raw.per_reporter_per_hour,
                    1..=10_000,
                    "per_reporter_per_hour",
                )
                .unwrap_or(20) as u32,
            trust_forwarded_for: raw.trust_forwarded_for.unwrap_or(false),
        }
    }
}

/// Where the config is looked for when none is given.
pub fn default_path() -> PathBuf {
    PathBuf::from("config/banks.toml")
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_are_one_clean_line_with_short_echoes() {
        let long = "x".repeat(10_000_000);
        let e = super::ConfigError {
            path: "a\nb.toml".to_owned(),
            line: 3,
            col: 7,
            message: format!("bad URL `{long}`:\r\n  relative URL\u{1b}[31m"),
        };
        let shown = e.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.len() < 300, "{} bytes", shown.len());
        assert!(shown.starts_with("a b.toml:3:7: bad URL `xxx"), "{shown}");
        assert!(shown.contains("x…`:"), "{shown}");
        assert!(shown.ends_with("relative URL [31m"), "{shown}");
        let empty = super::ConfigError {
            message: "\r".to_owned(),
            ..e
        };
        assert_eq!(
            empty.to_string(),
            "a b.toml:3:7: this cannot be read as TOML"
        );
        let parsed = super::parse("x = \"a\nb\"", "c.toml").unwrap_err();
        assert_eq!(parsed.to_string().lines().count(), 1, "{parsed}");
        // A value the TOML parser quotes itself is cut too, and invisible characters go.
        let quoted = super::ConfigError {
            message: format!("invalid type: string \"{long}\", expected \u{202e}an integer"),
            ..empty
        };
        let shown = quoted.to_string();
        assert!(shown.len() < 200, "{} bytes", shown.len());
        assert!(shown.ends_with("x…\", expected an integer"), "{shown}");
    }
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        match parse(text, "t.toml") {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn shipped_config_is_valid() {
        let c = parse(SHIPPED, "config/banks.toml").expect("shipped config");
        assert!(c.banks.len() >= 10);
        assert!(!c.controls.is_empty());
    }

    #[test]
    fn no_input_panics() {
        let mut cut = 0;
        while cut < SHIPPED.len() {
            if SHIPPED.is_char_boundary(cut) {
                let _ = parse(&SHIPPED[..cut], "t.toml");
            }
            cut += 29;
        }
        for garbage in [
            "",
            "=",
            "\u{0}",
            "banks = 3",
            "[[banks.probes]]",
            "timezone = 5",
            "[[banks]]\nslug = \"\"\nname = {}\n",
            "[[maintenance]]\nbank = \"x\"\nchannels = []\nstarts = \"2026-02-31T25:00\"\nends = \"x\"\ntitle = {}\n",
            "[[banks]]\nslug = \"a\"\nname = { fr = \"a\" }\n[[banks.probes]]\nchannel = \"web\"\nurl = \"http://[::1\"\nexpect_status = [99999999999]\n",
            "[probing]\nmax_concurrent = -5\nmax_body_bytes = 9223372036854775807\n",
        ] {
            assert_eq!(parse(garbage, "t.toml").is_ok(), garbage.is_empty(), "{garbage:?}");
        }
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé=x", 7), (2, 4));
        assert_eq!(line_col("", 0), (1, 1));
    }

    #[test]
    fn unknown_key_is_placed() {
        let e = errors("[[banks]]\nslug = \"a\"\nname = { fr = \"A\" }\ncolour = 1\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("t.toml:"), "{e:?}");
        assert!(e[0].contains("colour"), "{e:?}");
    }

    #[test]
    fn server_limits_are_checked_together() {
        let ok = parse(
            "[server]\nheader_timeout = \"20s\"\nbody_timeout = \"30s\"\nkeepalive_timeout = \"15s\"\nmax_connections = 100\n",
            "t.toml",
        )
        .expect("valid");
        assert_eq!(ok.server.body_timeout, Duration::from_secs(30));
        assert_eq!(ok.server.keepalive_timeout, Duration::from_secs(15));
        // The keep-alive is capped at the head timeout; set longer by hand, with a warning
        // where it was set.
        let short = parse("[server]\nheader_timeout = \"2s\"\n", "t.toml").expect("valid");
        assert_eq!(short.server.keepalive_timeout, Duration::from_secs(2));
        assert!(short.warnings.is_empty());
        let long = parse(
            "[server]\nheader_timeout = \"2s\"\nkeepalive_timeout = \"3s\"\n",
            "t.toml",
        )
        .expect("valid, with a warning");
        assert_eq!(long.server.keepalive_timeout, Duration::from_secs(2));
        let warned: Vec<String> = long.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(
            warned[0].starts_with(
                "t.toml:3:21: warning: keepalive_timeout (3s) is longer than header_timeout (2s)"
            ),
            "{warned:?}"
        );
        let e = errors("[server]\nkeepalive_timeout = \"2h\"\nbody_timeout = \"0s\"\n");
        assert_eq!(e.len(), 2, "{e:?}");
    }

    #[test]
    fn email_and_alerts_are_checked() {
        let ok = parse(
            "public_url = \"https://status.example.ma\"\n[email]\nsmtp_url = \"smtp://mail.example.org:587\"\nfrom = \"bankstatus <a@example.org>\"\n[alerts]\nallow_private_targets = true\n",
            "t.toml",
        )
        .expect("valid");
        assert!(ok.email.is_some() && ok.alerts.allow_private_targets);
        assert!(parse("", "t.toml").expect("valid").email.is_none());
        let e = errors(
            "public_url = \"https://status.example.ma\"\n[email]\nsmtp_url = \"smtp://u:secret@mail.example.org\"\nfrom = \"nobody\"\n[alerts]\nsubscriptions_per_hour = 0\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:3:12: smtp_url holds a password"),
            "{e:?}"
        );
        assert!(e[1].contains("subscriptions_per_hour"), "{e:?}");
        let e = errors(
            "public_url = \"https://status.example.ma\"\n[email]\nsmtp_url = \"http://x\"\nfrom = \"nobody\"\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        let e =
            errors("[email]\nsmtp_url = \"smtp://mail.example.org\"\nfrom = \"a@example.org\"\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("[email] needs `public_url`"), "{e:?}");
        assert!(errors("[alerts]\nallow_private = true\n")[0].contains("unknown field"));
    }

    #[test]
    fn every_mistake_is_reported_with_its_place() {
        let text = r#"
[[banks]]
slug = "a"
name = { fr = "A" }
  [[banks.probes]]
  channel = "fax"
  url = "ftp://x"
  interval = "soon"

[[banks]]
slug = "a"
name = { fr = "A bis" }

[[maintenance]]
bank = "a"
channels = ["web"]
starts = "2026-02-15T18:00"
ends = "2026-02-13T16:00"
title = { fr = "x" }
"#;
        let e = errors(text);
        assert_eq!(
            e,
            vec![
                "t.toml:6:13: unknown channel `fax`; expected one of web, mobile, atm, cards, transfers, branches",
                "t.toml:7:9: bad URL `ftp://x`: only http and https URLs with a host",
                "t.toml:8:14: bad duration `soon`: expected number at 0 (write e.g. \"30s\" or \"2m\")",
                "t.toml:11:8: duplicate bank slug `a`",
                "t.toml:18:8: `ends` must be after `starts`",
            ]
        );
    }
}
