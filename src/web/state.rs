//! What every request handler can reach: [`AppState`] and its parts, with `FromRef` for the
//! handlers that need only one. The app builds it; nothing here reaches back into the app.

use std::sync::Arc;

use axum::extract::FromRef;
use tokio::sync::mpsc;

use super::auth::{BearerToken, Operators};
use super::auth_throttle::AuthThrottle;
use super::cache::{PageCache, Rendered};
use crate::alerts::Alerts;
use crate::clock::DynClock;
use crate::config::Config;
use crate::domain::ProbeResult;
use crate::log::Log;
use crate::metrics::Metrics;
use crate::signals::engine::Command;
use crate::signals::Live;
use crate::store::report_writer::ReportWriter;
use crate::store::DynStore;

/// Everything a handler reaches, behind one `Arc`: axum clones the state for each request
/// and extractor, and cloning a dozen `Arc`s there took a tenth of the CPU in a storm.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct AppParts {
    pub config: Arc<Config>,
    pub store: DynStore,
    pub live: Arc<Live>,
    pub metrics: Arc<Metrics>,
    pub clock: DynClock,
    pub pages: Arc<PageCache>,
    pub feeds: Arc<PageCache<Rendered>>,
    /// Pages as they leave with their notices written in, and what those are judged from.
    pub notices: Arc<super::banner::NoticesKept>,
    /// Tells the engine that incidents, windows or reports changed.
    pub engine: mpsc::Sender<Command>,
    /// Stores crowd reports, many to a transaction.
    pub reports: ReportWriter,
    /// Signs form and browser tokens and hashes clients for the limits kept in memory;
    /// generated once, kept in the database.
    pub reporter_key: Arc<Vec<u8>>,
    /// Hash the reporters of stored reports, a key a day.
    pub day_keys: Arc<crate::keys::DayKeys>,
    pub tokens: Tokens,
    /// Who may act as operator, by name: `admin` and `[[operators]]`.
    pub operators: Operators,
    /// Wrong tokens at the desk's sign-in, per client address (in memory, per instance).
    pub sign_ins: AuthThrottle,
    /// Where agents' results join the service's own; weak, as `write_queue`.
    pub results: mpsc::WeakSender<ProbeResult>,
    /// Weak, so the writer still ends when the engine drops its sender.
    pub write_queue: mpsc::WeakSender<ProbeResult>,
    /// Subscriptions and their delivery.
    pub alerts: Arc<Alerts>,
    /// The log of published facts: its checkpoint and the record rebuilt from it.
    pub log: Arc<Log>,
    /// When this instance started: pages are not called out of date before their probes
    /// had the time to be checked.
    pub started_at: chrono::DateTime<chrono::Utc>,
}

/// The bearer tokens the service accepts; without one, its API answers 403.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// `BANKSTATUS_ADMIN_TOKEN`: the operator API's.
    pub admin: Option<BearerToken>,
    /// `BANKSTATUS_AGENT_TOKEN`: the agents'.
    pub agent: Option<BearerToken>,
}

impl Tokens {
    /// From `BANKSTATUS_ADMIN_TOKEN` and `BANKSTATUS_AGENT_TOKEN`.
    pub fn from_env() -> Self {
        Tokens {
            admin: BearerToken::from_var(super::auth::ENV),
            agent: BearerToken::from_var(super::auth::AGENT_ENV),
        }
    }
}

impl FromRef<AppState> for Tokens {
    fn from_ref(state: &AppState) -> Tokens {
        state.tokens.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Arc<Config> {
        state.config.clone()
    }
}

impl FromRef<AppState> for DynClock {
    fn from_ref(state: &AppState) -> DynClock {
        state.clock.clone()
    }
}

impl AppParts {
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
