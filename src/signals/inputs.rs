//! What the engine reads from the record for the core: the incidents and windows it
//! follows, the outages resolved lately, the weighed report counts of past weeks for the
//! usual level, and the reports that bring the [`Tally`] up to date. Reads only; the engine
//! decides when to read and hands what it read to the core.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::ledger;
use super::surge::USUAL_WEEKS;
use super::tally::Tally;
use super::weight::{self, Who};
use crate::domain::Channel;
use crate::store::{
    DynStore, IncidentRow, ReportCount, ReportUnit, StoreResult, WindowFilter, WindowRow,
};

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

/// The reporters of each bank channel over the same `window` ending at this time of the
/// week on each of the weeks before `now`, last week first, weighed as the live count is:
/// [`USUAL_WEEKS`] for the median and one more for its growth.
pub(super) async fn baseline_counts(
    store: &DynStore,
    window: Duration,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Vec<ReportCount>>> {
    let mut weeks = Vec::new();
    for w in 1..=USUAL_WEEKS as i64 + 1 {
        let end = now - Duration::weeks(w);
        let units = store.report_units(end - window, end).await?;
        weeks.push(weigh_units(&units));
    }
    Ok(weeks)
}

/// Each bank channel's reporters, weighed.
pub(super) fn weigh_units(units: &[ReportUnit]) -> Vec<ReportCount> {
    let mut by_key: BTreeMap<(&str, Channel), Vec<Who>> = BTreeMap::new();
    for u in units {
        by_key
            .entry((&u.bank, u.channel))
            .or_default()
            .push(Who::of(&u.network, &u.address, &u.reporter));
    }
    by_key
        .into_iter()
        .map(|((bank, channel), who)| {
            let w = weight::weigh(&who);
            ReportCount {
                bank: bank.to_owned(),
                channel,
                reporters: w.reporters,
                networks: w.networks,
                works: 0,
            }
        })
        .collect()
}
