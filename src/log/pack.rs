//! The evidence pack of an incident (`/incidents/{id}/evidence.json`): the incident's facts
//! as the site shows them, its log entries with their inclusion proofs, and the signed
//! checkpoint they prove into. Someone who keeps the file can check it offline, years later,
//! with the log's key (`bankstatus verify --evidence FILE --key KEY`).

use serde::{Deserialize, Serialize};

use super::proofs::IncidentLog;
use crate::tlog::hash_text;

/// What `format` says, so a file found on its own says what it is.
pub const FORMAT: &str = "bankstatus evidence pack, version 1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvidencePack {
    pub format: String,
    /// The incident as `/incidents/{id}?format=json` gives it.
    pub incident: serde_json::Value,
    /// Its place in the log; none before the log signed its first checkpoint.
    pub log: Option<PackLog>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackLog {
    pub origin: String,
    /// The key the site publishes at `/log/key`; check it against one you got elsewhere.
    pub verifier_key: String,
    /// The signed checkpoint, as `/log/checkpoint` served it.
    pub checkpoint: String,
    pub tree_size: u64,
    /// The checkpoint's root hash, in base64.
    pub root: String,
    /// The incident's entries in that tree, each with the hashes proving it there.
    pub entries: Vec<PackEntry>,
    /// Its entries appended since, not yet in a checkpoint: no proof yet.
    #[serde(default)]
    pub pending: Vec<PackEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackEntry {
    pub index: u64,
    /// The entry exactly as logged (canonical JSON).
    pub entry: String,
    /// The inclusion proof: base64 hashes, from the leaf up.
    #[serde(default)]
    pub proof: Vec<String>,
}

impl PackLog {
    pub fn new(origin: &str, verifier_key: &str, log: &IncidentLog) -> PackLog {
        let text = |body: &[u8]| String::from_utf8_lossy(body).into_owned();
        PackLog {
            origin: origin.to_owned(),
            verifier_key: verifier_key.to_owned(),
            checkpoint: log.checkpoint.note.clone(),
            tree_size: log.checkpoint.size,
            root: hash_text(&log.checkpoint.root),
            entries: log
                .proven
                .iter()
                .map(|p| PackEntry {
                    index: p.entry.index,
                    entry: text(&p.entry.body),
                    proof: p.proof.iter().map(hash_text).collect(),
                })
                .collect(),
            pending: log
                .pending
                .iter()
                .map(|e| PackEntry {
                    index: e.index,
                    entry: text(&e.body),
                    proof: Vec::new(),
                })
                .collect(),
        }
    }
}
