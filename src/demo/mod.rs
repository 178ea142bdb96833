//! `bankstatus demo`: the whole system against simulated banks on loopback, with a
//! throwaway database, playing the BMCE failure of February 2026 in compressed time.

pub mod banks;
pub mod director;
pub mod history;

use std::net::SocketAddr;
use std::time::Duration;

use crate::app::Failure;
use crate::clock::Clock;
use crate::config::{self, Config};
use crate::domain::{Channel, Expect, ProbeSpec, ProbeTarget};

/// The shipped banks, each probed on its web (and mobile) channel at the simulated
/// endpoints, every two seconds.
pub fn demo_config(base: &str) -> Result<Config, Failure> {
    let mut config = config::parse(config::SHIPPED, "config/banks.toml")
        .map_err(|e| Failure::Other(format!("the shipped config is invalid: {e}")))?;
    for bank in &mut config.banks {
        let mut channels: Vec<Channel> =
            bank.probes.iter().filter_map(ProbeSpec::channel).collect();
        channels.dedup();
        if channels.is_empty() {
            channels.push(Channel::Web);
        }
        bank.probes = channels
            .into_iter()
            .map(|channel| ProbeSpec {
                id: format!("{}/{channel}/0", bank.slug),
                target: ProbeTarget::Bank {
                    bank: bank.slug.clone(),
                    channel,
                },
                url: format!("{base}/{}/{channel}", bank.slug),
                method: "GET".to_owned(),
                interval: Duration::from_secs(2),
                timeout: Duration::from_millis(1500),
                expect_status: None,
                expect: Expect::default(),
                degraded_after: Some(Duration::from_millis(700)),
                failures_before_outage: 3,
                successes_before_recovery: 2,
            })
            .collect();
    }
    config.controls = vec![ProbeSpec {
        id: "control/0".to_owned(),
        target: ProbeTarget::Control,
        url: format!("{base}/control"),
        method: "GET".to_owned(),
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
        expect_status: None,
        expect: Expect {
            detect_maintenance_page: false,
            ..Expect::default()
        },
        degraded_after: None,
        failures_before_outage: 1,
        successes_before_recovery: 1,
    }];
    // Surges within the demo's cycle: a short window, a low floor, and the director's
    // simulated customers speaking through X-Forwarded-For on loopback.
    config.reports.window = Duration::from_secs(90);
    config.reports.surge_floor = 3;
    config.reports.trust_forwarded_for = true;
    config.reports.confirm_after = Duration::from_secs(20);
    // Flapping in the same compressed time: each cycle is another day's news, so a
    // failure a cycle later is an outage of its own, neither a reopening of the last one
    // nor a flip that holds it open as unstable.
    config.probing.reopen_within = FLAPS_WITHIN;
    config.probing.unstable_within = FLAPS_WITHIN;
    Ok(config)
}

/// How close together the demo's failures must be to be one flapping outage.
const FLAPS_WITHIN: Duration = Duration::from_secs(20);

pub async fn run(listen: SocketAddr) -> Result<(), Failure> {
    let started = tokio::time::Instant::now();
    let (base, _banks) = banks::start(started)
        .await
        .map_err(|e| Failure::Other(format!("cannot start the simulated banks: {e}")))?;
    let config = demo_config(&base)?;
    let db = std::env::temp_dir().join(format!("bankstatus-demo-{}.db", std::process::id()));
    let url = format!("sqlite://{}", db.display());
    let store = crate::store::connect(&url).await?;
    history::seed(&store, &config, 90, crate::clock::SystemClock.now())
        .await
        .map_err(|e| Failure::Other(format!("cannot seed the demo history: {e}")))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure::Other(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr().unwrap_or(listen);
    // The operator API works in the demo too: with BANKSTATUS_ADMIN_TOKEN, or a fresh token.
    let given = std::env::var(crate::web::auth::ENV)
        .ok()
        .filter(|t| !t.trim().is_empty());
    let token = given.clone().unwrap_or_else(|| {
        let mut bytes = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
        crate::keys::hex(&bytes)
    });
    // A token made here is for this throwaway run alone: said, so the desk can be tried.
    match given {
        Some(_) => tracing::info!(
            "demo: the operator's desk is http://{addr}/desk, with BANKSTATUS_ADMIN_TOKEN"
        ),
        None => tracing::info!(
            "demo: the operator's desk is http://{addr}/desk, token {token} (this run only)"
        ),
    }
    tracing::info!(
        "demo: open http://{addr}/ ; every {} s: Bank of Africa (BMCE) fails at {} s with a surge of reports and recovers at {} s, \
         says only \"a problem in the system\" at {} s and promises its app back at {} s, which it misses by seconds; \
         Crédit du Maroc's announced maintenance runs {}-{} s and overruns to {} s; CIH Bank stays slow; a phishing advisory is posted once",
        banks::CYCLE.as_secs(),
        banks::BMCE_FAILS.start.as_secs(),
        banks::BMCE_FAILS.end.as_secs(),
        banks::BMCE_VAGUE.as_secs(),
        banks::BMCE_FAILS.end.as_secs(),
        banks::CDM_WINDOW.start.as_secs(),
        banks::CDM_WINDOW.end.as_secs(),
        banks::CDM_FAILS.end.as_secs(),
    );
    let director = tokio::spawn(director::run(addr, token.clone(), started));
    let admin = Some(crate::web::auth::BearerToken::new(token.trim()));
    let tokens = crate::app::Tokens { admin, agent: None };
    let result = crate::app::run_until_signal(config, store, listener, tokens).await;
    director.abort();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::banks::{BMCE_FAILS, CDM_FAILS, CYCLE};
    use super::*;

    /// Every cycle's failures stand apart from the last cycle's: not reopened, never
    /// unstable, so each of CDM's windows gets an overrun naming it.
    #[test]
    fn each_cycle_is_an_outage_of_its_own() {
        let Ok(config) = demo_config("http://127.0.0.1:1") else {
            panic!("the demo's config");
        };
        for fails in [BMCE_FAILS, CDM_FAILS] {
            let down = fails.end - fails.start;
            let up = CYCLE - down;
            assert!(config.probing.reopen_within < up, "{fails:?}");
            // Fewer than four changes fit in the window: two at most.
            assert!(config.probing.unstable_within < down.min(up), "{fails:?}");
        }
    }
}
