//! `bankstatus agent`: runs the server's probes from another network and sends the results
//! back in numbered batches. Batches wait in memory (up to a bound) while the server cannot
//! be reached and are sent again with backoff; the server stores a batch once, whatever
//! number of times it arrives.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::domain::{ProbeResult, ProbeSpec};
use crate::metrics::Metrics;
use crate::probe::check::{build_client_for, Reading};
use crate::probe::scheduler::{ControlCall, ProbeRuntime};
use crate::probe::spawn_probes;
use crate::signals::tracker::Tracker;

/// `GET /api/v1/agents/assignment`: what an agent probes, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The bank probes, as the server runs them.
    pub probes: Vec<ProbeSpec>,
    /// The control sites: the agent's own network is judged by them.
    pub controls: Vec<ProbeSpec>,
    pub max_concurrent: usize,
    pub max_body_bytes: usize,
    /// What shows a maintenance page, as the server reads them.
    #[serde(default)]
    pub maintenance_phrases: Vec<String>,
}

/// `POST /api/v1/agents/results`: one numbered batch of one agent process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Batch {
    /// The agent process: its region and a random part, new at each start.
    pub agent: String,
    pub region: String,
    /// Numbers grow by one from 1 in each agent process; a batch sent again keeps its own.
    pub seq: i64,
    pub results: Vec<ProbeResult>,
}

/// What the server says of a batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchReceipt {
    pub stored: usize,
    /// Results of probes the server does not have (its config changed meanwhile).
    pub ignored: usize,
    /// The batch had arrived before; nothing was stored again.
    pub duplicate: bool,
}

/// Results per batch, at most; the server refuses larger ones.
pub const MAX_BATCH: usize = 500;
/// Results kept while the server is unreachable; past this the oldest batches are dropped.
const MAX_BUFFERED: usize = 200_000;
/// A batch is sealed at least this often.
const BATCH_EVERY: Duration = Duration::from_secs(1);
/// The assignment is asked for again this often, so config changes reach agents.
const REFRESH_EVERY: Duration = Duration::from_secs(300);
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// How to reach the server, and as which region.
#[derive(Debug, Clone)]
pub struct AgentArgs {
    pub server: String,
    pub token: String,
    pub region: String,
}

/// Runs until `shutdown`, then tries once more to send what it holds.
pub async fn run(args: AgentArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let agent = Agent::new(args)?;
    agent.run(shutdown).await;
    Ok(())
}

struct Agent {
    args: AgentArgs,
    name: String,
    api: reqwest::Client,
    pending: VecDeque<Batch>,
    buffered: usize,
    seq: i64,
    backoff: Duration,
    retry_at: Instant,
    dropped: u64,
}

impl Agent {
    fn new(args: AgentArgs) -> anyhow::Result<Agent> {
        let api = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("bankstatus-agent/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let name = format!("{}-{:08x}", args.region, rand::thread_rng().gen::<u32>());
        Ok(Agent {
            args,
            name,
            api,
            pending: VecDeque::new(),
            buffered: 0,
            seq: 0,
            backoff: BACKOFF_FIRST,
            retry_at: Instant::now(),
            dropped: 0,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.args.server.trim_end_matches('/'))
    }

    async fn run(mut self, shutdown: CancellationToken) {
        let Some(mut assignment) = self.first_assignment(&shutdown).await else {
            return;
        };
        let (sink, mut results) = mpsc::channel(16_384);
        let mut probes = self.start_probes(&assignment, sink.clone(), &shutdown);
        let mut vantage = vantage_of(&assignment);
        let mut current: Vec<ProbeResult> = Vec::new();
        let mut tick = tokio::time::interval(BATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut refresh_at = Instant::now() + REFRESH_EVERY;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(r) = results.recv() => self.accept(&mut vantage, r, &mut current),
                _ = tick.tick() => {
                    self.seal(&mut current);
                    self.deliver().await;
                    if Instant::now() >= refresh_at {
                        refresh_at = Instant::now() + REFRESH_EVERY;
                        if let Ok(next) = self.assignment().await {
                            if next != assignment {
                                tracing::info!(probes = next.probes.len(), "the assignment changed");
                                for r in stop(probes, &mut results).await {
                                    self.accept(&mut vantage, r, &mut current);
                                }
                                self.take(vantage.drain(), &mut current);
                                probes = self.start_probes(&next, sink.clone(), &shutdown);
                                vantage = vantage_of(&next);
                                assignment = next;
                            }
                        }
                    }
                }
            }
        }
        for r in stop(probes, &mut results).await {
            self.accept(&mut vantage, r, &mut current);
        }
        self.take(vantage.drain(), &mut current);
        self.seal(&mut current);
        self.retry_at = Instant::now();
        self.deliver().await;
        if !self.pending.is_empty() {
            tracing::warn!(
                batches = self.pending.len(),
                "stopping with batches the server did not take"
            );
        }
    }

    /// Asks for the assignment until the server gives it, or `shutdown`.
    async fn first_assignment(&mut self, shutdown: &CancellationToken) -> Option<Assignment> {
        let mut wait = BACKOFF_FIRST;
        loop {
            match self.assignment().await {
                Ok(a) => {
                    tracing::info!(
                        region = %self.args.region,
                        probes = a.probes.len(),
                        controls = a.controls.len(),
                        "agent assigned its probes"
                    );
                    return Some(a);
                }
                Err(e) => tracing::warn!(error = %e, "could not get the assignment; retrying"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return None,
                () = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(BACKOFF_MAX);
        }
    }

    async fn assignment(&self) -> anyhow::Result<Assignment> {
        let r = self
            .api
            // Region names are checked to be URL-safe.
            .get(self.url(&format!(
                "/api/v1/agents/assignment?region={}",
                self.args.region
            )))
            .bearer_auth(&self.args.token)
            .send()
            .await?;
        let status = r.status();
        let body = r.text().await?;
        anyhow::ensure!(status.is_success(), "{status}: {body}");
        Ok(serde_json::from_str(&body)?)
    }

    fn start_probes(
        &self,
        assignment: &Assignment,
        sink: mpsc::Sender<ProbeResult>,
        shutdown: &CancellationToken,
    ) -> (JoinSet<()>, CancellationToken) {
        let stop = shutdown.child_token();
        let mut tasks = JoinSet::new();
        let site = self.args.server.trim_end_matches('/');
        let client = match build_client_for(
            Some(site),
            Some(&self.args.region),
            None,
            &crate::config::DnsConfig::default(),
        ) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the HTTP client; probing nothing");
                return (tasks, stop);
            }
        };
        let rt = ProbeRuntime {
            client,
            permits: Arc::new(Semaphore::new(assignment.max_concurrent.max(1))),
            reading: Reading::new(assignment.max_body_bytes, &assignment.maintenance_phrases),
            sink,
            metrics: Arc::new(Metrics::default()),
            clock: crate::clock::SystemClock::shared(),
            shutdown: stop.clone(),
            controls: ControlCall::default(),
        };
        let specs = assignment
            .probes
            .iter()
            .chain(&assignment.controls)
            .cloned()
            .collect();
        spawn_probes(specs, rt, &mut tasks);
        (tasks, stop)
    }

    /// Takes one result into the batch being filled. This region's controls decide whether
    /// its failures count.
    fn accept(&mut self, vantage: &mut Tracker, r: ProbeResult, current: &mut Vec<ProbeResult>) {
        let judged = vantage.apply(r).judged;
        let _ = vantage.take_changed();
        self.take(judged, current);
    }

    /// Puts judged results into the batch being filled.
    fn take(&mut self, judged: Vec<ProbeResult>, current: &mut Vec<ProbeResult>) {
        for mut r in judged {
            r.region = Some(self.args.region.clone());
            current.push(r);
            if current.len() >= MAX_BATCH {
                self.seal(current);
            }
        }
    }

    /// Closes the batch being filled, dropping the oldest when the buffer is full.
    fn seal(&mut self, current: &mut Vec<ProbeResult>) {
        if current.is_empty() {
            return;
        }
        self.seq += 1;
        self.buffered += current.len();
        self.pending.push_back(Batch {
            agent: self.name.clone(),
            region: self.args.region.clone(),
            seq: self.seq,
            results: std::mem::take(current),
        });
        while self.buffered > MAX_BUFFERED {
            let Some(old) = self.pending.pop_front() else {
                break;
            };
            self.buffered -= old.results.len();
            self.dropped += old.results.len() as u64;
            tracing::warn!(
                dropped = self.dropped,
                "the server is unreachable for long: the oldest results are dropped"
            );
        }
    }

    /// Sends the waiting batches in order until one fails; then waits, longer each time.
    async fn deliver(&mut self) {
        if Instant::now() < self.retry_at {
            return;
        }
        while let Some(batch) = self.pending.front() {
            match self.send(batch).await {
                Ok(()) => {
                    self.buffered -= batch.results.len();
                    self.pending.pop_front();
                    self.backoff = BACKOFF_FIRST;
                }
                Err(Failed::Refused(e)) => {
                    // The server will never take this batch: keeping it would block the rest.
                    tracing::error!(error = %e, seq = batch.seq, "the server refused a batch; dropping it");
                    self.buffered -= batch.results.len();
                    self.pending.pop_front();
                }
                Err(Failed::Later(e)) => {
                    tracing::warn!(
                        error = %e,
                        waiting = self.pending.len(),
                        retry_in = ?self.backoff,
                        "could not send results; keeping them"
                    );
                    self.retry_at = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
                    return;
                }
            }
        }
    }

    async fn send(&self, batch: &Batch) -> Result<(), Failed> {
        let r = self
            .api
            .post(self.url("/api/v1/agents/results"))
            .bearer_auth(&self.args.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(batch).map_err(|e| Failed::Refused(e.to_string()))?)
            .send()
            .await
            .map_err(|e| Failed::Later(e.to_string()))?;
        let status = r.status();
        if status.is_success() {
            return Ok(());
        }
        let body = r.text().await.unwrap_or_default();
        // A wrong token or a restarting proxy may be fixed: only a batch the server judged
        // malformed is given up.
        if matches!(status.as_u16(), 400 | 413 | 422) {
            Err(Failed::Refused(format!("{status}: {body}")))
        } else {
            Err(Failed::Later(format!("{status}: {body}")))
        }
    }
}

/// Stops the probes and returns the results they still hand over: a probe waiting on a
/// full channel is served instead of waited for.
async fn stop(
    (mut tasks, token): (JoinSet<()>, CancellationToken),
    results: &mut mpsc::Receiver<ProbeResult>,
) -> Vec<ProbeResult> {
    token.cancel();
    let mut left = Vec::new();
    loop {
        tokio::select! {
            joined = tasks.join_next() => if joined.is_none() { break },
            Some(r) = results.recv() => left.push(r),
        }
    }
    while let Ok(r) = results.try_recv() {
        left.push(r);
    }
    left
}

/// The agent's own view of its network, from the controls it runs.
fn vantage_of(assignment: &Assignment) -> Tracker {
    let probes: Vec<&ProbeSpec> = assignment.probes.iter().collect();
    Tracker::of_probes(&probes, &assignment.controls)
}

enum Failed {
    Refused(String),
    Later(String),
}
