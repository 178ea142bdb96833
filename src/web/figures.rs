//! The figures people compare, as the scorecard writes them: per bank a table in the shapes
//! the RBA, the FCA and the UK Treasury Committee publish (`record/compare.rs` computes
//! them), the month-by-month line of a quarter or a year, and their CSV columns. Nothing is
//! computed here but words: durations as hours, minutes and seconds ("803:00:00", as the RBA
//! gives hours and minutes), availability through [`availability_text`].

use super::availability::availability_text;
use crate::domain::Lang;
use crate::i18n::{channel_name, duration_seconds, text, Msg};
use crate::record::compare::{Figures, SIGNIFICANT_MINUTES};
use crate::record::scorecard::{BankScore, ChannelScore};

/// The column heads of the figures' table, also each cell's label on a phone.
pub struct CompareHead {
    pub caption: String,
    pub channel: String,
    pub significant: String,
    pub unannounced: String,
    pub excluded: String,
    pub included: String,
    pub announced: String,
    pub overrun: String,
    pub median: String,
}

impl CompareHead {
    pub fn new(lang: Lang) -> CompareHead {
        let m = |id: &'static str| Msg::new(id).text(lang);
        CompareHead {
            caption: m("compare-caption"),
            channel: text(lang).channel.to_owned(),
            significant: Msg::new("compare-significant")
                .arg("minutes", SIGNIFICANT_MINUTES)
                .text(lang),
            unannounced: m("compare-unannounced"),
            excluded: m("compare-excluded"),
            included: m("compare-included"),
            announced: m("compare-announced"),
            overrun: m("compare-overrun"),
            median: m("compare-median"),
        }
    }
}

/// One row: a channel, or the bank over its channels.
pub struct CompareRow {
    pub name: String,
    pub significant: usize,
    pub unannounced: String,
    pub excluded: String,
    pub included: String,
    pub announced: String,
    pub overrun: String,
    pub median: String,
}

impl CompareRow {
    fn new(name: String, f: &Figures, lang: Lang) -> CompareRow {
        CompareRow {
            name,
            significant: f.significant_outages,
            unannounced: clock(f.unannounced_seconds),
            excluded: availability_text(&f.service_availability, lang),
            included: availability_text(&f.availability, lang),
            announced: clock(f.announced_seconds),
            overrun: clock(f.overrun_seconds),
            median: f
                .median_recovery_seconds
                .map_or_else(|| "–".to_owned(), |s| duration_seconds(s, lang)),
        }
    }
}

/// The bank's channels' rows, and its own.
pub fn compare_rows(b: &BankScore, lang: Lang) -> (Vec<CompareRow>, CompareRow) {
    let channels = b
        .channels
        .iter()
        .map(|c| CompareRow::new(channel_name(c.channel, lang).to_owned(), &c.figures, lang))
        .collect();
    let total = CompareRow::new(text(lang).all_channels.to_owned(), &b.figures, lang);
    (channels, total)
}

/// The month-by-month table's heads.
pub struct MonthHead {
    pub caption: String,
    pub month: String,
    pub significant: String,
    pub unannounced: String,
    pub announced: String,
    pub overrun: String,
    pub total: String,
}

impl MonthHead {
    pub fn new(lang: Lang) -> MonthHead {
        let m = |id: &'static str| Msg::new(id).text(lang);
        // Short heads, the unit in the caption: five columns that fit 360 px.
        MonthHead {
            caption: m("by-month-caption"),
            month: m("by-month-month"),
            significant: Msg::new("by-month-significant")
                .arg("minutes", SIGNIFICANT_MINUTES)
                .text(lang),
            unannounced: m("by-month-unannounced"),
            announced: m("by-month-announced"),
            overrun: m("by-month-overrun"),
            total: m("by-month-total"),
        }
    }
}

/// One month of a bank, or the period's total below them.
pub struct MonthRow {
    /// `YYYY-MM`, the month's own scorecard; empty for the total.
    pub month: String,
    pub significant: usize,
    pub unannounced: String,
    pub announced: String,
    pub overrun: String,
}

/// A quarter's or a year's months for one bank, and the period's total, which is their sum.
pub fn month_rows(b: &BankScore) -> (Vec<MonthRow>, MonthRow) {
    let months = b
        .months
        .iter()
        .map(|m| MonthRow {
            month: m.month.clone(),
            significant: m.significant_outages,
            unannounced: clock(m.unannounced_seconds),
            announced: clock(m.announced_seconds),
            overrun: clock(m.overrun_seconds),
        })
        .collect();
    let f = &b.figures;
    let total = MonthRow {
        month: String::new(),
        significant: f.significant_outages,
        unannounced: clock(f.unannounced_seconds),
        announced: clock(f.announced_seconds),
        overrun: clock(f.overrun_seconds),
    };
    (months, total)
}

/// The CSV's columns of these figures, after the scorecard's own.
pub const CSV_HEADER: [&str; 10] = [
    "significant_outages",
    "monitored_seconds",
    "available_seconds",
    "maintenance_monitored_seconds",
    "availability_maintenance_excluded_percent",
    "median_recovery_seconds",
    "bank_significant_outages",
    "bank_unannounced_seconds",
    "bank_announced_seconds",
    "bank_overrun_seconds",
];

/// A channel's row of those columns; the bank's figures repeated on each of its rows.
pub fn csv_fields(b: &BankScore, c: &ChannelScore) -> [String; 10] {
    let f = &c.figures;
    [
        f.significant_outages.to_string(),
        c.tally.monitored_seconds.to_string(),
        c.tally.available_seconds.to_string(),
        c.tally.maintenance_monitored_seconds.to_string(),
        f.service_availability
            .percent
            .map(|p| format!("{p:.2}"))
            .unwrap_or_default(),
        f.median_recovery_seconds
            .map(|s| s.to_string())
            .unwrap_or_default(),
        b.figures.significant_outages.to_string(),
        b.figures.unannounced_seconds.to_string(),
        b.figures.announced_seconds.to_string(),
        b.figures.overrun_seconds.to_string(),
    ]
}

/// Seconds as hours, minutes and seconds, the hours unbounded: `803:00:00`, `0:00:41`.
pub fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_as_the_rba_writes_them_with_the_seconds() {
        assert_eq!(clock(0), "0:00:00");
        assert_eq!(clock(41), "0:00:41");
        assert_eq!(clock(803 * 3600), "803:00:00");
        assert_eq!(clock(5 * 3600 + 46 * 60 + 7), "5:46:07");
    }

    #[test]
    fn every_head_is_in_every_language() {
        for lang in Lang::ALL {
            let h = CompareHead::new(lang);
            for words in [
                &h.caption,
                &h.significant,
                &h.unannounced,
                &h.excluded,
                &h.included,
                &h.announced,
                &h.overrun,
                &h.median,
            ] {
                assert!(!words.starts_with("compare-"), "{lang:?}: {words}");
            }
            assert!(h.significant.contains("30"), "{}", h.significant);
            let m = MonthHead::new(lang);
            for words in [
                &m.caption,
                &m.month,
                &m.significant,
                &m.unannounced,
                &m.announced,
                &m.overrun,
                &m.total,
            ] {
                assert!(
                    !words.starts_with("by-month") && !words.starts_with("score-"),
                    "{lang:?}: {words}"
                );
            }
        }
    }
}
