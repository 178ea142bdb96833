//! `[probing]`: limits on checks in flight and bodies read, the region this instance probes
//! from, the quorum of regions, an extra CA, reopening, and maintenance phrases.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::errors::io_words;
use super::validator::Validator;

/// Checks in flight at once, across all probes, when the file does not say.
const DEFAULT_MAX_CONCURRENT: usize = 256;
/// Bytes of a body read when the file does not say.
const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
/// The vantage point's name when the file does not say.
const DEFAULT_REGION: &str = "local";
/// Regions that must see an outage when the file does not say.
const DEFAULT_QUORUM: usize = 2;
/// How soon a failure after a resolution reopens the incident, when the file does not say.
const DEFAULT_REOPEN_WITHIN: Duration = Duration::from_secs(30 * 60);
/// How long a channel's changes count towards making it unstable.
const UNSTABLE_WITHIN: Duration = Duration::from_secs(10 * 60);
/// The longest `reopen_within` may be.
const MAX_REOPEN_WITHIN: Duration = Duration::from_secs(7 * 86_400);
/// The shortest maintenance phrase: shorter ones would match ordinary pages.
const MIN_PHRASE_CHARS: usize = 4;

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
    /// A channel whose probes went down or came back more than 3 times within this long
    /// is unstable. Not in the file: ten minutes, but in the demo, whose clock is
    /// compressed.
    pub unstable_within: Duration,
    /// The phrases that show a maintenance page: the built-in list and the config's own.
    pub maintenance_phrases: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProbing {
    max_concurrent: Option<Spanned<i64>>,
    max_body_bytes: Option<Spanned<i64>>,
    region: Option<Spanned<String>>,
    quorum: Option<Spanned<i64>>,
    ca_file: Option<Spanned<String>>,
    reopen_within: Option<Spanned<String>>,
    maintenance_phrases: Option<Spanned<Vec<Spanned<String>>>>,
}

impl Validator<'_> {
    pub(super) fn probing(&mut self, raw: Option<RawProbing>) -> ProbingConfig {
        let raw = raw.unwrap_or_default();
        let ca_pem = raw.ca_file.and_then(|f| self.ca_file(&f));
        let reopen_within = self.duration_in(
            raw.reopen_within,
            DEFAULT_REOPEN_WITHIN,
            Duration::ZERO..=MAX_REOPEN_WITHIN,
        );
        let maintenance_phrases = self.phrases(raw.maintenance_phrases);
        let region = match raw.region {
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
            None => DEFAULT_REGION.to_owned(),
        };
        ProbingConfig {
            max_concurrent: self
                .int_in(raw.max_concurrent, 1..=100_000, "max_concurrent")
                .map_or(DEFAULT_MAX_CONCURRENT, |n| n as usize),
            max_body_bytes: self
                .int_in(raw.max_body_bytes, 1..=64 * 1024 * 1024, "max_body_bytes")
                .map_or(DEFAULT_MAX_BODY_BYTES, |n| n as usize),
            region,
            quorum: self
                .int_in(raw.quorum, 1..=100, "quorum")
                .map_or(DEFAULT_QUORUM, |n| n as usize),
            ca_pem,
            reopen_within,
            unstable_within: UNSTABLE_WITHIN,
            maintenance_phrases,
        }
    }

    /// The built-in maintenance phrases and the file's own, trimmed.
    fn phrases(&mut self, raw: Option<Spanned<Vec<Spanned<String>>>>) -> Vec<String> {
        let mut phrases = crate::probe::maintenance::builtin_phrases();
        for phrase in raw.map(Spanned::into_inner).unwrap_or_default() {
            let cleaned = phrase.get_ref().trim();
            if cleaned.chars().count() < MIN_PHRASE_CHARS {
                self.error(
                    phrase.span(),
                    "a maintenance phrase needs at least 4 characters",
                );
            } else {
                phrases.push(cleaned.to_owned());
            }
        }
        phrases
    }

    /// The PEM file of `ca_file`, checked to hold a certificate; a relative path is read
    /// from the config file's directory.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn probing_takes_its_defaults_and_its_mistakes_are_placed() {
        let p = parse("", "t.toml").expect("valid").probing;
        assert_eq!(p.max_concurrent, DEFAULT_MAX_CONCURRENT);
        assert_eq!(p.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert_eq!(p.region, DEFAULT_REGION);
        assert_eq!(p.quorum, DEFAULT_QUORUM);
        assert_eq!(p.reopen_within, DEFAULT_REOPEN_WITHIN);
        assert!(p.ca_pem.is_none());
        assert_eq!(
            p.maintenance_phrases,
            crate::probe::maintenance::builtin_phrases()
        );
        let p = parse(
            "[probing]\nmaintenance_phrases = [\"  travaux en cours \"]\n",
            "t.toml",
        )
        .expect("valid");
        assert_eq!(
            p.probing.maintenance_phrases.last().map(String::as_str),
            Some("travaux en cours")
        );
        let e = errors("[probing]\nmax_body_bytes = 0\nmaintenance_phrases = [\"ok\", \" x \"]\n");
        assert_eq!(
            e,
            vec![
                "t.toml:2:18: `max_body_bytes` must be between 1 and 67108864, not 0",
                "t.toml:3:24: a maintenance phrase needs at least 4 characters",
                "t.toml:3:30: a maintenance phrase needs at least 4 characters",
            ]
        );
    }
}
