//! Past probe results for the demo and the benchmarks, so the 90-day bars have something
//! to show: mostly healthy days, with a few bad hours per bank.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};

use crate::config::Config;
use crate::domain::{ErrorClass, Outcome, ProbeResult};
use crate::store::{DynStore, StoreResult};

/// Writes one result per probe every 30 minutes over the `days` before `now`.
pub async fn seed(
    store: &DynStore,
    config: &Config,
    days: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let mut batch = Vec::with_capacity(10_000);
    let steps = days * 48;
    for bank in &config.banks {
        // A couple of bad stretches per bank, a few hours each.
        let bad: Vec<i64> = (0..3).map(|_| rng.gen_range(0..steps)).collect();
        for probe in &bank.probes {
            for step in 0..steps {
                let at = now - Duration::minutes(30 * (steps - step));
                let in_bad = bad.iter().any(|b| (*b..*b + 6).contains(&step));
                let outcome = if in_bad && rng.gen_bool(0.8) {
                    Outcome::Down {
                        class: ErrorClass::Status,
                        detail: "HTTP 503".to_owned(),
                    }
                } else if rng.gen_bool(0.01) {
                    Outcome::Degraded
                } else {
                    Outcome::Up
                };
                batch.push(ProbeResult {
                    probe_id: probe.id.clone(),
                    target: probe.target.clone(),
                    at,
                    latency_ms: rng.gen_range(80..600),
                    http_status: Some(if outcome.is_down() { 503 } else { 200 }),
                    outcome,
                    counted: true,
                    evidence: Default::default(),
                    region: None,
                    // One result per 30 minutes stands for the half hour.
                    covers_ms: 30 * 60 * 1000,
                });
                if batch.len() == batch.capacity() {
                    store.insert_results(&batch, config.timezone).await?;
                    batch.clear();
                }
            }
        }
    }
    if !batch.is_empty() {
        store.insert_results(&batch, config.timezone).await?;
    }
    Ok(())
}
