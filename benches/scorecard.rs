//! The scorecard's cost against the length of history: the shipped banks with a week of
//! history, then with a year (probe roll-ups, two outages a week and a maintenance window
//! a month per bank). Prints the median time to load and compute the month's scorecard for
//! each, and their ratio. The outages and windows come from the log's entries as the site
//! follows them (the record rebuilt in memory at the latest checkpoint), the time monitored
//! from the roll-ups, so the ratio stays near 1.
//!
//! With the year of history, the year's scorecard too (every month computed as the month's,
//! added up), against the month's: it should cost at most three times as much.
//!
//! `cargo bench --bench scorecard` (or `scripts/bench.sh scorecard`).

use std::time::Instant;

use chrono::{Duration, Utc};
use rand::{Rng, SeedableRng};

use bankstatus::config::{self, Config};
use bankstatus::domain::{Channel, IncidentKind, IncidentState, Names, Source};
use bankstatus::log::Log;
use bankstatus::record::scorecard::{load, load_period, reads};
use bankstatus::record::{Month, Period};
use bankstatus::store::{DynStore, NewIncident, NewUpdate, NewWindow};

const RUNS: usize = 60;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = config::parse(config::SHIPPED, "bankstatus.toml").expect("shipped config");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut medians = Vec::new();
        for (label, days) in [("a week", 7), ("a year", 365)] {
            let url = format!("sqlite://{}", dir.path().join(format!("{days}.db")).display());
            let store = bankstatus::store::connect(&url).await.expect("database");
            let now = Utc::now();
            let started = Instant::now();
            seed(&store, &config, days, now).await;
            println!("{label} of history seeded in {:.1} s", started.elapsed().as_secs_f64());
            let shutdown = tokio_util::sync::CancellationToken::new();
            let (log, _) = Log::start(
                &config.log,
                store.clone(),
                bankstatus::clock::SystemClock::shared(),
                shutdown.clone(),
            )
            .await
            .expect("the log");
            let month = Month::containing(now, config.timezone);
            let (from, to) = reads(month, config.timezone, now);
            let mut times = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let t = Instant::now();
                let logged = log.counted(from, to);
                let card = load(&store, &config, month, now, logged)
                    .await
                    .expect("scorecard");
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(card.banks.len(), config.banks.len());
            }
            times.sort_by(f64::total_cmp);
            let median = times[RUNS / 2];
            println!(
                "scorecard with {label} of history: median {median:.2} ms, p90 {:.2} ms over {RUNS} runs",
                times[RUNS * 9 / 10]
            );
            medians.push(median);
            if days == 365 {
                let year = Period::Year(chrono::Datelike::year(&now.with_timezone(&config.timezone)));
                let (from, end) = year.bounds(config.timezone);
                let to = end.min(now);
                let mut times = Vec::with_capacity(RUNS);
                for _ in 0..RUNS {
                    let t = Instant::now();
                    let logged = log.counted(from, to);
                    let card = load_period(&store, &config, year, now, logged)
                        .await
                        .expect("year's scorecard");
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    assert_eq!(card.banks.len(), config.banks.len());
                }
                times.sort_by(f64::total_cmp);
                let year_median = times[RUNS / 2];
                println!(
                    "the year's scorecard ({year}) with {label} of history: median {year_median:.2} ms, p90 {:.2} ms over {RUNS} runs; year / month: {:.2}x",
                    times[RUNS * 9 / 10],
                    year_median / median
                );
            }
        }
        println!("year / week: {:.2}x", medians[1] / medians[0]);
    });
}

async fn seed(store: &DynStore, config: &Config, days: i64, now: chrono::DateTime<Utc>) {
    bankstatus::demo::history::seed(store, config, days, now)
        .await
        .expect("probe history");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let span = Duration::days(days);
    for bank in &config.banks {
        let channels = bank.probed_channels();
        for _ in 0..(days * 2 / 7).max(1) {
            let start = now - span + Duration::minutes(rng.gen_range(0..span.num_minutes() - 600));
            let channel = channels[rng.gen_range(0..channels.len())];
            let id = store
                .open_incident(&NewIncident {
                    kind: IncidentKind::Outage,
                    title: Names::new("", "", "Outage"),
                    started_at: start,
                    recorded_at: start,
                    open_key: None,
                    overrun_of: None,
                    scopes: vec![(bank.slug.clone(), channel)],
                    first_update: update(start, IncidentState::Investigating),
                    later: Vec::new(),
                    audit: None,
                    reopen: None,
                })
                .await
                .expect("incident")
                .id();
            let end = start + Duration::minutes(rng.gen_range(5..300));
            store
                .add_update(id, &update(end, IncidentState::Resolved))
                .await
                .expect("update");
        }
        for m in 0..(days / 30).max(1) {
            let starts = now - Duration::days(30 * m + 3);
            store
                .upsert_window(
                    &NewWindow {
                        bank: bank.slug.clone(),
                        channels: vec![Channel::Web, Channel::Mobile],
                        starts,
                        ends: starts + Duration::hours(6),
                        title: Names::new("", "", "Maintenance"),
                        source: None,
                        config_key: None,
                    },
                    starts - Duration::days(2),
                    None,
                )
                .await
                .expect("window");
        }
    }
}

fn update(at: chrono::DateTime<Utc>, state: IncidentState) -> NewUpdate {
    NewUpdate {
        at,
        state,
        source: Source::Probe,
        message: Names::new("", "", "Checks fail."),
        alert: true,
    }
}
