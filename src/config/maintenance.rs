//! `[[maintenance]]`: windows a bank announced, written in local time and kept in UTC.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use super::validator::{RawNames, Validator};
use crate::domain::{Channel, Names};
use crate::timezone::{local_to_utc, parse_local};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMaintenance {
    bank: Spanned<String>,
    channels: Spanned<Vec<Spanned<String>>>,
    starts: Spanned<String>,
    ends: Spanned<String>,
    title: Spanned<RawNames>,
    source: Option<Spanned<String>>,
}

impl Validator<'_> {
    /// The windows whose every field is right; `slugs` are the banks they may name, `tz` the
    /// zone their times are written in.
    pub(super) fn maintenance(
        &mut self,
        raw: Vec<Spanned<RawMaintenance>>,
        slugs: &HashSet<String>,
        tz: Tz,
    ) -> Vec<MaintenanceDecl> {
        raw.into_iter()
            .filter_map(|m| self.window(m.into_inner(), slugs, tz))
            .collect()
    }

    fn window(
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
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use crate::config::{errors, parse};

    const BANK: &str = "[[banks]]\nslug = \"cdm\"\nname = { fr = \"CDM\" }\n";

    #[test]
    fn windows_are_read_in_local_time_and_their_mistakes_are_placed() {
        assert!(parse(BANK, "t.toml").expect("valid").maintenance.is_empty());
        let c = parse(
            &format!("{BANK}[[maintenance]]\nbank = \"cdm\"\nchannels = [\"web\"]\nstarts = \"2026-02-13T16:00\"\nends = \"2026-02-15T18:00\"\ntitle = {{ fr = \"x\" }}\n"),
            "t.toml",
        )
        .expect("valid");
        let w = &c.maintenance[0];
        // Casablanca is UTC+1 in February.
        assert_eq!(
            w.starts,
            chrono::Utc
                .with_ymd_and_hms(2026, 2, 13, 15, 0, 0)
                .single()
                .expect("a time")
        );
        assert_eq!(w.source, None);
        let e = errors(&format!(
            "{BANK}[[maintenance]]\nbank = \"cdm\"\nchannels = []\nstarts = \"13/02/2026 16h\"\nends = \"2026-02-15T18:00\"\ntitle = {{ fr = \"x\" }}\n"
        ));
        assert_eq!(
            e,
            vec![
                "t.toml:6:12: `channels` is empty",
                "t.toml:7:10: bad local time `13/02/2026 16h`; write it as YYYY-MM-DDTHH:MM, e.g. 2026-02-13T16:00",
            ]
        );
    }
}
