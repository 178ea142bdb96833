//! The periods a scorecard covers: a month (`YYYY-MM`), a quarter (`YYYY-Qn`) or a year
//! (`YYYY`), each a run of whole calendar months in the configured zone.

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::month::Month;
use crate::i18n::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Month(Month),
    /// A year and its quarter, 1 to 4.
    Quarter(i32, u32),
    Year(i32),
}

impl Period {
    /// Parses `YYYY`, `YYYY-Qn` or `YYYY-MM`, from 1970 to 9999.
    pub fn parse(s: &str) -> Result<Period, Msg> {
        let year = |y: &str| {
            (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
                .then(|| y.parse::<i32>().ok())
                .flatten()
                .filter(|y| (1970..=9999).contains(y))
        };
        if let Some(y) = year(s) {
            return Ok(Period::Year(y));
        }
        if let Some((y, q)) = s.split_once("-Q") {
            let bad = || Msg::new("err-invalid-period").arg("value", s);
            let y = year(y).ok_or_else(bad)?;
            return match q {
                "1" | "2" | "3" | "4" => Ok(Period::Quarter(y, q.parse().map_err(|_| bad())?)),
                _ => Err(bad()),
            };
        }
        Month::parse(s).map(Period::Month)
    }

    /// Its months, oldest first.
    pub fn months(self) -> Vec<Month> {
        let (first, n) = match self {
            Period::Month(m) => (m, 1),
            Period::Quarter(y, q) => (month(y, (q - 1) * 3 + 1), 3),
            Period::Year(y) => (month(y, 1), 12),
        };
        let mut out = Vec::with_capacity(n);
        let mut m = first;
        for _ in 0..n {
            out.push(m);
            m = m.next();
        }
        out
    }

    pub fn first(self) -> Month {
        self.months()[0]
    }

    pub fn last(self) -> Month {
        let months = self.months();
        months[months.len() - 1]
    }

    /// `[start, end)`, from the first month's start to the last one's end.
    pub fn bounds(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.first().start(tz), self.last().next().start(tz))
    }

    /// The period of the same kind just before.
    pub fn prev(self) -> Period {
        match self {
            Period::Month(m) => Period::Month(m.prev()),
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::Year(y) => Period::Year(y - 1),
        }
    }

    /// The period of the same kind just after.
    pub fn next(self) -> Period {
        match self {
            Period::Month(m) => Period::Month(m.next()),
            Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
            Period::Quarter(y, q) => Period::Quarter(y, q + 1),
            Period::Year(y) => Period::Year(y + 1),
        }
    }

    /// The page's words for the kind of period: "month", "quarter", "year".
    pub fn kind(self) -> &'static str {
        match self {
            Period::Month(_) => "month",
            Period::Quarter(..) => "quarter",
            Period::Year(_) => "year",
        }
    }
}

fn month(year: i32, number: u32) -> Month {
    Month::parse(&format!("{year:04}-{number:02}")).unwrap_or(Month::EPOCH)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(m) => m.fmt(f),
            Period::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_quarters_and_months_parse_and_hold_their_months() {
        let y = Period::parse("2026").expect("year");
        assert_eq!(y.months().len(), 12);
        assert_eq!(y.to_string(), "2026");
        let q = Period::parse("2026-Q2").expect("quarter");
        let names: Vec<String> = q.months().iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2026-04", "2026-05", "2026-06"]);
        assert_eq!(q.prev().to_string(), "2026-Q1");
        assert_eq!(
            Period::parse("2026-Q1").expect("q").prev().to_string(),
            "2025-Q4"
        );
        assert_eq!(
            Period::parse("2026-Q4").expect("q").next().to_string(),
            "2027-Q1"
        );
        assert_eq!(
            Period::parse("2026-02").expect("month"),
            Period::Month(Month::parse("2026-02").expect("month"))
        );
        let tz = chrono_tz::Africa::Casablanca;
        let (ys, ye) = y.bounds(tz);
        let quarters: Vec<_> = (1..=4)
            .map(|n| Period::Quarter(2026, n).bounds(tz))
            .collect();
        assert_eq!((quarters[0].0, quarters[3].1), (ys, ye));
        for bad in ["2026-Q5", "2026-Q0", "1969", "20266", "2026-Q", "x"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }
}
