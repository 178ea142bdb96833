//! The collector of config mistakes: every check records its mistake with the place it was
//! made and goes on with a default, so one run of `check-config` lists them all, each as
//! `file:line:col`. The checks shared by several sections (names, URLs, durations, numbers
//! in range, methods and statuses) live here; each section's own checks live in its file.

use std::ffi::OsString;
use std::ops::{Range, RangeInclusive};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::errors::{line_col, ConfigError, ConfigErrors};
use crate::domain::Names;

/// Collects mistakes and warnings while a raw config becomes a typed one.
pub(super) struct Validator<'a> {
    /// The file's text, to turn byte spans into lines and columns.
    text: &'a str,
    /// The file's name as errors show it.
    pub(super) path: &'a str,
    /// Looks up an environment variable: the process's own, or a test's.
    pub(super) env: Env<'a>,
    errors: Vec<ConfigError>,
    warnings: Vec<ConfigError>,
}

/// How a validator reads the environment (the secrets some sections name, never store).
pub(super) type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// A text in the three languages as written, before blanks are dropped.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNames {
    ar: Option<String>,
    fr: Option<String>,
    en: Option<String>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(text: &'a str, path: &'a str, env: Env<'a>) -> Self {
        Validator {
            text,
            path,
            env,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The warnings in file order when nothing was wrong, else every error in file order.
    pub(super) fn finish(mut self) -> Result<Vec<ConfigError>, ConfigErrors> {
        if self.errors.is_empty() {
            self.warnings.sort_by_key(|e| (e.line, e.col));
            Ok(self.warnings)
        } else {
            self.errors.sort_by_key(|e| (e.line, e.col));
            Err(ConfigErrors(self.errors))
        }
    }
}

impl Validator<'_> {
    pub(super) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let e = self.placed(span, message.into());
        self.errors.push(e);
    }

    /// What is allowed but likely a mistake: shown, never refused.
    pub(super) fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
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

    /// Names in ar, fr and en, trimmed, blanks dropped; at least one is required.
    pub(super) fn names(&mut self, raw: Spanned<RawNames>, what: &str) -> Names {
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

    /// An http or https URL with a host.
    pub(super) fn url(&mut self, raw: &Spanned<String>) -> Option<String> {
        match reqwest::Url::parse(raw.get_ref()) {
            Ok(_) => match crate::domain::web_url(raw.get_ref()) {
                Some(u) => Some(u),
                None => {
                    self.error(
                        raw.span(),
                        format!(
                            "bad URL `{}`: only http and https URLs with a host",
                            raw.get_ref().escape_debug()
                        ),
                    );
                    None
                }
            },
            Err(e) => {
                self.error(
                    raw.span(),
                    format!("bad URL `{}`: {e}", raw.get_ref().escape_debug()),
                );
                None
            }
        }
    }

    /// A humantime duration from 100 ms to a day, or `default` when absent or wrong.
    pub(super) fn duration(&mut self, raw: Option<Spanned<String>>, default: Duration) -> Duration {
        self.duration_in(
            raw,
            default,
            Duration::from_millis(100)..=Duration::from_secs(86_400),
        )
    }

    /// A humantime duration within `range`, or `default` when absent or wrong.
    pub(super) fn duration_in(
        &mut self,
        raw: Option<Spanned<String>>,
        default: Duration,
        range: RangeInclusive<Duration>,
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

    /// An integer within `range`; `None` when absent or out of range (the caller applies its
    /// default).
    pub(super) fn int_in(
        &mut self,
        raw: Option<Spanned<i64>>,
        range: RangeInclusive<i64>,
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

    /// A list of non-empty texts.
    pub(super) fn texts(
        &mut self,
        raw: Option<Spanned<Vec<Spanned<String>>>>,
        what: &str,
    ) -> Vec<String> {
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

    /// The HTTP method of a check, upper-cased; GET when absent or unsupported.
    pub(super) fn method(&mut self, raw: Option<Spanned<String>>) -> String {
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

    /// The HTTP statuses a check accepts; `None` (any 2xx or 3xx) when absent.
    pub(super) fn statuses(&mut self, raw: Option<Spanned<Vec<Spanned<i64>>>>) -> Option<Vec<u16>> {
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
}

/// A bound as one writes it: whole days as "365d", not "11months 30days 3h 50m 24s".
pub(super) fn whole(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 86_400 && secs.is_multiple_of(86_400) && d.subsec_nanos() == 0 {
        format!("{}d", secs / 86_400)
    } else {
        humantime::format_duration(d).to_string()
    }
}

/// A slug of the public contract: 1 to 32 characters among a-z, 0-9 and -.
pub(super) fn slug_ok(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 32
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
