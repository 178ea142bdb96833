//! What the core decides should happen to the record; the engine writes each effect in one
//! transaction.

use chrono::{DateTime, Utc};

use crate::domain::{IncidentKind, IncidentState, OpenKey, Source};
use crate::i18n::{sentences, Msg};
use crate::store::{NewIncident, NewUpdate};

/// One write the core asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Open the automatic incident of a bank's channel, or join the one already open under
    /// its key (opened meanwhile by another instance).
    Open {
        key: OpenKey,
        title: Msg,
        started_at: DateTime<Utc>,
        /// The maintenance window this outage overran.
        overrun_of: Option<i64>,
        entry: Entry,
        /// The incident this channel resolved lately: reopened rather than a new one.
        reopen: Option<i64>,
    },
    /// Add a timeline entry to an incident.
    Add { to: Target, entry: Entry },
}

/// The incident an entry goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Incident(i64),
    /// The automatic incident open under this key, opened by an earlier effect.
    Open(OpenKey),
}

/// A timeline entry, its words still to be written in each language.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub state: IncidentState,
    pub source: Source,
    /// Sentences, one after the other.
    pub message: Vec<Msg>,
}

impl Entry {
    pub fn update(&self) -> NewUpdate {
        NewUpdate {
            at: self.at,
            state: self.state,
            source: self.source,
            message: sentences(&self.message),
        }
    }
}

impl Effect {
    /// The entry it writes.
    pub fn entry(&self) -> &Entry {
        match self {
            Effect::Open { entry, .. } | Effect::Add { entry, .. } => entry,
        }
    }

    /// The incident an [`Effect::Open`] writes, put on the record at `now`; `None` for an
    /// entry. The engine and the core's test ledger both write through it.
    pub fn incident(&self, now: DateTime<Utc>) -> Option<NewIncident> {
        let Effect::Open {
            key,
            title,
            started_at,
            overrun_of,
            entry,
            reopen,
        } = self
        else {
            return None;
        };
        Some(NewIncident {
            kind: IncidentKind::Outage,
            title: sentences(std::slice::from_ref(title)),
            started_at: *started_at,
            recorded_at: now,
            open_key: Some(key.clone()),
            overrun_of: *overrun_of,
            scopes: vec![(key.bank.clone(), key.channel)],
            first_update: entry.update(),
            later: Vec::new(),
            audit: None,
            reopen: *reopen,
        })
    }
}
