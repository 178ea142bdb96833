//! What pages and the API read about the present: the status snapshot, each probe's last
//! check, and a generation number that changes whenever anything shown changes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::tracker::RegionNow;
use crate::domain::{Channel, CheckEvidence, Confidence, ErrorClass, Outcome, ProbeResult, Status};

/// Serialisable so that the instance running the engine can share it with the others.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// Set while the control sites fail too: statuses are unknown then.
    pub network_cut_since: Option<DateTime<Utc>>,
    pub banks: Vec<BankNow>,
    /// The vantage points, once probes run from two or more: which are cut off, since when.
    #[serde(default)]
    pub regions: Vec<RegionNow>,
}

impl Snapshot {
    pub fn bank(&self, slug: &str) -> Option<&BankNow> {
        self.banks.iter().find(|b| b.slug == slug)
    }
}

/// One channel as pages show it: every signal fused into one status.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChannelNow {
    pub channel: Channel,
    pub status: Status,
    pub since: Option<DateTime<Utc>>,
    /// The open automatic or operator incident behind the status.
    pub incident: Option<i64>,
    pub confidence: Option<Confidence>,
    /// Reporters over the surge window (weighed), the networks they come from, those it
    /// works for, and the usual level.
    pub reports: i64,
    #[serde(default)]
    pub networks: i64,
    #[serde(default)]
    pub works: i64,
    pub baseline: f64,
    pub surge: bool,
    /// What customers report that the status alone does not say.
    #[serde(default)]
    pub crowd_note: Option<CrowdNote>,
    /// How the probes fail, while they do (a maintenance page, a timeout...).
    #[serde(default)]
    pub failing: Option<ErrorClass>,
    /// When the bank says it is back (its `Retry-After`), while the probes fail.
    #[serde(default)]
    pub retry_after: Option<DateTime<Utc>>,
    /// It changed state often lately: shown as a note beside the status.
    #[serde(default)]
    pub unstable: bool,
}

impl ChannelNow {
    /// A channel nothing has spoken of yet.
    pub fn unknown(channel: Channel) -> ChannelNow {
        ChannelNow {
            channel,
            status: Status::Unknown,
            since: None,
            incident: None,
            confidence: None,
            reports: 0,
            networks: 0,
            works: 0,
            baseline: 0.0,
            surge: false,
            crowd_note: None,
            failing: None,
            retry_after: None,
            unstable: false,
        }
    }
}

/// Customers report problems that the status does not show as an outage, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrowdNote {
    /// Our checks of this very channel pass: reports against them make no outage.
    ChecksPass,
    /// Nothing can check this channel from outside: customers are its only signal.
    Unchecked,
    /// Too many channels are reported at once: this one waits for the operator.
    Waiting,
}

impl CrowdNote {
    /// The catalogue id of its sentence.
    pub fn msg_id(self) -> &'static str {
        match self {
            CrowdNote::ChecksPass => "crowd-note-checks-pass",
            CrowdNote::Unchecked => "crowd-note-unchecked",
            CrowdNote::Waiting => "crowd-note-waiting",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BankNow {
    pub slug: String,
    pub status: Status,
    pub channels: Vec<ChannelNow>,
}

/// The last check of one probe.
#[derive(Debug, Clone)]
pub struct LastCheck {
    pub at: DateTime<Utc>,
    pub latency_ms: u32,
    pub http_status: Option<u16>,
    /// Its verdict, with the failure's class and detail when it failed.
    pub outcome: Outcome,
    pub evidence: CheckEvidence,
}

impl LastCheck {
    /// What the failure said, as the library or the page put it; `None` unless it failed.
    pub fn detail(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Down { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

pub struct Live {
    snapshot: watch::Sender<Arc<Snapshot>>,
    checks: RwLock<HashMap<String, LastCheck>>,
    /// Moves with every check kept, so what is judged from them can be kept until then.
    checks_version: AtomicU64,
    generation: AtomicU64,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            snapshot: watch::Sender::new(Arc::new(Snapshot::default())),
            checks: RwLock::default(),
            checks_version: AtomicU64::new(0),
            generation: AtomicU64::new(1),
        }
    }
}

impl Live {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }

    pub fn publish(&self, snapshot: Snapshot) {
        self.snapshot.send_replace(Arc::new(snapshot));
        self.touch();
    }

    /// Marks everything shown as changed, so cached pages are rendered again.
    pub fn touch(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps the service's own last check of each probe; agents' checks of the same probe
    /// stand in the database and the incidents, not in the probe table of the bank page.
    pub fn record_check(&self, r: &ProbeResult) {
        if r.region.is_some() {
            return;
        }
        let check = LastCheck {
            at: r.at,
            latency_ms: r.latency_ms,
            http_status: r.http_status,
            outcome: r.outcome.clone(),
            evidence: r.evidence.clone(),
        };
        if let Ok(mut checks) = self.checks.write() {
            checks.insert(r.probe_id.clone(), check);
        }
        self.checks_version.fetch_add(1, Ordering::Release);
    }

    /// Moves whenever a check is kept (see [`Self::record_check`]).
    pub fn checks_version(&self) -> u64 {
        self.checks_version.load(Ordering::Acquire)
    }

    /// When the probe was last checked here.
    pub fn last_check_at(&self, probe_id: &str) -> Option<DateTime<Utc>> {
        self.checks.read().ok()?.get(probe_id).map(|c| c.at)
    }

    /// [`Self::last_check_at`] of each probe, in order, under one look at the checks: pages
    /// ask for every probe on each request.
    pub fn last_checks_at<'a>(
        &self,
        probe_ids: impl IntoIterator<Item = &'a str>,
    ) -> Vec<Option<DateTime<Utc>>> {
        let checks = self.checks.read().ok();
        probe_ids
            .into_iter()
            .map(|id| checks.as_ref().and_then(|c| c.get(id)).map(|c| c.at))
            .collect()
    }

    pub fn last_check(&self, probe_id: &str) -> Option<LastCheck> {
        self.checks.read().ok()?.get(probe_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::ProbeTarget;

    fn check(outcome: Outcome, region: Option<&str>) -> ProbeResult {
        ProbeResult {
            probe_id: "bmce/web/0".into(),
            target: ProbeTarget::Bank {
                bank: "bmce".into(),
                channel: Channel::Web,
            },
            at: Utc.timestamp_opt(1_770_000_000, 0).single().expect("time"),
            latency_ms: 5,
            http_status: None,
            outcome,
            counted: true,
            region: region.map(str::to_owned),
            evidence: CheckEvidence::default(),
            covers_ms: 1000,
        }
    }

    #[test]
    fn the_last_check_keeps_the_failure_typed() {
        let live = Live::default();
        live.record_check(&check(
            Outcome::Down {
                class: ErrorClass::Timeout,
                detail: "operation timed out".into(),
            },
            None,
        ));
        let c = live.last_check("bmce/web/0").expect("recorded");
        assert!(c.outcome.is_down());
        assert_eq!(c.outcome.class(), Some(ErrorClass::Timeout));
        assert_eq!(c.detail(), Some("operation timed out"));
        live.record_check(&check(Outcome::Degraded, None));
        let c = live.last_check("bmce/web/0").expect("recorded");
        assert_eq!(c.outcome, Outcome::Degraded);
        assert_eq!(c.detail(), None);
    }

    #[test]
    fn an_agents_check_is_not_the_last_check() {
        let live = Live::default();
        live.record_check(&check(Outcome::Up, Some("casa")));
        assert!(live.last_check("bmce/web/0").is_none());
    }
}
