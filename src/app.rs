//! The running service: [`AppState`] and [`run`], which starts the server, the probes, the
//! engine and the writer, and stops them all on one cancellation token.

use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cluster::Member;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::probe::scheduler::ProbeRuntime;
use crate::probe::{build_client, spawn_probes};
use crate::signals::engine::{Command, Engine};
use crate::signals::maintenance::sync_config;
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
    pub feeds: Arc<web::cache::PageCache<web::cache::Rendered>>,
    /// Tells the engine that incidents, windows or reports changed.
    pub engine: mpsc::Sender<Command>,
    /// Hashes client addresses into reporter ids; generated once, kept in the database.
    pub reporter_key: Arc<Vec<u8>>,
    /// `BANKSTATUS_ADMIN_TOKEN`; without it the operator API answers 403.
    pub admin_token: Option<web::auth::BearerToken>,
    /// `BANKSTATUS_AGENT_TOKEN`; without it the agents' API answers 403.
    pub agent_token: Option<web::auth::BearerToken>,
    /// Where agents' results join the service's own; weak, as `write_queue`.
    pub results: mpsc::WeakSender<crate::domain::ProbeResult>,
    /// Weak, so the writer still ends when the engine drops its sender.
    pub write_queue: mpsc::WeakSender<crate::domain::ProbeResult>,
}

impl AppState {
    /// Tells the engine what changed; pages render anew once it is taken into account.
    pub fn changed(&self, command: Command) {
        // A full queue already holds a pending reload: nothing is lost.
        let _ = self.engine.try_send(command);
        // Reports move pages only through the engine's next count (at most once a second),
        // so a flood of reports does not make every request render afresh.
        if matches!(command, Command::Reload) {
            self.live.touch();
        }
    }

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
    run_with(config, store, listener, shutdown, Tokens::from_env()).await
}

/// The bearer tokens the service accepts; without one, its API answers 403.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// The operator API's.
    pub admin: Option<web::auth::BearerToken>,
    /// The agents'.
    pub agent: Option<web::auth::BearerToken>,
}

impl Tokens {
    /// From `BANKSTATUS_ADMIN_TOKEN` and `BANKSTATUS_AGENT_TOKEN`.
    pub fn from_env() -> Self {
        Tokens {
            admin: web::auth::BearerToken::from_var(web::auth::ENV),
            agent: web::auth::BearerToken::from_var(web::auth::AGENT_ENV),
        }
    }
}

/// [`run`] with the tokens given rather than read from the environment.
pub async fn run_with(
    config: Config,
    store: DynStore,
    listener: TcpListener,
    shutdown: CancellationToken,
    tokens: Tokens,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    sync_config(&store, &config.maintenance, chrono::Utc::now())
        .await
        .context("announcing the config's maintenance windows")?;
    let reporter_key = web::reports::reporter_key(&store)
        .await
        .context("loading the reporter key")?;
    let metrics = Arc::new(Metrics::default());
    let live = Arc::new(Live::default());

    let (result_tx, result_rx) = mpsc::channel(QUEUE);
    let (write_tx, write_rx) = mpsc::channel(QUEUE);
    let (command_tx, command_rx) = mpsc::channel(64);
    let state = AppState {
        config: config.clone(),
        store: store.clone(),
        live: live.clone(),
        metrics: metrics.clone(),
        pages: Arc::new(web::cache::PageCache::default()),
        feeds: Arc::new(web::cache::PageCache::default()),
        write_queue: write_tx.downgrade(),
        engine: command_tx,
        reporter_key: Arc::new(reporter_key),
        admin_token: tokens.admin,
        agent_token: tokens.agent,
        results: result_tx.downgrade(),
    };
    let probes = ProbeRuntime {
        client: build_client().context("building the HTTP client")?,
        permits: Arc::new(Semaphore::new(config.probing.max_concurrent)),
        max_body_bytes: config.probing.max_body_bytes,
        sink: result_tx,
        metrics: metrics.clone(),
        shutdown: shutdown.clone(),
    };

    // Probes, and the engine or this instance's part of the shared work.
    let mut tasks = JoinSet::new();
    if store.shared() {
        Member::new(config.clone(), store.clone(), live.clone(), metrics.clone())
            .start(probes, result_rx, write_tx, command_rx, &mut tasks)
            .await
            .context("joining the instances on this database")?;
    } else {
        let engine = Engine::start(config.clone(), store.clone(), live, metrics.clone())
            .await
            .context("loading open incidents")?;
        tasks.spawn(engine.run(result_rx, command_rx, Some(write_tx), shutdown.clone()));
        spawn_probes(config.all_probes().cloned().collect(), probes, &mut tasks);
    }
    let writer = tokio::spawn(run_writer(
        store.clone(),
        config.timezone,
        write_rx,
        metrics.clone(),
    ));
    let retention = tokio::spawn(run_retention(
        store.clone(),
        config.storage.raw_retention_days,
        shutdown.clone(),
    ));

    let server = axum::serve(
        listener,
        web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let served = server.await.context("serving HTTP");

    // The server stops only once shutdown is cancelled (or it failed): stop the rest too.
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    let _ = writer.await;
    let _ = retention.await;
    served
}
