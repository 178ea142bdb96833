//! What needs the operator's attention, first on the desk: probes failing now with their
//! last error, alert targets quarantined after three days of failed deliveries, and
//! whether the record is being written.

use chrono::{DateTime, Utc};

use super::page::Ctx;
use crate::domain::{Outcome, ProbeTarget};
use crate::i18n::{channel_name, failure_words, Msg};
use crate::store::health::Verdict;
use crate::web::ops::write_verdict;
use crate::web::AppState;

/// A probe whose last check failed.
pub struct FailingProbe {
    pub scope: String,
    pub url: String,
    pub at: String,
    pub what: String,
    pub detail: String,
}

/// A subscription whose deliveries are held until someone looks.
pub struct Quarantined {
    pub kind: String,
    pub target: String,
    pub since: String,
}

pub struct Attention {
    pub probes: Vec<FailingProbe>,
    pub quarantined: Vec<Quarantined>,
    /// Whether the record is written, in words; `ok` false when it is not.
    pub storage_ok: bool,
    pub storage: String,
    /// The alert outbox could not be read: said rather than shown empty.
    pub alerts_unread: bool,
}

/// The failing probes, as the live view last saw them (the tracker's own network cut
/// included: the page's banner says so).
fn failing_probes(state: &AppState, ctx: &Ctx) -> Vec<FailingProbe> {
    let namer = crate::web::pages::bank_namer(state, ctx.lang);
    state
        .config
        .all_probes()
        .filter_map(|p| {
            let ProbeTarget::Bank { bank, channel } = &p.target else {
                return None;
            };
            let check = state.live.last_check(&p.id)?;
            let Outcome::Down { class, detail } = &check.outcome else {
                return None;
            };
            Some(FailingProbe {
                scope: format!("{} – {}", namer(bank), channel_name(*channel, ctx.lang)),
                url: p.url.clone(),
                at: ctx.at(check.at),
                what: failure_words(Some(*class), detail, ctx.lang),
                detail: detail.clone(),
            })
        })
        .collect()
}

/// Everything the desk's first screen lists as needing attention at `now`.
pub async fn collect(state: &AppState, ctx: &Ctx, now: DateTime<Utc>) -> Attention {
    let (quarantined, alerts_unread) = match state.store.alert_stats().await {
        Ok(stats) => (
            stats
                .quarantined
                .iter()
                .map(|s| Quarantined {
                    kind: s.via.as_str().to_owned(),
                    target: s.target.clone(),
                    since: s.quarantined_at.map(|t| ctx.at(t)).unwrap_or_default(),
                })
                .collect(),
            false,
        ),
        Err(e) => {
            tracing::warn!(error = %e, "desk: could not read the alert outbox");
            (Vec::new(), true)
        }
    };
    let (storage_ok, storage) = match write_verdict(state) {
        Verdict::Writing => (true, ctx.msg("desk-storage-ok").to_owned()),
        Verdict::Failing { since, cause } | Verdict::Down { since, cause } => (
            false,
            Msg::new("desk-storage-failing")
                .arg("since", ctx.at(since))
                .arg("cause", cause.as_str())
                .arg("minutes", (now - since).num_minutes().max(0))
                .text(ctx.lang),
        ),
    };
    Attention {
        probes: failing_probes(state, ctx),
        quarantined,
        storage_ok,
        storage,
        alerts_unread,
    }
}
