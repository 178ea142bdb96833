//! The log at work: every published fact is an entry (appended by its own transaction, see
//! `store/sql/log.rs`); the sequencer grows the Merkle tree over the entries and signs
//! checkpoints; every instance follows the checkpoints and keeps the record rebuilt from
//! the entries (`record/replay.rs`), from which the scorecard is computed.
//!
//! Where each part lives: `key` the signing key and where it is kept; `sequencer` what one
//! turn signs or refuses (pure); `follow` taking a new checkpoint's entries in, checked;
//! `proofs` an incident's entries with their inclusion proofs; this file the [`Log`] the
//! pages read and the loop that runs the sequencer and the follower.

pub mod follow;
pub mod key;
pub mod pack;
pub mod proofs;
pub mod sequencer;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::clock::DynClock;
use crate::config::LogConfig;
use crate::record::replay::{CheckpointRef, Replay};
use crate::record::scorecard::Logged;
use crate::store::log::{Sequenced, StoredCheckpoint};
use crate::store::DynStore;
use crate::throttle::Throttle;
use crate::tlog::hash_text;
use crate::tlog::note::LogKey;
use follow::{catch_up, CaughtUp};

/// What the pages read: the checkpoint followed and the record as of it.
struct View {
    checkpoint: Option<StoredCheckpoint>,
    replay: Arc<Replay>,
}

/// Counters `/metrics` shows.
#[derive(Debug, Default)]
pub struct LogMetrics {
    pub checkpoints: AtomicU64,
    pub refusals: AtomicU64,
}

/// The log as this instance sees it.
pub struct Log {
    origin: String,
    verifier_key: String,
    view: RwLock<View>,
    /// Why the log is not signing or cannot be followed, while that lasts.
    trouble: Mutex<Option<String>>,
    pub metrics: LogMetrics,
    /// Wakes the follower when this instance signed.
    signed: tokio::sync::Notify,
}

/// Why the log cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Key(#[from] key::KeyError),
    #[error("the log: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the log cannot be followed: {0}")]
    Trouble(String),
}

impl Log {
    /// Loads the key, enters facts stored before the log existed, signs what is pending and
    /// follows the log up to its latest checkpoint; then the returned future keeps
    /// sequencing and following until `shutdown`.
    pub async fn start(
        config: &LogConfig,
        store: DynStore,
        clock: DynClock,
        shutdown: CancellationToken,
    ) -> Result<(Arc<Log>, impl Future<Output = ()>), StartError> {
        let key = key::load(config, &store).await?;
        let backfilled = store.backfill_log().await?;
        if backfilled > 0 {
            tracing::info!(
                entries = backfilled,
                "entered the facts stored before the log existed"
            );
        }
        let log = Arc::new(Log {
            origin: config.origin.clone(),
            verifier_key: key.verifier_key().to_owned(),
            view: RwLock::new(View {
                checkpoint: None,
                replay: Arc::new(Replay::default()),
            }),
            trouble: Mutex::new(None),
            metrics: LogMetrics::default(),
            signed: tokio::sync::Notify::new(),
        });
        // Sign whatever waits, then follow it: pages start from a signed record.
        log.turn(&store, &key, clock.now(), None).await;
        if let Some(why) = log.follow(&store).await {
            return Err(StartError::Trouble(why));
        }
        let every = config.checkpoint_every;
        let running = {
            let log = log.clone();
            async move {
                tokio::join!(
                    log.sequence(store.clone(), key, clock, every, shutdown.clone()),
                    log.keep_following(store, every, shutdown),
                );
            }
        };
        Ok((log, running))
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The verifier key, as `/log/key` serves it.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The checkpoint this instance follows.
    pub fn checkpoint(&self) -> Option<StoredCheckpoint> {
        self.read().checkpoint.clone()
    }

    /// The followed checkpoint as figures name it.
    pub fn checkpoint_ref(&self) -> Option<CheckpointRef> {
        self.checkpoint().map(|c| self.reference(&c))
    }

    /// How figures name a checkpoint.
    pub fn reference(&self, c: &StoredCheckpoint) -> CheckpointRef {
        CheckpointRef {
            origin: self.origin.clone(),
            size: c.size,
            root: hash_text(&c.root),
            signed_at: c.signed_at,
            note: c.note.clone(),
        }
    }

    /// The record as of the followed checkpoint.
    pub fn replay(&self) -> Arc<Replay> {
        self.read().replay.clone()
    }

    /// The outages, windows and statements of `[from, to)` as of the followed checkpoint,
    /// with it.
    pub fn counted(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Logged {
        let view = self.read();
        Logged {
            outages: view.replay.outage_spans(from, to),
            windows: view.replay.windows(from, to),
            statements: view
                .replay
                .statements_since(from - crate::record::word::SAID_BEFORE),
            checkpoint: view.checkpoint.as_ref().map(|c| self.reference(c)),
        }
    }

    /// Why the log is not signing or cannot be followed, while that lasts.
    pub fn trouble(&self) -> Option<String> {
        self.trouble.lock().map(|t| t.clone()).unwrap_or(None)
    }

    /// The log's lines of `/metrics`.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write as _;
        let size = self.checkpoint().map_or(0, |c| c.size);
        let _ = write!(
            out,
            "# HELP bankstatus_log_entries Entries in the tree of the log's latest checkpoint.\n\
             # TYPE bankstatus_log_entries gauge\nbankstatus_log_entries {size}\n\
             # HELP bankstatus_log_checkpoints_total Checkpoints this instance signed.\n\
             # TYPE bankstatus_log_checkpoints_total counter\nbankstatus_log_checkpoints_total {}\n\
             # HELP bankstatus_log_refusals_total Turns in which the sequencer refused to sign, the stored tree not extending the last checkpoint, or the follower refused an entry.\n\
             # TYPE bankstatus_log_refusals_total counter\nbankstatus_log_refusals_total {}\n",
            self.metrics.checkpoints.load(Ordering::Relaxed),
            self.metrics.refusals.load(Ordering::Relaxed),
        );
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, View> {
        self.view
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_trouble(&self, why: Option<String>) {
        if let Ok(mut t) = self.trouble.lock() {
            *t = why;
        }
    }

    fn refused(&self, why: String) {
        static LOGGED: Throttle = Throttle::new(Duration::from_secs(60));
        self.metrics.refusals.fetch_add(1, Ordering::Relaxed);
        if let Some(held_back) = LOGGED.admit(std::time::Instant::now()) {
            tracing::error!(why = %why, earlier_not_logged = held_back, "the log refuses to go on");
        }
        self.set_trouble(Some(why));
    }

    /// One sequencer turn; skipped when another instance signed after `fresh_after`.
    async fn turn(
        &self,
        store: &DynStore,
        key: &LogKey,
        now: DateTime<Utc>,
        fresh_after: Option<DateTime<Utc>>,
    ) {
        let fresh_after = fresh_after.unwrap_or(DateTime::<Utc>::MAX_UTC);
        let decide = move |tip| sequencer::decide(key, now, tip);
        match store
            .sequence_log(sequencer::MAX_BATCH, fresh_after, &decide)
            .await
        {
            Ok(Sequenced::Signed { checkpoint, .. }) => {
                self.metrics.checkpoints.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(size = checkpoint.size, "signed a checkpoint");
                self.signed.notify_one();
            }
            Ok(Sequenced::Refused(why)) => self.refused(why),
            Ok(Sequenced::Idle) => {}
            Err(e) => {
                static FAILED: Throttle = Throttle::new(Duration::from_secs(60));
                if let Some(held_back) = FAILED.admit(std::time::Instant::now()) {
                    tracing::warn!(error = %e, earlier_not_logged = held_back, "the log's sequencer could not run");
                }
            }
        }
    }

    async fn sequence(
        &self,
        store: DynStore,
        key: LogKey,
        clock: DynClock,
        every: Duration,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Another instance's checkpoint younger than most of an interval: not yet again.
        let gap = chrono::Duration::from_std(every * 9 / 10).unwrap_or(chrono::Duration::zero());
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.cancelled() => return,
            }
            let now = clock.now();
            self.turn(&store, &key, now, Some(now - gap)).await;
        }
    }

    /// Takes in the latest checkpoint; why it could not, if it could not.
    async fn follow(&self, store: &DynStore) -> Option<String> {
        let (current, replay) = {
            let v = self.read();
            (v.checkpoint.clone(), v.replay.clone())
        };
        match catch_up(store, current.as_ref(), &replay, &self.verifier_key).await {
            Ok(CaughtUp::Same) => None,
            Ok(CaughtUp::Newer(checkpoint, replay)) => {
                if let Ok(mut v) = self.view.write() {
                    *v = View {
                        checkpoint: Some(checkpoint),
                        replay: Arc::from(replay),
                    };
                }
                if self.trouble().is_some() {
                    self.set_trouble(None);
                }
                None
            }
            Ok(CaughtUp::Trouble(why)) => {
                self.refused(why.clone());
                Some(why)
            }
            Err(e) => {
                static FAILED: Throttle = Throttle::new(Duration::from_secs(60));
                if let Some(held_back) = FAILED.admit(std::time::Instant::now()) {
                    tracing::warn!(error = %e, earlier_not_logged = held_back, "could not follow the log");
                }
                None
            }
        }
    }

    async fn keep_following(&self, store: DynStore, every: Duration, shutdown: CancellationToken) {
        let poll = every.min(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = self.signed.notified() => {}
                () = tokio::time::sleep(poll) => {}
                () = shutdown.cancelled() => return,
            }
            self.follow(&store).await;
        }
    }
}
