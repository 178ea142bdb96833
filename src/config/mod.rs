//! The TOML config file: raw types that keep source spans, then validation into the typed
//! [`Config`], reporting every mistake as `PATH:LINE:COL: message`.
//!
//! Where each part lives: this module reads the file and assembles the sections; `errors`
//! shows a mistake on one line; `validator` collects mistakes and holds the checks several
//! sections share; each section has its own file with its raw and typed structs, its
//! checks, its defaults and its tests (`banks` with their probes, `controls`,
//! `maintenance`, `cities`, `operators`, `reports`, `email`, `alerts`, `storage`, `server`, `probing`, `dns`, `log`).

mod alerts;
mod banks;
mod cities;
mod controls;
mod dns;
mod email;
mod errors;
mod log;
mod maintenance;
mod operators;
mod probing;
mod reports;
mod server;
mod storage;
mod validator;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

pub use alerts::AlertsConfig;
pub use dns::DnsConfig;
pub use email::EmailConfig;
pub use errors::{ConfigError, ConfigErrors};
pub use log::{origin_ok, LogConfig};
pub use maintenance::MaintenanceDecl;
pub use operators::{token_weakness, OperatorDecl, OperatorToken};
pub use probing::ProbingConfig;
pub use reports::ReportsConfig;
pub use server::ServerConfig;
pub use storage::StorageConfig;

use crate::domain::{Bank, City, Lang, ProbeSpec, ProbeTarget};
use errors::line_col;
use validator::{Env, Validator};

/// The shipped config, compiled in so `demo` runs from the binary alone.
pub const SHIPPED: &str = include_str!("../../config/banks.toml");

/// The zone local times are written in when the file does not say.
const DEFAULT_TIMEZONE: Tz = chrono_tz::Africa::Casablanca;
/// The language of a visitor who states none, when the file does not say.
const DEFAULT_LANGUAGE: Lang = Lang::Ar;

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
    /// The cities a reporter may choose, in file order.
    pub cities: Vec<City>,
    /// The operators besides `BANKSTATUS_ADMIN_TOKEN`, in file order.
    pub operators: Vec<OperatorDecl>,
    pub reports: ReportsConfig,
    pub storage: StorageConfig,
    pub probing: ProbingConfig,
    pub server: ServerConfig,
    /// SMTP for email alerts; without it, email is not offered.
    pub email: Option<EmailConfig>,
    pub alerts: AlertsConfig,
    /// The name servers probes and alerts resolve through, and the target check's bounds.
    pub dns: DnsConfig,
    /// The log of published facts: origin, key, checkpoints.
    pub log: LogConfig,
    /// What each probe id watches, for checking agents' results without a scan.
    targets: HashMap<String, ProbeTarget>,
    /// What is allowed but likely a mistake, with its place; `check-config` and `serve`
    /// print these.
    pub warnings: Vec<ConfigError>,
}

impl Config {
    pub fn bank(&self, slug: &str) -> Option<&Bank> {
        self.banks.iter().find(|b| b.slug == slug)
    }

    /// The city `slug` names, if the config lists it.
    pub fn city(&self, slug: &str) -> Option<&City> {
        self.cities.iter().find(|c| c.slug == slug)
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
            "{} banks, {} probes, {} controls, {} maintenance windows, {} cities, {} operators, timezone {}",
            self.banks.len(),
            self.banks.iter().map(|b| b.probes.len()).sum::<usize>(),
            self.controls.len(),
            self.maintenance.len(),
            self.cities.len(),
            self.operators.len(),
            self.timezone
        )
    }
}

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

/// Parses and validates config text; `path` only names it in errors. Tokens named by
/// `token_env` are checked in this process's environment.
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigErrors> {
    parse_in(text, path, &|name| std::env::var_os(name))
}

/// [`parse`], with the environment `env` gives.
fn parse_in(text: &str, path: &str, env: Env<'_>) -> Result<Config, ConfigErrors> {
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
    let mut v = Validator::new(text, path, env);
    let mut config = v.config(raw);
    config.warnings = v.finish()?;
    Ok(config)
}

/// Where the config is looked for when none is given.
pub fn default_path() -> PathBuf {
    PathBuf::from("config/banks.toml")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    timezone: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    default_language: Option<Spanned<String>>,
    #[serde(default)]
    banks: Vec<Spanned<banks::RawBank>>,
    #[serde(default)]
    maintenance: Vec<Spanned<maintenance::RawMaintenance>>,
    #[serde(default)]
    controls: Vec<Spanned<controls::RawControl>>,
    #[serde(default)]
    cities: Vec<cities::RawCity>,
    #[serde(default)]
    operators: Vec<Spanned<operators::RawOperator>>,
    reports: Option<reports::RawReports>,
    storage: Option<storage::RawStorage>,
    probing: Option<probing::RawProbing>,
    server: Option<server::RawServer>,
    email: Option<Spanned<email::RawEmail>>,
    alerts: Option<alerts::RawAlerts>,
    dns: Option<dns::RawDns>,
    log: Option<log::RawLog>,
}

impl Validator<'_> {
    /// Every section checked, in the order later ones depend on earlier ones (maintenance
    /// names banks; controls keep up with banks).
    fn config(&mut self, raw: RawConfig) -> Config {
        let timezone = self.timezone(raw.timezone.as_ref());
        let default_language = self.default_language(raw.default_language.as_ref());
        let (banks, slugs) = self.banks(raw.banks);
        let controls = self.controls(raw.controls, &banks);
        let maintenance = self.maintenance(raw.maintenance, &slugs, timezone);
        let cities = self.cities(raw.cities);
        let operators = self.operators(raw.operators);
        self.env_tokens();
        let reports = self.reports(raw.reports);
        let email = self.email(raw.email, raw.public_url.is_some());
        let alerts = self.alerts(raw.alerts);
        let dns = self.dns(raw.dns);
        let public_url = raw
            .public_url
            .and_then(|u| self.url(&u))
            .map(|u| u.trim_end_matches('/').to_owned());
        let log = self.log(raw.log, public_url.as_deref());
        let storage = self.storage(raw.storage);
        let probing = self.probing(raw.probing);
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
            cities,
            operators,
            reports,
            storage,
            probing,
            server,
            email,
            alerts,
            dns,
            log,
            targets,
            warnings: Vec::new(),
        }
    }

    fn timezone(&mut self, raw: Option<&Spanned<String>>) -> Tz {
        let Some(tz) = raw else {
            return DEFAULT_TIMEZONE;
        };
        tz.get_ref().parse::<Tz>().unwrap_or_else(|_| {
            self.error(
                tz.span(),
                format!(
                    "unknown time zone `{}`; use a tz database name such as Africa/Casablanca",
                    tz.get_ref()
                ),
            );
            DEFAULT_TIMEZONE
        })
    }

    fn default_language(&mut self, raw: Option<&Spanned<String>>) -> Lang {
        let Some(l) = raw else {
            return DEFAULT_LANGUAGE;
        };
        l.get_ref().parse().unwrap_or_else(|e: String| {
            self.error(l.span(), e);
            DEFAULT_LANGUAGE
        })
    }
}

/// Each mistake `text` holds, as shown, for the sections' tests.
#[cfg(test)]
fn errors(text: &str) -> Vec<String> {
    match parse(text, "t.toml") {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn top_level_keys_take_their_defaults_and_their_mistakes_are_placed() {
        let c = parse("", "t.toml").expect("valid");
        assert_eq!(c.timezone, DEFAULT_TIMEZONE);
        assert_eq!(c.default_language, DEFAULT_LANGUAGE);
        assert_eq!(c.public_url, None);
        let c = parse("public_url = \"https://status.example.ma/\"\n", "t.toml").expect("valid");
        assert_eq!(c.public_url.as_deref(), Some("https://status.example.ma"));
        let e = errors("timezone = \"GMT+1\"\ndefault_language = \"es\"\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:1:12: unknown time zone `GMT+1`"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("t.toml:2:20: unknown language `es`"),
            "{e:?}"
        );
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
