//! A calendar month in the configured zone, as `YYYY-MM`.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::i18n::Msg;
use crate::timezone::local_to_utc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// January 1970, the first month the record knows.
    pub const EPOCH: Month = Month {
        year: 1970,
        month: 1,
    };

    /// Parses `YYYY-MM`, from 1970 to 9999.
    pub fn parse(s: &str) -> Result<Month, Msg> {
        let bad = || Msg::new("err-invalid-month").arg("value", s);
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(Msg::new("err-month-number")
                .arg("value", s)
                .arg("number", month));
        }
        if !(1970..=9999).contains(&year) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month that holds `t` on the local calendar of `tz`.
    pub fn containing(t: DateTime<Utc>, tz: Tz) -> Month {
        let local = t.with_timezone(&tz);
        Month {
            year: local.year(),
            month: local.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 to 12.
    pub fn number(self) -> u32 {
        self.month
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Local midnight of the month's first day, as an instant.
    pub fn start(self, tz: Tz) -> DateTime<Utc> {
        let first = NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .unwrap_or(NaiveDate::MIN)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        local_to_utc(first, tz)
    }

    /// `[start, end)` of the month: its length follows the zone's clock changes.
    pub fn bounds(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.start(tz), self.next().start(tz))
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn february_2026_in_casablanca_has_the_ramadan_hour() {
        let tz = chrono_tz::Africa::Casablanca;
        let feb = Month::parse("2026-02").expect("month");
        let (start, end) = feb.bounds(tz);
        // +01 on 1 February; +00 from 15 February until after Ramadan.
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 1, 31, 23, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
        assert_eq!((end - start).num_hours(), 28 * 24 + 1);
        assert_eq!(Month::containing(start, tz), feb);
        assert_eq!(feb.prev().to_string(), "2026-01");
        assert_eq!(
            Month::parse("2026-12").expect("month").next().to_string(),
            "2027-01"
        );
    }

    #[test]
    fn bad_months_say_why() {
        let why = |s: &str| Month::parse(s).unwrap_err().to_string();
        assert!(why("2026-13").contains("no month 13"));
        assert!(why("abc").contains("YYYY-MM"));
        assert!(Month::parse("2026-1").is_err());
        assert!(Month::parse("+026-01").is_err());
        assert!(Month::parse("0001-01").is_err());
    }
}
