//! The running service: [`run`] starts the server, the probes, the engine and the writer,
//! and stops them all on one cancellation token; [`run_until_signal`] does so until Ctrl-C
//! or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::alerts::Alerts;
use crate::clock::SystemClock;
use crate::cluster::Member;
use crate::config::Config;
use crate::log::Log;
use crate::metrics::Metrics;
use crate::probe::check::Reading;
use crate::probe::scheduler::{ControlCall, ProbeRuntime};
use crate::probe::{build_client, spawn_probes};
use crate::signals::engine::Engine;
use crate::signals::windows::config_windows;
use crate::signals::Live;
use crate::store::report_writer::ReportWriter;
use crate::store::writer::{run_retention, run_writer};
use crate::store::{DynStore, StoreError};
use crate::web;
pub use crate::web::{AppParts, AppState, Tokens};

/// Results waiting for the engine, and for the writer, before probes wait in turn.
const QUEUE: usize = 16_384;

/// A failure with its exit code: 2 for what the user typed, 1 for the rest.
pub enum Failure {
    BadInput(String),
    Other(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnsupportedUrl(m) => Failure::BadInput(m),
            other => Failure::Other(other.to_string()),
        }
    }
}

/// Serves on `listener` and probes every configured target until `shutdown` is cancelled;
/// then stops taking requests, lets probes finish, and flushes the writer.
pub async fn run(
    config: Config,
    store: DynStore,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    run_with(config, store, listener, shutdown, Tokens::from_env()).await
}

/// [`run`] with the tokens given rather than read from the environment.
pub async fn run_with(
    config: Config,
    store: DynStore,
    listener: TcpListener,
    shutdown: CancellationToken,
    tokens: Tokens,
) -> anyhow::Result<()> {
    let open_files = crate::fdlimit::raise_to_hard();
    let config = Arc::new(config);
    let clock = SystemClock::shared();
    for window in config_windows(&config.maintenance) {
        store
            .upsert_window(&window, clock.now(), None)
            .await
            .context("announcing the config's maintenance windows")?;
    }
    let reporter_key = web::reports::reporter_key(&store)
        .await
        .context("loading the reporter key")?;
    let (log, log_runner) = Log::start(&config.log, store.clone(), clock.clone(), shutdown.clone())
        .await
        .context("starting the log")?;
    let metrics = Arc::new(Metrics::default());
    let live = Arc::new(Live::default());
    let (alerts, dispatcher) = Alerts::start(
        store.clone(),
        config.clone(),
        clock.clone(),
        reporter_key.clone(),
        shutdown.clone(),
    )
    .await
    .context("starting alerts")?;

    let (result_tx, result_rx) = mpsc::channel(QUEUE);
    let (write_tx, write_rx) = mpsc::channel(QUEUE);
    let (command_tx, command_rx) = mpsc::channel(64);
    let (reports, report_writer) =
        ReportWriter::new(store.clone(), web::reports::rules(&config), metrics.clone());
    let report_writer = tokio::spawn(report_writer);
    let state = AppState::new(AppParts {
        config: config.clone(),
        store: store.clone(),
        live: live.clone(),
        metrics: metrics.clone(),
        clock: clock.clone(),
        pages: Arc::new(web::cache::PageCache::coalescing()),
        feeds: Arc::new(web::cache::PageCache::default()),
        notices: Arc::default(),
        write_queue: write_tx.downgrade(),
        engine: command_tx,
        reports,
        reporter_key: Arc::new(reporter_key),
        day_keys: Arc::new(crate::keys::DayKeys::new(store.clone())),
        operators: web::auth::Operators::new(tokens.admin.as_ref(), &config.operators, &|var| {
            std::env::var(var).ok()
        }),
        sign_ins: web::auth_throttle::AuthThrottle::default(),
        tokens,
        results: result_tx.downgrade(),
        alerts: alerts.clone(),
        log,
        started_at: clock.now(),
    });
    let probes = ProbeRuntime {
        client: build_client(
            config.public_url.as_deref(),
            config.probing.ca_pem.as_deref(),
            &config.dns,
        )
        .context("building the HTTP client")?,
        permits: Arc::new(Semaphore::new(config.probing.max_concurrent)),
        reading: Reading::new(
            config.probing.max_body_bytes,
            &config.probing.maintenance_phrases,
        ),
        sink: result_tx,
        metrics: metrics.clone(),
        clock: clock.clone(),
        shutdown: shutdown.clone(),
        controls: ControlCall::default(),
    };

    // Probes, and the engine or this instance's part of the shared work.
    let mut tasks = JoinSet::new();
    if store.shared() {
        Member::new(
            config.clone(),
            store.clone(),
            live.clone(),
            metrics.clone(),
            clock.clone(),
        )
        .start(probes, result_rx, write_tx, command_rx, &mut tasks)
        .await
        .context("joining the instances on this database")?;
    } else {
        let engine = Engine::start(
            config.clone(),
            store.clone(),
            live,
            metrics.clone(),
            clock.clone(),
        )
        .await
        .context("loading open incidents")?;
        tasks.spawn(engine.run(result_rx, command_rx, Some(write_tx), shutdown.clone()));
        spawn_probes(config.all_probes().cloned().collect(), probes, &mut tasks);
    }
    let dispatcher = tokio::spawn(dispatcher);
    let log_runner = tokio::spawn(log_runner);
    let writer = tokio::spawn(run_writer(
        store.clone(),
        config.timezone,
        write_rx,
        metrics.clone(),
    ));
    let retention = tokio::spawn(run_retention(
        store.clone(),
        config.storage.raw_retention_days,
        clock,
        shutdown.clone(),
    ));

    let mut limits = config.server.clone();
    limits.max_connections = crate::fdlimit::connections_within(open_files, limits.max_connections);
    warn_of_forged_links(&config, &listener);
    web::server::serve(
        listener,
        web::router(state),
        limits,
        metrics.clone(),
        shutdown.clone(),
    )
    .await;

    // The server stops only once shutdown is cancelled (or it failed): stop the rest too.
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    let _ = report_writer.await;
    let _ = writer.await;
    let _ = retention.await;
    let _ = dispatcher.await;
    let _ = log_runner.await;
    Ok(())
}

/// Without `public_url`, feed and calendar links are built from the request's `Host`, which
/// anyone can forge; that is fine on loopback behind a proxy that sets it, not on an open
/// port.
fn warn_of_forged_links(config: &Config, listener: &TcpListener) {
    let open = listener.local_addr().is_ok_and(|a| !a.ip().is_loopback());
    if open && config.public_url.is_none() {
        tracing::warn!(
            "listening beyond loopback without `public_url`: feed and calendar links follow \
             each request's Host header; set `public_url` in the config to the address people use"
        );
    }
}

/// Runs the app until Ctrl-C or SIGTERM, then gives it 10 seconds to stop cleanly.
pub async fn run_until_signal(
    config: Config,
    store: DynStore,
    listener: TcpListener,
    tokens: Tokens,
) -> Result<(), Failure> {
    let shutdown = CancellationToken::new();
    let mut app = tokio::spawn(run_with(config, store, listener, shutdown.clone(), tokens));
    tokio::select! {
        done = &mut app => return finished(done),
        () = signal() => {}
    }
    tracing::info!("stopping: no new requests, flushing stored results");
    shutdown.cancel();
    match tokio::time::timeout(Duration::from_secs(9), app).await {
        Ok(done) => finished(done),
        Err(_) => {
            tracing::warn!("tasks did not stop within 9 s; exiting anyway");
            Ok(())
        }
    }
}

/// What a task's end means for the exit code.
pub fn finished(done: Result<anyhow::Result<()>, tokio::task::JoinError>) -> Result<(), Failure> {
    match done {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure::Other(format!("{e:#}"))),
        Err(e) => Err(Failure::Other(format!("the service stopped: {e}"))),
    }
}

/// Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
