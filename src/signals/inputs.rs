//! What the engine reads from the record for the core: the incidents and windows it
//! follows, the outages resolved lately, the report counts of past days for baselines, and
//! the reports that bring the [`Tally`] up to date. Reads only; the engine decides when to read and hands what it read to the core.

use chrono::{DateTime, Duration, Utc};

use super::ledger;
use super::surge::BASELINE_DAYS;
use super::tally::Tally;
use crate::store::{DynStore, IncidentRow, ReportCount, StoreResult, WindowFilter, WindowRow};

/// Reports read per query when tallying.
const TALLY_PAGE: u32 = 10_000;

/// The open incidents and the windows the core follows at `now`: those still open, whatever
/// their age (one announced while the service was down is caught up), those ended within a
/// day (for overruns), and those an open outage overran.
pub(super) async fn followed(
    store: &DynStore,
    now: DateTime<Utc>,
) -> StoreResult<(Vec<IncidentRow>, Vec<WindowRow>)> {
    let open = ledger::open_incidents(&**store).await?;
    let mut windows = store
        .windows(&WindowFilter {
            open_only: true,
            limit: 10_000,
            ..Default::default()
        })
        .await?;
    let recent = store
        .windows(&WindowFilter {
            ended_after: Some(now - Duration::days(1)),
            limit: 10_000,
            ..Default::default()
        })
        .await?;
    windows.extend(recent.into_iter().filter(|w| w.state.is_closed()));
    for of in open.iter().filter_map(|r| r.overrun_of) {
        if !windows.iter().any(|w| w.incident_id == of) {
            windows.extend(store.window(of).await?);
        }
    }
    Ok((open, windows))
}

/// The automatic outages resolved `within` before `now`: one failing again reopens.
pub(super) async fn recently_resolved(
    store: &DynStore,
    within: Duration,
    now: DateTime<Utc>,
) -> StoreResult<Vec<IncidentRow>> {
    ledger::resolved_since(&**store, now - within).await
}

/// Brings `tally` up to date for the window from `since`: the reports stored after the
/// last one it took, page by page, then the deletions, each deleted report's reporter read
/// again. An error leaves the tally part-way: the caller starts the next count afresh.
pub(super) async fn tally_reports(
    store: &DynStore,
    tally: &mut Tally,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    loop {
        let read = store
            .reports_after(tally.after(), since, TALLY_PAGE)
            .await?;
        tally.take(&read);
        if read.len() < TALLY_PAGE as usize {
            break;
        }
    }
    let deleted = store.reports_deleted(tally.deletions_from(now)).await?;
    for (key, reporter) in tally.forget(&deleted, now) {
        let again = store
            .reporter_reports(&key.bank, key.channel, &reporter, since)
            .await?;
        tally.retake(&again);
    }
    Ok(())
}

/// The reporters counted over the same `window` ending at this time of day on each of the
/// [`BASELINE_DAYS`] days before `now`, yesterday first.
pub(super) async fn baseline_counts(
    store: &DynStore,
    window: Duration,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Vec<ReportCount>>> {
    let mut days = Vec::new();
    for d in 1..=BASELINE_DAYS {
        let end = now - Duration::days(d);
        days.push(store.report_counts(end - window, end).await?);
    }
    Ok(days)
}
