//! `[storage]`: how long raw checks are kept, and when failing writes make the service
//! unhealthy.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::validator::Validator;

/// Days raw probe results are kept when the file does not say.
const DEFAULT_RAW_RETENTION_DAYS: u32 = 30;
/// Long enough for a database restart, short enough that a load balancer acts the same minute.
const DEFAULT_UNHEALTHY_AFTER: Duration = Duration::from_secs(30);

/// `[storage]`.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Raw probe results older than this are deleted; roll-ups are kept.
    pub raw_retention_days: u32,
    /// `/healthz` answers 503 once writes have failed for this long.
    pub unhealthy_after: Duration,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    raw_retention_days: Option<Spanned<i64>>,
    unhealthy_after: Option<Spanned<String>>,
}

impl Validator<'_> {
    pub(super) fn storage(&mut self, raw: Option<RawStorage>) -> StorageConfig {
        let raw = raw.unwrap_or_default();
        StorageConfig {
            raw_retention_days: self
                .int_in(raw.raw_retention_days, 1..=3650, "raw_retention_days")
                .map_or(DEFAULT_RAW_RETENTION_DAYS, |n| n as u32),
            unhealthy_after: self.duration(raw.unhealthy_after, DEFAULT_UNHEALTHY_AFTER),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn storage_takes_its_defaults_and_its_mistakes_are_placed() {
        let s = parse("", "t.toml").expect("valid").storage;
        assert_eq!(s.raw_retention_days, DEFAULT_RAW_RETENTION_DAYS);
        assert_eq!(s.unhealthy_after, DEFAULT_UNHEALTHY_AFTER);
        let e = errors("[storage]\nraw_retention_days = 4000\nunhealthy_after = \"2d\"\n");
        assert_eq!(
            e,
            vec![
                "t.toml:2:22: `raw_retention_days` must be between 1 and 3650, not 4000",
                "t.toml:3:19: duration `2d` is out of range (100ms to 1d)",
            ]
        );
    }
}
