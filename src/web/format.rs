//! Times and durations as people read them, in the configured zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::Lang;

/// A local date and time, e.g. `13/02/2026 16:00`.
pub fn local_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

/// A duration in whole minutes, hours and days, e.g. `2 h 15 min`.
pub fn duration(from: DateTime<Utc>, to: DateTime<Utc>, lang: Lang) -> String {
    let minutes = (to - from).num_minutes().max(0);
    let (d, h, m) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let (day, hour, min) = match lang {
        Lang::Ar => ("ي", "س", "د"),
        Lang::Fr => ("j", "h", "min"),
        Lang::En => ("d", "h", "min"),
    };
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} {day}"));
    }
    if h > 0 {
        parts.push(format!("{h} {hour}"));
    }
    if m > 0 || parts.is_empty() {
        parts.push(format!("{m} {min}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn duration_across_the_ramadan_clock_change_counts_real_minutes() {
        let from = Utc
            .with_ymd_and_hms(2026, 2, 15, 0, 30, 0)
            .single()
            .expect("time");
        let to = Utc
            .with_ymd_and_hms(2026, 2, 15, 2, 45, 0)
            .single()
            .expect("time");
        assert_eq!(duration(from, to, Lang::Fr), "2 h 15 min");
        assert_eq!(duration(from, from, Lang::En), "0 min");
        let tz = chrono_tz::Africa::Casablanca;
        // 00:30 UTC is 01:30 before the switch; 02:45 UTC is 02:45 after it.
        assert_eq!(local_time(from, tz), "15/02/2026 01:30");
        assert_eq!(local_time(to, tz), "15/02/2026 02:45");
    }
}
