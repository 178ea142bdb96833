//! The running service: [`AppState`] and [`run`], which starts the server, the probes, the
//! engine and the writer, and stops them all on one cancellation token.

use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::probe::scheduler::ProbeRuntime;
use crate::probe::{build_client, spawn_probes};
use crate::signals::engine::Engine;
use crate::signals::Live;
use crate::store::writer::{run_retention, run_writer};
use crate::store::DynStore;
use crate::web;

/// Results waiting for the engine, and for the writer, before probes wait in turn.
const QUEUE: usize = 16_384;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: DynStore,
    pub live: Arc<Live>,
    pub metrics: Arc<Metrics>,
    pub pages: Arc<web::cache::PageCache>,
    /// Weak, so the writer still ends when the engine drops its sender.
    pub write_queue: mpsc::WeakSender<crate::domain::ProbeResult>,
}

impl AppState {
    pub fn write_queue_depth(&self) -> usize {
        self.write_queue
            .upgrade()
            .map_or(0, |s| s.max_capacity() - s.capacity())
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
    let config = Arc::new(config);
    let metrics = Arc::new(Metrics::default());
    let live = Arc::new(Live::default());

    let engine = Engine::start(config.clone(), store.clone(), live.clone(), metrics.clone())
        .await
        .context("loading open incidents")?;
    let (result_tx, result_rx) = mpsc::channel(QUEUE);
    let (write_tx, write_rx) = mpsc::channel(QUEUE);
    let state = AppState {
        config: config.clone(),
        store: store.clone(),
        live: live.clone(),
        metrics: metrics.clone(),
        pages: Arc::new(web::cache::PageCache::default()),
        write_queue: write_tx.downgrade(),
    };

    let writer = tokio::spawn(run_writer(
        store.clone(),
        config.timezone,
        write_rx,
        metrics.clone(),
    ));
    let engine = tokio::spawn(engine.run(result_rx, write_tx));
    let retention = tokio::spawn(run_retention(
        store.clone(),
        config.storage.raw_retention_days,
        shutdown.clone(),
    ));

    let mut probes = JoinSet::new();
    spawn_probes(
        config.all_probes().cloned().collect(),
        ProbeRuntime {
            client: build_client().context("building the HTTP client")?,
            permits: Arc::new(Semaphore::new(config.probing.max_concurrent)),
            max_body_bytes: config.probing.max_body_bytes,
            sink: result_tx,
            metrics: metrics.clone(),
            shutdown: shutdown.clone(),
        },
        &mut probes,
    );

    let server = axum::serve(listener, web::router(state))
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let served = server.await.context("serving HTTP");

    // The server stops only once shutdown is cancelled (or it failed): stop the rest too.
    shutdown.cancel();
    while probes.join_next().await.is_some() {}
    let _ = engine.await;
    let _ = writer.await;
    let _ = retention.await;
    served
}
