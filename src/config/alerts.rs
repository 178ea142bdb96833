//! `[alerts]`: which targets alerts may go to, how fast subscriptions may be made, and how
//! a failed delivery is retried.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::validator::Validator;

/// New subscriptions one client address may make in an hour, when the file does not say.
const DEFAULT_SUBSCRIPTIONS_PER_HOUR: u32 = 10;
/// Confirmations one mailbox may be sent in a day, when the file does not say.
const DEFAULT_CONFIRMATIONS_PER_MAILBOX: u32 = 3;
/// Confirmations the mailboxes of one domain may be sent in a day, when the file does not say.
const DEFAULT_CONFIRMATIONS_PER_DOMAIN: u32 = 1000;
/// The wait before a failed delivery's first retry, when the file does not say.
const DEFAULT_FIRST_RETRY: Duration = Duration::from_secs(30);

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
    /// Confirmation mails one mailbox (case and `+tag` folded) may be sent in a day; never
    /// more than one an hour.
    pub confirmations_per_mailbox: u32,
    /// Confirmation mails the mailboxes of one domain may be sent in a day.
    pub confirmations_per_domain: u32,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    allow_private_targets: Option<bool>,
    subscriptions_per_hour: Option<Spanned<i64>>,
    first_retry: Option<Spanned<String>>,
    confirmations_per_mailbox: Option<Spanned<i64>>,
    confirmations_per_domain: Option<Spanned<i64>>,
}

impl Validator<'_> {
    pub(super) fn alerts(&mut self, raw: Option<RawAlerts>) -> AlertsConfig {
        let raw = raw.unwrap_or_default();
        AlertsConfig {
            allow_private_targets: raw.allow_private_targets.unwrap_or(false),
            subscriptions_per_hour: self
                .int_in(
                    raw.subscriptions_per_hour,
                    1..=1_000_000,
                    "subscriptions_per_hour",
                )
                .map_or(DEFAULT_SUBSCRIPTIONS_PER_HOUR, |n| n as u32),
            first_retry: self.duration(raw.first_retry, DEFAULT_FIRST_RETRY),
            confirmations_per_mailbox: self
                .int_in(
                    raw.confirmations_per_mailbox,
                    1..=24,
                    "confirmations_per_mailbox",
                )
                .map_or(DEFAULT_CONFIRMATIONS_PER_MAILBOX, |n| n as u32),
            confirmations_per_domain: self
                .int_in(
                    raw.confirmations_per_domain,
                    1..=1_000_000,
                    "confirmations_per_domain",
                )
                .map_or(DEFAULT_CONFIRMATIONS_PER_DOMAIN, |n| n as u32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn alerts_take_their_defaults_and_their_mistakes_are_placed() {
        let a = parse("", "t.toml").expect("valid").alerts;
        assert!(!a.allow_private_targets);
        assert_eq!(a.subscriptions_per_hour, DEFAULT_SUBSCRIPTIONS_PER_HOUR);
        assert_eq!(a.first_retry, DEFAULT_FIRST_RETRY);
        let e = errors("[alerts]\nfirst_retry = \"later\"\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:2:15: bad duration `later`"),
            "{e:?}"
        );
    }
}
