//! The bank's word against what happened: how long it stayed silent after an outage began,
//! the return time it promised and whether it kept it, and the month's figures of both.
//! Pure functions of incidents, statements and `now`; every page, feed and figure that
//! speaks of a promise or a silence calls these.
//!
//! - [`verdict`]: a promise against the resolution (pending, overdue, kept, missed);
//! - [`promise_for`], [`back_at`], [`bank_word`]: what the pages say now;
//! - [`month_figures`]: the scorecard's figures of a bank's month, from the logged
//!   statements said since [`SAID_BEFORE`] before it;
//! - [`method`]: how those figures are computed, in the catalogue's words.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::spans::{minutes, Spans};
use crate::domain::Statement;
use crate::i18n::Msg;
use crate::store::{IncidentRow, OutageSpan};

/// A promised return time against what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not yet due, not yet back.
    Pending,
    /// Past the promised time and still not back: by how long, now.
    Overdue { late: Duration },
    /// Back at or before the promised time.
    Kept { back_at: DateTime<Utc> },
    /// Back, after the promised time: by how long.
    Missed {
        back_at: DateTime<Utc>,
        late: Duration,
    },
}

/// The promise `promised` against `back_at` (the return, if it came) at `now`.
pub fn verdict(
    promised: DateTime<Utc>,
    back_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Verdict {
    match back_at {
        Some(b) if b <= promised => Verdict::Kept { back_at: b },
        Some(b) => Verdict::Missed {
            back_at: b,
            late: b - promised,
        },
        None if now > promised => Verdict::Overdue {
            late: now - promised,
        },
        None => Verdict::Pending,
    }
}

/// When everything `s` speaks of was back: the last resolution of its incidents, or `None`
/// while one of them is open (or none is known).
pub fn back_at(s: &Statement, incidents: &[IncidentRow]) -> Option<DateTime<Utc>> {
    let mine: Vec<&IncidentRow> = incidents
        .iter()
        .filter(|i| s.incidents.contains(&i.id))
        .collect();
    if mine.is_empty() {
        return None;
    }
    mine.iter()
        .map(|i| i.resolved_at)
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .max()
}

/// The return time the bank last promised for `incident`: the promise of the latest said
/// statement about it that gave one. A later statement without a time does not withdraw it.
pub fn promise_for(incident: i64, statements: &[Statement]) -> Option<DateTime<Utc>> {
    statements
        .iter()
        .filter(|s| s.incidents.contains(&incident))
        .filter_map(|s| s.expected_back_at.map(|t| (s.said_at, s.id, t)))
        .max()
        .map(|(_, _, t)| t)
}

/// What a bank has said about its outages open now.
#[derive(Debug, Clone, PartialEq)]
pub struct BankWord<'a> {
    /// The start of its earliest open outage: the silence is counted from here.
    pub since: DateTime<Utc>,
    /// Since when it has been down: the earliest start of its open outages' open spans
    /// (`OpenSpans::since`), the "since" the bank's card says as its page does.
    pub down_since: DateTime<Utc>,
    /// Its latest statement about any of them, if it said anything.
    pub latest: Option<&'a Statement>,
    /// Its latest promise about any of them.
    pub promise: Option<DateTime<Utc>>,
}

/// The word of `bank` on its open outages among `open` (incidents of any bank and kind), from
/// `statements`; `None` when it has no open outage.
pub fn bank_word<'a>(
    bank: &str,
    open: &[IncidentRow],
    statements: &'a [Statement],
) -> Option<BankWord<'a>> {
    let outages: Vec<&IncidentRow> = open
        .iter()
        .filter(|i| {
            i.kind == crate::domain::IncidentKind::Outage
                && i.resolved_at.is_none()
                && i.scopes.iter().any(|(b, _)| b == bank)
        })
        .collect();
    let since = outages.iter().map(|i| i.started_at).min()?;
    let down_since = outages.iter().map(|i| i.account().since()).min()?;
    let about: Vec<&'a Statement> = statements
        .iter()
        .filter(|s| s.bank == bank && outages.iter().any(|i| s.incidents.contains(&i.id)))
        .collect();
    let latest = about.iter().copied().max_by_key(|s| (s.said_at, s.id));
    let promise = about
        .iter()
        .filter_map(|s| s.expected_back_at.map(|t| (s.said_at, s.id, t)))
        .max()
        .map(|(_, _, t)| t);
    Some(BankWord {
        since,
        down_since,
        latest,
        promise,
    })
}

/// One outage's first word: when it began and when the bank first spoke of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstWord {
    pub incident_id: i64,
    pub started_at: DateTime<Utc>,
    /// `None`: not a word yet.
    pub first_word_at: Option<DateTime<Utc>>,
    /// From the start to the first word, never below zero.
    pub seconds: Option<i64>,
}

/// A bank's month: its outages against its statements and promises.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WordFigures {
    /// Outages that began in the month.
    pub outages: usize,
    pub outages_with_statement: usize,
    pub outages_without_statement: usize,
    /// Each of them, in the order they began.
    pub first_words: Vec<FirstWord>,
    /// The median of the outages' times to a first word, over those that had one.
    pub median_first_word_seconds: Option<i64>,
    pub median_first_word_minutes: Option<i64>,
    /// Statements that gave a return time, about those outages.
    pub promises: usize,
    pub promises_kept: usize,
    pub promises_missed: usize,
    /// Each minute past a promised time that had not been kept, counted once however many
    /// promises were broken then.
    pub minutes_past_promises: i64,
    pub seconds_past_promises: i64,
}

/// One outage as a whole: its first start and its last end (`None` while open).
struct Outage {
    id: i64,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
}

/// The outages of `bank` among `spans` (a reopened incident stands in several), as wholes.
fn outages_of(bank: &str, spans: &[OutageSpan]) -> Vec<Outage> {
    let mut by_id: BTreeMap<i64, Outage> = BTreeMap::new();
    let mut open: BTreeSet<i64> = BTreeSet::new();
    for s in spans.iter().filter(|s| s.bank == bank) {
        if s.resolved_at.is_none() {
            open.insert(s.incident_id);
        }
        let o = by_id.entry(s.incident_id).or_insert(Outage {
            id: s.incident_id,
            start: s.started_at,
            end: s.resolved_at,
        });
        o.start = o.start.min(s.started_at);
        o.end = o.end.max(s.resolved_at);
    }
    let mut out: Vec<Outage> = by_id
        .into_values()
        .map(|mut o| {
            if open.contains(&o.id) {
                o.end = None;
            }
            o
        })
        .collect();
    out.sort_by_key(|o| (o.start, o.id));
    out
}

/// The figures of `bank` for the outages that began in `[from, to)`, from the outage spans
/// around it and the bank's statements.
pub fn month_figures(
    bank: &str,
    spans: &[OutageSpan],
    statements: &[Statement],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> WordFigures {
    let all = outages_of(bank, spans);
    let mine: Vec<&Outage> = all
        .iter()
        .filter(|o| o.start >= from && o.start < to)
        .collect();
    let said: Vec<&Statement> = statements.iter().filter(|s| s.bank == bank).collect();
    let mut f = WordFigures {
        outages: mine.len(),
        ..WordFigures::default()
    };
    let mut delays = Vec::new();
    for o in &mine {
        let first = said
            .iter()
            .filter(|s| s.incidents.contains(&o.id))
            .map(|s| s.said_at)
            .min();
        let seconds = first.map(|t| (t - o.start).num_seconds().max(0));
        if let Some(s) = seconds {
            delays.push(s);
            f.outages_with_statement += 1;
        }
        f.first_words.push(FirstWord {
            incident_id: o.id,
            started_at: o.start,
            first_word_at: first,
            seconds,
        });
    }
    f.outages_without_statement = f.outages - f.outages_with_statement;
    f.median_first_word_seconds = median(&mut delays);
    f.median_first_word_minutes = f.median_first_word_seconds.map(|s| minutes(s * 1000));
    let mut past = Vec::new();
    for s in said.iter().filter(|s| s.expected_back_at.is_some()) {
        // A promise counts in the month its earliest outage began.
        let outages: Vec<&Outage> = all.iter().filter(|o| s.incidents.contains(&o.id)).collect();
        let Some(earliest) = outages.iter().map(|o| o.start).min() else {
            continue;
        };
        if earliest < from || earliest >= to {
            continue;
        }
        let Some(promised) = s.expected_back_at else {
            continue;
        };
        let back = outages
            .iter()
            .map(|o| o.end)
            .collect::<Option<Vec<_>>>()
            .and_then(|ends| ends.into_iter().max());
        f.promises += 1;
        match verdict(promised, back, now) {
            Verdict::Kept { .. } => f.promises_kept += 1,
            Verdict::Missed { back_at, .. } => {
                f.promises_missed += 1;
                past.push((promised.timestamp_millis(), back_at.timestamp_millis()));
            }
            Verdict::Overdue { .. } => {
                past.push((promised.timestamp_millis(), now.timestamp_millis()));
            }
            Verdict::Pending => {}
        }
    }
    let past = Spans::of(past).total();
    f.minutes_past_promises = minutes(past);
    f.seconds_past_promises = past / 1000;
    f
}

/// The scorecard CSV's columns of these figures: the bank's, repeated on each of its rows.
pub const CSV_HEADER: [&str; 8] = [
    "bank_outages_begun",
    "bank_outages_with_statement",
    "bank_outages_without_statement",
    "bank_median_first_word_minutes",
    "bank_promises",
    "bank_promises_kept",
    "bank_promises_missed",
    "bank_minutes_past_promises",
];

impl WordFigures {
    /// The values of [`CSV_HEADER`]; an empty cell is no figure.
    pub fn csv_fields(&self) -> [String; 8] {
        [
            self.outages.to_string(),
            self.outages_with_statement.to_string(),
            self.outages_without_statement.to_string(),
            self.median_first_word_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            self.promises.to_string(),
            self.promises_kept.to_string(),
            self.promises_missed.to_string(),
            self.minutes_past_promises.to_string(),
        ]
    }
}

fn median(v: &mut [i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

/// Statements said this long before a month began still count for its outages: the
/// operator may tie a statement to an outage the bank warned of.
pub const SAID_BEFORE: Duration = Duration::days(7);

/// How the figures of this module are computed, as `/methodology` and the scorecard say it.
pub fn method() -> Vec<Msg> {
    [
        "method-statements-what",
        "method-statements-silence",
        "method-statements-first-word",
        "method-statements-promises",
        "method-statements-past",
        "method-statements-windows",
    ]
    .into_iter()
    .map(Msg::new)
    .collect()
}

#[cfg(test)]
mod tests;
