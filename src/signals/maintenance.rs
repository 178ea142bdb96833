//! Announced maintenance windows: their state follows the clock, and windows from the
//! config file are announced once, whatever the number of restarts.

use chrono::{DateTime, Utc};

use crate::config::MaintenanceDecl;
use crate::domain::IncidentState;
use crate::store::{DynStore, NewWindow, StoreResult};

/// `scheduled` before the start, `in_progress` until the end, `completed` after.
pub fn state_at(starts: DateTime<Utc>, ends: DateTime<Utc>, now: DateTime<Utc>) -> IncidentState {
    if now < starts {
        IncidentState::Scheduled
    } else if now < ends {
        IncidentState::InProgress
    } else {
        IncidentState::Completed
    }
}

/// Identifies a config window by what defines it: bank, channels and times.
fn config_key(d: &MaintenanceDecl) -> String {
    let channels: Vec<&str> = d.channels.iter().map(|c| c.as_str()).collect();
    format!(
        "{}|{}|{}|{}",
        d.bank,
        channels.join(","),
        d.starts.timestamp(),
        d.ends.timestamp()
    )
}

/// Announces every window of the config file not announced yet.
pub async fn sync_config(
    store: &DynStore,
    decls: &[MaintenanceDecl],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for d in decls {
        store
            .upsert_window(
                &NewWindow {
                    bank: d.bank.clone(),
                    channels: d.channels.clone(),
                    starts: d.starts,
                    ends: d.ends,
                    title: d.title.clone(),
                    source: d.source.clone(),
                    config_key: Some(config_key(d)),
                },
                now,
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn state_follows_the_clock() {
        let at = |h| {
            Utc.with_ymd_and_hms(2026, 2, 13, h, 0, 0)
                .single()
                .expect("time")
        };
        assert_eq!(state_at(at(15), at(17), at(14)), IncidentState::Scheduled);
        assert_eq!(state_at(at(15), at(17), at(15)), IncidentState::InProgress);
        assert_eq!(state_at(at(15), at(17), at(17)), IncidentState::Completed);
    }
}
