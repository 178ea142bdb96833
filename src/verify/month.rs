//! A month's scorecard recomputed from the log: the published scorecard names the
//! checkpoint it was computed from; the entries up to it are rebuilt into the record
//! (`record/replay.rs`) and the site's own scorecard function (`record/scorecard.rs`) runs
//! on it, so every figure that comes from the facts (the bank's word included) must come
//! out the same. Availability and the time monitored come from the checks, which the log
//! does not hold.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::source::Source;
use super::tree::{listed, Verified};
use super::Report;
use crate::domain::{Bank, Names};
use crate::record::replay::Replay;
use crate::record::scorecard::{compute, reads, Inputs};
use crate::record::Month;
use crate::tlog::note::open;
use crate::tlog::parse_hash;

/// The figures of a channel, a bank's totals, that come from the facts alone.
const FACT_FIGURES: [&str; 8] = [
    "announced_minutes",
    "unannounced_minutes",
    "overrun_minutes",
    "overrun_seconds",
    "incidents",
    "maintenance_windows",
    "median_recovery_minutes",
    "worst_recovery_minutes",
];

/// The bank's word figures of a month, which come from the logged statements and outages.
const WORD_FIGURES: [&str; 9] = [
    "outages",
    "outages_with_statement",
    "outages_without_statement",
    "median_first_word_seconds",
    "promises",
    "promises_kept",
    "promises_missed",
    "minutes_past_promises",
    "seconds_past_promises",
];

/// Recomputes `month` from the entries of `tree` and compares it with the site's.
pub async fn check(source: &Source, month: Month, key: &str, tree: &Verified, report: &mut Report) {
    let what = format!("scorecard {month}");
    let path = format!("scorecard/{month}?format=json");
    let published: Value = match source.get(&path).await {
        Ok(Some(body)) => match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return report.fail(&what, format!("{path} is not JSON: {e}")),
        },
        Ok(None) => return report.fail(&what, format!("{path} is not published")),
        Err(e) => return report.fail(&what, e.0),
    };
    let Some(note) = published["checkpoint"]["note"].as_str() else {
        return report.fail(&what, "it names no checkpoint of the log");
    };
    let checkpoint = match open(note.as_bytes(), key) {
        Ok(c) => c,
        Err(e) => return report.fail(&what, format!("its checkpoint: {e}")),
    };
    let named_root = published["checkpoint"]["root"]
        .as_str()
        .and_then(parse_hash);
    if published["checkpoint"]["size"].as_u64() != Some(checkpoint.size)
        || named_root != Some(checkpoint.root)
    {
        return report.fail(
            &what,
            "the checkpoint it names is not the one its note signs",
        );
    }
    if let Err(why) = tree.extends(checkpoint.size, checkpoint.root) {
        return report.fail(
            &what,
            format!("its checkpoint of {} entries: {why}", checkpoint.size),
        );
    }
    let mut replay = Replay::default();
    for (i, e) in tree
        .entries
        .iter()
        .take(checkpoint.size as usize)
        .enumerate()
    {
        if let Err(why) = replay.apply(i as u64, e) {
            return report.fail(&what, why.to_string());
        }
    }
    let Some(tz) = published["timezone"]
        .as_str()
        .and_then(|z| z.parse::<Tz>().ok())
    else {
        return report.fail(&what, "it names no time zone");
    };
    let Some(to) = published["to"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
    else {
        return report.fail(&what, "it says not when it was computed (`to`)");
    };
    // The banks in the order the site ranked them: ties keep that order again.
    let banks: Vec<Bank> = published["banks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| Bank {
            slug: b["slug"].as_str().unwrap_or_default().to_owned(),
            names: serde_json::from_value::<Names>(b["name"].clone()).unwrap_or_default(),
            website: None,
            probes: Vec::new(),
        })
        .collect();
    let (from, until) = reads(month, tz, to);
    let outages = replay.outage_spans(from, until);
    let windows = replay.windows(from, until);
    let statements = replay.statements_since(from - crate::record::word::SAID_BEFORE);
    let ours = compute(
        &banks,
        month,
        tz,
        to,
        &Inputs {
            outages: &outages,
            windows: &windows,
            monitored: &[],
            statements: &statements,
        },
    );
    let ours = serde_json::to_value(&ours).unwrap_or(Value::Null);
    let (compared, differences) = compare(&published, &ours);
    if differences.is_empty() {
        report.ok(
            &what,
            format!(
                "{compared} figures of {} banks recomputed from entries 0 to {} agree with the site",
                banks.len(),
                checkpoint.size.saturating_sub(1)
            ),
        );
    } else {
        listed(report, &differences, "figures differ");
    }
    report.note(
        &what,
        "availability and the minutes monitored come from the checks, which the log does not hold: not recomputed",
    );
}

/// How many figures were compared, and each that differs.
fn compare(published: &Value, ours: &Value) -> (usize, Vec<(String, String)>) {
    let mut compared = 0;
    let mut out = Vec::new();
    let empty = Vec::new();
    let ours_banks = ours["banks"].as_array().unwrap_or(&empty);
    for b in published["banks"].as_array().unwrap_or(&empty) {
        let slug = b["slug"].as_str().unwrap_or_default();
        let Some(o) = ours_banks.iter().find(|o| o["slug"] == b["slug"]) else {
            continue;
        };
        let mut figure = |what: String, site: &Value, log: &Value| {
            compared += 1;
            let zero = |v: &Value| {
                if v.is_null() {
                    Value::from(0)
                } else {
                    v.clone()
                }
            };
            // A median of nothing is no figure, not a zero.
            let (site, log) = if what.contains("recovery") || what.contains("first_word") {
                (site.clone(), log.clone())
            } else {
                (zero(site), zero(log))
            };
            if site != log {
                out.push((what, format!("the site says {site}, the log gives {log}")));
            }
        };
        figure(format!("{slug} rank"), &b["rank"], &o["rank"]);
        for f in FACT_FIGURES {
            figure(format!("{slug} {f}"), &b[f], &o[f]);
        }
        let channels = |v: &Value| -> Vec<String> {
            v["channels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["channel"].as_str().map(str::to_owned))
                .collect()
        };
        let mut names = channels(b);
        names.extend(channels(o));
        names.sort();
        names.dedup();
        for c in names {
            let find = |v: &Value| {
                v["channels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|x| x["channel"] == c.as_str())
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            let (site, log) = (find(b), find(o));
            for f in FACT_FIGURES {
                figure(format!("{slug} {c} {f}"), &site[f], &log[f]);
            }
        }
        if b.get("word").is_some() {
            for f in WORD_FIGURES {
                figure(format!("{slug} word {f}"), &b["word"][f], &o["word"][f]);
            }
        }
        let months = |v: &Value| v["months"].as_array().cloned().unwrap_or_default();
        for (s, l) in months(b).iter().zip(months(o).iter()) {
            let m = s["month"].as_str().unwrap_or_default();
            for f in ["announced_minutes", "unannounced_minutes"] {
                figure(format!("{slug} chart {m} {f}"), &s[f], &l[f]);
            }
        }
    }
    (compared, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_differing_figure_is_named() {
        let site = serde_json::json!({"banks": [{"slug": "bmce", "rank": 1, "unannounced_minutes": 60,
            "channels": [{"channel": "atm", "unannounced_minutes": 60, "median_recovery_minutes": 60}],
            "months": [{"month": "2026-02", "announced_minutes": 0, "unannounced_minutes": 60}]}]});
        let ours = serde_json::json!({"banks": [{"slug": "bmce", "rank": 1, "unannounced_minutes": 45,
            "channels": [{"channel": "atm", "unannounced_minutes": 45, "median_recovery_minutes": 45}],
            "months": [{"month": "2026-02", "announced_minutes": 0, "unannounced_minutes": 45}]}]});
        let (n, d) = compare(&site, &ours);
        assert_eq!(n, 1 + 8 + 8 + 2, "rank, totals, the channel, the chart");
        let whats: Vec<&str> = d.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(
            whats,
            [
                "bmce unannounced_minutes",
                "bmce atm unannounced_minutes",
                "bmce atm median_recovery_minutes",
                "bmce chart 2026-02 unannounced_minutes"
            ]
        );
        assert_eq!(d[0].1, "the site says 60, the log gives 45");
        assert!(compare(&site, &site).1.is_empty());
    }
}
