//! What a probe checks and what one check found.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::expect::Expect;
use super::Channel;

/// Whether `name` may name a region (a vantage point): 1 to 32 characters among a-z, 0-9
/// and -, as bank slugs, so it reads the same in URLs, logs and the database.
pub fn region_name_ok(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whose endpoint a probe watches: a bank's channel, or a control site that tells whether
/// the tracker's own network works.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProbeTarget {
    Bank { bank: String, channel: Channel },
    Control,
}

/// One configured check, with every default already applied. Serialisable: the server
/// hands probes to its agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeSpec {
    /// Stable id, e.g. `bmce/web/0`, or `control/1`; raw results are keyed by it.
    pub id: String,
    pub target: ProbeTarget,
    pub url: String,
    pub method: String,
    pub interval: Duration,
    pub timeout: Duration,
    /// Accepted HTTP statuses; `None` accepts any 2xx or 3xx.
    pub expect_status: Option<Vec<u16>>,
    /// What the answer must hold beyond its status.
    #[serde(default)]
    pub expect: Expect,
    pub degraded_after: Option<Duration>,
    pub failures_before_outage: u32,
    pub successes_before_recovery: u32,
}

impl ProbeSpec {
    pub fn channel(&self) -> Option<Channel> {
        match &self.target {
            ProbeTarget::Bank { channel, .. } => Some(*channel),
            ProbeTarget::Control => None,
        }
    }

    pub fn bank(&self) -> Option<&str> {
        match &self.target {
            ProbeTarget::Bank { bank, .. } => Some(bank),
            ProbeTarget::Control => None,
        }
    }

    pub fn accepts_status(&self, status: u16) -> bool {
        match &self.expect_status {
            Some(list) => list.contains(&status),
            None => (200..400).contains(&status),
        }
    }
}

/// Why a check failed. The names appear in the API, the database and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    Dns,
    Connect,
    Tls,
    Timeout,
    Status,
    Body,
    Redirect,
    /// The bank shows a maintenance page: by its words in the page or a redirect to one.
    MaintenancePage,
    /// The bank's bot protection (a CDN or firewall) refused the check: a signal about
    /// bankstatus, not about the bank, so it never counts as the bank failing.
    Blocked,
}

impl ErrorClass {
    pub const ALL: [ErrorClass; 9] = [
        ErrorClass::Dns,
        ErrorClass::Connect,
        ErrorClass::Tls,
        ErrorClass::Timeout,
        ErrorClass::Status,
        ErrorClass::Body,
        ErrorClass::Redirect,
        ErrorClass::MaintenancePage,
        ErrorClass::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Dns => "dns",
            ErrorClass::Connect => "connect",
            ErrorClass::Tls => "tls",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Status => "status",
            ErrorClass::Body => "body",
            ErrorClass::Redirect => "redirect",
            ErrorClass::MaintenancePage => "maintenance_page",
            ErrorClass::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorClass> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::str::FromStr for ErrorClass {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("unknown failure class `{s}`"))
    }
}

/// The verdict of one check. A failure is data, not an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Up,
    /// Answered correctly, but slower than `degraded_after`.
    Degraded,
    Down {
        class: ErrorClass,
        detail: String,
    },
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Up => "up",
            Outcome::Degraded => "degraded",
            Outcome::Down { .. } => "down",
        }
    }

    pub fn is_down(&self) -> bool {
        matches!(self, Outcome::Down { .. })
    }

    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            Outcome::Down { class, .. } => Some(*class),
            _ => None,
        }
    }

    /// The bank's protection refused the check: it says nothing about the bank.
    pub fn is_blocked(&self) -> bool {
        self.class() == Some(ErrorClass::Blocked)
    }
}

/// One check of one probe. Serialisable: agents send theirs to the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeResult {
    pub probe_id: String,
    pub target: ProbeTarget,
    pub at: DateTime<Utc>,
    pub latency_ms: u32,
    pub http_status: Option<u16>,
    pub outcome: Outcome,
    /// False when the failure was put down to the tracker's own network (controls failing
    /// too); such results are kept but do not count against the bank.
    pub counted: bool,
    /// The agent's region that ran it; `None` for the service's own probes.
    #[serde(default)]
    pub region: Option<String>,
    /// What the answer showed beyond its status: redirects, the bank's announced return,
    /// the certificate.
    #[serde(default, skip_serializing_if = "CheckEvidence::is_empty")]
    pub evidence: CheckEvidence,
    /// How long this check speaks for, in milliseconds: its probe's interval. The record
    /// counts a minute as monitored when a check covered it; 0 (older agents) reads as a
    /// minute.
    #[serde(default)]
    pub covers_ms: u64,
}

impl ProbeResult {
    /// When the check ended, and what it showed was known: `at` is when it began, up to
    /// a timeout earlier.
    pub fn finished_at(&self) -> DateTime<Utc> {
        self.at + chrono::Duration::milliseconds(i64::from(self.latency_ms))
    }

    /// The span this check covers, in milliseconds since the epoch.
    pub fn covers(&self) -> (i64, i64) {
        let at = self.at.timestamp_millis();
        let covers = if self.covers_ms == 0 {
            60_000
        } else {
            self.covers_ms
        };
        (
            at,
            at.saturating_add(i64::try_from(covers).unwrap_or(i64::MAX)),
        )
    }
}

/// One redirect of a check: its status and where it pointed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hop {
    pub status: u16,
    pub location: String,
}

/// What one check saw that a reader can cite, beyond status and latency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckEvidence {
    /// Every redirect followed or refused, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hops: Vec<Hop>,
    /// Where the answer finally came from, after redirects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// When the bank says it is back (`Retry-After` on a 503 or 429).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<DateTime<Utc>>,
    /// The server certificate's expiry (not-after) and issuer, for HTTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_issuer: Option<String>,
    /// The phrase, the words found together, or the redirect target, that showed a
    /// maintenance page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// Whose protection refused a `blocked` check, and the header or page words that
    /// showed it, e.g. `Akamai: Server: AkamaiGHost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_by: Option<String>,
}

impl CheckEvidence {
    pub fn is_empty(&self) -> bool {
        *self == CheckEvidence::default()
    }
}
