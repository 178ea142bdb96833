//! Inline SVG: the 90 daily uptime bars and the response-time sparkline. Only numbers and
//! our own labels go into them, escaped all the same.

use super::availability::availability_text;
use super::markup::escape;
use crate::domain::Lang;
use std::fmt::Write as _;

pub use crate::record::series::DayBar;

/// The bar's class, from its percentage: the stylesheet colours it, and the title says the
/// figure in words.
fn bar_class(percent: Option<f64>) -> &'static str {
    match percent {
        None => "b-none",
        Some(a) if a >= 99.5 => "b-ok",
        Some(a) if a >= 95.0 => "b-minor",
        Some(a) if a >= 80.0 => "b-partial",
        Some(_) => "b-major",
    }
}

/// Bars oldest to newest; in right-to-left pages the newest stands at the left. Each bar's
/// title is its day and its availability, worded as every page words it.
pub fn uptime_bars(bars: &[DayBar], rtl: bool, lang: Lang, label: &str) -> String {
    let n = bars.len();
    let mut out = format!(
        "<svg class=\"bars\" viewBox=\"0 0 {} 24\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
        n * 4,
        escape(label)
    );
    for (i, bar) in bars.iter().enumerate() {
        let slot = if rtl { n - 1 - i } else { i };
        let text = format!(
            "{}: {}",
            bar.day,
            availability_text(&bar.availability, lang)
        );
        let _ = write!(
            out,
            "<rect x=\"{}\" width=\"3\" height=\"24\" class=\"{}\"><title>{}</title></rect>",
            slot * 4,
            bar_class(bar.availability.percent),
            escape(&text)
        );
    }
    out.push_str("</svg>");
    out
}

/// A line of mean latencies (milliseconds) per slot; `None` slots break the line.
pub fn sparkline(points: &[Option<i64>], rtl: bool, label: &str) -> String {
    let n = points.len().max(2);
    let max = points.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let (w, h) = (240.0, 40.0);
    let mut out = format!(
        "<svg class=\"spark\" viewBox=\"0 0 240 40\" role=\"img\" aria-label=\"{}\">",
        escape(label)
    );
    let mut segment: Vec<(f64, f64)> = Vec::new();
    let flush = |segment: &mut Vec<(f64, f64)>, out: &mut String| {
        match segment.as_slice() {
            [] => {}
            [(x, y)] => {
                let _ = write!(out, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"1.5\"/>");
            }
            points => {
                let line: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{x:.1},{y:.1}"))
                    .collect();
                let _ = write!(out, "<polyline points=\"{}\"/>", line.join(" "));
            }
        }
        segment.clear();
    };
    for (i, p) in points.iter().enumerate() {
        let slot = if rtl { points.len() - 1 - i } else { i };
        match p {
            Some(v) => segment.push((
                slot as f64 * w / (n - 1) as f64,
                h - 2.0 - (*v as f64 / max) * (h - 4.0),
            )),
            None => flush(&mut segment, &mut out),
        }
    }
    flush(&mut segment, &mut out);
    out.push_str("</svg>");
    out
}

/// Reporters per hour as bars, with the usual level per hour as a dashed line.
pub fn report_chart(counts: &[i64], usual: &[f64], rtl: bool, label: &str) -> String {
    let n = counts.len().max(1);
    let max = counts
        .iter()
        .map(|c| *c as f64)
        .chain(usual.iter().copied())
        .fold(1.0_f64, f64::max);
    let (w, h) = (240.0, 40.0);
    let slot_w = w / n as f64;
    let mut out = format!(
        "<svg class=\"reports\" viewBox=\"0 0 240 40\" role=\"img\" aria-label=\"{}\">",
        escape(label)
    );
    for (i, c) in counts.iter().enumerate() {
        let slot = if rtl { n - 1 - i } else { i };
        let bh = *c as f64 / max * (h - 2.0);
        if *c > 0 {
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"><title>{c}</title></rect>",
                slot as f64 * slot_w + 0.5,
                h - bh,
                slot_w - 1.0
            );
        }
    }
    let points: Vec<String> = usual
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let slot = if rtl { n - 1 - i } else { i };
            format!(
                "{:.1},{:.1}",
                (slot as f64 + 0.5) * slot_w,
                h - u / max * (h - 2.0)
            )
        })
        .collect();
    if !points.is_empty() {
        let _ = write!(
            out,
            "<polyline class=\"usual\" points=\"{}\"/>",
            points.join(" ")
        );
    }
    out.push_str("</svg>");
    out
}

/// One month of a bank's chart: its label and outage minutes.
pub struct MonthBar {
    pub label: String,
    pub announced: i64,
    pub unannounced: i64,
}

/// Stacked bars of outage minutes per month, unannounced at the foot; oldest first, or
/// at the right in right-to-left pages.
pub fn month_bars(months: &[MonthBar], rtl: bool, label: &str, unit: &str) -> String {
    let n = months.len();
    let max = months
        .iter()
        .map(|m| m.announced + m.unannounced)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut out = format!(
        "<svg class=\"months\" viewBox=\"0 0 {} 40\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
        n * 10,
        escape(label)
    );
    for (i, m) in months.iter().enumerate() {
        let slot = if rtl { n - 1 - i } else { i };
        let h_u = m.unannounced as f64 / max * 40.0;
        let h_a = m.announced as f64 / max * 40.0;
        let text = format!("{}: {} + {} {unit}", m.label, m.unannounced, m.announced);
        let x = slot * 10;
        let _ = write!(
            out,
            "<g><title>{title}</title><rect x=\"{x}\" y=\"0\" width=\"8\" height=\"40\" class=\"b-none\" opacity=\".35\"/>\
             <rect x=\"{x}\" y=\"{yu:.2}\" width=\"8\" height=\"{h_u:.2}\" class=\"b-major\"/>\
             <rect x=\"{x}\" y=\"{ya:.2}\" width=\"8\" height=\"{h_a:.2}\" class=\"b-maint\"/></g>",
            title = escape(&text),
            yu = 40.0 - h_u,
            ya = 40.0 - h_u - h_a,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::availability::Availability;

    #[test]
    fn bars_mirror_in_rtl() {
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 2, d).expect("date");
        let bars = [
            DayBar {
                day: day(1),
                availability: Availability::whole(1, 1),
            },
            DayBar {
                day: day(2),
                availability: Availability::default(),
            },
        ];
        let ltr = uptime_bars(&bars, false, Lang::En, "l");
        let rtl = uptime_bars(&bars, true, Lang::En, "l");
        assert!(ltr.contains(
            "<rect x=\"0\" width=\"3\" height=\"24\" class=\"b-ok\"><title>2026-02-01: 100.00 %"
        ));
        assert!(rtl
            .contains("<rect x=\"4\" width=\"3\" height=\"24\" class=\"b-ok\"><title>2026-02-01"));
        assert!(rtl.contains("2026-02-02: no data"));
    }

    #[test]
    fn a_day_with_downtime_never_reads_a_hundred() {
        // A day of one-minute checks, one of them failing for its minute.
        let bars = [DayBar {
            day: chrono::NaiveDate::from_ymd_opt(2026, 2, 1).expect("date"),
            availability: Availability::whole(86_400_000, 86_400_000 - 60_000),
        }];
        let svg = uptime_bars(&bars, false, Lang::En, "l");
        assert!(svg.contains("<title>2026-02-01: 99.93 %</title>"), "{svg}");
        let sliver = [DayBar {
            availability: Availability::whole(86_400_000, 86_400_000 - 1000),
            ..bars[0]
        }];
        let svg = uptime_bars(&sliver, false, Lang::Fr, "l");
        assert!(!svg.contains("100.00"), "{svg}");
        assert!(svg.contains("99.99 %"), "{svg}");
    }

    #[test]
    fn sparkline_breaks_on_gaps() {
        let s = sparkline(&[Some(10), Some(20), None, Some(5)], false, "l");
        assert_eq!(s.matches("<polyline").count(), 1);
        assert_eq!(s.matches("<circle").count(), 1);
    }
}
