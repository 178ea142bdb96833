//! The task that applies every probe result to the [`Tracker`], records the incidents it
//! opens and resolves, publishes the snapshot, and passes results on to the writer.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::live::{BankNow, Live, Snapshot};
use super::tracker::{Tracker, Transition};
use crate::config::Config;
use crate::domain::{
    Channel, IncidentKind, IncidentState, Lang, Names, ProbeResult, Source, Status,
};
use crate::i18n::{channel_name, status_name};
use crate::metrics::Metrics;
use crate::store::{DynStore, NewIncident, NewUpdate, StoreResult};

pub struct Engine {
    tracker: Tracker,
    store: DynStore,
    live: Arc<Live>,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
}

fn open_key(bank: &str, channel: Channel) -> String {
    format!("outage:{bank}:{channel}")
}

impl Engine {
    /// Builds the tracker and takes back the automatic incidents still open in the database.
    pub async fn start(
        config: Arc<Config>,
        store: DynStore,
        live: Arc<Live>,
        metrics: Arc<Metrics>,
    ) -> StoreResult<Self> {
        let mut tracker = Tracker::new(&config.banks, &config.controls);
        for open in store.open_keyed_incidents().await? {
            let mut parts = open.open_key.splitn(3, ':');
            if let (Some("outage"), Some(bank), Some(channel)) =
                (parts.next(), parts.next(), parts.next())
            {
                if let Ok(channel) = channel.parse::<Channel>() {
                    tracker.restore_open(bank, channel, open.id, open.started_at);
                }
            }
        }
        let engine = Engine {
            tracker,
            store,
            live,
            config,
            metrics,
        };
        engine.publish();
        Ok(engine)
    }

    /// Runs until every probe has dropped its sender, then returns (and drops `writer`).
    pub async fn run(
        mut self,
        mut results: mpsc::Receiver<ProbeResult>,
        writer: mpsc::Sender<ProbeResult>,
    ) {
        while let Some(mut result) = results.recv().await {
            let transitions = self.tracker.apply(&mut result);
            self.live.record_check(&result);
            let recorded = !transitions.is_empty();
            for t in transitions {
                if let Err(e) = self.record(t).await {
                    tracing::error!(error = %e, "could not record an incident change");
                }
            }
            if self.tracker.take_changed() || recorded {
                self.publish();
            }
            if writer.send(result).await.is_err() {
                tracing::error!("the writer stopped; probe results are no longer stored");
            }
        }
    }

    fn publish(&self) {
        let banks = self
            .config
            .banks
            .iter()
            .map(|b| {
                let channels: Vec<_> = b
                    .probed_channels()
                    .into_iter()
                    .filter_map(|c| self.tracker.channel_now(&b.slug, c))
                    .collect();
                BankNow {
                    slug: b.slug.clone(),
                    status: Status::worst(channels.iter().map(|c| c.status)),
                    channels,
                }
            })
            .collect();
        let cut = self.tracker.network_cut_since();
        self.metrics
            .network_cut
            .store(i64::from(cut.is_some()), Ordering::Relaxed);
        self.metrics
            .open_incidents
            .store(self.tracker.open_incident_count() as i64, Ordering::Relaxed);
        self.live.publish(Snapshot {
            network_cut_since: cut,
            banks,
        });
    }

    fn names(&self, f: impl Fn(Lang, &str) -> String, bank: &str) -> Names {
        let bank_names = self
            .config
            .bank(bank)
            .map(|b| b.names.clone())
            .unwrap_or_default();
        let [ar, fr, en] = Lang::ALL.map(|l| Some(f(l, bank_names.get(l))));
        Names { ar, fr, en }
    }

    async fn record(&mut self, t: Transition) -> StoreResult<()> {
        match t {
            Transition::Open {
                bank,
                channel,
                started_at,
                at,
                status,
                detail,
            } => {
                let title = self.names(
                    |l, name| match l {
                        Lang::Ar => format!("{name}: {} غير متاحة", channel_name(channel, l)),
                        Lang::Fr => format!("{name} : {} indisponible", channel_name(channel, l)),
                        Lang::En => format!("{name}: {} unavailable", channel_name(channel, l)),
                    },
                    &bank,
                );
                let message = self.names(
                    |l, _| {
                        let c = channel_name(channel, l);
                        let s = status_name(status, l);
                        match l {
                            Lang::Ar => format!("فحوصات {c} تفشل ({s}): {detail}"),
                            Lang::Fr => {
                                format!("Les vérifications de « {c} » échouent ({s}) : {detail}")
                            }
                            Lang::En => format!("Checks of {c} fail ({s}): {detail}"),
                        }
                    },
                    &bank,
                );
                let opened = self
                    .store
                    .open_incident(&NewIncident {
                        kind: IncidentKind::Outage,
                        title,
                        started_at,
                        open_key: Some(open_key(&bank, channel)),
                        scopes: vec![(bank.clone(), channel)],
                        first_update: NewUpdate {
                            at,
                            state: IncidentState::Investigating,
                            source: Source::Probe,
                            message,
                        },
                    })
                    .await?;
                tracing::warn!(bank = %bank, channel = %channel, incident = opened.id(), "outage opened");
                self.tracker.set_incident(&bank, channel, Some(opened.id()));
            }
            Transition::Worsened {
                incident,
                bank,
                channel,
                at,
                status,
            }
            | Transition::Eased {
                incident,
                bank,
                channel,
                at,
                status,
            } => {
                let message = self.names(
                    |l, _| {
                        let c = channel_name(channel, l);
                        match (l, status) {
                            (Lang::Ar, Status::MajorOutage) => format!("كل فحوصات {c} تفشل الآن."),
                            (Lang::Ar, _) => format!("بعض فحوصات {c} تنجح من جديد."),
                            (Lang::Fr, Status::MajorOutage) => {
                                format!("Toutes les vérifications de « {c} » échouent désormais.")
                            }
                            (Lang::Fr, _) => format!(
                                "Une partie des vérifications de « {c} » répond de nouveau."
                            ),
                            (Lang::En, Status::MajorOutage) => {
                                format!("Every check of {c} fails now.")
                            }
                            (Lang::En, _) => format!("Some checks of {c} answer again."),
                        }
                    },
                    &bank,
                );
                self.store
                    .add_update(
                        incident,
                        &NewUpdate {
                            at,
                            state: IncidentState::Investigating,
                            source: Source::Probe,
                            message,
                        },
                    )
                    .await?;
            }
            Transition::Resolve {
                incident,
                bank,
                channel,
                at,
            } => {
                let message = self.names(
                    |l, _| {
                        let c = channel_name(channel, l);
                        match l {
                            Lang::Ar => format!("{c} تعمل بشكل عادي من جديد."),
                            Lang::Fr => format!("« {c} » répond de nouveau normalement."),
                            Lang::En => format!("{c} answers normally again."),
                        }
                    },
                    &bank,
                );
                self.store
                    .add_update(
                        incident,
                        &NewUpdate {
                            at,
                            state: IncidentState::Resolved,
                            source: Source::Probe,
                            message,
                        },
                    )
                    .await?;
                tracing::info!(bank = %bank, channel = %channel, incident, "outage resolved");
            }
            Transition::NetworkCut { at } => {
                tracing::warn!(%at, "control sites fail too: bank failures are put down to the tracker's network");
            }
            Transition::NetworkRestored { at } => {
                tracing::info!(%at, "control sites answer again");
            }
        }
        Ok(())
    }
}
