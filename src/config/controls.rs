//! `[[controls]]`: reference sites that are not banks. When they fail as well, the
//! tracker's own network is cut and the banks are not to blame.

use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::banks::DEFAULT_TIMEOUT;
use super::validator::Validator;
use crate::domain::{Bank, Expect, ProbeSpec, ProbeTarget};

/// How often a control is checked when the file does not say: more often than banks, so a
/// cut network is recognised before a bank's failure threshold is reached.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawControl {
    url: Spanned<String>,
    method: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    expect_status: Option<Spanned<Vec<Spanned<i64>>>>,
}

impl Validator<'_> {
    /// Every control, numbered in file order; a warning for each one checked too rarely to
    /// keep up with `banks`.
    pub(super) fn controls(
        &mut self,
        raw: Vec<Spanned<RawControl>>,
        banks: &[Bank],
    ) -> Vec<ProbeSpec> {
        let mut spans = Vec::new();
        let controls: Vec<ProbeSpec> = raw
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let span = c.span();
                let spec = self.control(i, c.into_inner())?;
                spans.push(span);
                Some(spec)
            })
            .collect();
        self.controls_keep_up(banks, &controls, &spans);
        controls
    }

    fn control(&mut self, index: usize, raw: RawControl) -> Option<ProbeSpec> {
        let url = self.url(&raw.url);
        let method = self.method(raw.method);
        let interval = self.duration(raw.interval, DEFAULT_INTERVAL);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn controls_take_their_defaults_and_their_mistakes_are_placed() {
        assert!(parse("", "t.toml").expect("valid").controls.is_empty());
        let c = parse("[[controls]]\nurl = \"https://c.ma\"\n", "t.toml").expect("valid");
        let control = &c.controls[0];
        assert_eq!(control.id, "control/0");
        assert_eq!(control.interval, DEFAULT_INTERVAL);
        assert_eq!(control.timeout, DEFAULT_TIMEOUT);
        assert!(!control.expect.detect_maintenance_page);
        assert_eq!(c.probe_target("control/0"), Some(&ProbeTarget::Control));
        let e = errors("[[controls]]\nurl = \"https://c.ma\"\ninterval = \"0s\"\n");
        assert_eq!(
            e,
            vec!["t.toml:3:12: duration `0s` is out of range (100ms to 1d)"]
        );
    }
}
