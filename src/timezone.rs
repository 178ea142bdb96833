//! Local wall-clock times in the configured zone, through the tz database.
//!
//! Rule for clock changes: an ambiguous local time (the hour repeated when clocks go back)
//! is the earlier instant; a local time that does not exist (skipped when clocks go
//! forward) is moved forward by the length of the gap, as a wall clock would show it.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Converts a local time in `tz` to UTC with the rule of this module.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // A gap: read the wall clock with the offset in force just before it, which
            // lands past the gap by as much as the time was into it.
            let before = local
                .checked_sub_signed(Duration::hours(6))
                .unwrap_or(local);
            let offset = tz
                .from_local_datetime(&before)
                .earliest()
                .map(|t| t.offset().fix())
                .unwrap_or(Utc.fix());
            let utc = local
                .checked_sub_signed(Duration::seconds(i64::from(offset.local_minus_utc())))
                .unwrap_or(local);
            Utc.from_utc_datetime(&utc)
        }
    }
}

/// Years the tracker accepts in any time it is given; far-off dates are mistakes, and chrono
/// arithmetic near its limits panics.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// Parses a local wall-clock time, `YYYY-MM-DDTHH:MM` or with seconds, from 1970 to 9999.
pub fn parse_local(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .filter(|t| YEARS.contains(&t.year()))
}

/// A time from an operator: RFC 3339 with an offset, or a local time in `tz`.
pub fn parse_input(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        let t = t.with_timezone(&Utc);
        if YEARS.contains(&t.year()) {
            return Ok(t);
        }
        return Err(format!("`{s}` is out of range: years 1970 to 9999 only"));
    }
    parse_local(s).map(|l| local_to_utc(l, tz)).ok_or_else(|| {
        format!("`{s}` is not a time: write a local time such as 2026-02-13T16:00, or RFC 3339 with an offset")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn far_off_years_are_refused() {
        let tz = chrono_tz::Europe::Paris;
        assert!(parse_input("-0001-06-01T00:00", tz).is_err());
        assert!(parse_input("-262143-01-01T00:00", tz).is_err());
        assert!(parse_input("0000-01-01T00:00:00+01:00", tz).is_err());
        assert!(parse_input("+262142-12-31T23:59", chrono_tz::America::New_York).is_err());
        assert!(parse_input("2026-02-13T16:00", tz).is_ok());
    }

    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("valid date")
    }

    #[test]
    fn cdm_window_of_february_2026() {
        let tz = chrono_tz::Africa::Casablanca;
        // Friday 13 Feb 2026 16:00 is UTC+1; Sunday 15 Feb 18:00 is after the Ramadan switch to UTC+0.
        assert_eq!(
            local_to_utc(at(2026, 2, 13, 16, 0), tz).to_rfc3339(),
            "2026-02-13T15:00:00+00:00"
        );
        assert_eq!(
            local_to_utc(at(2026, 2, 15, 18, 0), tz).to_rfc3339(),
            "2026-02-15T18:00:00+00:00"
        );
    }

    #[test]
    fn ambiguous_time_takes_the_earlier_instant() {
        let tz = chrono_tz::Africa::Casablanca;
        // Clocks go back from 03:00 to 02:00 on 15 Feb 2026: 02:30 happens twice.
        assert_eq!(
            local_to_utc(at(2026, 2, 15, 2, 30), tz).to_rfc3339(),
            "2026-02-15T01:30:00+00:00"
        );
    }

    #[test]
    fn skipped_time_moves_forward() {
        let tz = chrono_tz::Europe::Paris;
        // 29 Mar 2026 02:30 does not exist in Paris; the wall clock shows 03:30 (01:30 UTC).
        assert_eq!(
            local_to_utc(at(2026, 3, 29, 2, 30), tz).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
    }
}
