//! A page honest about its own freshness: when its data was last checked and when the next
//! check is due, a notice once the newest check is older than two check intervals (the
//! checks stopped, or their results stopped coming in), and, only when the reader asks for
//! it (`?refresh=N`, for wall screens), a reload every N seconds with a way to stop it.
//! Decided here from the probes' intervals and last checks; written into pages as they
//! leave (`banner.rs`), so no cached page is rendered again for the time to move.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::markup::escape;
use crate::domain::Lang;
use crate::i18n::{duration_seconds, Msg};

/// The reload a reader may ask for, in seconds: not so often that a screen reader user
/// loses their place, not so rarely that a wall screen shows an hour-old page.
pub const REFRESH_SECONDS: std::ops::RangeInclusive<u32> = 10..=3600;

/// What the pages offer wall screens: a reload every minute.
const OFFERED_REFRESH: u32 = 60;

/// How fresh what a page shows is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Freshness {
    /// The newest check of the probes the page speaks of.
    pub checked_at: Option<DateTime<Utc>>,
    /// Until the next check is due, by the probe due soonest, rounded up to the second (as
    /// pages say it); zero when one is overdue.
    pub next_in: Option<Duration>,
    /// The newest check is older than two of the shortest interval (or, with no check yet,
    /// the service has run that long without one).
    pub stale: bool,
}

/// What the last checks of the probes a page speaks of say, whatever the time: judged again
/// only when a check comes in, read on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probed {
    shortest: Duration,
    checked_at: Option<DateTime<Utc>>,
    /// When the probe due soonest is due.
    next_at: Option<DateTime<Utc>>,
}

/// The probes a page speaks of, each as its interval and its last check; `None` when the
/// page speaks of no probe.
pub fn probed(
    probes: impl IntoIterator<Item = (Duration, Option<DateTime<Utc>>)>,
) -> Option<Probed> {
    let mut shortest: Option<Duration> = None;
    let mut checked_at: Option<DateTime<Utc>> = None;
    let mut next_at: Option<DateTime<Utc>> = None;
    for (interval, last) in probes {
        shortest = Some(shortest.map_or(interval, |s| s.min(interval)));
        if let Some(at) = last {
            checked_at = Some(checked_at.map_or(at, |c| c.max(at)));
            let due = at + interval;
            next_at = Some(next_at.map_or(due, |n| n.min(due)));
        }
    }
    Some(Probed {
        shortest: shortest?,
        checked_at,
        next_at,
    })
}

impl Probed {
    /// How fresh the page is at `now`; `up_since` is when the service started.
    pub fn at(&self, up_since: DateTime<Utc>, now: DateTime<Utc>) -> Freshness {
        let newest = self.checked_at.unwrap_or(up_since);
        Freshness {
            checked_at: self.checked_at,
            next_in: self
                .next_at
                .map(|n| whole_seconds_up((n - now).max(Duration::zero()))),
            stale: now - newest > self.shortest * 2,
        }
    }
}

/// Judges the probes a page speaks of at `now` ([`probed`], then [`Probed::at`]).
pub fn judge(
    probes: impl IntoIterator<Item = (Duration, Option<DateTime<Utc>>)>,
    up_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Freshness> {
    probed(probes).map(|p| p.at(up_since, now))
}

/// `d` rounded up to whole seconds: a page shown within the same second says the same.
fn whole_seconds_up(d: Duration) -> Duration {
    let part = i64::from(d.subsec_nanos() > 0);
    Duration::seconds(d.num_seconds() + part)
}

/// The reload asked for in `query`: `Ok(None)` when none is, an error sentence's message
/// when the value is not a whole number of seconds in [`REFRESH_SECONDS`].
pub fn asked_refresh(query: Option<&str>) -> Result<Option<u32>, Msg> {
    let Some(raw) = super::input::query_param(query, "refresh") else {
        return Ok(None);
    };
    match raw.parse::<u32>() {
        Ok(n) if REFRESH_SECONDS.contains(&n) => Ok(Some(n)),
        _ => Err(Msg::new("fresh-err-refresh")
            .arg("value", raw)
            .arg("min", REFRESH_SECONDS.start())
            .arg("max", REFRESH_SECONDS.end())),
    }
}

/// `path?query` with `refresh` set to `to`, or taken out; other parameters kept in order.
pub fn with_refresh(path: &str, query: Option<&str>, to: Option<u32>) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "refresh")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(n) = to {
        pairs.push(("refresh".to_owned(), n.to_string()));
    }
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// How the page says it: the line under the header, and the notice when stale.
pub struct Said {
    pub line: String,
    pub notice: Option<String>,
}

/// What a page of `path?query` says of `f`, in `lang`. `offer` adds the link that turns the
/// reload on (pages meant to be framed leave it to the framing page).
pub fn say(
    f: &Freshness,
    refresh: Option<u32>,
    (path, query): (&str, Option<&str>),
    offer: bool,
    tz: Tz,
    lang: Lang,
) -> Said {
    let clock = |t: DateTime<Utc>| t.with_timezone(&tz).format("%H:%M:%S").to_string();
    let checked = match (f.checked_at, f.next_in) {
        (Some(at), Some(next)) if next > Duration::zero() => {
            Msg::new("fresh-checked").arg("time", clock(at)).arg(
                "duration",
                duration_seconds(next.num_seconds().max(1), lang),
            )
        }
        (Some(at), _) => Msg::new("fresh-checked-due").arg("time", clock(at)),
        (None, _) => Msg::new("fresh-none"),
    }
    .text(lang);
    let mut line = format!("<p class=\"fresh\">{}", escape(&checked));
    match refresh {
        Some(n) => line.push_str(&format!(
            " · {} <a href=\"{}\">{}</a>",
            escape(
                &Msg::new("fresh-refreshing")
                    .arg("duration", duration_seconds(i64::from(n), lang))
                    .text(lang)
            ),
            escape(&with_refresh(path, query, None)),
            escape(&Msg::new("fresh-refresh-stop").text(lang)),
        )),
        None if offer => line.push_str(&format!(
            " · <a href=\"{}\">{}</a>",
            escape(&with_refresh(path, query, Some(OFFERED_REFRESH))),
            escape(&Msg::new("fresh-refresh-offer").text(lang)),
        )),
        None => {}
    }
    line.push_str("</p>\n");
    let notice = f.stale.then(|| {
        let body = match f.checked_at {
            Some(at) => Msg::new("fresh-stale-body").arg("time", clock(at)),
            None => Msg::new("fresh-stale-none"),
        };
        format!(
            "<div class=\"banner stale\" role=\"alert\"><strong>{}</strong><p>{}</p></div>\n",
            escape(&Msg::new("fresh-stale-title").text(lang)),
            escape(&body.text(lang)),
        )
    });
    Said { line, notice }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 13, 0, 0)
            .single()
            .expect("time")
            + Duration::seconds(s)
    }

    const MIN: Duration = Duration::seconds(60);

    #[test]
    fn the_newest_check_and_the_soonest_next_one() {
        let probes = [
            (MIN, Some(at(0))),
            (MIN * 5, Some(at(20))),
            (MIN, Some(at(10))),
        ];
        let f = judge(probes, at(-3600), at(30)).expect("probes");
        assert_eq!(f.checked_at, Some(at(20)));
        assert_eq!(f.next_in, Some(Duration::seconds(30)), "due at 60");
        assert!(!f.stale);
        let later = at(30) + Duration::milliseconds(250);
        let f = judge(probes, at(-3600), later).expect("probes");
        assert_eq!(f.next_in, Some(Duration::seconds(30)), "29.75 s says 30 s");
        assert_eq!(judge([], at(0), at(1)), None);
    }

    #[test]
    fn stale_once_the_newest_check_is_two_intervals_old() {
        let probes = [(MIN, Some(at(0))), (MIN * 5, Some(at(0)))];
        assert!(!judge(probes, at(-10), at(120)).expect("probes").stale);
        let f = judge(probes, at(-10), at(121)).expect("probes");
        assert!(f.stale);
        assert_eq!(f.next_in, Some(Duration::zero()), "overdue");
        // No check yet: the service's own start stands in for it.
        assert!(!judge([(MIN, None)], at(0), at(100)).expect("probes").stale);
        assert!(judge([(MIN, None)], at(0), at(121)).expect("probes").stale);
    }

    #[test]
    fn a_reload_only_when_asked_and_within_bounds() {
        assert_eq!(asked_refresh(Some("lang=ar")), Ok(None));
        assert_eq!(asked_refresh(Some("lang=ar&refresh=60")), Ok(Some(60)));
        for bad in [
            "refresh=5",
            "refresh=3601",
            "refresh=abc",
            "refresh=-1",
            "refresh=",
        ] {
            assert!(asked_refresh(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_reload_is_added_and_taken_out_keeping_the_rest() {
        assert_eq!(
            with_refresh("/banks/bmce", Some("lang=ar"), Some(60)),
            "/banks/bmce?lang=ar&refresh=60"
        );
        assert_eq!(
            with_refresh("/", Some("refresh=30&lang=fr"), None),
            "/?lang=fr"
        );
        assert_eq!(with_refresh("/", Some("refresh=30"), None), "/");
    }

    #[test]
    fn the_line_says_when_and_the_notice_only_when_stale() {
        let tz: Tz = "Africa/Casablanca".parse().expect("zone");
        let fresh = Freshness {
            checked_at: Some(at(31)),
            next_in: Some(Duration::seconds(40)),
            stale: false,
        };
        let s = say(&fresh, None, ("/", Some("lang=en")), true, tz, Lang::En);
        assert!(s.line.contains("14:00:31"), "{}", s.line);
        assert!(s.line.contains("40 s"), "{}", s.line);
        assert!(
            s.line.contains("href=\"/?lang=en&amp;refresh=60\""),
            "{}",
            s.line
        );
        assert!(s.notice.is_none());
        let stale = Freshness {
            stale: true,
            ..fresh
        };
        let s = say(
            &stale,
            Some(60),
            ("/", Some("refresh=60")),
            true,
            tz,
            Lang::Fr,
        );
        assert!(s.notice.expect("notice").contains("role=\"alert\""));
        assert!(s.line.contains("href=\"/\""), "a way to stop: {}", s.line);
        let s = say(&fresh, None, ("/embed", None), false, tz, Lang::Ar);
        assert!(!s.line.contains("<a "), "{}", s.line);
    }
}
