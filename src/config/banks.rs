//! `[[banks]]` and their `[[banks.probes]]`: slugs, names, websites, and each probe's
//! channel, URL, timing, thresholds and what its answer must show.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::validator::{slug_ok, RawNames, Validator};
use crate::domain::expect::DEFAULT_TLS_WARNING;
use crate::domain::{Bank, Channel, Expect, JsonCheck, Pattern, ProbeSpec, ProbeTarget, Redirects};

/// How often a probe checks when the file does not say.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// How long a whole check (body included) may take when the file does not say; controls
/// use the same.
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Failing checks in a row before an automatic outage opens.
const DEFAULT_FAILURES: u32 = 3;
/// Passing checks in a row before an automatic outage resolves.
const DEFAULT_SUCCESSES: u32 = 2;
/// The longest a certificate warning may look ahead.
const MAX_TLS_WARNING: Duration = Duration::from_secs(365 * 86_400);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBank {
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

impl Validator<'_> {
    /// Every bank, and the slugs that are well formed and unique (what `[[maintenance]]`
    /// may name).
    pub(super) fn banks(&mut self, raw: Vec<Spanned<RawBank>>) -> (Vec<Bank>, HashSet<String>) {
        let mut slugs = HashSet::new();
        let banks = raw
            .into_iter()
            .map(|bank| self.bank(bank.into_inner(), &mut slugs))
            .collect();
        (banks, slugs)
    }

    /// A bank with no probe is valid: crowd reports and operators can still speak of it.
    fn bank(&mut self, raw: RawBank, slugs: &mut HashSet<String>) -> Bank {
        let slug = raw.slug.get_ref().clone();
        if !slug_ok(&slug) {
            self.error(
                raw.slug.span(),
                format!("bad bank slug `{slug}`: use 1 to 32 characters among a-z, 0-9 and -"),
            );
        } else if !slugs.insert(slug.clone()) {
            self.error(raw.slug.span(), format!("duplicate bank slug `{slug}`"));
        }
        let names = self.names(raw.name, "name");
        let website = raw.website.and_then(|w| self.url(&w));
        let probes = raw
            .probes
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| self.probe(&slug, i, p))
            .collect();
        Bank {
            slug,
            names,
            website,
            probes,
        }
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
                Duration::ZERO..=MAX_TLS_WARNING,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn unknown_key_is_placed() {
        let e = errors("[[banks]]\nslug = \"a\"\nname = { fr = \"A\" }\ncolour = 1\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("t.toml:"), "{e:?}");
        assert!(e[0].contains("colour"), "{e:?}");
    }

    #[test]
    fn a_probe_takes_its_defaults_and_its_mistakes_are_placed() {
        let c = parse(
            "[[banks]]\nslug = \"a\"\nname = { fr = \"A\" }\n[[banks.probes]]\nchannel = \"web\"\nurl = \"https://a.ma\"\n",
            "t.toml",
        )
        .expect("valid");
        let p = &c.banks[0].probes[0];
        assert_eq!(p.id, "a/web/0");
        assert_eq!(p.method, "GET");
        assert_eq!(p.interval, DEFAULT_INTERVAL);
        assert_eq!(p.timeout, DEFAULT_TIMEOUT);
        assert_eq!(p.failures_before_outage, DEFAULT_FAILURES);
        assert_eq!(p.successes_before_recovery, DEFAULT_SUCCESSES);
        assert_eq!(p.expect_status, None);
        assert!(p.expect.detect_maintenance_page);
        assert_eq!(p.expect.tls_expiry_warning, DEFAULT_TLS_WARNING);
        let e = errors(
            "[[banks]]\nslug = \"a\"\nname = { fr = \"A\" }\n[[banks.probes]]\nchannel = \"web\"\nurl = \"https://a.ma\"\nmethod = \"DELETE\"\nexpect_status = [200, 700]\n",
        );
        assert_eq!(
            e,
            vec![
                "t.toml:7:10: unsupported method `DELETE`; use GET, HEAD, POST or OPTIONS",
                "t.toml:8:23: `700` is not an HTTP status (100 to 599)",
            ]
        );
    }

    #[test]
    fn names_need_one_language() {
        let e = errors("[[banks]]\nslug = \"a\"\nname = { fr = \" \" }\n");
        assert_eq!(
            e,
            vec!["t.toml:3:8: `name` needs at least one of ar, fr, en"]
        );
    }
}
