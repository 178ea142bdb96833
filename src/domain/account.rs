//! One account of an incident's time. A reopened incident is a chain of open spans, from
//! its start or a reopening to the resolution that follows; its duration, its "since" and
//! its overrun are read from those spans here, and every page, feed and figure asks this
//! module rather than subtracting two times of its own.

use chrono::{DateTime, Duration, Utc};

use super::IncidentState;

/// The spans an incident was open, in order; only the last may still be open (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSpans(Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>);

impl OpenSpans {
    /// An incident that never reopened.
    pub fn single(started_at: DateTime<Utc>, resolved_at: Option<DateTime<Utc>>) -> OpenSpans {
        OpenSpans(vec![(started_at, resolved_at)])
    }

    /// From the start and the timeline's states in time order: each closing state ends a
    /// span, the next open state begins one.
    pub fn from_timeline(
        started_at: DateTime<Utc>,
        timeline: &[(DateTime<Utc>, IncidentState)],
    ) -> OpenSpans {
        let mut out = Vec::new();
        let mut open_from = Some(started_at);
        for &(at, state) in timeline {
            match (open_from, state.is_closed()) {
                (Some(from), true) => {
                    out.push((from, Some(at.max(from))));
                    open_from = None;
                }
                (None, false) => open_from = Some(at),
                _ => {}
            }
        }
        if let Some(from) = open_from {
            out.push((from, None));
        }
        OpenSpans(out)
    }

    /// From the spans themselves, as the record's outage spans give them (one per bank
    /// and channel): in order, each once.
    pub fn of(mut spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>) -> OpenSpans {
        spans.sort();
        spans.dedup();
        OpenSpans(spans)
    }

    /// From the first start, the last resolution and the closed stretches between spans.
    pub fn with_gaps(
        started_at: DateTime<Utc>,
        resolved_at: Option<DateTime<Utc>>,
        gaps: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> OpenSpans {
        let mut out = Vec::with_capacity(gaps.len() + 1);
        let mut from = started_at;
        for &(closed, reopened) in gaps {
            if closed < from || reopened < closed {
                continue;
            }
            out.push((from, Some(closed)));
            from = reopened;
        }
        out.push((from, resolved_at.map(|r| r.max(from))));
        OpenSpans(out)
    }

    pub fn spans(&self) -> &[(DateTime<Utc>, Option<DateTime<Utc>>)] {
        &self.0
    }

    /// The closed stretches between spans: (resolved, reopened).
    pub fn gaps(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        self.0
            .windows(2)
            .filter_map(|w| Some((w[0].1?, w[1].0)))
            .collect()
    }

    /// Time down: the spans' lengths added, an open one counted until `now`.
    pub fn down(&self, now: DateTime<Utc>) -> Duration {
        self.0
            .iter()
            .map(|&(s, e)| (e.unwrap_or(now) - s).max(Duration::zero()))
            .sum()
    }

    /// Time down up to `at`: what an entry written at `at` says (a feed's entry), which a
    /// later reopening never changes.
    pub fn down_until(&self, at: DateTime<Utc>) -> Duration {
        self.0
            .iter()
            .map(|&(s, e)| (e.map_or(at, |e| e.min(at)) - s).max(Duration::zero()))
            .sum()
    }

    /// When the current (or last) span began: the "since" of a channel in this incident.
    pub fn since(&self) -> DateTime<Utc> {
        self.0.last().map_or(DateTime::<Utc>::MIN_UTC, |s| s.0)
    }

    /// Time past `window_end` until the first recovery: a failure after that recovery is
    /// an outage of its own, not more overrun.
    pub fn overrun(&self, window_end: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
        self.0.first().map_or(Duration::zero(), |&(s, e)| {
            (e.unwrap_or(now) - s.max(window_end)).max(Duration::zero())
        })
    }

    /// The span of the overrun itself, as [`OpenSpans::overrun`] counts it.
    pub fn overrun_span(
        &self,
        window_end: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        let &(s, e) = self.0.first()?;
        let from = s.max(window_end);
        e.is_none_or(|e| e > from).then_some((from, e))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use IncidentState::{Investigating, Resolved};

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 10, 9, 0, 0)
            .single()
            .expect("time")
            + Duration::seconds(s)
    }

    #[test]
    fn a_reopened_incident_counts_only_its_open_spans() {
        let spans = OpenSpans::from_timeline(
            t(0),
            &[
                (t(0), Investigating),
                (t(33), Resolved),
                (t(300), Investigating),
                (t(333), Resolved),
                (t(600), Investigating),
            ],
        );
        assert_eq!(spans.down(t(633)), Duration::seconds(99));
        assert_eq!(spans.since(), t(600), "since the last reopening");
        // As it stood at the first resolution, and at the second: later spans add nothing.
        assert_eq!(spans.down_until(t(33)), Duration::seconds(33));
        assert_eq!(spans.down_until(t(333)), Duration::seconds(66));
        assert_eq!(spans.down_until(t(633)), spans.down(t(633)));
        assert_eq!(
            OpenSpans::with_gaps(t(0), None, &spans.gaps()),
            spans,
            "the store keeps the gaps; the same spans come back"
        );
    }

    #[test]
    fn only_the_first_span_past_the_window_is_overrun() {
        // The window ended at 20 s; the outage went on until 31 s, then a separate failure
        // at 56 s reopened it for 30 s.
        let spans = OpenSpans::with_gaps(t(0), Some(t(86)), &[(t(31), t(56))]);
        assert_eq!(spans.overrun(t(20), t(90)), Duration::seconds(11));
        assert_eq!(spans.overrun_span(t(20)), Some((t(20), Some(t(31)))));
        assert_eq!(spans.down(t(90)), Duration::seconds(61));
        // Still open past the end: overrun until now.
        let open = OpenSpans::single(t(10), None);
        assert_eq!(open.overrun(t(20), t(50)), Duration::seconds(30));
        // Recovered before the window ended: no overrun.
        let early = OpenSpans::single(t(0), Some(t(15)));
        assert_eq!(early.overrun(t(20), t(50)), Duration::zero());
        assert_eq!(early.overrun_span(t(20)), None);
    }
}
